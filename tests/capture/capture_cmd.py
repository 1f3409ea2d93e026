#!/usr/bin/python3
"""diagtap capture on loopback: a real exchange decoded live, the -w
recording read by tshark, stops on SIGINT, -c COUNT and --duration, errors
for a bad interface or filter; -D lists the interfaces."""
import atexit
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from captest import *  # noqa: E402,F401,F403

tmp = tempfile.mkdtemp(prefix="diagtap-capture-")
srv = listener()
port = port_of(srv)
rec = os.path.join(tmp, "live.pcapng")
base = [DIAGTAP, "capture", "-i", "lo", "--plugin-dir", PLUGIN_DIR, "-T", "json", "-d", "%d=lines" % port]


running = []


def start(*extra):
    p = subprocess.Popen(base + list(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    running.append(p)
    time.sleep(1.0)  # the capture is set up (no traffic is lost before: the exchange starts after)
    if p.poll() is not None:
        fail("capture exited early: %s" % (p.communicate()[1],))
    return p


def stop_all():
    for p in running:
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(stop_all)


# --- a live exchange, stopped by SIGINT, recorded with -w
p = start("-f", "tcp port %d" % port, "-w", rec)
exchange(srv, 10, bulk=3000)
time.sleep(0.5)
p.send_signal(signal.SIGINT)
out, err = p.communicate(timeout=20)
sanitizer_clean(err)
check(p.returncode == 0, "capture after SIGINT: rc %d: %s" % (p.returncode, err))
evs = events(out)
reqs = [e for e in evs if e["kind"] == "pdu" and e["summary"].startswith("line REQ")]
rsps = [e for e in evs if e["kind"] == "pdu" and e["summary"].startswith("line RSP")]
check(len(reqs) == 10 and len(rsps) == 10 and all(e["req_seq"] and e["latency_ns"] is not None for e in rsps),
      "live decode: %d requests, %d responses" % (len(reqs), len(rsps)))
check(all(e["dir"] == "c2s" for e in reqs) and reqs[0]["conv"]["server"] == "127.0.0.1:%d" % port, "live directions")
check(stat.S_IMODE(os.stat(rec).st_mode) == 0o600, "recording not 0600")
n_captured = int(err.split(" packets captured")[0].split()[-1])
tsh = subprocess.run(["tshark", "-r", rec, "-T", "fields", "-e", "tcp.dstport"], capture_output=True, text=True)
check(tsh.returncode == 0, "tshark cannot read the recording: " + tsh.stderr)
frames = tsh.stdout.split()
check(len(frames) == n_captured and len(frames) > 20, "tshark sees %d frames, diagtap captured %d" % (len(frames), n_captured))
check(str(port) in frames, "tshark: no frame to the server port")
# the recording replays to the same messages
rc, out2, err2 = diagtap("replay", "--plugin-dir", PLUGIN_DIR, "-T", "json", "-d", "%d=lines" % port, rec)
check(rc == 0, "replay of the recording: " + err2)
key = lambda es: [(e["dir"], e["kind"], e["summary"], e["ts_ns"]) for e in es]
check(key(events(out2)) == key(evs), "replaying the recording gives other events")

# --- the "any" pseudo-interface (Linux cooked headers), stopped by SIGTERM
srv3 = listener()
port3 = port_of(srv3)
p = subprocess.Popen([DIAGTAP, "capture", "-i", "any", "-f", "tcp port %d" % port3, "--plugin-dir", PLUGIN_DIR,
                      "-T", "json", "-d", "%d=lines" % port3], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
running.append(p)
time.sleep(1.0)
exchange(srv3, 3)
time.sleep(0.5)
p.send_signal(signal.SIGTERM)
out, err = p.communicate(timeout=20)
sanitizer_clean(err)
pdus = sorted(e["summary"] for e in events(out) if e["kind"] == "pdu" and not e["summary"].startswith("line DATA"))
check(p.returncode == 0 and pdus == sorted(["line REQ %d" % i for i in range(3)] + ["line RSP %d" % i for i in range(3)]),
      "-i any + SIGTERM: rc %d, %s, %s" % (p.returncode, pdus, err))

# --- -c COUNT stops by itself
srv2 = listener()
port2 = port_of(srv2)
p = start("-f", "tcp port %d" % port2, "-c", "5")
exchange(srv2, 5)
out, err = p.communicate(timeout=20)
check(p.returncode == 0 and "5 packets captured" in err, "-c 5: rc %d, %s" % (p.returncode, err))

# --- --duration with no traffic
t0 = time.time()
rc, out, err = diagtap("capture", "-i", "lo", "-f", "tcp port 9", "--duration", "1.5")
check(rc == 0 and 1.4 < time.time() - t0 < 10, "--duration: rc %d after %.1f s" % (rc, time.time() - t0))

# --- errors: one line, non-zero
rc, out, err = diagtap("capture", "-i", "nosuchif0")
check(rc != 0 and len(err.strip().splitlines()) == 1 and "nosuchif0" in err, "bad interface: %r" % err)
rc, out, err = diagtap("capture", "-i", "lo", "-f", "tcp port")
check(rc != 0 and "filter" in err and len(err.strip().splitlines()) == 1, "bad filter: %r" % err)
rc, out, err = diagtap("capture", "--help")
check(rc == 0 and "-i IFACE" in out and "--duration" in out, "capture --help")
# -D: what libpcap lists, loopback among them, one per line
rc, out, err = diagtap("capture", "-D")
check(rc == 0 and "lo" in [l.split(" (")[0] for l in out.splitlines()], "capture -D: %r %r" % (out, err))
shutil.rmtree(tmp)  # kept when a check fails, for a look
print("ok")
