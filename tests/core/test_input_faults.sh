#!/bin/sh
# diagtap replay on bad inputs, at the command line: a missing file, a directory,
# an empty file, a non-capture, pcap / pcapng / .gz cut short and damaged. Each
# gives exactly one stderr line naming the file (and the byte offset where one
# applies), exit status 1, the events decoded before the fault on stdout, and
# no hang (every run is under timeout).
set -eu
sample="$DIAGTAP_SRCDIR/fixtures/sample.pcapng"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# run FILE: sets rc, out (event count), err (stderr text)
run() {
    rc=0
    timeout 60 "$DIAGTAP" replay -T json "$1" > "$tmp/out" 2> "$tmp/err" || rc=$?
    out=$(wc -l < "$tmp/out" | tr -d ' ')
    err=$(cat "$tmp/err")
}
# expect FILE MIN_EVENTS MAX_EVENTS PATTERN: one line naming FILE and matching PATTERN
expect() {
    run "$1"
    [ "$rc" -eq 1 ] || fail "$1: exit status $rc, want 1 ($err)"
    [ "$(wc -l < "$tmp/err" | tr -d ' ')" -eq 1 ] || fail "$1: not one stderr line: $err"
    case "$err" in "diagtap: $1: "*) ;; *) fail "$1: the line does not name the file: $err" ;; esac
    printf '%s\n' "$err" | grep -Eq -- "$4" || fail "$1: '$err' does not match '$4'"
    [ "$out" -ge "$2" ] && [ "$out" -le "$3" ] || fail "$1: $out events, want $2..$3 ($err)"
}

run "$sample"
[ "$rc" -eq 0 ] && [ -z "$err" ] || fail "the sample itself: $rc $err"
all=$out
[ "$all" -gt 300 ] || fail "only $all events in the sample"

expect "$tmp/missing.pcapng" 0 0 'No such file'
expect "$tmp" 0 0 'is a directory'
: > "$tmp/empty"
expect "$tmp/empty" 0 0 'empty file'
printf 'hello, world\n' > "$tmp/text"
expect "$tmp/text" 0 0 'offset 0: not a pcap'

size=$(stat -c %s "$sample")
# pcapng cut inside its header, inside a block early on, and just before the end
head -c 20 "$sample" > "$tmp/cut.pcapng"
expect "$tmp/cut.pcapng" 0 0 'offset 0: truncated Section Header Block'
head -c $((size / 2)) "$sample" > "$tmp/half.pcapng"
expect "$tmp/half.pcapng" 20 $((all - 1)) 'offset [0-9]+: truncated [A-Za-z ]+Block'
head -c $((size - 3)) "$sample" > "$tmp/end.pcapng"
expect "$tmp/end.pcapng" $((all - 3)) "$all" 'offset [0-9]+: truncated'

# classic pcap (the sample's Ethernet part through editcap), cut and damaged
editcap -F pcap -r "$sample" "$tmp/s.pcap" 1-300 2> /dev/null
run "$tmp/s.pcap"
[ "$rc" -eq 0 ] || fail "s.pcap: $err"
pall=$out
psize=$(stat -c %s "$tmp/s.pcap")
head -c $((psize * 2 / 3)) "$tmp/s.pcap" > "$tmp/cut.pcap"
expect "$tmp/cut.pcap" 10 $((pall - 1)) 'offset [0-9]+: truncated dump file'
cp "$tmp/s.pcap" "$tmp/bad.pcap"
printf '\377\377\377\177' | dd of="$tmp/bad.pcap" bs=1 seek=32 conv=notrunc 2> /dev/null  # 1st caplen
expect "$tmp/bad.pcap" 0 0 'offset 24: invalid packet capture length'

# gzip: cut short, a wrong CRC in the trailer, damaged deflate data
gzip -9 -c "$sample" > "$tmp/s.pcapng.gz"
run "$tmp/s.pcapng.gz"
[ "$rc" -eq 0 ] && [ "$out" -eq "$all" ] || fail "s.pcapng.gz: $out events, $err"
zsize=$(stat -c %s "$tmp/s.pcapng.gz")
head -c $((zsize / 2)) "$tmp/s.pcapng.gz" > "$tmp/cut.pcapng.gz"
expect "$tmp/cut.pcapng.gz" 20 $((all - 1)) 'offset [0-9]+: .*gzip: unexpected end of file'
cp "$tmp/s.pcapng.gz" "$tmp/crc.pcapng.gz"
printf '\0\0\0\0' | dd of="$tmp/crc.pcapng.gz" bs=1 seek=$((zsize - 8)) conv=notrunc 2> /dev/null
# every byte inflated before the check fails: every event is still there
expect "$tmp/crc.pcapng.gz" "$all" "$all" "offset $size: gzip: incorrect data check near compressed byte"
cp "$tmp/s.pcapng.gz" "$tmp/bad.pcapng.gz"
printf 'XXXXXXXXXXXXXXXX' | dd of="$tmp/bad.pcapng.gz" bs=1 seek=$((zsize / 2)) conv=notrunc 2> /dev/null
expect "$tmp/bad.pcapng.gz" 20 "$all" 'offset [0-9]+: '
gzip -9 -c "$tmp/s.pcap" > "$tmp/s.pcap.gz"
zsize=$(stat -c %s "$tmp/s.pcap.gz")
head -c $((zsize - 100)) "$tmp/s.pcap.gz" > "$tmp/cut.pcap.gz"
expect "$tmp/cut.pcap.gz" 10 $((pall - 1)) 'offset [0-9]+: truncated dump file.*gzip: unexpected end of file'
cp "$tmp/s.pcap.gz" "$tmp/crc.pcap.gz"
printf '\0\0\0\0' | dd of="$tmp/crc.pcap.gz" bs=1 seek=$((zsize - 8)) conv=notrunc 2> /dev/null
expect "$tmp/crc.pcap.gz" "$pall" "$pall" 'offset [0-9]+: gzip: incorrect data check'
echo "input faults: ok"
