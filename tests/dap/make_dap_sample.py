#!/usr/bin/python3
"""make_dap_sample.py OUT.pcapng: records a DAP session for the bundled
sample capture (fixtures/make-sample.sh): the debugpy adapter debugging
tests/dap/progs/prog.py (runInTerminal launch, breakpoint, stack, variables,
evaluate, a failing evaluate, exit code 3), driven by the scripted client
through `diagtap proxy tcp -w OUT.pcapng`. Needs $DIAGTAP (default
build/diagtap) and python3-debugpy."""
import os
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = os.path.abspath(sys.argv[1])
    d = peers.workdir("/tmp/diagtap-sample")
    aport, pport = peers.free_port(), peers.free_port()
    adapter = subprocess.Popen([peers.PY, "-m", "debugpy.adapter", "--host", "127.0.0.1", "--port", str(aport)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = None
    try:
        peers.wait_port(aport, proc=adapter)
        proxy = subprocess.Popen([peers.DIAGTAP, "proxy", "tcp", "127.0.0.1:%d" % pport, "127.0.0.1:%d" % aport,
                                  "-w", out], stdout=subprocess.DEVNULL)
        peers.wait_port(pport, proc=proxy)
        peers.run_client(["--tcp", "127.0.0.1:%d" % pport, "--adapter-id", "debugpy", "--run-in-terminal",
                          "--program", os.path.join(d, "prog.py"), "--arg", "x",
                          "--breakpoint", os.path.join(d, "prog.py") + ":12", "--evaluate", "total * 2",
                          "--bad-evaluate", "no_such_var"])
    finally:
        if proxy is not None:
            peers.stop(proxy, sig=signal.SIGTERM)
        peers.stop(adapter)
        shutil.rmtree(d, ignore_errors=True)
    print("wrote", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
