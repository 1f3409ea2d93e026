#!/usr/bin/python3
"""The server is killed (SIGKILL) in the middle of a 1 000 000-event replay
(100 000 under sanitizers) and restarted 10 s later: every event arrives
exactly once (count, distinct ids, and checksums of ids and timestamps
against the JSON Lines file written in the same run), and the spool is empty
at the end."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chtest import DIAGTAP, SANITIZED, Server, check, fail, gen_events, skip_without_server, spool_files, workdir


def id_sums(path):
    """Count, and sums of seq and ts_ns (mod 2^64) of a JSON Lines file;
    a regex over each line's start, as a million json.loads are slow."""
    head = re.compile(rb'^\{"seq":(\d+),"ts":"[^"]*","ts_ns":(\d+),')
    n = s = t = 0
    with open(path, "rb") as f:
        for line in f:
            m = head.match(line)
            check(m is not None, "unexpected JSON line: %r" % line[:100])
            n += 1
            s += int(m.group(1))
            t += int(m.group(2))
    return n, s % 2**64, t % 2**64


def main():
    skip_without_server()
    wd = workdir()
    n_target = 100000 if SANITIZED else 1000000
    big = os.path.join(wd, "big.pcap")
    gen_events(big, n_target)
    print("generated %d events" % n_target, flush=True)
    srv = Server(wd)
    srv.start()
    try:
        srv.create_table("diag.events")
        spool = os.path.join(wd, "spool")
        out = os.path.join(wd, "big.json")
        err = open(os.path.join(wd, "stderr"), "w+b")
        p = subprocess.Popen([DIAGTAP, "replay", big, "-T", "json", "-o", out, "-o", srv.url("diag.events"),
                              "--clickhouse-spool", spool, "--clickhouse-batch", "20000",
                              "--clickhouse-queue", "2", "--clickhouse-exit-wait", "300"],
                             stdout=subprocess.DEVNULL, stderr=err)
        # the middle: a fifth of the events in (the first batch, 20 000, under sanitizers)
        deadline = time.time() + 300
        while srv.scalar("SELECT count() FROM diag.events") < max(20000, n_target // 5):
            check(p.poll() is None, "diagtap ended before a fifth of the events landed")
            check(time.time() < deadline, "a fifth of the events did not arrive in 300 s")
            time.sleep(0.05)
        check(p.poll() is None, "diagtap already finished: the kill would not be in the middle")
        print("killing the server at %d rows" % srv.scalar("SELECT count() FROM diag.events"), flush=True)
        srv.kill()
        time.sleep(10)
        srv.start()
        print("restarted", flush=True)
        try:
            rc = p.wait(600)
        except subprocess.TimeoutExpired:
            p.kill()
            fail("diagtap did not finish after the restart")
        err.seek(0)
        msgs = err.read().decode(errors="replace")
        check(rc == 0, "diagtap exit %d: %s" % (rc, msgs))
        check("unreachable" in msgs and "reachable again" in msgs, "no outage warnings: " + msgs)
        n, seq_sum, ts_sum = id_sums(out)
        check(n >= n_target, "the JSON timeline has %d events" % n)
        got = srv.rows("SELECT count() AS c, uniqExact(run_id, seq) AS u, min(seq) AS lo, max(seq) AS hi, "
                       "sum(seq) AS s, sum(ts_ns) AS t FROM diag.events")[0]
        got = {k: int(v) for k, v in got.items()}
        want = {"c": n, "u": n, "lo": 1, "hi": n, "s": seq_sum, "t": ts_sum}
        check(got == want, "after the kill: %s, want %s (exactly once)" % (got, want))
        check(spool_files(spool) == [], "spool not empty: %s" % spool_files(spool))
    finally:
        srv.stop()
    print("ok: %d events exactly once across a kill and a restart 10 s later" % n)


if __name__ == "__main__":
    main()
