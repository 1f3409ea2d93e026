"""Decryption in the Windows build (crypto/crypto_bcrypt.c: Windows CNG, with
diagtap's own RC4, AES-CCM and AES-CMAC): diagtap.exe under wine replays
captures whose decoding needs decryption and must print exactly the Linux
build's (libgcrypt's) JSON timeline, raw bytes included (-V):

- KDNET: the corpus capture (windbg-uncut.pcapng.gz) with its key: AES-256-CBC,
  HMAC-SHA256, SHA-256 of the data-channel key; all 955 packets verified;
- WinRM with NTLM message encryption: pywinrm against tests/winrm's server,
  captured on loopback by the Linux build, replayed with the password
  (MD4, HMAC-MD5, RC4 sealing); and with a wrong password (every sealed
  message a signature mismatch). Not run while the Windows build lacks the
  http and wsman dissectors (http-parser, expat); NTLM sealing itself is
  checked under wine by win_auth_nlmp (the MS-NLMP vectors' sealed message);
- SMB3 encryption: a real smbd requiring encryption (tests/smb2's
  make-smb-sample.sh SMB_ENCRYPT=1: SMB 3.1.1 with AES-128/256-GCM and
  AES-128/256-CCM, SMB 3.0 with AES-128-CCM), replayed with the password
  (SP800-108 KDF, SHA-512 preauth hash, GCM through CNG, CCM our own).

Each part needs its inputs (the corpus; python3-winrm; samba); a part
without them says so, and the test is skipped (77) only when no part ran.
The Linux build is the reference: without it the test is skipped."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "winrm"))
import dtcorpus  # noqa: E402  (tests/common)
from wintest import DIAGTAP, SRCDIR, boot, check, linux_diagtap, skip, winpath, WINE, env  # noqa: E402


def replay_both(lin, cap, args):
    """The Windows and the Linux build's JSON events of one replay, input names dropped."""
    def events(text):
        out = []
        for line in text.splitlines():
            if line.strip():
                ev = json.loads(line)
                ev.pop("input", None)
                out.append(ev)
        return out
    w = subprocess.run([WINE, DIAGTAP, "replay", winpath(cap), "-T", "json", "-V"] + args, env=env(),
                       capture_output=True, timeout=600)
    check(w.returncode == 0, "diagtap.exe replay %s: exit %d: %s" % (cap, w.returncode, w.stderr.decode()[-500:]))
    l = subprocess.run([lin, "replay", cap, "-T", "json", "-V"] + args, capture_output=True, timeout=600)
    check(l.returncode == 0, "Linux replay %s: %s" % (cap, l.stderr.decode()[-500:]))
    return events(w.stdout.decode("utf-8").replace("\r\n", "\n")), events(l.stdout.decode("utf-8"))


def same(label, got, want):
    """Event by event, naming the first difference."""
    if got == want:
        return
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            check(False, "%s: event %d differs from the Linux build's:\n  win   %s\n  linux %s"
                  % (label, i, a.get("summary"), b.get("summary")))
    check(False, "%s: %d events, the Linux build %d" % (label, len(got), len(want)))


def kdnet(lin):
    cap = dtcorpus.path("kdnet", "windbg-uncut.pcapng.gz")
    if not os.path.exists(cap):
        return "KDNET: corpus not found at %s" % cap
    got, want = replay_both(lin, cap, ["--kdnet-key", "8.8.8.8", "--show-credentials"])
    same("KDNET", got, want)
    pkts = [e for e in got if e["proto_name"] == "kdnet" and e["kind"] == "pdu" and e["raw_len"] > 0]
    verified = [e for e in pkts if e["fields"].get("kdnet.decryption") == "verified"]
    check(len(pkts) == 955 and len(verified) == 955, "KDNET: %d of %d packets verified, not 955" % (len(verified), len(pkts)))
    check(any("kdnet.data_key" in e["fields"] for e in got), "KDNET: no data-channel key derived")
    return None


def winrm(lin, tmp):
    recording = ("winrm", "pypsrp-responses", "test_client_execute_cmd.yml")
    if not dtcorpus.have(*recording):
        return "WinRM: corpus not found at %s" % dtcorpus.path(*recording)
    if subprocess.run(["/usr/bin/python3", "-c", "import winrm, yaml"], capture_output=True).returncode:
        return "WinRM: /usr/bin/python3 cannot import winrm and yaml (python3-winrm, python3-yaml)"
    d = subprocess.run([WINE, DIAGTAP, "dissectors"], env=env(), capture_output=True, timeout=120).stdout.decode()
    if not any(line.split()[:1] == ["http"] for line in d.splitlines()):
        # WinRM's HTTP (http-parser) and WS-Man (expat) dissectors are not in
        # the Windows build yet (docs/windows.md): NTLM sealing's carrier is missing
        return "WinRM: diagtap.exe has no http dissector (http-parser and expat are not in the Windows build)"
    import test_pywinrm as tw  # tests/winrm: its server, client and capture helpers
    cnf = os.path.join(tmp, "openssl-legacy.cnf")  # MD4 for NTLM in the server and in pywinrm
    with open(cnf, "w") as f:
        f.write(tw.LEGACY_CNF)
    penv = dict(os.environ, OPENSSL_CONF=cnf)
    pcap = os.path.join(tmp, "winrm-ntlm.pcapng")
    try:
        server = tw.Server(tmp, "ntlm", "ntlm", penv)
        cap = subprocess.Popen([lin, "capture", "-i", "lo", "-f", "tcp port %d" % server.port, "-w", pcap, "-q"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        tw.procs.append(cap)
        check(tw.wait_capturing(cap), "WinRM: the Linux build's capture -i lo did not start")
        res = tw.client(server.port, "ntlm", tw.PASSWORD, penv)
        time.sleep(0.5)
        cap.send_signal(signal.SIGINT)
        cap.wait(timeout=20)
        server.stop()
    finally:
        tw.cleanup()
    check(res.get("ok") and "Volume in drive C" in res.get("stdout", ""), "WinRM: pywinrm over NTLM failed: %s" % res)

    creds = "%s:%s" % (tw.USER, tw.PASSWORD)
    got, want = replay_both(lin, pcap, ["--ntlm-password", creds])
    same("WinRM NTLM", got, want)
    sealed = [e for e in got if e["proto_name"] == "http" and "sealed (NTLM)" in e["summary"]]
    bodies = [e for e in got if e["proto_name"] == "wsman" and e["kind"] == "pdu"]
    check(len(sealed) >= 6 and all("bytes unsealed" in e["summary"] for e in sealed),
          "WinRM: %d sealed messages, not all unsealed" % len(sealed))
    check(len(bodies) == len(sealed) and [b for _, b in server.bodies()] ==
          [bytes.fromhex(e.get("raw", "")) for e in bodies], "WinRM: the unsealed bodies are not the server's")
    check(any("exit code 0" in e["summary"] for e in bodies), "WinRM: the decrypted Receive shows no exit code")

    got, want = replay_both(lin, pcap, ["--ntlm-password", creds.replace(":", ":wrong-", 1)])
    same("WinRM NTLM, wrong password", got, want)
    sealed = [e for e in got if e["proto_name"] == "http" and "sealed (NTLM)" in e["summary"]]
    check(sealed and all("signature mismatch (wrong password?)" in e["summary"] for e in sealed),
          "WinRM, wrong password: not every sealed message says signature mismatch")
    return None


def smb3(lin, tmp):
    if not shutil.which("smbd"):
        return "SMB3: smbd not installed (samba)"
    cap = os.path.join(tmp, "smb3-encrypted.pcapng")
    port = 21000 + (os.getpid() + 7) % 20000
    password = "Diagtap-Win-Enc-3"
    senv = dict(os.environ, SMB_PORT=str(port), SMB_ENCRYPT="1", SMB_PASS=password, DIAGTAP=lin)
    r = subprocess.run([os.path.join(SRCDIR, "tests", "smb2", "make-smb-sample.sh"), cap], env=senv,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=200)
    check(r.returncode == 0, "SMB3: make-smb-sample.sh SMB_ENCRYPT=1 failed:\n" + r.stdout[-2000:])
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    got, want = replay_both(lin, cap, ["-d", "%d=smb2" % port, "--ntlm-password", "%s:%s" % (user, password)])
    same("SMB3", got, want)
    smb = [e for e in got if e["proto_name"] == "smb2" and e["kind"] == "pdu"]
    dec = [e for e in smb if e["fields"].get("smb2.header.transform.decrypted")]
    left = [e for e in smb if "SMB3 encrypted" in e["summary"]]
    check(len(dec) > 100 and not left, "SMB3: %d messages decrypted, %d left encrypted" % (len(dec), len(left)))
    negs = " ".join(e["summary"] for e in smb if e["summary"].startswith("NEGOTIATE") and e["role"] == "response")
    for alg in ("AES-128-GCM", "AES-128-CCM", "AES-256-GCM", "AES-256-CCM"):
        check("SMB 3.1.1, " + alg in negs, "SMB3: no session negotiated %s" % alg)
        check(any("known-%s.txt" % alg in e["summary"] and e["summary"].startswith("READ") and e["role"] == "response"
                  for e in dec), "SMB3: the READ of known-%s.txt is not decrypted" % alg)
    return None


def main():
    boot()
    lin = linux_diagtap()
    if not lin:
        skip("no Linux build to compare with (DIAGTAP_LINUX)")
    tmp = tempfile.mkdtemp(prefix="dt-win-decrypt-", dir="/tmp")
    ran, skipped = [], []
    try:
        for name, part in (("KDNET", lambda: kdnet(lin)), ("WinRM NTLM", lambda: winrm(lin, tmp)),
                           ("SMB3", lambda: smb3(lin, tmp))):
            why = part()
            if why:
                print("not run: " + why, flush=True)
                skipped.append(why)
            else:
                print("ok: %s: the Windows build's decrypted timeline equals the Linux build's" % name, flush=True)
                ran.append(name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not ran:
        skip("; ".join(skipped))
    print("ok: %s identical to Linux%s" % (", ".join(ran), " (not run: %d)" % len(skipped) if skipped else ""))


if __name__ == "__main__":
    main()
