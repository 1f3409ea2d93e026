#!/usr/bin/python3
"""Writes fuzz/seeds/auth/nlmp: the MS-NLMP 4.2.4 CHALLENGE, AUTHENTICATE and
sealed "Plaintext" as fuzz_auth carrier records (mode byte 0), so the fuzzer
starts from a handshake that reaches key derivation and unsealing."""
import os
import struct


def rec(d, b):
    return bytes([d]) + struct.pack("<H", len(b)) + b


def u16(s):
    return s.encode("utf-16-le")


ti = bytes.fromhex("02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000")
name = u16("Server")
ch = (b"NTLMSSP\0" + struct.pack("<IHHI", 2, len(name), len(name), 56) + struct.pack("<I", 0xe28a8233)
      + bytes.fromhex("0123456789abcdef") + b"\0" * 8 + struct.pack("<HHI", len(ti), len(ti), 56 + len(name))
      + b"\x06\x00\x70\x17\x00\x00\x00\x0f" + name + ti)
temp = bytes.fromhex("0101000000000000" "0000000000000000" "aaaaaaaaaaaaaaaa" "00000000"
                     "02000c0044006f006d00610069006e00" "01000c00530065007200760065007200" "00000000" "00000000")
nt = bytes.fromhex("68cd0ab851e51c96aabc927bebef6a1c") + temp
lm = bytes.fromhex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
dom, usr, host = u16("Domain"), u16("User"), u16("COMPUTER")
key = bytes.fromhex("c5dad2544fc9799094ce1ce90bc9d03e")
o = {"dom": 72}
o["usr"] = o["dom"] + len(dom)
o["host"] = o["usr"] + len(usr)
o["lm"] = o["host"] + len(host)
o["nt"] = o["lm"] + len(lm)
o["key"] = o["nt"] + len(nt)
hdr = b"NTLMSSP\0" + struct.pack("<I", 3)
for b, k in ((lm, "lm"), (nt, "nt"), (dom, "dom"), (usr, "usr"), (host, "host"), (key, "key")):
    hdr += struct.pack("<HHI", len(b), len(b), o[k])
hdr += struct.pack("<I", 0xe28a8233) + b"\x05\x00\x93\x08\x00\x00\x00\x0f"
auth = hdr + dom + usr + host + lm + nt + key
sealed = bytes.fromhex("010000007fb38ec5c55d497600000000" "54e50165bf1936dc996020c1811b0f06fb5f")
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "auth", "nlmp")
with open(out, "wb") as f:
    f.write(b"\x00" + rec(1, b"T" + ch) + rec(0, b"T" + auth) + rec(0, sealed))

# fuzz/seeds/auth/credssp: CredSSP as WinRM's headers carry it (TLS records):
# a ClientHello, the server's flight, the client's key exchange with an
# encrypted Finished, then three TSRequests as application data each way.


def tls(ctype, body):
    return bytes([ctype, 3, 3]) + struct.pack(">H", len(body)) + body


def hs(htype, body):
    return bytes([htype]) + len(body).to_bytes(3, "big") + body


hello = tls(22, hs(1, b"\x03\x03" + b"\x11" * 32 + b"\x00\x00\x02\x13\x01\x01\x00\x00\x00"))
flight = tls(22, hs(2, b"\x03\x03" + b"\x22" * 32 + b"\x00\x13\x01\x00") + hs(11, b"\x00" * 8) + hs(14, b""))
kex = tls(22, hs(16, b"\x00\x04abcd")) + tls(20, b"\x01") + tls(22, b"\x5a" * 40)
app = [tls(23, bytes([i]) * (60 + i)) for i in range(3)]
with open(os.path.join(os.path.dirname(out), "credssp"), "wb") as f:
    f.write(b"\x00" + rec(0, b"T" + hello) + rec(1, b"T" + flight) + rec(0, b"T" + kex) + rec(1, b"T" + kex[9:])
            + b"".join(rec(0, b"T" + a) + rec(1, b"T" + a) for a in app))
