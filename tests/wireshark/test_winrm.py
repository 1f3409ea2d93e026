"""WinRM in Wireshark: Wireshark's own HTTP frames the captures and hands
each SOAP body (media type application/soap+xml) to the plugin's WinRM
protocol, which shows the same wsman.* and psrp.* fields and summaries as
`diagtap replay` of the same capture, on one pass and on two. Inputs:
captures made from the pypsrp corpus (real Windows envelopes) with
tests/wsman/make_pcap.py — WinRS, PowerShell pipelines, error records, host
calls, faults, long polling."""
import os
import sys

from wstest import SRCDIR, Session, check, compare
import dtcorpus

dtcorpus.require("winrm", "pypsrp-responses")
sys.path.insert(0, os.path.join(SRCDIR, "tests", "wsman"))
import make_pcap  # noqa: E402

FILES = ["test_winrs_standard", "test_winrs_bad_cmd_id", "test_winrs_send", "test_client_execute_ps_failure",
         "test_psrp_multiple_commands", "test_psrp_stream_output_invocation", "test_psrp_long_running_cmdlet",
         "test_psrp_pshost_ui_mocked_methods", "test_psrp_small_msg_size", "test_psrp_disconnected_commands"]

s = Session()
try:
    cap = os.path.join(s.tmp, "winrm.pcap")
    make_pcap.write(cap, [dtcorpus.path("winrm", "pypsrp-responses", f + ".yml") for f in FILES])
    os.chmod(cap, 0o644)
    for two in (False, True):
        n, k = compare(s, cap, [], [], ["wsman", "psrp"], 40, two_pass=two)
        print("winrm%s: %d events, %d fields equal" % (" (2 passes)" if two else "", n, k))
    # the fields are found by name in filters too
    out = s.tshark(["-r", cap, "-Y", "wsman.fault.wsman_code == 2150858843", "-T", "fields", "-e", "wsman.fault.wsman_name"])
    check(out.split() == ["ERROR_WSMAN_UNEXPECTED_SELECTORS"], "filter on wsman.fault.wsman_code: %r" % out)
    out = s.tshark(["-r", cap, "-Y", "psrp.message_type == 0x00041005", "-T", "fields", "-e", "psrp.error.fqid"])
    check("Microsoft.PowerShell.Commands.WriteErrorException" in out, "filter on psrp.message_type: %r" % out)
finally:
    s.close()
