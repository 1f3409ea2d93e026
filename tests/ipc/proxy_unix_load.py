"""proxy unix: 200 clients connected at once, each with a checked echo
exchange; every one a conversation of its own on the timeline. Then 40 at
once against a target with a backlog of 1 that accepts slowly: the proxy
waits for room instead of failing them."""
import os
import random
import shutil
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ipctest import Diagtap, check, json_events, start_peer, workdir  # noqa: E402

CLIENTS = 200


def clients(front, n):
    barrier = threading.Barrier(n)
    results = [None] * n

    def client(i):
        rng = random.Random(i)
        msg = rng.randbytes(rng.randint(1, 200000))
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(60)
            s.connect(front)
            barrier.wait(60)  # all connected before anyone talks
            s.sendall(msg)
            s.shutdown(socket.SHUT_WR)
            got = bytearray()
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
            s.close()
            results[i] = got == msg or "echo differs (%d of %d bytes)" % (len(got), len(msg))
        except Exception as e:  # noqa: BLE001
            results[i] = repr(e)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bad = [(i, r) for i, r in enumerate(results) if r is not True]
    check(not bad, "%d clients failed, first: %s" % (len(bad), bad[:3]))


def check_timeline(dt, front, n):
    ev = json_events(dt.timeline())
    convs = {e["conv"]["id"] for e in ev if e["conv"]}
    channels = {e["conv"]["channel"] for e in ev if e["conv"]}
    check(len(convs) == n, "%d conversations on the timeline, expected %d" % (len(convs), n))
    check(len(channels) == n and all(c.startswith("unix:" + front + "#") for c in channels),
          "channels are not one per connection: %s" % sorted(channels)[:3])
    closed = [e for e in ev if e["kind"] == "note" and e["summary"].startswith("connection closed")]
    check(len(closed) == n, "%d normal closes, expected %d" % (len(closed), n))
    # A decoder that falls behind 200 busy clients says so (the relay never
    # waits for it); any other error is a failure.
    errors = [e["summary"] for e in ev if e["kind"] == "error"]
    behind = [x for x in errors if x.startswith("decoder behind: ")]
    others = [x for x in errors if not x.startswith("decoder behind: ")]
    check(not others, "errors on the timeline: %s" % others[:3])
    if behind:
        print("decoder behind %d times (reported, relay unaffected)" % len(behind))


def run(wd, mode, n):
    target = os.path.join(wd, mode + ".sock")
    front = os.path.join(wd, mode + "-front.sock")
    peer, _ = start_peer(mode, target)
    dt = Diagtap(["proxy", "-T", "json", "unix", front, target], wd, name=mode)
    dt.wait_listening()
    clients(front, n)
    rc = dt.stop()
    peer.kill()
    check(rc == 0, "diagtap exit status %d: %s" % (rc, dt.stderr()))
    check_timeline(dt, front, n)
    print("ok: %d concurrent clients (%s)" % (n, mode))


def main():
    wd = workdir("load")
    run(wd, "echo-unix", CLIENTS)
    run(wd, "slow-echo-unix", 40)
    shutil.rmtree(wd)


main()
