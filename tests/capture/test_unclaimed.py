#!/usr/bin/python3
"""Traffic no dissector claims is never invisible: a plain line protocol on a
high port (HTTP has a dissector of its own) and random UDP datagrams, captured live on loopback, each show one line when
the conversation opens and one when it closes, with the bytes each way
counted exactly as the peers sent them, packets as tshark counts them (the
last ACK after both FINs excepted), a preview of the first bytes with any
credential header blanked, and a --stats row. The recording replays to the
same lines."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

DIAGTAP = os.environ["DIAGTAP"]
tmp = tempfile.mkdtemp(prefix="diagtap-unclaimed-")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)


BODY = os.urandom(3000).hex().encode()  # 6000 bytes


def serve(lsock):
    c, _ = lsock.accept()
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = c.recv(4096)
        if not chunk:
            break
        got += chunk
    c.sendall(b"OK sending\r\n" + BODY)
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    c.close()


lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(1)
tport = lsock.getsockname()[1]
threading.Thread(target=serve, args=(lsock,), daemon=True).start()
usock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
usock.bind(("127.0.0.1", 0))
uport = usock.getsockname()[1]

rec = os.path.join(tmp, "live.pcapng")
cap = subprocess.Popen([DIAGTAP, "capture", "-i", "lo", "-f", "port %d or port %d" % (tport, uport),
                        "-T", "json", "-w", rec, "--duration", "6"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
time.sleep(1.5)  # the capture is open

# a request whose first 64 bytes hold a credential header
req = b"HELO diagtap\r\nAuthorization: Basic dXNlcjpzZWNyZXQ=\r\nHost: x\r\n\r\n"
c = socket.create_connection(("127.0.0.1", tport))
c.sendall(req)
got = b""
while True:
    chunk = c.recv(65536)
    if not chunk:
        break
    got += chunk
c.shutdown(socket.SHUT_WR)
while c.recv(65536):
    pass
c.close()
rsp_len = len(got)
# UDP: five random datagrams one way, two back
sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sent = 0
for i in range(5):
    d = os.urandom(100 + i)
    sender.sendto(d, ("127.0.0.1", uport))
    sent += len(d)
back = 0
for i in range(2):
    d, addr = usock.recvfrom(65536)
    r = os.urandom(10 + i)
    usock.sendto(r, addr)
    back += len(r)
out, err = cap.communicate(timeout=30)
check(cap.returncode == 0, "capture exited %d: %s" % (cap.returncode, err[-500:]))


def lines(text):
    return [json.loads(l) for l in text.splitlines() if l.startswith("{")]


def conv_lines(evs):
    return [e for e in evs if e.get("proto_name") == "conv"]


def verify(evs, where):
    cl = conv_lines(evs)
    tcp = [e for e in cl if e["proto"] == "TCP"]
    udp = [e for e in cl if e["proto"] == "UDP"]
    check(len(tcp) == 2 and "opened" in tcp[0]["summary"] and "closed" in tcp[1]["summary"],
          "%s: TCP open and close lines: %s" % (where, [e["summary"] for e in tcp]))
    check(len(udp) == 2 and "opened" in udp[0]["summary"] and "closed" in udp[1]["summary"],
          "%s: UDP open and close lines: %s" % (where, [e["summary"] for e in udp]))
    if len(tcp) == 2:
        f = tcp[1]["fields"]
        check(int(f["conv.bytes.c2s"]) == len(req), "%s: TCP bytes c2s %s, sent %d" % (where, f["conv.bytes.c2s"], len(req)))
        check(int(f["conv.bytes.s2c"]) == rsp_len, "%s: TCP bytes s2c %s, received %d" % (where, f["conv.bytes.s2c"], rsp_len))
        check(tcp[1]["conv"]["server"].endswith(":%d" % tport), "%s: TCP server %s" % (where, tcp[1]["conv"]["server"]))
        prev = bytes.fromhex(tcp[0]["fields"]["conv.preview.c2s"])
        check(prev.startswith(b"HELO diagtap\r\nAuthorization: ") and b"dXNlcjpzZWNyZXQ" not in prev
              and b"*****" in prev, "%s: the preview keeps the credential: %r" % (where, prev))
        packets = int(f["conv.packets.c2s"]) + int(f["conv.packets.s2c"])
        return packets
    if len(udp) == 2:
        f = udp[1]["fields"]
        check(int(f["conv.bytes.c2s"]) == sent and int(f["conv.bytes.s2c"]) == back
              and int(f["conv.packets.c2s"]) == 5 and int(f["conv.packets.s2c"]) == 2,
              "%s: UDP counts %s (sent %d in 5, back %d in 2)" % (where, f, sent, back))
    return 0


live = lines(out)
packets = verify(live, "live")
replayed = subprocess.run([DIAGTAP, "replay", "-T", "json", rec], capture_output=True, text=True)
check(replayed.returncode == 0, "replay: " + replayed.stderr[-300:])
rp = conv_lines(lines(replayed.stdout))
check([e["summary"] for e in rp] == [e["summary"] for e in conv_lines(live)],
      "the recording replays to other lines: %s" % [e["summary"] for e in rp])
verify(lines(replayed.stdout), "replay")

# packets: tshark's conversation table counts every frame; diagtap stops at
# the close (the final ACK after both FINs is not part of the conversation)
conv = subprocess.run(["tshark", "-r", rec, "-q", "-z", "conv,tcp"], capture_output=True, text=True).stdout
frames = [l.split() for l in conv.splitlines() if "<->" in l and (":%d" % tport) in l]
if frames:
    total = int(frames[0][9])  # A <-> B, frames bytes "bytes" each way, then the totals
    check(total - 1 <= packets <= total, "TCP packets: diagtap %d, tshark %d" % (packets, total))
else:
    check(False, "tshark shows no TCP conversation: " + conv[-400:])

# --show-credentials shows the header as sent
shown = subprocess.run([DIAGTAP, "replay", "-T", "json", "--show-credentials", rec], capture_output=True, text=True)
opened = [e for e in conv_lines(lines(shown.stdout)) if e["proto"] == "TCP" and "opened" in e["summary"]]
check(opened and b"dXNlcjpzZWNyZXQ=" in bytes.fromhex(opened[0]["fields"]["conv.preview.c2s"]),
      "--show-credentials: the preview is still blanked")

# the text timeline: -x dumps the preview; --stats has a row per server port
text = subprocess.run([DIAGTAP, "replay", "-x", rec], capture_output=True, text=True).stdout
check("0000  48 45 4c 4f 20 64 69 61" in text, "-x shows no hex preview:\n" + text[:600])
stats = subprocess.run([DIAGTAP, "replay", "--stats", "-q", rec], capture_output=True, text=True).stdout
check("unclaimed port %d" % tport in stats and "unclaimed port %d" % uport in stats,
      "--stats has no unclaimed rows:\n" + stats)

if failures:
    sys.exit(1)
print("unclaimed: ok")
