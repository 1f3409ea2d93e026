#!/usr/bin/python3
"""CredSSP over HTTP as WinRM carries it (MS-CSSP 3.1.5, MS-WSMV 2.2.9.1.3),
captured live with `diagtap capture -i lo` and decoded by the HTTP layer.

No CredSSP peer is packaged in Debian (requests-credssp is not), so both ends
are written here, each from real parts: Python's ssl module does a real TLS
1.2 handshake through memory BIOs, its records travel base64 in
"Authorization: CredSSP" / "WWW-Authenticate: CredSSP" headers; inside TLS
the TSRequests are DER built here carrying a real NTLMv2 exchange (client:
Debian's ntlm_auth, the one pywinrm uses; server: winrm_server.py's NTLM
acceptor), pubKeyAuth sealed with NTLM over the server certificate's public
key and checked both ways, and authInfo with the sealed TSCredentials the
server checks. After that one WinRM body each way is sealed with the TLS
channel (multipart/encrypted, application/HTTP-CredSSP-session-encrypted).

diagtap sees TLS records only; what must hold:
- each header names its stage: the TLS handshake messages by name, then
  TSRequest 1 negoTokens, 2 pubKeyAuth, 3 authInfo, by position;
- the 401s of the exchange are challenges, not errors; the final 200 says
  authenticated; the password never appears;
- the sealed bodies are shown as sealed (CredSSP) with their sizes and
  OriginalContent lengths, not decrypted, not errors;
- a token cut inside a TLS record is a malformed note; the rest decodes."""
import base64
import http.client
import http.server
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "winrm"))
DIAGTAP = os.environ["DIAGTAP"]
USER, DOMAIN, PASSWORD = "vagrant", "WINRMTEST", "CredSSP-pw-77"
BOUNDARY = b"--Encrypted Boundary"
CT = 'multipart/encrypted;protocol="application/HTTP-CredSSP-session-encrypted";boundary="Encrypted Boundary"'
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
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


# ---- DER, just what TSRequest / TSCredentials need (MS-CSSP 2.2.1)
def tlv(tag, body):
    n = len(body)
    ln = bytes([n]) if n < 128 else (b"\x81" + bytes([n]) if n < 256 else b"\x82" + n.to_bytes(2, "big"))
    return bytes([tag]) + ln + body


def der_read(b, i=0):
    tag, ln = b[i], b[i + 1]
    i += 2
    if ln & 0x80:
        k = ln & 0x7F
        ln = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, b[i:i + ln], i + ln


def ts_request(nego=None, auth_info=None, pub_key_auth=None):
    b = tlv(0xA0, tlv(0x02, b"\x03"))  # version 3: pubKeyAuth is the sealed public key itself
    if nego is not None:
        b += tlv(0xA1, tlv(0x30, tlv(0x30, tlv(0xA0, tlv(0x04, nego)))))
    if auth_info is not None:
        b += tlv(0xA2, tlv(0x04, auth_info))
    if pub_key_auth is not None:
        b += tlv(0xA3, tlv(0x04, pub_key_auth))
    return tlv(0x30, b)


def ts_fields(b):
    _, body, _ = der_read(b)
    out, i = {}, 0
    while i < len(body):
        t, v, i = der_read(body, i)
        out[t] = v
    return out


def nego_token(f):
    v = f[0xA1]
    for _ in range(3):  # NegoData SEQUENCE OF, its SEQUENCE, [0]
        _, v, _ = der_read(v)
    return der_read(v)[1]  # the OCTET STRING


def octets(f, tag):
    return der_read(f[tag])[1]


def ts_credentials(domain, user, password):
    creds = tlv(0x30, tlv(0xA0, tlv(0x04, domain.encode("utf-16-le"))) + tlv(0xA1, tlv(0x04, user.encode("utf-16-le")))
                + tlv(0xA2, tlv(0x04, password.encode("utf-16-le"))))
    return tlv(0x30, tlv(0xA0, tlv(0x02, b"\x01")) + tlv(0xA1, tlv(0x04, creds)))


def public_key(cert_der):
    """SubjectPublicKey of the certificate (what pubKeyAuth seals)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    key = x509.load_der_x509_certificate(cert_der).public_key()
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


def sealed_body(tls_records, length, trailer):
    return (BOUNDARY + b"\r\n\tContent-Type: application/HTTP-CredSSP-session-encrypted\r\n"
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + str(length).encode() + b"\r\n" +
            BOUNDARY + b"\r\n\tContent-Type: application/octet-stream\r\n" + struct.pack("<I", trailer) +
            tls_records + BOUNDARY + b"--\r\n")


def sealed_part(body):
    part = body.split(b"application/octet-stream\r\n", 1)[1][:-len(BOUNDARY + b"--\r\n")]
    return part[4:]


class Tls:
    """One end of TLS through memory BIOs: bytes in, bytes out."""

    def __init__(self, ctx, server, **kw):
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=server, **kw)
        self.done = False

    def handshake(self, data=b""):
        if data:
            self.inc.write(data)
        try:
            self.obj.do_handshake()
            self.done = True
        except ssl.SSLWantReadError:
            pass
        return self.out.read()

    def send(self, data):
        self.obj.write(data)
        return self.out.read()

    def recv(self, data):
        self.inc.write(data)
        out = b""
        while True:
            try:
                out += self.obj.read(65536)
            except ssl.SSLWantReadError:
                return out


def server_main(port, cert, key, ready):
    import winrm_server
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.maximum_version = ssl.TLSVersion.TLSv1_2
    sctx.load_cert_chain(cert, key)
    pub = public_key(ssl.PEM_cert_to_DER_cert(open(cert).read()))

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        tls = ntlm = session = None
        authenticated = False

        def reply(self, status, token=None, body=b"", ctype="text/plain"):
            self.send_response(status)
            if token is not None:
                self.send_header("WWW-Authenticate", "CredSSP" + (" " + base64.b64encode(token).decode() if token else ""))
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            auth = self.headers.get("Authorization", "")
            if self.authenticated and self.headers.get("Content-Type", "").startswith("multipart/encrypted"):
                plain = self.tls.recv(sealed_part(body))
                answer = b"<s:Envelope>reply to " + plain + b"</s:Envelope>"
                self.reply(200, body=sealed_body(self.tls.send(answer), len(answer), 16), ctype=CT)
                return
            if not auth.startswith("CredSSP "):
                self.reply(401, b"")  # offers CredSSP
                return
            tok = base64.b64decode(auth[8:])
            if self.tls is None:
                self.tls = Tls(sctx, True)
                self.ntlm = winrm_server.NtlmServer({USER: PASSWORD})
            if not self.tls.done:
                self.reply(401, self.tls.handshake(tok))
                return
            f = ts_fields(self.tls.recv(tok))
            if 0xA2 in f:  # authInfo: the delegated credentials
                sealed = octets(f, 0xA2)
                creds = self.session.unwrap(sealed[16:], sealed[:16])
                ok = USER.encode("utf-16-le") in creds and PASSWORD.encode("utf-16-le") in creds
                self.authenticated = ok
                self.reply(200 if ok else 401, body=b"credentials accepted" if ok else b"")
            elif 0xA3 in f:  # AUTHENTICATE and pubKeyAuth
                self.session = self.ntlm.accept(nego_token(f))
                sealed = octets(f, 0xA3)
                if self.session.unwrap(sealed[16:], sealed[:16]) != pub:
                    raise ValueError("pubKeyAuth is not the server's public key")
                answer = bytes([(pub[0] + 1) & 0xFF]) + pub[1:]
                s, sig = self.session.wrap(answer)
                self.reply(401, self.tls.send(ts_request(pub_key_auth=sig + s)))
            else:  # NEGOTIATE
                self.reply(401, self.tls.send(ts_request(nego=self.ntlm.make_challenge(nego_token(f)))))

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", port), H)
    ready.set()
    srv.serve_forever()


def client_main(port, trace):
    from ntlm_auth.ntlm import NtlmContext
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.maximum_version = ssl.TLSVersion.TLSv1_2
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    tls = Tls(cctx, False, server_hostname="winrm.credssp.test")
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)

    def post(token=None, body=b"", ctype="application/soap+xml;charset=UTF-8"):
        h = {"Content-Type": ctype}
        if token is not None:
            h["Authorization"] = "CredSSP " + base64.b64encode(token).decode()
        c.request("POST", "/wsman", body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        w = r.getheader("WWW-Authenticate") or ""
        trace.append(r.status)
        return r.status, base64.b64decode(w[8:]) if w.startswith("CredSSP ") else b"", data

    status, _, _ = post()
    assert status == 401
    tok = tls.handshake()
    while not tls.done:
        status, answer, _ = post(tok)
        tok = tls.handshake(answer)
    ntlm = NtlmContext(USER, PASSWORD, DOMAIN, "CLIENT01", ntlm_compatibility=3)
    pub = public_key(tls.obj.getpeercert(binary_form=True))
    status, answer, _ = post(tls.send(ts_request(nego=ntlm.step())))
    challenge = nego_token(ts_fields(tls.recv(answer)))
    authenticate = ntlm.step(challenge)
    status, answer, _ = post(tls.send(ts_request(nego=authenticate, pub_key_auth=ntlm.wrap(pub))))
    echoed = ntlm.unwrap(octets(ts_fields(tls.recv(answer)), 0xA3))
    assert echoed == bytes([(pub[0] + 1) & 0xFF]) + pub[1:], "server's pubKeyAuth"
    status, _, body = post(tls.send(ts_request(auth_info=ntlm.wrap(ts_credentials(DOMAIN, USER, PASSWORD)))))
    assert status == 200 and body == b"credentials accepted", status
    soap = b"<s:Envelope>" + b"y" * 2000 + b"</s:Envelope>"
    status, _, body = post(body=sealed_body(tls.send(soap), len(soap), 16), ctype=CT)
    plain = tls.recv(sealed_part(body))
    assert status == 200 and plain == b"<s:Envelope>reply to " + soap + b"</s:Envelope>", status
    return len(soap), len(plain)


def wait_capturing(cap, port, path):
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
        except OSError:
            pass
        if os.path.exists(path) and os.stat(path).st_size > 200:
            return True
        if cap.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    if os.environ.get("OPENSSL_CONF") is None:  # MD4 for NTLM: re-run with the legacy provider
        tmp = tempfile.mkdtemp(prefix="diagtap-credssp-cnf.")
        cnf = os.path.join(tmp, "legacy.cnf")
        open(cnf, "w").write(LEGACY_CNF)
        r = subprocess.run([sys.executable] + sys.argv, env=dict(os.environ, OPENSSL_CONF=cnf))
        shutil.rmtree(tmp, ignore_errors=True)
        sys.exit(r.returncode)
    try:
        import ntlm_auth.ntlm  # noqa: F401
        import cryptography  # noqa: F401
    except ImportError as e:
        sys.exit("needs python3-ntlm-auth and python3-cryptography: %s" % e)
    tmp = tempfile.mkdtemp(prefix="diagtap-credssp.")
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-subj", "/CN=winrm.credssp.test", "-days", "1"], check=True, capture_output=True)
    port = free_port()
    ready = threading.Event()
    threading.Thread(target=server_main, args=(port, cert, key, ready), daemon=True).start()
    ready.wait(10)
    pcap = os.path.join(tmp, "credssp.pcapng")
    cap = subprocess.Popen([DIAGTAP, "capture", "-i", "lo", "-f", "tcp port %d" % port, "-w", pcap, "-q"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        if not wait_capturing(cap, port, pcap):
            sys.exit("diagtap capture -i lo did not start: %s" % (cap.stderr.read() if cap.poll() is not None else ""))
        time.sleep(0.3)
        trace = []
        sent, got = client_main(port, trace)
        check(True, "CredSSP exchange done, statuses %s" % trace)
        time.sleep(0.5)
    finally:
        if cap.poll() is None:
            cap.terminate()
            cap.wait()
    p = subprocess.run([DIAGTAP, "replay", pcap, "-d", "%d=http" % port, "-T", "json"], capture_output=True, text=True)
    ev = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    http = [e for e in ev if e.get("proto_name") == "http" and e["kind"] == "pdu"]
    for e in http:
        print("  " + e["summary"])
    req = [e["summary"] for e in http if e["role"] == "request"]
    rsp = [e for e in http if e["role"] == "response"]
    check(len(req) == 7 and len(rsp) == 7, "7 requests and 7 responses (%d, %d)" % (len(req), len(rsp)))
    if len(req) == 7 and len(rsp) == 7:
        check("[CredSSP TLS handshake: ClientHello]" in req[1], "ClientHello named")
        check("[CredSSP TLS handshake: ServerHello, Certificate, ServerKeyExchange, ServerHelloDone]" in rsp[1]["summary"],
              "the server's handshake messages named")
        check("[CredSSP TLS handshake: ClientKeyExchange, ChangeCipherSpec, Finished (encrypted)]" in req[2],
              "the client's key exchange and encrypted Finished")
        check("ChangeCipherSpec, Finished (encrypted)]" in rsp[2]["summary"], "the server's Finished")
        check(rsp[0]["summary"].endswith("offers CredSSP"), "the first 401 offers CredSSP")
        stages = [(e, s) for e, s in ((req[3], "TSRequest 1: negoTokens"), (rsp[3]["summary"], "TSRequest 1: negoTokens"),
                                      (req[4], "TSRequest 2: pubKeyAuth"), (rsp[4]["summary"], "TSRequest 2: pubKeyAuth"),
                                      (req[5], "TSRequest 3: authInfo (delegated credentials)"))]
        check(all(("[CredSSP %s (inside TLS," % s) in e and "not decrypted)" in e for e, s in stages),
              "the TSRequests by stage: negoTokens, negoTokens, pubKeyAuth, pubKeyAuth, authInfo")
        check(not any(e["is_error"] for e in rsp[:5]) and all(e["summary"].startswith("401") for e in rsp[:5]),
              "the 401s of the exchange are challenges, not errors")
        check(rsp[5]["summary"].startswith("200 OK") and "authenticated" in rsp[5]["summary"] and not rsp[5]["is_error"],
              "the 200 after authInfo: authenticated (%s)" % rsp[5]["summary"])
        check("sealed (CredSSP), " in req[6] and "not decrypted" in req[6]
              and "sealed (CredSSP), " in rsp[6]["summary"] and not rsp[6]["is_error"],
              "the CredSSP-sealed request and reply shown as sealed")
        lengths = [int(v) for e in http for v in find_all(e["fields"], "http.encrypted.original_length")]
        check(lengths == [sent, got], "OriginalContent lengths %s, want %s" % (lengths, [sent, got]))
        stage_fields = [v for e in http for v in find_all(e["fields"], "auth.stage")]
        check(len(stage_fields) >= 9, "auth.stage on each CredSSP token (%d)" % len(stage_fields))
    check(PASSWORD not in p.stdout and not any(e["malformed"] for e in http), "no password shown, nothing malformed")
    check(p.returncode == 0, "replay exit status %d" % p.returncode)
    bad_input(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        sys.exit("%d checks failed" % len(failures))


def bad_input(tmp):
    """A CredSSP token cut inside its TLS record, then a good request: a
    malformed note naming the record, and the next message decodes."""
    sys.path.insert(0, os.path.join(HERE, "..", "wsman"))
    import make_pcap
    cut = base64.b64encode(b"\x16\x03\x03\x00\x40" + b"\x01" * 10).decode().encode()
    pcap = os.path.join(tmp, "cut.pcap")
    p = make_pcap.Pcap(pcap)
    c = make_pcap.Conn(p, 1)
    c.send(True, b"POST /wsman HTTP/1.1\r\nAuthorization: CredSSP " + cut + b"\r\nContent-Length: 0\r\n\r\n")
    c.send(False, b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: CredSSP\r\nContent-Length: 0\r\n\r\n")
    c.send(True, b"POST /wsman HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
    c.close()
    p.close()
    r = subprocess.run([DIAGTAP, "replay", pcap, "-T", "json"], capture_output=True, text=True)
    ev = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    ev = [e for e in ev if e.get("proto_name") == "http" and e["kind"] == "pdu"]
    notes = [json.dumps(e["fields"].get("diagtap.malformed")) for e in ev]
    check(len(ev) == 3 and ev[0]["malformed"] and "TLS record claims 64 bytes, 10 left" in notes[0]
          and not ev[2]["malformed"] and ev[2]["summary"] == "POST /wsman",
          "a token cut inside a TLS record: a note, the rest decodes (%s)" % notes)


def find_all(tree, key):
    out = []
    if isinstance(tree, dict):
        for k, v in tree.items():
            if k == key:
                out.extend(v if isinstance(v, list) else [v])
            else:
                out.extend(find_all(v, key))
    elif isinstance(tree, list):
        for x in tree:
            out.extend(find_all(x, key))
    return out


if __name__ == "__main__":
    main()
