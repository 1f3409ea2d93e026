#!/usr/bin/python3
"""A large SMB2 capture of many small operations, from a real recording.

  gen_smb2_pcap.py IN.pcapng OUT.pcap MIB

IN is a capture of real smbd/smbclient traffic (tests/smb2/smb-session.pcapng,
recorded by tests/smb2/make-smb-sample.sh: sessions doing ls, put, get,
mkdir, rename, del, rmdir, rpcclient calls over IPC$). OUT repeats it until
it holds MIB MiB of frames; copy k moves both IPv4 endpoints to 127.x.y.1
(x.y = k) so every copy is a new set of TCP connections, with IPv4 and TCP
checksums recomputed and timestamps shifted past the previous copy. Ethernet
and IPv4 frames only (what the recording holds); others are copied as they
are.
"""
import struct
import sys


def read_pcapng(path):
    """(linktype, [(ts_usec, frame)]) from a single-interface pcapng."""
    data = open(path, 'rb').read()
    pos, linktype, frames, tsres = 0, None, [], 1e-6
    endian = '<'
    while pos + 12 <= len(data):
        btype, blen = struct.unpack_from(endian + 'II', data, pos)
        if btype == 0x0A0D0D0A:
            bom = data[pos + 8:pos + 12]
            endian = '<' if bom == b'\x4d\x3c\x2b\x1a' else '>'
            btype, blen = struct.unpack_from(endian + 'II', data, pos)
        body = data[pos + 8:pos + blen - 4]
        if btype == 1:  # IDB
            linktype = struct.unpack_from(endian + 'H', body, 0)[0]
            opts = 8
            while opts + 4 <= len(body):
                code, olen = struct.unpack_from(endian + 'HH', body, opts)
                if code == 0:
                    break
                if code == 9:  # if_tsresol
                    v = body[opts + 4]
                    tsres = 2.0 ** -(v & 0x7f) if v & 0x80 else 10.0 ** -v
                opts += 4 + ((olen + 3) & ~3)
        elif btype == 6:  # EPB
            _, hi, lo, caplen, _ = struct.unpack_from(endian + 'IIIII', body, 0)
            ts = ((hi << 32) | lo) * tsres
            frames.append((int(ts * 1e6), body[20:20 + caplen]))
        pos += blen
    return linktype, frames


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(memoryview(b).cast('H'))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def rewrite(frame, k):
    if len(frame) < 34 or frame[12:14] != b'\x08\x00':
        return frame
    f = bytearray(frame)
    ihl = (f[14] & 15) * 4
    ip = 14
    hi, lo = (k >> 8) & 0xff, k & 0xff
    f[ip + 13:ip + 15] = bytes([hi, lo])  # source 127.hi.lo.x
    f[ip + 17:ip + 19] = bytes([hi, lo])  # destination
    f[ip + 10:ip + 12] = b'\0\0'
    struct.pack_into('H', f, ip + 10, csum(bytes(f[ip:ip + ihl])))
    total = struct.unpack_from('>H', f, ip + 2)[0]
    if f[ip + 9] == 6 and ip + total <= len(f):
        tcp = ip + ihl
        seg = bytes(f[tcp:ip + total])
        seg = seg[:16] + b'\0\0' + seg[18:]
        pseudo = bytes(f[ip + 12:ip + 20]) + struct.pack('>BBH', 0, 6, len(seg))
        struct.pack_into('H', f, tcp + 16, csum(pseudo + seg))
    return bytes(f)


def main():
    src, out, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
    linktype, frames = read_pcapng(src)
    span = frames[-1][0] - frames[0][0] + 1000000
    want = mib * 1024 * 1024
    with open(out, 'wb') as o:
        o.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, linktype))
        written, k = 0, 0
        while written < want:
            for ts, fr in frames:
                t = ts + k * span
                fr = rewrite(fr, k + 1)
                o.write(struct.pack('<IIII', t // 1000000, t % 1000000, len(fr), len(fr)))
                o.write(fr)
                written += 16 + len(fr)
            k += 1
    print('%s: %d copies of %s, %d bytes' % (out, k, src, written), file=sys.stderr)


if __name__ == '__main__':
    main()
