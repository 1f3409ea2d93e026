#!/usr/bin/python3
"""A WinRM endpoint for the tests: real HTTP/1.1 (keep-alive), real
authentication and real NTLM session security, answering with the responses
Windows gave in a recorded exchange.

    winrm_server.py --port P --auth basic|ntlm --user U --password PW
                    --responses FILE.yml --dump DIR

- Basic: checks "Authorization: Basic" against U:PW; 401 with
  `WWW-Authenticate: Basic realm="WSMAN"` otherwise.
- NTLM (over `Negotiate` or `NTLM`): a server-side NTLMv2 handshake written
  here from MS-NLMP, independent of diagtap's and of the client's code:
  CHALLENGE with target info, AUTHENTICATE checked (NTOWFv2, NTProofStr, MIC),
  the exported session key (KEY_EXCH), then per-direction sealing (RC4) and
  signing (HMAC-MD5) keys. Sealed requests (multipart/encrypted, MS-WSMV
  2.2.9.1.1) are unsealed and their signatures checked; responses are sealed
  the same way. A wrong password gets a 401 and no session; with --deny, so
  does a right one (a user who may not use WinRM: "Access is denied").
- The responses come from a pypsrp YAML recording (request/response in
  order): each request takes the next recorded response whose request has
  the same WS-Addressing Action; RelatesTo is set to the request's MessageID
  (clients check it), nothing else is changed.
- --tls CERT KEY: HTTPS, as WinRM listens on 5986.
- DIR receives every SOAP body the server saw (after unsealing) and sent
  (before sealing), as NNN-c2s.xml / NNN-s2c.xml, and log.jsonl.

MD4 (NTOWFv2) needs OpenSSL's legacy provider: run with OPENSSL_CONF set to
a file that enables it (the test writes one).
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import struct
import sys
import threading
import time

import yaml

UNICODE, REQUEST_TARGET, SIGN, SEAL = 0x1, 0x4, 0x10, 0x20
NTLM, ALWAYS_SIGN, TARGET_TYPE_DOMAIN = 0x200, 0x8000, 0x10000
ESS, TARGET_INFO, VERSION = 0x80000, 0x800000, 0x2000000
F128, KEY_EXCH, F56 = 0x20000000, 0x40000000, 0x80000000

BOUNDARY = b"--Encrypted Boundary"
PROTOCOL = b"application/HTTP-SPNEGO-session-encrypted"


def hmac_md5(key, data):
    return hmac.new(key, data, hashlib.md5).digest()


class RC4:
    def __init__(self, key):
        s = list(range(256))
        j = 0
        for i in range(256):
            j = (j + s[i] + key[i % len(key)]) & 0xFF
            s[i], s[j] = s[j], s[i]
        self.s, self.i, self.j = s, 0, 0

    def update(self, data):
        s, i, j = self.s, self.i, self.j
        out = bytearray(len(data))
        for k, b in enumerate(data):
            i = (i + 1) & 0xFF
            j = (j + s[i]) & 0xFF
            s[i], s[j] = s[j], s[i]
            out[k] = b ^ s[(s[i] + s[j]) & 0xFF]
        self.i, self.j = i, j
        return bytes(out)


def field(msg, off):
    """An NTLM (len, maxlen, offset) field at off."""
    ln, _, at = struct.unpack_from("<HHI", msg, off)
    if at + ln > len(msg):
        raise ValueError("NTLM field at %d runs past the message" % off)
    return msg[at:at + ln]


def av_pair(av_id, value):
    return struct.pack("<HH", av_id, len(value)) + value


class NtlmServer:
    """One connection's NTLM acceptor."""

    def __init__(self, users):
        self.users = users  # {"user": "password"}
        self.negotiate = self.challenge = None
        self.user = None

    def make_challenge(self, negotiate):
        self.negotiate = negotiate
        cflags = struct.unpack_from("<I", negotiate, 12)[0]
        keep = SIGN | SEAL | ALWAYS_SIGN | ESS | VERSION | F128 | KEY_EXCH | F56
        flags = (cflags & keep) | UNICODE | REQUEST_TARGET | NTLM | TARGET_TYPE_DOMAIN | TARGET_INFO
        self.server_challenge = os.urandom(8)
        target = "WINRMTEST".encode("utf-16-le")
        filetime = struct.pack("<Q", int((time.time() + 11644473600) * 10000000))
        info = (av_pair(2, "WINRMTEST".encode("utf-16-le")) + av_pair(1, "WINRMHOST".encode("utf-16-le")) +
                av_pair(4, "winrm.test".encode("utf-16-le")) + av_pair(3, "host.winrm.test".encode("utf-16-le")) +
                av_pair(7, filetime) + av_pair(0, b""))
        head = 56
        msg = (b"NTLMSSP\0" + struct.pack("<I", 2) + struct.pack("<HHI", len(target), len(target), head) +
               struct.pack("<I", flags) + self.server_challenge + b"\0" * 8 +
               struct.pack("<HHI", len(info), len(info), head + len(target)) +
               bytes([10, 0, 0x63, 0x45, 0, 0, 0, 15]) + target + info)
        self.flags = flags
        self.challenge = msg
        return msg

    def accept(self, auth):
        """Checks AUTHENTICATE; returns a Session, or raises ValueError saying why."""
        nt = field(auth, 20)
        domain = field(auth, 28).decode("utf-16-le")
        user = field(auth, 36).decode("utf-16-le")
        enc_key = field(auth, 52)
        flags = struct.unpack_from("<I", auth, 60)[0]
        self.user = (domain + "\\" + user) if domain else user
        password = self.users.get(user.lower())
        if password is None:
            raise ValueError("unknown user %r" % user)
        if len(nt) <= 24:
            raise ValueError("not an NTLMv2 response")
        nt_hash = hashlib.new("md4", password.encode("utf-16-le")).digest()
        ntowf = hmac_md5(nt_hash, (user.upper() + domain).encode("utf-16-le"))
        proof = hmac_md5(ntowf, self.server_challenge + nt[16:])
        if not hmac.compare_digest(proof, nt[:16]):
            raise ValueError("NTProofStr does not verify (wrong password for %s)" % self.user)
        base = hmac_md5(ntowf, proof)
        exported = RC4(base).update(enc_key) if flags & KEY_EXCH else base
        # the MIC, when the client sent one (MsvAvFlags bit 2 in its target info)
        if len(auth) >= 88 and auth[72:88] != b"\0" * 16 and flags & VERSION:
            zeroed = auth[:72] + b"\0" * 16 + auth[88:]
            mic = hmac_md5(exported, self.negotiate + self.challenge + zeroed)
            if not hmac.compare_digest(mic, auth[72:88]):
                raise ValueError("MIC does not verify")
        return Session(exported, flags)


class Session:
    """NTLM session security, server side (MS-NLMP 3.4.4, extended session security)."""

    def __init__(self, exported, flags):
        def key(magic):
            return hashlib.md5(exported + magic).digest()
        seal_key = exported if flags & F128 else exported[:7] if flags & F56 else exported[:5]

        def seal(magic):
            return hashlib.md5(seal_key + magic).digest()
        self.flags = flags
        self.recv_sign = key(b"session key to client-to-server signing key magic constant\0")
        self.send_sign = key(b"session key to server-to-client signing key magic constant\0")
        self.recv = RC4(seal(b"session key to client-to-server sealing key magic constant\0"))
        self.send = RC4(seal(b"session key to server-to-client sealing key magic constant\0"))
        self.recv_seq = self.send_seq = 0

    def _checksum(self, rc4, sign_key, seq, msg):
        cks = hmac_md5(sign_key, struct.pack("<I", seq) + msg)[:8]
        if self.flags & KEY_EXCH:
            cks = rc4.update(cks)
        return struct.pack("<I", 1) + cks + struct.pack("<I", seq)

    def wrap(self, msg):
        sealed = self.send.update(msg)
        sig = self._checksum(self.send, self.send_sign, self.send_seq, msg)
        self.send_seq += 1
        return sealed, sig

    def unwrap(self, sealed, sig):
        msg = self.recv.update(sealed)
        want = self._checksum(self.recv, self.recv_sign, self.recv_seq, msg)
        self.recv_seq += 1
        if not hmac.compare_digest(want, sig):
            raise ValueError("signature mismatch on sealed request %d" % (self.recv_seq - 1))
        return msg


def parse_encrypted(body):
    """The (length, signature, sealed) parts of a multipart/encrypted body."""
    parts = [p for p in body.split(BOUNDARY + b"\r\n") if p]
    out = []
    for i in range(0, len(parts) - 1, 2):
        length = int(re.search(rb"Length=(\d+)", parts[i]).group(1))
        payload = parts[i + 1]
        if payload.endswith(BOUNDARY + b"--\r\n"):
            payload = payload[:-len(BOUNDARY + b"--\r\n")]
        payload = payload.split(b"\r\n", 1)[1]  # the "\tContent-Type: application/octet-stream" line
        siglen = struct.unpack_from("<I", payload, 0)[0]
        out.append((length, payload[4:4 + siglen], payload[4 + siglen:]))
    return out


def build_encrypted(length, sig, sealed):
    return (BOUNDARY + b"\r\n\tContent-Type: " + PROTOCOL + b"\r\n"
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + str(length).encode() + b"\r\n" +
            BOUNDARY + b"\r\n\tContent-Type: application/octet-stream\r\n" +
            struct.pack("<I", len(sig)) + sig + sealed + BOUNDARY + b"--\r\n")


ACTION = re.compile(rb"<[\w:]*Action[^>]*>([^<]+)</")
MESSAGE_ID = re.compile(rb"<[\w:]*MessageID>([^<]+)</")
RELATES_TO = re.compile(rb"(<[\w:]*RelatesTo>)([^<]+)(</)")


class Recording:
    def __init__(self, path):
        doc = yaml.safe_load(open(path, encoding="utf-8"))
        self.messages = [m for m in doc["messages"] if "request" in m and "response" in m]
        self.used = [False] * len(self.messages)

    def answer(self, request):
        m = ACTION.search(request)
        action = m.group(1).strip() if m else b""
        for i, msg in enumerate(self.messages):
            rq = msg["request"].encode("utf-8")
            am = ACTION.search(rq)
            if not self.used[i] and am and am.group(1).strip() == action:
                self.used[i] = True
                resp = msg["response"].encode("utf-8")
                mid = MESSAGE_ID.search(request)
                if mid:
                    resp = RELATES_TO.sub(lambda r: r.group(1) + mid.group(1) + r.group(3), resp, count=1)
                return resp
        raise KeyError("no recorded response left for %r" % action)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""

    def setup(self):
        super().setup()
        self.ntlm = NtlmServer(self.server.users)
        self.session = None
        self.authed_user = None

    def log_message(self, fmt, *args):
        pass

    def log(self, **kw):
        with open(os.path.join(self.server.dump, "log.jsonl"), "a") as f:
            f.write(json.dumps(kw) + "\n")

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def dump(self, direction, data):
        with self.server.lock:
            self.server.seq += 1
            with open(os.path.join(self.server.dump, "%03d-%s.xml" % (self.server.seq, direction)), "wb") as f:
                f.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        auth = self.headers.get("Authorization", "")
        if self.server.mode == "basic":
            ok = False
            if auth.startswith("Basic "):
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                ok = self.server.users.get(user.lower()) == pw
                self.authed_user = user
            if not ok:
                self.log(event="401", why="basic")
                return self.reply(401, headers=[("WWW-Authenticate", 'Basic realm="WSMAN"')])
        else:
            scheme, _, token = auth.partition(" ")
            if scheme in ("Negotiate", "NTLM") and token:
                tok = base64.b64decode(token)
                kind = struct.unpack_from("<I", tok, 8)[0] if tok[:8] == b"NTLMSSP\0" else 0
                if kind == 1:
                    chal = self.ntlm.make_challenge(tok)
                    return self.reply(401, headers=[("WWW-Authenticate",
                                                     scheme + " " + base64.b64encode(chal).decode())])
                if kind == 3:
                    try:
                        self.session = self.ntlm.accept(tok)
                        self.authed_user = self.ntlm.user
                        self.log(event="authenticated", user=self.ntlm.user)
                        if self.server.deny:  # a valid logon the service refuses (not an administrator)
                            self.session = None
                            self.log(event="401", why="access denied for %s" % self.ntlm.user)
                            return self.reply(401)
                    except ValueError as e:
                        self.session = None
                        self.log(event="401", why=str(e))
                        return self.reply(401)
            if self.session is None:
                return self.reply(401, headers=[("WWW-Authenticate", "Negotiate")])
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("multipart/encrypted"):
            plain = b""
            try:
                for length, sig, sealed in parse_encrypted(body):
                    msg = self.session.unwrap(sealed, sig)
                    if len(msg) != length:
                        raise ValueError("unsealed %d bytes, OriginalContent says %d" % (len(msg), length))
                    plain += msg
            except ValueError as e:
                self.log(event="400", why=str(e))
                return self.reply(400)
        else:
            plain = body
        if not plain:  # pywinrm's authentication request carries no body
            return self.reply(200)
        self.dump("c2s", plain)
        with self.server.lock:
            answer = self.server.recording.answer(plain)
        self.dump("s2c", answer)
        if self.session is not None and ctype.startswith("multipart/encrypted"):
            sealed, sig = self.session.wrap(answer)
            return self.reply(200, build_encrypted(len(answer), sig, sealed),
                              [("Content-Type", 'multipart/encrypted;protocol="application/'
                                'HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"')])
        self.reply(200, answer, [("Content-Type", "application/soap+xml;charset=UTF-8")])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--auth", choices=["basic", "ntlm"], required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--responses", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--deny", action="store_true", help="refuse every user whose logon verifies (Access is denied)")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="HTTPS, as WinRM on 5986")
    a = ap.parse_args()
    hashlib.new("md4")  # fail at once, not in the middle of a handshake, without the legacy provider
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    if a.tls:
        import ssl
        tctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tctx.load_cert_chain(a.tls[0], a.tls[1])
        srv.socket = tctx.wrap_socket(srv.socket, server_side=True)
    srv.daemon_threads = True
    srv.lock = threading.Lock()
    srv.mode = a.auth
    srv.deny = a.deny
    srv.users = {a.user.lower(): a.password}
    srv.recording = Recording(a.responses)
    srv.dump = a.dump
    srv.seq = 0
    print("listening", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
