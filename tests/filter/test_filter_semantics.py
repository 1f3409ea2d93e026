#!/usr/bin/python3
"""-Y EXPR selects exactly the events that the same condition, written in
Python over the unfiltered JSON Lines, selects: on the bundled sample and on
the KDNET corpus (skipped, exit 77, when the corpus is absent). Each
expression runs with the pairing partner (a request and its replies go
together when any of them matches: modelled here from req_seq) and with
--no-pair-partner (exactly the matching events). A released request must
come right before the reply that released it; everything else keeps
timeline order."""
import calendar
import json
import os
import re
import subprocess
import sys

import dtcorpus

DIAGTAP = os.environ["DIAGTAP"]
SAMPLE = os.path.join(os.environ["DIAGTAP_SRCDIR"], "fixtures", "sample.pcapng")
ENV = dict(os.environ, TZ="UTC")  # "2026-11-21 11:23:08" is local time, as in Wireshark
fails = []


def occ(fields, name):
    """Every occurrence of name in a JSON field tree, as values."""
    out = []

    def walk(obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k == name:
                    vals = v if isinstance(v, list) else [v]
                    for x in vals:
                        out.append(x["value"] if isinstance(x, dict) and "value" in x else x)
                walk(v)
        elif isinstance(obj, list):
            for x in obj:
                walk(x)

    walk(fields)
    return [int(x) if isinstance(x, str) and x.isdigit() else x for x in out]


def f(e, name):
    return occ(e["fields"], name)


def port(ep):
    return int(ep.rsplit(":", 1)[1])


def run(path, extra, expr=None, partner=True):
    args = [DIAGTAP, "replay", path, "-T", "json"] + extra
    if expr is not None:
        args += ["-Y", expr]
        if not partner:
            args.append("--no-pair-partner")
    p = subprocess.run(args, capture_output=True, text=True, env=ENV)
    if p.returncode != 0:
        fails.append("%s: exit %d: %s" % (expr, p.returncode, p.stderr.strip()))
        return []
    return [json.loads(line) for line in p.stdout.splitlines()]


def expected(events, pred, partner):
    """seqs selected: the model of the filter sink's pairing rule."""
    match = {e["seq"]: bool(pred(e)) for e in events}
    if not partner:
        return {s for s, m in match.items() if m}
    shown = set()
    group_pass = {}  # request seq -> already shown
    for e in events:  # timeline order
        s, rq = e["seq"], e.get("req_seq")
        if e["role"] == "request":
            group_pass[s] = match[s]
            if match[s]:
                shown.add(s)
        elif rq is not None and rq in group_pass:
            if group_pass[rq] or match[s]:
                shown.add(s)
                if not group_pass[rq]:
                    shown.add(rq)  # released: the held request
                group_pass[rq] = True
        elif match[s]:
            shown.add(s)
    return shown


def check_order(name, out):
    top = 0
    for i, e in enumerate(out):
        if e["seq"] > top:
            top = e["seq"]
            continue
        nxt = out[i + 1] if i + 1 < len(out) else None
        if not (e["role"] == "request" and nxt is not None and nxt.get("req_seq") == e["seq"]):
            fails.append("%s: seq %d out of order and not a released request" % (name, e["seq"]))


def check(path, extra, events, cases):
    for expr, pred in cases:
        for partner in (True, False):
            name = "%s%s" % (expr, "" if partner else " --no-pair-partner")
            out = run(path, extra, expr, partner)
            got = [e["seq"] for e in out]
            want = expected(events, pred, partner)
            if len(got) != len(set(got)):
                fails.append("%s: an event printed twice" % name)
            if set(got) != want:
                fails.append("%s: %d events, expected %d; extra %s missing %s" % (
                    name, len(set(got)), len(want), sorted(set(got) - want)[:5], sorted(want - set(got))[:5]))
            if not want and partner:
                fails.append("%s: selects nothing; a weak case" % name)
            check_order(name, out)


T0 = calendar.timegm((2026, 11, 21, 11, 23, 8, 0, 0, 0)) * 10**9
sample_cases = [
    ("smb2.cmd == CREATE", lambda e: 5 in f(e, "smb2.cmd")),
    ("smb2.nt_status != 0 && latency > 100us",
     lambda e: f(e, "smb2.nt_status") and all(v != 0 for v in f(e, "smb2.nt_status"))
     and (e["latency_ns"] or 0) > 100000),
    ("smb2.tree", lambda e: bool(f(e, "smb2.tree"))),
    ("dap", lambda e: e["proto_name"] == "dap"),
    ("conv.server_port == 15387 and dir == s2c", lambda e: e["conv"] and port(e["conv"]["server"]) == 15387
     and e["dir"] == "s2c"),
    ("smb2.dialect == 0x311", lambda e: 0x311 in f(e, "smb2.dialect")),
    ("smb2.dialect !== 0x311", lambda e: any(v != 0x311 for v in f(e, "smb2.dialect"))),
    ("smb2.dialect === 0x311", lambda e: f(e, "smb2.dialect") and all(v == 0x311 for v in f(e, "smb2.dialect"))),
    ("smb2.cmd in {5 8..9}", lambda e: any(v == 5 or 8 <= v <= 9 for v in f(e, "smb2.cmd"))),
    ('summary matches "^close"', lambda e: re.search("^close", e["summary"], re.I)),
    ('summary ~ "(?-i)^CLOSE.*SUCCESS"', lambda e: re.search("^CLOSE.*SUCCESS", e["summary"])),
    ('summary contains "nosuch"', lambda e: "nosuch" in e["summary"]),
    ('time >= "2026-11-21 11:23:08" && time lt "2026-11-21 11:23:08.5"',
     lambda e: T0 <= e["ts_ns"] < T0 + 500000000),
    ("not smb2 or is_error", lambda e: e["proto_name"] != "smb2" or e["is_error"]),
    ("!(role == request) && kind == pdu && dap", lambda e: e["role"] != "request" and e["kind"] == "pdu"
     and e["proto_name"] == "dap"),
    ('dap.command == "threads" || dap.event eq "stopped"',
     lambda e: "threads" in f(e, "dap.command") or "stopped" in f(e, "dap.event")),
    ("conv.client == 127.0.0.0/8 && conv.client_port ge 38100",
     lambda e: e["conv"] and e["conv"]["client"].startswith("127.") and port(e["conv"]["client"]) >= 38100),
    ('conv.server == "127.0.0.1:41335"', lambda e: e["conv"] and e["conv"]["server"] == "127.0.0.1:41335"),
    ("smb2.client_guid == 3CE9C756-6828-4315-91dc-24c0c223e416",
     lambda e: "3ce9c756-6828-4315-91dc-24c0c223e416" in f(e, "smb2.client_guid")),
    ("latency >= 1ms", lambda e: e["latency_ns"] is not None and e["latency_ns"] >= 1000000),
    ('status == "STATUS_NO_MORE_FILES"', lambda e: e["status"] == "STATUS_NO_MORE_FILES"),
    ("dap.success == false", lambda e: False in f(e, "dap.success")),
    ("seq <= 20 and seq gt 10", lambda e: 10 < e["seq"] <= 20),
    ('proto == "DCERPC" && dir eq c2s', lambda e: e["proto"] == "DCERPC" and e["dir"] == "c2s"),
    ("smb2.msg_id > 0x10 && smb2.msg_id < 20", lambda e: any(16 < v < 20 for v in f(e, "smb2.msg_id"))),
]

events = run(SAMPLE, [])
if len(events) < 100:
    fails.append("the sample gave %d events" % len(events))
check(SAMPLE, [], events, sample_cases)

if not dtcorpus.have("kdnet", "windbg-uncut.pcapng.gz"):
    dtcorpus.skip_line("kdnet", "windbg-uncut.pcapng.gz")
    for line in fails:
        print("FAIL:", line)
    sys.exit(1 if fails else 77)

KD = dtcorpus.path("kdnet", "windbg-uncut.pcapng.gz")
KEY = ["--kdnet-key", "8.8.8.8"]
kd_events = run(KD, KEY)
kd_cases = [
    ("kdnet.ctl.target_addr == ::ffff:192.168.2.0/120",
     lambda e: any(str(a).startswith("::ffff:192.168.2.") for a in f(e, "kdnet.ctl.target_addr"))),
    ('kd.print.text contains "Boot"', lambda e: any("Boot" in t for t in f(e, "kd.print.text"))),
    ("kd.type in {2..4}", lambda e: any(2 <= v <= 4 for v in f(e, "kd.type"))),
    ("kdnet.session.announce_interval > 0.5s", lambda e: any(v > 0.5 for v in f(e, "kdnet.session.announce_interval"))),
    ('status == "RESEND"', lambda e: e["status"] == "RESEND"),
    ("role == response && latency > 2ms", lambda e: e["role"] == "response" and e["latency_ns"] > 2000000),
    ("role == request && kdnet.seq < 40", lambda e: e["role"] == "request" and any(v < 40 for v in f(e, "kdnet.seq"))),
    ("kdnet.mac contains fc:e1:51", lambda e: any(m.find("fce151") % 2 == 0 for m in f(e, "kdnet.mac")
                                                  if "fce151" in m)),
    ("kdnet.ctl.uptime ne 3 and kdnet.channel == 1", lambda e: f(e, "kdnet.ctl.uptime")
     and all(v != 3 for v in f(e, "kdnet.ctl.uptime")) and 1 in f(e, "kdnet.channel")),
]
check(KD, KEY, kd_events, kd_cases)

for line in fails:
    print("FAIL:", line)
print("%d sample and %d corpus expressions, both pairing modes: %s" % (
    len(sample_cases), len(kd_cases), "FAILED" if fails else "ok"))
sys.exit(1 if fails else 0)
