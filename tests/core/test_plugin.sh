#!/bin/sh
# An external dissector .so, loaded from --plugin-dir through the public ABI,
# is listed, its fields are known, and it decodes and pairs a stream.
set -eu
so=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$so" "$dir/"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$DIAGTAP" dissectors --plugin-dir "$dir" | grep -q '^echo1 .*ECHO1.*example external dissector' ||
    fail "echo1 not listed by 'diagtap dissectors'"
"$DIAGTAP" dissectors | grep -q '^echo1 ' && fail "echo1 listed without --plugin-dir"
"$DIAGTAP" fields echo1 --plugin-dir "$dir" | grep -q '^echo1.line ' || fail "echo1.line not in 'diagtap fields echo1'"
DIAGTAP_PLUGIN_DIR=$dir "$DIAGTAP" fields echo1 | grep -q '^echo1.n ' || fail "DIAGTAP_PLUGIN_DIR not honoured"

# a broken plugin is reported and skipped, the rest still loads
printf 'not an ELF file' > "$dir/broken.so"
"$DIAGTAP" dissectors --plugin-dir "$dir" 2> "$dir/err" | grep -q '^echo1 ' || fail "good plugin lost next to a broken one"
grep -q 'broken.so' "$dir/err" || fail "broken plugin not reported"
rm "$dir/broken.so"

printf 'ECHO1\nPING 1\nPING 2\n' > "$dir/in"
printf 'PONG 1\n' > "$dir/out"
"$DIAGTAP" replay --plugin-dir "$dir" --raw-in "$dir/in" --raw-out "$dir/out" -d echo1 -T json > "$dir/json"
jq -e -s '[.[] | select(.proto == "ECHO1" and .summary == "pong 1")] | length == 1' "$dir/json" > /dev/null ||
    fail "pong 1 not decoded"
jq -e -s '(.[] | select(.summary == "ping 1") | .seq) as $req | [.[] | select(.summary == "pong 1" and .req_seq == $req)] | length == 1' \
    "$dir/json" > /dev/null || fail "pong 1 not paired with ping 1"
jq -e -s '[.[] | select(.kind == "pending" and (.summary | test("ping 2")))] | length == 1' "$dir/json" > /dev/null ||
    fail "unanswered ping 2 not listed"
echo "external plugin: ok"
