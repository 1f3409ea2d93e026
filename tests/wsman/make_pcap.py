#!/usr/bin/python3
"""Wraps WS-Man envelopes into a capture: each exchange is an HTTP/1.1 POST
/wsman (Content-Type application/soap+xml) and its reply, on a TCP
connection to port 5985 (Ethernet, IPv4, three-way handshake, MSS-sized
segments, FIN). Used by the end-to-end corpus test and by bench/.

  make_pcap.py OUT.pcap FILE.yml [FILE.yml ...] [--repeat N]

Each .yml file (and each repetition) is its own connection."""
import struct
import sys

MSS = 1460


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.t = 1700000000.0

    def frame(self, src, dst, sport, dport, seq, ack, flags, payload=b""):
        tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
        total = 20 + len(tcp) + len(payload)
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, bytes(src), bytes(dst))
        csum = 0
        for i in range(0, 20, 2):
            csum += (ip[i] << 8) | ip[i + 1]
        while csum >> 16:
            csum = (csum & 0xFFFF) + (csum >> 16)
        ip = ip[:10] + struct.pack(">H", ~csum & 0xFFFF) + ip[12:]
        eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
        pkt = eth + ip + tcp + payload
        self.t += 0.0001
        sec = int(self.t)
        self.f.write(struct.pack("<IIII", sec, int((self.t - sec) * 1e6), len(pkt), len(pkt)) + pkt)

    def close(self):
        self.f.close()


class Conn:
    def __init__(self, pcap, n):
        self.p = pcap
        self.c = (10, 0, (n >> 8) & 0xFF, 1 + (n & 0x7F))
        self.s = (10, 1, 0, 2)
        self.cport = 49152 + (n % 16000)
        self.sport = 5985
        self.cseq, self.sseq = 1000, 5000
        self.p.frame(self.c, self.s, self.cport, self.sport, self.cseq, 0, 0x02)
        self.p.frame(self.s, self.c, self.sport, self.cport, self.sseq, self.cseq + 1, 0x12)
        self.cseq += 1
        self.sseq += 1
        self.p.frame(self.c, self.s, self.cport, self.sport, self.cseq, self.sseq, 0x10)

    def send(self, to_server, data):
        for i in range(0, len(data), MSS):
            chunk = data[i:i + MSS]
            if to_server:
                self.p.frame(self.c, self.s, self.cport, self.sport, self.cseq, self.sseq, 0x18, chunk)
                self.cseq += len(chunk)
            else:
                self.p.frame(self.s, self.c, self.sport, self.cport, self.sseq, self.cseq, 0x18, chunk)
                self.sseq += len(chunk)

    def close(self):
        self.p.frame(self.c, self.s, self.cport, self.sport, self.cseq, self.sseq, 0x11)
        self.p.frame(self.s, self.c, self.sport, self.cport, self.sseq, self.cseq + 1, 0x11)
        self.p.frame(self.c, self.s, self.cport, self.sport, self.cseq + 1, self.sseq + 1, 0x10)


def request(body):
    return (b"POST /wsman HTTP/1.1\r\nHost: win.example:5985\r\nUser-Agent: Python PSRP Client\r\n"
            b"Content-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: %d\r\n\r\n" % len(body)) + body


def response(status, body):
    reason = {200: b"OK", 401: b"Unauthorized", 500: b"Internal Server Error"}.get(status, b"Error")
    head = b"HTTP/1.1 %d %s\r\nServer: Microsoft-HTTPAPI/2.0\r\n" % (status, reason)
    if body:
        head += b"Content-Type: application/soap+xml;charset=UTF-8\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


def exchanges(path):
    """[(request bytes, status, response bytes)] from a pypsrp-responses file."""
    import yaml
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    out = []
    for m in doc.get("messages") or []:
        req = m.get("request")
        if not (isinstance(req, str) and req.lstrip().startswith("<")):
            continue
        resp = m.get("response")
        if isinstance(resp, str) and resp.lstrip().startswith("<"):
            # Windows sends every SOAP fault with 500 (w:TimedOut long polls too)
            fault = m.get("transport_error") or "/fault</" in resp or ":Fault>" in resp
            out.append((req.encode(), 500 if fault else 200, resp.encode()))
        else:
            te = m.get("transport_error") or {}
            out.append((req.encode(), 401 if m.get("auth_error") else int(te.get("code", 500)), b""))
    return out


def write(out, files, repeat=1):
    p = Pcap(out)
    n = 0
    for _ in range(repeat):
        for path in files:
            c = Conn(p, n)
            n += 1
            for req, status, resp in exchanges(path):
                c.send(True, request(req))
                c.send(False, response(status, resp))
            c.close()
    p.close()
    return n


if __name__ == "__main__":
    args = sys.argv[1:]
    rep = 1
    if "--repeat" in args:
        i = args.index("--repeat")
        rep = int(args[i + 1])
        del args[i:i + 2]
    write(args[0], args[1:], rep)
