"""Test peers for the ipc tests, run as separate processes so a test can
kill them. Each prints "ready" (and the port for TCP) once listening.

  peer.py echo-unix PATH          echo every connection (threads)
  peer.py echo-tcp HOST PORT      the same over TCP; PORT 0 picks one
  peer.py stream-unix PATH        per connection: discard what comes, send forever
  peer.py flood-unix PATH COUNT   one connection: send forever; bytes sent so far
                                  written to the file COUNT
  peer.py slow-echo-unix PATH     echo, but a backlog of 1 and 50 ms per accept
  peer.py fake-runtime DIR KEY    listen where a .NET runtime of this pid would
                                  (DIR/dotnet-diagnostic-PID-KEY-socket); answer each
                                  diagnostics IPC request with an OK response;
                                  prints "ready PID"
"""
import os
import socket
import sys
import threading
import time

BLOCK = os.urandom(65536)


def echo(conn):
    with conn:
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                conn.shutdown(socket.SHUT_WR)
                return
            conn.sendall(data)


def discard(conn):
    while True:
        try:
            if not conn.recv(65536):
                return
        except OSError:
            return


def stream(conn):
    threading.Thread(target=discard, args=(conn,), daemon=True).start()
    try:
        while True:
            conn.sendall(BLOCK)
    except OSError:
        pass


def serve(srv, handler):
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handler, args=(conn,), daemon=True).start()


def unix_server(path):
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(512)
    return srv


def fake_runtime(conn):
    """Reads one IPC header (14-byte magic, u16 size, set, id, reserved) and
    its payload; answers OK (0xFF/0x00) with an HRESULT of 0."""
    with conn:
        head = b""
        while len(head) < 20:
            b = conn.recv(20 - len(head))
            if not b:
                return
            head += b
        size = int.from_bytes(head[14:16], "little")
        left = size - 20
        while left > 0:
            b = conn.recv(left)
            if not b:
                return
            left -= len(b)
        payload = (0).to_bytes(4, "little")
        conn.sendall(b"DOTNET_IPC_V1\0" + (20 + len(payload)).to_bytes(2, "little") + b"\xff\x00\x00\x00" + payload)


def main():
    mode = sys.argv[1]
    if mode == "fake-runtime":
        path = os.path.join(sys.argv[2], "dotnet-diagnostic-%d-%s-socket" % (os.getpid(), sys.argv[3]))
        srv = unix_server(path)
        os.chmod(path, 0o600)
        print("ready %d" % os.getpid(), flush=True)
        serve(srv, fake_runtime)
    if mode == "echo-tcp":
        host, port = sys.argv[2], int(sys.argv[3])
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        srv = socket.socket(fam, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((host, port))
        srv.listen(512)
        print("ready %d" % srv.getsockname()[1], flush=True)
        serve(srv, echo)
    srv = unix_server(sys.argv[2])
    print("ready", flush=True)
    if mode == "echo-unix":
        serve(srv, echo)
    elif mode == "slow-echo-unix":
        srv.listen(1)
        while True:
            time.sleep(0.05)
            conn, _ = srv.accept()
            threading.Thread(target=echo, args=(conn,), daemon=True).start()
    elif mode == "stream-unix":
        serve(srv, stream)
    elif mode == "flood-unix":
        conn, _ = srv.accept()
        sent = 0
        count_path = sys.argv[3]
        while True:
            conn.sendall(BLOCK)
            sent += len(BLOCK)
            with open(count_path + ".tmp", "w") as f:
                f.write(str(sent))
            os.replace(count_path + ".tmp", count_path)
    else:
        sys.exit("unknown mode " + mode)


main()
