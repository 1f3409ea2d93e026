#!/usr/bin/python3
"""A scripted Debug Adapter Protocol client.

Talks to a debug adapter over TCP (--tcp HOST:PORT) or over the stdio of a
command it starts (after --), runs one debugging session and prints a JSON
report of what happened:

    initialize, launch (or attach), setBreakpoints, configurationDone,
    wait for stopped, threads, stackTrace, scopes, variables, evaluate
    (and optionally an evaluate that must fail), continue, wait for
    exited/terminated, disconnect.

Reverse requests from the adapter are answered: runInTerminal starts the
command it names (so lldb-vscode's runInTerminal launch works), anything
else gets success:false.

--record DIR keeps the exact bytes of each direction (c2s.bin, s2c.bin) so
tests can compare them with what diagtap relayed or decoded.

Usable as a module too: DapClient.tcp(...) / DapClient.spawn(...).
"""

import argparse
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transcript import TranscriptWriter  # noqa: E402


class DapError(Exception):
    pass


class DapClient:
    def __init__(self, rfile, wfile, record_dir=None, closer=None, log=None):
        self._r = rfile
        self._w = wfile
        self._closer = closer
        self._seq = 1
        self._lock = threading.Lock()
        self._q = queue.Queue()
        self.messages = []          # every message, in order, with its direction
        self.events = []
        self.pending_events = []    # events not yet consumed by wait_event
        self.children = []          # processes started for runInTerminal
        self.log = log
        self._rec_c2s = self._rec_s2c = self._transcript = None
        if record_dir:
            os.makedirs(record_dir, exist_ok=True)
            self._rec_c2s = open(os.path.join(record_dir, "c2s.bin"), "wb")
            self._rec_s2c = open(os.path.join(record_dir, "s2c.bin"), "wb")
            self._transcript = TranscriptWriter(os.path.join(record_dir, "transcript.bin"))
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # ---- construction

    @classmethod
    def tcp(cls, host, port, connect_timeout=20.0, **kw):
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                sock = socket.create_connection((host, port), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        sock.settimeout(None)
        return cls(sock.makefile("rb", buffering=0), sock.makefile("wb", buffering=0),
                   closer=sock.close, **kw)

    @classmethod
    def spawn(cls, argv, stderr=None, **kw):
        # An absolute argv[0]: lldb-vscode re-runs itself through it for runInTerminal.
        argv = [shutil.which(argv[0]) or argv[0]] + list(argv[1:])
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=stderr, bufsize=0)
        client = cls(proc.stdout, proc.stdin, closer=proc.stdin.close, **kw)
        client.proc = proc
        return client

    # ---- wire

    def _read_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self._r.read(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def _read_message(self):
        header = b""
        while not header.endswith(b"\r\n\r\n"):
            ch = self._r.read(1)
            if not ch:
                raise EOFError
            header += ch
        length = None
        for line in header.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length is None:
            raise DapError("header without Content-Length: %r" % header)
        body = self._read_exact(length)
        if self._rec_s2c:
            self._rec_s2c.write(header + body)
            self._rec_s2c.flush()
            self._transcript.add(1, header + body)
        return json.loads(body)

    def _read_loop(self):
        try:
            while True:
                self._q.put(self._read_message())
        except (EOFError, OSError, ValueError) as e:
            self._q.put(e)

    def _send(self, msg):
        body = json.dumps(msg, separators=(",", ":")).encode()
        data = b"Content-Length: %d\r\n\r\n" % len(body) + body
        with self._lock:
            if self._rec_c2s:
                self._rec_c2s.write(data)
                self._rec_c2s.flush()
                self._transcript.add(0, data)
            self._w.write(data)
            self._w.flush()
        self.messages.append(("c2s", msg))
        if self.log:
            print("-> %s" % body.decode()[:300], file=self.log)

    def request(self, command, arguments=None):
        with self._lock:
            seq = self._seq
            self._seq += 1
        msg = {"seq": seq, "type": "request", "command": command}
        if arguments is not None:
            msg["arguments"] = arguments
        self._send(msg)
        return seq

    def _next(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise DapError("timed out")
        try:
            item = self._q.get(timeout=left)
        except queue.Empty:
            raise DapError("timed out")
        if isinstance(item, Exception):
            raise DapError("adapter closed the connection (%s)" % (item or "EOF"))
        self.messages.append(("s2c", item))
        if self.log:
            print("<- %s" % json.dumps(item)[:300], file=self.log)
        if item.get("type") == "event":
            self.events.append(item)
            self.pending_events.append(item)
        elif item.get("type") == "request":
            self._answer_reverse(item)
        return item

    def _answer_reverse(self, req):
        body, ok, message = None, False, "unsupported"
        if req.get("command") == "runInTerminal":
            a = req.get("arguments", {})
            env = dict(os.environ)
            env.update({k: v for k, v in (a.get("env") or {}).items() if v is not None})
            proc = subprocess.Popen(a["args"], cwd=a.get("cwd") or None, env=env,
                                    stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno())
            self.children.append(proc)
            body, ok, message = {"processId": proc.pid}, True, None
        resp = {"seq": 0, "type": "response", "request_seq": req["seq"],
                "command": req.get("command"), "success": ok}
        if body is not None:
            resp["body"] = body
        if message:
            resp["message"] = message
        with self._lock:
            resp["seq"] = self._seq
            self._seq += 1
        self._send(resp)

    def wait_response(self, seq, timeout=30.0):
        deadline = time.monotonic() + timeout
        for d, m in self.messages:
            if d == "s2c" and m.get("type") == "response" and m.get("request_seq") == seq:
                return m
        while True:
            m = self._next(deadline)
            if m.get("type") == "response" and m.get("request_seq") == seq:
                return m

    def wait_event(self, name, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.pending_events):
                if e.get("event") == name:
                    del self.pending_events[i]
                    return e
            self._next(deadline)

    def call(self, command, arguments=None, timeout=30.0, must_succeed=True):
        resp = self.wait_response(self.request(command, arguments), timeout)
        if must_succeed and not resp.get("success"):
            raise DapError("%s failed: %s" % (command, resp.get("message")))
        return resp

    def drain(self, seconds):
        """Reads whatever arrives for a while (until EOF at the latest)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self._next(deadline)
        except DapError:
            pass

    def close(self):
        if self._closer:
            try:
                self._closer()
            except OSError:
                pass
        for rec in (self._rec_c2s, self._rec_s2c, self._transcript):
            if rec:
                rec.close()
        proc = getattr(self, "proc", None)
        if proc:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for child in self.children:
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()


def run_session(c, opts):
    report = {}
    caps = c.call("initialize", {
        "clientID": "diagtap-test", "clientName": "diagtap scripted client",
        "adapterID": opts.adapter_id, "pathFormat": "path",
        "linesStartAt1": True, "columnsStartAt1": True,
        "supportsVariableType": True, "supportsRunInTerminalRequest": opts.run_in_terminal,
    })
    report["capabilities"] = sorted(k for k, v in (caps.get("body") or {}).items() if v is True)

    if opts.mode == "launch":
        args = {"program": opts.program, "args": opts.arg, "cwd": opts.cwd or os.path.dirname(opts.program),
                "stopOnEntry": False}
        if opts.run_in_terminal:
            args["runInTerminal"] = True         # lldb-vscode
            args["console"] = "integratedTerminal"  # debugpy
    else:
        args = {"justMyCode": True}
        if opts.connect:
            host, _, port = opts.connect.rpartition(":")
            args["connect"] = {"host": host, "port": int(port)}
    start_seq = c.request(opts.mode, args)
    c.wait_event("initialized", opts.timeout)

    host_file, _, line = opts.breakpoint.rpartition(":")
    bp = c.call("setBreakpoints", {"source": {"path": host_file}, "breakpoints": [{"line": int(line)}]})
    report["breakpoints"] = bp["body"]["breakpoints"]
    c.call("setExceptionBreakpoints", {"filters": []})
    c.call("configurationDone", {}, timeout=opts.timeout)
    start = c.wait_response(start_seq, opts.timeout)
    if not start.get("success"):
        raise DapError("%s failed: %s" % (opts.mode, start.get("message")))

    stopped = c.wait_event("stopped", opts.timeout)["body"]
    report["stopped"] = stopped
    tid = stopped.get("threadId")
    threads = c.call("threads")["body"]["threads"]
    if tid is None:
        tid = threads[0]["id"]
    st = c.call("stackTrace", {"threadId": tid, "startFrame": 0, "levels": 20})["body"]
    top = st["stackFrames"][0]
    report["top_frame"] = {"name": top.get("name"), "line": top.get("line"),
                           "path": (top.get("source") or {}).get("path")}
    scopes = c.call("scopes", {"frameId": top["id"]})["body"]["scopes"]
    report["scopes"] = [s["name"] for s in scopes]
    variables = c.call("variables", {"variablesReference": scopes[0]["variablesReference"]})["body"]["variables"]
    report["variables"] = {v["name"]: v.get("value") for v in variables}
    ev = c.call("evaluate", {"expression": opts.evaluate, "frameId": top["id"], "context": "watch"})
    report["evaluate"] = ev["body"].get("result")
    if opts.bad_evaluate:
        bad = c.call("evaluate", {"expression": opts.bad_evaluate, "frameId": top["id"], "context": "watch"},
                     must_succeed=False)
        report["bad_evaluate"] = {"success": bad.get("success"), "message": bad.get("message")}
    c.call("continue", {"threadId": tid})
    c.wait_event("terminated", opts.timeout)
    # exited comes first when the adapter started the debuggee; an attached
    # debugpy only says terminated.
    exited = [e for e in c.events if e.get("event") == "exited"]
    report["exit_code"] = exited[0]["body"].get("exitCode") if exited else None
    try:
        c.call("disconnect", {"terminateDebuggee": False}, timeout=10, must_succeed=False)
    except DapError:
        pass  # some adapters close at once
    c.drain(0.5)
    return report


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tcp", metavar="HOST:PORT", help="connect to an adapter listening on TCP")
    p.add_argument("--mode", choices=["launch", "attach"], default="launch")
    p.add_argument("--adapter-id", default="diagtap")
    p.add_argument("--program", help="launch: the program to debug")
    p.add_argument("--arg", action="append", default=[], help="launch: a program argument (repeatable)")
    p.add_argument("--cwd")
    p.add_argument("--connect", metavar="HOST:PORT", help="attach: connect argument")
    p.add_argument("--breakpoint", required=True, metavar="FILE:LINE")
    p.add_argument("--evaluate", required=True, metavar="EXPR")
    p.add_argument("--bad-evaluate", metavar="EXPR", help="also evaluate EXPR, which must fail")
    p.add_argument("--run-in-terminal", action="store_true", help="launch through a runInTerminal reverse request")
    p.add_argument("--record", metavar="DIR", help="write c2s.bin and s2c.bin: the exact bytes each way")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--verbose", action="store_true", help="log messages to stderr")
    p.add_argument("command", nargs="*", help="adapter command to run over stdio (after --)")
    opts = p.parse_args()
    if bool(opts.tcp) == bool(opts.command):
        p.error("give either --tcp HOST:PORT or -- COMMAND")
    log = sys.stderr if opts.verbose else None
    if opts.tcp:
        host, _, port = opts.tcp.rpartition(":")
        c = DapClient.tcp(host, int(port), record_dir=opts.record, log=log)
    else:
        c = DapClient.spawn(opts.command, record_dir=opts.record, log=log)
    try:
        report = run_session(c, opts)
    except DapError as e:
        print("dap_client: %s" % e, file=sys.stderr)
        c.close()
        return 1
    report["messages"] = [{"dir": d, "type": m.get("type"), "seq": m.get("seq"),
                           "name": m.get("command") or m.get("event"),
                           "request_seq": m.get("request_seq"), "success": m.get("success")}
                          for d, m in c.messages]
    c.close()
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
