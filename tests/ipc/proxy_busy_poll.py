"""--busy-poll: a wrong value is one line and exit 2; with busy polling off
and at its longest, DAP round trips through `proxy unix` and through
`wrap -- cat` come back unchanged and are decoded; and a relay that polls
without sleeping after traffic goes back to sleep when the traffic stops (an
idle proxy or wrapper costs no CPU)."""
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ipctest import DIAGTAP, Diagtap, check, start_peer, workdir  # noqa: E402


def bad_values(wd):
    for v in ("abc", "-1", "10001", "", "5us"):
        p = subprocess.run([DIAGTAP, "proxy", "--busy-poll", v, "unix", os.path.join(wd, "x"), os.path.join(wd, "y")],
                           capture_output=True, text=True, timeout=30)
        lines = p.stderr.strip().splitlines()
        check(p.returncode == 2, "--busy-poll %r: exit %d" % (v, p.returncode))
        check(len(lines) == 1 and "--busy-poll" in lines[0] and ("'%s'" % v) in lines[0],
              "--busy-poll %r: %r" % (v, p.stderr))


def frame(obj):
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def round_trips(wd, usec, n=200):
    target = os.path.join(wd, "echo-%s.sock" % usec)
    front = os.path.join(wd, "front-%s.sock" % usec)
    start_peer("echo-unix", target)
    dt = Diagtap(["proxy", "--busy-poll", str(usec), "-T", "json", "unix", front, target], wd, name="dt%s" % usec)
    dt.wait_listening()
    c = socket.socket(socket.AF_UNIX)
    c.connect(front)
    c.settimeout(20)
    for seq in range(1, n + 1):
        msg = frame({"seq": seq, "type": "request", "command": "evaluate", "arguments": {"expression": "x%d" % seq}})
        c.sendall(msg)
        got = b""
        while len(got) < len(msg):
            chunk = c.recv(len(msg) - len(got))
            check(chunk, "busy-poll %s: connection closed after %d bytes of round trip %d" % (usec, len(got), seq))
            got += chunk
        check(got == msg, "busy-poll %s: round trip %d came back changed" % (usec, seq))
    idle = None
    if usec:
        # Traffic over: whatever the window, the proxy is asleep a moment
        # later. Spinning on would cost it about a second of CPU per second.
        time.sleep(0.5)
        c0 = cpu_seconds(dt.proc.pid)
        time.sleep(1.5)
        idle = cpu_seconds(dt.proc.pid) - c0
        check(idle < 0.3, "busy-poll %s: %.2f s of CPU in 1.5 s without traffic" % (usec, idle))
    c.close()
    time.sleep(0.3)
    check(dt.stop() == 0, "busy-poll %s: diagtap failed: %s" % (usec, dt.stderr()))
    evs = [json.loads(line) for line in dt.timeline().splitlines() if line.startswith("{")]
    reqs = [e for e in evs if e["proto_name"] == "dap" and e["dir"] == "c2s" and e["kind"] == "pdu"]
    check(len(reqs) == n, "busy-poll %s: %d of %d requests decoded" % (usec, len(reqs), n))
    return idle


def wrap_round_trips(wd, usec, n=100):
    """The same through `wrap -- cat`: stdio pipes instead of sockets."""
    out = os.path.join(wd, "wrap-%s.json" % usec)
    p = subprocess.Popen([DIAGTAP, "wrap", "--busy-poll", str(usec), "-T", "json", "-o", out, "--", "cat"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    for seq in range(1, n + 1):
        msg = frame({"seq": seq, "type": "request", "command": "evaluate", "arguments": {"expression": "w%d" % seq}})
        p.stdin.write(msg)
        got = b""
        while len(got) < len(msg):
            chunk = p.stdout.read(len(msg) - len(got))
            check(chunk, "wrap busy-poll %s: cat's output ended in round trip %d" % (usec, seq))
            got += chunk
        check(got == msg, "wrap busy-poll %s: round trip %d came back changed" % (usec, seq))
    idle = None
    if usec:
        time.sleep(0.5)
        c0 = cpu_seconds(p.pid)
        time.sleep(1.5)
        idle = cpu_seconds(p.pid) - c0
        check(idle < 0.3, "wrap busy-poll %s: %.2f s of CPU in 1.5 s without traffic" % (usec, idle))
    p.stdin.close()
    check(p.wait(30) == 0, "wrap busy-poll %s: exit %s: %s" % (usec, p.returncode, p.stderr.read()))
    with open(out) as f:
        evs = [json.loads(line) for line in f if line.startswith("{")]
    reqs = [e for e in evs if e["proto_name"] == "dap" and e["dir"] == "c2s" and e["kind"] == "pdu"]
    check(len(reqs) == n, "wrap busy-poll %s: %d of %d requests decoded" % (usec, len(reqs), n))
    return idle


def main():
    wd = workdir("bpoll")
    bad_values(wd)
    round_trips(wd, 0)
    idle = round_trips(wd, 10000)
    print("proxy: idle CPU after traffic with a 10 ms window: %.2f s in 1.5 s" % idle)
    wrap_round_trips(wd, 0)
    idle = wrap_round_trips(wd, 10000)
    print("wrap: idle CPU after traffic with a 10 ms window: %.2f s in 1.5 s" % idle)
    print("ok")


main()
