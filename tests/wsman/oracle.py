"""An independent reading of a pypsrp-responses/*.yml file (Python's
ElementTree, base64 and struct; nothing shared with diagtap's C code), so the
corpus test compares what diagtap shows with what the envelopes contain."""
import base64
import collections
import struct
import xml.etree.ElementTree as ET

import yaml

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsman": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    "ps": "http://schemas.microsoft.com/powershell",
}
PS_PREFIX = "http://schemas.microsoft.com/powershell/"

PSRP_TYPES = {
    0x00010002: "SESSION_CAPABILITY", 0x00010004: "INIT_RUNSPACEPOOL", 0x00010005: "PUBLIC_KEY",
    0x00010006: "ENCRYPTED_SESSION_KEY", 0x00010007: "PUBLIC_KEY_REQUEST", 0x00010008: "CONNECT_RUNSPACEPOOL",
    0x00021002: "SET_MAX_RUNSPACES", 0x00021003: "SET_MIN_RUNSPACES", 0x00021004: "RUNSPACE_AVAILABILITY",
    0x00021005: "RUNSPACEPOOL_STATE", 0x00021006: "CREATE_PIPELINE", 0x00021007: "GET_AVAILABLE_RUNSPACES",
    0x00021008: "USER_EVENT", 0x00021009: "APPLICATION_PRIVATE_DATA", 0x0002100A: "GET_COMMAND_METADATA",
    0x0002100B: "RUNSPACEPOOL_INIT_DATA", 0x0002100C: "RESET_RUNSPACE_STATE",
    0x00021100: "RUNSPACEPOOL_HOST_CALL", 0x00021101: "RUNSPACEPOOL_HOST_RESPONSE",
    0x00041002: "PIPELINE_INPUT", 0x00041003: "END_OF_PIPELINE_INPUT", 0x00041004: "PIPELINE_OUTPUT",
    0x00041005: "ERROR_RECORD", 0x00041006: "PIPELINE_STATE", 0x00041007: "DEBUG_RECORD",
    0x00041008: "VERBOSE_RECORD", 0x00041009: "WARNING_RECORD", 0x00041010: "PROGRESS_RECORD",
    0x00041011: "INFORMATION_RECORD", 0x00041100: "PIPELINE_HOST_CALL", 0x00041101: "PIPELINE_HOST_RESPONSE",
}


def envelopes(path):
    """[(dir, bytes)]: each request (0) then its response (1), as sent."""
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    out = []
    for m in doc.get("messages") or []:
        for key, d in (("request", 0), ("response", 1)):
            body = m.get(key)
            if body and isinstance(body, str) and body.lstrip().startswith("<"):
                out.append((d, body.encode("utf-8")))
    return out


def requests(path):
    """[(action short name, answered)] of each request, in order."""
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    out = []
    for m in doc.get("messages") or []:
        req = m.get("request")
        if not (isinstance(req, str) and req.lstrip().startswith("<")):
            continue
        act = ET.fromstring(req.encode("utf-8")).find("s:Header/wsa:Action", NS)
        resp = m.get("response")
        out.append((act.text.rsplit("/", 1)[-1] if act is not None else "",
                    isinstance(resp, str) and resp.lstrip().startswith("<")))
    return out


def read(path):
    o = {
        "shell_ids": [], "command_lines": [], "exit_codes": [], "stdout": "", "stderr": "",
        "fault_codes": [], "timed_out": 0, "signals": [], "psrp_types": collections.Counter(),
        "psrp_pipelines": [], "actions": collections.Counter(), "unanswered": 0,
    }
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    o["unanswered"] = sum(1 for m in doc.get("messages") or []
                          if isinstance(m.get("request"), str) and m["request"].lstrip().startswith("<")
                          and not (isinstance(m.get("response"), str) and m["response"].lstrip().startswith("<")))
    frags = {}
    resource = ""
    for d, raw in envelopes(path):
        root = ET.fromstring(raw)
        act = root.find("s:Header/wsa:Action", NS)
        action = act.text.rsplit("/", 1)[-1] if act is not None else ""
        if action == "fault":
            action = "Fault"
        o["actions"][action] += 1
        r = root.find("s:Header/wsman:ResourceURI", NS)
        if r is not None:
            resource = r.text
        ps = resource.startswith(PS_PREFIX)
        body = root.find("s:Body", NS)
        if action == "CreateResponse":
            sid = body.find(".//rsp:ShellId", NS)
            if sid is None:
                sid = body.find(".//wsman:Selector[@Name='ShellId']", NS)
            if sid is not None:
                o["shell_ids"].append(sid.text)
        if action == "Command" and not ps:
            cl = body.find("rsp:CommandLine", NS)
            parts = [cl.findtext("rsp:Command", "", NS)]
            for a in cl.findall("rsp:Arguments", NS):
                t = a.text or ""
                parts.append('"%s"' % t if (not t or any(c in t for c in ' \t"')) else t)
            o["command_lines"].append(" ".join(parts))
        for ec in body.iter("{%s}ExitCode" % NS["rsp"]):
            o["exit_codes"].append(int(ec.text))
        for sg in body.iter("{%s}Code" % NS["rsp"]):
            o["signals"].append(sg.text.rsplit("/", 1)[-1])
        fault = body.find("s:Fault", NS)
        if fault is not None:
            wf = fault.find(".//f:WSManFault", NS)
            if wf is not None:
                o["fault_codes"].append(int(wf.get("Code")))
            sub = fault.findtext("s:Code/s:Subcode/s:Value", "", NS)
            if sub.endswith(":TimedOut"):
                o["timed_out"] += 1
        payloads = []
        for el in body.iter():
            tag = el.tag.split("}")[-1]
            if tag in ("creationXml", "connectXml", "connectResponseXml"):
                payloads.append(el.text or "")
            elif el.tag == "{%s}Stream" % NS["rsp"]:
                if ps:
                    payloads.append(el.text or "")
                elif el.text:
                    o[el.get("Name")] = o.get(el.get("Name"), "") + base64.b64decode(el.text).decode("utf-8", "replace")
            elif el.tag == "{%s}Arguments" % NS["rsp"] and ps:
                payloads.append(el.text or "")
        for b64 in payloads:
            data = base64.b64decode(b64)
            p = 0
            while p + 21 <= len(data):
                oid, fid, flags, blen = struct.unpack(">QQBI", data[p:p + 21])
                blob = data[p + 21:p + 21 + blen]
                p += 21 + blen
                key = (d, oid)
                if flags & 1:
                    frags[key] = b""
                frags[key] = frags.get(key, b"") + blob
                if flags & 2:
                    msg = frags.pop(key)
                    mtype = struct.unpack("<I", msg[4:8])[0]
                    o["psrp_types"][PSRP_TYPES.get(mtype, "0x%08x" % mtype)] += 1
    return o
