"""Live capture on Windows through Npcap, under wine, with the Npcap test
double (tests/win/fake_wpcap.c: why it exists and what it is). In this
test's own WINEPREFIX: without Npcap, --version and capture -D say so in one
line; the double installed in C:\\windows\\system32\\Npcap (wpcap.dll and the
Packet.dll it imports), its exports are exactly what capture/live_npcap.c
resolves, --version reports it, capture -D lists its adapter; capture on
that adapter replays real captures (classic pcap in µs and ns, an adapter
with and without nanosecond time stamps) into the same JSON timeline as the
Linux build's replay of the same file, and its -w recording holds the same
packets for tshark and the Linux build; it stops on -c, on --duration and on
Ctrl+C with the timeline flushed; an unknown adapter and a filter the double
cannot evaluate fail in one line."""
import json
import os
import re
import shutil
import subprocess
import time

from wintest import (DIAGTAP, SRCDIR, Workdir, boot, check, env, fail, linux_diagtap, skip, winpath, WINE)

WPCAP = os.environ.get("FAKE_WPCAP", "")
PACKET = os.environ.get("FAKE_PACKET", "")


def wine(args, extra_env=None, timeout=120):
    e = env()
    e.update(extra_env or {})
    return subprocess.run([WINE] + args, env=e, capture_output=True, timeout=timeout)


def text(b):
    return b.decode(errors="replace").replace("\r\n", "\n")


def events(out):
    """The timeline without what names the source: the input and the
    channel are the file's name in replay and the adapter's in capture."""
    evs = []
    for line in out.splitlines():
        ev = json.loads(line)
        ev.pop("input", None)
        if isinstance(ev.get("conv"), dict):
            ev["conv"].pop("channel", None)
        evs.append(ev)
    return evs


def packets(path):
    """(time, length, captured length, MD5 of the bytes) of each packet, as tshark reads them."""
    r = subprocess.run(["tshark", "-r", path, "-o", "frame.generate_md5_hash:TRUE", "-T", "fields",
                        "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.md5_hash"],
                       capture_output=True, timeout=120)
    check(r.returncode == 0, "tshark -r %s: %s" % (path, text(r.stderr)))
    return [tuple(l.split("\t")) for l in text(r.stdout).splitlines() if l]


def resolved_names():
    """The calls capture/live_npcap.c takes from wpcap.dll (its SYM lines)."""
    with open(os.path.join(SRCDIR, "capture", "live_npcap.c")) as f:
        return set(re.findall(r'^\s*SYM\(\w+, "(\w+)"\)', f.read(), re.M))


def exported_names(dll):
    objdump = shutil.which("x86_64-w64-mingw32-objdump")
    if not objdump:
        return None
    out = subprocess.run([objdump, "-p", dll], capture_output=True, check=True).stdout.decode()
    table = out.split("[Ordinal/Name Pointer] Table", 1)[-1]
    return set(re.findall(r"^\s*\[\s*\d+\]\s+(\w+)$", table, re.M))


def main():
    if not WPCAP or not PACKET:
        skip("the Npcap test double was not built (needs libpcap's pcap.h, Debian's libpcap-dev)")
    # Wine ships its own builtin wpcap.dll (over the host's libpcap; 8.0's lacks
    # pcap_set_immediate_mode) and prefers it even to a native one loaded by
    # path: the double must be asked for by name.
    os.environ["WINEDLLOVERRIDES"] = "wpcap=n"
    boot()
    lin = linux_diagtap()
    npcap_dir = os.path.join(env()["WINEPREFIX"], "drive_c", "windows", "system32", "Npcap")
    shutil.rmtree(npcap_dir, ignore_errors=True)  # the prefix outlives a run: start without Npcap

    # --- no Npcap in this prefix
    r = wine([DIAGTAP, "--version"])
    check(r.returncode == 0 and "Npcap not installed" in text(r.stdout), "--version without Npcap: " + text(r.stdout))
    r = wine([DIAGTAP, "capture", "-D"])
    err = text(r.stderr).strip().splitlines()
    check(r.returncode == 1 and len(err) == 1 and "https://npcap.com" in err[0], "capture -D without Npcap: %r" % err)

    # --- the double installed where Npcap puts wpcap.dll and Packet.dll
    names = resolved_names()
    check(len(names) >= 10, "found only %d SYM lines in live_npcap.c" % len(names))
    exported = exported_names(WPCAP)
    if exported is None:
        print("NOTE: no x86_64-w64-mingw32-objdump: the export table is not compared")
    else:
        check(exported == names, "the double's exports differ from what live_npcap.c resolves: extra %s, missing %s"
              % (sorted(exported - names), sorted(names - exported)))
    os.makedirs(npcap_dir)
    shutil.copy(WPCAP, os.path.join(npcap_dir, "wpcap.dll"))
    shutil.copy(PACKET, os.path.join(npcap_dir, "Packet.dll"))

    r = wine([DIAGTAP, "--version"])
    out = text(r.stdout)
    # the version comes from wpcap.dll, which asks Packet.dll: both found, the double's, not wine's own wpcap
    check(r.returncode == 0 and "Npcap version 0.0-diagtap-test-double, based on libpcap" in out,
          "--version with the double installed: " + out + text(r.stderr))
    r = wine([DIAGTAP, "capture", "-D"])
    listed = text(r.stdout).strip().splitlines()
    check(r.returncode == 0 and len(listed) == 1, "capture -D: %r %s" % (listed, text(r.stderr)))
    m = re.match(r"^(\\Device\\NPF_\{[0-9A-F-]{36}\}) \((.+)\)$", listed[0])
    check(m is not None, "capture -D line not 'NAME (DESCRIPTION)' with an Npcap name: %r" % listed[0])
    adapter, description = m.group(1), m.group(2)

    with Workdir() as wd:
        us = os.path.join(wd.path, "smb-session.pcap")
        subprocess.run(["editcap", "-F", "pcap", os.path.join(SRCDIR, "tests", "smb2", "smb-session.pcapng"), us],
                       check=True, capture_output=True)
        ns = os.path.join(wd.path, "smb-nbss139.pcap")
        subprocess.run(["editcap", "-F", "nsecpcap", os.path.join(SRCDIR, "tests", "smb2", "smb-nbss139.pcapng"), ns],
                       check=True, capture_output=True)

        def capture(name, src, stop_args, fake_env=None, ctrl_c_after=None):
            """capture -T json -w on the adapter fed from src; the run's stdout, stderr and recording."""
            rec = os.path.join(wd.path, name + ".pcapng")
            e = {"DIAGTAP_FAKE_NPCAP_FILE": winpath(src)}
            e.update(fake_env or {})
            args = [DIAGTAP, "capture", "-i", adapter, "-T", "json", "-w", winpath(rec)] + stop_args
            if ctrl_c_after is None:
                r = wine(args, e, timeout=180)
                return r.returncode, text(r.stdout), text(r.stderr), rec
            done = os.path.join(wd.path, name + ".done")
            e["DIAGTAP_FAKE_NPCAP_DONE"] = winpath(done)
            p = wd.run(name, args, extra_env=e)
            end = time.time() + 120
            while not os.path.exists(done):  # the double has handed over its last packet
                if p.p.poll() is not None or time.time() > end:
                    fail("%s: the double never handed over its last packet: %s" % (name, p.text("err")))
                time.sleep(0.1)
            time.sleep(ctrl_c_after)  # and diagtap runs on a while, as a user's would
            check(p.p.poll() is None, "%s ended before Ctrl+C: %s" % (name, p.text("err")))
            rc = p.stop()
            return rc, p.text("out"), p.text("err"), rec

        def compare(name, src, rc, out, err, rec, outlived=False):
            want_pkts = packets(src)
            check(rc == 0, "%s: exit %d: %s" % (name, rc, err))
            last = err.strip().splitlines()[-1] if err.strip() else ""
            check(last == "diagtap: %d packets captured on %s, 0 dropped by the kernel" % (len(want_pkts), adapter),
                  "%s: final line %r" % (name, last))
            got = events(out)
            check(len(got) > 100, "%s: only %d events" % (name, len(got)))
            check(all(ev.get("input") == adapter for ev in map(json.loads, out.splitlines())),
                  "%s: events not named after the adapter" % name)
            late = 0
            if lin:
                want = events(subprocess.run([lin, "replay", "-T", "json", src], capture_output=True,
                                             check=True).stdout.decode())
                if outlived:
                    # A capture that runs on after the last packet reports a
                    # stream gap when its 2 s ACK wait runs out, replay when
                    # the file ends: the same event, stamped later.
                    for a, b in zip(got, want):
                        if (a != b and a["kind"] == b["kind"] == "error" and a["summary"] == b["summary"]
                                and a["summary"].startswith("missing ") and a["ts_ns"] > b["ts_ns"]
                                and dict(a, ts=0, ts_ns=0) == dict(b, ts=0, ts_ns=0)):
                            a["ts"], a["ts_ns"] = b["ts"], b["ts_ns"]
                            late += 1
                if got != want:
                    diff = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
                    fail("%s: capture's timeline differs from the Linux replay of %s at event %d of %d/%d:\n%s\n%s"
                         % (name, os.path.basename(src), diff, len(got), len(want),
                            got[diff] if diff < len(got) else None, want[diff] if diff < len(want) else None))
                # the recording read back by the Linux build: the same timeline again
                back = events(subprocess.run([lin, "replay", "-T", "json", rec], capture_output=True,
                                             check=True).stdout.decode())
                check(back == want, "%s: the Linux replay of the -w recording differs" % name)
            # and by tshark: the same packets, time stamps, lengths and bytes
            check(packets(rec) == want_pkts, "%s: tshark reads other packets in the recording" % name)
            r = subprocess.run(["tshark", "-r", rec, "-T", "fields", "-e", "frame.interface_name",
                                "-e", "frame.interface_description", "-c", "1"], capture_output=True)
            check(text(r.stdout).strip() == adapter + "\t" + description,
                  "%s: recorded interface %r" % (name, text(r.stdout)))
            return len(want_pkts), len(got), late

        n_us = len(packets(us))
        done = []
        # -c: microsecond file, nanosecond adapter
        done.append(compare("count", us, *capture("count", us, ["-c", str(n_us)])))
        # --duration and an empty filter (the one the double compiles): nanosecond file
        done.append(compare("duration", ns, *capture("duration", ns, ["--duration", "8", "-f", ""]), outlived=True))
        # Ctrl+C, an adapter without nanoseconds: timeline flushed, recording complete
        done.append(compare("ctrl_c", us, *capture("ctrl_c", us, [], {"DIAGTAP_FAKE_NPCAP_MICRO": "1"},
                                                   ctrl_c_after=3), outlived=True))

        # a filter the double cannot evaluate, an adapter it does not have: one line each
        e = {"DIAGTAP_FAKE_NPCAP_FILE": winpath(us)}
        r = wine([DIAGTAP, "capture", "-i", adapter, "-f", "tcp port 445", "-c", "1"], e)
        err = text(r.stderr).strip().splitlines()
        check(r.returncode == 1 and err == ["diagtap: capture filter 'tcp port 445': this Npcap test double cannot "
                                            "evaluate filters: only the empty filter compiles"],
              "an unevaluable filter: %r" % err)
        other = "\\Device\\NPF_{00000000-0000-0000-0000-000000000000}"
        r = wine([DIAGTAP, "capture", "-i", other, "-c", "1"], e)
        err = text(r.stderr).strip().splitlines()
        check(r.returncode == 1 and len(err) == 1 and err[0].startswith("diagtap: " + other + ": No such device")
              and "no adapter named" in err[0], "an unknown adapter: %r" % err)
    print("ok: Npcap missing then present (double: %d exports = live_npcap.c's), capture -D, "
          "-c/--duration/Ctrl+C runs of %s packets giving %s events%s (%s gaps stamped at the ACK wait's end); "
          "bad filter and adapter in one line"
          % (len(names), "/".join(str(d[0]) for d in done), "/".join(str(d[1]) for d in done),
             ", equal to the Linux replay" if lin else " (no Linux build: not compared)",
             "/".join(str(d[2]) for d in done)))


if __name__ == "__main__":
    main()
