"""proxy tcp: IPv4 and IPv6 ([::1]:port) echo through the proxy, half-close
passed on, client and server addresses on the timeline, and a refused
connection to the target reported."""
import os
import random
import shutil
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ipctest import Diagtap, check, json_events, listen_port, start_peer, workdir  # noqa: E402


def exchange(family, host, port, msg):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect((host, port))
    s.sendall(msg)
    s.shutdown(socket.SHUT_WR)  # the echo server ends its side only after our EOF got through
    got = bytearray()
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    local = s.getsockname()
    s.close()
    return bytes(got), local


def one(wd, family, host, bracket):
    peer, (tport,) = start_peer("echo-tcp", host, 0)
    dt = Diagtap(["proxy", "-T", "json", "tcp", "%s:0" % bracket, "%s:%s" % (bracket, tport)], wd,
                 name="tcp%d" % family)
    dt.wait_listening()
    port = listen_port(dt)
    msgs = [random.randbytes(n) for n in (1, 1000, 3 << 20)]
    locals_ = []
    for m in msgs:
        got, local = exchange(family, host, port, m)
        check(got == m, "%s: echo of %d bytes differs (%d back)" % (host, len(m), len(got)))
        locals_.append(local[1])
    rc = dt.stop()
    peer.kill()
    check(rc == 0, "diagtap exit status %d: %s" % (rc, dt.stderr()))
    ev = json_events(dt.timeline())
    convs = {}
    for e in ev:
        if e["conv"]:
            convs[e["conv"]["id"]] = e["conv"]
    check(len(convs) == 3, "%d conversations, expected 3" % len(convs))
    clients = sorted(c["client"] for c in convs.values())
    want = sorted("%s:%d" % (bracket, p) for p in locals_)
    check(clients == want, "client names %s, expected %s" % (clients, want))
    check(all(c["server"] == "%s:%s" % (bracket, tport) for c in convs.values()), "server names wrong: %s" % convs)
    for d in ("c2s", "s2c"):
        n = sum(e["raw_len"] for e in ev if e["kind"] == "pdu" and e["dir"] == d)
        check(n == sum(len(m) for m in msgs), "%s: %d bytes on the timeline" % (d, n))
    print("%s ok: %s" % (host, clients))


def refused(wd):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]  # bound, never listening: refused, and the port stays ours
    dt = Diagtap(["proxy", "-T", "json", "tcp", "127.0.0.1:0", "127.0.0.1:%d" % dead], wd, name="refused")
    dt.wait_listening()
    # The client is reset, the nearest thing to the refusal it would have
    # had; the reset may even beat connect() back to the caller.
    try:
        c = socket.create_connection(("127.0.0.1", listen_port(dt)), timeout=10)
        try:
            got = c.recv(10)
        except ConnectionResetError:
            got = b""
        c.close()
    except ConnectionResetError:
        got = b""
    check(got == b"", "client not closed after the target refused")
    rc = dt.stop()
    s.close()
    check(rc == 0, "diagtap exit status %d" % rc)
    errs = [e["summary"] for e in json_events(dt.timeline()) if e["kind"] == "error"]
    check(any("cannot connect" in x and "refused" in x for x in errs), "refusal not reported: %s" % errs)
    print("refused ok: %s" % errs[0])


def main():
    wd = workdir("tcp")
    one(wd, socket.AF_INET, "127.0.0.1", "127.0.0.1")
    one(wd, socket.AF_INET6, "::1", "[::1]")
    refused(wd)
    shutil.rmtree(wd)
    print("ok")


main()
