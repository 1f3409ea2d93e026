"""A scripted DAP client driving a real debugpy through one debugging
session (breakpoint, stack, variables, evaluate, continue, exit), logging
the raw bytes it sent and received."""
import json
import os
import socket
import subprocess
import sys
import time

TARGET = """\
import sys
def square(x):
    y = x * x
    return y            # line 4: the breakpoint
total = 0
for i in range(3):
    total += square(i)
print("total", total)
"""


class Client:
    def __init__(self, sock, c2s, s2c):
        self.sock, self.c2s, self.s2c = sock, c2s, s2c
        self.buf = b""
        self.seq = 0

    def send(self, command, **arguments):
        self.seq += 1
        msg = {"seq": self.seq, "type": "request", "command": command}
        if arguments:
            msg["arguments"] = arguments
        body = json.dumps(msg).encode()
        data = b"Content-Length: %d\r\n\r\n" % len(body) + body
        self.c2s.write(data)
        self.sock.sendall(data)
        return self.seq

    def recv(self):
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if sep:
                n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
                if len(rest) >= n:
                    self.buf = rest[n:]
                    return json.loads(rest[:n])
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("debugpy closed the connection")
            self.s2c.write(data)
            self.buf += data

    def wait(self, pred, what):
        deadline = time.time() + 30
        while time.time() < deadline:
            m = self.recv()
            if pred(m):
                return m
        raise TimeoutError("no " + what)

    def request(self, command, **arguments):
        seq = self.send(command, **arguments)
        return self.wait(lambda m: m.get("type") == "response" and m.get("request_seq") == seq, command)

    def event(self, name):
        return self.wait(lambda m: m.get("type") == "event" and m.get("event") == name, name + " event")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_debugpy(workdir, port):
    r = subprocess.run(["/usr/bin/python3", "-c", "import debugpy"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("debugpy is not installed (Debian package python3-debugpy): " + r.stderr[-200:])
    target = os.path.join(workdir, "target.py")
    with open(target, "w") as f:
        f.write(TARGET)
    proc = subprocess.Popen(["/usr/bin/python3", "-m", "debugpy", "--listen", "127.0.0.1:%d" % port,
                             "--wait-for-client", target], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, target


def wait_listening(port, timeout=20):
    """Waits until something listens on 127.0.0.1:port, without connecting
    (debugpy serves one client only)."""
    deadline = time.time() + timeout
    want = ":%04X" % port
    while time.time() < deadline:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[1].endswith(want) and cols[3] == "0A":  # TCP_LISTEN
                    return
        time.sleep(0.05)
    raise TimeoutError("nothing listens on port %d" % port)


def connect(port, timeout=20):
    deadline = time.time() + timeout
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=30)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def session(port, target, c2s_path, s2c_path):
    """Runs the session against whatever listens on port; returns the commands sent."""
    with open(c2s_path, "wb") as c2s, open(s2c_path, "wb") as s2c:
        c = Client(connect(port), c2s, s2c)
        c.request("initialize", clientID="diagtap-test", adapterID="debugpy", pathFormat="path",
                  linesStartAt1=True, columnsStartAt1=True)
        c.send("attach", justMyCode=False)
        c.event("initialized")
        c.request("setBreakpoints", source={"path": target}, breakpoints=[{"line": 4}])
        c.request("configurationDone")
        stopped = c.event("stopped")
        tid = stopped["body"]["threadId"]
        c.request("threads")
        st = c.request("stackTrace", threadId=tid, startFrame=0, levels=20)
        frame = st["body"]["stackFrames"][0]["id"]
        sc = c.request("scopes", frameId=frame)
        ref = sc["body"]["scopes"][0]["variablesReference"]
        c.request("variables", variablesReference=ref)
        c.request("evaluate", expression="x * 10", frameId=frame, context="repl")
        c.request("setBreakpoints", source={"path": target}, breakpoints=[])
        c.request("continue", threadId=tid)
        c.event("terminated")
        try:
            c.request("disconnect")
        except (EOFError, OSError, TimeoutError):
            pass
        c.sock.close()


if __name__ == "__main__":
    port = free_port()
    proc, target = start_debugpy(sys.argv[1], port)
    try:
        session(port, target, os.path.join(sys.argv[1], "c2s.bin"), os.path.join(sys.argv[1], "s2c.bin"))
    finally:
        proc.wait(timeout=30)
