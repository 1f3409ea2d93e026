"""An independent view of the KDNET corpus capture for the kd integration
tests: pcapng parsing, bcdedit key parsing, AES-256-CBC through the openssl
command line and HMAC-SHA256 through Python's hmac/hashlib, and a few lines of
KD packet parsing. Nothing here shares code with the C dissector."""
import gzip
import hashlib
import hmac
import os
import struct
import subprocess
import sys

import dtcorpus  # noqa: E402  (tests/common, on PYTHONPATH)

CORPUS = dtcorpus.CORPUS
CAPTURE = dtcorpus.require("kdnet", "windbg-uncut.pcapng.gz")
DIAGTAP = os.environ.get("DIAGTAP", "diagtap")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def udp_payloads(path=CAPTURE):
    """[(src_ip, payload)] of the Ethernet/IPv4/UDP frames of a pcapng(.gz)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    out, o = [], 0
    while o + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, o)
        if btype == 6:
            caplen = struct.unpack_from("<I", data, o + 20)[0]
            fr = data[o + 28:o + 28 + caplen]
            if fr[12:14] == b"\x08\x00" and fr[23] == 17:
                ihl = (fr[14] & 15) * 4
                udp = fr[14 + ihl:]
                ulen = struct.unpack(">H", udp[4:6])[0]
                out.append((fr[26:30], udp[8:ulen]))
        o += blen
    return out


def dotted_key(text):
    return b"".join(struct.pack("<Q", int(p, 36)) for p in text.split("."))


def _openssl(args, data):
    try:
        return subprocess.run(["openssl"] + args, input=data, capture_output=True)
    except FileNotFoundError:
        fail("the openssl command (Debian package openssl) is needed as the AES oracle")


def aes_cbc_decrypt(key, iv, ct):
    r = _openssl(["enc", "-d", "-aes-256-cbc", "-nopad", "-K", key.hex(), "-iv", iv.hex()], ct)
    check(r.returncode == 0, "openssl failed: %s" % r.stderr.decode(errors="replace"))
    return r.stdout


def aes_cbc_encrypt(key, iv, pt):
    r = _openssl(["enc", "-e", "-aes-256-cbc", "-nopad", "-K", key.hex(), "-iv", iv.hex()], pt)
    check(r.returncode == 0, "openssl failed: %s" % r.stderr.decode(errors="replace"))
    return r.stdout


class Packet:
    def __init__(self, index, payload):
        self.index = index
        self.raw = payload
        self.channel = payload[5]
        self.plain = None
        self.mac_ok = False
        self.kd = None  # KD packet bytes (header + data)

    @property
    def from_host(self):
        return bool(self.plain[7] & 0x80)


def decrypt_capture(key_text="8.8.8.8", only=None):
    """Decrypts every packet (or the indexes in `only` plus the control
    packets) and returns (packets, data_key)."""
    key = dotted_key(key_text)
    mac_key = bytes(b ^ 0xFF for b in key)
    data_key = None
    pkts = [Packet(i, p) for i, (_, p) in enumerate(udp_payloads())]
    for p in pkts:
        if only is not None and p.channel != 1 and p.index not in only:
            continue
        if p.channel == 0 and data_key is None:
            continue
        ct, iv = p.raw[6:-16], p.raw[-16:]
        pt = aes_cbc_decrypt(key if p.channel == 1 else data_key, iv, ct)
        p.plain = pt
        p.mac_ok = hmac.new(mac_key, p.raw[:6] + pt, hashlib.sha256).digest()[:16] == iv
        if p.channel == 1 and pt[7] == 0x86:
            data_key = hashlib.sha256(key + pt[8:330]).digest()
        if p.channel == 0:
            body = pt[8:len(pt) - (pt[7] & 0x7F)]
            if body[:4] in (b"0000", b"iiii"):
                count = struct.unpack_from("<H", body, 6)[0]
                p.kd = body[:16 + count]
    return pkts, data_key


def kd_type(kd):
    return struct.unpack_from("<H", kd, 4)[0]


def kd_u32(kd, off):
    return struct.unpack_from("<I", kd, 16 + off)[0]


def kd_u64(kd, off):
    return struct.unpack_from("<Q", kd, 16 + off)[0]
