"""The KDNET corpus (a real WinDbg session, UDP 51111, key 8.8.8.8): tshark
with the plugin and the key preference shows the same decrypted KDNET and KD
fields and summaries as `diagtap replay --kdnet-key`, on one pass and two;
without the key no KD layer appears; Decode As gives what the heuristic gives."""
import gzip
import os
import shutil

from wstest import CORPUS, Session, check, compare

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
    print("kdnet corpus: %d events, %d fields equal in diagtap and tshark" % (n, nf))
finally:
    s.close()
