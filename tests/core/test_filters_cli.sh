#!/bin/sh
# --grep, --proto and -d PORT=PROTO at the command line, on the bundled sample and on a
# generated DAP capture: --grep matches the summary and field values (a value no summary
# shows), --proto keeps only the named protocols, -d overrides what the heuristics chose,
# and bad values are one-line usage errors (exit 2).
set -eu
sample="$DIAGTAP_SRCDIR/fixtures/sample.pcapng"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
json() { "$DIAGTAP" replay -T json "$@"; }

json "$sample" > "$tmp/all"
all=$(wc -l < "$tmp/all" | tr -d ' ')

# a field value only: the DAP client's name is in dap.client_name, in no summary
grep -c 'diagtap scripted client' "$tmp/all" | grep -qx 1 || fail "the sample changed"
json --grep 'diagtap scripted client' "$sample" > "$tmp/g"
jq -e -s 'length == 1 and .[0].fields["dap.command"] == "initialize" and
          (.[0].summary | contains("scripted") | not)' "$tmp/g" > /dev/null || fail "--grep over a field value: $(cat "$tmp/g")"
# a GUID value, anchored: the whole rendered value is the subject
json --grep '^3ce9c756-6828-4315-91dc-24c0c223e416$' "$sample" > "$tmp/g"
jq -e -s 'length >= 1 and all(.[]; .proto == "SMB2" and .stats_key == "NEGOTIATE")' "$tmp/g" > /dev/null ||
    fail "--grep over a GUID value"
# the summary
json --grep "NameError: name 'no_such_var'" "$sample" > "$tmp/g"
jq -e -s 'length == 1 and .[0].role == "response" and .[0].is_error' "$tmp/g" > /dev/null || fail "--grep summary"
n=$(json --grep 'matches nothing at all, anywhere' "$sample" | wc -l)
[ "$n" -eq 0 ] || fail "--grep that matches nothing printed $n events"
rc=0; "$DIAGTAP" replay --grep '(unclosed' "$sample" > /dev/null 2> "$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q 'offset' "$tmp/err" || fail "bad --grep: rc=$rc"

# --proto, by dissector name or display name, several at once
json --proto dap "$sample" > "$tmp/p"
want=$(jq -s '[.[] | select(.proto_name == "dap")] | length' "$tmp/all")
jq -e -s --argjson w "$want" 'length == $w and $w > 10 and all(.[]; .proto_name == "dap")' "$tmp/p" > /dev/null ||
    fail "--proto dap"
json --proto 'DCERPC,dap' "$sample" > "$tmp/p"
jq -e -s '(map(.proto) | unique) == ["DAP", "DCERPC"]' "$tmp/p" > /dev/null || fail "--proto DCERPC,dap"
[ "$(wc -l < "$tmp/p")" -lt "$all" ] || fail "--proto kept everything"

# -d PORT=PROTO: a DAP capture on port 4711 is DAP by its probe; -d makes it LSP
/usr/bin/python3 "$DIAGTAP_SRCDIR/bench/gen_dap_pcap.py" "$tmp/dap.pcap" 0.05 2
json "$tmp/dap.pcap" | jq -e -s 'length > 10 and all(.[]; .proto == "DAP")' > /dev/null || fail "dap.pcap is not DAP"
json -d 4711=lsp "$tmp/dap.pcap" | jq -e -s 'length > 10 and all(.[]; .proto == "LSP")' > /dev/null ||
    fail "-d 4711=lsp did not override the probe"
json -d 4712=lsp "$tmp/dap.pcap" | jq -e -s 'all(.[]; .proto == "DAP")' > /dev/null || fail "-d on another port"
for bad in 4711=nosuch 70000=dap x=dap 4711; do
    rc=0; "$DIAGTAP" replay -d "$bad" "$tmp/dap.pcap" > "$tmp/out" 2> "$tmp/err" || rc=$?
    [ "$rc" -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && [ ! -s "$tmp/out" ] || fail "-d $bad: rc=$rc $(cat "$tmp/err")"
done
echo "filters: ok"
