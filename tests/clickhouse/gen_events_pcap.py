#!/usr/bin/python3
"""Writes a classic pcap of about N small DAP messages over one TCP
connection, many messages per segment, so that a million events take a
small file and a few seconds to write (bench/gen_dap_pcap.py makes large
messages, for bytes per second).

usage: gen_events_pcap.py OUT.pcap N_MESSAGES
"""
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


ETH = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"


def frame(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ETH + ip + tcp


def dap(body):
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    c, s = bytes([10, 1, 0, 1]), bytes([10, 2, 0, 1])
    cport, sport = 40000, 4711
    cseq, sseq = 1000, 5000
    ts = 1700000000 * 1000000
    per_segment = 12
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

        def put(fr):
            nonlocal ts
            ts += 20
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(fr), len(fr)) + fr)

        put(frame(c, s, cport, sport, cseq - 1, 0, 0x02, b""))
        put(frame(s, c, sport, cport, sseq - 1, cseq, 0x12, b""))
        put(frame(c, s, cport, sport, cseq, sseq, 0x10, b""))
        seq = 1
        done = 0
        while done < n:
            k = min(per_segment, (n - done + 1) // 2) or 1
            reqs = b"".join(dap(b'{"seq":%d,"type":"request","command":"threads"}' % (seq + 2 * i))
                            for i in range(k))
            rsps = b"".join(dap(b'{"seq":%d,"type":"response","request_seq":%d,"success":true,'
                                b'"command":"threads","body":{"threads":[{"id":1,"name":"main"}]}}'
                                % (seq + 2 * i + 1, seq + 2 * i)) for i in range(k))
            put(frame(c, s, cport, sport, cseq, sseq, 0x18, reqs))
            cseq += len(reqs)
            put(frame(s, c, sport, cport, sseq, cseq, 0x18, rsps))
            sseq += len(rsps)
            seq += 2 * k
            done += 2 * k
        put(frame(c, s, cport, sport, cseq, sseq, 0x11, b""))
        put(frame(s, c, sport, cport, sseq, cseq + 1, 0x11, b""))


if __name__ == "__main__":
    main()
