#!/bin/sh
# The bundled sample (what the README's first command replays): a readable
# timeline, JSON Lines that jq parses line by line, a -w recording that
# replays to the same events, and that tshark reads.
set -eu
sample="$DIAGTAP_SRCDIR/fixtures/sample.pcapng"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$DIAGTAP" replay "$sample" > "$tmp/text"
grep -q 'SMB2 .*TREE_CONNECT \\\\127.0.0.1\\secret → STATUS_ACCESS_DENIED' "$tmp/text" || fail "no ACCESS_DENIED story"
grep -q 'SESSION_SETUP .*STATUS_LOGON_FAILURE' "$tmp/text" || fail "no wrong password"
grep -q 'DCERPC .*Response srvsvc.NetShareEnumAll' "$tmp/text" || fail "no srvsvc NetShareEnumAll"
grep -q 'DAP .*stopped: reason=breakpoint' "$tmp/text" || fail "no DAP breakpoint"
grep -q 'DAP .*exited: exitCode=3' "$tmp/text" || fail "no DAP exit code"
esc=$(printf '\033')
grep -q "$esc" "$tmp/text" && fail "colour escape codes written to a file"

"$DIAGTAP" replay "$sample" -T json > "$tmp/json"
# each line on its own must be one JSON object (-R: lines as raw strings)
jq -e -R 'fromjson | type == "object"' "$tmp/json" > "$tmp/checked" 2> "$tmp/jq.err" ||
    fail "a line is not a JSON object: $(head -c 300 "$tmp/jq.err")"
n=$(wc -l < "$tmp/json" | tr -d ' ')
[ "$(grep -c true "$tmp/checked")" -eq "$n" ] || fail "not every line is an object"
[ "$n" -eq "$(wc -l < "$tmp/text" | tr -d ' ')" ] || [ "$n" -gt 100 ] || fail "only $n JSON lines"
# every DAP response is paired with a request of the same command
jq -e -s '[.[] | select(.proto == "DAP" and .role == "response")] as $r | ($r | length) > 10 and
          all($r[]; .req_seq != null and .latency_ns != null)' "$tmp/json" > /dev/null || fail "DAP responses not paired"
jq -e -s '[.[] | select(.kind == "pending")] | length == 0' "$tmp/json" > /dev/null || fail "pending requests in the sample"

"$DIAGTAP" replay "$sample" -w "$tmp/again.pcapng" -T json > "$tmp/json1"
[ "$(stat -c %a "$tmp/again.pcapng")" = 600 ] || fail "recording not created 0600"
"$DIAGTAP" replay "$tmp/again.pcapng" -T json > "$tmp/json2"
strip='del(.seq, .input)'
jq -c "$strip" "$tmp/json1" > "$tmp/a"
jq -c "$strip" "$tmp/json2" > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || { diff "$tmp/a" "$tmp/b" | head -5; fail "-w recording does not replay to the same events"; }

tshark -r "$tmp/again.pcapng" -T fields -e frame.interface_name > "$tmp/ifaces" 2> "$tmp/tshark.err" ||
    fail "tshark cannot read the recording: $(cat "$tmp/tshark.err")"
grep -q '^tcp:127.0.0.1' "$tmp/ifaces" || fail "tshark sees no proxy channel"
echo "sample: $n events; JSON, round trip and tshark ok"
