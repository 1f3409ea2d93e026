"""Helpers shared by the ipc integration tests: running diagtap, waiting for
its proxies, reading what a pcapng recording holds per direction."""
import atexit
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time

DIAGTAP = os.environ.get("DIAGTAP", "diagtap")
SANITIZED = os.environ.get("DIAGTAP_SANITIZED", "") not in ("", "0")


# Every process a test starts, killed when the test ends however it ends,
# so a failing test never leaves a peer holding the runner's pipes.
PROCS = []


def _kill_all():
    for p in PROCS:
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(_kill_all)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def workdir(tag):
    # Unix socket paths must stay short (108 bytes): keep them in /tmp.
    return tempfile.mkdtemp(prefix="dt-%s-" % tag, dir="/tmp")


class Diagtap:
    """A running diagtap, its timeline and its stderr in files."""

    def __init__(self, args, wd, name="diagtap", **kw):
        self.out_path = os.path.join(wd, name + ".out")
        self.err_path = os.path.join(wd, name + ".err")
        self.out = open(self.out_path, "wb")
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([DIAGTAP] + args, stdout=self.out, stderr=self.err, **kw)
        PROCS.append(self.proc)

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def timeline(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_listening(self, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if "listening on" in self.stderr():
                return
            if self.proc.poll() is not None:
                fail("diagtap exited early (%s): %s" % (self.proc.returncode, self.stderr()))
            time.sleep(0.02)
        fail("diagtap did not start listening: " + self.stderr())

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("diagtap did not stop within %ds after signal %d" % (timeout, sig))
        self.out.close()
        self.err.close()
        return rc

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def listen_port(dt):
    """The port a 'tcp 127.0.0.1:0 ...' proxy got, from its stderr line."""
    for line in dt.stderr().splitlines():
        if "listening on" in line:
            addr = line.split("listening on ", 1)[1].split(",", 1)[0]
            return int(addr.rsplit(":", 1)[1])
    fail("no listening line: " + dt.stderr())


# ---- pcapng: enough to get every recorded byte back, per interface and direction.

LINKTYPE_WIRESHARK_UPPER_PDU = 252


def _exported_pdu_payload(data, where):
    """Skips the exported-PDU tags (big-endian type, length, value padded to
    4 bytes, ended by tag 0) and returns the payload."""
    off = 0
    while True:
        if off + 4 > len(data):
            fail("%s: exported PDU tags run past the packet" % where)
        tag, length = struct.unpack_from(">HH", data, off)
        off += 4
        if tag == 0:
            return data[off:]
        off += (length + 3) & ~3


def read_pcapng(path, on_chunk):
    """Calls on_chunk(interface_name, direction, payload) for every packet;
    direction is 'c2s' (EPB inbound flag), 's2c' (outbound) or None.
    Returns the number of packets."""
    n = 0
    with open(path, "rb") as f:
        endian = "<"
        ifaces = []
        while True:
            head = f.read(8)
            if not head:
                return n
            check(len(head) == 8, "%s: truncated block header at %d" % (path, f.tell() - len(head)))
            btype = struct.unpack("<I", head[:4])[0]
            if btype == 0x0A0D0D0A:
                bom = f.read(4)
                endian = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
                blen = struct.unpack(endian + "I", head[4:])[0]
                body = bom + f.read(blen - 12)
                ifaces = []
            else:
                btype, blen = struct.unpack(endian + "II", head)
                body = f.read(blen - 8)
            check(len(body) == blen - 8 if btype != 0x0A0D0D0A else True, "%s: truncated block" % path)
            body = body[:-4]  # trailing length
            if btype == 1:  # IDB
                linktype = struct.unpack_from(endian + "H", body, 0)[0]
                name = ""
                off = 8
                while off + 4 <= len(body):
                    code, olen = struct.unpack_from(endian + "HH", body, off)
                    if code == 0:
                        break
                    if code == 2:
                        name = body[off + 4:off + 4 + olen].decode("utf-8", "replace")
                    off += 4 + ((olen + 3) & ~3)
                ifaces.append((linktype, name))
            elif btype == 6:  # EPB
                iface, _th, _tl, caplen, _orig = struct.unpack_from(endian + "IIIII", body, 0)
                data = body[20:20 + caplen]
                off = 20 + ((caplen + 3) & ~3)
                flags = 0
                while off + 4 <= len(body):
                    code, olen = struct.unpack_from(endian + "HH", body, off)
                    if code == 0:
                        break
                    if code == 2 and olen == 4:
                        flags = struct.unpack_from(endian + "I", body, off + 4)[0]
                    off += 4 + ((olen + 3) & ~3)
                check(iface < len(ifaces), "%s: EPB for unknown interface %d" % (path, iface))
                linktype, name = ifaces[iface]
                if linktype == LINKTYPE_WIRESHARK_UPPER_PDU:
                    data = _exported_pdu_payload(data, path)
                d = {1: "c2s", 2: "s2c"}.get(flags & 3)
                on_chunk(name, d, data)
                n += 1


def tshark_reads(path):
    """tshark reads the file to its end without complaint: returns the packet count."""
    r = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-e", "frame.number"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    err = r.stderr.decode("utf-8", "replace")
    check(r.returncode == 0, "tshark -r %s failed (%d): %s" % (path, r.returncode, err))
    check("cut short" not in err and "appears to be damaged" not in err, "tshark: %s" % err)
    return len(r.stdout.split())


PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer.py")


def start_peer(*args):
    """Starts peer.py and waits for its "ready" line; returns (proc, words after ready)."""
    p = subprocess.Popen(["/usr/bin/python3", PEER] + [str(a) for a in args], stdout=subprocess.PIPE)
    PROCS.append(p)
    line = p.stdout.readline().decode()
    check(line.startswith("ready"), "peer %s did not start" % (args,))
    return p, line.split()[1:]


def json_events(text):
    import json
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
