#!/bin/sh
# Replay speed and peak memory next to tshark, on the same files, in the same
# run, as one table (docs/performance.md): wall time (a replay renders its
# timeline on a second core) and CPU time (user + system, bench/timeit),
# each as a ratio to tshark's. "one core" rows keep the rendering in line
# (DIAGTAP_RENDER_THREAD=0): what one core does, and what the thread costs.
#
#   bench/run.sh [BUILD_DIR]      (default: build; use a release build)
#
# Inputs (written to a temporary directory, removed at the end):
#   dap    bench/gen_dap_pcap.py: DAP over TCP, 64 conversations interleaved
#   smb2   bench/gen_smb2_pcap.py: the real smbd/smbclient recording
#          tests/smb2/smb-session.pcapng repeated with new addresses
#   kdnet  the KDNET corpus capture (../shared/corpus) decompressed and
#          concatenated to >= 100 MB (skipped when the corpus is absent)
#   dap + --proto nosuch, and -Y seq==0 (tshark: -Y frame.number==0): filters
#          that match nothing; -Y still decodes every message to evaluate it
# Env: BENCH_DAP_MIB (64), BENCH_SMB2_MIB (32), BENCH_KDNET_MB (100), BENCH_REPEAT (3: diagtap runs per row, least wall kept),
#      DIAGTAP_CORPUS (default: ../shared/corpus beside the source tree).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
diagtap=$(cd "$build" && pwd)/diagtap
timeit=$(cd "$build" && pwd)/bench/timeit
corpus=${DIAGTAP_CORPUS:-$here/../../shared/corpus}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

dap=$tmp/dap.pcap
/usr/bin/python3 "$here/gen_dap_pcap.py" "$dap" "${BENCH_DAP_MIB:-64}" 64
smb=$tmp/smb2.pcap
/usr/bin/python3 "$here/gen_smb2_pcap.py" "$here/../tests/smb2/smb-session.pcapng" "$smb" "${BENCH_SMB2_MIB:-32}"
kd=
kdsrc=$corpus/kdnet/windbg-uncut.pcapng.gz
if [ -f "$kdsrc" ]; then
  kd=$tmp/kdnet.pcapng
  gzip -dc "$kdsrc" > "$tmp/kd1.pcapng"
  want=$(( ${BENCH_KDNET_MB:-100} * 1000000 ))
  while [ "$(stat -c %s "$kd" 2>/dev/null || echo 0)" -lt "$want" ]; do
    cat "$tmp/kd1.pcapng" "$tmp/kd1.pcapng" "$tmp/kd1.pcapng" "$tmp/kd1.pcapng" >> "$kd"
  done
else
  echo "kdnet: corpus not found at $kdsrc, row skipped" >&2
fi

# measure CMD...: runs CMD with stdout to a file; prints
# "cpu_s wall_s rss_mib events". sync first: the previous run's output (GBs
# of tshark JSON) written back while CMD runs was landing in CMD's time.
# Timed by bench/timeit (wall to the microsecond, CPU, peak RSS), not
# /usr/bin/time, whose wall time counts in 10 ms steps: on a 0.16 s row
# that is 6% (210 or 198 MB/s).
measure() {
  rm -f "$tmp/out"
  sync
  "$timeit" "$tmp/time" "$@" > "$tmp/out" 2>/dev/null || true
  events=$(wc -l < "$tmp/out")
  awk -v ev="$events" '{ printf "%.3f %.3f %.1f %s\n", $1 + $2, $3, $4 / 1024, ev }' "$tmp/time"
}

# best CMD...: measure, BENCH_REPEAT times (default 3), the run with the least
# wall time kept: diagtap's rows are under a second, where one run moves by
# ±30% on a shared machine (tshark's minute-long rows are run once).
best() {
  for _ in $(seq "${BENCH_REPEAT:-3}"); do measure "$@"; done | sort -g -k2,2 | head -1
}

# ratio A B: A / B to one decimal (0 when B is 0)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }

printf '| input | MB | tool | command | wall s | CPU s | MB/s | MB per CPU s | peak RSS MiB | output lines | wall vs tshark | CPU vs tshark | RSS vs tshark |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
# row INPUT FILE TSHARK_ARGS DIAGTAP_ARGS...; "1:ARGS" runs on one core
row() {
  name=$1 file=$2 targs=$3
  shift 3
  mb=$(awk -v b="$(stat -c %s "$file")" 'BEGIN { printf "%.1f", b / 1e6 }')
  set -- $(measure tshark -r "$file" $targs) "$@"
  t_cpu=$1 t_wall=$2 t_rss=$3 t_ev=$4
  shift 4
  printf '| %s | %s | tshark | `tshark %s` | %s | %s | %s | %s | %s | %s | 1× | 1× | 1× |\n' "$name" "$mb" "$targs" \
    "$t_wall" "$t_cpu" "$(ratio "$mb" "$t_wall")" "$(ratio "$mb" "$t_cpu")" "$t_rss" "$t_ev"
  for dargs in "$@"; do
    threads=1 label=
    case $dargs in 1:*) threads=0 dargs=${dargs#1:} label=', one core' ;; esac
    set -- $(best env DIAGTAP_RENDER_THREAD=$threads "$diagtap" replay "$file" $dargs)
    printf '| %s | %s | diagtap | `diagtap replay %s`%s | %s | %s | %s | %s | %s | %s | %s× | %s× | %s× |\n' \
      "$name" "$mb" "$dargs" "$label" "$2" "$1" "$(ratio "$mb" "$2")" "$(ratio "$mb" "$1")" "$3" "$4" \
      "$(ratio "$t_wall" "$2")" "$(ratio "$t_cpu" "$1")" "$(ratio "$t_rss" "$3")"
  done
}

row dap "$dap" "-T ek" "-T json" "1:-T json" "-T text"
row smb2 "$smb" "-T json" "-T json" "1:-T json" "-T text"
[ -n "$kd" ] && row kdnet "$kd" "-T json" "-T json" "1:-T json" "-T text"
row "dap, nothing matches" "$dap" "-Y frame.number==0 -T json" "--proto nosuch -T json" "-Y seq==0 -T json"
printf '\nMachine: %s CPUs (%s), %s; diagtap %s\n' "$(nproc)" \
  "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$(date -u +%Y-%m-%d)" \
  "$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo '?')"
