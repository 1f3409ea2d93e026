"""A long-running proxy's memory is bounded by its open connections, not by
how many it has seen: 10 000 short connections through `proxy unix` and
through `proxy tcp` (a few bytes echoed each), and the proxy's resident
memory after them stays within a bound of what it was after the first 1 000."""
import os
import shutil
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ipctest import Diagtap, check, listen_port, start_peer, workdir  # noqa: E402

TOTAL = 2000 if os.environ.get("DIAGTAP_SANITIZED") else 10000
WARMUP = 1000
BOUND_KIB = 1024  # growth allowed after warm-up (allocator slack; 0.2 KB/connection leaked would be ~1.8 MB)


def hammer(connect, n):
    for i in range(n):
        s = connect()
        msg = b"%d" % i
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            b = s.recv(64)
            check(b, "connection %d: echo ended early" % i)
            got += b
        check(got == msg, "connection %d: echo differs" % i)
        s.close()


def rss_without_feed_ring(pid):
    """Resident KiB of every mapping but the decoder's feed ring: one 16 MiB
    block (DT_FEED_CAP_DEFAULT) whose pages are touched for the first time as
    the ring's tail moves on, the first 16 MiB of records after start. That
    is a fixed cost per source, not per connection; anything a connection
    left behind lives elsewhere (the heap, the threads' malloc arenas)."""
    total, size = 0, 0
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and len(parts) >= 5:
                size = 0
            elif parts[0] == "Size:":
                size = int(parts[1])
            elif parts[0] == "Rss:" and not 16384 <= size <= 16400:
                total += int(parts[1])
    return total


def run(kind, dt, connect):
    hammer(connect, WARMUP)
    before = rss_without_feed_ring(dt.proc.pid)
    hammer(connect, TOTAL - WARMUP)
    after = rss_without_feed_ring(dt.proc.pid)
    rc = dt.stop()
    check(rc == 0, "%s: diagtap exit status %d: %s" % (kind, rc, dt.stderr()[-400:]))
    grew = after - before
    print("%s: %d connections, VmRSS %d KiB after %d, %d KiB after all (+%d KiB)"
          % (kind, TOTAL, before, WARMUP, after, grew))
    if os.environ.get("DIAGTAP_SANITIZED"):
        return  # ASan's quarantine holds freed memory on purpose: the connections ran, memory says nothing
    check(grew < BOUND_KIB, "%s: memory grew %d KiB over %d closed connections" % (kind, grew, TOTAL - WARMUP))


def main():
    wd = workdir("many")
    target = os.path.join(wd, "target.sock")
    peer, _ = start_peer("echo-unix", target)
    front = os.path.join(wd, "front.sock")
    # the timeline goes to /dev/null: decoded and written, but its size does not count
    dt = Diagtap(["proxy", "-T", "json", "-o", "/dev/null", "unix", front, target], wd, name="unix")
    dt.wait_listening()

    def unix_connect():
        s = socket.socket(socket.AF_UNIX)
        s.connect(front)
        return s
    run("proxy unix", dt, unix_connect)
    peer.kill()

    tpeer, words = start_peer("echo-tcp", "127.0.0.1", 0)
    dt = Diagtap(["proxy", "-T", "json", "-o", "/dev/null", "tcp", "127.0.0.1:0", "127.0.0.1:%s" % words[0]], wd, name="tcp")
    dt.wait_listening()
    port = listen_port(dt)

    def tcp_connect():
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # no TIME_WAIT pile-up
        return s
    run("proxy tcp", dt, tcp_connect)
    tpeer.kill()
    shutil.rmtree(wd)


main()
