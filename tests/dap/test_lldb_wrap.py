#!/usr/bin/python3
"""`diagtap wrap -- lldb-vscode-14` driven by the scripted client.

A small C program is built with gcc -g; the client launches it through the
adapter with a runInTerminal reverse request, stops at a breakpoint, walks
stackTrace/scopes/variables, evaluates, continues to the exit (code 3).
diagtap sits between the client and the adapter (as an IDE would start it)
and writes its timeline as JSON Lines to a file. Asserted: the decoded
timeline (commands, pairing, latency, breakpoint hit, runInTerminal, exit
code), and that the bytes are relayed unchanged both ways: the client's
recording equals what the adapter wrote (a tee between diagtap and the
adapter keeps that), and what the adapter read equals what the client sent.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402


def main():
    peers.need("/usr/bin/lldb-vscode-14", "lldb-14")
    if not peers.has_subcommand("wrap"):
        peers.fail("this diagtap has no 'wrap' command yet")
    d = peers.workdir()
    prog = peers.build_c_prog(d)
    timeline = os.path.join(d, "timeline.jsonl")
    tee = os.path.join(d, "tee")
    rec = os.path.join(d, "client")
    report = peers.run_client([
        "--program", prog, "--arg", "one", "--run-in-terminal",
        "--breakpoint", os.path.join(d, "prog.c") + ":14", "--evaluate", "total * 2", "--bad-evaluate", "no_such_var",
        "--record", rec, "--",
        peers.DIAGTAP, "wrap", "-T", "json", "-o", timeline, "--",
        peers.PY, os.path.join(peers.HERE, "tee_stdio.py"), tee, "/usr/bin/lldb-vscode-14"])
    if report["exit_code"] != 3 or report["evaluate"] != "28":
        peers.fail("the debugging session itself went wrong: %s" % report)

    for mine, theirs, what in (("s2c.bin", "stdout.bin", "adapter output"), ("c2s.bin", "stdin.bin", "client input")):
        a = open(os.path.join(rec, mine), "rb").read()
        b = open(os.path.join(tee, theirs), "rb").read()
        if a != b:
            i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
            peers.fail("%s altered by diagtap wrap: %d vs %d bytes, first difference at %d" % (what, len(a), len(b), i))

    events = peers.read_jsonl(timeline)
    dap = peers.check_dap_timeline(events, ["initialize", "launch", "setBreakpoints", "configurationDone",
                                            "threads", "stackTrace", "scopes", "variables", "evaluate",
                                            "continue", "disconnect"],
                                   exit_code=3, breakpoint_line=14, reverse="runInTerminal")
    # lldb names the hit breakpoint in the description ("breakpoint 1.1"): the
    # summary resolves it to where setBreakpoints put it.
    stopped = [e for e in dap if peers.field(e["fields"], "dap.event") == "stopped"]
    if "hit=1 (prog.c:14)" not in stopped[0]["summary"]:
        peers.fail("stopped summary lacks the hit breakpoint: %s" % stopped[0]["summary"])
    launch = [e for e in dap if e["role"] == "request" and peers.field(e["fields"], "dap.command") == "launch"]
    if "program=" + prog not in launch[0]["summary"]:
        peers.fail("launch summary lacks the program: %s" % launch[0]["summary"])
    # every message the client exchanged is one event, none lost
    n_msgs = len(report["messages"])
    n_pdus = len([e for e in dap if e["kind"] == "pdu"])
    if n_pdus != n_msgs:
        peers.fail("%d DAP messages exchanged but %d decoded" % (n_msgs, n_pdus))
    print("ok: %d DAP events, relay byte-exact both ways" % len(dap))
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
