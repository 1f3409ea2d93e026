#!/usr/bin/python3
"""Colour only on a terminal: `diagtap replay` of the sample writes ANSI escapes when its
stdout is a pseudo-terminal, none into a pipe or an -o file (even from a terminal), none
with NO_COLOR set or --color never, and always with --color always."""
import os
import pty
import subprocess
import sys
import tempfile

diagtap = os.environ["DIAGTAP"]
sample = os.path.join(os.environ["DIAGTAP_SRCDIR"], "fixtures", "sample.pcapng")
ESC = b"\x1b["
fails = []


def on_tty(args, env=None):
    master, slave = pty.openpty()
    p = subprocess.Popen([diagtap, "replay", sample] + args, stdout=slave, stderr=subprocess.DEVNULL,
                         env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    p.wait(timeout=60)
    os.close(master)
    return p.returncode, out


def piped(args):
    p = subprocess.run([diagtap, "replay", sample] + args, capture_output=True, timeout=60)
    return p.returncode, p.stdout


def expect(what, result, colour):
    rc, out = result
    if rc != 0 or b"DAP" not in out:
        fails.append("%s: rc %d, %d bytes" % (what, rc, len(out)))
    elif (ESC in out) != colour:
        fails.append("%s: escapes %s, want %s" % (what, ESC in out, colour))


env = dict(os.environ)
env.pop("NO_COLOR", None)
expect("terminal", on_tty([], env), True)
expect("terminal, NO_COLOR=1", on_tty([], dict(env, NO_COLOR="1")), False)
expect("terminal, --color never", on_tty(["--color", "never"], env), False)
expect("pipe", piped([]), False)
expect("pipe, --color always", piped(["--color", "always"]), True)
expect("-T json on a terminal", on_tty(["-T", "json"], env), False)
with tempfile.TemporaryDirectory() as d:
    f = os.path.join(d, "out.txt")
    rc, _ = on_tty(["-o", f], env)
    expect("-o FILE from a terminal", (rc, open(f, "rb").read()), False)
for m in fails:
    print("FAIL: " + m)
sys.exit(1 if fails else 0)
