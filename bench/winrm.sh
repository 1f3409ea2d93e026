#!/bin/sh
# WinRM replay rate next to tshark's, measured in the same run on the same
# file: a capture of >= 100 MB made from the pypsrp corpus envelopes
# (tests/wsman/make_pcap.py: each file one HTTP/TCP connection to 5985,
# repeated until the size is reached).
#
# usage: bench/winrm.sh [BUILD_DIR] [MIB]     (default: build, 100)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
mib=${2:-100}
diagtap=$(cd "$build" && pwd)/diagtap
corpus=${DIAGTAP_CORPUS:-$here/../../shared/corpus}/winrm/pypsrp-responses
if [ ! -d "$corpus" ]; then
  echo "SKIP: corpus not found at $corpus"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
f="$tmp/winrm.pcap"
# one pass over the corpus is about 3.6 MB of capture
rep=$(( (mib * 1000000 + 3500000) / 3600000 ))
/usr/bin/python3 "$here/../tests/wsman/make_pcap.py" "$f" "$corpus"/test_*.yml --repeat "$rep"
bytes=$(stat -c %s "$f")

# CPU seconds (user + system) of the command: the machine is shared, so wall
# time says more about the neighbours than about the decoder; both are shown.
run() {
  /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@" > "$tmp/out" 2>/dev/null
  read -r wall user sys < "$tmp/time"
  echo "$wall $(echo "$user + $sys" | bc -l)"
}
printf 'WinRM capture: %s bytes, %s connections\n' "$bytes" "$(( rep * 58 ))"
printf '%-48s %-8s %-8s %-10s %s\n' "TOOL" "WALL_S" "CPU_S" "MB/CPU_s" "CPU vs tshark fields"
t_fields=$(run tshark -r "$f" -Y http -T fields -e http.request.method)
t_json=$(run tshark -r "$f" -Y http -T json)
d_text=$(run "$diagtap" replay "$f" -T text)
d_json=$(run "$diagtap" replay "$f" -T json)
d_quiet=$(run "$diagtap" replay "$f" -q --stats)
for row in "tshark -Y http -T fields -e http.request.method:$t_fields" "tshark -Y http -T json:$t_json" \
           "diagtap replay -T text:$d_text" "diagtap replay -T json:$d_json" "diagtap replay -q --stats:$d_quiet"; do
  label=${row%:*}
  set -- ${row##*:}
  printf '%-48s %-8.2f %-8.2f %-10.1f %.1fx\n' "$label" "$1" "$2" "$(echo "$bytes / 1000000 / $2" | bc -l)" \
    "$(echo "${t_fields#* } / $2" | bc -l)"
done
printf 'diagtap -T json vs tshark -T json: %.1fx less CPU\n' "$(echo "${t_json#* } / ${d_json#* }" | bc -l)"
