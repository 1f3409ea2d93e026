#!/usr/bin/python3
"""Writes a large classic pcap of many concurrent DAP-over-TCP conversations,
for measuring replay throughput and memory.

usage: gen_dap_pcap.py OUT.pcap TOTAL_MIB [CONCURRENT_CONVERSATIONS]

Each conversation is a handshake, then request/response pairs whose bodies
are realistic DAP JSON, segmented at 1448-byte MSS, interleaved round-robin
across conversations (so the reassembler holds many open flows at once), and
closed with FIN. Memory use should depend on the number of concurrent
conversations, not on TOTAL_MIB.
"""
import json
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + tcp


def dap(obj):
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Conv:
    def __init__(self, i):
        self.c = bytes([10, 1, (i >> 8) & 0xFF, i & 0xFF])
        self.s = bytes([10, 2, 0, 1])
        self.cport = 20000 + (i % 40000)
        self.sport = 4711
        self.cseq, self.sseq = 1000, 5000
        self.seq = 1

    def segments(self, from_client, data):
        out = []
        for off in range(0, len(data), 1448):
            chunk = data[off:off + 1448]
            if from_client:
                out.append(frame(self.c, self.s, self.cport, self.sport, self.cseq, self.sseq, 0x18, chunk))
                self.cseq += len(chunk)
            else:
                out.append(frame(self.s, self.c, self.sport, self.cport, self.sseq, self.cseq, 0x18, chunk))
                self.sseq += len(chunk)
        return out

    def open(self):
        f = [frame(self.c, self.s, self.cport, self.sport, self.cseq - 1, 0, 0x02, b""),
             frame(self.s, self.c, self.sport, self.cport, self.sseq - 1, self.cseq, 0x12, b""),
             frame(self.c, self.s, self.cport, self.sport, self.cseq, self.sseq, 0x10, b"")]
        return f

    def exchange(self):
        n = self.seq
        self.seq += 2
        req = dap({"seq": n, "type": "request", "command": "variables",
                   "arguments": {"variablesReference": 1000 + n}})
        variables = [{"name": "v%d" % k, "value": "%d" % (k * n), "type": "int",
                      "variablesReference": 0} for k in range(20)]
        rsp = dap({"seq": n + 1, "type": "response", "request_seq": n, "success": True,
                   "command": "variables", "body": {"variables": variables}})
        return self.segments(True, req) + self.segments(False, rsp)

    def close(self):
        return [frame(self.c, self.s, self.cport, self.sport, self.cseq, self.sseq, 0x11, b""),
                frame(self.s, self.c, self.sport, self.cport, self.sseq, self.cseq + 1, 0x11, b"")]


def main():
    out, total_mib = sys.argv[1], float(sys.argv[2])
    concurrent = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    limit = int(total_mib * 1024 * 1024)
    written = 0
    ts = 1700000000 * 1000000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

        def put(frames):
            nonlocal written, ts
            for fr in frames:
                ts += 50
                f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(fr), len(fr)) + fr)
                written += 16 + len(fr)

        convs = [Conv(i) for i in range(concurrent)]
        for c in convs:
            put(c.open())
        i = 0
        while written < limit:
            c = convs[i % concurrent]
            put(c.exchange())
            if c.seq > 400:  # retire it, open a fresh one in its place
                put(c.close())
                convs[i % concurrent] = Conv(concurrent + i)
                put(convs[i % concurrent].open())
            i += 1
        for c in convs:
            put(c.close())


if __name__ == "__main__":
    main()
