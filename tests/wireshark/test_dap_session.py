"""A real DAP session (a scripted client and debugpy on loopback):
 - captured as TCP by tcpdump on a random port: the plugin's TCP heuristic
   finds DAP by its Content-Length framing, tcp_dissect_pdus reassembles
   with diagtap's framer, and every field equals `diagtap replay`'s;
 - recorded by diagtap itself (the session's raw bytes replayed with -w):
   exported-PDU records named "dap" open decoded, with the same fields."""
import json
import os
import signal
import subprocess
import time

import dap_session
from wstest import Session, check, compare, start_tcpdump, stop_tcpdump

s = Session()
tcpdump = None
proc = None
try:
    port = dap_session.free_port()
    pcap = s.path("dap-tcp.pcap")
    tcpdump = start_tcpdump(pcap, "tcp port %d" % port)
    proc, target = dap_session.start_debugpy(s.tmp, port)
    c2s, s2c = s.path("c2s.bin"), s.path("s2c.bin")
    dap_session.session(port, target, c2s, s2c)
    proc.wait(timeout=30)
    stop_tcpdump(tcpdump)
    s.readable("dap-tcp.pcap")

    for two_pass in (False, True):
        n, nf = compare(s, pcap, [], [], {"dap"}, min_fields=15, two_pass=two_pass)
    check(n >= 30, "only %d DAP events over TCP" % n)
    print("DAP over TCP: %d events, %d fields equal" % (n, nf))
    # Requests are linked to their replies both ways.
    out = s.tshark(["-2", "-r", pcap, "-Y", 'dap.command == "stackTrace" && diagtap.response_in', "-T", "fields",
                    "-e", "diagtap.response_in"])
    check(out.strip().isdigit(), "stackTrace request not linked to its response: %r" % out)

    rec = s.path("dap-rec.pcapng")
    s.diagtap(["replay", "--raw-in", c2s, "--raw-out", s2c, "-d", "dap", "-w", rec])
    s.readable("dap-rec.pcapng")
    names = set(s.tshark(["-r", rec, "-T", "fields", "-e", "exported_pdu.prot_name"]).split())
    check(names == {"dap"}, "recording names %s, not dap" % names)
    n2, nf2 = compare(s, rec, [], [], {"dap"}, min_fields=15)
    check(n2 == n, "%d events from the recording, %d from the TCP capture" % (n2, n))
    print("DAP recording: %d events, %d fields equal" % (n2, nf2))

    # A reply over 256 KiB: diagtap records it in several exported-PDU
    # records, the plugin puts them together again.
    big = json.dumps({"seq": 2, "type": "response", "request_seq": 1, "success": True, "command": "evaluate",
                      "body": {"result": "'" + "x" * 600000 + "'", "variablesReference": 0}}).encode()
    req = json.dumps({"seq": 1, "type": "request", "command": "evaluate",
                      "arguments": {"expression": "'x' * 600000", "context": "repl"}}).encode()
    after = json.dumps({"seq": 3, "type": "event", "event": "output",
                        "body": {"category": "console", "output": "done"}}).encode()
    with open(s.path("big-c2s.bin"), "wb") as f:
        f.write(b"Content-Length: %d\r\n\r\n" % len(req) + req)
    with open(s.path("big-s2c.bin"), "wb") as f:
        f.write(b"Content-Length: %d\r\n\r\n" % len(big) + big + b"Content-Length: %d\r\n\r\n" % len(after) + after)
    bigrec = s.path("dap-big.pcapng")
    s.diagtap(["replay", "--raw-in", s.path("big-c2s.bin"), "--raw-out", s.path("big-s2c.bin"), "-d", "dap",
               "-w", bigrec])
    s.readable("dap-big.pcapng")
    records = s.tshark(["-r", bigrec, "-T", "fields", "-e", "frame.len"]).split()
    check(len(records) >= 4, "the big reply was not split into records: %s" % records)
    n3, nf3 = compare(s, bigrec, [], [], {"dap"}, min_fields=5, two_pass=True)
    check(n3 == 3, "%d events from the split recording" % n3)
    print("DAP reply of %d bytes in %d records: %d events, %d fields equal" % (len(big), len(records) - 2, n3, nf3))
finally:
    for p in (tcpdump, proc):
        if p and p.poll() is None:
            p.kill()
    s.close()
