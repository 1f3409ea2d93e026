#!/usr/bin/python3
"""Every pypsrp-responses/*.yml file (WS-Man/PSRP envelopes recorded against
real Windows hosts) through the wsman and psrp dissectors.

Per file, diagtap's JSON timeline must show what an independent reading of
the envelopes (oracle.py: ElementTree, base64, struct) finds: shell ids,
WinRS command lines, exit codes, stdout/stderr text, WSManFault codes, the
count of PSRP messages of each type; no event is malformed. Then specific
values read from the files by hand (commands, outputs, error records,
faults by name, long-polling timeouts).

usage: test_corpus.py WSMAN_FEED            the envelopes fed to wsman directly
       test_corpus.py --http DIAGTAP        end to end: each file as an HTTP/TCP capture
                                            (make_pcap.py) through `diagtap replay -T json`;
                                            then all of them in one capture through
                                            `-q --stats` (rows per WS-Man action and PSRP
                                            type), and `diagtap dissectors`"""
import collections
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

CORPUS = os.path.join(os.environ.get("DIAGTAP_CORPUS", "../shared/corpus"), "winrm", "pypsrp-responses")
HTTP = sys.argv[1] == "--http"
FEED = sys.argv[-1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def run(path):
    if HTTP:
        import make_pcap
        with tempfile.NamedTemporaryFile(suffix=".pcap") as t:
            make_pcap.write(t.name, [path])
            out = subprocess.run([FEED, "replay", "-T", "json", t.name], check=True, capture_output=True, timeout=60).stdout
        events = [json.loads(line) for line in out.splitlines()]
        # HTTP's own events are the http helper's business; the WinRM layers are checked here
        return [e for e in events if e["proto_name"] in ("wsman", "psrp")]
    recs = oracle.envelopes(path)
    with tempfile.NamedTemporaryFile(suffix=".rec") as t:
        for d, b in recs:
            t.write(bytes([d]) + len(b).to_bytes(4, "big") + b)
        t.flush()
        out = subprocess.run([FEED, t.name], check=True, capture_output=True, timeout=60).stdout
    return [json.loads(line) for line in out.splitlines()]


def values(events, key, proto=None):
    out = []
    for e in events:
        if proto and e["proto_name"] != proto:
            continue
        v = find(e["fields"], key)
        out.extend(v)
    return out


def find(fields, key):
    out = []
    for k, v in fields.items():
        if k == key:
            out.extend(v if isinstance(v, list) else [v])
        if isinstance(v, dict):
            out.extend(find(v, key))
        elif isinstance(v, list):
            for x in v:
                if isinstance(x, dict):
                    out.extend(find(x, key))
    return out


def compare(name, events, o):
    wsm = [e for e in events if e["proto_name"] == "wsman" and e["kind"] == "pdu"]
    psrp = [e for e in events if e["proto_name"] == "psrp"]
    check(len(wsm) == sum(o["actions"].values()), "%s: %d WS-Man events, %d envelopes" % (name, len(wsm), sum(o["actions"].values())))
    for e in events:
        check(not e["malformed"], "%s: malformed event %d: %s" % (name, e["seq"], e["summary"]))
        check(e["kind"] in ("pdu", "pending"), "%s: %s event: %s" % (name, e["kind"], e["summary"]))
    # a request the recording answered with an HTTP error has no envelope: listed as unanswered
    pending = [e for e in events if e["kind"] == "pending"]
    check(len(pending) == o["unanswered"], "%s: %d unanswered requests listed, oracle %d" % (name, len(pending), o["unanswered"]))
    created = [e for e in wsm if e["fields"].get("wsman.action") == "CreateResponse"]
    check([find(e["fields"], "wsman.shell_id")[0] for e in created] == o["shell_ids"],
          "%s: shell ids %s, oracle %s" % (name, [find(e["fields"], "wsman.shell_id") for e in created], o["shell_ids"]))
    lines = [e["fields"]["wsman.command_line"] for e in wsm
             if e["fields"].get("wsman.action") == "Command" and "wsman.command_line" in e["fields"]]
    check(lines == o["command_lines"], "%s: command lines %s, oracle %s" % (name, lines, o["command_lines"]))
    codes = [int(v) for v in values(wsm, "wsman.exit_code")]
    check(codes == o["exit_codes"], "%s: exit codes %s, oracle %s" % (name, codes, o["exit_codes"]))
    for stream in ("stdout", "stderr"):
        text = "".join(t for e in wsm for st in _streams(e) if st.get("wsman.stream.name") == stream
                       for t in [st.get("wsman.stream.text", "")])
        check(text == o.get(stream, ""), "%s: %s %r, oracle %r" % (name, stream, text[:80], o.get(stream, "")[:80]))
    # the summary line shows a bounded preview of a long stream, the field all of it
    for e in wsm:
        for st in _streams(e):
            t = st.get("wsman.stream.text", "")
            if len(t) > 96:
                check("…" in e["summary"] and t not in e["summary"] and len(e["summary"]) < len(t) + 400,
                      "%s: a %d-character stream is not cut short on the summary line" % (name, len(t)))
    faults = [int(v) for v in values(wsm, "wsman.fault.wsman_code")]
    check(faults == o["fault_codes"], "%s: WSManFault codes %s, oracle %s" % (name, faults, o["fault_codes"]))
    timed_out = [e for e in wsm if e["fields"].get("wsman.long_poll_timeout")]
    check(len(timed_out) == o["timed_out"], "%s: %d long-poll timeouts, oracle %d" % (name, len(timed_out), o["timed_out"]))
    for e in timed_out:
        check(not e["is_error"] and e["status"] == "w:TimedOut", "%s: a Receive's TimedOut counted as an error" % name)
    # payloads holding only part of a message are events of their own ("fragment")
    types = collections.Counter(e["stats_key"] for e in psrp if e["stats_key"] != "fragment")
    check(types == o["psrp_types"], "%s: PSRP types %s, oracle %s" % (name, dict(types), dict(o["psrp_types"])))
    signals = values(wsm, "wsman.signal")
    check([s if s != "ps_ctrl_c" else "crtl_c" for s in signals] == o["signals"],
          "%s: signals %s, oracle %s" % (name, signals, o["signals"]))


def _streams(e):
    s = e["fields"].get("wsman.stream", [])
    return s if isinstance(s, list) else [s]


def summaries(events, proto):
    return [e["summary"] for e in events if e["proto_name"] == proto]


def has(events, pred, what):
    check(any(pred(e) for e in events), what)


def specific(name, ev):
    """Values read from the files by hand."""
    F = lambda e: e["fields"]  # noqa: E731
    if name == "test_winrs_standard":
        has(ev, lambda e: F(e).get("wsman.command_line") == "cmd.exe /c echo hi", "winrs_standard: command line")
        has(ev, lambda e: any(s.get("wsman.stream.text") == "hi\r\n" for s in _streams(e)), "winrs_standard: stdout hi")
        has(ev, lambda e: e["summary"].startswith('ReceiveResponse stdout "hi\\r\\n" Done, exit code 0 [command CF84C20A: cmd.exe /c echo hi]'),
            "winrs_standard: Receive names its command")
        has(ev, lambda e: e["summary"].startswith("Signal ctrl_c [command CF84C20A"), "winrs_standard: signal by name")
        has(ev, lambda e: F(e).get("wsman.max_envelope_size") == "153600" and F(e).get("wsman.operation_timeout") == "PT20S",
            "winrs_standard: MaxEnvelopeSize and OperationTimeout")
    if name == "test_winrs_bad_cmd_id":
        has(ev, lambda e: e["status"] == "ERROR_WSMAN_UNEXPECTED_SELECTORS" and e["is_error"]
            and e["summary"].startswith("Fault to Receive: w:InvalidSelectors ERROR_WSMAN_UNEXPECTED_SELECTORS (2150858843)"),
            "bad_cmd_id: fault by number and name")
        has(ev, lambda e: "command identifier that does not exist" in (find(F(e), "wsman.fault.message") or [""])[0],
            "bad_cmd_id: WSManFault message")
    if name == "test_psrp_is_alive_other_wsman_error":
        has(ev, lambda e: find(F(e), "wsman.fault.wsman_name") == ["ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER"]
            and "PT-1S" in e["summary"], "is_alive_other_wsman_error: invalid timeout header fault")
    if name == "test_winrs_fail_poll_process":
        has(ev, lambda e: find(F(e), "wsman.fault.wsman_name") == ["ERROR_INVALID_PARAMETER"]
            and find(F(e), "wsman.fault.subcode") == ["w:InvalidParameter"], "fail_poll_process: code 87 by name")
    if name == "test_winrs_no_cmd_shell":
        has(ev, lambda e: find(F(e), "wsman.fault.wsman_code") == [2147942402]
            and "cannot find the file specified" in e["summary"], "no_cmd_shell: file not found fault")
    if name == "test_psrp_long_running_cmdlet":
        to = [e for e in ev if F(e).get("wsman.long_poll_timeout")]
        check(len(to) == 2 and all("(long-poll timeout, normal)" in e["summary"] for e in to),
              "long_running_cmdlet: two TimedOut Receives shown as long-polling")
    if name == "test_client_execute_ps_failure":
        has(ev, lambda e: e["proto_name"] == "psrp" and e["status"] == "Failed" and e["is_error"]
            and "The term 'Get-ServiceTypo' is not recognized" in F(e).get("psrp.error.message", "")
            and F(e).get("psrp.error.fqid", "").startswith("CommandNotFoundException"),
            "execute_ps_failure: PIPELINE_STATE Failed with its error record")
        has(ev, lambda e: F(e).get("psrp.pipeline") == "Invoke-Expression -Command 'Get-ServiceTypo -Name winrm' | Out-String -Stream",
            "execute_ps_failure: the pipeline's commands and parameters")
    if name == "test_psrp_multiple_commands":
        outs = [F(e).get("psrp.output") for e in ev if e["stats_key"] == "PIPELINE_OUTPUT"]
        check(outs[:1] == ["Hello World"] and "こんにちは - actual_x000A_string\nnewline: \U00010437" in outs and "winrm" in outs,
              "multiple_commands: outputs %s" % outs)
        has(ev, lambda e: F(e).get("psrp.pipeline_state") == 4 and e["summary"].endswith("Completed"),
            "multiple_commands: PIPELINE_STATE Completed")
        has(ev, lambda e: F(e).get("psrp.protocol_version") == "2.3", "multiple_commands: SESSION_CAPABILITY 2.3")
    if name == "test_psrp_stream_output_invocation":
        for t, text in (("DEBUG_RECORD", "debug stream"), ("VERBOSE_RECORD", "verbose stream"),
                        ("WARNING_RECORD", "warning stream"), ("INFORMATION_RECORD", "information stream")):
            has(ev, lambda e, t=t, text=text: e["stats_key"] == t and F(e).get("psrp.record.message") == text,
                "stream_output_invocation: %s %r" % (t, text))
        has(ev, lambda e: e["stats_key"] == "ERROR_RECORD" and F(e).get("psrp.error.message") == "error stream"
            and F(e).get("psrp.error.fqid") == "Microsoft.PowerShell.Commands.WriteErrorException" and e["is_error"],
            "stream_output_invocation: ERROR_RECORD")
    if name == "test_psrp_pshost_ui_mocked_methods":
        methods = [F(e).get("psrp.host.method") for e in ev if e["stats_key"] == "PIPELINE_HOST_CALL"]
        check(methods[:3] == ["ReadLine", "ReadLineAsSecureString", "Write1"] and "PromptForChoice" in methods,
              "pshost_ui_mocked_methods: host methods %s" % methods)
    if name == "test_psrp_disconnected_commands":
        check(sum(1 for e in ev if e["stats_key"] == "CONNECT_RUNSPACEPOOL") == 2
              and sum(1 for e in ev if e["proto_name"] == "wsman" and F(e).get("wsman.action") == "Reconnect") +
              sum(1 for e in ev if e["proto_name"] == "wsman" and F(e).get("wsman.action") == "Connect") >= 2,
              "disconnected_commands: Connect with connectXml → CONNECT_RUNSPACEPOOL")
    if name == "test_winrs_send":
        has(ev, lambda e: any(s.get("wsman.stream.name") == "stdin" and s.get("wsman.stream.text") for s in _streams(e)),
            "winrs_send: stdin text")


STATS_ROW = re.compile(r"^(\S+)\s+(.+?)\s+(\d+)\s+(\d+)\s+(?:-|[\d.]+ \S+)\s+(?:-|[\d.]+ \S+)\s+"
                       r"(?:-|[\d.]+ \S+)\s+(\d+)\s+(\d+)(?:\s+(.*))?$")


def stats_table(files):
    """`diagtap replay -q --stats` of every file in one capture: one row per
    WS-Man request action and per PSRP message type, counted as the oracle
    counts them; pending requests on their action's row; a long poll's
    w:TimedOut (HTTP 500 from Windows) counted nowhere as an error."""
    import make_pcap
    with tempfile.NamedTemporaryFile(suffix=".pcap") as t:
        make_pcap.write(t.name, files)
        out = subprocess.run([FEED, "replay", "-q", "--stats", t.name], check=True, capture_output=True,
                             text=True, timeout=120).stdout
    rows = {}
    for line in out.splitlines()[1:]:
        m = STATS_ROW.match(line)
        if m:
            rows[(m.group(1), m.group(2))] = (int(m.group(3)), int(m.group(4)), int(m.group(5)), int(m.group(6)),
                                              m.group(7) or "")
    want_req, want_types = collections.Counter(), collections.Counter()
    want_pending, faults, timed_out, http_500 = collections.Counter(), 0, 0, 0
    for path in files:
        o = oracle.read(path)
        want_types.update(o["psrp_types"])
        faults += len(o["fault_codes"])
        timed_out += o["timed_out"]
        for action, answered in oracle.requests(path):
            want_req[action] += 1
            if not answered:
                want_pending[action] += 1
        http_500 += sum(1 for _, status, _ in make_pcap.exchanges(path) if status == 500)
    for action, n in want_req.items():
        got = rows.get(("WinRM", action))
        check(got is not None and got[0] == n and got[3] == want_pending[action],
              "--stats: WinRM %s row %s, want %d requests, %d pending" % (action, got, n, want_pending[action]))
    for t, n in want_types.items():
        got = rows.get(("PSRP", t))
        check(got is not None and got[0] == n, "--stats: PSRP %s row %s, want %d" % (t, got, n))
    extra = [k for k in rows if k[0] == "WinRM" and k[1] not in want_req and rows[k][0]]
    check(not extra, "--stats: WinRM rows for no request: %s" % extra)
    # every 500 that is not a long poll is an HTTP error, and only those
    post500 = rows.get(("HTTP", "POST 500"))
    check(timed_out > 0 and post500 is not None and post500[1] == http_500 and post500[2] == http_500 - timed_out,
          "--stats: HTTP POST 500 row %s, want %d replies, %d errors (%d long polls not errors)"
          % (post500, http_500, http_500 - timed_out, timed_out))
    check(not any("TimedOut" in r[4] for r in rows.values()), "--stats: a w:TimedOut counted as an error status")
    print("--stats: %d WinRM action rows, %d PSRP type rows, %d long polls not errors"
          % (len(want_req), len(want_types), timed_out))


def listed_dissectors():
    out = subprocess.run([FEED, "dissectors"], check=True, capture_output=True, text=True).stdout
    names = {line.split()[0] for line in out.splitlines()[1:] if line.strip()}
    for n in ("http", "tls", "wsman", "psrp"):
        check(n in names, "`diagtap dissectors` does not list %s" % n)
    check(any(line.startswith("wsman ") and "WinRM" in line for line in out.splitlines()),
          "`diagtap dissectors`: wsman is not shown as WinRM")


def main():
    if not os.path.isdir(CORPUS):
        print("SKIP: corpus not found at %s" % CORPUS)
        return 77
    files = sorted(glob.glob(os.path.join(CORPUS, "*.yml")))
    check(len(files) == 59, "expected 59 corpus files, found %d" % len(files))
    n_events = 0
    for path in files:
        name = os.path.basename(path)[:-4]
        events = run(path)
        n_events += len(events)
        compare(name, events, oracle.read(path))
        specific(name, events)
    if HTTP:
        stats_table(files)
        listed_dissectors()
    for f in failures:
        print("FAIL:", f)
    print("%d files, %d events, %d failures" % (len(files), n_events, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
