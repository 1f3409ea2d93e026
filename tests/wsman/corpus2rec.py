#!/usr/bin/python3
"""Turns a pypsrp-responses/*.yml file into wsman_feed records
([dir u8][length u32 BE][envelope]): each request then its response."""
import struct
import sys

import yaml


def records(path):
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    out = []
    for m in doc.get("messages") or []:
        for key, d in (("request", 0), ("response", 1)):
            body = m.get(key)
            if body and isinstance(body, str) and body.lstrip().startswith("<"):
                out.append((d, body.encode("utf-8")))
    return out


def write(recs, path):
    with open(path, "wb") as f:
        for d, b in recs:
            f.write(struct.pack(">BI", d, len(b)) + b)


if __name__ == "__main__":
    write(records(sys.argv[1]), sys.argv[2])
