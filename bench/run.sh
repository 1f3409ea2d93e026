#!/bin/sh
# Replay throughput and peak memory on synthetic DAP-over-TCP captures of
# growing size: MB/s should stay flat and peak RSS should not grow with the
# input (it depends on concurrent conversations only).
#
# usage: bench/run.sh [BUILD_DIR]      (default: build)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
diagtap=$(cd "$build" && pwd)/diagtap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-10s %-8s %-12s %-12s %-10s %s\n' "INPUT_MiB" "CONVS" "SECONDS" "MB/s" "EVENTS" "PEAK_RSS_MiB"
for size in 64 256; do
  for convs in 64 1024; do
    f="$tmp/dap-$size-$convs.pcap"
    /usr/bin/python3 "$here/gen_dap_pcap.py" "$f" "$size" "$convs"
    bytes=$(stat -c %s "$f")
    for fmt in text json; do
      start=$(date +%s.%N)
      /usr/bin/time -f '%M' -o "$tmp/rss" "$diagtap" replay "$f" -T "$fmt" > "$tmp/out"
      end=$(date +%s.%N)
      secs=$(echo "$end - $start" | bc -l)
      events=$(wc -l < "$tmp/out")
      rss=$(( $(cat "$tmp/rss") / 1024 ))
      printf '%-10s %-8s %-12.2f %-12.1f %-10s %s (%s)\n' "$size" "$convs" "$secs" \
        "$(echo "$bytes / 1000000 / $secs" | bc -l)" "$events" "$rss" "$fmt"
    done
  done
done

# WinRM next to tshark (bench/winrm.sh: a >= 100 MB capture from the pypsrp corpus)
"$here/winrm.sh" "$build"
