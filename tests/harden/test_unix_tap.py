"""proxy unix as root against a hostile local user (issue 14):
- the tap never gives more access than the target really has, its directory
  chain included (a 0666 socket in a 0700 directory stays private);
- the window between bind() and chown()/chmod() is gone: a user racing to
  swap the fresh socket for a symlink never gets a root file chowned/chmodded;
- a socket left by a killed proxy is replaced on restart; a live one, one
  owned by someone else, or a non-socket is refused and left alone."""
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ipc"))
from hostile import Failures, as_nobody, need_root, spawn_nobody  # noqa: E402
from ipctest import Diagtap  # noqa: E402

NOBODY_UID = 65534
CONNECT = "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print('connected')"

need_root()
if not os.access(os.environ.get("DIAGTAP_SWAP_RACER", ""), os.X_OK):
    print("SKIP: swap_racer not built")
    sys.exit(77)
F = Failures()


def serve(path, mode, uid=0, gid=0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(64)
    os.chmod(path, mode)
    os.chown(path, uid, gid)
    return s


def can_connect_as_nobody(path):
    r = as_nobody(["/usr/bin/python3", "-c", CONNECT, path])
    return "connected" in r.stdout


def can_connect(path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def private_chain(wd):
    """A 0666 socket inside a 0700 directory: nobody cannot reach it."""
    d = os.path.join(wd, "run-user")
    os.mkdir(d, 0o700)
    target = os.path.join(d, "app.sock")
    srv = serve(target, 0o666)
    F.check(not can_connect_as_nobody(target), "setup: nobody reaches the private target")
    front = os.path.join(wd, "tap.sock")
    dt = Diagtap(["proxy", "unix", front, target], wd, name="chain")
    dt.wait_listening()
    mode = stat.S_IMODE(os.lstat(front).st_mode)
    F.check(mode & 0o077 == 0, "tap of a 0666 socket in a 0700 directory is %o" % mode)
    F.check(not can_connect_as_nobody(front), "nobody connects to the tap of a private target")
    F.check(can_connect(front), "the owner cannot connect to the tap")
    dt.stop()
    srv.close()
    # the same socket in a searchable directory keeps its 0666
    os.chmod(d, 0o711)
    srv = serve(target + "2", 0o666)
    front2 = front + "2"
    dt = Diagtap(["proxy", "unix", front2, target + "2"], wd, name="chain2")
    dt.wait_listening()
    mode = stat.S_IMODE(os.lstat(front2).st_mode)
    F.check(mode == 0o666, "tap of a reachable 0666 socket is %o" % mode)
    F.check(can_connect_as_nobody(front2), "nobody cannot connect to the tap of a reachable target")
    dt.stop()
    srv.close()
    # A directory of the socket's own group that shuts that group out
    # (0701: others may pass, the group may not): a member of the group
    # cannot reach the target, so it must not reach the tap either. daemon,
    # given nogroup as a supplementary group, plays the member.
    gdir = os.path.join(wd, "group-shut")
    os.mkdir(gdir)
    os.chown(gdir, 0, NOBODY_UID)  # nogroup
    os.chmod(gdir, 0o701)
    gtarget = os.path.join(gdir, "app.sock")
    srv = serve(gtarget, 0o660, 0, NOBODY_UID)
    member = ["setpriv", "--reuid=daemon", "--regid=daemon", "--groups=%d" % NOBODY_UID, "/usr/bin/python3", "-c",
              CONNECT]

    def member_connects(path):
        return "connected" in subprocess.run(member + [path], capture_output=True, text=True, timeout=30).stdout
    F.check(not member_connects(gtarget), "setup: the group member reaches the target through a 0701 directory")
    front3 = front + "3"
    dt = Diagtap(["proxy", "unix", front3, gtarget], wd, name="chain3")
    dt.wait_listening()
    mode = stat.S_IMODE(os.lstat(front3).st_mode)
    F.check(mode & 0o070 == 0, "tap of a 0660 socket in a 0701 directory of its group is %o" % mode)
    F.check(not member_connects(front3), "a member of the target's group, shut out by its directory, connects to the tap")
    F.check(can_connect(front3), "the owner cannot connect to the tap")
    dt.stop()
    srv.close()
    print("directory chain ok")


RACER = os.environ.get("DIAGTAP_SWAP_RACER", "")


def toctou(wd, rounds):
    """The listen directory is writable by nobody (not sticky), the target
    belongs to nobody: the old code chowned the path to nobody after bind()."""
    victim_dir = os.path.join(wd, "root-only")
    os.mkdir(victim_dir, 0o755)
    victim = os.path.join(victim_dir, "secret")
    with open(victim, "w") as f:
        f.write("root's")
    os.chmod(victim, 0o600)
    tdir = os.path.join(wd, "nobody-target")
    os.mkdir(tdir, 0o755)
    target = os.path.join(tdir, "t.sock")
    srv = serve(target, 0o666, NOBODY_UID, 65534)
    ldir = os.path.join(wd, "shared")
    os.mkdir(ldir)
    os.chmod(ldir, 0o777)
    front = os.path.join(ldir, "tap.sock")
    stop = os.path.join(wd, "stop-racer")
    racer_copy = os.path.join(wd, "swap_racer")  # nobody may not reach the build directory
    shutil.copy(RACER, racer_copy)
    os.chmod(racer_copy, 0o755)
    racer = spawn_nobody([racer_copy, front, victim, stop], stdout=subprocess.PIPE, text=True)
    for i in range(rounds):
        for leftover in (front, front + ".evil"):
            if os.path.lexists(leftover):
                os.unlink(leftover)  # the last round's swapped symlink: we are root, it is not followed
        dt = Diagtap(["proxy", "unix", front, target], wd, name="race%d" % i)
        end = time.time() + 5
        while time.time() < end and "listening on" not in dt.stderr() and dt.proc.poll() is None:
            time.sleep(0.005)
        dt.stop()
        st = os.stat(victim)
        if not F.check((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o600),
                       "round %d: the root-owned victim became %d:%d %o" % (i, st.st_uid, st.st_gid,
                                                                             stat.S_IMODE(st.st_mode))):
            break
    open(stop, "w").close()
    swaps = racer.communicate(timeout=10)[0].strip()
    leftovers = [n for n in os.listdir(ldir) if n.startswith(".diagtap-")]
    F.check(not leftovers, "private directories left behind: %s" % leftovers)
    srv.close()
    print("bind/chmod race: %d rounds, %s, victim untouched" % (rounds, swaps))


def stale(wd):
    target = os.path.join(wd, "st-target.sock")
    srv = serve(target, 0o600)
    front = os.path.join(wd, "st-front.sock")
    dt = Diagtap(["proxy", "unix", front, target], wd, name="stale1")
    dt.wait_listening()
    dt.proc.send_signal(signal.SIGKILL)
    dt.proc.wait()
    F.check(stat.S_ISSOCK(os.lstat(front).st_mode), "setup: SIGKILL left no socket")
    dt = Diagtap(["proxy", "unix", front, target], wd, name="stale2")
    dt.wait_listening()
    F.check(can_connect(front), "restart over a stale socket does not listen")
    # while it lives, a second proxy on the same path is refused
    dt3 = Diagtap(["proxy", "unix", front, target], wd, name="stale3")
    rc = dt3.proc.wait(10)
    F.check(rc != 0 and "something listens" in dt3.stderr(), "a live listener was not refused: %s" % dt3.stderr())
    F.check(can_connect(front), "the live proxy lost its socket")
    dt.stop()
    # a dead socket that belongs to another user is not ours to replace
    nb = os.path.join(wd, "nobody-writes")
    os.mkdir(nb)
    os.chmod(nb, 0o777)
    other = os.path.join(nb, "st-other.sock")
    r = as_nobody(["/usr/bin/python3", "-c",
                   "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])", other])
    F.check(r.returncode == 0, "setup: nobody could not bind: %s" % r.stderr)
    dt4 = Diagtap(["proxy", "unix", other, target], wd, name="stale4")
    rc = dt4.proc.wait(10)
    F.check(rc != 0 and "already exists" in dt4.stderr(), "someone else's socket was replaced: %s" % dt4.stderr())
    F.check(os.lstat(other).st_uid == NOBODY_UID, "someone else's socket was touched")
    srv.close()
    print("stale socket ok")


def main():
    wd = tempfile.mkdtemp(prefix="dt-tap-", dir="/tmp")
    os.chmod(wd, 0o755)
    try:
        private_chain(wd)
        stale(wd)
        toctou(wd, 10 if os.environ.get("DIAGTAP_SANITIZED") else 40)
    finally:
        subprocess.run(["rm", "-rf", wd])
    F.exit("unix tap ok")


main()
