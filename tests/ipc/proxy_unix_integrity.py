"""proxy unix: 1 GiB each way (64 MiB under sanitizers) with random chunk
sizes; both ends and the pcapng recording must hold exactly the same bytes."""
import hashlib
import os
import random
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


def sender(sock, seed, result):
    rng = random.Random(seed)
    h = hashlib.sha256()
    view = memoryview(BLOCK)
    left = SIZE
    for n in chunk_sizes(rng):
        if left == 0:
            break
        n = min(n, left)
        off = rng.randint(0, len(BLOCK) - n)
        piece = view[off:off + n]
        sock.sendall(piece)
        h.update(piece)
        left -= n
    sock.shutdown(socket.SHUT_WR)
    result["sent"] = h.hexdigest()


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
    check(counts["c2s"] == SIZE and counts["s2c"] == SIZE, "recorded byte counts differ: %s" % counts)
    check(hashes["c2s"].hexdigest() == client_result["sent"], "recorded client -> server bytes differ")
    check(hashes["s2c"].hexdigest() == server_result["sent"], "recorded server -> client bytes differ")
    check(not os.path.exists(front), "listening socket left behind")
    check(oct(os.stat(rec).st_mode & 0o777) == oct(0o600), "recording is not 0600")
    shutil.rmtree(wd)
    print("ok")


main()
