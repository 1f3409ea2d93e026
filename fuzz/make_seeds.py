#!/usr/bin/python3
"""Builds the fuzz targets' seed corpora from real data.

usage: make_seeds.py OUTDIR [SRC...]
SRC: capture files (pcap/pcapng, gzip or not) and raw files (.nettrace,
dumps); default: fixtures/ and $DIAGTAP_CORPUS or ../shared/corpus/ (when
present). Writes
OUTDIR/engine/ (one input per TCP/UDP flow or recorded stream, in
fuzz_engine.c's record format) and OUTDIR/capture/ (the files themselves,
cut to 64 KiB, plus a classic pcap rebuilt from the flows). Nothing is
copied into the source tree."""
import gzip
import hashlib
import os
import struct
import sys

MAX_SEED = 64 * 1024


def read_any(path):
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except Exception:
            pass
    return data


def packets(data):
    """(linktype, frame) from a pcap or pcapng image; [] if neither."""
    out = []
    if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        lt = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
        pos = 24
        while pos + 16 <= len(data):
            caplen = struct.unpack(e + "I", data[pos + 8:pos + 12])[0]
            out.append((lt, data[pos + 16:pos + 16 + caplen]))
            pos += 16 + caplen
    elif data[:4] == b"\x0a\x0d\x0d\x0a":
        pos, e, ifaces = 0, "<", []
        while pos + 12 <= len(data):
            btype = struct.unpack(e + "I", data[pos:pos + 4])[0]
            if btype == 0x0A0D0D0A:
                e = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                ifaces = []
            blen = struct.unpack(e + "I", data[pos + 4:pos + 8])[0]
            if blen < 12:
                break
            body = data[pos + 8:pos + blen - 4]
            if btype == 1:
                ifaces.append(struct.unpack(e + "H", body[:2])[0])
            elif btype == 6 and len(body) >= 20:
                ifid, _, _, caplen = struct.unpack(e + "IIII", body[:16])
                if ifid < len(ifaces):
                    out.append((ifaces[ifid], body[20:20 + caplen]))
            pos += blen
    return out


def l3(lt, f):
    if lt == 1 and len(f) >= 14:
        et, off = struct.unpack("!H", f[12:14])[0], 14
        while et == 0x8100 and len(f) >= off + 4:
            et, off = struct.unpack("!H", f[off + 2:off + 4])[0], off + 4
        return f[off:]
    if lt == 113:
        return f[16:]
    if lt == 276:
        return f[20:]
    if lt in (0, 108):
        return f[4:]
    if lt in (101, 12, 228, 229):
        return f
    return None


def flows_of(pkts):
    """{key: [(dir, payload)]}, key (proto, server_port); streams of exported PDUs too."""
    flows, first = {}, {}
    for lt, f in pkts:
        if lt == 252:
            pos, name, d = 0, "", 0
            while pos + 4 <= len(f):
                tag, ln = struct.unpack("!HH", f[pos:pos + 4])
                if tag == 0:
                    pos += 4
                    break
                if tag == 12:
                    name = f[pos + 4:pos + 4 + ln].rstrip(b"\0").decode("latin1")
                if tag == 33 and ln == 4:
                    d = 1 if struct.unpack("!I", f[pos + 4:pos + 8])[0] == 1 else 0
                pos += 4 + ln
            flows.setdefault(("stream", name), []).append((d, f[pos:]))
            continue
        p = l3(lt, f)
        if not p:
            continue
        if p[0] >> 4 == 4 and len(p) >= 20:
            ihl, proto, src, dst, p = (p[0] & 15) * 4, p[9], p[12:16], p[16:20], p[(p[0] & 15) * 4:]
        elif p[0] >> 4 == 6 and len(p) >= 40:
            proto, src, dst, p = p[6], p[8:24], p[24:40], p[40:]
        else:
            continue
        if proto == 6 and len(p) >= 20:
            sp, dp = struct.unpack("!HH", p[:4])
            payload = p[(p[12] >> 4) * 4:]
            kind = "tcp"
        elif proto == 17 and len(p) >= 8:
            sp, dp = struct.unpack("!HH", p[:4])
            payload = p[8:]
            kind = "udp"
        else:
            continue
        conn = (kind, frozenset(((src, sp), (dst, dp))))
        if conn not in first:
            first[conn] = (src, sp, dst, dp)
        c = first[conn]
        d = 0 if (src, sp) == (c[0], c[1]) else 1
        server = min(c[1], c[3])
        if payload:
            flows.setdefault((kind, server, conn), []).append((d, payload))
    return flows


def engine_input(mode, port, recs):
    out = bytearray([mode, port >> 8, port & 255])
    for d, p in recs:
        for i in range(0, len(p), 65535):
            chunk = p[i:i + 65535]
            out += bytes([d]) + struct.pack("!H", len(chunk)) + chunk
        if len(out) > MAX_SEED:
            break
    return bytes(out[:MAX_SEED])


def save(d, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def main():
    out = sys.argv[1]
    srcs = sys.argv[2:]
    if not srcs:
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
        srcs = [os.path.join(root, "fixtures"),
                os.environ.get("DIAGTAP_CORPUS") or os.path.join(root, "..", "shared", "corpus")]
    files = []
    for s in srcs:
        if os.path.isdir(s):
            for dp, _, fs in os.walk(s):
                files += [os.path.join(dp, f) for f in sorted(fs) if not f.endswith((".txt", ".md", ".sh", "LICENSE"))]
        elif os.path.exists(s):
            files.append(s)
    n_eng = n_cap = 0
    for path in files:
        raw = open(path, "rb").read()
        data = read_any(path)
        save(os.path.join(out, "capture"), b"\0" + raw[:MAX_SEED])
        n_cap += 1
        pkts = packets(data)
        if not pkts:
            # a stream file (.nettrace, a dump): as an IPC stream, probes choose
            save(os.path.join(out, "engine"), engine_input(2, 0, [(0, data[:MAX_SEED])]))
            save(os.path.join(out, "capture"), bytes([128]) + data[:MAX_SEED])
            n_eng += 1
            continue
        frames = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for k, recs in flows_of(pkts).items():
            if k[0] == "stream":
                save(os.path.join(out, "engine"), engine_input(2, 0, recs))
            else:
                save(os.path.join(out, "engine"), engine_input(1 if k[0] == "udp" else 0, k[1], recs))
            n_eng += 1
        for lt, f in pkts[:200]:
            if lt == 1:
                frames += struct.pack("<IIII", 0, 0, len(f), len(f)) + f
        save(os.path.join(out, "capture"), b"\0" + bytes(frames[:MAX_SEED]))
        n_cap += 1
    print("seeds: %d engine, %d capture from %d files" % (n_eng, n_cap, len(files)))


main()
