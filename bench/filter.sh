#!/bin/sh
# What a -Y display filter costs against writing the events it drops.
#
# On a synthetic DAP capture (bench/gen_dap_pcap.py) and on the bundled
# SMB2/DAP sample repeated, times (CPU seconds, best of 3): decoding alone (-q), decoding with a -Y
# that rejects every event (a cheap test, a walk of every field tree, a
# regular expression over every summary), and decoding with every event
# written as JSON Lines or text to /dev/null. The filter's cost is its row
# minus the -q row; writing's cost is the json row minus the -q row.
#
# usage: bench/filter.sh [BUILD_DIR] [DAP_MIB]     (defaults: build, 128)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
mib=${2:-128}
diagtap=$(cd "$build" && pwd)/diagtap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$here/gen_dap_pcap.py" "$tmp/dap.pcap" "$mib" 64
# the sample 200 times over, as one file list (replay merges them by time)
sample="$here/../fixtures/sample.pcapng"
set --
i=0
while [ $i -lt 200 ]; do set -- "$@" "$sample"; i=$((i + 1)); done

best() { # best of 3 CPU seconds (user + system) of: "$@"; CPU time, not
          # wall time, so that other load on the machine matters less
  b=
  for _ in 1 2 3; do
    /usr/bin/time -f '%U %S' -o "$tmp/t" "$@" > /dev/null 2>&1 || true
    t=$(awk '{ print $1 + $2 }' "$tmp/t")
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
  done
  echo "$b"
}

row() { # label, base seconds, command...
  label=$1 base=$2
  shift 2
  t=$(best "$@")
  d=$(echo "$t - $base" | bc -l)
  printf '%-52s %8.2f s  %+6.2f s over -q  %+7.0f ns/event\n' "$label" "$t" "$d" \
    "$(echo "$d * 1000000000 / $events" | bc -l)"
}

for input in dap sample; do
  if [ $input = dap ]; then
    files="$tmp/dap.pcap"
    events=$("$diagtap" replay "$tmp/dap.pcap" -T json | wc -l)
    echo "== synthetic DAP capture, $mib MiB, $events events"
    miss='dap.command == "nosuch"'
  else
    files="$*"
    events=$("$diagtap" replay $files -T json | wc -l)
    echo "== fixtures/sample.pcapng x200 (SMB2, DCERPC, DAP), $events events"
    miss='smb2.cmd == 99 || dap.command == "nosuch"'
  fi
  # shellcheck disable=SC2086 # files: a list
  base=$(best "$diagtap" replay $files -q)
  printf '%-52s %8.2f s\n' "decode only (-q)" "$base"
  # shellcheck disable=SC2086
  row "-Y 'proto == \"none\"' (drops all)" "$base" "$diagtap" replay $files -Y 'proto == "none"'
  # shellcheck disable=SC2086
  row "-Y '$miss' (drops all)" "$base" "$diagtap" replay $files -Y "$miss"
  # shellcheck disable=SC2086
  row "-Y 'summary matches \"zzz\"' (drops all)" "$base" "$diagtap" replay $files -Y 'summary matches "zzz"'
  # shellcheck disable=SC2086
  row "-Y ... --no-pair-partner (drops all)" "$base" "$diagtap" replay $files -Y "$miss" --no-pair-partner
  # shellcheck disable=SC2086
  row "-T json > /dev/null (writes all)" "$base" "$diagtap" replay $files -T json
  # shellcheck disable=SC2086
  row "-T text > /dev/null (writes all)" "$base" "$diagtap" replay $files
done
