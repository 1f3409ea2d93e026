#!/usr/bin/python3
"""Spool faults and SIGTERM.

0. A symlink planted at the spool's place, or at its lock file: refused in
   one line naming it (exit 2), nothing written through it.
1. ClickHouse unreachable and the spool on a full disk (a 1 MiB tmpfs when
   this test may mount one, and always a --clickhouse-spool-max cap): the
   replay goes on (the JSON timeline of the same run is complete), one line
   says the spool is full, the loss is counted and reported at exit (exit
   status 1), and spooled + lost = every event: never silent.
2. SIGTERM in the middle of a replay while batches are being sent: diagtap
   stops reading, and every event it decoded (the JSON timeline of the same
   run) is in ClickHouse exactly once; the spool is empty."""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chtest import (DIAGTAP, SANITIZED, Server, check, diagtap, free_port, gen_events, json_lines,
                    skip_without_server, spool_files, workdir)


def full_spool(wd, cap, spool, extra, what):
    out = os.path.join(wd, "full.json")
    dead = "clickhouse://127.0.0.1:%d/diag.events" % free_port()  # nothing listens there
    r = diagtap(["replay", cap, "-T", "json", "-o", out, "-o", dead, "--clickhouse-spool", spool,
                 "--clickhouse-batch", "1000", "--clickhouse-queue", "2", "--clickhouse-exit-wait", "0"] + extra)
    msgs = r.stderr.decode()
    n = len(json_lines(out))
    check(r.returncode == 1, "%s: a loss must fail the run (exit %d): %s" % (what, r.returncode, msgs))
    check(re.search(r"spool .* is full", msgs), "%s: no line saying the spool is full: %s" % (what, msgs))
    m = re.search(r"(\d+) events were LOST", msgs)
    s = re.search(r"(\d+) events in (\d+) batches .* spooled", msgs)
    check(m and s, "%s: no summary of lost and spooled events: %s" % (what, msgs))
    lost, spooled = int(m.group(1)), int(s.group(1))
    check(lost > 0 and spooled > 0 and lost + spooled == n,
          "%s: %d lost + %d spooled != %d events of the timeline" % (what, lost, spooled, n))
    check(not [f for f in os.listdir(spool) if f.startswith(".tmp-")], "%s: partial files left" % what)
    return n, lost, spooled


def main():
    skip_without_server()
    wd = workdir()
    cap = os.path.join(wd, "events.pcap")
    gen_events(cap, 20000)
    report = []
    # 0. symlinks
    real = os.path.join(wd, "real")
    os.makedirs(real, mode=0o700)
    link = os.path.join(wd, "link")
    os.symlink(real, link)
    victim = os.path.join(wd, "victim")
    planted = os.path.join(wd, "planted")
    os.makedirs(planted, mode=0o700)
    os.symlink(victim, os.path.join(planted, "lock"))
    for spool, what in ((link, "is a symbolic link (refused)"), (planted, "its lock file is a symbolic link (refused)")):
        r = diagtap(["replay", cap, "-q", "-o", "clickhouse://127.0.0.1:%d/diag.events" % free_port(),
                     "--clickhouse-spool", spool])
        msgs = r.stderr.decode()
        check(r.returncode == 2 and msgs.count("\n") == 1 and spool in msgs and what in msgs,
              "spool %s: exit %d, %s" % (spool, r.returncode, msgs))
    check(os.listdir(real) == [] and not os.path.exists(victim), "something was written through a symlink")
    report.append("symlinks refused")
    # 1a. A real full disk: a small tmpfs, when we may mount one.
    mnt = os.path.join(wd, "tmpfs")
    os.makedirs(mnt)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", mnt],
                             capture_output=True).returncode == 0
    try:
        if mounted:
            report.append("tmpfs: %d events, %d lost, %d spooled" % full_spool(wd, cap, os.path.join(mnt, "spool"),
                                                                              [], "tmpfs"))
        else:
            report.append("tmpfs: not allowed to mount here, skipped")
    finally:
        if mounted:
            subprocess.run(["umount", mnt])
    # 1b. The spool's own cap.
    report.append("cap: %d events, %d lost, %d spooled" % full_spool(wd, cap, os.path.join(wd, "capped"),
                                                                    ["--clickhouse-spool-max", "1M"], "cap"))

    # 2. SIGTERM during a batch.
    big = os.path.join(wd, "big.pcap")
    gen_events(big, 60000 if SANITIZED else 300000)
    srv = Server(wd)
    srv.start()
    try:
        srv.create_table("diag.events")
        out = os.path.join(wd, "term.json")
        spool = os.path.join(wd, "spool-term")
        err = open(os.path.join(wd, "term.err"), "w+b")
        p = subprocess.Popen([DIAGTAP, "replay", big, "-T", "json", "-o", out, "-o", srv.url("diag.events"),
                              "--clickhouse-spool", spool, "--clickhouse-batch", "5000"],
                             stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.time() + 120
        while srv.scalar("SELECT count() FROM diag.events") == 0:
            check(p.poll() is None and time.time() < deadline, "diagtap ended before its first batch landed")
            time.sleep(0.02)
        check(p.poll() is None, "diagtap already finished: SIGTERM would not interrupt anything")
        p.send_signal(signal.SIGTERM)
        rc = p.wait(120)
        err.seek(0)
        msgs = err.read().decode()
        check(rc == 1 and "stopped by a signal" in msgs, "after SIGTERM: exit %d, %s" % (rc, msgs))
        n = len(json_lines(out))
        got = srv.rows("SELECT count() AS c, uniqExact(run_id, seq) AS u, max(seq) AS hi FROM diag.events")[0]
        got = {k: int(v) for k, v in got.items()}
        check(got == {"c": n, "u": n, "hi": n}, "after SIGTERM: %s, want the %d decoded events once" % (got, n))
        check(n < (60000 if SANITIZED else 300000), "SIGTERM did not stop the replay early")
        check(spool_files(spool) == [], "spool not empty after SIGTERM")
        report.append("SIGTERM: %d events decoded before it, all in ClickHouse once" % n)
    finally:
        srv.stop()
    print("ok: " + "; ".join(report))


if __name__ == "__main__":
    main()
