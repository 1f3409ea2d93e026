#!/usr/bin/python3
"""docs/json-schema.md against what diagtap writes: every key the event table documents
is on every line of `diagtap replay fixtures/sample.pcapng -T json` (and of a cut copy, for
pending events), no undocumented key appears, each top-level value has the documented
JSON type, every `kind` is a documented one, and every field value has the JSON type the
Values table gives for the type `diagtap fields` declares."""
import json
import os
import re
import subprocess
import sys
import tempfile

src = os.environ["DIAGTAP_SRCDIR"]
diagtap = os.environ["DIAGTAP"]
doc = open(os.path.join(src, "docs", "json-schema.md"), encoding="utf-8").read()
problems = []

# the event table: | `key` | type | meaning |
section = doc.split("## The event object", 1)[1].split("## `fields`", 1)[0]
rows = re.findall(r"^\|\s*`([a-z_.]+)`\s*\|\s*([^|]+?)\s*\|", section, re.M)
documented = {k: t for k, t in rows}
# keys whose meaning starts "Only with `-V`" appear only then
optional = set(re.findall(r"^\|\s*`([a-z_]+)`\s*\|[^|]+\|\s*Only with", section, re.M))
top = {k for k in documented if "." not in k} - optional
conv_keys = {k.split(".", 1)[1] for k in documented if k.startswith("conv.")}
kinds = set(re.findall(r'`"(\w+)"`', section.split("| `kind`", 1)[1].split("\n", 1)[0]))
if len(top) < 15 or not conv_keys or not kinds:
    sys.exit("cannot read the event table of docs/json-schema.md")

PY = {"integer": int, "string": str, "boolean": bool, "object": dict}


def type_ok(doc_type, v):
    for alt in doc_type.split(" or "):
        alt = alt.strip()
        if alt == "null" and v is None:
            return True
        t = PY.get(alt)
        if t is int and isinstance(v, bool):
            continue
        if t and isinstance(v, t):
            return True
    return False


# the Values table: | `TYPE`, `TYPE` ... | JSON |
values = doc.split("### Values", 1)[1].split("### Large integers", 1)[0]
json_of = {}
for names, js in re.findall(r"^\|\s*(`[A-Z0-9_`, /a-z()]+?)\s*\|\s*([^\n]+)\|$", values, re.M):
    for n in re.findall(r"`([A-Za-z0-9_]+)`", names):
        json_of[n.lower()] = js
checks = {
    "bool": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "digits": lambda v: isinstance(v, str) and re.fullmatch(r"-?[0-9]+", v) is not None,
    "hex": lambda v: isinstance(v, str) and re.fullmatch(r"(?:[0-9a-f]{2})*", v) is not None,
    "string": lambda v: isinstance(v, str),
    "null": lambda v: v is None,
}


def check_for(js):
    if js.startswith("`true`"):
        return checks["bool"]
    if js.startswith("number"):
        return lambda v: v is None or checks["number"](v) if "null" in js else checks["number"](v)
    if js.startswith("**string** of decimal"):
        return checks["digits"]
    if "hex digits" in js:
        return checks["hex"]
    if js.startswith("string"):
        return checks["string"]
    if js.startswith("`null`"):
        return checks["null"]
    return None


fields = subprocess.run([diagtap, "fields"], capture_output=True, text=True, check=True).stdout
ftype = {}
for line in fields.splitlines():
    parts = line.split()
    if len(parts) >= 2 and "." in parts[0]:
        ftype[parts[0]] = parts[1]
for t in set(ftype.values()):
    if t not in json_of or not check_for(json_of[t]):
        problems.append("field type %r (from 'diagtap fields') is not in the Values table" % t)


def check_field(key, v, where):
    t = ftype.get(key)
    if t is None:
        problems.append("%s: field %s is not listed by 'diagtap fields'" % (where, key))
        return
    if isinstance(v, list):
        for x in v:
            check_field(key, x, where)
        return
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "value":
                check_value(key, t, x, where)
            else:
                check_field(k, x, where)
        return
    check_value(key, t, v, where)


def check_value(key, t, v, where):
    ok = check_for(json_of.get(t, "")) if t in json_of else None
    if ok and not ok(v):
        problems.append("%s: %s (%s) is %r" % (where, key, t, v))


sample = os.path.join(src, "fixtures", "sample.pcapng")
tmp = tempfile.mkdtemp(prefix="diagtap-schema-")
cut = os.path.join(tmp, "cut.pcapng")
data = open(sample, "rb").read()
open(cut, "wb").write(data[:len(data) - 1200])  # ends after a request: a pending event
seen_kinds = set()
n = 0
for path in (sample, cut):
    out = subprocess.run([diagtap, "replay", "-T", "json", path], capture_output=True, text=True).stdout
    for i, line in enumerate(out.splitlines()):
        where = "%s line %d" % (os.path.basename(path), i + 1)
        ev = json.loads(line)
        n += 1
        if set(ev) != top:
            problems.append("%s: keys %s / documented %s" % (where, sorted(set(ev) - top), sorted(top - set(ev))))
        for k in top & set(ev):
            if not type_ok(documented[k], ev[k]):
                problems.append("%s: %s is %r, documented %s" % (where, k, ev[k], documented[k]))
        if ev.get("conv") is not None:
            if set(ev["conv"]) != conv_keys:
                problems.append("%s: conv keys %s" % (where, sorted(ev["conv"])))
            for k in conv_keys & set(ev["conv"]):
                if not type_ok(documented["conv." + k], ev["conv"][k]):
                    problems.append("%s: conv.%s is %r" % (where, k, ev["conv"][k]))
        if ev.get("kind") not in kinds:
            problems.append("%s: kind %r is not documented" % (where, ev.get("kind")))
        seen_kinds.add(ev.get("kind"))
        for k, v in (ev.get("fields") or {}).items():
            check_field(k, v, where)
        if ev.get("kind") == "pending" and ev.get("req_seq") is None:
            problems.append("%s: a pending event without req_seq" % where)
if not {"pdu", "pending"} <= seen_kinds:
    problems.append("the inputs gave kinds %s only" % sorted(seen_kinds))
for p in problems[:30]:
    print(p)
if problems:
    sys.exit("%d problems" % len(problems))
print("%d events match docs/json-schema.md (%d documented keys, kinds %s)" % (n, len(documented), sorted(seen_kinds)))
