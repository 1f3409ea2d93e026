#!/bin/sh
# `replay -` reads a capture from standard input (pcapng, gzip, classic
# pcap, through a pipe: nothing seeks), and the engine's own notes are
# labelled diagtap, not with the protocol of their conversation.
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sample="$DIAGTAP_SRCDIR/fixtures/sample.pcapng"
# events name their input: the file's name, or "-"
noinput() { sed 's/"input":"[^"]*"//' "$1"; }
"$DIAGTAP" replay -T json "$sample" > "$tmp/file.json"
[ -s "$tmp/file.json" ] || fail "no events from the sample"
cat "$sample" | "$DIAGTAP" replay -T json - > "$tmp/stdin.json" || fail "replay - (pcapng) failed"
grep -q '"input":"-"' "$tmp/stdin.json" || fail "events from stdin do not say so"
[ "$(noinput "$tmp/file.json")" = "$(noinput "$tmp/stdin.json")" ] || fail "replay - (pcapng) differs from the file"
gzip -c "$sample" | "$DIAGTAP" replay -T json - > "$tmp/gz.json" || fail "replay - (gzip) failed"
[ "$(noinput "$tmp/file.json")" = "$(noinput "$tmp/gz.json")" ] || fail "replay - (gzip) differs from the file"
if command -v editcap > /dev/null; then
    # classic pcap holds one link type: an SMB2 session recorded on lo
    editcap -F pcap "$DIAGTAP_SRCDIR/tests/smb2/smb-session.pcapng" "$tmp/sample.pcap"
    "$DIAGTAP" replay "$tmp/sample.pcap" > "$tmp/pcap-file.txt"
    cat "$tmp/sample.pcap" | "$DIAGTAP" replay - > "$tmp/pcap-stdin.txt" || fail "replay - (pcap) failed"
    [ -s "$tmp/pcap-file.txt" ] && cmp -s "$tmp/pcap-file.txt" "$tmp/pcap-stdin.txt" || fail "replay - (pcap) differs from the file"
fi
rc=0; printf 'garbage!' | "$DIAGTAP" replay - > /dev/null 2> "$tmp/err" || rc=$?
[ "$rc" -ne 0 ] && grep -q 'offset 0: not a pcap' "$tmp/err" || fail "garbage on stdin: rc=$rc $(cat "$tmp/err")"
# a note about the wrapped process is diagtap's own, even on a DAP conversation
printf 'Content-Length: 2\r\n\r\n{}' | "$DIAGTAP" wrap -d dap -T json -o "$tmp/wrap.json" -- cat > /dev/null
grep '"exited with status' "$tmp/wrap.json" > /dev/null 2>&1 || grep -q 'exited with status 0' "$tmp/wrap.json" ||
    fail "no exit note: $(cat "$tmp/wrap.json")"
grep 'exited with status 0' "$tmp/wrap.json" | grep -q '"proto":"diagtap"' ||
    fail "the exit note is not labelled diagtap: $(grep 'exited' "$tmp/wrap.json")"
echo "stdin_notes: ok"
