#!/usr/bin/python3
"""The ClickHouse output with the long-running commands a fleet runs as
services, `proxy` and `session`, next to a JSON timeline file:

1. `proxy tcp` in front of a small DAP server, batches sealed by age
   (--clickhouse-batch-ms 300): the rows of the first exchanges are in
   ClickHouse while the proxy still runs (the time trigger, not the exit
   flush, sent them); the relayed bytes are unchanged; the URL's password
   is gone from /proc/PID/cmdline while it runs and from every message; after
   SIGTERM the rows equal the JSON timeline's events, exit 0, spool empty.
2. `session` with a TCP proxy source and the bundled sample replayed
   alongside (file:), with every other output at once (-o FILE, -w
   recording, --stats), stopped by SIGTERM: one row per timeline event, both
   channels, spool empty, the recording and the statistics written.
3. Batching by size in bytes: the sample with --clickhouse-batch-bytes 32k
   arrives in several batches, with 1M in one; every row once. The local
   default stays: the same replay without a ClickHouse URL writes the same
   JSON timeline byte for byte, and creates no spool (not under
   $STATE_DIRECTORY, not under $HOME).
4. The relay while ClickHouse is down and the spool is full (its cap): the
   proxy keeps relaying unchanged, one line says the spool is full, and
   after SIGTERM the loss is counted (lost + spooled = the timeline's
   events) and the exit status is 1: never silent.
5. A ClickHouse that accepts connections and never answers (a black hole,
   the worst case for a sender): the relay is not held up (each reply within
   the client's 10 s timeout, while an insert waits up to 60 s); SIGTERM
   ends it within --clickhouse-exit-wait (1 s here; well under 30 s, the
   documented unit's TimeoutStopSec, though the insert in flight would wait
   60 s), every event spooled, the insert in flight marked uncertain; the
   next run sends them all to the real server, once."""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chtest import (DIAGTAP, PASSWORD, SAMPLE, Server, check, diagtap, free_port, json_lines, skip_without_server,
                    spool_files, workdir)


def dap(body):
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


class DapServer:
    """Answers every DAP request with its response (enough for pairing)."""

    def __init__(self):
        self.port = free_port()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.one, args=(c,), daemon=True).start()

    def one(self, c):
        buf = b""
        seq = 0
        with c:
            while True:
                try:
                    d = c.recv(65536)
                except OSError:
                    return
                if not d:
                    return
                buf += d
                while b"\r\n\r\n" in buf:
                    head, rest = buf.split(b"\r\n\r\n", 1)
                    n = int(head.split(b":")[1])
                    if len(rest) < n:
                        break
                    body, buf = rest[:n], rest[n:]
                    req_seq = int(body.split(b'"seq":')[1].split(b",")[0])
                    seq += 1
                    c.sendall(dap(b'{"seq":%d,"type":"response","request_seq":%d,"success":true,'
                                  b'"command":"threads","body":{"threads":[]}}' % (seq, req_seq)))

    def close(self):
        self.sock.close()


def exchange(port, n):
    """n DAP requests through the proxy on port; returns what came back."""
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    got = b""
    for i in range(n):
        c.sendall(dap(b'{"seq":%d,"type":"request","command":"threads"}' % (i + 1)))
        want = len(got) + 1
        while len(got) < want or not got.endswith(b"}}"):
            d = c.recv(65536)
            check(d, "the proxy closed the connection")
            got += d
    c.close()
    return got


def wait_listening(port, p, what):
    deadline = time.time() + 30
    while time.time() < deadline:
        check(p.poll() is None, "%s ended at start" % what)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    check(False, "%s never listened on %d" % (what, port))


def stop(p, err, what):
    p.send_signal(signal.SIGTERM)
    rc = p.wait(120)
    err.seek(0)
    return rc, err.read().decode(errors="replace")


def main():
    skip_without_server()
    wd = workdir()
    srv = Server(wd)
    srv.start()
    upstream = DapServer()
    try:
        srv.create_table("diag.events")
        # 1. proxy, batches by age, password in the URL
        front = free_port()
        out = os.path.join(wd, "proxy.json")
        spool = os.path.join(wd, "sp-proxy")
        err = open(os.path.join(wd, "proxy.err"), "w+b")
        url = srv.url("diag.events", "writer:" + PASSWORD)
        p = subprocess.Popen([DIAGTAP, "proxy", "-d", "dap", "-T", "json", "-o", out, "-o", url,
                              "--clickhouse-spool", spool, "--host-label", "proxy-host", "--clickhouse-batch-ms", "300",
                              "tcp", "127.0.0.1:%d" % front, "127.0.0.1:%d" % upstream.port],
                             stdout=subprocess.DEVNULL, stderr=err)
        wait_listening(front, p, "diagtap proxy")
        back = exchange(front, 3)
        check(back.count(b'"type":"response"') == 3, "relayed replies altered: %r" % back)
        deadline = time.time() + 30
        while srv.scalar("SELECT count() FROM diag.events WHERE host = 'proxy-host'") < 6:
            check(p.poll() is None, "the proxy ended")
            check(time.time() < deadline, "rows of a running proxy never arrived: batches are not sealed by age")
            time.sleep(0.1)
        # the sink is running (its rows arrived), so argv no longer shows the password
        cmdline = open("/proc/%d/cmdline" % p.pid, "rb").read()
        check(PASSWORD.encode() not in cmdline and b"writer:" in cmdline,
              "the URL's password is readable in /proc/PID/cmdline: %r" % cmdline)
        exchange(front, 2)
        rc, msgs = stop(p, err, "proxy")
        check(rc == 0, "proxy after SIGTERM: exit %d: %s" % (rc, msgs))
        check(PASSWORD not in msgs, "the password was printed: " + msgs)
        ev = json_lines(out)
        check(len(ev) >= 10, "the proxy decoded %d events" % len(ev))
        got = srv.rows("SELECT count() AS c, uniqExact(seq) AS u, countIf(role = 'response' AND latency_ns > 0) AS paired,"
                       " uniqExact(conv_id) AS convs, uniqExact(batch) AS batches FROM diag.events"
                       " WHERE host = 'proxy-host'")[0]
        got = {k: int(v) for k, v in got.items()}
        want_paired = sum(1 for e in ev if e["role"] == "response" and e["latency_ns"])
        want_convs = len({e["conv"]["id"] for e in ev if e["conv"]})
        check(got["c"] == len(ev) and got["u"] == len(ev) and got["paired"] == want_paired == 5
              and got["convs"] == want_convs and got["batches"] >= 2,
              "proxy rows %s, want %d events, %d paired responses, %d connections, >= 2 batches" %
              (got, len(ev), want_paired, want_convs))
        check(spool_files(spool) == [], "proxy: spool not empty")
        report = ["proxy: %d events, the first in ClickHouse while it ran" % len(ev)]

        # 2. session: a TCP proxy source and a recording replayed alongside
        front = free_port()
        out = os.path.join(wd, "session.json")
        spool = os.path.join(wd, "sp-session")
        err = open(os.path.join(wd, "session.err"), "w+b")
        rec = os.path.join(wd, "session.pcapng")
        p = subprocess.Popen([DIAGTAP, "session", "-T", "json", "-o", out, "-o", srv.url("diag.events"),
                              "-w", rec, "--stats",
                              "--clickhouse-spool", spool, "--host-label", "session-host", "-d", "dap",
                              "dbg@tcp:127.0.0.1:%d=127.0.0.1:%d" % (front, upstream.port), "old@file:" + SAMPLE],
                             stdout=subprocess.DEVNULL, stderr=err)
        wait_listening(front, p, "diagtap session")
        exchange(front, 4)
        time.sleep(0.5)
        rc, msgs = stop(p, err, "session")
        check(rc == 0, "session after SIGTERM: exit %d: %s" % (rc, msgs))
        ev = json_lines(out)
        chans = sorted({(e["conv"] or {}).get("channel", "") for e in ev})
        got = {r["channel"]: int(r["c"]) for r in srv.rows(
            "SELECT channel, count() AS c FROM diag.events WHERE host = 'session-host' GROUP BY channel")}
        want = {}
        for e in ev:
            ch = (e["conv"] or {}).get("channel") or ""
            want[ch] = want.get(ch, 0) + 1
        check(got == want, "session rows per channel %s, want %s" % (got, want))
        check(any(c.startswith("dbg") for c in want) and any(c.startswith("old") for c in want),
              "the session did not tap both sources: %s" % chans)
        check(spool_files(spool) == [], "session: spool not empty")
        check(os.path.getsize(rec) > 1000 and open(rec, "rb").read(4) == b"\x0a\x0d\x0d\x0a",
              "session: no pcapng recording next to the ClickHouse output")
        check("dap" in msgs.lower() and "smb2" in msgs.lower(), "session: no --stats table: " + msgs)
        report.append("session: %d events of %d channels" % (len(ev), len(want)))

        # 3. batches by size in bytes
        n = None
        for label, size, several in (("bytes-32k", "32k", True), ("bytes-1m", "1M", False)):
            r = diagtap(["replay", SAMPLE, "-T", "json", "-o", os.path.join(wd, label + ".json"), "-o",
                         srv.url("diag.events"), "--clickhouse-spool", os.path.join(wd, "sp-" + label),
                         "--host-label", label, "--clickhouse-batch-bytes", size, "--clickhouse-exit-wait", "120"])
            # (many small batches may outrun the sender: "sending is behind; spooling" is fine, a loss is not)
            check(r.returncode == 0 and b"LOST" not in r.stderr, "replay %s: %s" % (label, r.stderr.decode()))
            n = len(json_lines(os.path.join(wd, label + ".json")))
            got = srv.rows("SELECT count() AS c, uniqExact(seq) AS u, uniqExact(batch) AS b FROM diag.events "
                           "WHERE host = '%s'" % label)[0]
            c, u, b = int(got["c"]), int(got["u"]), int(got["b"])
            check(c == n and u == n and ((b > 3) if several else (b == 1)),
                  "%s: %d rows, %d distinct, %d batches for %d events" % (label, c, u, b, n))
            report.append("%s: %d batches" % (label, b))
        home = os.path.join(wd, "home")
        os.makedirs(os.path.join(home, "state"))
        r = diagtap(["replay", SAMPLE, "-T", "json", "-o", os.path.join(wd, "local.json")],
                    env={"HOME": home, "STATE_DIRECTORY": os.path.join(home, "state")})
        check(r.returncode == 0 and r.stderr == b"", "replay without ClickHouse: " + r.stderr.decode())
        check(open(os.path.join(wd, "local.json"), "rb").read() == open(os.path.join(wd, "bytes-1m.json"), "rb").read(),
              "the JSON timeline differs with and without a ClickHouse output")
        check(os.listdir(home) == ["state"] and os.listdir(os.path.join(home, "state")) == [],
              "a run without ClickHouse created %s" % list(os.walk(home)))
        report.append("without a URL: same timeline, no spool")

        # 4. the relay with ClickHouse down and the spool full
        front = free_port()
        out = os.path.join(wd, "full.json")
        spool = os.path.join(wd, "sp-full")
        err = open(os.path.join(wd, "full.err"), "w+b")
        dead = "clickhouse://127.0.0.1:%d/diag.events" % free_port()  # nothing listens there
        p = subprocess.Popen([DIAGTAP, "proxy", "-d", "dap", "-T", "json", "-o", out, "-o", dead,
                              "--clickhouse-spool", spool, "--clickhouse-spool-max", "4k", "--clickhouse-batch", "4",
                              "--clickhouse-queue", "1", "--clickhouse-exit-wait", "0",
                              "tcp", "127.0.0.1:%d" % front, "127.0.0.1:%d" % upstream.port],
                             stdout=subprocess.DEVNULL, stderr=err)
        wait_listening(front, p, "diagtap proxy")
        for _ in range(4):
            back = exchange(front, 10)
            check(back.count(b'"type":"response"') == 10, "relay altered while the spool was full: %r" % back)
        rc, msgs = stop(p, err, "proxy")
        n = len(json_lines(out))
        m = re.search(r"(\d+) events were LOST", msgs)
        sp = re.search(r"(\d+) events in (\d+) batches .* spooled", msgs)
        check(rc == 1 and re.search(r"spool .* is full", msgs) and m and sp,
              "a full spool behind a relay: exit %d, %s" % (rc, msgs))
        lost, spooled = int(m.group(1)), int(sp.group(1))
        check(lost > 0 and lost + spooled == n, "%d lost + %d spooled != %d events" % (lost, spooled, n))
        report.append("relay with a full spool: %d events, %d lost (reported), %d spooled" % (n, lost, spooled))

        # 5. a ClickHouse that never answers
        hole = socket.socket()
        hole.bind(("127.0.0.1", 0))
        hole.listen(64)  # the kernel completes the handshakes; nobody reads
        front = free_port()
        out = os.path.join(wd, "hole.json")
        spool = os.path.join(wd, "sp-hole")
        err = open(os.path.join(wd, "hole.err"), "w+b")
        p = subprocess.Popen([DIAGTAP, "proxy", "-d", "dap", "-T", "json", "-o", out, "-o",
                              "clickhouse://127.0.0.1:%d/diag.events" % hole.getsockname()[1],
                              "--clickhouse-spool", spool, "--host-label", "hole", "--clickhouse-batch", "4", "--clickhouse-queue", "1",
                              "--clickhouse-exit-wait", "1",
                              "tcp", "127.0.0.1:%d" % front, "127.0.0.1:%d" % upstream.port],
                             stdout=subprocess.DEVNULL, stderr=err)
        wait_listening(front, p, "diagtap proxy")
        for _ in range(4):
            back = exchange(front, 10)
            check(back.count(b'"type":"response"') == 10, "relay altered behind a silent ClickHouse: %r" % back)
        t0 = time.time()
        rc, msgs = stop(p, err, "proxy")
        took = time.time() - t0
        hole.close()
        n = len(json_lines(out))
        sp = re.search(r"(\d+) events in (\d+) batches .* spooled", msgs)
        check(rc == 0 and sp and int(sp.group(1)) == n and "LOST" not in msgs,
              "behind a silent ClickHouse: exit %d, %d events, %s" % (rc, n, msgs))
        check(took < 30, "SIGTERM took %.1f s behind a silent ClickHouse (--clickhouse-exit-wait 1)" % took)
        check([f for f in spool_files(spool) if f.endswith(".dtchu")], "the insert in flight was not marked uncertain: "
              "%s" % spool_files(spool))
        r = diagtap(["replay", SAMPLE, "-q", "-o", srv.url("diag.events"), "--clickhouse-spool", spool,
                     "--host-label", "after-hole"])
        check(r.returncode == 0 and b"from an earlier run" in r.stderr, "the next run: " + r.stderr.decode())
        got = srv.rows("SELECT count() AS c, uniqExact(seq) AS u FROM diag.events WHERE host = 'hole'")[0]
        check(int(got["c"]) == n and int(got["u"]) == n, "the spooled relay: %s, want %d once" % (got, n))
        check(spool_files(spool) == [], "spool not empty after the next run")
        report.append("relay behind a silent ClickHouse: %d events relayed, spooled (SIGTERM to exit %.1f s), "
                      "sent by the next run" % (n, took))
    finally:
        upstream.close()
        srv.stop()
    print("ok: " + "; ".join(report))


if __name__ == "__main__":
    main()
