"""Shared pieces of the DAP integration tests: real peers (debugpy,
lldb-vscode-14), the scripted client, diagtap itself, and checks over its
`-T json` timeline (docs/json-schema.md)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
CLIENT = os.path.join(HERE, "dap_client.py")
DIAGTAP = os.environ.get("DIAGTAP") or os.path.join(os.environ.get("DIAGTAP_BUILDDIR", "build"), "diagtap")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def need(path_or_cmd, package):
    if not (os.path.exists(path_or_cmd) or shutil.which(path_or_cmd)):
        fail("%s not found (Debian package %s)" % (path_or_cmd, package))


def has_subcommand(name):
    """False while the subcommand is not part of this build (exit status 2)."""
    r = subprocess.run([DIAGTAP, name, "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return "not part of this build" not in r.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """Whether some socket listens on TCP port (read from /proc: connecting to
    check would count as a client for debugpy)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                return True
    return False


def wait_port(port, timeout=20.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            fail("%s exited with %s before listening on %d" % (proc.args, proc.returncode, port))
        if listening(port):
            return
        time.sleep(0.05)
    fail("nothing listens on port %d" % port)


def wait_capturing(proc, timeout=15.0):
    """Waits until proc holds a packet socket (libpcap has opened the
    interface), as /proc/net/packet lists them; then a moment for the filter."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            packet = {line.split()[-1] for line in open("/proc/net/packet").read().splitlines()[1:]}
            fds = os.listdir("/proc/%d/fd" % proc.pid)
            socks = set()
            for fd in fds:
                try:
                    link = os.readlink("/proc/%d/fd/%s" % (proc.pid, fd))
                except OSError:
                    continue
                if link.startswith("socket:["):
                    socks.add(link[8:-1])
            if socks & packet:
                time.sleep(0.3)
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def workdir(fixed=None):
    """A directory with the test programs: fresh, or a fixed path (stable
    paths inside a published recording)."""
    if fixed:
        shutil.rmtree(fixed, ignore_errors=True)
        os.makedirs(fixed)
    d = fixed or tempfile.mkdtemp(prefix="diagtap-dap-")
    for f in ("prog.c", "prog.py"):
        shutil.copy(os.path.join(HERE, "progs", f), d)
    return d


def build_c_prog(d):
    need("gcc", "gcc")
    subprocess.run(["gcc", "-g", "-O0", "-o", os.path.join(d, "prog"), os.path.join(d, "prog.c")], check=True)
    return os.path.join(d, "prog")


def run_client(args, timeout=90):
    r = subprocess.run([PY, CLIENT] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if r.returncode != 0:
        fail("dap_client failed (%d): %s" % (r.returncode, r.stderr[-2000:]))
    return json.loads(r.stdout)


def stop(proc, sig=signal.SIGTERM, timeout=15):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def read_jsonl(path_or_text, from_text=False):
    text = path_or_text if from_text else open(path_or_text, encoding="utf-8").read()
    events = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            events.append(json.loads(line))
        except ValueError as e:
            fail("timeline line %d is not JSON (%s): %r" % (n, e, line[:200]))
    return events


def field(fields, abbrev):
    """The first value of abbrev anywhere in a field tree (JSON schema rules)."""
    if isinstance(fields, list):
        for f in fields:
            v = field(f, abbrev)
            if v is not None:
                return v
        return None
    if not isinstance(fields, dict):
        return None
    if abbrev in fields:
        v = fields[abbrev]
        if isinstance(v, list):
            v = v[0]
        if isinstance(v, dict) and "value" in v:
            v = v["value"]
        return v
    for v in fields.values():
        found = field(v, abbrev)
        if found is not None:
            return found
    return None


def check_dap_timeline(events, want_commands, exit_code, breakpoint_line, reverse=None):
    """Asserts what a scripted session must look like on diagtap's timeline."""
    dap = [e for e in events if e["proto_name"] == "dap"]
    if not dap:
        fail("no DAP events on the timeline; got: %s" % [e["summary"] for e in events][:20])
    by_seq = {e["seq"]: e for e in events}
    for e in dap:
        if e["malformed"]:
            fail("malformed DAP event: %s" % e["summary"])
    requests = [e for e in dap if e["kind"] == "pdu" and e["role"] == "request"]
    commands = {field(e["fields"], "dap.command") for e in requests}
    missing = set(want_commands) - commands
    if missing:
        fail("requests missing from the timeline: %s (have %s)" % (sorted(missing), sorted(commands)))
    responses = [e for e in dap if e["kind"] == "pdu" and e["role"] == "response"]
    if len(responses) < len(want_commands):
        fail("only %d responses" % len(responses))
    for r in responses:
        req = by_seq.get(r["req_seq"])
        if req is None or req["role"] != "request":
            fail("response not paired with a request: %s" % r["summary"])
        if field(req["fields"], "dap.command") != field(r["fields"], "dap.command"):
            fail("response %r paired with request %r" % (r["summary"], req["summary"]))
        if str(field(req["fields"], "dap.seq")) != str(field(r["fields"], "dap.request_seq")):
            fail("request_seq does not match the paired request's seq: %s" % r["summary"])
        if r["latency_ns"] is None or int(r["latency_ns"]) < 0:
            fail("response without latency: %s" % r["summary"])
        if req["dir"] == r["dir"]:
            fail("request and response in the same direction: %s" % r["summary"])
    stopped = [e for e in dap if field(e["fields"], "dap.event") == "stopped"]
    if not stopped or field(stopped[0]["fields"], "dap.reason") != "breakpoint":
        fail("no stopped event with reason breakpoint")
    if "reason=breakpoint" not in stopped[0]["summary"]:
        fail("stopped summary lacks the reason: %s" % stopped[0]["summary"])
    bp = [e for e in responses if field(e["fields"], "dap.command") == "setBreakpoints"]
    if not bp or "%d verified" % breakpoint_line not in bp[0]["summary"]:
        fail("setBreakpoints response does not show line %d verified: %s"
             % (breakpoint_line, bp[0]["summary"] if bp else None))
    st = [e for e in responses if field(e["fields"], "dap.command") == "stackTrace"]
    if not st or (":%d" % breakpoint_line) not in st[0]["summary"]:
        fail("stackTrace response does not show the top frame at line %d" % breakpoint_line)
    ev = [e for e in responses if field(e["fields"], "dap.command") == "evaluate" and field(e["fields"], "dap.success")]
    if not ev or "28" not in ev[0]["summary"]:
        fail("evaluate response does not show 'total * 2' -> 28")
    if exit_code is not None:
        ex = [e for e in dap if field(e["fields"], "dap.event") == "exited"]
        if not ex or str(field(ex[0]["fields"], "dap.exit_code")) != str(exit_code):
            fail("no exited event with exitCode %s" % exit_code)
        if "exitCode=%s" % exit_code not in ex[0]["summary"]:
            fail("exited summary lacks the exit code: %s" % ex[0]["summary"])
    if not [e for e in dap if field(e["fields"], "dap.event") == "terminated"]:
        fail("no terminated event")
    if reverse:
        rev = [e for e in requests if field(e["fields"], "dap.command") == reverse]
        if not rev or rev[0]["dir"] != "s2c" or "(reverse)" not in rev[0]["summary"]:
            fail("no %s reverse request from the adapter" % reverse)
        if not [r for r in responses if r["req_seq"] == rev[0]["seq"] and r["dir"] == "c2s"]:
            fail("the %s reverse request has no paired response from the client" % reverse)
    pending = [e for e in dap if e["kind"] == "pending"
               and "disconnect" not in e["summary"]]
    if pending:
        fail("requests reported unanswered: %s" % [e["summary"] for e in pending])
    return dap
