"""The DAP/LSP fixtures (tests/dap/data/*.bin: transcripts of real sessions
with lldb-vscode-14, debugpy and clangd-14) replayed two ways:
 - over a loopback TCP connection, message by message in their original
   order, captured by tcpdump: the Content-Length heuristic tells DAP from
   LSP, and every field tshark shows equals `diagtap replay` of the capture;
   with the heuristics off nothing decodes, and Decode As tcp.port gives
   the same messages as the heuristic;
 - as diagtap's own recording (the transcript's bytes replayed with -w):
   the exported PDUs open decoded with the same fields.
Also a session where the adapter speaks first: the side that connected
stays the client; and fixtures/sample.pcapng (a DAP session recorded
through diagtap's TCP proxy, beside SMB2 that Wireshark decodes itself)."""
import glob
import json
import os
import shutil
import socket
import struct

from wstest import SRCDIR, Session, check, compare, start_tcpdump, stop_tcpdump

MAGIC = b"DTTR1\n"


def read_transcript(path):
    """[(direction, bytes)]: 0 client to server, 1 back (tests/dap/transcript.py)."""
    data = open(path, "rb").read()
    check(data.startswith(MAGIC), path + " is not a transcript")
    pos, out = len(MAGIC), []
    while pos < len(data):
        d, _ns, n = struct.unpack_from(">BQI", data, pos)
        pos += 13
        out.append((d, data[pos:pos + n]))
        pos += n
    return out


def recv_exact(sock, n):
    b = b""
    while len(b) < n:
        chunk = sock.recv(n - len(b))
        check(chunk, "loopback connection closed early")
        b += chunk
    return b


def listener():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    return srv, srv.getsockname()[1]


s = Session()
tcpdump = None
try:
    fixtures = sorted(glob.glob(os.path.join(SRCDIR, "tests", "dap", "data", "*.bin")))
    check(fixtures, "no fixtures under tests/dap/data")
    # The adapter may speak first (debugpy's telemetry output events): the
    # client is still the side that connected.
    def frame(o):
        b = json.dumps(o).encode()
        return b"Content-Length: %d\r\n\r\n" % len(b) + b
    server_first = [(1, frame({"seq": 1, "type": "event", "event": "output",
                               "body": {"category": "telemetry", "output": "adapter"}})),
                    (0, frame({"seq": 1, "type": "request", "command": "initialize",
                               "arguments": {"clientID": "ide", "adapterID": "x"}})),
                    (1, frame({"seq": 2, "type": "response", "request_seq": 1, "success": True,
                               "command": "initialize", "body": {}}))]
    for fx in fixtures + ["server-first"]:
        name = os.path.basename(fx)[:-4] if fx.endswith(".bin") else fx
        proto = "lsp" if "clangd" in name else "dap"
        records = read_transcript(fx) if fx.endswith(".bin") else server_first
        check(len(records) >= 3, "%s: only %d records" % (fx, len(records)))

        srv, port = listener()
        pcap = s.path(name + "-tcp.pcap")
        tcpdump = start_tcpdump(pcap, "tcp port %d" % port)
        cli = socket.create_connection(("127.0.0.1", port))
        peer, _ = srv.accept()
        for d, data in records:
            tx, rx = (cli, peer) if d == 0 else (peer, cli)
            tx.sendall(data)
            recv_exact(rx, len(data))
        cli.close()
        peer.close()
        srv.close()
        stop_tcpdump(tcpdump)
        tcpdump = None
        s.readable(name + "-tcp.pcap")
        n, nf = compare(s, pcap, [], [], {proto}, min_fields=5, two_pass=True)
        print("%s over TCP: %d %s events, %d fields equal" % (name, n, proto, nf))
        # Decode As instead of the Content-Length heuristic: the same messages.
        filt = "dap_dt" if proto == "dap" else proto
        def summaries(extra):
            return s.tshark(["-r", pcap, "-T", "fields", "-e", "diagtap.summary"] + extra).split("\n")
        heur = summaries([])
        off = ["--disable-heuristic", "dap_dt_tcp", "--disable-heuristic", "lsp_tcp"]
        check(not "".join(summaries(off)).strip(), "%s decoded with the TCP heuristics disabled" % name)
        check(summaries(off + ["-d", "tcp.port==%d,%s" % (port, filt)]) == heur,
              "%s: Decode As tcp.port==%d,%s differs from the heuristic" % (name, port, filt))

        c2s, s2c = s.path(name + ".c2s"), s.path(name + ".s2c")
        with open(c2s, "wb") as a, open(s2c, "wb") as b:
            for d, data in records:
                (a if d == 0 else b).write(data)
        rec = s.path(name + ".pcapng")
        s.diagtap(["replay", "--raw-in", c2s, "--raw-out", s2c, "-d", proto, "-w", rec])
        s.readable(name + ".pcapng")
        n2, nf2 = compare(s, rec, [], [], {proto}, min_fields=5)
        check(n2 == n, "%s: %d events recorded, %d over TCP" % (name, n2, n))
        print("%s recording: %d events, %d fields equal" % (name, n2, nf2))

    # The bundled sample: SMB2 captured off the network (Wireshark's own SMB2
    # decodes it) and a DAP session recorded through `diagtap proxy tcp`.
    sample = os.path.join(SRCDIR, "fixtures", "sample.pcapng")
    check(os.path.exists(sample), "fixtures/sample.pcapng is missing")
    if True:
        shutil.copy(sample, s.path("sample.pcapng"))
        s.readable("sample.pcapng")
        n, nf = compare(s, s.path("sample.pcapng"), [], [], {"dap"}, min_fields=10, two_pass=True)
        # The SMB2 server ran on a private port: with it decoded as NetBIOS
        # session service, Wireshark's own SMB2 and DCE/RPC take the frames,
        # and no diagtap protocol claims any of them.
        syn = s.tshark(["-r", s.path("sample.pcapng"), "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0",
                        "-T", "fields", "-e", "tcp.dstport"]).split()
        check(syn, "no TCP connection in the sample")
        protos = s.tshark(["-r", s.path("sample.pcapng"), "-d", "tcp.port==%s,nbss" % syn[0], "-Y", "tcp",
                           "-T", "fields", "-e", "frame.protocols", "-e", "diagtap.summary"])
        check(":smb2" in protos, "Wireshark's SMB2 does not decode the sample's SMB2 frames")
        check(all(len(l.split("\t")) < 2 or not l.split("\t")[1] for l in protos.splitlines()),
              "a diagtap protocol claims SMB2 frames")
        print("fixtures/sample.pcapng: %d DAP events, %d fields equal; SMB2 by Wireshark" % (n, nf))
finally:
    if tcpdump and tcpdump.poll() is None:
        tcpdump.kill()
    s.close()
