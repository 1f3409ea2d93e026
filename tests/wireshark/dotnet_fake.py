"""A stand-in for the .NET runtime's diagnostic port, and a client: the
diagnostics IPC protocol as the runtime speaks it (dotnet/diagnostics
ipc-protocol.md), with a real .nettrace from the corpus as the EventPipe
stream."""
import os
import socket
import struct
import time

from wstest import CORPUS, check

MAGIC = b"DOTNET_IPC_V1\0"
import dtcorpus  # noqa: E402

TRACE = dtcorpus.require("nettrace", "eventpipe-dotnetcore6.0-win-x64-executioncheckpoints.nettrace")


def msg(cmdset, cmdid, payload=b""):
    return MAGIC + struct.pack("<HBBH", 20 + len(payload), cmdset, cmdid, 0) + payload


def string(s):
    return struct.pack("<I", len(s) + 1) + (s + "\0").encode("utf-16-le") if s else struct.pack("<I", 0)


def read_msg(sock):
    head = recv_exact(sock, 20)
    check(head[:14] == MAGIC, "not an IPC message: %r" % head)
    size, cmdset, cmdid, _ = struct.unpack("<HBBH", head[14:])
    return cmdset, cmdid, recv_exact(sock, size - 20)


def recv_exact(sock, n):
    b = b""
    while len(b) < n:
        d = sock.recv(n - len(b))
        if not d:
            raise EOFError("peer closed")
        b += d
    return b


def runtime(srv, stop):
    """Answers each connection's command like the .NET runtime does."""
    srv.settimeout(0.2)
    while not stop.is_set():
        try:
            c, _ = srv.accept()
        except socket.timeout:
            continue
        with c:
            try:
                cmdset, cmdid, payload = read_msg(c)
            except EOFError:
                continue
            if (cmdset, cmdid) == (4, 0):  # ProcessInfo
                c.sendall(msg(0xff, 0, struct.pack("<Q", 4242) + bytes(range(16)) + string("dotnet app.dll --port 5000")
                              + string("Linux") + string("x64")))
            elif (cmdset, cmdid) == (4, 2):  # ProcessEnvironment: OK, then the block
                block = struct.pack("<I", 2) + string("DOTNET_gcServer=1") + string("HOME=/home/app")
                c.sendall(msg(0xff, 0, struct.pack("<IH", len(block), 0)))
                c.sendall(block)
            elif (cmdset, cmdid) == (2, 3):  # CollectTracing2: OK, then the nettrace stream
                c.sendall(msg(0xff, 0, struct.pack("<Q", 0x7f00deadbeef)))
                with open(TRACE, "rb") as f:
                    data = f.read()
                for i in range(0, len(data), 1500):
                    c.sendall(data[i:i + 1500])
                    time.sleep(0.001)
            elif (cmdset, cmdid) == (2, 1):  # StopTracing
                c.sendall(msg(0xff, 0, payload[:8]))
            else:
                c.sendall(msg(0xff, 0xff, struct.pack("<I", 0x80131384)))


def client(addr, request):
    """One command on its own connection: addr is a socket path or (host, port)."""
    with socket.socket(socket.AF_INET if isinstance(addr, tuple) else socket.AF_UNIX) as c:
        c.connect(addr)
        c.sendall(request)
        got = b""
        while True:
            d = c.recv(65536)
            if not d:
                return got
            got += d




def session(path):
    """One tool's worth of commands, each on its own connection as tools do
    (path: a socket path, or (host, port) for a runtime listening on TCP)."""
    client(path, msg(4, 0))
    client(path, msg(4, 2))
    client(path, msg(1, 1, string("/tmp/core.%p") + struct.pack("<II", 4, 0)))
    provider = struct.pack("<QI", 0xffffffffffffffff, 5) + string("Microsoft-Windows-DotNETRuntime") + string("")
    got = client(path, msg(2, 3, struct.pack("<IIBI", 256, 1, 1, 1) + provider))
    with open(TRACE, "rb") as f:
        check(got.endswith(f.read()[-64:]), "the trace did not come through the proxy intact")
    client(path, msg(2, 1, struct.pack("<Q", 0x7f00deadbeef)))
