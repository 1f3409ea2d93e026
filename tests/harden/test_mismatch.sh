#!/bin/sh
# A dissector forced onto a transport it cannot decode (issue 14): a
# datagram-only dissector (kdnet, kd) on a byte stream used to call a NULL
# framer and crash. Each command now refuses the mismatch at start with one
# line and exit status 2; a decode-as rule does not apply where it cannot;
# a recording that names a datagram-only dissector for a stream is shown
# undecoded after one error note (the engine's own check).
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
here=$(dirname "$0")

# refused CMD...: exit status 1 or 2 (a usage error; a proxy says 1), one stderr line naming the dissector, no crash, no hang
refused() {
    rc=0
    timeout 10 "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null || rc=$?
    [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ] || fail "$*: exit status $rc, want 1 or 2: $(cat "$tmp/err")"
    [ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "$*: not one stderr line: $(cat "$tmp/err")"
    grep -Eq 'kdnet|kd' "$tmp/err" || fail "$*: the line does not name the dissector: $(cat "$tmp/err")"
}

printf 'hello, this is no KD packet' > "$tmp/raw"
refused "$DIAGTAP" replay -d kdnet --raw-in "$tmp/raw"
refused "$DIAGTAP" replay -d kd --raw-out "$tmp/raw"
refused "$DIAGTAP" wrap -d kd -- cat
refused "$DIAGTAP" proxy -d kdnet tcp 127.0.0.1:0 127.0.0.1:9
/usr/bin/python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$tmp/t.sock"
refused "$DIAGTAP" proxy -d kdnet unix "$tmp/l.sock" "$tmp/t.sock"
[ ! -e "$tmp/l.sock" ] || fail "a refused proxy left its socket behind"
refused "$DIAGTAP" capture -d kdnet -i lo

# decode-as: PORT=kdnet on a TCP port decodes the TCP stream as usual (no
# crash) and says once that the rule does not apply; on UDP it applies.
/usr/bin/python3 "$here/mkpcap.py" "$tmp/tcp.pcap" tcp 50000 \
    $(printf 'hello over tcp' | od -An -tx1 | tr -d ' \n') $(printf 'more bytes' | od -An -tx1 | tr -d ' \n')
rc=0
timeout 10 "$DIAGTAP" replay -d 50000=kdnet "$tmp/tcp.pcap" > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 0 ] || fail "replay -d 50000=kdnet on TCP: exit status $rc: $(cat "$tmp/err")"
[ "$(grep -c 'does not apply to TCP port 50000' "$tmp/out")" -eq 1 ] || fail "no single note on the rule: $(cat "$tmp/out")"

# Hostile recording: an exported-PDU stream whose dissector tag says "kd".
printf 'Content-Length: 2\r\n\r\n{}' > "$tmp/dap.raw"
"$DIAGTAP" replay -q -d dap --raw-in "$tmp/dap.raw" -w "$tmp/rec.pcapng" 2> "$tmp/err" || fail "recording: $(cat "$tmp/err")"
/usr/bin/python3 - "$tmp/rec.pcapng" <<'PY'
import sys
p = sys.argv[1]
b = open(p, "rb").read()
tag = b"\x00\x0c\x00\x04dap\x00"
assert tag in b, "no dissector tag in the recording"
open(p, "wb").write(b.replace(tag, b"\x00\x0c\x00\x04kd\x00\x00"))
PY
rc=0
timeout 10 "$DIAGTAP" replay "$tmp/rec.pcapng" > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" -le 1 ] || fail "replay of a recording tagged kd on a stream: exit status $rc (crash?)"
[ "$(grep -c 'kd cannot decode a byte stream' "$tmp/out")" -eq 1 ] || fail "no single error note: $(cat "$tmp/out")"
grep -q 'Content-Length' "$tmp/out" || fail "the stream is not shown undecoded: $(cat "$tmp/out")"
echo "ok: mismatches refused at start, engine never calls a missing framer"
