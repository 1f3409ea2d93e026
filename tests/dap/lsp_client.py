#!/usr/bin/python3
"""A scripted LSP client: runs a language server over stdio (after --) and
does initialize, initialized, didOpen FILE, hover and definition at a
position, a request for a method that does not exist (an error reply),
shutdown and exit. Requests from the server (window/workDoneProgress/create,
workspace/configuration) are answered. Numeric and string ids are both used.

--record DIR writes DIR/transcript.bin (see transcript.py).
Prints a JSON report: the methods seen and the error code received.
"""
import argparse
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transcript import TranscriptWriter  # noqa: E402


class Lsp:
    def __init__(self, argv, record_dir):
        argv = [shutil.which(argv[0]) or argv[0]] + argv[1:]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, bufsize=0)
        self.tr = None
        if record_dir:
            os.makedirs(record_dir, exist_ok=True)
            self.tr = TranscriptWriter(os.path.join(record_dir, "transcript.bin"))
        self.q = queue.Queue()
        self.seen = []
        self.lock = threading.Lock()
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        r = self.proc.stdout
        try:
            while True:
                header = b""
                while not header.endswith(b"\r\n\r\n"):
                    ch = r.read(1)
                    if not ch:
                        raise EOFError
                    header += ch
                n = 0
                for line in header.split(b"\r\n"):
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        n = int(v)
                body = b""
                while len(body) < n:
                    chunk = r.read(n - len(body))
                    if not chunk:
                        raise EOFError
                    body += chunk
                if self.tr:
                    self.tr.add(1, header + body)
                self.q.put(json.loads(body))
        except (EOFError, OSError, ValueError) as e:
            self.q.put(e)

    def send(self, msg, split=False):
        body = json.dumps(msg).encode()
        header = b"Content-Length: %d\r\n\r\n" % len(body)
        with self.lock:
            if self.tr:
                self.tr.add(0, header + body)
            if split:  # header and body in separate writes, like vscode-jsonrpc
                self.proc.stdin.write(header)
                self.proc.stdin.flush()
                time.sleep(0.01)
            self.proc.stdin.write(header + body if not split else body)
            self.proc.stdin.flush()

    def wait(self, want_id, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                m = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError("timed out waiting for id %r" % (want_id,))
            if isinstance(m, Exception):
                raise RuntimeError("server closed: %s" % m)
            self.seen.append(m)
            if "method" in m and "id" in m:  # a server request
                result = [] if m["method"] == "workspace/configuration" else None
                self.send({"jsonrpc": "2.0", "id": m["id"], "result": result})
            elif "method" not in m and m.get("id") == want_id:
                return m

    def request(self, rid, method, params, split=False):
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}, split)
        return self.wait(rid)

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--file", required=True)
    p.add_argument("--line", type=int, required=True, help="0-based line of a symbol use")
    p.add_argument("--character", type=int, required=True)
    p.add_argument("--record")
    p.add_argument("command", nargs="+")
    o = p.parse_args()
    uri = "file://" + os.path.abspath(o.file)
    s = Lsp(o.command, o.record)
    report = {}
    init = s.request(1, "initialize", {
        "processId": os.getpid(), "clientInfo": {"name": "diagtap-lsp-test"},
        "rootUri": "file://" + os.path.dirname(os.path.abspath(o.file)),
        "capabilities": {"window": {"workDoneProgress": True},
                         "textDocument": {"hover": {"contentFormat": ["plaintext"]}}}}, split=True)
    report["server"] = (init["result"].get("serverInfo") or {}).get("name")
    s.notify("initialized", {})
    with open(o.file) as f:
        text = f.read()
    s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "c", "version": 1, "text": text}})
    pos = {"textDocument": {"uri": uri}, "position": {"line": o.line, "character": o.character}}
    report["hover"] = s.request("hover-1", "textDocument/hover", pos)["result"] is not None
    report["definition"] = s.request(3, "textDocument/definition", pos)["result"]
    err = s.request("bogus-4", "diagtap/noSuchMethod", {})
    report["error"] = err.get("error")
    s.request(5, "shutdown", None)
    s.notify("exit", None)
    try:
        s.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        s.proc.kill()
    s.proc.stdin.close()
    if s.tr:
        s.tr.close()
    report["methods"] = sorted({m.get("method") for m in s.seen if m.get("method")})
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
