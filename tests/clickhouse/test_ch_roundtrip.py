#!/usr/bin/python3
"""The bundled sample replayed into a real clickhouse-server (18.16, private
ports): the row count equals the JSON Lines event count of the same run (-o
FILE and -o clickhouse:// together), and every column and the whole field
tree round-trip, in both insert formats. Credentials come from the
environment or a file; a password in the URL never shows in diagtap's
messages; batches spooled while the password was wrong are sent first by the
next run. clickhouses:// works against the server's HTTPS port with its
certificate as --clickhouse-cacert and refuses it without. `wrap` ships its
relayed session too. The SMB2 example of docs/fleet.md answers right (the WinRM one:
test_ch_winrm.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chtest import (PASSWORD, SAMPLE, SRCDIR, Server, check, diagtap, json_lines, skip_without_server, spool_files,
                    workdir)


def flat(fields):
    """The JSON field tree as the (key, value) pairs field_keys/values hold."""
    out = []

    def text(v):
        if v is None:
            return ""
        if v is True:
            return "true"
        if v is False:
            return "false"
        return str(v)

    def one(key, v):
        if isinstance(v, dict):
            out.append((key, text(v.get("value"))))
            for k, c in v.items():
                if k != "value":
                    emit(k, c)
        else:
            out.append((key, text(v)))

    def emit(key, v):
        for item in (v if isinstance(v, list) else [v]):
            one(key, item)

    for k, v in fields.items():
        emit(k, v)
    return sorted(out)


def expect_row(ev, host):
    conv = ev["conv"] or {}
    return {
        "seq": ev["seq"], "ts_ns": ev["ts_ns"], "time": ev["ts_ns"] // 10**9, "host": host,
        "channel": conv.get("channel") or "", "input": ev["input"] or "", "kind": ev["kind"],
        "proto": ev["proto"], "proto_name": ev["proto_name"], "dir": ev["dir"] or "",
        "conv_id": conv.get("id", 0), "client": conv.get("client", ""), "server": conv.get("server", ""),
        "role": ev["role"] or "", "req_seq": ev["req_seq"] or 0, "latency_ns": ev["latency_ns"],
        "status": ev["status"] or "", "is_error": int(ev["is_error"]), "malformed": int(ev["malformed"]),
        "stats_key": ev["stats_key"] or "", "summary": ev["summary"], "raw_len": ev["raw_len"],
        "raw_offset": ev["raw_offset"],
    }


INTS = ("seq", "ts_ns", "time", "conv_id", "req_seq", "is_error", "malformed", "raw_len", "raw_offset")


def compare(srv, table, events, host):
    rows = srv.rows("SELECT *, toUInt32(time) AS time FROM %s ORDER BY seq" % table)
    check(len(rows) == len(events), "%s: %d rows for %d JSON Lines events" % (table, len(rows), len(events)))
    for ev, row in zip(events, rows):
        want = expect_row(ev, host)
        got = {k: row[k] for k in want}
        for k in INTS:
            got[k] = int(got[k])
        if got["latency_ns"] is not None:
            got["latency_ns"] = int(got["latency_ns"])
        check(got == want, "%s seq %s: columns differ:\n got  %s\n want %s" % (table, ev["seq"], got, want))
        pairs = sorted(zip(row["field_keys"], row["field_values"]))
        check(pairs == flat(ev["fields"]),
              "%s seq %s: fields differ:\n got  %s\n want %s" % (table, ev["seq"], pairs, flat(ev["fields"])))


def doc_query(name):
    """A query from docs/fleet.md, by its marker, so the documented SQL is the tested SQL."""
    text = open(os.path.join(SRCDIR, "docs", "fleet.md")).read()
    start = text.index("<!-- query: %s" % name)
    body = text[text.index("```sql\n", start) + 7:]
    return body[:body.index("```")]


def check_doc_queries(srv, events):
    q = doc_query("smb2-slowest-create").replace("diag.events", "diag.rb")
    q = q.replace("time >= toStartOfHour(now())", "1")  # the sample is not from this hour
    rows = srv.rows(q)
    creates = [e for e in events if e["proto_name"] == "smb2" and e["stats_key"] == "CREATE"
               and e["role"] == "response"]
    check(creates, "the sample has no SMB2 CREATE responses")
    share = "\\\\127.0.0.1\\data"
    want = max(e["latency_ns"] for e in creates if e["fields"].get("smb2.filename", "").startswith(share))
    got = [r for r in rows if r["share"] == share]
    check(len(got) == 1 and abs(float(got[0]["slowest_ms"]) - want / 1e6) < 1e-6 and got[0]["on_host"] == "host-a",
          "slowest CREATE per share: %s, want %s at %.6f ms" % (rows, share, want / 1e6))
    # the WSManFault query: test_ch_winrm.py, on real WinRM traffic


def main():
    skip_without_server()
    wd = workdir()
    srv = Server(wd)
    cacert = srv.enable_tls()
    srv.start()
    try:
        for t in ("diag.rb", "diag.js", "diag.pw", "diag.wrap"):
            srv.create_table(t)
        # RowBinary, password from the environment, timeline file alongside.
        out = os.path.join(wd, "rb.json")
        r = diagtap(["replay", SAMPLE, "-T", "json", "-o", out, "-o", srv.url("diag.rb", "writer"),
                     "--clickhouse-spool", os.path.join(wd, "sp-rb"), "--host-label", "host-a"],
                    env={"DIAGTAP_CLICKHOUSE_PASSWORD": PASSWORD})
        check(r.returncode == 0, "replay into diag.rb: %d %s" % (r.returncode, r.stderr.decode()))
        check(r.stderr == b"", "unexpected messages: " + r.stderr.decode())
        events = json_lines(out)
        check(len(events) > 300, "the sample gave only %d events" % len(events))
        compare(srv, "diag.rb", events, "host-a")
        check_doc_queries(srv, events)
        check(spool_files(os.path.join(wd, "sp-rb")) == [], "spool not empty after a clean run")

        # JSONEachRow, password from a file.
        pwfile = os.path.join(wd, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        r = diagtap(["replay", SAMPLE, "-q", "-o", srv.url("diag.js", "writer"), "--clickhouse-format",
                     "jsoneachrow", "--clickhouse-password-file", pwfile, "--clickhouse-spool",
                     os.path.join(wd, "sp-js"), "--host-label", "host-a"])
        check(r.returncode == 0, "replay into diag.js: %d %s" % (r.returncode, r.stderr.decode()))
        compare(srv, "diag.js", events, "host-a")

        # clickhouses:// (HTTPS, the server's self-signed certificate as the CA) to
        # the same table: the same rows again, from a second run.
        r = diagtap(["replay", SAMPLE, "-q", "-o", "clickhouses://127.0.0.1:%d/diag.js" % srv.https,
                     "--clickhouse-cacert", cacert, "--clickhouse-spool", os.path.join(wd, "sp-tls"),
                     "--host-label", "host-tls"])
        check(r.returncode == 0 and r.stderr == b"", "replay over TLS: %d %s" % (r.returncode, r.stderr.decode()))
        check(srv.scalar("SELECT count() FROM diag.js WHERE host = 'host-tls'") == len(events), "TLS rows missing")
        # ... and a certificate it does not trust: refused, never sent in clear.
        r = diagtap(["replay", SAMPLE, "-q", "-o", "clickhouses://127.0.0.1:%d/diag.js" % srv.https,
                     "--clickhouse-spool", os.path.join(wd, "sp-tls2"), "--host-label", "host-untrusted",
                     "--clickhouse-exit-wait", "1"])
        check("unreachable" in r.stderr.decode() and
              srv.scalar("SELECT count() FROM diag.js WHERE host = 'host-untrusted'") == 0,
              "an untrusted certificate was accepted: " + r.stderr.decode())

        # wrap: a relayed stdio session goes to ClickHouse too, the relay unchanged.
        dap = b"".join(b"Content-Length: %d\r\n\r\n%s" % (len(b), b) for b in (
            b'{"seq":1,"type":"request","command":"initialize","arguments":{"adapterID":"x"}}',
            b'{"seq":2,"type":"request","command":"threads"}'))
        wout = os.path.join(wd, "wrap.json")
        r = diagtap(["wrap", "-d", "dap", "-T", "json", "-o", wout, "-o", srv.url("diag.wrap"), "--host-label", "w",
                     "--clickhouse-spool", os.path.join(wd, "sp-wrap"), "--", "/bin/cat"], input=dap)
        check(r.returncode == 0 and r.stdout == dap, "wrap: %d %s" % (r.returncode, r.stderr.decode()))
        wev = json_lines(wout)
        check(len(wev) >= 4, "wrap decoded %d events" % len(wev))
        check(srv.scalar("SELECT count() FROM diag.wrap WHERE host = 'w' AND proto_name = 'dap'") ==
              sum(e["proto_name"] == "dap" for e in wev), "wrap: rows differ from its JSON timeline")

        # A wrong password in the URL: refused, the batches spooled, the
        # password never printed.
        spool = os.path.join(wd, "sp-pw")
        bad = "hunter2-wrong"
        r = diagtap(["replay", SAMPLE, "-q", "-o", srv.url("diag.pw", "writer:" + bad),
                     "--clickhouse-spool", spool, "--clickhouse-exit-wait", "1"])
        err = r.stderr.decode()
        check(bad not in err, "the URL's password was printed: " + err)
        check("<redacted>" in err and "unreachable" in err, "no one-line warning naming the URL: " + err)
        check("%d events in 1 batches" % len(events) in err and "spooled in " + spool in err,
              "no spool summary: " + err)
        check(r.returncode == 0, "nothing was lost, so the run succeeds: " + err)
        check(len(spool_files(spool)) == 1, "expected one spooled batch: %s" % spool_files(spool))
        check(all(os.stat(os.path.join(spool, n)).st_mode & 0o777 == 0o600 for n in os.listdir(spool)),
              "spool files must be 0600")
        check(srv.scalar("SELECT count() FROM diag.pw") == 0, "rows landed despite the wrong password")
        # The next run (right password) sends the spooled batch first, then its own.
        r = diagtap(["replay", SAMPLE, "-q", "-o", srv.url("diag.pw", "writer"), "--clickhouse-spool", spool],
                    env={"DIAGTAP_CLICKHOUSE_PASSWORD": PASSWORD})
        check(r.returncode == 0, "second run: " + r.stderr.decode())
        check("from an earlier run" in r.stderr.decode(), "the earlier run's spool was not announced")
        n = len(events)
        got = srv.rows("SELECT count() AS c, uniqExact(run_id, seq) AS u, uniqExact(run_id) AS runs "
                       "FROM diag.pw")[0]
        check(int(got["c"]) == 2 * n and int(got["u"]) == 2 * n and int(got["runs"]) == 2,
              "after the spool drained: %s, want %d rows of 2 runs" % (got, 2 * n))
        check(spool_files(spool) == [], "spool not empty: %s" % spool_files(spool))
    finally:
        srv.stop()
    print("ok: %d events round-trip in RowBinary and JSONEachRow, over HTTP and TLS; wrap; credentials from env "
          "and file; the documented SMB2 query answers right" % len(events))


if __name__ == "__main__":
    main()
