"""tshark with the plugin lists a protocol for every diagtap dissector that
Wireshark lacks, and every field of diagtap's field tables under the same
abbrev with the matching type; the registration names the plugin uses are
the ones diagtap writes into its recordings."""
import re
import struct

from wstest import FT, LEFT_TO_WIRESHARK, Session, check

s = Session()
try:
    plugins = s.tshark(["-G", "plugins"])
    check(re.search(r"diagtap\.so\s.*dissector\s+" + re.escape(s.home), plugins),
          "diagtap.so not loaded from the private plugin dir:\n" + plugins)

    dissectors = []
    for line in s.diagtap(["dissectors"]).splitlines()[1:]:
        if line.strip():
            dissectors.append(line.split()[0])
    check(len(dissectors) >= 3, "diagtap lists only %s" % dissectors)
    protos = {}
    for line in s.tshark(["-G", "protocols"]).splitlines():
        cols = line.split("\t")
        if len(cols) == 3:
            protos[cols[2]] = cols[0]
    fields = {}
    for line in s.tshark(["-G", "fields"]).splitlines():
        cols = line.split("\t")
        if len(cols) >= 5 and cols[0] == "F":
            fields.setdefault(cols[2], []).append((cols[3], cols[4]))
    check("diagtap" in protos and "diagtap.summary" in fields, "the common diagtap protocol is missing")

    ours = set()
    for name in dissectors:
        if name not in LEFT_TO_WIRESHARK:
            ours.add(name + "_dt" if name + "_dt" in protos else name)
    n_fields = 0
    shadowed = []
    for name in dissectors:
        if name in LEFT_TO_WIRESHARK:
            continue
        # The filter name is diagtap's name unless Wireshark already has
        # one by that name (X.519 DAP): then NAME_dt.
        filt = name + "_dt" if name + "_dt" in protos else name
        check(filt in protos, "no Wireshark protocol for diagtap's %s (looked for %s)" % (name, filt))
        table = s.diagtap(["fields", name])
        for line in table.splitlines():
            if line.startswith("#"):
                break  # the fields of nested protocols follow (KD inside KDNET): checked under their own name
            cols = line.split()
            if len(cols) < 2 or "." not in cols[0]:
                continue
            abbrev, ftype = cols[0], cols[1]
            check(abbrev in fields, "field %s of %s is not registered in Wireshark" % (abbrev, name))
            # 'diagtap fields kdnet' also lists the tables of the protocols
            # nested in its events (kd.*): those are registered under their
            # own protocol.
            owner = filt if any(p == filt for t, p in fields[abbrev]) else abbrev.split(".")[0]
            owner = owner + "_dt" if owner + "_dt" in protos else owner
            check(owner == filt or owner in ours, "field %s of %s is registered under %s" %
                  (abbrev, name, [p for t, p in fields[abbrev]]))
            mine = [t for t, p in fields[abbrev] if p == owner]
            if not mine and all(p != owner for t, p in fields[abbrev]):
                # -G fields shows one field per abbrev: Wireshark's own
                # (X.519 DAP has dap.type and dap.name) hides ours there.
                shadowed.append("%s (%s)" % (abbrev, fields[abbrev][0][1]))
                continue
            check(mine, "field %s is not registered under protocol %s: %s" % (abbrev, owner, fields[abbrev]))
            check(mine[0] == FT.get(ftype, "?"), "field %s: diagtap type %s, Wireshark %s" % (abbrev, ftype, mine[0]))
            n_fields += 1
    check(n_fields > 50, "only %d fields compared" % n_fields)
    check(len(shadowed) <= 4, "too many diagtap fields share a Wireshark field's name: %s" % shadowed)
    if shadowed:
        print("note: abbrevs shared with Wireshark's own fields: " + ", ".join(shadowed))

    # Exported PDUs name the dissector: each diagtap name must resolve to the plugin.
    tables = s.tshark(["-G", "dissector-tables"])
    check("tcp.port" in tables, "tshark -G dissector-tables lists no tcp.port")
    heur = set(tuple(l.split("\t")[:2]) for l in s.tshark(["-G", "heuristic-decodes"]).splitlines())
    for table, proto, name in (("udp", "kdnet", "kdnet"), ("tcp", "dap_dt", "dap"), ("tcp", "lsp", "lsp"),
                               ("tcp", "dotnet_ipc", "dotnet_ipc")):
        if name in dissectors:
            check((table, proto) in heur, "no %s heuristic for %s" % (table, proto))
    # A pcapng of exported PDUs (link type 252), one record per diagtap
    # dissector name, as diagtap's recordings name them: each opens in the
    # plugin's protocol, not as data.
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)
    def tag(t, v):
        return struct.pack(">HH", t, len(v)) + v + b"\0" * (-len(v) % 4)
    mine = [n for n in dissectors if n not in LEFT_TO_WIRESHARK]
    pcap = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    pcap += block(1, struct.pack("<HHI", 252, 0, 0))
    for i, name in enumerate(mine):
        pdu = tag(12, name.encode()) + tag(0, b"") + b"\x01\x02\x03\x04 not a message"
        pcap += block(6, struct.pack("<IIIII", 0, 0, i, len(pdu), len(pdu)) + pdu)
    with open(s.path("names.pcapng"), "wb") as f:
        f.write(pcap)
    s.readable("names.pcapng")
    rows = s.tshark(["-r", s.path("names.pcapng"), "-T", "fields", "-e", "exported_pdu.prot_name",
                     "-e", "frame.protocols"]).splitlines()
    check(len(rows) == len(mine), "%d records read back, %d written" % (len(rows), len(mine)))
    for name, row in zip(mine, rows):
        got_name, stack = (row.split("\t") + [""])[:2]
        filt = name + "_dt" if name + "_dt" in protos else name
        check(got_name == name and stack.split(":")[-1] == filt,
              "an exported PDU named %s opens as %r, not %s" % (name, stack, filt))

    for name in LEFT_TO_WIRESHARK:
        check(name not in protos or "(diagtap)" not in protos[name], "%s should stay Wireshark's" % name)
    print("registration: %d dissectors, %d fields as in diagtap" % (len(dissectors), n_fields))
finally:
    s.close()
