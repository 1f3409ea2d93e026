#!/bin/sh
# A DAP or LSP message announcing a huge Content-Length (issue 14): the rest
# of the stream was skipped silently. Now the messages after a lying length
# are decoded again (resynchronised, with one note saying how much was
# skipped), also when the stream arrives in pieces through a live wrapper;
# and a stream that ends inside the announced message says so at its end.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
msg() { printf 'Content-Length: %d\r\n\r\n%s' "${#1}" "$1"; }

for proto in dap lsp; do
    if [ $proto = dap ]; then
        a='{"seq":1,"type":"request","command":"initialize"}'
        b='{"seq":3,"type":"request","command":"threads"}'
        c='{"seq":4,"type":"request","command":"launch"}'
        want_b='threads #3' want_c='launch #4'
    else
        a='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}'
        b='{"jsonrpc":"2.0","id":2,"method":"shutdown"}'
        c='{"jsonrpc":"2.0","method":"exit"}'
        want_b='shutdown' want_c='exit'
    fi
    { msg "$a"; printf 'Content-Length: 100000000\r\n\r\n{"seq":2,'; msg "$b"; msg "$c"; } > "$tmp/lie"
    "$DIAGTAP" replay -d $proto --raw-in "$tmp/lie" > "$tmp/out" 2>&1 || fail "$proto: replay failed: $(cat "$tmp/out")"
    grep -q 'exceeds the 64 MiB limit' "$tmp/out" || fail "$proto: the oversized message is not reported"
    grep -q 'resynchronised after skipping' "$tmp/out" || fail "$proto: no resynchronisation note: $(cat "$tmp/out")"
    grep -q "$want_b" "$tmp/out" && grep -q "$want_c" "$tmp/out" ||
        fail "$proto: the messages after the lying length are lost: $(cat "$tmp/out")"

    # the same bytes through a live wrapper, a few at a time
    rc=0
    "$DIAGTAP" wrap -d $proto -- /usr/bin/python3 -c '
import sys, time
d = open(sys.argv[1], "rb").read()
for i in range(0, len(d), 7):
    sys.stdout.buffer.write(d[i:i + 7]); sys.stdout.flush(); time.sleep(0.002)
' "$tmp/lie" 2> "$tmp/live" > /dev/null || rc=$?
    [ "$rc" -eq 0 ] || fail "$proto: wrap failed: $(cat "$tmp/live")"
    grep -q "$want_b" "$tmp/live" && grep -q "$want_c" "$tmp/live" ||
        fail "$proto: in pieces, the messages after the lying length are lost: $(cat "$tmp/live")"

    # the stream ends inside the announced body: said at the end
    { msg "$a"; printf 'Content-Length: 100000000\r\n\r\n{"seq":2,"x":"'; head -c 5000 /dev/zero | tr '\0' a; } > "$tmp/cut"
    "$DIAGTAP" replay -d $proto --raw-in "$tmp/cut" > "$tmp/out" 2>&1 || true
    grep -q 'stream ended inside the .* message at stream offset [0-9]*, which announced 100000029 bytes: the 50[0-9][0-9] bytes' \
        "$tmp/out" || fail "$proto: the end of stream does not say what was skipped: $(cat "$tmp/out")"
done
echo "ok: lying Content-Lengths resynchronise; a stream cut inside one says what was skipped"
