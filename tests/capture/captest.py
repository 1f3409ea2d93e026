"""Helpers for the capture integration tests: real loopback captures, pcap
and pcapng reading/writing, running diagtap."""
import gzip
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

DIAGTAP = os.environ.get("DIAGTAP", "diagtap")
PLUGIN_DIR = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("LINES_PLUGIN_DIR", "")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class Dumpcap:
    """dumpcap on lo, ready when __enter__ returns."""

    def __init__(self, path, bpf):
        self.path, self.bpf = path, bpf

    def __enter__(self):
        self.p = subprocess.Popen(["dumpcap", "-i", "lo", "-f", self.bpf, "-w", self.path],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 15
        line = ""
        while time.time() < deadline:
            line = self.p.stderr.readline()
            if "Capturing on" in line or not line:
                break
        check("Capturing on" in line, "dumpcap did not start: " + line)
        time.sleep(0.3)
        return self

    def __exit__(self, *exc):
        time.sleep(0.3)
        self.p.send_signal(signal.SIGINT)
        self.p.communicate(timeout=15)


def listener():
    """A listening socket on a free port (bound before any capture starts)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    return srv


def port_of(srv):
    return srv.getsockname()[1]


def line_server(srv, respond=True, out=None):
    """Accepts one connection on srv; answers "REQ n" with "RSP n"; returns the thread."""

    def run():
        c, _ = srv.accept()
        f = c.makefile("rb")
        for raw in f:
            if out is not None:
                out.append(raw)
            if respond and raw.startswith(b"REQ "):
                c.sendall(b"RSP " + raw[4:])
        c.close()
        srv.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def line_client(port, n, bulk=1000):
    """n requests, each followed by a bulk line; waits for every response."""
    c = socket.create_connection(("127.0.0.1", port))
    f = c.makefile("rb")
    for i in range(n):
        c.sendall(b"REQ %d\n" % i + b"DATA " + b"x" * bulk + b"\n")
        got = f.readline()
        check(got == b"RSP %d\n" % i, "bad response %r" % got)
    c.shutdown(socket.SHUT_WR)
    f.read()
    c.close()


def exchange(srv, n, bulk=1000):
    t = line_server(srv)
    line_client(port_of(srv), n, bulk)
    t.join(10)


def read_pcapng(path):
    """[(ts_ns, linktype, data, flags)] of every EPB; interfaces as [(linktype, name, desc)]."""
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    pkts, ifaces, sec_base, off, bo = [], [], 0, 0, "<"
    while off + 12 <= len(raw):
        btype = struct.unpack_from("<I", raw, off)[0]
        if btype == 0x0A0D0D0A:
            bo = "<" if struct.unpack_from("<I", raw, off + 8)[0] == 0x1A2B3C4D else ">"
            sec_base = len(ifaces)
        btype, blen = struct.unpack_from(bo + "II", raw, off)
        body = raw[off + 8:off + blen - 4]
        if btype == 1:
            lt = struct.unpack_from(bo + "H", body, 0)[0]
            opts, name, desc, res = body[8:], None, None, 6
            while len(opts) >= 4:
                code, ln = struct.unpack_from(bo + "HH", opts, 0)
                v = opts[4:4 + ln]
                if code == 0:
                    break
                if code == 2:
                    name = v.decode()
                if code == 3:
                    desc = v.decode()
                if code == 9:
                    res = v[0]
                opts = opts[4 + ((ln + 3) & ~3):]
            ifaces.append((lt, name, desc, res))
        elif btype == 6:
            iface, hi, lo, cap, orig = struct.unpack_from(bo + "IIIII", body, 0)
            data = body[20:20 + cap]
            opts, flags = body[20 + ((cap + 3) & ~3):], 0
            while len(opts) >= 4:
                code, ln = struct.unpack_from(bo + "HH", opts, 0)
                if code == 0:
                    break
                if code == 2:
                    flags = struct.unpack_from(bo + "I", opts, 4)[0]
                opts = opts[4 + ((ln + 3) & ~3):]
            res = ifaces[sec_base + iface][3]
            units = hi << 32 | lo
            ts = units * 10 ** (9 - res) if res <= 9 else units // 10 ** (res - 9)
            pkts.append((ts, ifaces[sec_base + iface][0], data, flags))
        off += blen
    return pkts, ifaces


def write_pcap(path, pkts, linktype, gz=False):
    """Classic pcap, nanosecond magic; returns the offset of every record."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, linktype))
    offsets = []
    for ts, data in pkts:
        offsets.append(len(out))
        out += struct.pack("<IIII", ts // 10**9, ts % 10**9, len(data), len(data)) + data
    data = gzip.compress(bytes(out)) if gz else bytes(out)
    open(path, "wb").write(data)
    return offsets


def tcp_of(frame):
    """(sport, dport, seq, flags, payload) of an Ethernet/IPv4/TCP frame, else None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ihl = (frame[14] & 15) * 4
    tot = struct.unpack_from(">H", frame, 16)[0]
    t = 14 + ihl
    sport, dport, seq = struct.unpack_from(">HHI", frame, t)
    doff = (frame[t + 12] >> 4) * 4
    return sport, dport, seq, frame[t + 13], frame[t + doff:14 + tot]


def sanitizer_clean(err):
    """UBSan reports and continues: a report in the capture code fails the
    test; one elsewhere is shown for its owner."""
    for line in err.splitlines():
        if "runtime error:" in line or "Sanitizer" in line:
            mine = "/capture/" in line or "cmd_replay.c" in line or "cmd_capture.c" in line
            check(not mine and "AddressSanitizer" not in line, "sanitizer report:\n" + err)
            print("note: sanitizer report outside capture/: " + line, file=sys.stderr)


def diagtap(*args, timeout=120):
    p = subprocess.run([DIAGTAP] + list(args), capture_output=True, text=True, timeout=timeout)
    sanitizer_clean(p.stderr)
    return p.returncode, p.stdout, p.stderr


def events(stdout):
    return [json.loads(l) for l in stdout.splitlines() if l.strip()]
