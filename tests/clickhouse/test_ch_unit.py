#!/usr/bin/python3
"""The systemd unit of docs/fleet.md, as written there:

1. `systemd-analyze verify` accepts it without a single warning (an unknown
   key, a bad value);
2. its ExecStart runs: the same options, with only what names this machine
   replaced (the binary, eth0 -> lo, the ClickHouse host -> a private server,
   ${CREDENTIALS_DIRECTORY} -> a directory holding the password file) and
   $STATE_DIRECTORY set as systemd sets it. TCP traffic to port 5985 (the
   unit's filter) while it runs lands in ClickHouse through the password file;
   the default spool is $STATE_DIRECTORY/spool (0700); SIGTERM ends it with
   status 0 and no message naming the password.
Part 2 is skipped where live capture is not permitted (no CAP_NET_RAW)."""
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chtest import DIAGTAP, PASSWORD, SRCDIR, Server, check, skip_without_server, workdir  # noqa: E402


def unit_text():
    text = open(os.path.join(SRCDIR, "docs", "fleet.md")).read()
    start = text.index("```ini\n") + 7
    return text[start:text.index("```", start)]


def main():
    skip_without_server()
    wd = workdir()
    unit = unit_text()
    report = []
    analyze = shutil.which("systemd-analyze")
    if analyze:
        path = os.path.join(wd, "diagtap-capture.service")
        with open(path, "w") as f:
            f.write(unit.replace("/usr/local/bin/diagtap", os.path.abspath(DIAGTAP)))
        r = subprocess.run([analyze, "verify", path], capture_output=True)
        msgs = (r.stdout + r.stderr).decode()
        # (outside a booted systemd it may say so; that is not about the unit)
        msgs = "\n".join(l for l in msgs.splitlines() if "diagtap-capture.service" in l)
        check(r.returncode == 0 and not msgs, "systemd-analyze verify: %d %s" % (r.returncode, msgs))
        report.append("systemd-analyze verify: clean")
    else:
        report.append("systemd-analyze not installed (scripts/deps.sh installs systemd): unit not verified")

    # ExecStart, continuation lines joined
    m = re.search(r"^ExecStart=(.*?[^\\])$", unit.replace("\\\n", " "), re.M)
    check(m, "no ExecStart in the unit")
    argv = shlex.split(m.group(1))
    check(argv[0] == "/usr/local/bin/diagtap" and argv[1] == "capture", "ExecStart: %s" % argv)
    srv = Server(wd)
    srv.start()
    try:
        srv.create_table("diag.events")
        creds = os.path.join(wd, "credentials")
        os.makedirs(creds, mode=0o700)
        with open(os.path.join(creds, "clickhouse"), "w") as f:
            f.write(PASSWORD + "\n")
        state = os.path.join(wd, "state")
        os.makedirs(state, mode=0o700)
        args = [DIAGTAP]
        for a in argv[1:]:
            a = a.replace("${CREDENTIALS_DIRECTORY}", creds)
            a = re.sub(r"^clickhouse://diagtap@ch\.example\.net:8123/", "clickhouse://writer@127.0.0.1:%d/" % srv.http, a)
            args.append("lo" if a == "eth0" else a)
        check(any(a.startswith("clickhouse://writer@127.0.0.1") for a in args), "the unit's URL changed: %s" % argv)
        check("--clickhouse-spool" not in args, "the unit is meant to use the default spool")
        env = dict(os.environ, STATE_DIRECTORY=state, CREDENTIALS_DIRECTORY=creds)
        env.pop("DIAGTAP_CLICKHOUSE_PASSWORD", None)
        err = open(os.path.join(wd, "err"), "w+b")
        p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=err)
        time.sleep(1.0)
        if p.poll() is not None:
            err.seek(0)
            msg = err.read().decode().strip()
            if "permit" in msg.lower() or "operation not permitted" in msg.lower():
                print("SKIP: live capture on lo not permitted here: " + msg)
                sys.exit(77)
            check(False, "the unit's command line failed: %s" % msg)
        # traffic the unit's filter keeps: WinRM's port, a plain HTTP exchange
        lsock = socket.socket()
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            lsock.bind(("127.0.0.1", 5985))
        except OSError:
            lsock = None
        if lsock:
            lsock.listen(4)

            def answer():
                c, _ = lsock.accept()
                c.recv(4096)
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                c.close()

            threading.Thread(target=answer, daemon=True).start()
            c = socket.create_connection(("127.0.0.1", 5985))
            c.sendall(b"POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            c.recv(4096)
            c.close()
            time.sleep(2.5)  # past the 1 s batch age
        p.send_signal(signal.SIGTERM)
        rc = p.wait(60)
        err.seek(0)
        msgs = err.read().decode(errors="replace")
        check(rc == 0, "the unit's command after SIGTERM: %d %s" % (rc, msgs))
        check(PASSWORD not in msgs, "the password was printed: " + msgs)
        spool = os.path.join(state, "spool")
        check(os.path.isdir(spool) and os.stat(spool).st_mode & 0o777 == 0o700,
              "the default spool is not $STATE_DIRECTORY/spool (0700)")
        if lsock:
            rows = srv.scalar("SELECT count() FROM diag.events WHERE server = '127.0.0.1:5985'")
            check(rows >= 2, "no rows from port 5985 through the password file (%d): %s" % (rows, msgs))
            report.append("ExecStart ran: %d rows from port 5985, default spool under $STATE_DIRECTORY" % rows)
            lsock.close()
        else:
            report.append("ExecStart ran (port 5985 busy here: no traffic generated)")
    finally:
        srv.stop()
    print("ok: " + "; ".join(report))


if __name__ == "__main__":
    main()
