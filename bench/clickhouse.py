#!/usr/bin/python3
"""Events per second sunk into ClickHouse, next to `-T json -o FILE`, in the
same run on the same input: a private clickhouse-server (18.16) is started,
a capture of N small DAP messages is generated, and diagtap replays it
three times: JSON Lines to a file, ClickHouse in RowBinary, ClickHouse in
JSONEachRow. For ClickHouse the clock stops when diagtap exits, i.e. when
the last batch is acknowledged (every row is in the table). CPU is
diagtap's own (user + system, all its threads), not the server's.

usage: bench/clickhouse.py BUILD_DIR [N_EVENTS]    (default 1000000)
"""
import os
import resource
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "clickhouse"))
os.environ["DIAGTAP"] = os.path.abspath(os.path.join(sys.argv[1], "diagtap"))
os.environ.setdefault("DIAGTAP_SRCDIR", os.path.join(here, ".."))
import chtest  # noqa: E402

n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
wd = chtest.workdir()
cap = os.path.join(wd, "events.pcap")
chtest.gen_events(cap, n)
srv = chtest.Server(wd)
srv.start()
try:
    runs = [("-T json -o FILE", ["-T", "json", "-o", os.path.join(wd, "out.json")], None)]
    for fmt in ("rowbinary", "jsoneachrow"):
        t = "diag.b_" + fmt
        srv.create_table(t)
        runs.append(("ClickHouse %s" % fmt, ["-q", "-o", srv.url(t), "--clickhouse-format", fmt,
                                             "--clickhouse-spool", os.path.join(wd, "sp-" + fmt)], t))
    print("%-28s %10s %10s %14s %12s" % ("OUTPUT", "EVENTS", "SECONDS", "EVENTS/S", "DIAGTAP CPU"))
    for name, args, table in runs:
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.time()
        r = subprocess.run([os.environ["DIAGTAP"], "replay", cap] + args, capture_output=True)
        secs = time.time() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        if r.returncode != 0:
            sys.exit("%s: %s" % (name, r.stderr.decode()))
        events = srv.scalar("SELECT count() FROM %s" % table) if table else sum(1 for _ in open(args[-1], "rb"))
        print("%-28s %10d %10.2f %14.0f %11.2fs" % (name, events, secs, events / secs, cpu), flush=True)
finally:
    srv.stop()
