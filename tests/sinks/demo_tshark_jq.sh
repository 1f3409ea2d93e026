#!/bin/sh
# tshark reads the recording the pcapng sink wrote (interfaces, exported-PDU
# tags, directions, bytes) and jq parses every JSON line.
set -eu
demo=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v tshark >/dev/null || fail "tshark is not installed"
command -v jq >/dev/null || fail "jq is not installed"

"$demo" "$tmp/r.pcapng" "$tmp/t.jsonl" "$tmp/t.txt"
[ "$(stat -c %a "$tmp/r.pcapng")" = 600 ] || fail "recording mode is $(stat -c %a "$tmp/r.pcapng")"

tshark -r "$tmp/r.pcapng" -T fields -E separator='|' \
    -e frame.interface_id -e frame.interface_name -e frame.interface_description \
    -e exported_pdu.prot_name -e exported_pdu.p2p_dir -e frame.packet_flags_direction -e udp.dstport \
    > "$tmp/fields.txt" 2>"$tmp/tshark.err" || { cat "$tmp/tshark.err" >&2; fail "tshark could not read the file"; }
cat > "$tmp/want.txt" <<'WANT'
0|eth0|Ethernet capture|||0x00000001|50000
1|stdio:lldb-vscode-14|diagtap stream: ide <-> lldb-vscode-14|dap|0|0x00000001|
2|unix:/tmp/dbg.sock#1|diagtap stream: client#1 <-> /tmp/dbg.sock|data|1|0x00000002|
1|stdio:lldb-vscode-14|diagtap stream: ide <-> lldb-vscode-14|dap|1|0x00000002|
WANT
diff -u "$tmp/want.txt" "$tmp/fields.txt" || fail "tshark sees other interfaces or records"

# The bytes of an exported PDU come back unchanged (the data dissector shows them).
got=$(tshark -r "$tmp/r.pcapng" -Y 'exported_pdu.prot_name == "data"' -T fields -e data.data)
[ "$got" = "0001fffe0a225c80" ] || fail "data record holds '$got'"
# Timestamps at nanosecond resolution.
got=$(tshark -r "$tmp/r.pcapng" -T fields -e frame.time_epoch | sed -n 4p)
[ "$got" = "1795000000.000301000" ] || fail "fourth record time is $got"

# JSON Lines: every line parses on its own, with the documented keys.
n=0
while IFS= read -r line; do
    n=$((n + 1))
    printf '%s\n' "$line" | jq -e 'has("seq") and has("ts") and has("fields")' >/dev/null ||
        fail "JSON line $n does not parse or lacks keys: $line"
done < "$tmp/t.jsonl"
[ "$n" = 4 ] || fail "expected 4 JSON lines, got $n"
[ "$(jq -r 'select(.seq == 1) | .fields["dap.arguments"]["dap.line"]' "$tmp/t.jsonl")" = 42 ] || fail "nested field"
[ "$(jq -r 'select(.seq == 2) | .summary' "$tmp/t.jsonl" | od -An -tx1 | tr -d ' \n')" = "3820627974657320225c01efbfbd0a" ] ||
    fail "escaped summary does not come back as expected"
[ "$(jq -r 'select(.seq == 3) | "\(.latency_ns) \(.req_seq) \(.dir) \(.conv.client)"' "$tmp/t.jsonl")" = "300000 1 s2c ide" ] ||
    fail "response keys"
[ "$(jq -r 'select(.kind == "pending") | .summary' "$tmp/t.jsonl")" = "request threads" ] || fail "pending event"

grep -q '^11:06:40.000001  ide → lldb-vscode-14  DAP  request setBreakpoints main.c:42$' "$tmp/t.txt" || {
    cat "$tmp/t.txt" >&2; fail "text timeline line"; }
grep -q '^    Arguments$' "$tmp/t.txt" && grep -q '^        Line: 42$' "$tmp/t.txt" || fail "text field tree"
echo "ok"
