#!/usr/bin/python3
"""Records the byte fixtures of tests/dap/data/ from real peers:

  lldb.bin      lldb-vscode-14 over stdio, launch with runInTerminal (a
                reverse request), breakpoint, stackTrace, scopes, variables,
                evaluate (one good, one failing), continue, exit code 3
  debugpy.bin   the debugpy adapter over TCP, launch in the same style
  clangd.bin    clangd-14 over stdio: LSP initialize, didOpen, hover,
                definition, an unknown method (error -32601), shutdown

Each is a transcript (transcript.py): the messages in the order the client
saw them. Run from anywhere; needs lldb-vscode-14, gcc, clangd-14 and
python3-debugpy. Paths inside the fixtures are under /tmp/diagtap-dap-fixture.
"""
import os
import shutil
import socket
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(here, "data")
work = "/tmp/diagtap-dap-fixture"
py = "/usr/bin/python3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(args):
    subprocess.run([py, os.path.join(here, "dap_client.py")] + args, check=True, stdout=subprocess.DEVNULL)


def main():
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.makedirs(data, exist_ok=True)
    for f in ("prog.c", "prog.py"):
        shutil.copy(os.path.join(here, "progs", f), work)
    subprocess.run(["gcc", "-g", "-O0", "-o", os.path.join(work, "prog"), os.path.join(work, "prog.c")], check=True)

    client(["--program", work + "/prog", "--arg", "one", "--run-in-terminal",
            "--breakpoint", work + "/prog.c:14", "--evaluate", "total * 2", "--bad-evaluate", "no_such_var",
            "--record", work + "/lldb", "--", "/usr/bin/lldb-vscode-14"])
    shutil.copy(work + "/lldb/transcript.bin", os.path.join(data, "lldb.bin"))

    port = free_port()
    adapter = subprocess.Popen([py, "-m", "debugpy.adapter", "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client(["--tcp", "127.0.0.1:%d" % port, "--adapter-id", "debugpy", "--program", work + "/prog.py",
                "--arg", "x", "--breakpoint", work + "/prog.py:12", "--evaluate", "total * 2",
                "--bad-evaluate", "no_such_var", "--record", work + "/debugpy"])
    finally:
        adapter.terminate()
        adapter.wait()
    shutil.copy(work + "/debugpy/transcript.bin", os.path.join(data, "debugpy.bin"))

    subprocess.run([py, os.path.join(here, "lsp_client.py"), "--file", work + "/prog.c", "--line", "12",
                    "--character", "18", "--record", work + "/clangd", "--", "clangd-14", "--log=error"],
                   check=True, stdout=subprocess.DEVNULL)
    shutil.copy(work + "/clangd/transcript.bin", os.path.join(data, "clangd.bin"))
    print("wrote lldb.bin debugpy.bin clangd.bin in", data)


if __name__ == "__main__":
    sys.exit(main())
