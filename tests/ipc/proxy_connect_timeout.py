"""proxy: a target whose backlog is full (it never accepts) does not leave
the client hanging: --connect-timeout 1 closes it after about a second with
"no answer (connect timeout)" on the timeline; and SIGTERM stops diagtap
while connects are pending (issue 14)."""
import os
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ipctest import Diagtap, check, workdir  # noqa: E402


def main():
    wd = workdir("ctmo")
    target = os.path.join(wd, "t.sock")
    front = os.path.join(wd, "f.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(target)
    srv.listen(0)
    fill = []
    for _ in range(4):  # fill the backlog: further connects get EAGAIN
        s = socket.socket(socket.AF_UNIX)
        s.setblocking(False)
        try:
            s.connect(target)
        except OSError:
            pass
        fill.append(s)
    dt = Diagtap(["proxy", "--connect-timeout", "1", "unix", front, target], wd)
    dt.wait_listening()
    c = socket.socket(socket.AF_UNIX)
    c.connect(front)
    c.settimeout(20)
    t0 = time.time()
    try:
        got = c.recv(10)
    except OSError:
        got = b""
    secs = time.time() - t0
    check(got == b"" and 0.8 < secs < 4, "client closed after %.2f s" % secs)
    # Another client left connecting; SIGTERM must still stop diagtap at once.
    c2 = socket.socket(socket.AF_UNIX)
    c2.connect(front)
    time.sleep(0.1)
    t0 = time.time()
    rc = dt.stop(timeout=10)
    check(rc == 0 and time.time() - t0 < 3, "diagtap did not stop promptly while connecting: %d" % rc)
    check("no answer (connect timeout)" in dt.timeline(), "timeout not on the timeline: " + dt.timeline())
    print("closed after %.2f s" % secs)
    shutil.rmtree(wd)
    print("ok")


main()
