#!/bin/sh
# Options on the real KDNET corpus: secrets from the command line, a file or
# the environment give the same decode; a bad secret is named, never echoed;
# -q --stats prints the table alone.
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
cap="$DIAGTAP_CORPUS/kdnet/windbg-uncut.pcapng.gz"
if [ ! -f "$cap" ]; then
    echo "SKIP: corpus not found at $DIAGTAP_CORPUS"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# a malformed key fails at start with one line that names the option, not the key
rc=0; "$DIAGTAP" replay "$cap" --kdnet-key 8.8.zz!.8 > /dev/null 2> "$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q 'kdnet.key=<redacted>' "$tmp/err" ||
    fail "bad --kdnet-key: rc=$rc $(cat "$tmp/err")"
grep -q 'zz!' "$tmp/err" && fail "the bad key was echoed: $(cat "$tmp/err")"
# the same key from the command line, a file, and the environment
"$DIAGTAP" replay "$cap" --kdnet-key 8.8.8.8 --stats -q > "$tmp/argv"
grep -q 'GetVersion' "$tmp/argv" || fail "--kdnet-key: no GetVersion row"
printf '8.8.8.8\n' > "$tmp/key"
chmod 600 "$tmp/key"
"$DIAGTAP" replay "$cap" --kdnet-key-file "$tmp/key" --stats -q > "$tmp/file"
cmp -s "$tmp/argv" "$tmp/file" || fail "--kdnet-key-file decodes differently"
DIAGTAP_KDNET_KEY=8.8.8.8 "$DIAGTAP" replay "$cap" --stats -q > "$tmp/env"
cmp -s "$tmp/argv" "$tmp/env" || fail "\$DIAGTAP_KDNET_KEY decodes differently"
rc=0; "$DIAGTAP" replay "$cap" --kdnet-key-file "$tmp/nosuch" > /dev/null 2> "$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "$tmp/nosuch" "$tmp/err" ||
    fail "missing key file: rc=$rc $(cat "$tmp/err")"
# without a key nothing decrypts
"$DIAGTAP" replay "$cap" --stats -q > "$tmp/none"
grep -q 'GetVersion' "$tmp/none" && fail "decoded without a key"
# -q --stats: the table alone
head -1 "$tmp/argv" | grep -q '^PROTO ' || fail "-q --stats does not start with the table"
[ "$(grep -c 'DbgPrint:' "$tmp/argv")" -eq 0 ] || fail "-q still printed the timeline"
echo "cli_corpus: ok"
