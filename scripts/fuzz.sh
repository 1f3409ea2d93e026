#!/bin/sh
# Runs every libFuzzer target built in BUILDDIR/fuzz/ for SECONDS each.
#   scripts/fuzz.sh BUILDDIR SECONDS [NAME...]
# Seeds: fuzz/make_seeds.py (fixtures/ and $DIAGTAP_CORPUS or ../shared/corpus)
# and fuzz/seeds/NAME/ when a target ships its own. The corpus grows in
# BUILDDIR/fuzz-corpus/NAME/ across runs; a crashing input is kept in
# BUILDDIR/fuzz-crashes/NAME/. One line per target, then
# "fuzz: N passed, N failed" (a crash, leak or hang fails its target).
set -u
dir=$1 secs=$2
shift 2
src=$(cd "$(dirname "$0")/.." && pwd)
[ -n "${DIAGTAP_CORPUS:-}" ] || DIAGTAP_CORPUS="$src/../shared/corpus"
export DIAGTAP_CORPUS
if [ ! -d "$dir/fuzz-seeds" ]; then
    /usr/bin/python3 "$src/fuzz/make_seeds.py" "$dir/fuzz-seeds" >/dev/null || echo "fuzz: cannot build seeds" >&2
fi
[ $# -gt 0 ] || set -- $(find "$dir/fuzz" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sed 's|.*/fuzz_||' | sort)
passed=0 failed=0
for name in "$@"; do
    exe="$dir/fuzz/fuzz_$name"
    corpus="$dir/fuzz-corpus/$name" crashes="$dir/fuzz-crashes/$name"
    mkdir -p "$corpus" "$crashes"
    seeds=
    for s in "$dir/fuzz-seeds/$name" "$src/fuzz/seeds/$name"; do
        [ -d "$s" ] && seeds="$seeds $s"
    done
    log="$dir/fuzz-$name.log"
    # quarantine_size_mb: ASan keeps freed memory out of reuse to catch
    # use-after-free; with its default 256 MiB every input's allocations
    # (~64 KiB: engine, sinks, conversation buffers) come from fresh pages
    # (an mmap and page faults per input). 16 MiB still spans hundreds of
    # inputs and makes each input ~1.5x cheaper (docs/fuzzing.md).
    # shellcheck disable=SC2086 # seeds: a list of directories
    if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:quarantine_size_mb=16 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$exe" -max_total_time="$secs" -timeout=60 -rss_limit_mb=2560 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$crashes/" "$corpus" $seeds > "$log" 2>&1; then
        passed=$((passed + 1))
        echo "fuzz: $name ok, $(sed -n 's/^stat::number_of_executed_units: *//p' "$log") execs in ${secs}s"
    else
        failed=$((failed + 1))
        echo "fuzz: $name FAILED (see $log, input in $crashes/)"
        grep -E '^(==[0-9]+==ERROR|SUMMARY)' "$log" | head -3
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
