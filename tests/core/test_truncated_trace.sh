#!/bin/sh
# A .nettrace cut short: the events before the cut are output, one stderr
# line names the file and offset, and the exit status is 1.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
src="$DIAGTAP_CORPUS/nettrace/eventpipe-dotnetcore6.0-win-x64-executioncheckpoints.nettrace"
if [ ! -f "$src" ]; then
    echo "SKIP: corpus not found at $src"
    exit 77
fi
size=$(stat -c %s "$src")
cut=$((size * 2 / 3))
head -c "$cut" "$src" > "$tmp/cut.nettrace"
rc=0
"$DIAGTAP" replay "$tmp/cut.nettrace" -T json > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 1 ] || fail "exit status $rc, expected 1"
[ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "expected one error line, got: $(cat "$tmp/err")"
grep -q "cut.nettrace: offset [0-9]*: truncated EventPipe message" "$tmp/err" || fail "error line: $(cat "$tmp/err")"
full=$("$DIAGTAP" replay "$src" -T json | jq -s '[.[] | select(.kind == "pdu")] | length')
part=$(jq -s '[.[] | select(.kind == "pdu")] | length' "$tmp/out")
[ "$part" -gt 0 ] && [ "$part" -lt "$full" ] || fail "decoded $part of $full events before the cut"
echo "truncated trace: $part of $full events kept, exit 1"
