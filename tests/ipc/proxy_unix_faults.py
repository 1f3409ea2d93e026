"""proxy unix under faults: a target killed mid-stream (reported, the proxy
keeps serving), a client that stops reading (backpressure: the target is
stalled and the proxy's memory stays bounded), SIGTERM during traffic (a
recording tshark reads to the end, the listening socket removed)."""
import os
import shutil
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ipctest import Diagtap, check, json_events, start_peer, tshark_reads, workdir  # noqa: E402

RSS_LIMIT_KIB = 64 * 1024


def pump(sock, stop):
    """Sends and receives as fast as possible until stop is set or the peer goes."""
    block = os.urandom(65536)

    def rx():
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass

    t = threading.Thread(target=rx, daemon=True)
    t.start()
    try:
        while not stop.is_set():
            sock.sendall(block)
    except OSError:
        pass
    t.join(10)
    return not t.is_alive()


def echo_once(path, payload=b"still there?\n"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
    s.close()
    return got == payload


def killed_target(wd):
    target = os.path.join(wd, "kill-target.sock")
    front = os.path.join(wd, "kill-front.sock")
    peer, _ = start_peer("stream-unix", target)
    dt = Diagtap(["proxy", "-T", "json", "unix", front, target], wd, name="kill")
    dt.wait_listening()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(front)
    stop = threading.Event()
    done = {}
    t = threading.Thread(target=lambda: done.setdefault("rx_ended", pump(s, stop)))
    t.start()
    time.sleep(0.5)
    peer.kill()  # SIGKILL mid-stream, both directions busy
    peer.wait()
    t.join(20)
    check(not t.is_alive(), "client still blocked 20 s after the target died")
    check(done.get("rx_ended"), "client never saw the end of the stream")
    s.close()
    check(dt.proc.poll() is None, "proxy died with its target")
    peer2, _ = start_peer("echo-unix", target)
    check(echo_once(front), "proxy does not serve a new client after the target was killed")
    rc = dt.stop()
    peer2.kill()
    check(rc == 0, "diagtap exit status %d: %s" % (rc, dt.stderr()))
    ev = json_events(dt.timeline())
    errs = [e["summary"] for e in ev if e["kind"] == "error" and e["conv"] and e["conv"]["id"] == 1]
    check(errs and any("target" in x for x in errs), "the target's death is not reported: %s" % errs)
    print("killed target reported: %s" % errs[0])


def stalled_client(wd):
    target = os.path.join(wd, "stall-target.sock")
    front = os.path.join(wd, "stall-front.sock")
    count = os.path.join(wd, "sent")
    peer, _ = start_peer("flood-unix", target, count)
    dt = Diagtap(["proxy", "unix", front, target], wd, name="stall")
    dt.wait_listening()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(front)  # and never reads
    peak = 0
    samples = []
    for _ in range(30):
        time.sleep(0.1)
        peak = max(peak, dt.rss_kib())
        try:
            with open(count) as f:
                samples.append(int(f.read() or 0))
        except (FileNotFoundError, ValueError):
            samples.append(0)
    sent = samples[-1]
    print("target stalled after %d KiB; proxy peak RSS %d KiB" % (sent >> 10, peak))
    check(sent > 0, "the target never sent anything")
    check(samples[-1] == samples[-10], "the target is still sending: no backpressure (%s)" % samples[-10:])
    check(sent < 32 << 20, "the target got %d bytes out to a client that reads nothing" % sent)
    check(peak < RSS_LIMIT_KIB, "proxy RSS reached %d KiB" % peak)
    # Reading again drains everything that was held, in order.
    s.settimeout(10)
    got = 0
    while got < sent:
        b = s.recv(1 << 20)
        check(b, "stream ended early")
        got += len(b)
    s.close()
    peer.kill()
    rc = dt.stop()
    check(rc == 0, "diagtap exit status %d: %s" % (rc, dt.stderr()))


def sigterm_during_traffic(wd):
    target = os.path.join(wd, "term-target.sock")
    front = os.path.join(wd, "term-front.sock")
    rec = os.path.join(wd, "term.pcapng")
    peer, _ = start_peer("stream-unix", target)
    dt = Diagtap(["proxy", "-w", rec, "unix", front, target], wd, name="term")
    dt.wait_listening()
    socks, threads = [], []
    stop = threading.Event()
    for _ in range(4):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(20)
        s.connect(front)
        socks.append(s)
        t = threading.Thread(target=pump, args=(s, stop), daemon=True)
        t.start()
        threads.append(t)
    time.sleep(1.0)
    t0 = time.time()
    rc = dt.stop(signal.SIGTERM, timeout=20)
    print("stopped in %.2f s" % (time.time() - t0))
    stop.set()
    peer.kill()
    for s in socks:
        s.close()
    check(rc == 0, "diagtap exit status %d after SIGTERM: %s" % (rc, dt.stderr()))
    check(not os.path.exists(front), "listening socket left behind after SIGTERM")
    n = tshark_reads(rec)
    check(n > 0, "the recording holds no packets")
    print("tshark read %d packets to the end" % n)


def main():
    wd = workdir("faults")
    killed_target(wd)
    stalled_client(wd)
    sigterm_during_traffic(wd)
    shutil.rmtree(wd)
    print("ok")


main()
