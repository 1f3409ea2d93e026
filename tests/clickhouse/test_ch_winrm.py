#!/usr/bin/python3
"""The fleet question "every WSManFault by code and host" on real WinRM
traffic: WS-Man exchanges recorded against real Windows hosts (the corpus's
pypsrp-responses, wrapped into HTTP/TCP captures by tests/wsman/make_pcap.py)
replayed by two diagtap processes with two host labels into one table; the
query of docs/fleet.md (read from the doc, so the documented SQL is the
tested SQL) answers exactly what the two JSON timelines hold: per host, each
WSManFault code and name, and how often."""
import collections
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dtcorpus  # noqa: E402
from chtest import SRCDIR, Server, check, diagtap, json_lines, skip_without_server, spool_files, workdir  # noqa: E402
from test_ch_roundtrip import doc_query  # noqa: E402

HOSTS = {
    "winrm-a": ["test_psrp_is_alive_invalid_selectors.yml", "test_psrp_is_alive_other_wsman_error.yml",
                "test_psrp_long_running_cmdlet.yml"],
    "winrm-b": ["test_winrs_bad_cmd_id.yml", "test_winrs_fail_poll_process.yml", "test_winrs_no_cmd_shell.yml",
                "test_psrp_is_alive_invalid_selectors.yml"],
}


def find(fields, key):
    """The first value of key anywhere in a JSON field tree, or None."""
    for k, v in fields.items():
        for item in (v if isinstance(v, list) else [v]):
            if k == key:
                return item.get("value") if isinstance(item, dict) else item
            if isinstance(item, dict):
                got = find(item, key)
                if got is not None:
                    return got
    return None


def main():
    skip_without_server()
    corpus = dtcorpus.require("winrm", "pypsrp-responses")
    wd = workdir()
    srv = Server(wd)
    srv.start()
    try:
        srv.create_table("diag.events")
        want = collections.Counter()
        for host, files in HOSTS.items():
            cap = os.path.join(wd, host + ".pcap")
            subprocess.run(["/usr/bin/python3", os.path.join(SRCDIR, "tests", "wsman", "make_pcap.py"), cap] +
                           [os.path.join(corpus, f) for f in files], check=True)
            out = os.path.join(wd, host + ".json")
            r = diagtap(["replay", cap, "-T", "json", "-o", out, "-o", srv.url("diag.events"),
                         "--clickhouse-spool", os.path.join(wd, "sp-" + host), "--host-label", host])
            check(r.returncode == 0 and r.stderr == b"", "replay %s: %s" % (host, r.stderr.decode()))
            events = json_lines(out)
            check(srv.scalar("SELECT count() FROM diag.events WHERE host = '%s'" % host) == len(events),
                  "%s: rows differ from the %d JSON Lines events" % (host, len(events)))
            for e in events:
                code = find(e["fields"], "wsman.fault.wsman_code") if e["proto_name"] == "wsman" else None
                if code is not None:
                    want[(str(code), find(e["fields"], "wsman.fault.wsman_name"), host)] += 1
            check(spool_files(os.path.join(wd, "sp-" + host)) == [], "spool left over")
        check(len({h for _, _, h in want}) == 2 and len({c for c, _, _ in want}) >= 4,
              "the corpus files gave too few WSManFaults to test the query: %s" % dict(want))
        q = doc_query("wsman-faults")
        check("time >= now() - INTERVAL 1 DAY" in q, "the documented query changed its time filter")
        rows = srv.rows(q.replace("time >= now() - INTERVAL 1 DAY", "1"))  # the recordings are from 2023
        got = collections.Counter({(r["code"], r["name"], r["host"]): int(r["faults"]) for r in rows})
        check(len(rows) == len(got), "a (code, name, host) twice in the answer: %s" % rows)
        check(got == want, "WSManFaults by code and host:\n got  %s\n want %s" % (sorted(got.items()),
                                                                               sorted(want.items())))
        check(all(r["example"] and r["last_seen"] for r in rows), "empty example or last_seen: %s" % rows)
    finally:
        srv.stop()
    print("ok: %d WSManFaults of %d codes from two hosts, as the documented query groups them" %
          (sum(want.values()), len({c for c, _, _ in want})))


if __name__ == "__main__":
    main()
