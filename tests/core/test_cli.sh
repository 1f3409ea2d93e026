#!/bin/sh
# Introspection and usage: --version, --help of every subcommand, the
# dissector and field listings, and clean errors for bad usage.
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
"$DIAGTAP" --version | grep -q '^diagtap [0-9]' || fail "--version"
"$DIAGTAP" --version | grep -qi 'libpcap' || fail "--version names libpcap"
for c in replay capture proxy wrap dissectors fields; do
    "$DIAGTAP" "$c" --help > /tmp/diagtap-help.$$ 2>&1 || fail "$c --help exits non-zero"
    grep -qi "usage: diagtap $c" /tmp/diagtap-help.$$ || fail "$c --help has no usage line"
done
rm -f /tmp/diagtap-help.$$
for p in dap lsp smb2 dcerpc kdnet kd_serial kd dotnet_ipc nettrace; do
    "$DIAGTAP" dissectors | grep -q "^$p " || fail "dissector $p not listed"
done
"$DIAGTAP" fields kdnet | grep -q '^kdnet.channel ' || fail "fields kdnet: kdnet.channel"
"$DIAGTAP" fields kdnet | grep -q '^kd.api ' || fail "fields kdnet: the KD fields its events carry"
"$DIAGTAP" fields smb2 | grep -q '^smb2.nt_status ' || fail "fields smb2"
"$DIAGTAP" fields dap | grep -q '^dap.command ' || fail "fields dap"
rc=0; "$DIAGTAP" fields nosuch 2> /tmp/diagtap-err.$$ || rc=$?
[ "$rc" -eq 2 ] && grep -q "no dissector named 'nosuch'" /tmp/diagtap-err.$$ || fail "fields nosuch: rc=$rc"
rc=0; "$DIAGTAP" frobnicate 2> /tmp/diagtap-err.$$ || rc=$?
[ "$rc" -eq 2 ] && grep -q "unknown command 'frobnicate'" /tmp/diagtap-err.$$ || fail "unknown command: rc=$rc"
rc=0; "$DIAGTAP" replay -T xml x 2> /tmp/diagtap-err.$$ || rc=$?
[ "$rc" -eq 2 ] && grep -q "text or json" /tmp/diagtap-err.$$ || fail "bad -T: rc=$rc"
rc=0; "$DIAGTAP" replay /nonexistent/file.pcapng > /dev/null 2> /tmp/diagtap-err.$$ || rc=$?
[ "$rc" -ne 0 ] && [ "$(wc -l < /tmp/diagtap-err.$$)" -eq 1 ] && grep -q '/nonexistent/file.pcapng' /tmp/diagtap-err.$$ ||
    fail "missing file: rc=$rc $(cat /tmp/diagtap-err.$$)"
rm -f /tmp/diagtap-err.$$
rc=0; "$DIAGTAP" replay --frobnicate 1 x.pcapng 2> /tmp/diagtap-err.$$ || rc=$?
[ "$rc" -eq 2 ] && grep -q "unknown option '--frobnicate'" /tmp/diagtap-err.$$ || fail "unknown long option: rc=$rc"
"$DIAGTAP" replay --help | grep -q -- '--kdnet-key-file PATH' || fail "--help lists a secret option's -file form"
rm -f /tmp/diagtap-err.$$
echo "cli: ok"
