#!/bin/sh
# Raw dumps put the IDE's answer to a reverse request (runInTerminal) before
# the request itself; the request must not be listed as unanswered.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
msg() { printf 'Content-Length: %d\r\n\r\n%s' "$(printf '%s' "$1" | wc -c)" "$1"; }
{
    msg '{"seq":1,"type":"request","command":"initialize","arguments":{"adapterID":"lldb"}}'
    msg '{"seq":2,"type":"response","request_seq":7,"success":true,"command":"runInTerminal","body":{"processId":4242}}'
    msg '{"seq":3,"type":"request","command":"threads"}'
} > "$tmp/in.bin"
{
    msg '{"seq":6,"type":"response","request_seq":1,"success":true,"command":"initialize","body":{}}'
    msg '{"seq":7,"type":"request","command":"runInTerminal","arguments":{"kind":"integrated","args":["./prog"]}}'
} > "$tmp/out.bin"
"$DIAGTAP" replay --raw-in "$tmp/in.bin" --raw-out "$tmp/out.bin" -d dap -T json > "$tmp/json"
jq -e -s '[.[] | select(.summary | test("runInTerminal #7 \\(reverse\\) \\(its reply came earlier"))] | length == 1' \
    "$tmp/json" > /dev/null || fail "the reverse request is not marked as answered earlier: $(jq -r .summary "$tmp/json")"
pending=$(jq -r -s '[.[] | select(.kind == "pending") | .summary] | join("; ")' "$tmp/json")
printf '%s\n' "$pending" | grep -Eq '^no reply after [0-9.]+ s: threads #3$' ||
    fail "pending should be threads #3 only, got: $pending"
echo "raw reverse request: ok"
