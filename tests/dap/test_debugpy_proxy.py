#!/usr/bin/python3
"""debugpy through `diagtap proxy tcp`.

The debugpy adapter (`python3 -m debugpy.adapter --port P`) listens; diagtap
proxies 127.0.0.1:Q to it, decoding live into a JSON Lines timeline and
recording with -w; the scripted client connects to Q and launches prog.py
in "integrated terminal" mode (so the adapter sends a runInTerminal reverse
request), breakpoint, stackTrace, scopes, variables, evaluate (one good, one
failing), continue, exit code 3. Asserted: the live timeline, and that
replaying the recording gives the same DAP events.
"""
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402


def dap_view(events):
    """The decoded messages (notes about how the live session ended differ)."""
    return [(e["dir"], e["role"], e["summary"], e["req_seq"] is not None, e["fields"])
            for e in events if e["proto_name"] == "dap" and e["kind"] == "pdu"]


def main():
    if subprocess.run([peers.PY, "-c", "import debugpy"]).returncode != 0:
        peers.fail("python3 cannot import debugpy (Debian package python3-debugpy)")
    if not peers.has_subcommand("proxy"):
        peers.fail("this diagtap has no 'proxy' command yet")
    d = peers.workdir()
    aport, pport = peers.free_port(), peers.free_port()
    timeline = os.path.join(d, "timeline.jsonl")
    pcap = os.path.join(d, "proxy.pcapng")
    adapter = subprocess.Popen([peers.PY, "-m", "debugpy.adapter", "--host", "127.0.0.1", "--port", str(aport)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = None
    try:
        peers.wait_port(aport, proc=adapter)
        proxy = subprocess.Popen([peers.DIAGTAP, "proxy", "tcp", "127.0.0.1:%d" % pport, "127.0.0.1:%d" % aport,
                                  "-T", "json", "-o", timeline, "-w", pcap],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        peers.wait_port(pport, proc=proxy)
        report = peers.run_client(["--tcp", "127.0.0.1:%d" % pport, "--adapter-id", "debugpy", "--run-in-terminal",
                                   "--program", os.path.join(d, "prog.py"), "--arg", "x",
                                   "--breakpoint", os.path.join(d, "prog.py") + ":12", "--evaluate", "total * 2",
                                   "--bad-evaluate", "no_such_var"])
    finally:
        if proxy is not None:
            rc = peers.stop(proxy, sig=signal.SIGTERM)
        peers.stop(adapter)
    if report["exit_code"] != 3 or report["evaluate"] != "28":
        peers.fail("the debugging session itself went wrong: %s" % report)
    if rc not in (0, -signal.SIGTERM, 128 + signal.SIGTERM):
        peers.fail("diagtap proxy exited %s: %s" % (rc, proxy.stderr.read()))

    live = peers.read_jsonl(timeline)
    peers.check_dap_timeline(live, ["initialize", "launch", "setBreakpoints", "configurationDone", "threads",
                                    "stackTrace", "scopes", "variables", "evaluate", "continue"],
                             exit_code=3, breakpoint_line=12, reverse="runInTerminal")
    if os.stat(pcap).st_mode & 0o077:
        peers.fail("recording %s is readable by others" % pcap)
    r = subprocess.run([peers.DIAGTAP, "replay", pcap, "-T", "json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    if r.returncode != 0:
        peers.fail("replay of the proxy's recording exited %d: %s" % (r.returncode, r.stderr))
    replayed = peers.read_jsonl(r.stdout, from_text=True)
    if dap_view(replayed) != dap_view(live):
        a, b = dap_view(live), dap_view(replayed)
        diff = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        peers.fail("replayed recording differs from the live timeline at DAP event %d: %s vs %s"
                   % (diff, a[diff] if diff < len(a) else None, b[diff] if diff < len(b) else None))
    print("ok: %d DAP events live and replayed" % len(dap_view(live)))
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
