"""wrap: stdout byte-exact (binary), stdin relayed, the timeline kept out of
stdout, the exit status (and 128+signal) passed on, stderr relayed and on the
timeline as lines, SIGTERM/SIGINT/SIGHUP forwarded to the command."""
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ipctest import DIAGTAP, check, json_events, read_pcapng, workdir  # noqa: E402

PY = "/usr/bin/python3"


def run(args, stdin=b"", timeout=60):
    r = subprocess.run([DIAGTAP, "wrap"] + args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")


def binary_stdout(wd):
    data = bytes(range(256)) * 4 + random.randbytes(8 << 20)
    src = os.path.join(wd, "data.bin")
    with open(src, "wb") as f:
        f.write(data)
    code = "import sys; sys.stdout.buffer.write(open(%r,'rb').read())" % src
    rc, out, err = run(["--", PY, "-c", code])
    check(rc == 0, "exit %d: %s" % (rc, err[-500:]))
    check(out == data, "stdout differs: %d bytes, expected %d" % (len(out), len(data)))
    # the timeline went to stderr and says how much was relayed
    check("python3" in err, "no timeline on stderr")

    tl = os.path.join(wd, "cat.jsonl")
    rec = os.path.join(wd, "cat.pcapng")
    rc, out, err = run(["-T", "json", "-o", tl, "-w", rec, "--", "cat"], stdin=data)
    check(rc == 0, "cat exit %d: %s" % (rc, err))
    check(out == data, "cat: stdout differs from stdin (%d of %d bytes)" % (len(out), len(data)))
    ev = json_events(open(tl).read())
    conv = next(e["conv"] for e in ev if e["conv"])
    check(conv["client"] == "ide" and conv["server"] == "cat", "conversation %s" % conv)
    for d in ("c2s", "s2c"):
        n = sum(e["raw_len"] for e in ev if e["kind"] == "pdu" and e["dir"] == d)
        # On a loaded machine the decoder may fall behind the relay: those
        # bytes are relayed and recorded, and the timeline says how many were
        # not decoded. Every byte is either on the timeline or accounted for.
        behind = 0
        for e in ev:
            m = re.match(r"decoder behind: (\d+) bytes not decoded", e.get("summary") or "")
            if m and e["dir"] == d:
                behind += int(m.group(1))
        check(n + behind == len(data), "%s: %d bytes on the timeline and %d reported not decoded, expected %d"
              % (d, n, behind, len(data)))
    # -w: both directions recorded losslessly, with their direction
    recorded = {"c2s": bytearray(), "s2c": bytearray()}

    def on_chunk(iface, d, chunk):
        check(d in recorded, "a recorded chunk without direction on %s" % iface)
        recorded[d] += chunk

    read_pcapng(rec, on_chunk)
    for d in ("c2s", "s2c"):
        check(bytes(recorded[d]) == data, "%s: recording holds %d bytes, not what was relayed" % (d, len(recorded[d])))
    check(os.stat(rec).st_mode & 0o777 == 0o600, "recording is not 0600")
    print("binary stdout ok (%d bytes, recorded both ways)" % len(data))


def exit_status():
    rc, _, _ = run(["--", "sh", "-c", "exit 42"])
    check(rc == 42, "exit 42 became %d" % rc)
    rc, _, _ = run(["--", "sh", "-c", "kill -SEGV $$"])
    check(rc == 128 + signal.SIGSEGV, "death by SIGSEGV became %d" % rc)
    rc, _, err = run(["--", "/nonexistent/adapter"])
    check(rc == 127 and "/nonexistent/adapter" in err, "missing command: %d %s" % (rc, err))
    print("exit status ok")


def stderr_lines(wd):
    tl = os.path.join(wd, "err.jsonl")
    code = "import sys; sys.stderr.write('first line\\nsecond: \\u00e9t\\u00e9\\npartial'); print('out')"
    rc, out, err = run(["-T", "json", "-o", tl, "--", PY, "-c", code])
    check(rc == 0, "exit %d" % rc)
    check(out == b"out\n", "stdout %r" % out)
    check(err == "first line\nsecond: \u00e9t\u00e9\npartial", "stderr not relayed as is: %r" % err)
    notes = [e["summary"] for e in json_events(open(tl).read()) if e["kind"] == "note"]
    for want in ("stderr: first line", "stderr: second: \u00e9t\u00e9", "stderr: partial"):
        check(want in notes, "%r not on the timeline: %s" % (want, notes))
    print("stderr lines ok")


def signals(wd):
    code = ("import signal, sys, time\n"
            "def h(n, f):\n"
            "    print('got', n, flush=True); sys.exit(3)\n"
            "for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP): signal.signal(s, h)\n"
            "print('ready', flush=True)\n"
            "time.sleep(30)\n")
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        p = subprocess.Popen([DIAGTAP, "wrap", "--", PY, "-c", code], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        check(p.stdout.readline() == b"ready\n", "child did not start")
        t0 = time.time()
        p.send_signal(sig)
        out = p.stdout.read()
        rc = p.wait(20)
        check(out == b"got %d\n" % sig, "signal %d not forwarded: %r" % (sig, out))
        check(rc == 3, "exit %d after signal %d" % (rc, sig))
        check(time.time() - t0 < 10, "too slow to stop")
    print("signals ok")


def main():
    wd = workdir("wrap")
    binary_stdout(wd)
    exit_status()
    stderr_lines(wd)
    signals(wd)
    shutil.rmtree(wd)
    print("ok")


main()
