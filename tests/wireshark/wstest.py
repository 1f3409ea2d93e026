"""Shared helpers of the Wireshark plugin tests.

tshark loads plugins from the personal directory only when it does not run
as root, so every tshark here runs as 'nobody' with HOME set to a private
directory holding .local/lib/wireshark/plugins/X.Y/epan/diagtap.so.
"""
import collections
import glob
import ipaddress
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DIAGTAP = os.environ.get("DIAGTAP", "")
PLUGIN = os.environ.get("DIAGTAP_WS_PLUGIN", "")
EXTCAP = os.environ.get("DIAGTAP_WS_EXTCAP", "")
import dtcorpus  # noqa: E402  (tests/common, on PYTHONPATH)
CORPUS = dtcorpus.CORPUS
SRCDIR = os.environ.get("DIAGTAP_SRCDIR", "")

# Wireshark's own dissectors decode these; the plugin leaves them alone.
LEFT_TO_WIRESHARK = {"smb2", "dcerpc", "http", "auth", "tls", "conv"}


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def ws_version():
    out = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"(\d+)\.(\d+)\.\d+", out)
    check(m is not None, "cannot tell tshark's version from: " + out[:200])
    return "%s.%s" % (m.group(1), m.group(2))


def sanitizer_preload(path):
    """The sanitizer runtimes a sanitized plugin needs, to preload into tshark."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    libs = re.findall(r"=>\s*(\S*lib(?:asan|ubsan)\S*\.so\S*)", out)
    return ":".join(libs)


class Session:
    """A private HOME with the plugin (and extcap) installed, and a temp dir
    that 'nobody' can read."""

    def __init__(self):
        check(DIAGTAP and os.access(DIAGTAP, os.X_OK), "DIAGTAP is not an executable: %r" % DIAGTAP)
        check(PLUGIN and os.path.exists(PLUGIN), "plugin not built: %r" % PLUGIN)
        check(shutil.which("tshark") is not None, "tshark is not installed (Debian package tshark)")
        self.tmp = tempfile.mkdtemp(prefix="dtws-")
        os.chmod(self.tmp, 0o755)
        self.home = os.path.join(self.tmp, "home")
        epan = os.path.join(self.home, ".local/lib/wireshark/plugins", ws_version(), "epan")
        os.makedirs(epan)
        shutil.copy(PLUGIN, os.path.join(epan, "diagtap.so"))
        self.extcap_dir = os.path.join(self.home, ".local/lib/wireshark/extcap")
        os.makedirs(self.extcap_dir)
        if EXTCAP:
            shutil.copy(EXTCAP, os.path.join(self.extcap_dir, "diagtap-extcap"))
        for root, dirs, files in os.walk(self.tmp):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o755)
        # tshark runs as nobody, and so do the diagtap proxies its extcap
        # starts: a copy of the executable nobody can reach, wherever the
        # build directory is.
        self.diagtap_copy = os.path.join(self.tmp, "bin", "diagtap")
        os.makedirs(os.path.dirname(self.diagtap_copy))
        shutil.copy(DIAGTAP, self.diagtap_copy)
        os.chmod(os.path.dirname(self.diagtap_copy), 0o755)
        os.chmod(self.diagtap_copy, 0o755)
        self.preload = sanitizer_preload(PLUGIN)

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def readable(self, name):
        p = self.path(name)
        if os.path.exists(p):
            os.chmod(p, 0o644)
        return p

    def tshark_cmd(self, args):
        env = ["env", "HOME=" + self.home, "WIRESHARK_EXTCAP_DIR=" + self.extcap_dir]
        if self.preload:
            env += ["LD_PRELOAD=" + self.preload, "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1",
                    "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1"]
        env += ["DIAGTAP=" + self.diagtap_copy]
        prefix = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            prefix = ["setpriv", "--reuid=%d" % nobody.pw_uid, "--regid=%d" % nobody.pw_gid, "--clear-groups"]
        return prefix + env + ["tshark"] + list(args)

    def tshark(self, args, timeout=120, ok=True):
        cmd = self.tshark_cmd(args)
        r = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout, cwd=self.tmp)
        if ok and r.returncode != 0:
            fail("tshark %s exited %d:\n%s" % (" ".join(args), r.returncode, r.stderr[-3000:]))
        bad = [l for l in r.stderr.splitlines()
               if ("diagtap" in l.lower() or "ERROR" in l or "CRITICAL" in l) and "Running as user" not in l]
        check(not bad, "tshark complained:\n" + "\n".join(bad[:20]))
        return r.stdout

    def diagtap(self, args, timeout=120):
        r = subprocess.run([DIAGTAP] + list(args), capture_output=True, text=True, timeout=timeout, cwd=self.tmp)
        if r.returncode != 0:
            fail("diagtap %s exited %d:\n%s" % (" ".join(args), r.returncode, r.stderr[-3000:]))
        return r.stdout


def start_tcpdump(path, bpf):
    """tcpdump on loopback, returned once it is capturing."""
    check(os.geteuid() == 0, "capturing on loopback needs root (CI runs as root)")
    check(shutil.which("tcpdump") is not None, "tcpdump is not installed (Debian package tcpdump)")
    p = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-w", path, bpf], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    line = p.stderr.readline().decode(errors="replace")  # "tcpdump: listening on lo, ..."
    if "listening on" not in line:
        p.kill()
        fail("tcpdump did not start: " + line + p.stderr.read().decode(errors="replace")[-300:])
    return p


def stop_tcpdump(p):
    """Stops tcpdump once it has everything: libpcap hands packets over in
    blocks, at the latest after its 1 s timeout, and a block still open at
    SIGINT is lost (immediate mode instead drops packets under load)."""
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=10)[1].decode(errors="replace")
    m = re.search(r"(\d+) packets? dropped by kernel", err)
    check(not m or m.group(1) == "0", "tcpdump lost packets: " + err)


# ---- diagtap's JSON Lines and tshark's values, in one comparable form.

def diagtap_events(jsonl, protos):
    evs = []
    for line in jsonl.splitlines():
        if not line.strip():
            continue
        ev = json.loads(line)
        # Events with no bytes of their own (end-of-conversation summaries,
        # requests that never got a reply) belong to no frame.
        if ev.get("kind") in ("pdu", "error") and ev.get("proto_name") in protos and ev.get("raw_len"):
            evs.append(ev)
    return evs


def flatten(fields, out):
    """(abbrev, value) pairs of a diagtap JSON field object, depth first."""
    for key, val in fields.items():
        items = val if isinstance(val, list) else [val]
        for item in items:
            if isinstance(item, dict):
                if "value" in item:
                    out.append((key, item["value"]))
                flatten({k: v for k, v in item.items() if k != "value"}, out)
            elif item is not None:
                out.append((key, item))
    return out


# diagtap's type names (diagtap fields) and the Wireshark types they map to.
FT = {"bool": "FT_BOOLEAN", "uint8": "FT_UINT8", "uint16": "FT_UINT16", "uint32": "FT_UINT32",
      "uint64": "FT_UINT64", "int32": "FT_INT32", "int64": "FT_INT64", "double": "FT_DOUBLE",
      "string": "FT_STRING", "bytes": "FT_BYTES", "guid": "FT_GUID", "ipv4": "FT_IPv4", "ipv6": "FT_IPv6",
      "abstime": "FT_ABSOLUTE_TIME", "reltime": "FT_RELATIVE_TIME", "none": "FT_NONE", "label": "FT_NONE"}


def field_types(session):
    """abbrev -> Wireshark field type, from diagtap's own field tables."""
    types = {}
    for line in session.diagtap(["fields"]).splitlines():
        cols = line.split()
        if len(cols) >= 2 and "." in cols[0] and cols[1] in FT:
            types[cols[0]] = FT[cols[1]]
    return types


def norm(value, ftype):
    """A value as diagtap's JSON or tshark's -T json prints it, made comparable."""
    if ftype == "FT_BOOLEAN":
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("1", "true")
    if ftype.startswith("FT_UINT") or ftype.startswith("FT_INT"):
        return int(str(value), 0)
    if ftype in ("FT_DOUBLE", "FT_FLOAT", "FT_RELATIVE_TIME"):
        return round(float(value), 6)
    if ftype == "FT_BYTES":  # a redacted key: diagtap's JSON says <redacted>, tshark <MISSING> or nothing
        v = str(value).replace(":", "").lower()
        return "" if v in ("<missing>", "<redacted>") else v
    if ftype in ("FT_IPv4", "FT_IPv6"):
        return str(ipaddress.ip_address(str(value)))
    if ftype == "FT_GUID":
        return str(value).lower()
    return str(value)


# Types whose text forms differ between the two (time zones and layouts).
NOT_COMPARED = {"FT_NONE", "FT_ABSOLUTE_TIME", "FT_PROTOCOL"}


def compare(session, capture, diagtap_args, tshark_args, protos, min_fields, two_pass=False):
    """Decodes capture with diagtap (-T json) and with tshark + the plugin,
    and checks that every field diagtap emits has the same values, the same
    number of times, in tshark, and that the summaries are the same in the
    same order. Returns (events, fields compared)."""
    evs = diagtap_events(session.diagtap(["replay", capture, "-T", "json"] + diagtap_args), protos)
    check(evs, "diagtap decoded no %s event from %s" % ("/".join(protos), capture))
    types = field_types(session)
    want = collections.defaultdict(list)
    for ev in evs:
        for abbrev, value in flatten(ev.get("fields") or {}, []):
            want[abbrev].append(value)
    compared = sorted(a for a in want if types.get(a) and types[a] not in NOT_COMPARED)
    # A field from outside every table (none expected) would show as text.
    missing = sorted(a for a in want if a not in types and a != "diagtap.malformed")
    check(not missing, "fields diagtap emits that are in no field table: %s" % missing)
    check(len(compared) >= min_fields,
          "only %d comparable fields in %s (want >= %d): %s" % (len(compared), capture, min_fields, compared))

    args = ["-r", capture, "-T", "json", "-e", "diagtap.summary", "-e", "diagtap.dir", "-e", "diagtap.response_to"]
    args += sum((["-e", a] for a in compared), [])
    if two_pass:
        args = ["-2"] + args
    frames = json.loads(session.tshark(args + tshark_args, timeout=300) or "[]")
    got = collections.defaultdict(list)
    for fr in frames:
        layers = fr.get("_source", {}).get("layers", {})
        for abbrev, values in layers.items():
            got[abbrev].extend(values)

    summaries = [ev["summary"] for ev in evs]
    check(got["diagtap.summary"] == summaries,
          "summaries differ (%d in diagtap, %d in tshark); first difference: %s" %
          (len(summaries), len(got["diagtap.summary"]), first_diff(summaries, got["diagtap.summary"])))
    dirs = [ev["dir"] for ev in evs]
    check(got["diagtap.dir"] == dirs, "directions differ: " + first_diff(dirs, got["diagtap.dir"]))
    n_rsp = sum(1 for ev in evs if ev.get("req_seq"))
    check(len(got["diagtap.response_to"]) == n_rsp,
          "%d responses paired in diagtap, %d in tshark" % (n_rsp, len(got["diagtap.response_to"])))
    for abbrev in compared:
        t = types[abbrev]
        a = collections.Counter(norm(v, t) for v in want[abbrev])
        b = collections.Counter(norm(v, t) for v in got[abbrev])
        if a != b:
            fail("%s (%s) differs in %s: diagtap-only %s, tshark-only %s" %
                 (abbrev, t, capture, list((a - b).items())[:5], list((b - a).items())[:5]))
    return len(evs), len(compared)


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "#%d diagtap %r, tshark %r" % (i, x, y)
    return "lengths %d vs %d" % (len(a), len(b))
