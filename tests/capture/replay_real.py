#!/usr/bin/python3
"""diagtap replay on real loopback captures (dumpcap, socat, Python peers),
the same capture reordered, duplicated, with a lost segment, gzip-compressed,
truncated, split and merged; and on the shared corpus (KDNET pcapng.gz,
nettrace files)."""
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import struct
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from captest import *  # noqa: E402,F401,F403

N = 40
tmp = tempfile.mkdtemp(prefix="diagtap-replay-")
print("files in " + tmp)
la, lb, ls = listener(), listener(), listener()
pa, pb, ps = port_of(la), port_of(lb), port_of(ls)
cap = os.path.join(tmp, "lo.pcapng")

# --- a real capture: two concurrent request/response conversations and a socat transfer
socat_lines = [b"socat line %d %s\n" % (i, b"y" * (i % 150)) for i in range(300)]
src = os.path.join(tmp, "lines.txt")
open(src, "wb").writelines(socat_lines)
with Dumpcap(cap, "tcp port %d or tcp port %d or tcp port %d" % (pa, pb, ps)):
    received = []
    t = line_server(ls, respond=False, out=received)
    subprocess.run(["socat", "-u", "FILE:" + src, "TCP:127.0.0.1:%d" % ps], check=True, timeout=30)
    t.join(10)
    check(received == socat_lines, "socat transfer incomplete")
    threads = [threading.Thread(target=exchange, args=(srv, N)) for srv in (la, lb)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)

common = ["--plugin-dir", PLUGIN_DIR, "-T", "json"] + sum((["-d", "%d=lines" % p] for p in (pa, pb, ps)), [])


def replay(*files, expect_rc=0):
    rc, out, err = diagtap("replay", *common, *files)
    check(rc == expect_rc, "replay %s: rc %d (want %d): %s" % (files, rc, expect_rc, err))
    return events(out), err


def by_conv(evs):
    convs = collections.defaultdict(list)
    for e in evs:
        if e["conv"]:
            convs[e["conv"]["server"]].append(e)
    return convs


def check_complete(evs, what):
    convs = by_conv(evs)
    errors = [e["summary"] for e in evs if e["kind"] == "error"]
    check(not errors, "%s: errors %s" % (what, errors))
    for p in (pa, pb):
        c = convs["127.0.0.1:%d" % p]
        reqs = [e for e in c if e["kind"] == "pdu" and e["summary"].startswith("line REQ")]
        rsps = [e for e in c if e["kind"] == "pdu" and e["summary"].startswith("line RSP")]
        check([e["summary"] for e in reqs] == ["line REQ %d" % i for i in range(N)], "%s: requests on %d" % (what, p))
        check(all(e["dir"] == "c2s" for e in reqs) and all(e["dir"] == "s2c" for e in rsps), what + ": directions")
        check(len(rsps) == N and all(e["req_seq"] for e in rsps), "%s: responses paired on %d" % (what, p))
        check(not [e for e in c if e["kind"] == "pending"], what + ": unanswered requests")
        bulk = [e for e in c if e["summary"].startswith("line DATA")]
        check(len(bulk) == N and all(e["raw_len"] == 1006 for e in bulk), what + ": bulk lines")
        check(c[0]["conv"]["client"].startswith("127.0.0.1:"), what + ": client")
    s = [e["summary"] for e in convs["127.0.0.1:%d" % ps] if e["kind"] == "pdu"]
    want = ["line " + l.decode().rstrip("\n") for l in socat_lines]
    check(s == want, "%s: socat transfer: %d of %d lines" % (what, len(s), len(want)))


def key(evs):
    return [(e["conv"]["server"] if e["conv"] else None, e["dir"], e["kind"], e["summary"]) for e in evs]


orig, _ = replay(cap)
check_complete(orig, "original capture")
print("original: %d events" % len(orig))

# --- the same frames as classic pcap (ns), gzip-compressed
pkts, ifaces = read_pcapng(cap)
check(ifaces[0][0] == 1, "lo is Ethernet")
frames = [(p[0], p[2]) for p in pkts]
pcap_gz = os.path.join(tmp, "lo.pcap.gz")
write_pcap(pcap_gz, frames, 1, gz=True)
evs, _ = replay(pcap_gz)
check(key(evs) == key(orig), "pcap.gz gives other events")

# --- reordered and duplicated segments: the same messages in the same order
data_idx = [i for i, (ts, f) in enumerate(frames[:-1]) if (tcp_of(f) or (0, 0, 0, 0, b""))[4]]
check(len(data_idx) > 50, "enough data segments")
order = list(range(len(frames)))
for i in data_idx[::7]:          # a data segment swapped with the frame after it
    order[i], order[i + 1] = order[i + 1], order[i]
dups = set(data_idx[3::5])       # others retransmitted two frames later
mangled, pending = [], []
for i in order:
    mangled.append(frames[i])
    mangled += [frames[j] for j, age in pending if age == 1]
    pending = [(j, age + 1) for j, age in pending if age < 1]
    if i in dups:
        pending.append((i, 0))
mangled += [frames[j] for j, _ in pending]
check(len(mangled) == len(frames) + len(dups), "mangling")
mangled_path = os.path.join(tmp, "mangled.pcap")
write_pcap(mangled_path, mangled, 1)
evs, _ = replay(mangled_path)
check_complete(evs, "reordered+duplicated")
s_orig = sorted((k[0], k[1], k[3]) for k in key(orig))
check(sorted((k[0], k[1], k[3]) for k in key(evs)) == s_orig, "reordered+duplicated: other messages")

# --- a lost segment: a gap event, then decoding resumes
req_segs = [i for i in data_idx if tcp_of(frames[i][1])[1] == pa and tcp_of(frames[i][1])[4].startswith(b"REQ")]
victim = req_segs[len(req_segs) // 2]  # a request in the middle of the conversation
lost = frames[:victim] + frames[victim + 1:]
lost_path = os.path.join(tmp, "lost.pcap")
write_pcap(lost_path, lost, 1)
evs, _ = replay(lost_path)
gaps = [e for e in evs if e["kind"] == "error"]
check(len(gaps) == 1 and "missing %d bytes" % len(tcp_of(frames[victim][1])[4]) in gaps[0]["summary"]
      and gaps[0]["conv"]["server"] == "127.0.0.1:%d" % pa and gaps[0]["dir"] == "c2s", "lost segment: %s" % gaps)
reqs = [e["summary"] for e in evs if e["conv"] and e["conv"]["server"] == "127.0.0.1:%d" % pa
        and e["summary"].startswith("line REQ")]
check("line REQ %d" % (N - 1) in reqs and len(reqs) >= N - 2, "lost segment: no resync: %s" % reqs[-3:])

# --- truncated inside a record: the error names the file and offset, what came before is kept
offsets = write_pcap(os.path.join(tmp, "full.pcap"), frames, 1)
cut_rec = len(offsets) * 2 // 3
trunc = os.path.join(tmp, "trunc.pcap")
open(trunc, "wb").write(open(os.path.join(tmp, "full.pcap"), "rb").read()[:offsets[cut_rec] + 20])
evs, err = replay(trunc, expect_rc=1)
lines = [l for l in err.splitlines() if l.strip()]
check(len(lines) == 1 and trunc in lines[0] and "offset %d:" % offsets[cut_rec] in lines[0], "truncated: %r" % err)
check(len(evs) > 10 and key(evs)[:10] == key(orig)[:10], "truncated: the events before the cut")
print("truncated: " + lines[0])

# --- two files merged by timestamp
f1 = [f for f in frames if (tcp_of(f[1]) or (0, 0))[0:2].count(pa)]
f2 = [f for f in frames if not (tcp_of(f[1]) or (0, 0))[0:2].count(pa)]
p1, p2 = os.path.join(tmp, "a.pcap"), os.path.join(tmp, "b.pcapng")
write_pcap(p1, f1, 1)
write_pcap(p2 + ".tmp", f2, 1)
subprocess.run(["editcap", "-F", "pcapng", p2 + ".tmp", p2], check=True)  # a pcapng written by Wireshark's tools
evs, _ = replay(p2, p1)
check_complete(evs, "merged")
ts = [e["ts_ns"] for e in evs if e["kind"] == "pdu"]
check(ts == sorted(ts), "merged: not in time order")
check(sorted((k[0], k[1], k[3]) for k in key(evs)) == s_orig, "merged: other messages")

# --- the shared corpus: a real KDNET session (pcapng.gz, UDP)
import dtcorpus  # noqa: E402
import sys  # noqa: E402
if not dtcorpus.have("kdnet", "windbg-uncut.pcapng.gz"):
    dtcorpus.skip_line("kdnet", "windbg-uncut.pcapng.gz")  # the rest needs the corpus
    print("ok (without the corpus part)")
    sys.exit(0)
kd = dtcorpus.path("kdnet", "windbg-uncut.pcapng.gz")
rc, out, err = diagtap("replay", "--plugin-dir", PLUGIN_DIR, "-T", "json", "-d", "51111=lines", kd)
check(rc == 0, "kdnet: " + err)
evs = [e for e in events(out) if e["kind"] == "pdu"]
want = collections.Counter()
for ln in subprocess.run(["tshark", "-r", kd, "-T", "fields", "-e", "ip.src"], capture_output=True,
                         text=True, check=True).stdout.split():
    want[ln] += 1
first = evs[0]["conv"]["client"].split(":")[0]
got = collections.Counter(e["dir"] for e in evs)
check(len(evs) == 955 and got["c2s"] == want[first] and sum(want.values()) == 955,
      "kdnet datagrams: %s vs %s" % (got, want))

# --- nettrace files: replayed as one stream, every byte of the file fed (seen in the recording)
for name in sorted(os.listdir(dtcorpus.path("nettrace"))):
    if not name.endswith(".nettrace"):
        continue
    path = dtcorpus.path("nettrace", name)
    rec = os.path.join(tmp, name + ".pcapng")
    rc, out, err = diagtap("replay", "-w", rec, path)
    check(rc == 0, "nettrace %s: %s" % (name, err))
    rpk, rif = read_pcapng(rec)
    total = 0
    for ts, lt, data, flags in rpk:
        check(lt == 252, "nettrace recorded as exported PDUs")
        off = 0
        while True:
            tag, ln = struct.unpack_from(">HH", data, off)
            off += 4 + ((ln + 3) & ~3)
            if tag == 0:
                break
        total += len(data) - off
    check(total == os.path.getsize(path), "nettrace %s: %d of %d bytes" % (name, total, os.path.getsize(path)))

# --- raw dumps: client-to-server first, then server-to-client; recorded and replayed the same
rin, rout, rrec = (os.path.join(tmp, n) for n in ("in.bin", "out.bin", "raw.pcapng"))
open(rin, "wb").write(b"".join(b"REQ %d\n" % i for i in range(5)) + b"tail without newline")
open(rout, "wb").write(b"".join(b"RSP %d\n" % i for i in range(4)))
rc, out, err = diagtap("replay", "--plugin-dir", PLUGIN_DIR, "-T", "json", "--raw-in", rin, "--raw-out", rout,
                       "-d", "lines", "-w", rrec)
check(rc == 0, "raw dumps: " + err)
evs = events(out)
pdus = [(e["dir"], e["summary"]) for e in evs if e["kind"] == "pdu"]
check(pdus == [("c2s", "line REQ %d" % i) for i in range(5)] + [("s2c", "line RSP %d" % i) for i in range(4)],
      "raw dumps: %s" % pdus)
check(sum(1 for e in evs if e["kind"] == "pending") == 1, "raw dumps: REQ 4 unanswered")
check(any("tail without newline" in e["summary"] or e["kind"] == "error" for e in evs), "raw dumps: the partial tail")
rc, out2, err = diagtap("replay", "--plugin-dir", PLUGIN_DIR, "-T", "json", rrec)
check(rc == 0, "raw recording: " + err)
strip = lambda es: [{k: v for k, v in e.items() if k not in ("input", "seq")} for e in es]
check(strip(events(out2)) == strip(evs), "raw dumps: the recording replays to other events")
rc, out, err = diagtap("replay", "--raw-in", os.path.join(tmp, "nonexistent.bin"), "-d", "lines",
                       "--plugin-dir", PLUGIN_DIR)
check(rc != 0 and "nonexistent.bin" in err and len(err.strip().splitlines()) == 1, "raw dump missing: %r" % err)

# --- progress on a terminal for inputs over 64 MiB, nothing when stderr is not one
import pty  # noqa: E402
big = os.path.join(tmp, "big.pcap")
with open(big, "wb") as fh:
    fh.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
    rec = struct.pack("<IIII", 1, 0, 1414, 1414) + bytes(1414)
    fh.write(rec * 48000)
master, slave = pty.openpty()
p = subprocess.Popen([DIAGTAP, "replay", big], stdout=subprocess.DEVNULL, stderr=slave)
os.close(slave)
tty_err = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    tty_err += chunk
p.wait(timeout=60)
os.close(master)
check(p.returncode == 0 and b"\rdiagtap: reading" in tty_err and b"%" in tty_err and tty_err.endswith(b"\r\x1b[K"),
      "progress on a terminal: %r" % tty_err[:200])
rc, out, err = diagtap("replay", big)
check(rc == 0 and err == "", "progress without a terminal: %r" % err[:200])
os.unlink(big)

shutil.rmtree(tmp)  # kept when a check fails, for a look
print("ok")
