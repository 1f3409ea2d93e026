"""Shared by the ClickHouse tests: a private clickhouse-server (its own
ports, data directory and config, started fast and always stopped), and
running diagtap against it."""
import atexit
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

DIAGTAP = os.environ.get("DIAGTAP", "diagtap")
SRCDIR = os.environ.get("DIAGTAP_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLE = os.path.join(SRCDIR, "fixtures", "sample.pcapng")
SANITIZED = os.environ.get("DIAGTAP_SANITIZED", "") not in ("", "0")
SERVER_BIN = shutil.which("clickhouse-server") or "/usr/sbin/clickhouse-server"
CLIENT_BIN = shutil.which("clickhouse-client") or "/usr/bin/clickhouse-client"

_live = []


def _cleanup():
    for p in list(_live):
        try:
            p.kill()
            p.wait(5)
        except Exception:
            pass


atexit.register(_cleanup)
# meson's timeout sends SIGTERM: clean up (servers, temporary dirs) then too.
signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))


def _die_with_parent():
    """A server outlives no test, even one killed outright (PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except Exception:
        pass


def skip_without_server():
    if not os.access(SERVER_BIN, os.X_OK) or not os.access(CLIENT_BIN, os.X_OK):
        print("SKIP: clickhouse-server or clickhouse-client not installed (scripts/deps.sh installs them)")
        sys.exit(77)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


USERS_XML = """<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile><quota>default</quota></default>
    <writer><password>{password}</password><networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile><quota>default</quota></writer>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
"""

CONFIG_XML = """<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{d}/server.log</log><errorlog>{d}/server.err.log</errorlog></logger>
  <http_port>{http}</http_port>
  <tcp_port>{tcp}</tcp_port>
  <interserver_http_port>{inter}</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{d}/data/</path>
  <tmp_path>{d}/data/tmp/</tmp_path>
  <user_files_path>{d}/data/user_files/</user_files_path>
  <format_schema_path>{d}/data/format_schemas/</format_schema_path>
  <users_config>{d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>32</max_concurrent_queries>
  <mlock_executable>false</mlock_executable>
  <builtin_dictionaries_reload_interval>0</builtin_dictionaries_reload_interval>
  <remote_servers>{remote}</remote_servers>
  {tls}
</yandex>
"""

PASSWORD = "wr1ter-s3cret"


class Server:
    """clickhouse-server 18.16 on private ports with a private data dir."""

    def __init__(self, workdir, name="ch"):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.http, self.tcp, self.inter = free_port(), free_port(), free_port()
        self.proc = None
        self.remote = ""
        self.https = None
        self.tls = ""
        with open(os.path.join(self.dir, "users.xml"), "w") as f:
            f.write(USERS_XML.format(password=PASSWORD))

    def write_config(self):
        with open(os.path.join(self.dir, "config.xml"), "w") as f:
            f.write(CONFIG_XML.format(d=self.dir, http=self.http, tcp=self.tcp, inter=self.inter,
                                      remote=self.remote, tls=self.tls))

    def enable_tls(self):
        """An HTTPS port with a self-signed certificate for 127.0.0.1; returns the CA file."""
        cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        self.https = free_port()
        self.tls = ("<https_port>%d</https_port><openSSL><server><certificateFile>%s</certificateFile>"
                    "<privateKeyFile>%s</privateKeyFile><verificationMode>none</verificationMode>"
                    "<loadDefaultCAFile>false</loadDefaultCAFile><cacheSessions>true</cacheSessions>"
                    "<disableProtocols>sslv2,sslv3</disableProtocols><preferServerCiphers>true</preferServerCiphers>"
                    "</server></openSSL>" % (self.https, cert, key))
        return cert

    def start(self, timeout=60):
        self.write_config()
        out = open(os.path.join(self.dir, "stdout.log"), "ab")
        self.proc = subprocess.Popen([SERVER_BIN, "--config-file=" + os.path.join(self.dir, "config.xml")],
                                     stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.dir, preexec_fn=_die_with_parent)
        _live.append(self.proc)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail("clickhouse-server exited at start: " + self.log_tail())
            try:
                if urllib.request.urlopen("http://127.0.0.1:%d/ping" % self.http, timeout=1).read() == b"Ok.\n":
                    return
            except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
                pass
            time.sleep(0.05)
        fail("clickhouse-server did not answer within %d s: %s" % (timeout, self.log_tail()))

    def log_tail(self):
        for n in ("server.err.log", "stdout.log"):
            p = os.path.join(self.dir, n)
            if os.path.exists(p):
                return open(p, errors="replace").read()[-2000:]
        return ""

    def kill(self):
        """SIGKILL: a crash, nothing flushed."""
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            _live.remove(self.proc)
            self.proc = None

    def stop(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            _live.remove(self.proc)
            self.proc = None

    def url(self, table, user=None, port=None):
        auth = (user + "@") if user else ""
        return "clickhouse://%s127.0.0.1:%d/%s" % (auth, port or self.http, table)

    def query(self, sql):
        req = urllib.request.Request("http://127.0.0.1:%d/" % self.http, data=sql.encode())
        try:
            return urllib.request.urlopen(req, timeout=120).read().decode()
        except urllib.error.HTTPError as e:
            fail("query failed: %s: %s" % (sql, e.read().decode(errors="replace")))

    def scalar(self, sql):
        return int(self.query(sql).strip())

    def rows(self, sql):
        out = self.query(sql + " FORMAT JSONEachRow")
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def multiquery(self, sql):
        r = subprocess.run([CLIENT_BIN, "--host", "127.0.0.1", "--port", str(self.tcp), "--multiquery"],
                           input=sql.encode(), capture_output=True)
        check(r.returncode == 0, "clickhouse-client: " + r.stderr.decode(errors="replace"))

    def create_table(self, table, *extra):
        schema = subprocess.run([DIAGTAP, "schema", "clickhouse", "--table", table] + list(extra),
                                capture_output=True, check=True).stdout.decode()
        self.multiquery(schema)
        return schema


def workdir():
    d = tempfile.mkdtemp(prefix="diagtap-ch-")
    atexit.register(shutil.rmtree, d, True)
    return d


def spool_files(spool):
    if not os.path.isdir(spool):
        return []
    return sorted(n for n in os.listdir(spool) if n != "lock")


def diagtap(args, env=None, timeout=600, **kw):
    e = dict(os.environ)
    e.pop("DIAGTAP_CLICKHOUSE_PASSWORD", None)
    if env:
        e.update(env)
    return subprocess.run([DIAGTAP] + args, capture_output=True, env=e, timeout=timeout, **kw)


def json_lines(path):
    with open(path, "rb") as f:
        return [json.loads(line, parse_float=str) for line in f]


def gen_events(path, n):
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run(["/usr/bin/python3", os.path.join(here, "gen_events_pcap.py"), path, str(n)], check=True)
