#!/usr/bin/python3
"""SMB3 decryption against a real Samba that requires encryption: records
SMB 3.1.1 sessions with each cipher (AES-128-GCM, AES-128-CCM, AES-256-GCM,
AES-256-CCM), an SMB 3.0 session (AES-128-CCM) and a denied share
(make-smb-sample.sh SMB_ENCRYPT=1), then decodes the capture with the
password (--ntlm-password, --ntlm-password-file, $DIAGTAP_NTLM_PASSWORD). Oracle: tshark given the same password (ntlmssp.nt_password, which
makes Wireshark derive the same keys independently) must see the same SMB2
messages inside the transform headers, per connection and direction, in
order. A wrong password: named once on each AUTHENTICATE, and every encrypted
message says "decryption failed (wrong password?)"; never a decrypted one."""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

DIAGTAP = os.environ["DIAGTAP"]
SRCDIR = os.environ["DIAGTAP_SRCDIR"]
SAMPLE = os.path.join(SRCDIR, "tests", "smb2", "make-smb-sample.sh")
PASSWORD = "Diagtap-Enc-Pass-7"

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(cmd):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def first(e, k):
    v = e["fields"].get(k)
    while isinstance(v, list):
        v = v[0] if v else None
    if isinstance(v, dict):
        v = v.get("value")
    return v


def events(cap, port, *opts, env=None):
    p = subprocess.run([DIAGTAP, "replay", cap, "-d", "%d=smb2" % port, "-T", "json"] + list(opts), check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    # Each line one event; a compound's parts are separate events.
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()], p.stdout + p.stderr


def tshark_view(cap, port):
    """tshark's (msg_id, cmd, response, nt_status) of every SMB2 message,
    decrypted ones included, per (client port, direction)."""
    out = run(["tshark", "-n", "-r", cap, "-d", "tcp.port==%d,nbss" % port, "-o", "ntlmssp.nt_password:" + PASSWORD,
               "-Y", "smb2", "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "smb2.msg_id",
               "-e", "smb2.cmd", "-e", "smb2.flags.response", "-e", "smb2.nt_status",
               "-e", "smb2.header.transform.msg_size"]).stdout
    want = collections.defaultdict(list)
    n_tf = 0
    for line in out.splitlines():
        sp, dp, mids, cmds, resps, sts, tf = (line.split("\t") + [""] * 7)[:7]
        if tf:
            n_tf += len(tf.split(","))
        if not mids:
            continue
        to_server = int(dp) == port
        client = sp if to_server else dp
        sts = sts.split(",") if sts else []
        si = 0
        for mid, cmd, rsp in zip(mids.split(","), cmds.split(","), resps.split(",")):
            is_resp = rsp in ("1", "True")
            st = None
            if is_resp:
                st = int(sts[si], 16)
                si += 1
            want[(client, "s2c" if is_resp else "c2s")].append((int(mid), int(cmd), is_resp, st))
    return want, n_tf


def main():
    if not shutil.which("smbd") or not shutil.which("tshark"):
        print("SKIP: smbd or tshark not installed")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="diagtap-smb3-test.")
    cap = os.path.join(tmp, "smb3-encrypted.pcapng")
    port = 21000 + os.getpid() % 20000
    env = dict(os.environ, SMB_PORT=str(port), SMB_ENCRYPT="1", SMB_PASS=PASSWORD)
    if subprocess.run([DIAGTAP, "capture", "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
        env.pop("DIAGTAP", None)  # dumpcap records
    r = subprocess.run([SAMPLE, cap], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=150)
    print(r.stdout)
    if r.returncode != 0:
        sys.exit("make-smb-sample.sh SMB_ENCRYPT=1 failed")
    user = run(["id", "-un"]).stdout.strip()

    evs, text = events(cap, port, "--ntlm-password", "%s:%s" % (user, PASSWORD))
    smb = [e for e in evs if e.get("proto_name") == "smb2" and e["kind"] == "pdu"]
    dec = [e for e in smb if first(e, "smb2.header.transform.decrypted")]
    enc_left = [e for e in smb if "SMB3 encrypted" in e["summary"]]
    check(len(dec) > 100 and not enc_left,
          "right password: %d messages decrypted, %d left encrypted" % (len(dec), len(enc_left)))
    check(PASSWORD not in text, "the password is not printed")
    negs = [e["summary"] for e in smb if e["summary"].startswith("NEGOTIATE") and e["role"] == "response"]
    for alg in ("SMB 3.1.1, AES-128-GCM", "SMB 3.1.1, AES-128-CCM", "SMB 3.1.1, AES-256-GCM",
                "SMB 3.1.1, AES-256-CCM", "SMB 3.0, encryption"):
        conns = {e["conv"]["client"] for e in smb if e["summary"].startswith("NEGOTIATE") and alg in e["summary"]}
        created = [e for e in dec if e["conv"]["client"] in conns and e["role"] == "response"
                   and (e["summary"].startswith("CREATE") or e["summary"].startswith("QUERY_DIRECTORY"))]
        check(conns and created, "%s: its CREATE/QUERY_DIRECTORY responses decrypted (%d)" % (alg, len(created)))
    for alg in ("AES-128-GCM", "AES-128-CCM", "AES-256-GCM", "AES-256-CCM"):
        got = [e for e in dec if e["role"] == "response" and "known-%s.txt" % alg in e["summary"]
               and e["summary"].startswith("READ") and "22 bytes" in e["summary"]]
        check(got, "%s: the READ of known-%s.txt (22 bytes) is visible" % (alg, alg))
    denied = [e for e in dec if e["summary"].startswith("TREE_CONNECT \\\\127.0.0.1\\secret")
              and e.get("status") == "STATUS_ACCESS_DENIED"]
    check(len(denied) == 1, "the denied share: TREE_CONNECT \\\\127.0.0.1\\secret → STATUS_ACCESS_DENIED inside encryption")
    missing = [e for e in dec if e.get("status") == "STATUS_OBJECT_NAME_NOT_FOUND" and "nosuch.txt" in e["summary"]]
    check(len(missing) == 4, "CREATE nosuch.txt → STATUS_OBJECT_NAME_NOT_FOUND in each 3.1.1 session (%d)" % len(missing))
    redacted = [first(e, "auth.session_key") for e in smb if "auth.session_key" in e["fields"]]
    check(redacted and all(v == "<redacted>" for v in redacted), "session keys redacted without --show-credentials")
    pwfile = os.path.join(tmp, "pw")
    with open(os.open(pwfile, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("%s:%s\n" % (user, PASSWORD))
    shown, _ = events(cap, port, "--ntlm-password-file", pwfile, "--show-credentials")
    keys = [first(e, "auth.session_key") for e in shown if "auth.session_key" in e["fields"]]
    check(keys and all(isinstance(k, str) and len(k.replace(":", "")) == 32 for k in keys),
          "--ntlm-password-file, --show-credentials: the 16-byte session keys shown (%d)" % len(keys))

    # Oracle: tshark with the same password, message by message.
    want, n_tf = tshark_view(cap, port)
    got = collections.defaultdict(list)
    for e in smb:
        if "smb2.cmd" not in e["fields"]:
            continue
        client = e["conv"]["client"].rsplit(":", 1)[1]
        resp = bool(e["fields"]["smb2.flags"]["smb2.flags.response"])
        st = first(e, "smb2.nt_status") if resp else None
        got[(client, e["dir"])].append((int(first(e, "smb2.msg_id")), first(e, "smb2.cmd"), resp, st))
    diffs = [k for k in set(want) | set(got) if want.get(k) != got.get(k)]
    for k in diffs[:3]:
        a, b = want.get(k, []), got.get(k, [])
        i = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        print("  %s: first difference at #%d: tshark %s, diagtap %s" % (k, i, a[i:i + 2], b[i:i + 2]))
    n_want = sum(len(v) for v in want.values())
    check(n_tf > 100 and not diffs, "tshark with the same password: all %d SMB2 messages agree on (msg_id, cmd, "
          "response, nt_status), %d inside transform headers" % (n_want, n_tf))

    # A wrong password.
    bad, text = events(cap, port, env=dict(os.environ, DIAGTAP_NTLM_PASSWORD="%s:not-the-password" % user))
    bsmb = [e for e in bad if e.get("proto_name") == "smb2" and e["kind"] == "pdu"]
    failed = [e for e in bsmb if e["summary"].endswith("decryption failed (wrong password?)")]
    auths = [e for e in bsmb if e["role"] == "request" and "NTLMSSP_AUTH" in e["summary"]]
    check(len(failed) == n_tf and not any(first(e, "smb2.header.transform.decrypted") for e in bsmb),
          "wrong password ($DIAGTAP_NTLM_PASSWORD): all %d encrypted messages say 'decryption failed (wrong password?)' (%d), none decrypted"
          % (n_tf, len(failed)))
    check(auths and all(e["summary"].endswith("(wrong password for WORKGROUP\\%s)" % user) for e in auths),
          "wrong password: named on each of the %d AUTHENTICATE messages" % len(auths))
    check("not-the-password" not in text, "the wrong password is not printed either")
    shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        sys.exit("%d checks failed" % len(failures))


if __name__ == "__main__":
    main()
