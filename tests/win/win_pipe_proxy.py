"""diagtap proxy pipe under wine, between the mingw pipe_peer server and
clients: 64 MiB each way byte-exact (SHA-256 of what each end sent against
what the other received), 50 concurrent clients, the target killed
mid-stream while the proxy goes on serving the next client, a message-mode
pipe whose message boundaries survive the relay and the recording; the -w
recordings hold every relayed byte (read here, by tshark and by the Linux
build), and the timeline names each client's process id."""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ipc"))
from ipctest import read_pcapng, tshark_reads  # noqa: E402
from wintest import DIAGTAP, PEER, Workdir, boot, check, fail, linux_diagtap, winpath  # noqa: E402

BIG = 64 * 1024 * 1024 if not os.environ.get("DIAGTAP_QUICK") else 8 * 1024 * 1024
MSG_SIZES = [1, 100, 4096, 65535, 65536, 65537, 300000, 7, 1048576, 3]
RECORD_MAX = 262124


def hashes(text):
    """[(sent, received, nbytes)] of a peer's "sent A received B N" lines."""
    return [(m[0], m[1], int(m[2])) for m in re.findall(r"sent (\w+) received (\w+) (\d+)", text)]


def recorded(path):
    """{channel: {"c2s": bytes, "s2c": bytes, "sizes": {dir: [record sizes]}}}"""
    out = {}

    def on_chunk(iface, d, chunk):
        ch = out.setdefault(iface, {"c2s": bytearray(), "s2c": bytearray(), "sizes": {"c2s": [], "s2c": []}})
        ch[d] += chunk
        ch["sizes"][d].append(len(chunk))

    read_pcapng(path, on_chunk)
    return out


def e_kind_cut(summary, full):
    """An error, or a close note whose client→target count is not a whole transfer."""
    m = re.search(r"closed: (\d+) bytes client", summary)
    return m is None or int(m.group(1)) not in full


def byte_mode(wd, lin):
    import hashlib
    target, front = r"\\.\pipe\dt-test-target", r"\\.\pipe\dt-test-front"
    srv = wd.run("server", [PEER, "server", target, "bulk:%d:7" % BIG])
    srv.wait_text("ready", "out")
    rec = os.path.join(wd.path, "bytes.pcapng")
    dt = wd.run("diagtap", [DIAGTAP, "proxy", "-T", "json", "-w", winpath(rec), "pipe", "dt-test-front",
                            "dt-test-target"])
    dt.wait_text("listening on")
    check("byte mode" in dt.text("err"), "byte pipe not seen as such: " + dt.text("err"))

    # 64 MiB each way
    t0 = time.time()
    cl = wd.run("client", [PEER, "client", front, "bulk:%d:7" % BIG])
    check(cl.wait(300) == 0, "64 MiB client failed: " + cl.text() + cl.text("err"))
    secs = time.time() - t0
    c_sent, c_recv, c_n = hashes(cl.text())[0]
    # the server's line comes once the proxy passed the client's end on
    end = time.time() + 60
    while True:
        s_lines = [h for h in hashes(srv.text()) if h[2] == BIG]
        if s_lines or time.time() > end:
            break
        time.sleep(0.2)
    check(len(s_lines) == 1, "server lines: " + srv.text())
    s_sent, s_recv, _ = s_lines[0]
    check(c_sent == s_recv, "client→server bytes altered (%s vs %s)" % (c_sent, s_recv))
    check(s_sent == c_recv and c_n == BIG, "server→client bytes altered")

    # 50 clients at once
    many = wd.run("many", [PEER, "client", front, "bulk:65536:9", "--clients", "50"])
    check(many.wait(300) == 0, "50 clients: " + many.text() + many.text("err"))
    check("clients 50 failed 0" in many.text(), many.text())
    # a client is done when it has read everything; the server side ends
    # when the proxy has passed the client's close on: wait for that
    end = time.time() + 60
    while True:
        n_ok = len([h for h in hashes(srv.text()) if h[2] == 65536])
        if n_ok == 50 or time.time() > end:
            break
        time.sleep(0.2)
    check(n_ok == 50, "the server completed %d of 50 clients" % n_ok)

    # the target killed mid-stream: the client's connection ends, the proxy lives on
    doomed = wd.run("doomed", [PEER, "client", front, "bulk:%d:3" % (1 << 34)])
    time.sleep(1.5)
    srv.kill()
    check(doomed.wait(60) != 0, "a client whose target died finished cleanly")
    srv2 = wd.run("server2", [PEER, "server", target, "bulk:1048576:5"])
    srv2.wait_text("ready", "out")
    after = wd.run("after", [PEER, "client", front, "bulk:1048576:5"])
    check(after.wait(120) == 0, "no service after the target died: " + after.text() + after.text("err"))
    check(dt.p.poll() is None, "the proxy died with the target: " + dt.text("err"))

    check(dt.stop() == 0, "proxy exit after Ctrl+C: " + dt.text("err"))
    ev = [json.loads(l) for l in dt.text().splitlines() if l.strip()]
    # "client#N (pid P, DOMAIN\\user) connected": the client process's id and user
    who = [re.search(r"\(pid (\d+), ([^)]+)\) connected", e["summary"]) for e in ev if e["kind"] == "note"]
    who = [m for m in who if m]
    pids = {m.group(1) for m in who}
    check(len(pids) >= 3, "client process ids on the timeline: %s" % pids)
    check(all("\\" in m.group(2) for m in who), "client users on the timeline: %s" % {m.group(2) for m in who})
    # The killed target's connection ended mid-stream (a dead process and a
    # clean close look alike on a pipe: an error or a short close note).
    ends = [e["summary"] for e in ev if e["kind"] == "error" or "connection closed" in e["summary"]]
    full = {BIG, 65536, 1048576}
    cut = [s for s in ends if e_kind_cut(s, full)]
    check(cut, "no connection ended mid-stream when the target was killed: %s" % ends[-5:])

    # -w: the 64 MiB connection recorded losslessly both ways
    chans = recorded(rec)
    # the big transfer's channel (the killed one may happen to hold as many bytes)
    big = [c for c in chans.values() if len(c["c2s"]) == BIG and hashlib.sha256(c["c2s"]).hexdigest() == c_sent]
    check(len(big) == 1, "no recorded channel with the whole %d MiB client→target: %s"
          % (BIG >> 20, [(k, len(v["c2s"])) for k, v in chans.items() if len(v["c2s"]) > 65536]))
    check(hashlib.sha256(big[0]["s2c"]).hexdigest() == s_sent, "recording of target→client differs")
    n = tshark_reads(rec)
    check(n > 0, "tshark reads no packets")
    if lin:
        r = subprocess.run([lin, "replay", "-q", "--stats", rec], capture_output=True, timeout=300)
        check(r.returncode == 0, "Linux replay of the recording: " + r.stderr.decode())
    return secs


def group(sizes):
    """Record sizes back to message sizes: a message larger than a pcapng
    record (256 KiB less the exported-PDU header) is recorded as full records
    and a shorter last one; no record ever spans two messages."""
    out, acc = [], 0
    for n in sizes:
        acc += n
        if n != RECORD_MAX:
            out.append(acc)
            acc = 0
    return out


def group_records(ch):
    return ch["sizes"]["c2s"] + ch["sizes"]["s2c"]


def message_mode(wd, lin):
    target, front = r"\\.\pipe\dt-test-msg-target", r"\\.\pipe\dt-test-msg-front"
    srv = wd.run("msrv", [PEER, "server", target, "echo", "--message"])
    srv.wait_text("ready", "out")
    rec = os.path.join(wd.path, "msgs.pcapng")
    dt = wd.run("mdiagtap", [DIAGTAP, "proxy", "-T", "json", "-w", winpath(rec), "pipe", front, target])
    dt.wait_text("listening on")
    check("message mode" in dt.text("err"), "message pipe not seen as such: " + dt.text("err"))
    cl = wd.run("mclient", [PEER, "client", front, "msgs"])
    check(cl.wait(120) == 0 and "msgs ok %d" % len(MSG_SIZES) in cl.text(), "messages: " + cl.text() + cl.text("err"))
    check(dt.stop() == 0, "proxy exit after Ctrl+C: " + dt.text("err"))
    chans = [c for c in recorded(rec).values() if c["sizes"]["c2s"]]
    check(len(chans) == 1, "message channels recorded: %d" % len(chans))
    for d in ("c2s", "s2c"):
        check(group(chans[0]["sizes"][d]) == MSG_SIZES,
              "%s message boundaries in the recording: %s" % (d, chans[0]["sizes"][d]))
    ev = [json.loads(l) for l in dt.text().splitlines() if l.strip()]
    raw = [e["raw_len"] for e in ev if e["kind"] == "pdu" and e["dir"] == "c2s"]
    check(raw == MSG_SIZES, "message boundaries on the timeline: %s" % raw)
    check(tshark_reads(rec) == len(group_records(chans[0])), "tshark sees other records than diagtap wrote")
    if lin:
        r = subprocess.run([lin, "replay", "-q", "--stats", rec], capture_output=True, timeout=120)
        check(r.returncode == 0, "Linux replay of the message recording: " + r.stderr.decode())


def stop_mid_messages(wd, lin):
    """Ctrl+C while 64 KiB messages stream both ways (a bulk client against
    the message-mode echo server): reads and writes are outstanding on both
    pipes and messages half read when the stop comes, at three moments. The
    proxy must end within 20 s (issue 13: it hung after Ctrl+C), close the
    connection on the timeline, and leave a recording of whole messages only
    (a message still arriving at the stop is not relayed, so not recorded)."""
    target, front = r"\\.\pipe\dt-test-stop-target", r"\\.\pipe\dt-test-stop-front"
    srv = wd.run("ssrv", [PEER, "server", target, "echo", "--message"])
    srv.wait_text("ready", "out")
    for i, delay in enumerate((0.3, 1.0, 2.0)):
        rec = os.path.join(wd.path, "stop%d.pcapng" % i)
        dt = wd.run("sdiagtap%d" % i, [DIAGTAP, "proxy", "-T", "json", "-w", winpath(rec), "pipe", front, target])
        dt.wait_text("listening on")
        cl = wd.run("sclient%d" % i, [PEER, "client", front, "bulk:%d:11" % (1 << 34)])
        end = time.time() + 60
        while '"kind":"pdu"' not in dt.text() and time.time() < end:
            time.sleep(0.05)  # messages flowing (the timeline is written as they are decoded)
        time.sleep(delay)
        check(cl.p.poll() is None, "the bulk client ended before the stop: " + cl.text() + cl.text("err"))
        dt.p.send_signal(signal.SIGINT)
        try:
            rc = dt.p.wait(20)
        except subprocess.TimeoutExpired:
            fail("proxy still running 20 s after Ctrl+C with messages in flight (stop %d): %s"
                 % (i, dt.text("err")))
        check(rc == 0, "proxy exit after Ctrl+C with messages in flight: %d %s" % (rc, dt.text("err")))
        cl.kill()
        ev = [json.loads(l) for l in dt.text().splitlines() if l.strip()]
        check(any("diagtap stopped" in e["summary"] for e in ev),
              "no 'diagtap stopped' close on the timeline: %s" % [e["summary"] for e in ev[-3:]])
        chans = [c for c in recorded(rec).values() if c["sizes"]["c2s"]]
        check(len(chans) == 1, "channels recorded at stop %d: %d" % (i, len(chans)))
        for d in ("c2s", "s2c"):
            sizes = chans[0]["sizes"][d]
            check(sizes and set(sizes) == {65536}, "%s records at stop %d are not whole 64 KiB messages: %s"
                  % (d, i, sorted(set(sizes))))
        check(tshark_reads(rec) > 0, "tshark reads no packets")
        if lin:
            r = subprocess.run([lin, "replay", "-q", "--stats", rec], capture_output=True, timeout=120)
            check(r.returncode == 0, "Linux replay of the stop recording: " + r.stderr.decode())


def main():
    boot()
    lin = linux_diagtap()
    with Workdir() as wd:
        secs = byte_mode(wd, lin)
    with Workdir() as wd:
        message_mode(wd, lin)
    with Workdir() as wd:
        stop_mid_messages(wd, lin)
    print("ok: %d MiB each way byte-exact in %.1f s, 50 clients, target killed and replaced, message boundaries "
          "kept, Ctrl+C with messages in flight; recordings lossless%s" % (BIG >> 20, secs, "" if lin else " (no Linux build to read them back)"))


if __name__ == "__main__":
    main()
