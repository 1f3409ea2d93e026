"""KD over a VM's serial socket: a target peer (like QEMU's `-serial
unix:PATH,server`) and a debugger peer replay the KD packets of the real
KDNET capture with KDCOM framing through `diagtap proxy unix`. The relayed
bytes must arrive unchanged, the timeline must hold the same KD events as
`diagtap replay` of the KDNET capture, and garbage inserted between packets
must be skipped with a resync note."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from kdoracle import CAPTURE, DIAGTAP, check, decrypt_capture, fail

GARBAGE = b"\r\nBOOTMGR: press b to 000 continue iii\xff\xfe\x00\x30\x30\x69"


def session(garbage_every):
    """[(from_host, kind, bytes)] in capture order."""
    pkts, _ = decrypt_capture()
    out, n, breakin = [], 0, False
    for p in pkts:
        if p.kd is None:
            continue
        if garbage_every and n and n % garbage_every == 0:
            out.append((p.from_host, "garbage", GARBAGE))
        if p.from_host and not breakin and p.kd[4] == 2:
            out.append((True, "breakin", b"b"))
            breakin = True
        out.append((p.from_host, "packet", p.kd + (b"\xaa" if p.kd[:4] == b"0000" else b"")))
        n += 1
    return out


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            fail("peer closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def kd_summaries(events):
    return [e["summary"] for e in events if e["kind"] == "pdu" and "kd.packet" in e["fields"]]


def main():
    r = subprocess.run([DIAGTAP, "replay", CAPTURE, "-T", "json", "--kdnet-key", "8.8.8.8"], capture_output=True,
                       timeout=120)
    check(r.returncode == 0, "replay failed: %s" % r.stderr.decode(errors="replace"))
    want = kd_summaries(json.loads(l) for l in r.stdout.decode().splitlines() if l.strip())
    check(len(want) == 526, "replay showed %d KD packets" % len(want))

    steps = session(garbage_every=50)
    wd = tempfile.mkdtemp(prefix="dt-kd-", dir="/tmp")
    try:
        target_path, front = os.path.join(wd, "com1"), os.path.join(wd, "front")
        vm = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        vm.bind(target_path)
        vm.listen(1)
        out, err = open(os.path.join(wd, "out"), "wb"), open(os.path.join(wd, "err"), "wb")
        dt = subprocess.Popen([DIAGTAP, "proxy", "-T", "json", "unix", front, target_path], stdout=out, stderr=err)
        end = time.time() + 20
        while not os.path.exists(front):
            if dt.poll() is not None or time.time() > end:
                fail("proxy did not start: " + open(os.path.join(wd, "err")).read())
            time.sleep(0.02)
        dbg = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        dbg.connect(front)
        tgt, _ = vm.accept()
        for from_host, _kind, data in steps:
            src, dst = (dbg, tgt) if from_host else (tgt, dbg)
            src.sendall(data)
            got = recv_exact(dst, len(data))  # lockstep, as KD itself is
            check(got == data, "relayed bytes altered")
        dbg.close()
        tgt.close()
        time.sleep(0.2)
        dt.send_signal(signal.SIGTERM)
        rc = dt.wait(30)
        out.close()
        err.close()
        check(rc == 0, "proxy exited %d: %s" % (rc, open(os.path.join(wd, "err")).read()))
        events = [json.loads(l) for l in open(os.path.join(wd, "out")) if l.strip()]
    finally:
        shutil.rmtree(wd, ignore_errors=True)

    got = kd_summaries(events)
    if got != want:
        for i, (a, b) in enumerate(zip(want, got)):
            if a != b:
                fail("KD event %d differs:\n  KDNET:  %s\n  serial: %s" % (i, a, b))
        fail("%d KD events over the proxy, %d in the KDNET capture" % (len(got), len(want)))
    n_garbage = sum(1 for s in steps if s[1] == "garbage")
    resyncs = [e for e in events if e["kind"] == "note" and "resynchronised" in e["summary"]]
    check(len(resyncs) == n_garbage, "%d resync notes for %d garbage runs" % (len(resyncs), n_garbage))
    check(all(("skipped %d bytes" % len(GARBAGE)) in e["summary"] for e in resyncs), "resync skipped the wrong bytes")
    breakins = [e for e in events if "kd_serial.breakin" in e["fields"]]
    check(len(breakins) == 1, "%d break-in events" % len(breakins))
    check(not [e for e in events if e.get("malformed")], "malformed events over the proxy")
    print("ok: %d KD events through the proxy, %d resyncs, 1 break-in" % (len(got), len(resyncs)))


if __name__ == "__main__":
    main()
