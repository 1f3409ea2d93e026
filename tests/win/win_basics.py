"""diagtap.exe under wine: --version lists the features and says Npcap is
missing in one line; replay of the repository's captures (pcapng, classic
pcap through diagtap's own reader, gzip) gives the Linux build's timeline;
capture without Npcap fails with one line saying how to get it; wrap of a
Windows child relays stdin to stdout byte for byte and exits with the
child's status."""
import gzip
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ipc"))
from ipctest import read_pcapng, tshark_reads  # noqa: E402
from wintest import (CHILD, DIAGTAP, SRCDIR, Workdir, boot, check, env, fail, linux_diagtap, winpath, WINE)


def wine(args, **kw):
    return subprocess.run([WINE] + args, env=env(), capture_output=True, timeout=120, **kw)


def same_events(a, b):
    """JSON timelines equal but for the input's name (a Windows path)."""
    def norm(text):
        out = []
        for line in text.splitlines():
            ev = json.loads(line)
            ev.pop("input", None)
            out.append(ev)
        return out
    return norm(a) == norm(b)


def main():
    boot()
    r = wine([DIAGTAP, "--version"])
    out = r.stdout.decode().replace("\r\n", "\n")
    check(r.returncode == 0 and out.startswith("diagtap "), "--version: %r %r" % (out, r.stderr))
    check("features: " in out and "proxy pipe" in out and "wrap" in out, "--version lists no features: " + out)
    # decryption through Windows CNG (crypto/crypto_bcrypt.c), and what is our own
    check("decryption (Windows CNG; own RC4, AES-CCM, AES-CMAC)" in out and "NO decryption" not in out,
          "--version does not name the CNG crypto backend: " + out)
    check("Npcap not installed" in out, "--version does not say Npcap is missing: " + out)
    # the Windows build has no http-parser/expat (docs/windows.md): said, not hidden
    check("NO http/winrm (built without http-parser)" in out and "NO wsman/psrp (built without expat)" in out,
          "--version does not say WinRM decoding is missing: " + out)

    r = wine([DIAGTAP, "capture", "-i", "eth0", "-c", "1"])
    err = r.stderr.decode().strip().splitlines()
    check(r.returncode != 0 and len(err) == 1 and "npcap.com" in err[0], "capture without Npcap: %r" % err)

    lin = linux_diagtap()
    with Workdir() as wd:
        sample = os.path.join(SRCDIR, "fixtures", "sample.pcapng")
        inputs = [sample, os.path.join(SRCDIR, "tests", "smb2", "smb-session.pcapng")]
        # classic pcap, micro- and nanosecond (own reader on Windows), and gzip
        pcap = os.path.join(wd.path, "sample.pcap")
        subprocess.run(["editcap", "-F", "pcap", inputs[1], pcap], check=True, capture_output=True)
        nsec = os.path.join(wd.path, "nbss.pcap")
        subprocess.run(["editcap", "-F", "nsecpcap", os.path.join(SRCDIR, "tests", "smb2", "smb-nbss139.pcapng"),
                        nsec], check=True, capture_output=True)
        with open(pcap, "rb") as f, gzip.open(pcap + ".gz", "wb") as g:
            g.write(f.read())
        inputs += [pcap, nsec, pcap + ".gz"]
        for path in inputs:
            r = wine([DIAGTAP, "replay", "-T", "json", winpath(path)])
            got = r.stdout.decode().replace("\r\n", "\n")
            check(r.returncode == 0 and got.count("\n") > 3, "replay %s: %s" % (path, r.stderr.decode()))
            if lin:
                want = subprocess.run([lin, "replay", "-T", "json", path], capture_output=True).stdout.decode()
                check(same_events(got, want), "replay %s differs from the Linux build's" % path)
        # a damaged classic pcap: one line naming the file and offset, what came before kept
        with open(pcap, "rb") as f:
            data = f.read()
        cut = os.path.join(wd.path, "cut.pcap")
        with open(cut, "wb") as f:
            f.write(data[:len(data) - 5])
        r = wine([DIAGTAP, "replay", winpath(cut)])
        err = r.stderr.decode().strip().splitlines()
        check(r.returncode != 0 and any("cut.pcap: offset" in l and "truncated record" in l for l in err),
              "truncated pcap: %r" % err)
        check(r.stdout.count(b"\n") > 3, "truncated pcap lost the events before the damage")

        # wrap: binary stdin (CR LF, ^Z, NUL) comes out of the child unchanged
        blob = bytes(range(256)) * 4096 + b"\r\n\x1a\r\r\n\n" * 1000
        src = os.path.join(wd.path, "in.bin")
        with open(src, "wb") as f:
            f.write(blob)
        with open(src, "rb") as stdin:
            r = subprocess.run([WINE, DIAGTAP, "wrap", "-w", winpath(os.path.join(wd.path, "wrap.pcapng")), "--",
                                CHILD, "7"], env=env(), stdin=stdin, capture_output=True, timeout=120)
        check(r.returncode == 7, "wrap exit status %d, not the child's 7: %s" % (r.returncode, r.stderr.decode()))
        check(hashlib.sha256(r.stdout).hexdigest() == hashlib.sha256(blob).hexdigest(),
              "wrap altered stdout: %d bytes in, %d out" % (len(blob), len(r.stdout)))
        tl = r.stderr.decode(errors="replace")
        check("stdio_child: done" in tl and "exited with status 7" in tl, "wrap timeline: " + tl[-500:])
        # -w: both directions recorded losslessly, read by tshark and the Linux build
        rec = os.path.join(wd.path, "wrap.pcapng")
        recorded = {"c2s": bytearray(), "s2c": bytearray()}
        read_pcapng(rec, lambda iface, d, chunk: recorded[d].extend(chunk))
        for d in ("c2s", "s2c"):
            check(bytes(recorded[d]) == blob, "wrap -w %s: %d bytes recorded of %d" % (d, len(recorded[d]), len(blob)))
        check(tshark_reads(rec) >= 2, "tshark sees no records in the wrap recording")
        if lin:
            r = subprocess.run([lin, "replay", "-T", "json", rec], capture_output=True)
            check(r.returncode == 0 and b'"stdio:stdio_child' in r.stdout,
                  "Linux replay of the wrap recording: " + r.stderr.decode())
        r = wine([DIAGTAP, "wrap", "--", "no-such-program-xyz.exe"])
        check(r.returncode == 127, "wrap of a missing program exited %d" % r.returncode)
    print("ok: --version, replay x%d identical to Linux%s, wrap byte-exact with status 7"
          % (len(inputs), "" if lin else " (no Linux build: not compared)"))


if __name__ == "__main__":
    main()
