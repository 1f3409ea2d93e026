#!/usr/bin/python3
"""Writes a classic pcap (Ethernet) holding one TCP or UDP exchange.

usage: mkpcap.py OUT tcp|udp PORT PAYLOAD_HEX [PAYLOAD_HEX...]
Each payload goes client -> server in its own segment (TCP: after a SYN
handshake), so tests can build hostile captures without fixtures."""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip(proto, src, dst, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def frame(l3):
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + l3


def main():
    out, kind, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    payloads = [bytes.fromhex(h) for h in sys.argv[4:]]
    cli, srv = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    frames = []
    if kind == "udp":
        for p in payloads:
            frames.append(frame(ip(17, cli, srv, struct.pack("!HHHH", 40000, port, 8 + len(p), 0) + p)))
    else:
        def seg(src, dst, sp, dp, seq, ack, flags, p=b""):
            return frame(ip(6, src, dst, struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + p))
        frames.append(seg(cli, srv, 40000, port, 100, 0, 0x02))
        frames.append(seg(srv, cli, port, 40000, 500, 101, 0x12))
        seq = 101
        for p in payloads:
            frames.append(seg(cli, srv, 40000, port, seq, 501, 0x18, p))
            seq += len(p)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)) + fr)


main()
