"""proxy dotnet PID as root against a hostile local user: a socket named
like PID's diagnostic port but planted by another uid is refused with one
line (today's main relays to it and gives the tap away), and so is a PID
that does not exist. The planting is done for real by `nobody` through
setpriv, in a directory the test creates."""
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ipctest import Diagtap, check, start_peer, workdir  # noqa: E402


def main():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("SKIP: needs root and setpriv")
        sys.exit(77)
    wd = workdir("dnown")
    os.chmod(wd, 0o1777)  # like /tmp: everyone may create names here
    env = dict(os.environ, TMPDIR=wd)
    # The victim: a root-owned process whose diagnostic port is served by the peer.
    peer, (pid,) = start_peer("fake-runtime", wd, "1830195830")
    pid = int(pid)
    # The attacker plants a newer socket for the same pid, as nobody.
    planted = os.path.join(wd, "dotnet-diagnostic-%d-1999999999-socket" % pid)
    code = ("import socket,time,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); "
            "print('ready', flush=True); time.sleep(60)")
    evil = subprocess.Popen(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                             "/usr/bin/python3", "-c", code, planted], stdout=subprocess.PIPE)
    try:
        check(evil.stdout.readline().startswith(b"ready"), "attacker socket not made")
        time.sleep(0.05)
        os.utime(planted)  # newest
        dt = Diagtap(["proxy", "dotnet", str(pid)], wd, name="planted", env=env)
        rc = dt.proc.wait(20)
        err = dt.stderr()
        check(rc != 0, "a socket planted by another user was accepted: %s" % err)
        check("refused" in err and len(err.strip().splitlines()) == 1, "not one clear line: %r" % err)
        check(not os.path.exists(os.path.join(wd, "dotnet-diagnostic-%d-1-socket" % pid)), "a tap was created")
        # No such process.
        dt = Diagtap(["proxy", "dotnet", "999999999"], wd, name="nopid", env=env)
        rc = dt.proc.wait(20)
        check(rc != 0 and dt.stderr().strip(), "a missing pid was not refused")
        # The attacker's socket gone, the real one is accepted.
        evil.kill()
        evil.wait()
        os.unlink(planted)
        dt = Diagtap(["proxy", "dotnet", str(pid)], wd, name="real", env=env)
        dt.wait_listening()
        check(dt.stop() == 0, "the real port failed: %s" % dt.stderr())
    finally:
        if evil.poll() is None:
            evil.kill()
        peer.kill()
    shutil.rmtree(wd, ignore_errors=True)
    print("ok")


main()
