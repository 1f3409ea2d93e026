"""KD over a Hyper-V-style COM pipe: the mingw pipe_peer plays the VM's
pipe (target) and WinDbg (host), replaying in lockstep the same KD packets
with KDCOM framing, garbage and break-in that the Linux test
tests/kd/kd_serial_proxy.py sends through `proxy unix`, here through
`diagtap.exe proxy pipe`. The KD events must be those of the Linux build's
replay of the KDNET corpus capture."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "kd"))
import kdoracle  # noqa: E402
from kd_serial_proxy import GARBAGE, kd_summaries, session  # noqa: E402
from wintest import DIAGTAP, PEER, Workdir, boot, check, fail, linux_diagtap, skip, winpath  # noqa: E402


def main():
    if not os.path.exists(kdoracle.CAPTURE):
        skip("corpus not found at %s" % os.path.dirname(os.path.dirname(kdoracle.CAPTURE)))
    boot()
    # The reference: the Linux build's decode of the KDNET corpus capture
    # (decrypted with libgcrypt; win_decrypt.py checks the Windows build's
    # own decryption of it).
    lin = linux_diagtap()
    if not lin:
        skip("no Linux build to decode the reference (DIAGTAP_LINUX)")
    r = subprocess.run([lin, "replay", kdoracle.CAPTURE, "-T", "json", "--kdnet-key", "8.8.8.8"],
                       capture_output=True, timeout=300)
    want_lin = kd_summaries(json.loads(l) for l in r.stdout.decode().splitlines() if l.strip())
    check(r.returncode == 0 and len(want_lin) == 526, "Linux replay of the KDNET capture: %d KD packets: %s"
          % (len(want_lin), r.stderr.decode()))

    steps = session(garbage_every=50)
    with Workdir() as wd:
        script = os.path.join(wd.path, "kd.script")
        with open(script, "w") as f:
            for from_host, _kind, data in steps:
                f.write("%s %s\n" % ("h" if from_host else "t", data.hex()))
        target, front = r"\\.\pipe\dt-test-com1", r"\\.\pipe\dt-test-windbg"
        vm = wd.run("vm", [PEER, "server", target, "script:%s:t" % winpath(script)])
        vm.wait_text("ready", "out")
        dt = wd.run("diagtap", [DIAGTAP, "proxy", "-T", "json", "pipe", front, target])
        dt.wait_text("listening on")
        dbg = wd.run("windbg", [PEER, "client", front, "script:%s:h" % winpath(script)])
        check(dbg.wait(300) == 0, "debugger side: " + dbg.text() + dbg.text("err"))
        check("script ok %d" % len(steps) in vm.text(), "target side: " + vm.text())
        check(dt.stop() == 0, "proxy exit after Ctrl+C: " + dt.text("err"))
        events = [json.loads(l) for l in dt.text().splitlines() if l.strip()]

    got = kd_summaries(events)
    if got != want_lin:
        for i, (a, b) in enumerate(zip(want_lin, got)):
            if a != b:
                fail("KD event %d differs:\n  KDNET:  %s\n  pipe:   %s" % (i, a, b))
        fail("%d KD events over the pipe, %d in the KDNET capture" % (len(got), len(want_lin)))
    n_garbage = sum(1 for s in steps if s[1] == "garbage")
    resyncs = [e for e in events if e["kind"] == "note" and "resynchronised" in e["summary"]]
    check(len(resyncs) == n_garbage, "%d resync notes for %d garbage runs" % (len(resyncs), n_garbage))
    check(all(("skipped %d bytes" % len(GARBAGE)) in e["summary"] for e in resyncs), "resync skipped the wrong bytes")
    breakins = [e for e in events if "kd_serial.breakin" in e["fields"]]
    check(len(breakins) == 1, "%d break-in events" % len(breakins))
    check(not [e for e in events if e.get("malformed")], "malformed events over the pipe")
    print("ok: %d KD events through proxy pipe, as the Linux build's decode of the KDNET capture; %d resyncs, 1 break-in"
          % (len(got), len(resyncs)))


if __name__ == "__main__":
    main()
