#!/usr/bin/python3
"""tee_stdio.py DIR COMMAND [ARGS...]: runs COMMAND with its stdin and stdout
relayed unchanged, keeping a copy of each: DIR/stdin.bin (what COMMAND was
given) and DIR/stdout.bin (what it wrote). Put between a relay and an adapter
it shows exactly what the adapter said, to compare with what the client got.
Exits with COMMAND's status."""
import os
import shutil
import subprocess
import sys
import threading


def pump(src, dst, copy, close_dst):
    with open(copy, "wb") as out:
        while True:
            data = os.read(src, 65536)
            if not data:
                break
            out.write(data)
            out.flush()
            view = memoryview(data)
            while view:
                view = view[os.write(dst, view):]
    if close_dst:
        os.close(dst)


def main():
    d, argv = sys.argv[1], sys.argv[2:]
    os.makedirs(d, exist_ok=True)
    argv[0] = shutil.which(argv[0]) or argv[0]
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    t_in = threading.Thread(target=pump, args=(0, child.stdin.fileno(), os.path.join(d, "stdin.bin"), True),
                            daemon=True)
    t_out = threading.Thread(target=pump, args=(child.stdout.fileno(), 1, os.path.join(d, "stdout.bin"), False))
    t_in.start()
    t_out.start()
    t_out.join()
    sys.exit(child.wait())


if __name__ == "__main__":
    main()
