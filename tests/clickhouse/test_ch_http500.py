#!/usr/bin/python3
"""The server answers HTTP 500 for a while (a small proxy in front of the
real clickhouse-server): first it passes two INSERTs on and still answers
500 (the rows landed, diagtap was told they did not), then it answers 500
to everything for a few seconds, then it lets everything through. diagtap
warns once, counts the uncertain batches on the server before resending
them, and every event arrives exactly once. With a queue of two batches the
rest wait in the spool during the outage; the batches land in the order they
were sealed (1, 2, 3, ... as the proxy sees the inserts that reached the
server), and retries back off (no two failed requests closer than 0.2 s)."""
import http.server
import os
import struct
import socketserver
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chtest import Server, check, diagtap, free_port, gen_events, json_lines, skip_without_server, spool_files, workdir


def batch_of(body):
    """The batch column of a RowBinary insert's first row: time UInt32,
    ts_ns UInt64, host String (LEB128 length), run_id UInt64, batch UInt64."""
    off, n, shift = 12, 0, 0
    while True:
        b = body[off]
        off += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return struct.unpack_from("<Q", body, off + n + 8)[0]


class Proxy:
    def __init__(self, upstream_port, pass_then_fail=2, fail_seconds=3.0):
        self.upstream = upstream_port
        self.pass_then_fail = pass_then_fail
        self.fail_seconds = fail_seconds
        self.fail_until = None
        self.lock = threading.Lock()
        self.log = []
        self.landed = []    # batch column of each insert the server took, in order
        self.failed_at = []  # times of the requests answered 500 without reaching the server
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query).get("query", [""])[0]
                is_insert = q.upper().startswith("INSERT")
                with proxy.lock:
                    now = time.time()
                    if is_insert and proxy.pass_then_fail > 0:
                        proxy.pass_then_fail -= 1
                        mode = "pass-then-500"
                        if proxy.pass_then_fail == 0:
                            proxy.fail_until = now + proxy.fail_seconds
                    elif proxy.fail_until is not None and now < proxy.fail_until:
                        mode = "500"
                    else:
                        mode = "pass"
                    proxy.log.append((mode, q.split(" ")[0]))
                    if mode == "500":
                        proxy.failed_at.append(now)
                status, data = 500, b"Code: 999, injected by the test proxy\n"
                if mode != "500":
                    req = urllib.request.Request("http://127.0.0.1:%d%s" % (proxy.upstream, self.path), data=body)
                    if self.headers.get("Authorization"):
                        req.add_header("Authorization", self.headers["Authorization"])
                    try:
                        resp = urllib.request.urlopen(req, timeout=60)
                        status, data = resp.status, resp.read()
                    except urllib.error.HTTPError as e:
                        status, data = e.code, e.read()
                    if is_insert and status == 200:
                        with proxy.lock:
                            proxy.landed.append(batch_of(body))
                if mode == "pass-then-500":
                    status, data = 500, b"Code: 999, injected after the insert went through\n"
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Srv(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.port = free_port()
        self.httpd = Srv(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def main():
    skip_without_server()
    wd = workdir()
    cap = os.path.join(wd, "events.pcap")
    gen_events(cap, 20000)
    srv = Server(wd)
    srv.start()
    proxy = Proxy(srv.http)
    try:
        srv.create_table("diag.events")
        spool = os.path.join(wd, "spool")
        out = os.path.join(wd, "events.json")
        r = diagtap(["replay", cap, "-T", "json", "-o", out, "-o", srv.url("diag.events", port=proxy.port),
                     "--clickhouse-spool", spool, "--clickhouse-batch", "2000", "--clickhouse-queue", "2", "--clickhouse-exit-wait", "120"])
        msgs = r.stderr.decode()
        check(r.returncode == 0, "diagtap: %d %s" % (r.returncode, msgs))
        down, up = msgs.count("unreachable (HTTP 500"), msgs.count("reachable again")
        check(down >= 1 and down == up, "expected a warning line per outage and a line when it ended: " + msgs)
        modes = [m for m, _ in proxy.log]
        check(modes.count("pass-then-500") == 2 and "500" in modes, "the proxy never failed: %s" % proxy.log)
        check(("pass", "SELECT") in proxy.log, "no check-before-resend query was made: %s" % proxy.log)
        n = len(json_lines(out))
        got = srv.rows("SELECT count() AS c, uniqExact(run_id, seq) AS u, min(seq) AS lo, max(seq) AS hi "
                       "FROM diag.events")[0]
        got = {k: int(v) for k, v in got.items()}
        check(got == {"c": n, "u": n, "lo": 1, "hi": n}, "rows %s, want each of %d exactly once" % (got, n))
        check(spool_files(spool) == [], "spool not empty")
        batches = srv.scalar("SELECT uniqExact(batch) FROM diag.events")
        check(proxy.landed == list(range(1, batches + 1)),
              "batches landed in the order %s, want 1..%d once each" % (proxy.landed, batches))
        gaps = [b - a for a, b in zip(proxy.failed_at, proxy.failed_at[1:])]
        check(gaps and min(gaps) >= 0.2, "retries without backoff: gaps %s" % gaps)
        check(srv.scalar("SELECT max(c) FROM (SELECT count() AS c FROM diag.events GROUP BY batch)") <= 2000,
              "a batch larger than --clickhouse-batch 2000")
    finally:
        proxy.close()
        srv.stop()
    print("ok: %d events exactly once through HTTP 500s (%d requests: %s); batches 1..%d landed in order; "
          "retry gaps %s s" % (n, len(proxy.log), ", ".join(sorted(set("%s %s" % x for x in proxy.log))),
                               len(proxy.landed), " ".join("%.2f" % g for g in gaps)))


if __name__ == "__main__":
    main()
