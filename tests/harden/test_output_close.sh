#!/bin/sh
# A timeline written to -o FILE is closed once, and nothing touches its FILE
# after fclose. dt_cli_run_finish used to take setvbuf's branch after a
# successful fclose of a fully buffered -o file (a use after free: the
# proxy crashed with SIGSEGV at its stop under meson's MALLOC_PERTURB_ once
# its timeline became fully buffered). glibc's tcache is turned off here so
# that the freed FILE is scribbled over at once: the old code crashed every
# time. Under ASan this runs too, but libc's own accesses are not checked.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
sample="$DIAGTAP_SRCDIR/fixtures/sample.pcapng"
for fmt in text json html; do
    for perturb in 5 165; do
        out="$tmp/out.$fmt"
        rm -f "$out"
        rc=0
        GLIBC_TUNABLES=glibc.malloc.tcache_count=0 MALLOC_PERTURB_=$perturb \
            "$DIAGTAP" replay -T $fmt -o "$out" "$sample" 2> "$tmp/err" || rc=$?
        [ $rc -eq 0 ] || fail "replay -T $fmt -o FILE (MALLOC_PERTURB_=$perturb): exit status $rc: $(cat "$tmp/err")"
        [ -s "$out" ] || fail "replay -T $fmt -o FILE: the timeline is empty"
    done
done
# the same sample to stdout: -o gives the same bytes (nothing lost at the close)
"$DIAGTAP" replay -T json "$sample" > "$tmp/stdout.json"
cmp -s "$tmp/stdout.json" "$tmp/out.json" || fail "replay -T json -o FILE differs from the same replay to stdout"
echo "ok: -o FILE closed cleanly in text, json and html"
