#!/usr/bin/python3
"""Bad input for the WS-Man and PSRP dissectors: an XML entity bomb, invalid
base64, truncated XML, missing PSRP fragments, garbage. Each gives a clear
note on its event (malformed, with what and where) and what follows still
decodes; nothing crashes.

usage: test_bad_input.py WSMAN_FEED"""
import base64
import json
import struct
import subprocess
import sys
import tempfile

FEED = sys.argv[1]
failures = []

HEAD = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
        'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">')
CMD_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
PS_URI = "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
SHELL_NS = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"


def request(action, mid, resource, body, shell="11111111-2222-3333-4444-555555555555"):
    return (HEAD + '<s:Header><a:Action>%s</a:Action><a:MessageID>uuid:%s</a:MessageID>'
            '<w:ResourceURI>%s</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">%s</w:Selector>'
            '</w:SelectorSet></s:Header><s:Body>%s</s:Body></s:Envelope>' % (action, mid, resource, shell, body))


def response(action, relates, body):
    return (HEAD + '<s:Header><a:Action>%s</a:Action><a:RelatesTo>uuid:%s</a:RelatesTo></s:Header>'
            '<s:Body>%s</s:Body></s:Envelope>' % (action, relates, body))


def receive(mid, resource=CMD_URI):
    return request(SHELL_NS + "/Receive", mid, resource,
                   '<rsp:Receive><rsp:DesiredStream CommandId="C0C0C0C0-0000-0000-0000-000000000001">stdout stderr'
                   '</rsp:DesiredStream></rsp:Receive>')


def receive_response(relates, streams, done=True):
    st = "".join('<rsp:Stream Name="%s" CommandId="C0C0C0C0-0000-0000-0000-000000000001">%s</rsp:Stream>' % s
                 for s in streams)
    if done:
        st += ('<rsp:CommandState CommandId="C0C0C0C0-0000-0000-0000-000000000001" '
               'State="%s/CommandState/Done"><rsp:ExitCode>3</rsp:ExitCode></rsp:CommandState>' % SHELL_NS)
    return response(SHELL_NS + "/ReceiveResponse", relates, "<rsp:ReceiveResponse>%s</rsp:ReceiveResponse>" % st)


def fragment(oid, fid, flags, blob):
    return struct.pack(">QQBI", oid, fid, flags, len(blob)) + blob


def psrp_message(mtype, clixml, pid=b"\x00" * 16):
    rpid = bytes.fromhex("11111111222233334444555555555555")
    return struct.pack("<II", 1, mtype) + rpid + pid + clixml.encode()


def run(recs):
    with tempfile.NamedTemporaryFile(suffix=".rec") as t:
        for d, b in recs:
            b = b.encode() if isinstance(b, str) else b
            t.write(bytes([d]) + len(b).to_bytes(4, "big") + b)
        t.flush()
        p = subprocess.run([FEED, t.name], capture_output=True, timeout=60)
    if p.returncode != 0:
        failures.append("wsman_feed exited %d: %s" % (p.returncode, p.stderr.decode()[-300:]))
    return [json.loads(line) for line in p.stdout.splitlines()]


def expect(cond, what):
    if not cond:
        failures.append(what)


def malformed_text(e):
    v = e["fields"].get("diagtap.malformed", [])
    return " | ".join(v if isinstance(v, list) else [v])


def after_ok(events, seq, what):
    """The event after seq decodes cleanly (the rest still decodes)."""
    later = [e for e in events if e["seq"] > seq and e["kind"] == "pdu"]
    expect(later and not later[0]["malformed"], "%s: the next message does not decode cleanly" % what)


# 1. An XML entity bomb: refused (no DTD support), named as such, not expanded.
bomb = ('<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY a "aaaaaaaaaa">'
        + "".join('<!ENTITY %s "%s">' % (chr(98 + i), ("&%s;" % chr(97 + i)) * 10) for i in range(9))
        + ']>' + HEAD + '<s:Header><a:Action>&j;</a:Action></s:Header><s:Body/></s:Envelope>')
ev = run([(0, bomb), (0, receive("B0B0B0B0-0000-0000-0000-000000000001"))])
e = ev[0]
expect(e["malformed"] and "document type declaration refused" in malformed_text(e),
       "entity bomb: no refusal note (%s)" % malformed_text(e))
expect(len(json.dumps(e)) < 4000, "entity bomb: the event is %d bytes (expanded?)" % len(json.dumps(e)))
after_ok(ev, e["seq"], "entity bomb")

# 2. Invalid base64 in a stdout stream: a note with the position, the rest of the stream decodes.
bad_b64 = base64.b64encode(b"hello ").decode() + "*!#" + base64.b64encode(b"world").decode()
ev = run([(0, receive("B0B0B0B0-0000-0000-0000-000000000002")),
          (1, receive_response("B0B0B0B0-0000-0000-0000-000000000002", [("stdout", bad_b64)])),
          (0, receive("B0B0B0B0-0000-0000-0000-000000000003"))])
e = ev[1]
expect("3 characters are not base64 (first at character 8)" in malformed_text(e),
       "invalid base64: note %r" % malformed_text(e))
expect(e["fields"].get("wsman.exit_code") == "3" or e["fields"].get("wsman.exit_code") == 3,
       "invalid base64: the exit code after the bad stream is lost")
st = e["fields"].get("wsman.stream", {})
expect(st.get("wsman.stream.text", "").startswith("hello "), "invalid base64: decoded text %r" % st)
expect(e["req_seq"] == ev[0]["seq"], "invalid base64: the reply is not paired with its Receive")
after_ok(ev, e["seq"], "invalid base64")

# 3. Truncated XML: a note with the offset; what came before the cut is kept.
whole = receive_response("B0B0B0B0-0000-0000-0000-000000000004",
                         [("stdout", base64.b64encode(b"partial output line\r\n" * 4).decode())])
cut = whole[: whole.index("</rsp:Stream>") - 8]
ev = run([(0, receive("B0B0B0B0-0000-0000-0000-000000000004")), (1, cut),
          (0, receive("B0B0B0B0-0000-0000-0000-000000000005"))])
e = ev[1]
expect(e["malformed"] and "XML:" in malformed_text(e) and ("at offset %d" % len(cut.encode())) in malformed_text(e),
       "truncated XML: note %r (cut at %d)" % (malformed_text(e), len(cut.encode())))
expect(e["fields"].get("wsman.action") == "ReceiveResponse" and e["req_seq"] == ev[0]["seq"],
       "truncated XML: header decoded before the cut is lost")
st = e["fields"].get("wsman.stream", {})
expect(st.get("wsman.stream.text", "").startswith("partial output line\r\n"), "truncated XML: stream so far %r" % st)
after_ok(ev, e["seq"], "truncated XML")

# 4. Missing PSRP fragments: object 5 starts, its fragment 1 never comes, fragment 2 (end) does;
#    object 6's start is missing; object 7 is whole and decodes.
msg = psrp_message(0x00041004, '<S>after the gap</S>', pid=bytes.fromhex("AAAAAAAA000000000000000000000001"))
big = psrp_message(0x00041004, "<S>%s</S>" % ("x" * 300))
p1 = fragment(5, 0, 1, big[:100])
p2 = fragment(5, 2, 2, big[200:]) + fragment(6, 3, 2, b"tail of an object whose start is missing") + fragment(7, 0, 3, msg)
recs = [(0, receive("B0B0B0B0-0000-0000-0000-000000000006", PS_URI)),
        (1, receive_response("B0B0B0B0-0000-0000-0000-000000000006", [("stdout", base64.b64encode(p1).decode())], done=False)),
        (0, receive("B0B0B0B0-0000-0000-0000-000000000007", PS_URI)),
        (1, receive_response("B0B0B0B0-0000-0000-0000-000000000007", [("stdout", base64.b64encode(p2).decode())], done=False))]
ev = run(recs)
ps = [e for e in ev if e["proto_name"] == "psrp"]
notes = " | ".join(malformed_text(e) for e in ps)
expect("object 5: fragment 2 came where 1 was expected" in notes, "missing fragments: %r" % notes)
expect("object 6 fragment 3: its start is missing" in notes, "missing start: %r" % notes)
expect(any(e["fields"].get("psrp.output") == "after the gap" and e["summary"].startswith("PIPELINE_OUTPUT [pipeline AAAAAAAA]")
           for e in ps), "missing fragments: the whole message after the gap is not decoded")
expect(any("fragment 0 of object 5" in e["summary"] for e in ps), "a partial object is not shown as waiting")

# 5. A truncated fragment header and a blob longer than what is left.
recs = [(0, receive("B0B0B0B0-0000-0000-0000-000000000008", PS_URI)),
        (1, receive_response("B0B0B0B0-0000-0000-0000-000000000008",
                             [("stdout", base64.b64encode(fragment(9, 0, 3, msg)[:60]).decode()),
                              ("stdout", base64.b64encode(b"\x00" * 10).decode())], done=False))]
ev = run(recs)
notes = " | ".join(malformed_text(e) for e in ev if e["proto_name"] == "psrp")
expect("claims" in notes and "PSRP fragment header truncated: 10 bytes at offset 0" in notes,
       "truncated fragments: %r" % notes)

# 5b. Empty fragments (a start with no bytes, then the rest) and an empty stream: still one message.
split = psrp_message(0x00041004, "<S>from an empty start</S>")
ev = run([(0, receive("B0B0B0B0-0000-0000-0000-00000000000B", PS_URI)),
          (1, receive_response("B0B0B0B0-0000-0000-0000-00000000000B",
                               [("stdout", ""), ("stdout", base64.b64encode(fragment(8, 0, 1, b"") + fragment(8, 1, 0, b"")
                                                                          + fragment(8, 2, 2, split)).decode())],
                               done=False))])
expect(any(e["fields"].get("psrp.output") == "from an empty start" and not e["malformed"] for e in ev),
       "empty fragments: the message is lost")

# 6. Garbage and an empty body: notes, no crash; the next envelope decodes.
ev = run([(0, b"\x00\xff garbage \x01"), (1, b""), (0, receive("B0B0B0B0-0000-0000-0000-000000000009"))])
expect(ev[0]["malformed"] and "XML:" in malformed_text(ev[0]), "garbage: %r" % malformed_text(ev[0]))
after_ok(ev, ev[1]["seq"], "garbage")

# 7. A CLIXML payload with a DTD inside PSRP: refused too.
evil = psrp_message(0x00041004, '<!DOCTYPE x [<!ENTITY a "b">]><S>&a;</S>')
ev = run([(0, receive("B0B0B0B0-0000-0000-0000-00000000000A", PS_URI)),
          (1, receive_response("B0B0B0B0-0000-0000-0000-00000000000A",
                               [("stdout", base64.b64encode(fragment(1, 0, 3, evil)).decode())], done=False))])
notes = " | ".join(malformed_text(e) for e in ev if e["proto_name"] == "psrp")
expect("document type declaration refused" in notes, "CLIXML DTD: %r" % notes)

# 8. A hang: a Command answered, then a Receive that never is (the client is
#    still waiting when the capture ends): listed as pending, naming the
#    shell and the command line, and not an error of the decoder.
cmd = request(SHELL_NS + "/Command", "B0B0B0B0-0000-0000-0000-00000000000C", CMD_URI,
              '<rsp:CommandLine><rsp:Command>ping</rsp:Command><rsp:Arguments>-t</rsp:Arguments>'
              '<rsp:Arguments>host</rsp:Arguments></rsp:CommandLine>')
cmd_rsp = response(SHELL_NS + "/CommandResponse", "B0B0B0B0-0000-0000-0000-00000000000C",
                   "<rsp:CommandResponse><rsp:CommandId>C0C0C0C0-0000-0000-0000-000000000001</rsp:CommandId>"
                   "</rsp:CommandResponse>")
ev = run([(0, cmd), (1, cmd_rsp), (0, receive("B0B0B0B0-0000-0000-0000-00000000000D"))])
pend = [e for e in ev if e["kind"] == "pending"]
expect(len(pend) == 1 and "Receive" in pend[0]["summary"] and "ping -t host" in pend[0]["summary"]
       and "no reply" in pend[0]["summary"], "pending Receive: %r" % [e["summary"] for e in pend])
expect(not any(e["malformed"] for e in ev), "pending Receive: an event is malformed")

# 9. Not bad input: a JEA endpoint (a PowerShell configuration of its own name,
#    none in the corpus) is named by its configuration, like Microsoft.PowerShell.
JEA_URI = "http://schemas.microsoft.com/powershell/JEA.Maintenance"
create = request("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create", "B0B0B0B0-0000-0000-0000-00000000000E",
                 JEA_URI, '<rsp:Shell ShellId="22222222-2222-3333-4444-555555555555"><rsp:InputStreams>stdin pr'
                 '</rsp:InputStreams><rsp:OutputStreams>stdout</rsp:OutputStreams></rsp:Shell>')
created = response("http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse", "B0B0B0B0-0000-0000-0000-00000000000E",
                   '<x:ResourceCreated xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer"><a:ReferenceParameters>'
                   '<w:SelectorSet><w:Selector Name="ShellId">22222222-2222-3333-4444-555555555555</w:Selector>'
                   '</w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>')
ev = run([(0, create), (1, created)])
expect(ev and ev[0]["summary"].startswith("Create runspace pool JEA.Maintenance")
       and "JEA.Maintenance" in ev[1]["summary"] and "22222222" in ev[1]["summary"],
       "JEA endpoint: %r" % [e["summary"] for e in ev])

if "-v" in sys.argv:
    print([e["summary"] for e in pend])
    print(notes)
for f in failures:
    print("FAIL:", f)
print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
