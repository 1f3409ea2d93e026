"""diagtap's own pcapng recording of EventPipe streams (the .nettrace corpus
replayed with -w): each exported PDU record names the "nettrace" dissector,
and tshark with the plugin decodes the recording to the same events and
field values as `diagtap replay` of that recording."""
import glob
import os

from wstest import CORPUS, Session, check, compare
import dtcorpus

dtcorpus.require("nettrace", "eventpipe-dotnetcore6.0-win-x64-executioncheckpoints.nettrace")

s = Session()
try:
    traces = sorted(glob.glob(os.path.join(CORPUS, "nettrace", "*.nettrace")))
    check(len(traces) >= 2, "nettrace corpus missing under " + CORPUS)
    total = 0
    for i, trace in enumerate(traces):
        rec = s.path("rec%d.pcapng" % i)
        s.diagtap(["replay", trace, "-w", rec])
        check(os.path.getsize(rec) > 1000, "empty recording of " + trace)
        s.readable(os.path.basename(rec))
        names = s.tshark(["-r", rec, "-T", "fields", "-e", "exported_pdu.prot_name"])
        check("nettrace" in names.split(), "the recording names no nettrace dissector: %r" % names[:200])
        n, nf = compare(s, rec, [], [], {"nettrace"}, min_fields=8)
        total += n
        print("%s: %d events, %d fields equal" % (os.path.basename(trace), n, nf))
    check(total > 10, "only %d nettrace events" % total)
finally:
    s.close()
