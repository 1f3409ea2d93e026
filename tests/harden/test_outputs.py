#!/usr/bin/python3
"""Outputs (-w, -o) in a directory a hostile user can write (issue 14).

As root, with nobody as the attacker in a sticky world-writable directory:
- a symlink planted at the output path is replaced, its target untouched;
- a file the attacker created in advance (and holds open) is replaced: the
  recording lands in a new root-owned 0600 file, the attacker's descriptor
  reads nothing of it;
- a FIFO the attacker owns is refused with one line;
- `proxy -w FIFO` whose reader is gone gives way to SIGTERM while opening,
  and while writing to a reader that stopped reading."""
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile  # noqa: E402

hostile.need_root()
DIAGTAP = os.environ["DIAGTAP"]
SAMPLE = os.path.join(os.environ["DIAGTAP_SRCDIR"], "fixtures", "sample.pcapng")
f = hostile.Failures()
shared = hostile.shared_dir()
private = tempfile.mkdtemp(prefix="diagtap-private-")
secret = os.path.join(private, "secret")
with open(secret, "w") as fh:
    fh.write("precious\n")
os.chmod(secret, 0o644)
os.chmod(private, 0o755)


def replay(*args, timeout=30):
    return subprocess.run([DIAGTAP, "replay", SAMPLE] + list(args), capture_output=True, text=True, timeout=timeout)


def private_regular(path, magic=None):
    st = os.lstat(path)
    ok = stat.S_ISREG(st.st_mode) and st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o600
    if ok and magic:
        with open(path, "rb") as fh:
            ok = fh.read(len(magic)) == magic
    return ok


def secret_untouched():
    st = os.stat(secret)
    return open(secret, "rb").read() == b"precious\n" and stat.S_IMODE(st.st_mode) == 0o644


try:
    # 1. symlinks at -w and -o
    for opt, name, magic in (("-w", "rec.pcapng", b"\x0a\x0d\x0d\x0a"), ("-o", "out.txt", None)):
        path = os.path.join(shared, name)
        r = hostile.as_nobody(["ln", "-s", secret, path])
        f.check(r.returncode == 0, "nobody cannot plant a symlink: %s" % r.stderr)
        args = [opt, path] + (["-q"] if opt == "-w" else [])
        r = replay(*args)
        f.check(r.returncode == 0, "replay %s through a planted symlink: %d %s" % (opt, r.returncode, r.stderr))
        f.check(secret_untouched(), "%s followed the symlink: the target was written or chmod-ed" % opt)
        f.check(private_regular(path, magic), "%s: the output is not a fresh root-owned 0600 file" % opt)

    # 2. a file created in advance by the attacker, held open for reading
    path = os.path.join(shared, "early.pcapng")
    reader = hostile.spawn_nobody(
        ["/usr/bin/python3", "-c",
         "import os,sys,time\n"
         "fd=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT,0o666)\n"
         "print('ready',flush=True)\n"
         "sys.stdin.readline()\n"
         "n=0\n"
         "while True:\n"
         "    b=os.read(fd,65536)\n"
         "    if not b: break\n"
         "    n+=len(b)\n"
         "print(n,flush=True)\n", path],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    f.check(reader.stdout.readline().strip() == "ready", "the attacker could not create the file")
    r = replay("-q", "-w", path)
    f.check(r.returncode == 0, "replay -w over another user's file: %d %s" % (r.returncode, r.stderr))
    leaked = reader.communicate("go\n", timeout=20)[0].strip()
    f.check(leaked == "0", "the attacker's descriptor read %s bytes of the recording" % leaked)
    f.check(private_regular(path, b"\x0a\x0d\x0d\x0a"), "-w over another user's file: not a fresh root-owned 0600 file")

    # 3. a FIFO owned by the attacker: refused in one line, no wait
    fifo = os.path.join(shared, "their.fifo")
    r = hostile.as_nobody(["mkfifo", "-m", "666", fifo])
    f.check(r.returncode == 0, "nobody cannot make a FIFO: %s" % r.stderr)
    try:
        r = replay("-q", "-w", fifo, timeout=10)
        f.check(r.returncode != 0 and len(r.stderr.splitlines()) == 1 and "refused" in r.stderr,
                "another user's FIFO is not refused in one line: %d %r" % (r.returncode, r.stderr))
    except subprocess.TimeoutExpired:
        f.check(False, "replay -w into another user's FIFO waited for a reader")

    # 4. stop signals while opening a FIFO without a reader (as the extcap starts diagtap)
    fifo = os.path.join(private, "rec.fifo")
    os.mkfifo(fifo, 0o600)
    p = subprocess.Popen([DIAGTAP, "proxy", "-q", "-w", fifo, "tcp", "127.0.0.1:0", "127.0.0.1:9"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=5)
        f.check(True, "")
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        f.check(False, "proxy -w FIFO ignored SIGTERM while waiting for the FIFO's reader")

    # 5. stop signals while writing to a reader that stopped reading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    target = srv.getsockname()[1]

    def serve():
        try:
            c, _ = srv.accept()
            chunk = b"x" * 65536
            for _ in range(64):  # 4 MiB: far more than a pipe holds
                c.sendall(chunk)
            time.sleep(10)
        except OSError:
            pass

    threading.Thread(target=serve, daemon=True).start()
    lazy = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader that never reads
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    listen_port = lsock.getsockname()[1]
    lsock.close()
    p = subprocess.Popen([DIAGTAP, "proxy", "-q", "-w", fifo, "tcp", "127.0.0.1:%d" % listen_port,
                          "127.0.0.1:%d" % target], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 10
    cli = None
    while time.time() < deadline and cli is None:
        try:
            cli = socket.create_connection(("127.0.0.1", listen_port), timeout=1)
        except OSError:
            time.sleep(0.1)
    got = 0
    cli.settimeout(0.5)
    try:
        while got < 4 << 20:
            b = cli.recv(65536)
            if not b:
                break
            got += len(b)
    except OSError:
        pass
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        f.check(False, "proxy -w FIFO ignored SIGTERM while the FIFO was full (%d bytes relayed)" % got)
    cli.close()
    os.close(lazy)
    srv.close()
finally:
    subprocess.run(["rm", "-rf", shared, private])
f.exit("ok: outputs never follow links, never reuse another user's file, and give way to SIGTERM")
