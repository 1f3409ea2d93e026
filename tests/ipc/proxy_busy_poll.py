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


def ping(send, recv, what, tag, n):
    """n DAP requests, each read back whole (the peer echoes) and compared."""
    for seq in range(1, n + 1):
        msg = frame({"seq": seq, "type": "request", "command": "evaluate", "arguments": {"expression": "%s%d" % (tag, seq)}})
        send(msg)
        got = b""
        while len(got) < len(msg):
            chunk = recv(len(msg) - len(got))
            check(chunk, "%s: the echo ended after %d bytes of round trip %d" % (what, len(got), seq))
            got += chunk
        check(got == msg, "%s: round trip %d came back changed" % (what, seq))


def idle_cpu(pid, what):
    """Traffic over: whatever the window, the relay is asleep a moment later.
    Spinning on would cost it about a second of CPU per second."""
    time.sleep(0.5)
    c0 = cpu_seconds(pid)
    time.sleep(1.5)
    idle = cpu_seconds(pid) - c0
    check(idle < 0.3, "%s: %.2f s of CPU in 1.5 s without traffic" % (what, idle))
    return idle


def check_decoded(lines, what, n):
    evs = [json.loads(line) for line in lines if line.startswith("{")]
    reqs = [e for e in evs if e["proto_name"] == "dap" and e["dir"] == "c2s" and e["kind"] == "pdu"]
    check(len(reqs) == n, "%s: %d of %d requests decoded" % (what, len(reqs), n))


def round_trips(wd, usec, n=200):
    what = "busy-poll %s" % usec
    target = os.path.join(wd, "echo-%s.sock" % usec)
    front = os.path.join(wd, "front-%s.sock" % usec)
    start_peer("echo-unix", target)
    dt = Diagtap(["proxy", "--busy-poll", str(usec), "-T", "json", "unix", front, target], wd, name="dt%s" % usec)
    dt.wait_listening()
    c = socket.socket(socket.AF_UNIX)
    c.connect(front)
    c.settimeout(20)
    ping(c.sendall, c.recv, what, "x", n)
    idle = idle_cpu(dt.proc.pid, what) if usec else None
    c.close()
    time.sleep(0.3)
    check(dt.stop() == 0, "%s: diagtap failed: %s" % (what, dt.stderr()))
    check_decoded(dt.timeline().splitlines(), what, n)
    return idle


def wrap_round_trips(wd, usec, n=100):
    """The same through `wrap -- cat`: stdio pipes instead of sockets."""
    what = "wrap busy-poll %s" % usec
    out = os.path.join(wd, "wrap-%s.json" % usec)
    p = subprocess.Popen([DIAGTAP, "wrap", "--busy-poll", str(usec), "-T", "json", "-o", out, "--", "cat"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    ping(p.stdin.write, p.stdout.read, what, "w", n)
    idle = idle_cpu(p.pid, what) if usec else None
    p.stdin.close()
    check(p.wait(30) == 0, "%s: exit %s: %s" % (what, p.returncode, p.stderr.read()))
    with open(out) as f:
        check_decoded(f.read().splitlines(), what, n)
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
