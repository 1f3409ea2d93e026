"""Helpers for tests that play a hostile local user for real: they run as
root and act as a second uid through setpriv, in directories they create."""
import os
import shutil
import subprocess
import sys
import tempfile

NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def need_root():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("SKIP: needs root and setpriv to play a second user")
        sys.exit(77)


def as_nobody(args, **kw):
    """Runs args as nobody; returns CompletedProcess."""
    return subprocess.run(NOBODY + list(args), capture_output=True, text=True, timeout=30, **kw)


def spawn_nobody(args, **kw):
    return subprocess.Popen(NOBODY + list(args), **kw)


def shared_dir():
    """A world-writable sticky directory like /tmp, private to this test."""
    d = tempfile.mkdtemp(prefix="diagtap-hostile-")
    os.chmod(d, 0o1777)
    return d


class Failures:
    def __init__(self):
        self.n = 0

    def check(self, ok, what):
        if not ok:
            print("FAIL:", what)
            self.n += 1
        return ok

    def exit(self, ok_line):
        if self.n:
            sys.exit(1)
        print(ok_line)
