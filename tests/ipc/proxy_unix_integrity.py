"""proxy unix: 1 GiB each way (64 MiB under sanitizers) with random chunk
sizes; both ends must hold exactly the same bytes. The relay never waits
for the decoder: when even recording falls behind, the proxy drops bytes
from the recording only and says so ("decoder behind: N bytes not decoded
nor recorded (DIR, stream offset X)"). The recording must hold exactly the
relayed bytes minus the ranges reported that way."""
import hashlib
import os
import random
import re
import shutil
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ipctest import Diagtap, SANITIZED, check, read_pcapng, workdir  # noqa: E402

SIZE = (64 if SANITIZED else 1024) << 20
SEED = int(os.environ.get("DIAGTAP_TEST_SEED", time.time_ns() % 1000000))
BLOCK = random.Random(SEED).randbytes(4 << 20)


def chunk_sizes(rng):
    while True:
        r = rng.random()
        if r < 0.1:
            yield rng.randint(1, 100)
        elif r < 0.7:
            yield rng.randint(101, 65536)
        else:
            yield rng.randint(65537, 1 << 20)


def pieces(seed):
    """The stream a sender with this seed sends, piece by piece."""
    rng = random.Random(seed)
    view = memoryview(BLOCK)
    left = SIZE
    for n in chunk_sizes(rng):
        if left == 0:
            break
        n = min(n, left)
        off = rng.randint(0, len(BLOCK) - n)
        yield view[off:off + n]
        left -= n


def sender(sock, seed, result):
    h = hashlib.sha256()
    for piece in pieces(seed):
        sock.sendall(piece)
        h.update(piece)
    sock.shutdown(socket.SHUT_WR)
    result["sent"] = h.hexdigest()


def hash_without(seed, lost):
    """sha256 of the stream of seed without the (offset, length) ranges."""
    h = hashlib.sha256()
    pos = 0
    for piece in pieces(seed):
        start, end = pos, pos + len(piece)
        keep_from = 0
        for off, n in lost:
            if off + n <= start or off >= end:
                continue
            a, b = max(off, start) - start, min(off + n, end) - start
            h.update(piece[keep_from:a])
            keep_from = b
        h.update(piece[keep_from:])
        pos = end
    return h.hexdigest()


def receiver(sock, result):
    h = hashlib.sha256()
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    total = 0
    while True:
        n = sock.recv_into(buf)
        if n == 0:
            break
        h.update(view[:n])
        total += n
    result["received"] = h.hexdigest()
    result["count"] = total


def both_ways(sock, seed, result):
    threads = [threading.Thread(target=sender, args=(sock, seed, result)),
               threading.Thread(target=receiver, args=(sock, result))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main():
    print("seed %d, %d MiB each way" % (SEED, SIZE >> 20))
    wd = workdir("integ")
    target = os.path.join(wd, "target.sock")
    front = os.path.join(wd, "front.sock")
    rec = os.path.join(wd, "rec.pcapng")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(target)
    srv.listen(4)
    server_result, client_result = {}, {}

    def serve():
        conn, _ = srv.accept()
        both_ways(conn, SEED + 1, server_result)
        conn.close()

    st = threading.Thread(target=serve)
    st.start()
    dt = Diagtap(["proxy", "-w", rec, "unix", front, target], wd)
    dt.wait_listening()
    t0 = time.time()
    cli = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    cli.connect(front)
    both_ways(cli, SEED + 2, client_result)
    cli.close()
    st.join()
    secs = time.time() - t0
    print("relayed 2 x %d MiB in %.1f s (%.0f MiB/s)" % (SIZE >> 20, secs, 2 * (SIZE >> 20) / secs))
    rc = dt.stop()
    check(rc == 0, "diagtap exit status %d: %s" % (rc, dt.stderr()))

    check(client_result["sent"] == server_result["received"], "client -> server bytes differ")
    check(server_result["sent"] == client_result["received"], "server -> client bytes differ")
    check(server_result["count"] == SIZE and client_result["count"] == SIZE, "byte counts differ")

    hashes = {"c2s": hashlib.sha256(), "s2c": hashlib.sha256()}
    counts = {"c2s": 0, "s2c": 0}

    def on_chunk(iface, d, data):
        check(d in hashes, "a recorded chunk without direction on %s" % iface)
        hashes[d].update(data)
        counts[d] += len(data)

    n = read_pcapng(rec, on_chunk)
    print("pcapng: %d packets, %d + %d bytes" % (n, counts["c2s"], counts["s2c"]))
    lost = {"c2s": [], "s2c": []}
    pat = re.compile(r"decoder behind: (\d+) bytes not decoded nor recorded[^(]*\((client|server)\S+, "
                     r"stream offset (\d+)\)")
    for m in pat.finditer(dt.timeline()):
        lost["c2s" if m.group(2) == "client" else "s2c"].append((int(m.group(3)), int(m.group(1))))
    for d, seed, sent in (("c2s", SEED + 2, client_result["sent"]), ("s2c", SEED + 1, server_result["sent"])):
        missing = sum(n for _, n in lost[d])
        check(counts[d] + missing == SIZE, "%s: %d recorded + %d reported lost != %d" % (d, counts[d], missing, SIZE))
        want = sent if not missing else hash_without(seed, lost[d])
        check(hashes[d].hexdigest() == want, "recorded %s bytes differ from the relayed ones" % d)
        if missing:
            print("%s: %d bytes in %d ranges reported lost to the recording (decoder behind)" %
                  (d, missing, len(lost[d])))
    check(not os.path.exists(front), "listening socket left behind")
    check(oct(os.stat(rec).st_mode & 0o777) == oct(0o600), "recording is not 0600")
    shutil.rmtree(wd)
    print("ok")


main()
