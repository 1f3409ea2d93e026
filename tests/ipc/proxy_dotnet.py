"""proxy dotnet PID: against a process listening where a .NET runtime does,
a client that picks the first matching socket name (sorted glob), as tools
do, ends up talking through diagtap; the socket diagtap adds is also the
newest (what Microsoft.Diagnostics.NETCore.Client picks) and goes away on exit."""
import glob
import hashlib
import os
import shutil
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ipctest import Diagtap, check, json_events, read_pcapng, start_peer, workdir  # noqa: E402

# ProcessCommandSet (0x04) ResumeRuntime (0x01), no payload
REQUEST = b"DOTNET_IPC_V1\0" + (20).to_bytes(2, "little") + b"\x04\x01\x00\x00"
RESPONSE = b"DOTNET_IPC_V1\0" + (24).to_bytes(2, "little") + b"\xff\x00\x00\x00" + b"\0\0\0\0"


def tool_connect(tmpdir, pid, newest=False):
    names = glob.glob(os.path.join(tmpdir, "dotnet-diagnostic-%d-*-socket" % pid))
    check(names, "no diagnostic socket for %d" % pid)
    if newest:
        names.sort(key=lambda p: os.stat(p).st_mtime_ns, reverse=True)
    else:
        names.sort()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(names[0])
    return s, names[0]


def ask(s):
    s.sendall(REQUEST)
    got = b""
    while len(got) < len(RESPONSE):
        b = s.recv(100)
        if not b:
            break
        got += b
    s.close()
    return got


def main():
    wd = workdir("dotnet")
    # the key is the runtime's start time in ticks: many digits
    peer, (pid,) = start_peer("fake-runtime", wd, "1830195830")
    pid = int(pid)
    real = os.path.join(wd, "dotnet-diagnostic-%d-1830195830-socket" % pid)
    ours = os.path.join(wd, "dotnet-diagnostic-%d-1-socket" % pid)
    rec = os.path.join(wd, "rec.pcapng")
    # Both sockets are created within the same file-time tick here: diagtap
    # must still make its own the newest.
    env = dict(os.environ, TMPDIR=wd)
    dt = Diagtap(["proxy", "-T", "json", "-w", rec, "dotnet", str(pid)], wd, env=env)
    dt.wait_listening()
    check(os.path.exists(ours), "%s not created" % ours)
    check(os.stat(ours).st_mode & 0o777 == 0o600, "mode of %s is not the runtime's 0600" % ours)

    s, picked = tool_connect(wd, pid)
    check(picked == ours, "a sorted glob picks %s, not diagtap's socket" % picked)
    check(ask(s) == RESPONSE, "wrong response through the proxy")
    s, picked = tool_connect(wd, pid, newest=True)
    check(picked == ours, "the newest match is %s, not diagtap's socket" % picked)
    check(ask(s) == RESPONSE, "wrong response through the proxy")

    rc = dt.stop()
    peer.kill()
    check(rc == 0, "diagtap exit status %d: %s" % (rc, dt.stderr()))
    check(not os.path.exists(ours), "diagtap's socket left behind")
    check(os.path.exists(real), "the runtime's socket was removed")

    ev = json_events(dt.timeline())
    convs = {e["conv"]["id"]: e["conv"] for e in ev if e["conv"]}
    check(len(convs) == 2, "%d conversations through diagtap, expected 2" % len(convs))
    check(all(c["channel"].startswith("dotnet:%d#" % pid) and c["server"] == real for c in convs.values()),
          "conversations: %s" % list(convs.values()))
    seen = {"c2s": b"", "s2c": b""}
    per_iface = {}

    def on_chunk(iface, d, data):
        seen[d] += data
        per_iface.setdefault(iface, []).append((d, data))

    read_pcapng(rec, on_chunk)
    # one pcapng interface per channel (connection), named after it, each
    # holding its own request and response
    channels = sorted(c["channel"] for c in convs.values())
    check(sorted(per_iface) == channels, "interfaces %s, channels %s" % (sorted(per_iface), channels))
    for name, chunks in per_iface.items():
        got = {d: b"".join(x for dd, x in chunks if dd == d) for d in ("c2s", "s2c")}
        check(got == {"c2s": REQUEST, "s2c": RESPONSE}, "interface %s holds %r" % (name, got))
    check(seen["c2s"] == REQUEST * 2, "recorded requests differ: %r" % seen["c2s"][:64])
    check(seen["s2c"] == RESPONSE * 2, "recorded responses differ: %r" % seen["s2c"][:64])
    protos = sorted({e["proto_name"] for e in ev if e["kind"] == "pdu"})
    print("decoded as %s; %s" % (protos, hashlib.sha256(seen["c2s"]).hexdigest()[:12]))
    shutil.rmtree(wd)
    print("ok")


main()
