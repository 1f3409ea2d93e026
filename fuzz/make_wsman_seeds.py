#!/usr/bin/python3
"""Seeds for fuzz_wsman and fuzz_psrp from the pypsrp corpus (generated, not
kept in git: the corpus stays outside the project).

  make_wsman_seeds.py CORPUS_DIR OUT_DIR   → OUT_DIR/wsman/*, OUT_DIR/psrp/*"""
import base64
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "wsman"))
import oracle  # noqa: E402

src, out = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(out, "wsman"), exist_ok=True)
os.makedirs(os.path.join(out, "psrp"), exist_ok=True)
for f in sorted(os.listdir(src)):
    if not f.endswith(".yml"):
        continue
    env = oracle.envelopes(os.path.join(src, f))
    if not env:
        continue
    open(os.path.join(out, "wsman", f[:-4]), "wb").write(b"\n\x01".join(b for _, b in env[:12]))
    payloads = [base64.b64decode(m) for _, b in env
                for m in re.findall(rb"(?:<creationXml[^>]*>|<rsp:Stream[^>]*>|<rsp:Arguments>)([A-Za-z0-9+/=]{30,})<", b)]
    if payloads:
        open(os.path.join(out, "psrp", f[:-4]), "wb").write(b"\n\x01".join(payloads[:20]))
