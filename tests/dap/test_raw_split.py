#!/usr/bin/python3
"""Raw dump replay of a real DAP conversation split at every byte boundary.

`diagtap replay --raw-in C2S --raw-out S2C -d dap` reads each dump in 64 KiB
chunks, so a chunk boundary falls wherever a message crosses a multiple of
65536 in its file. The conversation (lldb-vscode-14's recorded session in
data/lldb.bin, reverse request and failing evaluate included; DIAGTAP_SPLIT
may name others) is padded with "filler" DAP events placed so that, in run
j, every message at least j+1 bytes long starts j bytes before a chunk
boundary. Over all runs every message of both directions is cut at every
offset (under sanitizers, DIAGTAP_SANITIZED=1, every offset of the first
128 bytes of each message, headers included, then every 7th: the
engine-level test in test_dap.c covers all offsets in-process there). Each
run's timeline, once the filler events are taken out, must
equal the timeline of the unpadded dumps: same events, summaries, fields,
pairing, latencies, notes and pending requests.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402
import transcript  # noqa: E402

CHUNK = 64 * 1024
FILLER_EVENT = "diagtap.filler"
HEAD = b"Content-Length: "
MTIME = {"c2s": 1_700_000_000_000_000_000, "s2c": 1_700_000_000_250_000_000}


def filler(n):
    """A DAP event of exactly n bytes, header included (n >= 128)."""
    pre = b'{"seq":0,"type":"event","event":"' + FILLER_EVENT.encode() + b'","body":{"pad":"'
    post = b'"}}'
    for digits in range(1, 8):
        body = n - len(HEAD) - 4 - digits
        if len(str(body)) == digits:
            break
    msg = HEAD + b"%d\r\n\r\n" % body + pre + b"x" * (body - len(pre) - len(post)) + post
    assert len(msg) == n, (len(msg), n)
    return msg


def padded(messages, j):
    """The dump with a filler before every message longer than j, so that
    the message's byte j is the first of a new chunk."""
    out = bytearray()
    for m in messages:
        if len(m) > j:
            f = (-(len(out) + j)) % CHUNK
            if f < 128:
                f += CHUNK
            out += filler(f)
        out += m
    return bytes(out)


def replay(wd, c2s, s2c):
    paths = {}
    for d, data in (("c2s", c2s), ("s2c", s2c)):
        paths[d] = os.path.join(wd, d + ".bin")
        with open(paths[d], "wb") as f:
            f.write(data)
        os.utime(paths[d], ns=(MTIME[d], MTIME[d]))
    r = subprocess.run([peers.DIAGTAP, "replay", "-T", "json", "--raw-in", paths["c2s"], "--raw-out", paths["s2c"],
                        "-d", "dap"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        peers.fail("diagtap replay exited %d: %s" % (r.returncode, r.stderr.decode(errors="replace")))
    return peers.read_jsonl(r.stdout.decode("utf-8"), from_text=True)


def view(events):
    """The timeline without filler events, event numbers renumbered, byte
    offsets in the dump (which the padding moves) left out."""
    kept = [e for e in events if peers.field(e["fields"], "dap.event") != FILLER_EVENT]
    renum = {e["seq"]: i for i, e in enumerate(kept)}
    out = []
    for e in kept:
        e = dict(e)
        e["seq"] = renum[e["seq"]]
        if e.get("req_seq") is not None:
            e["req_seq"] = renum.get(e["req_seq"], "filler!")
        e.pop("raw_offset", None)
        out.append(json.dumps(e, sort_keys=True))
    return out


def check_conversation(wd, name):
    recs = transcript.read(os.path.join(peers.HERE, "data", name))
    msgs = {"c2s": [d for k, _, d in recs if k == 0], "s2c": [d for k, _, d in recs if k == 1]}
    whole = view(replay(wd, b"".join(msgs["c2s"]), b"".join(msgs["s2c"])))
    decoded = [json.loads(e) for e in whole]
    pdus = [e for e in decoded if e["kind"] == "pdu"]
    if len(pdus) != len(recs) or any(e["malformed"] for e in pdus) or any(e["proto_name"] != "dap" for e in pdus):
        peers.fail("%s: the unsplit dumps do not decode as %d clean DAP messages" % (name, len(recs)))
    longest = max(len(m) for m in msgs["c2s"] + msgs["s2c"])
    sanitized = os.environ.get("DIAGTAP_SANITIZED", "") not in ("", "0")
    cuts = 0
    for j in range(longest):
        if sanitized and j >= 128 and j % 7:
            continue
        events = replay(wd, padded(msgs["c2s"], j), padded(msgs["s2c"], j))
        fillers = sum(1 for e in events if peers.field(e["fields"], "dap.event") == FILLER_EVENT)
        want = sum(1 for m in msgs["c2s"] + msgs["s2c"] if len(m) > j)
        if fillers != want:
            peers.fail("%s, cut at byte %d: %d filler events decoded, %d written" % (name, j, fillers, want))
        got = view(events)
        if got != whole:
            i = next((i for i in range(min(len(got), len(whole))) if got[i] != whole[i]), min(len(got), len(whole)))
            peers.fail("%s, every message cut at byte %d: timeline differs at event %d:\n  %s\nvs unsplit\n  %s"
                       % (name, j, i, got[i] if i < len(got) else None, whole[i] if i < len(whole) else None))
        cuts += want
    print("ok: %s, %d events, identical with each of its %d messages cut at %s (%d cuts)"
          % (name, len(whole), len(recs), "sampled offsets" if sanitized else "each of its bytes", cuts))


def main():
    wd = tempfile.mkdtemp(prefix="diagtap-rawsplit-")
    for name in os.environ.get("DIAGTAP_SPLIT", "lldb.bin").split(","):
        check_conversation(wd, name)
    shutil.rmtree(wd)


if __name__ == "__main__":
    main()
