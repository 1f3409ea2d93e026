"""A .NET diagnostics session recorded by diagtap itself: a client speaking
the diagnostics IPC protocol (ProcessInfo, ProcessEnvironment, a failing
GenerateCoreDump, CollectTracing2 with the EventPipe stream that follows,
StopTracing) through `diagtap proxy unix -w` to a stand-in runtime that
answers as the runtime does and streams a real .nettrace from the corpus.
tshark with the plugin decodes the recording (one pcapng interface per
connection, exported PDUs named dotnet_ipc) to the same events and fields
as `diagtap replay` of it."""
import os
import signal
import socket
import subprocess
import threading
import time

from dotnet_fake import TRACE, runtime, session
from wstest import DIAGTAP, Session, check, compare, start_tcpdump, stop_tcpdump

s = Session()
proxy = tcpdump = None
stop = threading.Event()
try:
    check(os.path.exists(TRACE), "corpus trace missing: " + TRACE)
    target = s.path("dotnet-diagnostic-4242-1-socket")
    listen = s.path("tap.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(target)
    srv.listen(8)
    t = threading.Thread(target=runtime, args=(srv, stop), daemon=True)
    t.start()
    rec = s.path("dotnet.pcapng")
    proxy = subprocess.Popen([DIAGTAP, "proxy", "-w", rec, "unix", listen, target],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 10
    while not os.path.exists(listen) and time.time() < deadline:
        time.sleep(0.05)
    check(os.path.exists(listen), "the proxy did not listen")
    session(listen)
    time.sleep(0.3)
    proxy.send_signal(signal.SIGTERM)
    proxy.wait(timeout=20)
    check(proxy.returncode == 0, "proxy exit %d: %s" % (proxy.returncode, proxy.stderr.read().decode()[-500:]))
    s.readable("dotnet.pcapng")
    names = set(s.tshark(["-r", rec, "-T", "fields", "-e", "exported_pdu.prot_name"]).split())
    check("dotnet_ipc" in names, "the recording names %s" % names)
    n, nf = compare(s, rec, [], [], {"dotnet_ipc", "nettrace"}, min_fields=12)
    check(n >= 12, "only %d .NET IPC events" % n)
    out = s.tshark(["-2", "-r", rec, "-Y", "dotnet_ipc && diagtap.response_to", "-T", "fields", "-e", "diagtap.summary"])
    check("ProcessInfo" in out and "Error" in out, "responses not linked to requests:\n" + out)
    print(".NET IPC recording: %d events, %d fields equal" % (n, nf))

    # The same over TCP (a runtime configured with DOTNET_DiagnosticPorts on
    # a TCP address), captured by tcpdump: the DOTNET_IPC_V1 heuristic finds
    # it on any port and tcp_dissect_pdus frames it with diagtap's framer,
    # through the switch to EventPipe framing after CollectTracing2's reply.
    tsrv = socket.socket()
    tsrv.bind(("127.0.0.1", 0))
    tsrv.listen(8)
    port = tsrv.getsockname()[1]
    threading.Thread(target=runtime, args=(tsrv, stop), daemon=True).start()
    pcap = s.path("dotnet-tcp.pcap")
    tcpdump = start_tcpdump(pcap, "tcp port %d" % port)
    session(("127.0.0.1", port))
    stop_tcpdump(tcpdump)
    s.readable("dotnet-tcp.pcap")
    n2, nf2 = compare(s, pcap, [], [], {"dotnet_ipc", "nettrace"}, min_fields=12, two_pass=True)
    check(n2 == n, "%d events over TCP, %d in the recording" % (n2, n))
    print(".NET IPC over TCP: %d events, %d fields equal" % (n2, nf2))
    # The DOTNET_IPC_V1 heuristic is what finds it: off, nothing decodes;
    # Decode As tcp.port gives the same.
    def summaries(extra):
        return s.tshark(["-r", pcap, "-T", "fields", "-e", "diagtap.summary"] + extra).split("\n")
    heur = summaries([])
    off = ["--disable-heuristic", "dotnet_ipc_tcp", "--disable-heuristic", "nettrace_tcp"]
    left = [l for l in summaries(off) if l.strip()]
    check(not left, ".NET IPC decoded with its TCP heuristic disabled: %s" % left[:3])
    check(summaries(off + ["-d", "tcp.port==%d,dotnet_ipc" % port]) == heur,
          "Decode As tcp.port==%d,dotnet_ipc differs from the heuristic" % port)
finally:
    stop.set()
    for p in (proxy, tcpdump):
        if p and p.poll() is None:
            p.kill()
    s.close()
