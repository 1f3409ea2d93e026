#!/bin/sh
# Builds diagtap twice (-Werror; ASan+UBSan) and runs the whole test suite
# in both. Ends with one line "tests: N passed, N failed".
#   sh scripts/test.sh          everything (what CI runs)
#   sh scripts/test.sh quick    the unit tests only, one build (< 1 minute)
set -u
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
failed=0
suite_args=
[ "${1:-}" = quick ] && suite_args="--suite quick"
corpus=${DIAGTAP_CORPUS:-../shared/corpus}
summary() { # builddir → "passed failed" from meson's JSON test log
    /usr/bin/python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = 0
try:
    for line in open(sys.argv[1]):
        r = json.loads(line)
        if r.get("result") in ("OK", "EXPECTEDFAIL"):
            p += 1
        elif r.get("result") != "SKIP":
            f += 1
except FileNotFoundError:
    f += 1
print(p, f)
PY
}
run() { # builddir, meson options...
    dir=$1; shift
    if [ -d "$dir" ]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null || return 1
    else
        meson setup "$dir" "$@" >/dev/null || return 1
    fi
    ninja -C "$dir" -j "$jobs" >/dev/null || { ninja -C "$dir" -j1; return 1; }
    # shellcheck disable=SC2086
    meson test -C "$dir" --num-processes "$jobs" --print-errorlogs $suite_args
}
# Every process a test started must be gone when its suite ends: list (and
# then kill) any whose executable or command line is under BUILDDIR.
leftovers() { # builddir → prints "pid cmdline" lines; status 1 if any
    root=$(cd "$1" && pwd) found=0
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        [ "$pid" = "$$" ] && continue
        exe=$(readlink "$d/exe" 2>/dev/null) || continue
        cmd=$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null) || continue
        case "$exe $cmd" in *"$root/"*)
            echo "left behind: $pid $cmd"
            kill -9 "$pid" 2>/dev/null
            found=1 ;;
        esac
    done
    return $found
}
# Where the corpus is present, a test may not skip for want of it: that
# would hide a regression (tests/common/dtcorpus.*).
corpus_skips() {
    [ -d "$corpus" ] || return 0
    /usr/bin/python3 - "$1/meson-logs/testlog.json" "$corpus" <<'PY'
import json, sys
bad = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "SKIP: corpus not found" in (r.get("stdout") or "") + (r.get("stderr") or ""):
        bad.append(r["name"])
if bad:
    print("FAIL: the corpus is at %s, yet these tests skipped for want of it: %s"
          % (sys.argv[2], ", ".join(bad)), file=sys.stderr)
    sys.exit(1)
PY
}
run build-test -Dwerror=true -Dbuildtype=debugoptimized -Dcorpus="$(realpath -m "$corpus")" || failed=1
corpus_skips build-test || failed=1
left=0
leftovers build-test || { left=$((left + 1)); echo "FAIL: processes left behind by the tests in build-test"; }
set -- $(summary build-test)
passed=$1 fails=$2
# The Windows build (mingw cross build, tests under wine64; plain build only,
# docs/windows.md). Its results count in the total; a missing toolchain is
# a failure, not a skip (scripts/deps.sh installs it).
if [ -z "$suite_args" ]; then
    if ! command -v x86_64-w64-mingw32-gcc-posix >/dev/null || [ ! -x /usr/lib/wine/wine64 ]; then
        echo "FAIL: the Windows build needs gcc-mingw-w64-x86-64 and wine64 (scripts/deps.sh)"
        failed=1
    elif sh scripts/fetch-win-deps.sh; then
        # meson's sanity check and the tests run through scripts/wine-run.sh:
        # private prefixes cloned from one template booted once (~30 s)
        export DIAGTAP_WINE_RUN="$PWD/scripts/wine-run.sh" DIAGTAP_WINE_TEMPLATE="$PWD/build-win/wine/template"
        export DIAGTAP_LINUX="$PWD/build-test/diagtap"
        ok=1
        [ -f build-win/build.ninja ] ||
            meson setup build-win --cross-file cross/x86_64-w64-mingw32.txt -Dwrap_mode=nodownload >/dev/null || ok=
        if [ -n "$ok" ]; then
            run build-win -Dwerror=true -Dwireshark=disabled -Dwrap_mode=nodownload \
                -Dcorpus="$(realpath -m "$corpus")" || failed=1
            corpus_skips build-win || failed=1
            leftovers build-win || { left=$((left + 1)); echo "FAIL: processes left behind by the tests in build-win"; }
            set -- $(summary build-win)
            passed=$((passed + $1)) fails=$((fails + $2))
        else
            failed=1
        fi
        unset DIAGTAP_WINE_RUN DIAGTAP_WINE_TEMPLATE DIAGTAP_LINUX
    else
        failed=1
    fi
fi
if [ -n "$suite_args" ]; then
    fails=$((fails + left))
    echo "tests: $passed passed, $fails failed"
    [ "$failed" -eq 0 ] && [ "$fails" -eq 0 ]
    exit
fi
DIAGTAP_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run build-test-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug \
        -Dcorpus="$(realpath -m "$corpus")" || failed=1
corpus_skips build-test-asan || failed=1
leftovers build-test-asan || { left=$((left + 1)); echo "FAIL: processes left behind by the tests in build-test-asan"; }
set -- $(summary build-test-asan)
passed=$((passed + $1)) fails=$((fails + $2))
# Fuzzing: a short run of every libFuzzer target (clang); a crash is a failure.
if command -v clang >/dev/null 2>&1; then
    fz=build-fuzz
    if { [ -d "$fz" ] && meson setup --reconfigure "$fz" >/dev/null; } ||
        CC=clang meson setup "$fz" -Dfuzzing=enabled -Dtests=disabled -Dwireshark=disabled \
            -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null; then
        if ninja -C "$fz" -j "$jobs" >/dev/null; then
            DIAGTAP_CORPUS="$(realpath -m "$corpus")" sh scripts/fuzz.sh "$fz" "${DIAGTAP_FUZZ_SECONDS:-20}" | tee "$fz/fuzz-summary.txt" || failed=1
            set -- $(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$fz/fuzz-summary.txt")
            passed=$((passed + ${1:-0})) fails=$((fails + ${2:-1}))
        else
            echo "fuzz: build failed"; fails=$((fails + 1))
        fi
    else
        echo "fuzz: meson setup failed"; fails=$((fails + 1))
    fi
else
    echo "fuzz: SKIP: clang not found (scripts/deps.sh installs it)"
fi
fails=$((fails + left)) # a suite that leaves processes behind counts as one failure
echo "tests: $passed passed, $fails failed"
[ "$failed" -eq 0 ] && [ "$fails" -eq 0 ]
