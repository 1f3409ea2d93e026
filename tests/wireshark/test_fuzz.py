"""Bad input never breaks tshark with the plugin: the KDNET corpus, a DAP
recording, a .NET diagnostics recording and a nettrace recording, with
random bytes corrupted (editcap -E, fixed seeds) and cut short (editcap -s),
are dissected to the end with the full tree built on two passes, with no
dissector bug, crash or sanitizer report (the suite also runs with
ASan+UBSan)."""
import glob
import gzip
import json
import os
import shutil
import struct
import subprocess

import dotnet_fake
from wstest import CORPUS, Session, check

s = Session()
try:
    inputs = []
    kd = s.path("kdnet.pcapng")
    with gzip.open(os.path.join(CORPUS, "kdnet", "windbg-uncut.pcapng.gz")) as fi, open(kd, "wb") as fo:
        shutil.copyfileobj(fi, fo)
    inputs.append((kd, ["-o", "kdnet.key:8.8.8.8"]))

    c2s, s2c = bytearray(), bytearray()
    for i in range(1, 40):
        req = json.dumps({"seq": i, "type": "request", "command": "evaluate",
                          "arguments": {"expression": "x" * i, "frameId": i}}).encode()
        rsp = json.dumps({"seq": i, "type": "response", "request_seq": i, "success": i % 5 != 0,
                          "command": "evaluate", "message": "no frame" if i % 5 == 0 else None,
                          "body": {"result": str(i * i), "variablesReference": 0}}).encode()
        c2s += b"Content-Length: %d\r\n\r\n" % len(req) + req
        s2c += b"Content-Length: %d\r\n\r\n" % len(rsp) + rsp
    open(s.path("c2s.bin"), "wb").write(c2s)
    open(s.path("s2c.bin"), "wb").write(s2c)
    dap = s.path("dap.pcapng")
    r = subprocess.run([os.environ["DIAGTAP"], "replay", "--raw-in", s.path("c2s.bin"), "--raw-out", s.path("s2c.bin"),
                        "-d", "dap", "-w", dap], capture_output=True)
    check(r.returncode == 0, "diagtap could not record the DAP input: %s" % r.stderr[-500:])
    inputs.append((dap, []))
    # A .NET diagnostics conversation: ProcessInfo, then CollectTracing2 and
    # the EventPipe stream that follows its reply.
    c2s = dotnet_fake.msg(4, 0) + dotnet_fake.msg(2, 3, struct.pack("<IIBI", 256, 1, 1, 1) + struct.pack(
        "<QI", 0xffffffffffffffff, 5) + dotnet_fake.string("Microsoft-Windows-DotNETRuntime") + dotnet_fake.string(""))
    s2c = dotnet_fake.msg(0xff, 0, struct.pack("<Q", 4242) + bytes(range(16)) + dotnet_fake.string("app")
                          + dotnet_fake.string("Linux") + dotnet_fake.string("x64"))
    s2c += dotnet_fake.msg(0xff, 0, struct.pack("<Q", 0x7f00deadbeef)) + open(dotnet_fake.TRACE, "rb").read()
    open(s.path("dn.c2s"), "wb").write(c2s)
    open(s.path("dn.s2c"), "wb").write(s2c)
    dn = s.path("dotnet.pcapng")
    r = subprocess.run([os.environ["DIAGTAP"], "replay", "--raw-in", s.path("dn.c2s"), "--raw-out", s.path("dn.s2c"),
                        "-d", "dotnet_ipc", "-w", dn], capture_output=True)
    check(r.returncode == 0, "diagtap could not record the .NET input: %s" % r.stderr[-500:])
    inputs.append((dn, []))
    traces = sorted(glob.glob(os.path.join(CORPUS, "nettrace", "*6.0*.nettrace")))
    check(traces, "no nettrace 6.0 trace in the corpus")
    nt = s.path("nettrace.pcapng")
    r = subprocess.run([os.environ["DIAGTAP"], "replay", traces[0], "-w", nt], capture_output=True)
    check(r.returncode == 0 and os.path.getsize(nt) > 100, "diagtap could not record %s" % traces[0])
    inputs.append((nt, []))

    runs = 0
    for path, opts in inputs:
        variants = []
        for seed in (1, 2, 3, 4, 5):
            bad = path + ".E%d.pcapng" % seed
            subprocess.run(["editcap", "-E", "0.02", "--seed", str(seed), path, bad], check=True,
                           capture_output=True)
            variants.append(bad)
        cut = path + ".cut.pcapng"
        subprocess.run(["editcap", "-s", "70", path, cut], check=True, capture_output=True)
        variants.append(cut)
        for v in variants:
            os.chmod(v, 0o644)
            cmd = s.tshark_cmd(["-2", "-r", v, "-V"] + opts)
            r = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=300, cwd=s.tmp)
            check(r.returncode == 0, "tshark failed on %s (%d): %s" % (v, r.returncode, r.stderr[-2000:]))
            check("Dissector bug" not in r.stdout, "dissector bug on %s: %s" %
                  (v, [l for l in r.stdout.splitlines() if "Dissector bug" in l][:3]))
            check("AddressSanitizer" not in r.stderr and "runtime error" not in r.stderr,
                  "sanitizer report on %s:\n%s" % (v, r.stderr[-3000:]))
            runs += 1
    check(len(inputs) == 4 and runs == 6 * len(inputs), "ran %d variants of %d inputs" % (runs, len(inputs)))
    print("fuzz: %d corrupted or truncated captures dissected cleanly" % runs)
finally:
    s.close()
