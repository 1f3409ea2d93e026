#!/usr/bin/python3
"""Kerberos tokens from real peers: Debian's MIT KDC (krb5kdc) on loopback
with a private realm, config, database and service keytab in a temp dir, and
python3-gssapi producing a real SPNEGO/Kerberos AP-REQ (client, password
kinit) and the acceptor's AP-REP; the KDC's own KRB-ERRORs (an unknown
service principal) through a UDP relay. The tokens are written as
UDP datagrams to a pcap and decoded with `-d PORT=auth`: realm, service
name, message types, etypes and the error code by name must be shown.
End to end: an HTTP Negotiate exchange (python http.server with a GSS
acceptor, http.client with a GSS initiator) captured live on lo with
`diagtap capture` and decoded by the HTTP dissector: the 401, the AP-REQ
with realm and service name, the 200 carrying the AP-REP; then a WinRM body
sealed with that Kerberos context as MS-WSMV 2.2.9.1.2 says (gss_wrap_iov:
header, data, padding) and the server's sealed reply, both shown as sealed
(Kerberos) with their sizes and not decrypted."""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import json

DIAGTAP = os.environ["DIAGTAP"]
REALM = "DIAGTAP.TEST"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


KRB_SEAL = r'''
import struct
from gssapi.raw import wrap_iov, unwrap_iov, IOV, IOVBufferType
BOUNDARY = b"--Encrypted Boundary"
PROTO = b"application/HTTP-Kerberos-session-encrypted"
def seal(ctx, data):
    # MS-WSMV 2.2.9.1.2: gss_wrap_iov (header, data, padding); the part is
    # the header's length (4 bytes LE), the header, the encrypted data
    iov = IOV(IOVBufferType.header, data, IOVBufferType.padding, std_layout=False)
    wrap_iov(ctx, iov, confidential=True)
    hdr, enc = iov[0].value, iov[1].value + (iov[2].value or b"")
    return (BOUNDARY + b"\r\n\tContent-Type: " + PROTO + b"\r\n\tOriginalContent: type=application/soap+xml;"
            b"charset=UTF-8;Length=" + str(len(data)).encode() + b"\r\n" + BOUNDARY +
            b"\r\n\tContent-Type: application/octet-stream\r\n" + struct.pack("<I", len(hdr)) + hdr + enc +
            BOUNDARY + b"--\r\n")
def unseal(ctx, body):
    part = body.split(b"application/octet-stream\r\n", 1)[1][:-len(BOUNDARY + b"--\r\n")]
    n = struct.unpack_from("<I", part)[0]
    iov = IOV((IOVBufferType.header, False, part[4:4 + n]), part[4 + n:], std_layout=False)
    unwrap_iov(ctx, iov)
    return iov[1].value
CT = 'multipart/encrypted;protocol="application/HTTP-Kerberos-session-encrypted";boundary="Encrypted Boundary"'
'''

HTTP_SERVER = r'''
import base64, gssapi, http.server, sys
sys.path.insert(0, sys.argv[2])
from krb_seal import seal, unseal, CT  # noqa: E402
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the security context is the connection's
    ctx = None
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        auth = self.headers.get("Authorization", "")
        if self.ctx is not None and self.headers.get("Content-Type", "").startswith("multipart/encrypted"):
            plain = unseal(self.ctx, body)
            reply = seal(self.ctx, b"<s:Envelope>reply to " + plain + b"</s:Envelope>")
            self.send_response(200)
            self.send_header("Content-Type", CT)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
            return
        if not auth.startswith("Negotiate "):
            self.send_response(401)
            self.send_header("WWW-Authenticate", "Negotiate")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.ctx = gssapi.SecurityContext(usage="accept")
        out = self.ctx.step(base64.b64decode(auth[10:]))
        reply = ("hello " + str(self.ctx.initiator_name)).encode()
        self.send_response(200)
        self.send_header("WWW-Authenticate", "Negotiate " + base64.b64encode(out).decode())
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
print("ready", flush=True)
srv.serve_forever()
'''

HTTP_CLIENT = r'''
import base64, gssapi, http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("POST", "/wsman", body=b"<x/>", headers={"Content-Type": "application/soap+xml"})
r = c.getresponse(); r.read()
assert r.status == 401, r.status
name = gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service)
ctx = gssapi.SecurityContext(name=name, usage="initiate", mech=gssapi.Mechanism.from_sasl_name("SPNEGO"),
                             flags=gssapi.RequirementFlag.mutual_authentication)
tok = ctx.step()
c.request("POST", "/wsman", body=b"<x/>", headers={"Content-Type": "application/soap+xml",
          "Authorization": "Negotiate " + base64.b64encode(tok).decode()})
r = c.getresponse(); body = r.read()
hdr = r.getheader("WWW-Authenticate")
ctx.step(base64.b64decode(hdr.split(" ", 1)[1]))
assert ctx.complete and r.status == 200, (r.status, body)
print(body.decode())
# a WinRM body sealed with the Kerberos session (MS-WSMV 2.2.9.1.2), and the sealed reply
sys.path.insert(0, sys.argv[2])
from krb_seal import seal, unseal, CT  # noqa: E402
soap = b"<s:Envelope>" + b"x" * 1000 + b"</s:Envelope>"
c.request("POST", "/wsman", body=seal(ctx, soap), headers={"Content-Type": CT})
r = c.getresponse(); body = r.read()
plain = unseal(ctx, body)
assert r.status == 200 and plain == b"<s:Envelope>reply to " + soap + b"</s:Envelope>", (r.status, plain[:60])
print("sealed exchange: %d and %d bytes" % (len(soap), len(plain)))
'''


def http_negotiate(env, tmp):
    """An HTTP Negotiate exchange between python http.server with a GSS
    acceptor and an http.client with a GSS initiator, captured live on lo by
    `diagtap capture`. Returns (capture, port) or None when capture is not
    usable here."""
    port = free_port_tcp()
    cap = os.path.join(tmp, "http-negotiate.pcapng")
    with open(os.path.join(tmp, "krb_seal.py"), "w") as f:
        f.write(KRB_SEAL)
    srv = subprocess.Popen(["/usr/bin/python3", "-c", HTTP_SERVER, str(port), tmp], env=env, stdout=subprocess.PIPE,
                           text=True)
    capp = None
    try:
        srv.stdout.readline()
        capp = subprocess.Popen([DIAGTAP, "capture", "-i", "lo", "-f", "tcp port %d" % port, "-w", cap, "-q"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(100):  # running once a connection shows up in its file
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
            except OSError:
                pass
            if os.path.exists(cap) and os.stat(cap).st_size > 200:
                break
            if capp.poll() is not None:
                print("diagtap capture not usable: " + capp.stderr.read())
                return None
            time.sleep(0.1)
        time.sleep(0.3)
        out = subprocess.run(["/usr/bin/python3", "-c", HTTP_CLIENT, str(port), tmp], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
        check(out.returncode == 0 and "hello alice@" + REALM in out.stdout,
              "HTTP Negotiate: the server authenticated alice (%s)" % out.stdout.strip()[-300:])
        check("sealed exchange: 1025 and 1059 bytes" in out.stdout,
              "HTTP Negotiate: a Kerberos-sealed WinRM body and its sealed reply went through")
        time.sleep(0.5)
    finally:
        if capp and capp.poll() is None:
            capp.terminate()
            capp.wait()
        srv.terminate()
        srv.wait()
    return cap, port


def free_port_tcp():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Relay:
    """A UDP relay in front of the KDC that keeps the KDC's replies (its
    KRB-ERRORs are real Kerberos messages too)."""

    def __init__(self, kdc_port):
        import threading
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.kdc = ("127.0.0.1", kdc_port)
        self.replies = []
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            try:
                data, client = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            up.settimeout(5)
            try:
                up.sendto(data, self.kdc)
                reply = up.recv(65535)
                self.replies.append(reply)
                self.sock.sendto(reply, client)
            except OSError:
                pass
            finally:
                up.close()

    def close(self):
        self.stop = True
        self.t.join()
        self.sock.close()


def der(tag, body):
    n = len(body)
    ln = bytes([n]) if n < 128 else (b"\x81" + bytes([n]) if n < 256 else b"\x82" + n.to_bytes(2, "big"))
    return bytes([tag]) + ln + body


KRB5_OID = der(0x06, bytes.fromhex("2a864886f712010202"))


def krb_error_in_http(tmp, apreq, krb_error):
    """How a Windows HTTP server refuses a Kerberos ticket: a 401 whose
    Negotiate token is a SPNEGO reject carrying the KRB-ERROR in a GSS krb5
    token (RFC 4121 4.1, TOK_ID 03 00). The KRB-ERROR is the KDC's real one
    (KDC_ERR_S_PRINCIPAL_UNKNOWN); the framing around it is built here."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "wsman"))
    import base64
    import make_pcap
    gss = der(0x60, KRB5_OID + b"\x03\x00" + krb_error)
    reject = der(0xA1, der(0x30, der(0xA0, der(0x0A, b"\x02")) + der(0xA1, KRB5_OID) + der(0xA2, der(0x04, gss))))
    pcap = os.path.join(tmp, "krb-error-http.pcap")
    p = make_pcap.Pcap(pcap)
    c = make_pcap.Conn(p, 1)
    c.send(True, b"POST /wsman HTTP/1.1\r\nAuthorization: Negotiate " + base64.b64encode(apreq) +
           b"\r\nContent-Length: 0\r\n\r\n")
    c.send(False, b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate " + base64.b64encode(reject) +
           b"\r\nContent-Length: 0\r\n\r\n")
    c.close()
    p.close()
    r = subprocess.run([DIAGTAP, "replay", pcap, "-T", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    ev = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    rsp = [e for e in ev if e.get("proto_name") == "http" and e.get("role") == "response"]
    for e in rsp:
        print("  HTTP " + e["summary"])
    codes = find_all(rsp[0]["fields"], "kerberos.error_code") if rsp else []
    check(rsp and "KRB-ERROR KDC_ERR_S_PRINCIPAL_UNKNOWN" in rsp[0]["summary"] and codes == [7] and rsp[0]["is_error"]
          and "Kerberos logon refused (the server rejected the ticket: see the KRB-ERROR)" in rsp[0]["summary"],
          "HTTP 401 with a SPNEGO reject carrying the KRB-ERROR: named, an error")


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


def write_pcap(path, tokens, port):
    """Each token one UDP datagram 10.0.0.1:40000 ↔ 10.0.0.2:PORT (raw IPv4)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))  # LINKTYPE_RAW
        for i, (to_server, tok) in enumerate(tokens):
            src, dst = (b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02") if to_server else (b"\x0a\x00\x00\x02", b"\x0a\x00\x00\x01")
            sp, dp = (40000, port) if to_server else (port, 40000)
            udp = struct.pack("!HHHH", sp, dp, 8 + len(tok), 0) + tok
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0, src, dst) + udp
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(ip), len(ip)) + ip)


def main():
    for tool in ("krb5kdc", "kdb5_util", "kadmin.local", "kinit"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            print("SKIP: %s not installed (krb5-kdc, krb5-user)" % tool)
            sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="diagtap-krb.")
    port = free_port()
    relay = Relay(port)
    conf = os.path.join(tmp, "krb5.conf")
    kdcconf = os.path.join(tmp, "kdc.conf")
    with open(conf, "w") as f:
        f.write("[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n dns_lookup_realm = false\n"
                " rdns = false\n udp_preference_limit = 1\n[realms]\n %s = {\n  kdc = 127.0.0.1:%d\n }\n"
                "[domain_realm]\n localhost = %s\n" % (REALM, REALM, relay.port, REALM))
    with open(kdcconf, "w") as f:
        f.write("[kdcdefaults]\n kdc_ports = %d\n kdc_tcp_ports = %d\n[realms]\n %s = {\n  database_name = %s/principal\n"
                "  key_stash_file = %s/stash\n  acl_file = %s/kadm5.acl\n }\n[logging]\n kdc = FILE:%s/kdc.log\n"
                % (port, port, REALM, tmp, tmp, tmp, tmp))
    env = dict(os.environ, KRB5_CONFIG=conf, KRB5_KDC_PROFILE=kdcconf, KRB5CCNAME="FILE:" + tmp + "/ccache",
               KRB5_KTNAME="FILE:" + tmp + "/http.keytab")
    kdc = None
    http_cap = None
    try:
        def sh(*cmd, inp=None):
            return subprocess.run(cmd, env=env, input=inp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, check=True, timeout=30)
        sh("kdb5_util", "create", "-s", "-r", REALM, "-P", "master-pw-diagtap")
        sh("kadmin.local", "-r", REALM, "-q", "addprinc -pw alice-pw alice")
        sh("kadmin.local", "-r", REALM, "-q", "addprinc -randkey HTTP/localhost")
        sh("kadmin.local", "-r", REALM, "-q", "ktadd -k %s/http.keytab HTTP/localhost" % tmp)
        kdc = subprocess.Popen(["krb5kdc", "-n", "-r", REALM], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        sh("kinit", "alice@" + REALM, inp="alice-pw\n")
        # The GSS exchange runs in a child with the private environment.
        script = r'''
import gssapi, sys, json
name = gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service)
spnego = gssapi.Mechanism.from_sasl_name("SPNEGO")
out = {}
c = gssapi.SecurityContext(name=name, usage="initiate", mech=spnego, flags=gssapi.RequirementFlag.mutual_authentication)
out["apreq"] = c.step().hex()
s = gssapi.SecurityContext(usage="accept")
out["aprep"] = s.step(bytes.fromhex(out["apreq"])).hex()
out["client"] = str(s.initiator_name)
if sys.argv[1] == "rekey":
    pass
print(json.dumps(out))
'''
        good = json.loads(subprocess.run(["/usr/bin/python3", "-c", script, "good"], env=env, check=True,
                                         stdout=subprocess.PIPE, text=True, timeout=30).stdout)
        http_cap = http_negotiate(env, tmp)
        # A KRB-ERROR from the KDC: a ticket asked for a service that does not exist.
        subprocess.run(["kvno", "HTTP/nosuch.example@" + REALM], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)
    finally:
        relay.close()
        if kdc:
            kdc.terminate()
            kdc.wait()
    check(good["client"] == "alice@" + REALM, "the acceptor authenticated alice@%s (real AP-REQ)" % REALM)
    errors = [r for r in relay.replies if r[:1] == b"\x7e"]
    check(len(errors) >= 1, "the KDC answered with KRB-ERRORs (%d)" % len(errors))
    tokens = [(True, bytes.fromhex(good["apreq"])), (False, bytes.fromhex(good["aprep"])),
              (True, bytes.fromhex(good["apreq"])[:40])] + [(False, r) for r in errors]
    udp = free_port()
    cap = os.path.join(tmp, "tokens.pcap")
    write_pcap(cap, tokens, udp)
    p = subprocess.run([DIAGTAP, "replay", cap, "-d", "%d=auth" % udp, "-T", "json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    evs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    evs = [e for e in evs if e.get("proto_name") == "auth"]
    for e in evs:
        print("  " + e["summary"])
    check(len(evs) == 3 + len(errors), "every token decoded (%d)" % len(evs))
    if len(evs) >= 5:
        f0, f1 = evs[0]["fields"], evs[1]["fields"]
        check(evs[0]["summary"] == "Kerberos AP-REQ HTTP/localhost@%s" % REALM and f0.get("kerberos.realm") == REALM
              and f0.get("kerberos.SNameString") == "HTTP/localhost" and "Kerberos 5" in json.dumps(f0.get("spnego.mech")),
              "SPNEGO AP-REQ: realm and service name")
        check("kerberos.etype" in f0 and f0.get("kerberos.msg_type") == 14, "AP-REQ: message type and ticket etype")
        check(evs[1]["summary"].startswith("Kerberos AP-REP") and f1.get("kerberos.msg_type") == 15,
              "AP-REP in the SPNEGO response (%s)" % evs[1]["summary"])
        check(evs[2]["malformed"], "a truncated AP-REQ is marked malformed, not a crash")
        unknown = [e for e in evs[3:] if "KDC_ERR_S_PRINCIPAL_UNKNOWN" in e["summary"]]
        check(unknown and unknown[0]["fields"].get("kerberos.error_code") == 7
              and unknown[0]["fields"].get("kerberos.SNameString") == "HTTP/nosuch.example",
              "KRB-ERROR KDC_ERR_S_PRINCIPAL_UNKNOWN (7) naming the service asked for")
    if errors:
        krb_error_in_http(tmp, bytes.fromhex(good["apreq"]), errors[0])
    check(http_cap is not None, "HTTP end to end: captured with diagtap capture -i lo")
    if http_cap:
        hcap, hport = http_cap
        p = subprocess.run([DIAGTAP, "replay", hcap, "-d", "%d=http" % hport, "-T", "json"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        hev = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        hev = [e for e in hev if e.get("proto_name") == "http" and e["kind"] == "pdu"]
        for e in hev:
            print("  HTTP " + e["summary"])
        text = json.dumps(hev)
        req = [e for e in hev if "AP-REQ HTTP/localhost@" + REALM in e["summary"]]
        rep = [e for e in hev if "AP-REP" in e["summary"] and e["role"] == "response"]
        check(req and "\"kerberos.realm\": \"%s\"" % REALM in text and "HTTP/localhost" in text,
              "HTTP end to end: the Negotiate request shows the AP-REQ with realm and service name")
        check(bool(rep) and rep[0]["summary"].startswith("200 OK"),
              "HTTP end to end: the 200 carries the AP-REP")
        check(any(e["summary"].startswith("401 Unauthorized") and "Negotiate" in e["summary"] for e in hev),
              "HTTP end to end: the first 401 asking for Negotiate")
        # Kerberos-sealed bodies: shown as sealed, with their sizes, never passed on
        sealed = [e for e in hev if "sealed (Kerberos)" in e["summary"]]
        sizes = [e["summary"] for e in sealed]
        check(len(sealed) == 2 and [e["role"] for e in sealed] == ["request", "response"]
              and all("bytes, not decrypted" in t and not e["is_error"] for t, e in zip(sizes, sealed)),
              "HTTP end to end: the Kerberos-sealed request and reply shown as sealed with sizes (%s)" % sizes)
        parts = [p for e in sealed for p in find_all(e["fields"], "http.encrypted.part")]
        check(len(parts) == 2 and [[int(v) for v in find_all(p, "http.encrypted.original_length")] for p in parts] == [[1025], [1059]],
              "HTTP end to end: each sealed part gives its OriginalContent length (%s)" % parts)
    shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        sys.exit("%d checks failed" % len(failures))


if __name__ == "__main__":
    main()
