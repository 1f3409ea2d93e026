"""A .NET diagnostics session recorded by diagtap itself: a client speaking
the diagnostics IPC protocol (ProcessInfo, ProcessEnvironment, a failing
GenerateCoreDump, CollectTracing2 with the EventPipe stream that follows,
StopTracing) through `diagtap proxy unix -w` to a stand-in runtime that
answers as the runtime does and streams a real .nettrace from the corpus.
tshark with the plugin decodes the recording (one pcapng interface per
connection, exported PDUs named dotnet_ipc) to the same events and fields
as `diagtap replay` of it."""
import os
import signal
import socket
import struct
import subprocess
import threading
import time

from wstest import CORPUS, DIAGTAP, Session, check, compare, fail

MAGIC = b"DOTNET_IPC_V1\0"
TRACE = os.path.join(CORPUS, "nettrace", "eventpipe-dotnetcore6.0-win-x64-executioncheckpoints.nettrace")


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


def client(path, request, read_all=False):
    with socket.socket(socket.AF_UNIX) as c:
        c.connect(path)
        c.sendall(request)
        got = b""
        while True:
            d = c.recv(65536)
            if not d:
                return got
            got += d


s = Session()
proxy = None
stop = threading.Event()
try:
    check(os.path.exists(TRACE), "corpus trace missing: " + TRACE)
    target = s.path("dotnet-diagnostic-4242-1-socket")
    listen = s.path("tap.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(target)
    srv.listen(8)
    t = threading.Thread(target=runtime, args=(srv, stop), daemon=True)
    t.start()
    rec = s.path("dotnet.pcapng")
    proxy = subprocess.Popen([DIAGTAP, "proxy", "-w", rec, "unix", listen, target],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 10
    while not os.path.exists(listen) and time.time() < deadline:
        time.sleep(0.05)
    check(os.path.exists(listen), "the proxy did not listen")
    client(listen, msg(4, 0))
    client(listen, msg(4, 2))
    client(listen, msg(1, 1, string("/tmp/core.%p") + struct.pack("<II", 4, 0)))
    provider = struct.pack("<QI", 0xffffffffffffffff, 5) + string("Microsoft-Windows-DotNETRuntime") + string("")
    got = client(listen, msg(2, 3, struct.pack("<IIBI", 256, 1, 1, 1) + provider))
    check(got.endswith(open(TRACE, "rb").read()[-64:]), "the trace did not come through the proxy intact")
    client(listen, msg(2, 1, struct.pack("<Q", 0x7f00deadbeef)))
    time.sleep(0.3)
    proxy.send_signal(signal.SIGTERM)
    proxy.wait(timeout=20)
    check(proxy.returncode == 0, "proxy exit %d: %s" % (proxy.returncode, proxy.stderr.read().decode()[-500:]))
    s.readable("dotnet.pcapng")
    names = set(s.tshark(["-r", rec, "-T", "fields", "-e", "exported_pdu.prot_name"]).split())
    check("dotnet_ipc" in names, "the recording names %s" % names)
    n, nf = compare(s, rec, [], [], {"dotnet_ipc", "nettrace"}, min_fields=12)
    check(n >= 12, "only %d .NET IPC events" % n)
    out = s.tshark(["-2", "-r", rec, "-Y", "dotnet_ipc && diagtap.response_to", "-T", "fields", "-e", "diagtap.summary"])
    check("ProcessInfo" in out and "Error" in out, "responses not linked to requests:\n" + out)
    print(".NET IPC recording: %d events, %d fields equal" % (n, nf))
finally:
    stop.set()
    if proxy and proxy.poll() is None:
        proxy.kill()
    s.close()
