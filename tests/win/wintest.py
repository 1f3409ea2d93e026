"""Helpers for the Windows integration tests: everything runs under Debian's
wine64 in this build's private WINEPREFIX (set by tests/win/meson.build), so
one wineserver connects diagtap.exe and the mingw test peers."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

WINE = os.environ.get("WINE_RUN", "/usr/lib/wine/wine64")  # scripts/wine-run.sh: a private prefix
DIAGTAP = os.environ.get("DIAGTAP_EXE", "")
PEER = os.environ.get("PIPE_PEER", "")
CHILD = os.environ.get("STDIO_CHILD", "")
SRCDIR = os.environ.get("DIAGTAP_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(77)


def env():
    e = dict(os.environ)
    e["WINEDEBUG"] = "-all"
    e.setdefault("WINEPREFIX", os.path.join(tempfile.gettempdir(), "diagtap-wine"))
    return e


def boot():
    """Makes the prefix once (the first wineboot takes a while)."""
    if not os.path.exists("/usr/lib/wine/wine64"):
        skip("wine64 not installed (Debian package wine64)")
    pfx = env()["WINEPREFIX"]
    if not os.path.exists(os.path.join(pfx, "system.reg")):
        subprocess.run([WINE, "cmd", "/c", "exit"], env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=300)


def linux_diagtap():
    """The Linux build that reads the recordings back (scripts/test.sh sets
    DIAGTAP_LINUX); None when there is none."""
    cands = [os.environ.get("DIAGTAP_LINUX", "")]
    cands += [os.path.join(SRCDIR, d, "diagtap") for d in ("build-test", "build")]
    for c in cands:
        if c and os.access(c, os.X_OK):
            return c
    return None


def winpath(p):
    """A Linux path as wine sees it (drive Z: is /)."""
    return "Z:" + os.path.abspath(p).replace("/", "\\")


class Proc:
    """A Windows program under wine, its output in files."""

    def __init__(self, wd, name, args, stdin=None):
        self.name = name
        self.out_path = os.path.join(wd, name + ".out")
        self.err_path = os.path.join(wd, name + ".err")
        self.out = open(self.out_path, "wb")
        self.err = open(self.err_path, "wb")
        self.p = subprocess.Popen([WINE] + args, env=env(), stdout=self.out, stderr=self.err,
                                  stdin=stdin if stdin is not None else subprocess.DEVNULL)

    def text(self, which="out"):
        with open(self.out_path if which == "out" else self.err_path, "rb") as f:
            return f.read().decode(errors="replace").replace("\r\n", "\n")

    def wait_text(self, what, which="err", timeout=60):
        end = time.time() + timeout
        while what not in self.text(which):
            if self.p.poll() is not None or time.time() > end:
                fail("%s did not say %r: %s%s" % (self.name, what, self.text("out"), self.text("err")))
            time.sleep(0.05)

    def wait(self, timeout=120):
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            fail("%s did not finish in %d s: %s%s" % (self.name, timeout, self.text("out"), self.text("err")))
        self.out.close()
        self.err.close()
        return rc

    def stop(self, timeout=30):
        """Ctrl+C: wine turns SIGINT into the console control event. If the
        program is still running after 10 s, one more is sent and said on
        stderr (the hang after Ctrl+C that this once met was the decoder
        thread cancelled by winpthreads' pthread_kill, fixed: docs/windows.md)."""
        self.p.send_signal(signal.SIGINT)
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            print("NOTE: %s still running 10 s after Ctrl+C: sending another" % self.name, file=sys.stderr)
            self.p.send_signal(signal.SIGINT)
        return self.wait(timeout)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(10)


class Workdir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="dt-win-", dir="/tmp")
        self.procs = []
        return self

    def run(self, name, args, stdin=None):
        p = Proc(self.path, name, args, stdin)
        self.procs.append(p)
        return p

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
        shutil.rmtree(self.path, ignore_errors=True)
