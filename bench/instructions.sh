#!/bin/sh
# Instructions, not seconds: on a shared VM the same build's replay time moves
# by up to 1.5x within an hour (docs/performance.md, item 10), so a change of
# a few percent cannot be seen in wall or CPU time. Valgrind counts the guest
# instructions a run executes, which do not move; this compares two builds
# on the bench inputs, one thread (DIAGTAP_RENDER_THREAD=0), output to
# /dev/null. About 30x slower than a replay: about two minutes in all.
#
#   bench/instructions.sh BEFORE_BUILD AFTER_BUILD
#
# Inputs as bench/run.sh makes them: BENCH_DAP_MIB (4), BENCH_SMB2_MIB (4);
# KDNET is left out (the corpus capture takes minutes under valgrind).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_BUILD AFTER_BUILD" >&2; exit 2; }
before=$(cd "$1" && pwd)/diagtap
after=$(cd "$2" && pwd)/diagtap
command -v valgrind > /dev/null || { echo "valgrind not installed (apt-get install valgrind)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 "$here/gen_dap_pcap.py" "$tmp/dap.pcap" "${BENCH_DAP_MIB:-4}" 64 > /dev/null
/usr/bin/python3 "$here/gen_smb2_pcap.py" "$here/../tests/smb2/smb-session.pcapng" "$tmp/smb2.pcap" \
  "${BENCH_SMB2_MIB:-4}" > /dev/null

# count BINARY ARGS...: guest instructions of one replay
count() {
  bin=$1
  shift
  DIAGTAP_RENDER_THREAD=0 valgrind --tool=lackey --basic-counts=yes "$bin" replay "$@" 2>&1 > /dev/null |
    sed -n 's/.*guest instrs: *\([0-9,]*\).*/\1/p' | tr -d ,
}

printf '| input | command | before (M instructions) | after | change |\n|---|---|---|---|---|\n'
for input in dap smb2; do
  for args in "-q" "-T json -o /dev/null" "-T text -o /dev/null"; do
    b=$(count "$before" $args "$tmp/$input.pcap")
    a=$(count "$after" $args "$tmp/$input.pcap")
    awk -v i="$input" -v c="$args" -v b="$b" -v a="$a" \
      'BEGIN { printf "| %s | `replay %s` | %.1f | %.1f | %+.1f%% |\n", i, c, b / 1e6, a / 1e6, (a - b) * 100 / b }'
  done
done
