#!/usr/bin/python3
"""`diagtap capture` as the fleet service runs it: live on lo, -q, only the
ClickHouse output, stopped by SIGTERM. The connections seen on a private
port while it ran are in ClickHouse (as many rows as the JSON timeline of
the same run has events), with the capture's channel, and the spool is
empty. Skipped where live capture is not permitted (no CAP_NET_RAW)."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chtest import DIAGTAP, Server, check, free_port, json_lines, skip_without_server, spool_files, workdir


def main():
    skip_without_server()
    wd = workdir()
    srv = Server(wd)
    srv.start()
    try:
        srv.create_table("diag.events")
        port = free_port()
        lsock = socket.socket()
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", port))
        lsock.listen(16)

        def echo():
            while True:
                try:
                    c, _ = lsock.accept()
                except OSError:
                    return
                c.sendall(c.recv(4096))
                c.close()

        threading.Thread(target=echo, daemon=True).start()
        out = os.path.join(wd, "live.json")
        spool = os.path.join(wd, "spool")
        err = open(os.path.join(wd, "err"), "w+b")
        p = subprocess.Popen([DIAGTAP, "capture", "-i", "lo", "-f", "tcp port %d" % port, "-T", "json", "-o", out,
                              "-o", srv.url("diag.events"), "--clickhouse-spool", spool, "--host-label", "live",
                              "--clickhouse-batch-ms", "200"], stdout=subprocess.DEVNULL, stderr=err)
        time.sleep(1.0)
        if p.poll() is not None:
            err.seek(0)
            print("SKIP: live capture on lo not permitted here: " + err.read().decode().strip())
            sys.exit(77)
        for i in range(5):
            c = socket.create_connection(("127.0.0.1", port))
            body = b'{"seq":%d,"type":"request","command":"threads"}' % (i + 1)  # DAP, found by its probe
            c.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            c.recv(1024)
            c.close()
        time.sleep(1.0)
        p.send_signal(signal.SIGTERM)
        rc = p.wait(60)
        err.seek(0)
        msgs = err.read().decode()
        check(rc == 0, "capture after SIGTERM: %d %s" % (rc, msgs))
        n = len(json_lines(out))
        check(n >= 5, "the capture saw %d events" % n)
        got = srv.rows("SELECT count() AS c, uniqExact(conv_id) AS convs, any(channel) AS ch FROM diag.events "
                       "WHERE host = 'live'")[0]
        check(int(got["c"]) == n and int(got["convs"]) == 5 and got["ch"] == "lo",
              "rows %s, want %d events of 5 connections on lo" % (got, n))
        check(spool_files(spool) == [], "spool not empty")
        lsock.close()
    finally:
        srv.stop()
    print("ok: live capture stopped by SIGTERM: %d events of 5 connections in ClickHouse" % n)


if __name__ == "__main__":
    main()
