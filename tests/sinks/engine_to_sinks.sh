#!/bin/sh
# The real engine in front of all four sinks: what the recorder, the JSON
# and text timelines and the statistics make of one IPC session and a frame.
set -eu
demo=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v tshark >/dev/null || fail "tshark is not installed"
command -v jq >/dev/null || fail "jq is not installed"

"$demo" "$tmp/r.pcapng" "$tmp/t.jsonl" "$tmp/t.txt" "$tmp/s.txt" || fail "engine run failed"

# Every stream byte is recorded once, in order, per direction.
tshark -r "$tmp/r.pcapng" -T fields -E separator='|' -e frame.interface_name -e frame.interface_description \
    -e exported_pdu.prot_name -e frame.packet_flags_direction -e data.data > "$tmp/f.txt" 2>/dev/null ||
    fail "tshark cannot read the recording"
cat > "$tmp/want.txt" <<'WANT'
unix:/tmp/demo.sock#1|diagtap stream: client#1 <-> /tmp/demo.sock|data|0x00000001|68656c6c6f00ff0a
unix:/tmp/demo.sock#1|diagtap stream: client#1 <-> /tmp/demo.sock|data|0x00000002|776f726c64
eth0|Ethernet||0x00000002|
WANT
diff -u "$tmp/want.txt" "$tmp/f.txt" || fail "recording differs"

# JSON: one parseable object per event, seq in order, kinds and directions.
jq -e . "$tmp/t.jsonl" >/dev/null || fail "JSON lines do not parse"
[ "$(jq -r '"\(.seq) \(.kind) \(.dir) \(.raw_len) \(.conv.channel)"' "$tmp/t.jsonl" | tr '\n' ';')" = \
  "1 note c2s 0 unix:/tmp/demo.sock#1;2 pdu c2s 8 unix:/tmp/demo.sock#1;3 pdu s2c 5 unix:/tmp/demo.sock#1;" ] ||
    fail "JSON events: $(cat "$tmp/t.jsonl")"

# Text: the same three events, arrows by direction.
[ "$(grep -c '^11:06:40\.0000' "$tmp/t.txt")" = 3 ] || fail "text lines: $(cat "$tmp/t.txt")"
grep -q 'client#1 ← /tmp/demo.sock  data' "$tmp/t.txt" || fail "S2C arrow: $(cat "$tmp/t.txt")"
grep -q '^3 events, 1 notes, 0 input errors$' "$tmp/s.txt" || fail "stats footer: $(cat "$tmp/s.txt")"
echo ok
