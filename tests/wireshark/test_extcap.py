"""diagtap-extcap as Wireshark uses it: the interface list, link types and
settings; tshark -D lists the interfaces; and a capture run the way
Wireshark starts it (--capture --extcap-interface diagtap-tcp --fifo FILE
--listen ... --target ...) relays a real DAP session (a scripted client and
debugpy) while streaming pcapng into the FIFO live: the session's records
arrive before the capture is stopped, and tshark with the plugin decodes
them. The same through tshark -i diagtap-tcp (Wireshark's extcap
machinery), diagtap-dotnet interposing on a stand-in runtime's diagnostic
port found by PID, and diagtap-wrap relaying what `diagtap wrap -w FIFO`
records of a stdio adapter."""
import json
import os
import signal
import socket
import subprocess
import threading
import time

import dap_session
import dotnet_fake
from wstest import DIAGTAP, EXTCAP, Session, check

# A debug adapter on stdio that answers initialize and says initialized.
STUB_ADAPTER = r"""
import json, sys
def send(o):
    b = json.dumps(o).encode()
    sys.stdout.buffer.write(b"Content-Length: %d\r\n\r\n" % len(b) + b)
    sys.stdout.buffer.flush()
head = b""
while not head.endswith(b"\r\n\r\n"):
    head += sys.stdin.buffer.read(1)
n = int(head.split(b":")[1].split(b"\r")[0])
req = json.loads(sys.stdin.buffer.read(n))
send({"seq": 1, "type": "response", "request_seq": req["seq"], "success": True, "command": "initialize",
      "body": {"supportsConfigurationDoneRequest": True}})
send({"seq": 2, "type": "event", "event": "initialized"})
"""

IFACES = {"diagtap-unix", "diagtap-tcp", "diagtap-wrap", "diagtap-dotnet"}


def run(args):
    return subprocess.run([EXTCAP] + args, capture_output=True, text=True, timeout=30)


def parse(line):
    """'arg {number=0}{call=--listen}...' -> ('arg', {'number': '0', ...})"""
    kind, _, rest = line.partition(" ")
    fields = {}
    for part in rest.strip().strip("{}").split("}{"):
        k, _, v = part.partition("=")
        fields[k] = v
    return kind, fields


s = Session()
ext = dbg = ts = None
try:
    check(EXTCAP and os.access(EXTCAP, os.X_OK), "diagtap-extcap not built: %r" % EXTCAP)
    r = run(["--extcap-interfaces", "--extcap-version=4.0"])
    check(r.returncode == 0, "--extcap-interfaces failed: " + r.stderr)
    lines = [parse(l) for l in r.stdout.splitlines()]
    check(lines[0][0] == "extcap" and lines[0][1].get("version"), "no extcap version line: %r" % r.stdout)
    got = {f["value"] for k, f in lines if k == "interface"}
    check(got == IFACES, "interfaces: %s" % got)

    need = {"diagtap-unix": {"--listen", "--target"}, "diagtap-tcp": {"--listen", "--target"},
            "diagtap-wrap": {"--pipe"}, "diagtap-dotnet": {"--pid"}}
    for iface in sorted(IFACES):
        r = run(["--extcap-dlts", "--extcap-interface", iface])
        check(r.returncode == 0 and parse(r.stdout.strip())[1].get("number") == "252",
              "%s: link type is not 252: %r" % (iface, r.stdout))
        r = run(["--extcap-config", "--extcap-interface", iface])
        check(r.returncode == 0, "%s --extcap-config failed: %s" % (iface, r.stderr))
        args = [f for k, f in map(parse, r.stdout.splitlines()) if k == "arg"]
        required = {a["call"] for a in args if a.get("required") == "true"}
        check(required == need[iface], "%s requires %s, expected %s" % (iface, required, need[iface]))
        check(all(a.get("display") and a.get("type") for a in args), "%s: an arg without display/type" % iface)
    r = run(["--extcap-config", "--extcap-interface", "nope"])
    check(r.returncode == 2 and "nope" in r.stderr, "an unknown interface is not reported: %r" % r.stderr)
    r = run(["--capture", "--extcap-interface", "diagtap-tcp", "--fifo", s.path("x"), "--listen", "127.0.0.1:1"])
    check(r.returncode == 2 and "target" in r.stderr, "a missing setting is not reported: %r" % r.stderr)

    # Wireshark's own interface list includes them (tshark runs the extcap).
    listed = s.tshark(["-D"])
    for iface in IFACES:
        check(iface in listed, "tshark -D does not list %s:\n%s" % (iface, listed))

    # A capture, started as Wireshark starts it.
    fifo = s.path("extcap.fifo")
    os.mkfifo(fifo, 0o600)
    received = bytearray()
    times = []

    def reader():
        with open(fifo, "rb") as f:
            while True:
                b = f.read1(65536) if hasattr(f, "read1") else f.read(65536)
                if not b:
                    return
                received.extend(b)
                times.append((time.time(), len(received)))

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    listen_port, target_port = dap_session.free_port(), dap_session.free_port()
    dbg, target = dap_session.start_debugpy(s.tmp, target_port)
    ext = subprocess.Popen([EXTCAP, "--capture", "--extcap-interface", "diagtap-tcp", "--fifo", fifo,
                            "--listen", "127.0.0.1:%d" % listen_port, "--target", "127.0.0.1:%d" % target_port],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dap_session.wait_listening(target_port)
    dap_session.wait_listening(listen_port)
    dap_session.session(listen_port, target, s.path("c2s.bin"), s.path("s2c.bin"))
    dbg.wait(timeout=30)
    session_end = time.time()
    # Live: the whole session reaches the FIFO while the capture still runs.
    with open(s.path("s2c.bin"), "rb") as f:
        last_reply = f.read()[-40:]
    deadline = time.time() + 5
    while last_reply not in bytes(received) and time.time() < deadline:
        time.sleep(0.05)
    check(ext.poll() is None, "the extcap ended by itself: %r" % (ext.stderr.read() if ext.poll() is not None else ""))
    check(last_reply in bytes(received), "the session's last message did not reach the FIFO live "
          "(%d bytes so far)" % len(received))
    # Stopped the way Wireshark stops it.
    ext.send_signal(signal.SIGTERM)
    out, err = ext.communicate(timeout=20)
    check(ext.returncode == 0, "extcap exit status %d after SIGTERM: %s" % (ext.returncode, err.decode()[-500:]))
    t.join(timeout=10)
    cap = s.path("extcap.pcapng")
    with open(cap, "wb") as f:
        f.write(received)
    s.readable("extcap.pcapng")
    fields = s.tshark(["-r", cap, "-T", "fields", "-e", "dap.command", "-e", "dap.event"])
    cmds = set(fields.split())
    for c in ("initialize", "setBreakpoints", "stackTrace", "evaluate", "stopped", "terminated"):
        check(c in cmds, "the live capture does not decode %s: %s" % (c, sorted(cmds)))
    print("extcap: %d bytes of pcapng, %d DAP messages decoded" % (len(received), len(fields.splitlines())))

    # And through Wireshark's own machinery: tshark starts the extcap with
    # the interface's settings as extcap.<interface>.<setting> preferences.
    listen_port, target_port = dap_session.free_port(), dap_session.free_port()
    dbg, target = dap_session.start_debugpy(s.tmp, target_port)
    outdir = s.path("out")  # tshark runs as nobody: a directory it may write
    os.mkdir(outdir)
    os.chmod(outdir, 0o777)
    live = os.path.join(outdir, "tshark-live.pcapng")
    ts = subprocess.Popen(s.tshark_cmd(["-i", "diagtap-tcp",
                                        "-o", "extcap.diagtap_tcp.listen:127.0.0.1:%d" % listen_port,
                                        "-o", "extcap.diagtap_tcp.target:127.0.0.1:%d" % target_port,
                                        "-a", "duration:6", "-w", live]),
                          cwd=s.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dap_session.wait_listening(target_port)
    dap_session.wait_listening(listen_port)
    dap_session.session(listen_port, target, s.path("c2s2.bin"), s.path("s2c2.bin"))
    dbg.wait(timeout=30)
    out, err = ts.communicate(timeout=60)
    check(ts.returncode == 0, "tshark -i diagtap-tcp exited %d: %s" % (ts.returncode, err.decode()[-800:]))
    check("Error" not in err.decode(), "tshark reports an extcap error: %s" % err.decode()[-800:])
    cmds = set(s.tshark(["-r", live, "-T", "fields", "-e", "dap.command"]).split())
    check({"initialize", "stackTrace", "continue"} <= cmds, "tshark -i capture decodes %s" % sorted(cmds))
    print("tshark -i diagtap-tcp: DAP commands %s" % ", ".join(sorted(cmds)))

    # ".NET process by PID": a stand-in runtime listening where the runtime
    # of process PID listens ($TMPDIR/dotnet-diagnostic-PID-KEY-socket); the
    # tool finds diagtap's socket (dotnet-diagnostic-PID-1-socket) first.
    rundir = s.path("run")
    os.mkdir(rundir)
    pid = os.getpid()
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(os.path.join(rundir, "dotnet-diagnostic-%d-987654-socket" % pid))
    srv.listen(8)
    stop = threading.Event()
    threading.Thread(target=dotnet_fake.runtime, args=(srv, stop), daemon=True).start()
    fifo2 = s.path("dotnet.fifo")
    os.mkfifo(fifo2, 0o600)
    got2 = bytearray()

    def reader2():
        with open(fifo2, "rb") as f:
            for b in iter(lambda: f.read1(65536), b""):
                got2.extend(b)

    t2 = threading.Thread(target=reader2, daemon=True)
    t2.start()
    ext = subprocess.Popen([EXTCAP, "--capture", "--extcap-interface", "diagtap-dotnet", "--fifo", fifo2,
                            "--pid", str(pid)], env=dict(os.environ, TMPDIR=rundir),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ours = os.path.join(rundir, "dotnet-diagnostic-%d-1-socket" % pid)
    deadline = time.time() + 10
    while not os.path.exists(ours) and time.time() < deadline and ext.poll() is None:
        time.sleep(0.05)
    check(os.path.exists(ours), "diagtap did not interpose on the diagnostic port: %s" %
          (ext.communicate()[1].decode()[-500:] if ext.poll() is not None else "no socket"))
    dotnet_fake.session(ours)
    time.sleep(0.5)
    ext.send_signal(signal.SIGTERM)
    out, err = ext.communicate(timeout=20)
    stop.set()
    check(ext.returncode == 0, "extcap --pid exit %d: %s" % (ext.returncode, err.decode()[-500:]))
    check(not os.path.exists(ours), "diagtap left its socket behind")
    t2.join(timeout=10)
    cap2 = s.path("dotnet.pcapng")
    with open(cap2, "wb") as f:
        f.write(got2)
    s.readable("dotnet.pcapng")
    summ = s.tshark(["-r", cap2, "-T", "fields", "-e", "diagtap.summary"])
    for want in ("ProcessInfo", "CollectTracing2", "EventPipe stream begins", "StopTracing"):
        check(want in summ, "the .NET capture does not show %s:\n%s" % (want, summ[:2000]))
    print("extcap diagtap-dotnet: %d messages decoded" % len(summ.splitlines()))

    # "stdio wrapper": the extcap makes a FIFO, the IDE's launch runs
    # `diagtap wrap -w FIFO -- ADAPTER`, and the session streams through.
    adapter = s.path("adapter.py")
    with open(adapter, "w") as f:
        f.write(STUB_ADAPTER)
    pipe = s.path("wrap.pcapng")
    fifo3 = s.path("wrap.fifo")
    os.mkfifo(fifo3, 0o600)
    got3 = bytearray()

    def reader3():
        with open(fifo3, "rb") as f:
            for b in iter(lambda: f.read1(65536), b""):
                got3.extend(b)

    t3 = threading.Thread(target=reader3, daemon=True)
    t3.start()
    ext = subprocess.Popen([EXTCAP, "--capture", "--extcap-interface", "diagtap-wrap", "--fifo", fifo3,
                            "--pipe", pipe], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 10
    while not os.path.exists(pipe) and time.time() < deadline:
        time.sleep(0.05)
    check(os.path.exists(pipe), "the extcap did not create its FIFO")
    body = json.dumps({"seq": 1, "type": "request", "command": "initialize",
                       "arguments": {"clientID": "ide", "adapterID": "stub"}}).encode()
    wrap = subprocess.run([DIAGTAP, "wrap", "-w", pipe, "-o", os.devnull, "--", "/usr/bin/python3", adapter],
                          input=b"Content-Length: %d\r\n\r\n" % len(body) + body, capture_output=True, timeout=30)
    check(wrap.returncode == 0, "diagtap wrap failed: %s" % wrap.stderr.decode()[-500:])
    check(b'"initialized"' in wrap.stdout, "the adapter's output was not relayed: %r" % wrap.stdout[:200])
    out, err = ext.communicate(timeout=20)  # ends when the wrapped session closes the FIFO
    check(ext.returncode == 0, "extcap diagtap-wrap exit %d: %s" % (ext.returncode, err.decode()[-500:]))
    check(not os.path.exists(pipe), "the extcap left its FIFO behind")
    t3.join(timeout=10)
    cap3 = s.path("wrap-live.pcapng")
    with open(cap3, "wb") as f:
        f.write(got3)
    s.readable("wrap-live.pcapng")
    summ = s.tshark(["-r", cap3, "-T", "fields", "-e", "diagtap.summary"])
    for want in ("initialize #1", "initialize #1 ok", "initialized"):
        check(want in summ, "the wrapped session does not show %r:\n%s" % (want, summ))
    print("extcap diagtap-wrap: %d messages decoded" % len(summ.split()))
finally:
    for p in (ext, dbg, ts):
        if p and p.poll() is None:
            p.kill()
    s.close()
