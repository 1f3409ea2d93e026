#!/usr/bin/python3
"""Two clickhouse-servers as the two shards of cluster 'fleet', with the
tables `diagtap schema clickhouse --cluster fleet` prints run on each. Two
diagtap processes with two host labels each write to the Distributed table
of a different server; one query over the Distributed table returns both
hosts' rows, and each host's rows sit whole on the shard its label hashes to."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chtest import SAMPLE, Server, check, diagtap, json_lines, skip_without_server, spool_files, workdir


def main():
    skip_without_server()
    wd = workdir()
    s1, s2 = Server(wd, "shard1"), Server(wd, "shard2")
    remote = "<fleet>%s</fleet>" % "".join(
        "<shard><replica><host>127.0.0.1</host><port>%d</port></replica></shard>" % s.tcp for s in (s1, s2))
    for s in (s1, s2):
        s.remote = remote
        s.start()
    try:
        schema = None
        for s in (s1, s2):
            schema = s.create_table("diag.events", "--cluster", "fleet")
        check("ENGINE = Distributed(fleet, diag, events_local, cityHash64(host))" in schema, "no Distributed table")
        # Two labels that the sharding key sends to different shards.
        labels = ["build-agent-%02d" % i for i in range(20)]
        shard_of = {l: s1.scalar("SELECT cityHash64('%s') %% 2" % l) for l in labels}
        a = next(l for l in labels if shard_of[l] == 0)
        b = next(l for l in labels if shard_of[l] == 1)
        out = os.path.join(wd, "sample.json")
        procs = []
        for label, srv in ((a, s1), (b, s2)):
            procs.append(diagtap(["replay", SAMPLE, "-T", "json", "-o", out, "-o", srv.url("diag.events"),
                                  "--clickhouse-spool", os.path.join(wd, "spool-" + label), "--host-label", label]))
        for p in procs:
            check(p.returncode == 0, "diagtap: " + p.stderr.decode())
        n = len(json_lines(out))
        for s in (s1, s2):
            got = {r["host"]: int(r["c"]) for r in s.rows(
                "SELECT host, count() AS c, uniqExact(run_id, seq) AS u FROM diag.events GROUP BY host")}
            check(got == {a: n, b: n}, "Distributed on %s: %s, want %d rows from each of %s and %s" %
                  (s.dir, got, n, a, b))
        local1 = {r["host"]: int(r["c"]) for r in s1.rows("SELECT host, count() AS c FROM diag.events_local GROUP BY host")}
        local2 = {r["host"]: int(r["c"]) for r in s2.rows("SELECT host, count() AS c FROM diag.events_local GROUP BY host")}
        check(local1 == {a: n} and local2 == {b: n}, "shards hold %s and %s" % (local1, local2))
        for label in (a, b):
            check(spool_files(os.path.join(wd, "spool-" + label)) == [], "spool left over")
    finally:
        s1.stop()
        s2.stop()
    print("ok: %d rows from each of two hosts over two shards, one Distributed query sees both" % n)


if __name__ == "__main__":
    main()
