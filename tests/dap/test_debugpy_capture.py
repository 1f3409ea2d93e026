#!/usr/bin/python3
"""debugpy captured on loopback, then replayed.

`python3 -m debugpy --listen 127.0.0.1:PORT --wait-for-client prog.py` is
debugged by the scripted client (attach, breakpoint, stackTrace, scopes,
variables, evaluate, continue) while `diagtap capture -i lo` records the
port to a pcapng (dumpcap while this build has no capture command); then
`diagtap replay FILE -T json` must show the session: the commands, each
response paired with its request (request_seq) with a latency, the
breakpoint hit and the end of the debuggee. An attached debugpy sends no
exited event, so there is no exit code to check here.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402


def main():
    peers.need(peers.PY, "python3")
    if subprocess.run([peers.PY, "-c", "import debugpy"]).returncode != 0:
        peers.fail("python3 cannot import debugpy (Debian package python3-debugpy)")
    d = peers.workdir()
    port = peers.free_port()
    pcap = os.path.join(d, "debugpy.pcapng")
    if peers.has_subcommand("capture"):
        cmd = [peers.DIAGTAP, "capture", "-i", "lo", "-f", "tcp port %d" % port, "-w", pcap]
    else:
        peers.need("dumpcap", "wireshark-common")
        cmd = ["dumpcap", "-q", "-i", "lo", "-f", "tcp port %d" % port, "-w", pcap]
    cap = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if not peers.wait_capturing(cap):
        peers.stop(cap)
        peers.fail("capture did not start: %s" % cap.stderr.read())
    dbg = subprocess.Popen([peers.PY, "-m", "debugpy", "--listen", "127.0.0.1:%d" % port, "--wait-for-client",
                            os.path.join(d, "prog.py")], cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        peers.wait_port(port, proc=dbg)
        report = peers.run_client(["--tcp", "127.0.0.1:%d" % port, "--mode", "attach", "--adapter-id", "debugpy",
                                   "--breakpoint", os.path.join(d, "prog.py") + ":12", "--evaluate", "total * 2",
                                   "--bad-evaluate", "no_such_var"])
        dbg.wait(timeout=30)
    finally:
        peers.stop(dbg)
        time.sleep(0.5)
        peers.stop(cap, sig=2)  # SIGINT: finish the file
    if report["stopped"].get("reason") != "breakpoint" or report["evaluate"] != "28":
        peers.fail("the debugging session itself went wrong: %s" % report)

    r = subprocess.run([peers.DIAGTAP, "replay", pcap, "-T", "json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    if r.returncode != 0:
        peers.fail("diagtap replay exited %d: %s" % (r.returncode, r.stderr))
    events = peers.read_jsonl(r.stdout, from_text=True)
    dap = peers.check_dap_timeline(events, ["initialize", "attach", "setBreakpoints", "configurationDone",
                                            "threads", "stackTrace", "scopes", "variables", "evaluate",
                                            "continue"], exit_code=None, breakpoint_line=12)
    bad = [e for e in dap if e["role"] == "response" and e["is_error"]]
    if not bad or "NameError" not in bad[0]["summary"] or "NameError" not in (bad[0]["status"] or ""):
        peers.fail("the failing evaluate is not shown as an error with its message")
    # the conversation is the TCP connection to the listening port
    if not all(e["conv"] and e["conv"]["server"].endswith(":%d" % port) for e in dap):
        peers.fail("DAP events not attributed to the connection to port %d" % port)
    print("ok: %d DAP events, %d requests paired" % (len(dap), len([e for e in dap if e["role"] == "response"])))
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
