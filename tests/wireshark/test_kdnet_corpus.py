"""The KDNET corpus (a real WinDbg session, UDP 51111, key 8.8.8.8): tshark
with the plugin and the key preference shows the same decrypted KDNET and KD
fields and summaries as `diagtap replay --kdnet-key`, on one pass and two;
without the key no KD layer appears; several keys (one bound to a port) work
as in diagtap; Decode As and the udp.port 50000 registration give what the
heuristic gives."""
import gzip
import os
import shutil
import struct

from wstest import CORPUS, Session, check, compare
import dtcorpus

dtcorpus.require("kdnet", "windbg-uncut.pcapng.gz")



def move_udp_port(src, dst, old, new):
    """Copies a little-endian pcapng of Ethernet/IPv4/UDP frames with port old
    changed to new (UDP checksum cleared); returns the datagrams changed."""
    data = bytearray(open(src, "rb").read())
    pos = changed = 0
    while pos + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, pos)
        check(blen >= 12 and pos + blen <= len(data), "bad pcapng block at offset %d" % pos)
        if btype == 6:  # enhanced packet block
            caplen = struct.unpack_from("<I", data, pos + 20)[0]
            f = pos + 28
            eth = 14
            if data[f + 12:f + 14] == b"\x81\x00":
                eth = 18
            if data[f + eth - 2:f + eth] == b"\x08\x00" and data[f + eth + 9] == 17 and caplen >= eth + 28:
                u = f + eth + (data[f + eth] & 15) * 4
                hit = False
                for o in (u, u + 2):
                    if struct.unpack_from(">H", data, o)[0] == old:
                        struct.pack_into(">H", data, o, new)
                        hit = True
                if hit:
                    struct.pack_into(">H", data, u + 6, 0)
                    changed += 1
        pos += blen
    open(dst, "wb").write(data)
    return changed


s = Session()
try:
    src = os.path.join(CORPUS, "kdnet", "windbg-uncut.pcapng.gz")
    check(os.path.exists(src), "corpus file missing: " + src)
    cap = s.path("windbg-uncut.pcapng")
    with gzip.open(src) as fi, open(cap, "wb") as fo:
        shutil.copyfileobj(fi, fo)
    s.readable("windbg-uncut.pcapng")
    for two_pass in (False, True):
        n, nf = compare(s, cap, ["--kdnet-key", "8.8.8.8"], ["-o", "kdnet.key:8.8.8.8"],
                        {"kdnet"}, min_fields=40, two_pass=two_pass)
        check(n > 900, "only %d KDNET events" % n)
    # Decryption is what makes the KD layer appear: without the key there is none.
    out = s.tshark(["-r", cap, "-T", "fields", "-e", "kd.api"])
    check(not out.strip(), "kd.api values without a key: %r" % out[:200])
    out = s.tshark(["-r", cap, "-o", "kdnet.key:8.8.8.8", "-Y", "kd.api == 0x3146", "-T", "fields",
                    "-e", "kd.version.kern_base"])
    check("0x000000000096f000" in out, "GetVersion's kernel base not found: %r" % out[:300])
    # Decode As instead of the heuristic: the same KD messages.
    def api_frames(extra):
        return s.tshark(["-r", cap, "-o", "kdnet.key:8.8.8.8", "-Y", "kd.api", "-T", "fields",
                         "-e", "frame.number"] + extra).split()
    heur = api_frames([])
    check(len(heur) > 200, "only %d KD API messages" % len(heur))
    check(api_frames(["--disable-heuristic", "kdnet_udp"]) == [], "KDNET decoded with its heuristic disabled")
    check(api_frames(["--disable-heuristic", "kdnet_udp", "-d", "udp.port==51111,kdnet"]) == heur,
          "Decode As udp.port==51111,kdnet decodes differently from the heuristic")
    # Several keys, one bound to the target's port: the one that verifies
    # is the second (kdnet.key_index 2), in tshark as in diagtap.
    keys = "1.2.3.4;51111=8.8.8.8"
    n2, _ = compare(s, cap, ["--kdnet-key", keys], ["-o", "kdnet.key:" + keys], {"kdnet"}, min_fields=40)
    check(n2 == n, "%d events with several keys, %d with one" % (n2, n))
    idx = set(s.tshark(["-r", cap, "-o", "kdnet.key:" + keys, "-T", "fields", "-e", "kdnet.key_index"]).split())
    check(idx == {"2"}, "the second key should verify every packet: kdnet.key_index %s" % idx)
    # A key bound to another port decrypts nothing.
    out = s.tshark(["-r", cap, "-o", "kdnet.key:50000=8.8.8.8", "-T", "fields", "-e", "kd.api"])
    check(not out.strip(), "a key bound to port 50000 decrypted the session on 51111")
    # udp.port 50000 is KDNET's without the heuristic: the corpus moved to
    # port 50000 decodes with the heuristic off, as it does on 51111 with it.
    moved = s.path("kdnet-50000.pcapng")
    n_moved = move_udp_port(cap, moved, 51111, 50000)
    check(n_moved > 900, "only %d datagrams moved to port 50000" % n_moved)
    s.readable("kdnet-50000.pcapng")
    on_50000 = s.tshark(["-r", moved, "-o", "kdnet.key:8.8.8.8", "--disable-heuristic", "kdnet_udp", "-Y", "kd.api",
                         "-T", "fields", "-e", "frame.number"]).split()
    check(on_50000 == heur, "port 50000 without the heuristic: %d KD API frames, %d with it on 51111" %
          (len(on_50000), len(heur)))
    print("kdnet corpus: %d events, %d fields equal in diagtap and tshark" % (n, nf))
finally:
    s.close()
