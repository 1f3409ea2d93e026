"""`diagtap proxy dotnet PID` on Windows, under wine: the mingw pipe_peer
plays the .NET runtime (its own \\\\.\\pipe\\dotnet-diagnostic-<its pid>) and
dotnet-trace, replaying in lockstep over several connections the session of
tests/dotnet/proxy_session.py (ProcessInfo, CollectTracing2 with a real
corpus trace streamed in random chunks, StopTracing on its own connection,
then a rundown session) through the front pipe. Checks: every byte both ways
unchanged (each side checks what it reads), the timeline's dotnet_ipc and
nettrace events equal the Linux build's `proxy dotnet` decode of the same
session, and the refusals: no such process, a process without the pipe, a
pipe served by another process, and a runtime pipe taken over by another
process after diagtap started (refused per connection)."""
import json
import os
import queue
import random
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "dotnet"))
os.environ.setdefault("DIAGTAP", "")  # proxy_session reads it at import; its runner is not used here
import proxy_session as ps  # noqa: E402  (exits 77 when the corpus traces are absent)
from wintest import DIAGTAP, PEER, Workdir, boot, check, fail, linux_diagtap, winpath  # noqa: E402


def steps():
    """(who, conn, bytes): who 'h' (tool), 't' (runtime) or 'x' (both close)."""
    trace = open(ps.TRACE, "rb").read()
    rundown = open(ps.RUNDOWN_TRACE, "rb").read()
    rng = random.Random(4)
    out = []

    def stream(conn, data):
        pos = 0
        while pos < len(data):
            n = rng.randint(1, 9000)
            out.append(("t", conn, data[pos:pos + n]))
            pos += n

    body = (struct.pack("<Q", ps.PID) + ps.COOKIE + ps.ipc_string("/usr/bin/dotnet /srv/app/app.dll --urls http://*:80")
            + ps.ipc_string("Linux") + ps.ipc_string("x64"))
    out += [("h", 1, ps.message(0x04, 0x00)), ("t", 1, ps.message(0xFF, 0x00, body)), ("x", 1, b"")]
    conn = 2
    for sid, data, cut in ((ps.SESSION, trace, len(trace) - 1), (ps.SESSION2, rundown, 102)):
        out += [("h", conn, ps.message(0x02, 0x03, ps.collect_tracing2_payload())),
                ("t", conn, ps.message(0xFF, 0x00, struct.pack("<Q", sid)))]
        stream(conn, data[:cut])
        out += [("h", conn + 1, ps.message(0x02, 0x01, struct.pack("<Q", sid))),
                ("t", conn + 1, ps.message(0xFF, 0x00, struct.pack("<Q", sid))), ("x", conn + 1, b"")]
        stream(conn, data[cut:])
        out.append(("x", conn, b""))
        conn += 2
    return out, trace, rundown


def write_script(path, st):
    with open(path, "w") as f:
        for who, conn, data in st:
            f.write("%s %d %s\n" % (who, conn, data.hex()))


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        b = s.recv(n - len(buf))
        if not b:
            break
        buf += b
    return buf


def play_unix(st, role, open_conn):
    """The same lockstep over Unix sockets, for the Linux reference."""
    conns = {}
    for who, k, data in st:
        if who == "x":
            if k in conns:
                conns.pop(k).close()
            continue
        if k not in conns:
            conns[k] = open_conn()
        if who == role:
            conns[k].sendall(data)
        elif recv_exact(conns[k], len(data)) != data:
            raise AssertionError("Linux reference: step on connection %d altered" % k)


def ipc_view(events):
    """What must match: the .NET events in order, without timing."""
    return [(e["proto_name"], e["kind"], e["dir"], e["role"], e["summary"])
            for e in events if e["proto_name"] in ("dotnet_ipc", "nettrace") and e["kind"] == "pdu"]


def linux_reference(lin, st):
    """The Linux build's `proxy dotnet` decode of the same session: this
    process plays the runtime (its pid, its socket) and the tool."""
    tmp = tempfile.mkdtemp(prefix="dt-dotnet-ref-", dir="/tmp")
    pid = os.getpid()
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(os.path.join(tmp, "dotnet-diagnostic-%d-424242-socket" % pid))
    srv.listen(16)
    accepted = queue.Queue()

    def accept_loop():
        while True:
            try:
                accepted.put(srv.accept()[0])
            except OSError:
                return
    threading.Thread(target=accept_loop, daemon=True).start()
    out = open(os.path.join(tmp, "timeline.jsonl"), "wb")
    dt = subprocess.Popen([lin, "proxy", "-T", "json", "dotnet", str(pid)], stdout=out, stderr=subprocess.PIPE,
                          env=dict(os.environ, TMPDIR=tmp))
    front = os.path.join(tmp, "dotnet-diagnostic-%d-1-socket" % pid)
    for _ in range(200):
        if os.path.exists(front):
            break
        time.sleep(0.05)
    errors = []

    def runtime():
        try:
            play_unix(st, "t", lambda: accepted.get(timeout=60))
        except Exception as e:  # reported below
            errors.append(repr(e))
    rt = threading.Thread(target=runtime)
    rt.start()

    def tool_conn():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(front)
        return s
    play_unix(st, "h", tool_conn)
    rt.join(120)
    time.sleep(0.5)
    dt.send_signal(2)
    _, err = dt.communicate(timeout=60)
    out.close()
    srv.close()
    check(not errors and dt.returncode == 0, "Linux reference run: %s %s" % (errors, err.decode(errors="replace")))
    events = [json.loads(l) for l in open(os.path.join(tmp, "timeline.jsonl"), "rb") if l.strip()]
    subprocess.run(["rm", "-rf", tmp])
    return events


def one_line_failure(wd, name, args, want):
    p = wd.run(name, [DIAGTAP] + args)
    rc = p.wait(120)
    err = [l for l in p.text("err").splitlines() if l.strip()]
    check(rc != 0, "%s: exit status 0: %s" % (name, err))
    check(len(err) == 1 and want in err[0], "%s: expected one line with %r, got %s" % (name, want, err))
    return err[0]


def main():
    boot()
    lin = linux_diagtap()
    if not lin:
        print("SKIP: no Linux build to decode the reference (DIAGTAP_LINUX)")
        sys.exit(77)
    st, trace, rundown = steps()
    want = linux_reference(lin, st)
    want_view = ipc_view(want)
    n_ipc = sum(1 for v in want_view if v[0] == "dotnet_ipc")
    check(n_ipc == 10, "the Linux reference has %d IPC events, not 10" % n_ipc)

    with Workdir() as wd:
        script = os.path.join(wd.path, "dotnet.script")
        write_script(script, st)
        rt = wd.run("runtime", [PEER, "server", r"\\.\pipe\dotnet-diagnostic-@PID@", "conns:%s:t" % winpath(script)])
        rt.wait_text("ready pid", "out")
        pid = int(rt.text().split("ready pid ")[1].split()[0])
        front = r"\\.\pipe\dotnet-diagnostic-%d-diagtap" % pid
        dt = wd.run("diagtap", [DIAGTAP, "proxy", "-T", "json", "dotnet", str(pid)])
        dt.wait_text("listening on")
        hint = [l for l in dt.text("err").splitlines() if "--diagnostic-port" in l]
        check(hint and ("dotnet-trace collect --diagnostic-port %s,connect" % front) in hint[0],
              "no hint how to point the tools at the front: %s" % dt.text("err"))
        tool = wd.run("tool", [PEER, "client", front, "conns:%s:h" % winpath(script)])
        check(tool.wait(300) == 0, "tool side: " + tool.text() + tool.text("err"))
        check(rt.wait(60) == 0, "runtime side: " + rt.text() + rt.text("err"))
        check(("conns ok %d" % len(st)) in rt.text() and ("conns ok %d" % len(st)) in tool.text(),
              "both sides played every step unchanged: %s / %s" % (rt.text(), tool.text()))
        check(dt.stop() == 0, "proxy exit after Ctrl+C: " + dt.text("err"))
        events = [json.loads(l) for l in dt.text().splitlines() if l.strip()]

        got_view = ipc_view(events)
        if got_view != want_view:
            for i, (a, b) in enumerate(zip(want_view, got_view)):
                if a != b:
                    fail(".NET event %d differs:\n  Linux:   %s\n  Windows: %s" % (i, a, b))
            fail("%d .NET events through the pipe, %d in the Linux decode" % (len(got_view), len(want_view)))
        chans = {e["conv"]["channel"] for e in events if e.get("conv")}
        check(chans and all(c.startswith("dotnet:%d#" % pid) for c in chans), "channels: %s" % sorted(chans))
        closed = [e["summary"] for e in events if e["summary"].startswith("connection closed")]
        for text in ("%d bytes target→client" % (28 + len(trace)), "%d bytes target→client" % (28 + len(rundown))):
            check(any(text in c for c in closed), "no connection closed with %s: %s" % (text, closed))
        bad = [e["summary"] for e in events if e.get("malformed") or e["kind"] == "error"]
        check(not bad, "errors on the timeline: %s" % bad[:5])

        # Refusals, each one line and a non-zero exit.
        idle = wd.run("idle", [PEER, "server", r"\\.\pipe\dt-idle-@PID@", "echo"])
        idle.wait_text("ready pid", "out")
        idle_pid = int(idle.text().split("ready pid ")[1].split()[0])
        one_line_failure(wd, "nopipe", ["proxy", "dotnet", str(idle_pid)],
                         r"no diagnostic port \\.\pipe\dotnet-diagnostic-%d" % idle_pid)
        one_line_failure(wd, "noproc", ["proxy", "dotnet", "999999"], "no process 999999")
        one_line_failure(wd, "notpid", ["proxy", "dotnet", "12x"], "is not a process id")
        planted = wd.run("planted", [PEER, "server", r"\\.\pipe\dotnet-diagnostic-%d" % idle_pid, "echo"])
        planted.wait_text("ready pid", "out")
        planted_pid = int(planted.text().split("ready pid ")[1].split()[0])
        one_line_failure(wd, "refused", ["proxy", "dotnet", str(idle_pid)],
                         "served by process %d, not %d: refused" % (planted_pid, idle_pid))
        planted.kill()

        # Taken over after the start: the check holds for every connection.
        rt2 = wd.run("runtime2", [PEER, "server", r"\\.\pipe\dotnet-diagnostic-@PID@", "echo"])
        rt2.wait_text("ready pid", "out")
        pid2 = int(rt2.text().split("ready pid ")[1].split()[0])
        dt2 = wd.run("diagtap2", [DIAGTAP, "proxy", "-T", "json", "dotnet", str(pid2)])
        dt2.wait_text("listening on")
        rt2.kill()
        thief = wd.run("thief", [PEER, "server", r"\\.\pipe\dotnet-diagnostic-%d" % pid2, "echo"])
        thief.wait_text("ready pid", "out")
        victim = wd.run("victim", [PEER, "client", r"\\.\pipe\dotnet-diagnostic-%d-diagtap" % pid2, "msgs"])
        check(victim.wait(120) != 0, "a client reached the thief's pipe through the proxy: " + victim.text())
        check(dt2.stop() == 0, "second proxy's exit: " + dt2.text("err"))
        check("its server is not process %d (refused)" % pid2 in dt2.text(),
              "the taken-over connection is not refused on the timeline: " + dt2.text()[-2000:])
        idle.kill()
        thief.kill()
    print("ok: %d steps both ways unchanged through proxy dotnet; %d .NET events (%d IPC) as the Linux decode; "
          "no process, no pipe, another server, taken over: refused" % (len(st), len(got_view), n_ipc))


if __name__ == "__main__":
    main()
