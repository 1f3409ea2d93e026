"""A private Samba for the session tests: smbd alone (no RPC helpers) on a
free loopback port, one share, one user, in a directory of the test's; and
smbclient doing a few operations against it."""
import getpass
import os
import socket
import subprocess
import time

CONF = """[global]
  netbios name = DIAGTAPSESS
  workgroup = DIAGTAP
  server role = standalone server
  security = user
  passdb backend = tdbsam:{d}/priv/passdb.tdb
  private dir = {d}/priv
  lock directory = {d}/lock
  state directory = {d}/state
  cache directory = {d}/cache
  pid directory = {d}/pid
  ncalrpc dir = {d}/state/ncalrpc
  log file = {d}/log/log.%m
  disable netbios = yes
  smb ports = {port}
  interfaces = 127.0.0.1
  bind interfaces only = yes
  rpc start on demand helpers = no
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  server min protocol = SMB2_02
[data]
  path = {d}/data
  read only = no
  valid users = {user}
"""
PASS = "Diagtap-Session-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Samba:
    def __init__(self, parent):
        self.dir = os.path.join(parent, "samba")
        self.user = getpass.getuser()
        self.port = free_port()
        for sub in ("priv", "lock", "state", "cache", "pid", "log", "data", "work"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        os.chmod(os.path.join(self.dir, "data"), 0o777)
        self.conf = os.path.join(self.dir, "smb.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(d=self.dir, port=self.port, user=self.user))
        subprocess.run(["smbpasswd", "-c", self.conf, "-s", "-a", self.user], input="%s\n%s\n" % (PASS, PASS),
                       text=True, check=True, stdout=subprocess.DEVNULL)
        # its own session: on SIGTERM smbd signals its whole process group
        self.proc = subprocess.Popen(["smbd", "-F", "--no-process-group", "-s", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        end = time.time() + 15
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("smbd did not listen on %d" % self.port)

    def client_ops(self):
        """ls, put, get, a missing file: requests with answers, one an error."""
        work = os.path.join(self.dir, "work")
        with open(os.path.join(work, "up.bin"), "wb") as f:
            f.write(os.urandom(30000))
        r = subprocess.run(["smbclient", "-p", str(self.port), "//127.0.0.1/data", "-U", "%s%%%s" % (self.user, PASS),
                            "-m", "SMB3", "-c", "ls; put up.bin; get up.bin back.bin; get nosuch.txt none.bin; ls"],
                           cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        if "NT_STATUS_OBJECT_NAME_NOT_FOUND" not in r.stdout:
            raise RuntimeError("smbclient did not run as expected: %s" % r.stdout[-500:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
