#!/usr/bin/python3
"""WinRM with a real client: Debian's pywinrm (python3-winrm) against
winrm_server.py (real HTTP keep-alive, real NTLM handshake and session
security, recorded Windows responses), observed by diagtap.

    test_pywinrm.py capture|proxy

capture: `diagtap capture -i lo` on a private port records a pcapng while
  pywinrm runs three sessions: Basic (unsealed), NTLM with message encryption,
  and NTLM with a password the server refuses. Then the recording is replayed
  with the right password (given as the second of two --ntlm-password), with
  the NT hash (--ntlm-hash), with a wrong password and with none.
proxy: a Basic and an NTLM session (with encryption) go through `diagtap
  proxy tcp`, decoded live with the password.

What must hold:
- every SOAP body diagtap hands to the WS-Man dissector (JSON -V "raw" of the
  WinRM events) equals, byte for byte and in order, what the server saw after
  unsealing and sent before sealing (its dump directory);
- the HTTP layer pairs each response with its request; Basic shows the user
  and never the password; the NTLM user is named; the refused logon is an
  error saying so;
- with a wrong password every sealed message says "signature mismatch
  (wrong password?)" and no WS-Man body is shown; with none, every sealed
  message says it was not decrypted.
Skips (77) when the corpus is absent.
"""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import dtcorpus  # noqa: E402

PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
DIAGTAP = os.environ.get("DIAGTAP") or os.path.join(os.environ.get("DIAGTAP_BUILDDIR", "build"), "diagtap")
USER, PASSWORD = "vagrant", "Vagrant-pw1"
RECORDING = ("winrm", "pypsrp-responses", "test_client_execute_cmd.yml")
LEGACY_CNF = """openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
"""

procs = []


def fail(msg):
    print("FAIL: " + msg, flush=True)
    cleanup()
    sys.exit(1)


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail("%s exited with %d before listening on %d" % (proc.args[1], proc.returncode, port))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    fail("nothing listens on port %d" % port)


def wait_capturing(proc, timeout=15.0):
    """Until proc holds a packet socket (libpcap opened lo), then a moment for the filter."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        packet = {line.split()[-1] for line in open("/proc/net/packet").read().splitlines()[1:]}
        socks = set()
        for fd in os.listdir("/proc/%d/fd" % proc.pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (proc.pid, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                socks.add(link[8:-1])
        if packet & socks:
            time.sleep(0.3)
            return True
        time.sleep(0.1)
    return False


class Server:
    def __init__(self, tmp, name, auth, env, deny=False, tls=None):
        self.dump = os.path.join(tmp, "dump-" + name)
        os.makedirs(self.dump)
        self.port = free_port()
        self.proc = subprocess.Popen([PY, os.path.join(HERE, "winrm_server.py"), "--port", str(self.port),
                                      "--auth", auth, "--user", USER, "--password", PASSWORD,
                                      "--responses", dtcorpus.path(*RECORDING), "--dump", self.dump] +
                                     (["--deny"] if deny else []) + (["--tls"] + list(tls) if tls else []),
                                     env=env, stdout=subprocess.DEVNULL)
        procs.append(self.proc)
        wait_port(self.port, self.proc)
        if tls:  # the probe connection above is not a TLS client: let the server log it and move on
            time.sleep(0.2)

    def bodies(self):
        """What the server saw (c2s) and sent (s2c), in order."""
        names = sorted(n for n in os.listdir(self.dump) if n.endswith(".xml"))
        return [(n.split("-")[1][:3], open(os.path.join(self.dump, n), "rb").read()) for n in names]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def client(port, transport, password, env, command="dir", url="http://127.0.0.1:%d/wsman"):
    r = subprocess.run([PY, os.path.join(HERE, "winrm_client.py"), url % port, transport,
                        USER, password, command], env=env, capture_output=True, text=True, timeout=120)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        fail("pywinrm printed no result (exit %d): %s" % (r.returncode, r.stderr[-2000:]))


def password_args(password):
    """--ntlm-password once the option table has it, else the dissector option."""
    help_text = subprocess.run([DIAGTAP, "replay", "--help"], capture_output=True, text=True).stdout
    if "--ntlm-password" in help_text:
        return ["--ntlm-password", password]
    return ["--set", "ntlm.password=" + password]


def renumber(src, dst, old, new):
    """Copies a pcapng (Ethernet, IPv4, TCP: what capture -i lo writes), the TCP port old
    becoming new in every packet (checksums are not checked by the decoder)."""
    data = bytearray(open(src, "rb").read())
    pos = 0
    while pos + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, pos)
        if btype == 6:  # Enhanced Packet Block: the packet starts at +28
            pkt = pos + 28
            if data[pkt + 12:pkt + 14] == b"\x08\x00" and data[pkt + 23] == 6:
                tcp = pkt + 14 + (data[pkt + 14] & 0x0F) * 4
                for at in (tcp, tcp + 2):
                    if struct.unpack_from(">H", data, at)[0] == old:
                        struct.pack_into(">H", data, at, new)
        pos += blen
    open(dst, "wb").write(data)


def events_of(jsonl):
    return [json.loads(line) for line in jsonl.splitlines() if line.strip()]


def conv_events(events, port):
    return [e for e in events if e.get("conv") and e["conv"]["server"].endswith(":%d" % port)]


def check_bodies(events, server, label):
    """The WinRM events' bytes are exactly the server's bodies, in order."""
    wsman = [e for e in events if e["proto_name"] == "wsman" and e["kind"] == "pdu"]
    got = [("c2s" if e["dir"] == "c2s" else "s2c", bytes.fromhex(e.get("raw", ""))) for e in wsman]
    want = server.bodies()
    if len(want) < 6:
        fail("%s: the server saw only %d bodies" % (label, len(want)))
    for d in ("c2s", "s2c"):
        g = [b for x, b in got if x == d]
        w = [b for x, b in want if x == d]
        if len(g) != len(w):
            fail("%s: diagtap shows %d %s WS-Man bodies, the server has %d" % (label, len(g), d, len(w)))
        for i, (a, b) in enumerate(zip(g, w)):
            if a != b:
                fail("%s: %s body %d differs from the server's (%d vs %d bytes)" % (label, d, i, len(a), len(b)))
    return len(got)


def check_http_pairs(events, label):
    http = [e for e in events if e["proto_name"] == "http" and e["kind"] == "pdu"]
    reqs = {e["seq"] for e in http if e["role"] == "request"}
    rsps = [e for e in http if e["role"] == "response"]
    if not reqs or len(rsps) != len(reqs) or any(e["req_seq"] not in reqs for e in rsps):
        fail("%s: %d HTTP requests, %d responses, not all paired" % (label, len(reqs), len(rsps)))
    if any(e["latency_ns"] is None for e in rsps):
        fail("%s: a response without latency" % label)
    return http


def run_capture(tmp, env):
    pcap = os.path.join(tmp, "winrm.pcapng")
    basic = Server(tmp, "basic", "basic", env)
    ntlm = Server(tmp, "ntlm", "ntlm", env)
    refused = Server(tmp, "refused", "ntlm", env)
    denied = Server(tmp, "denied", "ntlm", env, deny=True)
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-days", "1"],
                   check=True, capture_output=True)
    https = Server(tmp, "https", "basic", env, tls=(cert, key))
    bpf = " or ".join("tcp port %d" % s.port for s in (basic, ntlm, refused, denied, https))
    cap = subprocess.Popen([DIAGTAP, "capture", "-i", "lo", "-f", bpf, "-w", pcap, "-q"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    procs.append(cap)
    if not wait_capturing(cap):
        fail("capture did not start: %s" % (cap.stderr.read() if cap.poll() is not None else "timeout"))
    rb = client(basic.port, "basic", PASSWORD, env)
    rn = client(ntlm.port, "ntlm", PASSWORD, env)
    rr = client(refused.port, "ntlm", "not-" + PASSWORD, env)
    rd = client(denied.port, "ntlm", PASSWORD, env)
    # pywinrm 0.3 lets $REQUESTS_CA_BUNDLE override server_cert_validation: trust the test's certificate there
    rh = client(https.port, "basic", PASSWORD, dict(env, REQUESTS_CA_BUNDLE=cert, CURL_CA_BUNDLE=cert),
                url="https://localhost:%d/wsman")
    time.sleep(0.5)
    cap.send_signal(signal.SIGINT)
    cap.wait(timeout=20)
    for s in (basic, ntlm, refused, denied, https):
        s.stop()
    if not rb.get("ok") or rb.get("rc") != 0 or "Volume in drive C" not in rb.get("stdout", ""):
        fail("pywinrm over Basic did not get the recorded output: %s" % rb)
    if not rn.get("ok") or rn.get("rc") != 0 or "Volume in drive C" not in rn.get("stdout", ""):
        fail("pywinrm over NTLM with encryption did not get the recorded output: %s" % rn)
    if rr.get("ok") or rd.get("ok"):
        fail("the server accepted a wrong password or a denied user")
    if not rh.get("ok") or "Volume in drive C" not in rh.get("stdout", ""):
        fail("pywinrm over HTTPS did not get the recorded output: %s" % rh)

    def replay(*extra):
        r = subprocess.run([DIAGTAP, "replay", pcap, "-T", "json", "-V"] + list(extra),
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            fail("diagtap replay %s exited %d: %s" % (" ".join(extra), r.returncode, r.stderr))
        return events_of(r.stdout)

    # Basic: unsealed bodies, user shown, password never. Two --ntlm-password
    # values, the first for another user: the option is repeatable.
    ev = replay("--ntlm-password", "CORP\\other:Other-pw2", "--ntlm-password", USER + ":" + PASSWORD)
    bev = conv_events(ev, basic.port)
    n = check_bodies(bev, basic, "Basic")
    check_http_pairs(bev, "Basic")
    text = json.dumps(bev)
    if "Basic as %s (password <redacted>)" % USER not in text or PASSWORD in text:
        fail("Basic: the user is not shown, or the password is")
    print("ok: Basic, %d WS-Man bodies equal the server's" % n)

    # NTLM with message encryption, decrypted with the password
    nev = conv_events(ev, ntlm.port)
    n = check_bodies(nev, ntlm, "NTLM")
    http = check_http_pairs(nev, "NTLM")
    if not any("authenticated as %s" % USER in e["summary"] for e in http):
        fail("NTLM: no 'authenticated as %s'" % USER)
    sealed = [e for e in http if "sealed (NTLM)" in e["summary"]]
    if len(sealed) != n or not all("bytes unsealed" in e["summary"] for e in sealed):
        fail("NTLM: %d sealed HTTP messages for %d bodies, or one not unsealed" % (len(sealed), n))
    if not any(e["proto_name"] == "wsman" and "exit code 0" in e["summary"] for e in nev):
        fail("NTLM: the decrypted Receive does not show the exit code")
    for label, evs in (("Basic", bev), ("NTLM", nev)):
        create = [e for e in evs if e["proto_name"] == "wsman" and e["fields"].get("wsman.action") == "Create"]
        if not create or not create[0]["summary"].endswith(" as " + USER) or create[0]["fields"].get("wsman.user") != USER:
            fail("%s: the WinRM Create does not name the authenticated user: %s" % (label, [e["summary"] for e in create]))
    print("ok: NTLM sealed, %d decrypted WS-Man bodies equal the server's" % n)

    # the refused logon: an error naming the user
    rev = conv_events(ev, refused.port)
    ref = [e for e in rev if e["proto_name"] == "http" and e["role"] == "response" and e["is_error"]]
    if not ref or "logon as %s refused (wrong password" % USER not in ref[0]["summary"]:
        fail("the refused NTLM logon is not an error naming %s: %s" % (USER, [e["summary"] for e in rev]))
    print("ok: refused logon: %s" % ref[0]["summary"])

    # the Boxstarter case: the password verifies, the service still says 401
    dev = conv_events(ev, denied.port)
    den = [e for e in dev if e["proto_name"] == "http" and e["role"] == "response" and e["is_error"]]
    if not den or "authenticated as %s (password verified), then refused" % USER not in den[0]["summary"]:
        fail("the denied user is not 'authenticated as %s, then refused': %s" % (USER, [e["summary"] for e in dev]))
    print("ok: access denied: %s" % den[0]["summary"])

    # the NT hash instead of the password (--ntlm-hash), after a decoy password
    nthash = subprocess.run([PY, "-c", "import hashlib,sys; print(hashlib.new('md4', sys.argv[1].encode('utf-16-le'))"
                             ".hexdigest())", PASSWORD], env=env, capture_output=True, text=True).stdout.strip()
    if len(nthash) != 32:
        fail("no MD4 in python (legacy provider): %r" % nthash)
    ev = replay("--ntlm-password", "other:x", "--ntlm-hash", USER + ":" + nthash)
    nev = conv_events(ev, ntlm.port)
    n = check_bodies(nev, ntlm, "NTLM with --ntlm-hash")
    if nthash in json.dumps(nev):
        fail("--ntlm-hash: the hash is shown")
    print("ok: --ntlm-hash, %d decrypted WS-Man bodies equal the server's" % n)

    # HTTPS (WinRM's 5986): the TLS handshake's SNI, the rest opaque; nothing of the
    # Basic credentials or of WS-Man shows. The server's port is a private one, so it
    # is named as an HTTP port (-d), as a user would for WinRM on another port.
    r = subprocess.run([DIAGTAP, "replay", pcap, "-T", "json", "-d", "%d=http" % https.port],
                       capture_output=True, text=True, timeout=120)
    hev = conv_events(events_of(r.stdout), https.port)
    hello = [e for e in hev if e["summary"] == "TLS ClientHello, SNI localhost (HTTP inside TLS is opaque: not decrypted)"]
    opaque = [e for e in hev if "(encrypted HTTP: opaque, not decrypted)" in e["summary"]]
    if not hello or len(opaque) < 10 or any(e["proto_name"] in ("wsman", "psrp") for e in hev) or PASSWORD in r.stdout:
        fail("HTTPS: no ClientHello with SNI localhost, or fewer than 10 opaque records, or a body shown: %s"
             % [e["summary"] for e in hev[:6]])
    print("ok: HTTPS: %s; %d opaque application data records" % (hello[0]["summary"], len(opaque)))
    # the same packets with the server's port renumbered to 5986: found by port, as WinRM over HTTPS
    p5986 = os.path.join(tmp, "winrm-5986.pcapng")
    renumber(pcap, p5986, https.port, 5986)
    r = subprocess.run([DIAGTAP, "replay", p5986, "-T", "json"], capture_output=True, text=True, timeout=120)
    hev = conv_events(events_of(r.stdout), 5986)
    if not any(e["proto_name"] == "tls" and e["summary"] == "TLS ClientHello, SNI localhost (WinRM (HTTPS) inside TLS is "
               "opaque: not decrypted)" for e in hev):
        fail("port 5986: not decoded as WinRM over TLS: %s" % [e["summary"] for e in hev[:3]])
    print("ok: port 5986: %s" % hev[0]["summary"])

    # a wrong password: every sealed message says so, no body is shown
    ev = replay(*password_args(USER + ":wrong-" + PASSWORD))
    nev = conv_events(ev, ntlm.port)
    sealed = [e for e in nev if e["proto_name"] == "http" and "sealed (NTLM)" in e["summary"]]
    if not sealed or not all("signature mismatch (wrong password?)" in e["summary"] and e["is_error"]
                             for e in sealed):
        fail("wrong password: not every sealed message says 'signature mismatch (wrong password?)'")
    if any(e["proto_name"] in ("wsman", "psrp") for e in nev):
        fail("wrong password: WS-Man bodies shown anyway")
    print("ok: wrong password: %d sealed messages say signature mismatch" % len(sealed))

    # no password: sealed, not decrypted, not an error
    ev = replay()
    nev = conv_events(ev, ntlm.port)
    sealed = [e for e in nev if e["proto_name"] == "http" and "sealed (NTLM)" in e["summary"]]
    if not sealed or not all("not decrypted" in e["summary"] for e in sealed):
        fail("no password: sealed messages do not say they were not decrypted")
    print("ok: no password: %d sealed messages not decrypted" % len(sealed))


def run_proxy(tmp, env):
    for transport in ("basic", "ntlm"):
        server = Server(tmp, "proxy-" + transport, transport, env)
        lport = free_port()
        out = os.path.join(tmp, "proxy-%s.jsonl" % transport)
        px = subprocess.Popen([DIAGTAP, "proxy", "-T", "json", "-V", "-o", out, "-d", "http"] +
                              password_args(USER + ":" + PASSWORD) +
                              ["tcp", "127.0.0.1:%d" % lport, "127.0.0.1:%d" % server.port],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        procs.append(px)
        wait_port(lport, px)
        r = client(lport, transport, PASSWORD, env)
        time.sleep(0.5)
        px.send_signal(signal.SIGTERM)
        px.wait(timeout=20)
        server.stop()
        if not r.get("ok") or "Volume in drive C" not in r.get("stdout", ""):
            fail("pywinrm (%s) through the proxy failed: %s" % (transport, r))
        ev = events_of(open(out, encoding="utf-8").read())
        n = check_bodies(ev, server, "proxy " + transport)
        check_http_pairs(ev, "proxy " + transport)
        if PASSWORD in json.dumps(ev):
            fail("proxy %s: the password is shown" % transport)
        print("ok: %s through diagtap proxy tcp, %d %sWS-Man bodies equal the server's"
              % (transport, n, "decrypted " if transport == "ntlm" else ""))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "capture"
    dtcorpus.require(*RECORDING)
    if subprocess.run([PY, "-c", "import winrm, yaml"], capture_output=True).returncode != 0:
        fail("/usr/bin/python3 cannot import winrm and yaml (python3-winrm, python3-yaml)")
    tmp = tempfile.mkdtemp(prefix="diagtap-winrm-")
    cnf = os.path.join(tmp, "openssl-legacy.cnf")  # MD4 for NTLM, in the server and in pywinrm
    open(cnf, "w").write(LEGACY_CNF)
    env = dict(os.environ, OPENSSL_CONF=cnf)
    try:
        if mode == "proxy":
            run_proxy(tmp, env)
        else:
            run_capture(tmp, env)
    finally:
        cleanup()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
