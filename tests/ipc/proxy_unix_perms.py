"""proxy unix: the listening socket gets the target's owner, group and
mode, never wider, and is removed when the proxy stops."""
import os
import shutil
import socket
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ipctest import Diagtap, check, workdir  # noqa: E402


def one(wd, mode, uid=None, gid=None):
    target = os.path.join(wd, "t%o.sock" % mode)
    front = os.path.join(wd, "f%o.sock" % mode)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(target)
    srv.listen(1)
    os.chmod(target, mode)
    if uid is not None or gid is not None:
        os.chown(target, -1 if uid is None else uid, -1 if gid is None else gid)
    want = os.stat(target)
    dt = Diagtap(["proxy", "unix", front, target], wd, name="perm%o" % mode)
    dt.wait_listening()
    got = os.stat(front)
    check(stat.S_ISSOCK(got.st_mode), "%s is not a socket" % front)
    check(stat.S_IMODE(got.st_mode) == stat.S_IMODE(want.st_mode),
          "target mode %o, listener mode %o" % (stat.S_IMODE(want.st_mode), stat.S_IMODE(got.st_mode)))
    if os.geteuid() == 0:
        check((got.st_uid, got.st_gid) == (want.st_uid, want.st_gid),
              "target owner %d:%d, listener %d:%d" % (want.st_uid, want.st_gid, got.st_uid, got.st_gid))
    else:  # not root: our own socket, and group access only with the target's group
        check(got.st_uid == os.geteuid(), "listener not owned by us")
        check(got.st_gid == want.st_gid or not (got.st_mode & 0o070), "group access given to another group")
    rc = dt.stop()
    check(rc == 0, "diagtap exit status %d: %s" % (rc, dt.stderr()))
    check(not os.path.exists(front), "listening socket left behind")
    srv.close()
    print("target %o %d:%d -> listener %o %d:%d" % (stat.S_IMODE(want.st_mode), want.st_uid, want.st_gid,
                                                     stat.S_IMODE(got.st_mode), got.st_uid, got.st_gid))


def main():
    wd = workdir("perms")
    os.chmod(wd, 0o755)
    one(wd, 0o600)
    one(wd, 0o660)
    one(wd, 0o666)
    if os.geteuid() == 0:
        one(wd, 0o640, uid=65534, gid=65534)  # someone else's socket: given to them, not to us
    # An existing file at the listening path is never replaced.
    target = os.path.join(wd, "t-taken.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(target)
    srv.listen(1)
    taken = os.path.join(wd, "taken")
    with open(taken, "w") as f:
        f.write("mine")
    dt = Diagtap(["proxy", "unix", taken, target], wd, name="taken")
    rc = dt.proc.wait(10)
    check(rc != 0 and "taken" in dt.stderr(), "an existing path was not refused: %d %s" % (rc, dt.stderr()))
    with open(taken) as f:
        check(f.read() == "mine", "an existing file was touched")
    shutil.rmtree(wd)
    print("ok")


main()
