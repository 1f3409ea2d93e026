#!/bin/sh
# Proxies: what a relay in the middle costs. For each transport (TCP, Unix
# socket) and each middle — nothing (direct), socat, diagtap decoding (text
# timeline to a file; "diagtap" as it runs by default: splicing on Linux and
# busy polling 50 µs after traffic; "diagtap-sleep" the same with
# --busy-poll 0; "diagtap-copy" with DIAGTAP_NO_SPLICE=1: the read/write
# relay) — measures one-way throughput of random bytes and of
# DAP output events, and the round trip of a ~220-byte DAP request answered
# by a ~250-byte response (p50/p99). bench/relaybench.c is both ends every
# time. Prints ONE table, with ratios to direct and to socat, the CPU time
# the middle spent (user+system, its children included: socat forks), and
# how much diagtap could not decode (its decoder is behind: the bytes are
# relayed, and the timeline says "decoder behind: N bytes not decoded").
#
# diagtap has no mode that relays without decoding, so there is no
# "diagtap, decoding off" row: the direct and socat rows are the floor.
#
# usage: bench/proxy.sh [BUILD_DIR]   (default: build)
#   BENCH_MB=1024     MiB per throughput run
#   BENCH_RUNS=3      runs per cell; the MEDIAN is kept, the spread (min-max)
#                     is printed: the machine is shared, absolute numbers move
#   BENCH_PINGS=5000  round trips per latency run
#   BENCH_TRANSPORTS="tcp unix"
#   BENCH_MODES="direct socat diagtap diagtap-sleep diagtap-copy" (direct and socat are needed for the ratios)
#
# Round trips are measured twice: as the scheduler places the processes,
# and with both ends and the middle pinned to one CPU ("one CPU" columns).
# On this VM a wake-up of a process on the other CPU costs ~20-25 µs (an
# inter-processor interrupt through the hypervisor): unpinned, a direct
# round trip takes 12 µs when both ends happen to share a CPU and 30-60 µs
# when they do not, and a run keeps whichever placement it started with,
# so the unpinned p50s of direct, socat and diagtap differ by where their
# processes landed as much as by what they do. Pinned, every wake-up is
# local and the difference is the middle's own work: its system calls and
# the two context switches each hop adds.
set -eu
build=$(cd "${1:-build}" && pwd)
diagtap=$build/diagtap
rb=$build/bench/relaybench
MB=${BENCH_MB:-1024}
RUNS=${BENCH_RUNS:-3}
PINGS=${BENCH_PINGS:-5000}
TRANSPORTS=${BENCH_TRANSPORTS:-tcp unix}
MODES=${BENCH_MODES:-direct socat diagtap diagtap-sleep diagtap-copy}
tmp=$(mktemp -d /tmp/dt-bench-XXXXXX)
pids=""
pin="" # a command prefix: "taskset -c 0" for the one-CPU round trips
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
hz=$(getconf CLK_TCK)

port=$(( 20000 + $$ % 20000 ))
next_port() { port=$((port + 1)); }

# start_server sink|echo ADDR: a relaybench end in the background.
start_server() {
  $pin "$rb" "$1" "$2" </dev/null > "$tmp/srv.out" 2>&1 &
  pids="$pids $!"
  for _ in $(seq 200); do grep -q ready "$tmp/srv.out" 2>/dev/null && return 0; sleep 0.01; done
  echo "relaybench $1 did not start" >&2; exit 1
}
stop_servers() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=""
}

wait_socket() { # path or host:port
  for _ in $(seq 1500); do
    case $1 in
      */*) [ -S "$1" ] && return 0 ;;
      *) ss -Hltn "sport = :${1##*:}" 2>/dev/null | grep -q . && return 0 ;;
    esac
    sleep 0.01
  done
  echo "nothing listens on $1" >&2; exit 1
}

# via MODE TRANSPORT TARGET: starts the middle (socat or diagtap); sets front and mid.
via() {
  mode=$1 tr=$2 target=$3
  mid=""
  if [ "$mode" = direct ]; then front=$target; return; fi
  if [ "$tr" = unix ]; then front=$tmp/front-$mode.sock; rm -f "$front"; else next_port; front=127.0.0.1:$port; fi
  if [ "$mode" = socat ]; then
    if [ "$tr" = unix ]; then
      $pin socat -b 262144 UNIX-LISTEN:"$front",fork UNIX-CONNECT:"$target" </dev/null >/dev/null 2>&1 &
    else
      $pin socat -b 262144 TCP-LISTEN:"${front##*:}",bind=127.0.0.1,reuseaddr,fork,nodelay TCP:"$target",nodelay \
        </dev/null >/dev/null 2>&1 &
    fi
  elif [ "$mode" = diagtap-sleep ]; then
    $pin "$diagtap" proxy --busy-poll 0 "$tr" "$front" "$target" </dev/null > "$tmp/timeline.txt" 2> "$tmp/diagtap.err" &
  elif [ "$mode" = diagtap-copy ]; then
    DIAGTAP_NO_SPLICE=1 $pin "$diagtap" proxy "$tr" "$front" "$target" </dev/null > "$tmp/timeline.txt" 2> "$tmp/diagtap.err" &
  else
    $pin "$diagtap" proxy "$tr" "$front" "$target" </dev/null > "$tmp/timeline.txt" 2> "$tmp/diagtap.err" &
  fi
  mid=$!
  pids="$pids $mid"
  wait_socket "$front"
}

# CPU seconds the middle used so far (its threads and reaped children).
mid_cpu() {
  [ -n "$mid" ] || { echo 0; return; }
  sleep 0.1 # socat reaps its forked child when it exits
  awk -v hz="$hz" '{ print ($14 + $15 + $16 + $17) / hz }' "/proc/$mid/stat" 2>/dev/null || echo 0
}
stop_mid() { if [ -n "${mid:-}" ]; then kill "$mid" 2>/dev/null || true; wait "$mid" 2>/dev/null || true; fi; mid=""; }

# Bytes diagtap reported as not decoded in its timeline.
not_decoded() {
  grep -o 'decoder behind: [0-9]* bytes not decoded' "$tmp/timeline.txt" 2>/dev/null |
    awk '{ s += $3 } END { print s + 0 }'
}

# median, then "min-max", of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f-%.0f", lo, hi }'; }

# throughput TRANSPORT KIND MODE: sets tp (MB/s median), tp_spread, cpu (s per GiB), nd (% not decoded)
throughput() {
  tr=$1 kind=$2 mode=$3
  res="" cpus="" nds=""
  for _ in $(seq "$RUNS"); do
    via "$mode" "$tr" "$target"
    res="$res $("$rb" send "$front" "$kind" "$MB")"
    cpus="$cpus $(echo "$(mid_cpu) * 1024 / $MB" | bc -l)"
    if [ "$mode" != direct ] && [ "$mode" != socat ]; then
      stop_mid
      nds="$nds $(echo "$(not_decoded) * 100 / ($MB * 1048576)" | bc -l)"
    fi
    stop_mid
  done
  tp=$(echo "$res" | tr ' ' '\n' | grep . | median)
  tp_spread=$(echo "$res" | tr ' ' '\n' | grep . | spread)
  cpu=$(echo "$cpus" | tr ' ' '\n' | grep . | median)
  if [ -n "$nds" ]; then nd=$(printf '%.0f%%' "$(echo "$nds" | tr ' ' '\n' | grep . | median)"); else nd=-; fi
}

# latency TRANSPORT MODE: sets p50, p99 (medians over runs), p50_spread, lcpu (µs of CPU per round trip)
latency() {
  tr=$1 mode=$2
  via "$mode" "$tr" "$target"
  c0=$(mid_cpu)
  a50="" a99=""
  for _ in $(seq "$RUNS"); do
    set -- $($pin "$rb" ping "$front" "$PINGS")
    a50="$a50 $1" a99="$a99 $2"
  done
  lcpu=$(echo "($(mid_cpu) - $c0) * 1000000 / ($RUNS * $PINGS)" | bc -l)
  if [ "$mode" != direct ] && [ "$mode" != socat ]; then
    stop_mid
    grep -q evaluate "$tmp/timeline.txt" || { echo "diagtap decoded no round trip" >&2; exit 1; }
  fi
  stop_mid
  p50=$(echo "$a50" | tr ' ' '\n' | grep . | median)
  p99=$(echo "$a99" | tr ' ' '\n' | grep . | median)
  p50_spread=$(echo "$a50" | tr ' ' '\n' | grep . | spread)
}

pct() { printf '%.0f%%' "$(echo "$1 * 100 / $2" | bc -l)"; }

rows=$tmp/rows
: > "$rows"
for tr in $TRANSPORTS; do
  for mode in $MODES; do
    line="$tr $mode"
    for kind in random dap; do
      if [ "$tr" = unix ]; then target=$tmp/sink.sock; else next_port; target=127.0.0.1:$port; fi
      start_server sink "$target"
      throughput "$tr" "$kind" "$mode"
      stop_servers
      line="$line $tp $tp_spread $cpu"
      [ "$kind" = dap ] && line="$line $nd"
    done
    for pin in "" "taskset -c 0"; do # as placed by the scheduler, then on one CPU
      if [ "$tr" = unix ]; then target=$tmp/echo.sock; else next_port; target=127.0.0.1:$port; fi
      start_server echo "$target"
      latency "$tr" "$mode"
      stop_servers
      line="$line $p50 $p99 $p50_spread $lcpu"
    done
    pin=""
    echo "$line" >> "$rows"
  done
done

# One table. Columns per transport and middle:
#   random/dap MB/s (median, min-max of the runs), % of direct, % of socat,
#   CPU s of the middle per GiB, % of the DAP bytes not decoded,
#   round trip p50 and p99 (µs), p50 added to direct, p50 added to socat's,
#   CPU µs of the middle per round trip; the same p50 with everything on one
#   CPU, and what that adds to direct's and to socat's.
printf '| transport | via | random MB/s (runs) | vs direct | vs socat | CPU s/GiB | DAP MB/s (runs) | vs direct | vs socat | CPU s/GiB | DAP not decoded | RTT p50 µs (runs) | p99 µs | p50 − direct | p50 − socat | CPU µs/RTT | one CPU: RTT p50 µs (runs) | − direct | − socat |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for tr in $TRANSPORTS; do
  set -- $(grep "^$tr direct " "$rows"); dr=$3 dd=$6 d50=${10} d1=${14}
  set -- $(grep "^$tr socat " "$rows"); sr=$3 sd=$6 s50=${10} s1=${14}
  for mode in $MODES; do
    set -- $(grep "^$tr $mode " "$rows")
    printf '| %s | %s | %.0f (%s) | %s | %s | %.2f | %.0f (%s) | %s | %s | %.2f | %s | %.1f (%s) | %.0f | %+.1f | %+.1f | %.1f | %.1f (%s) | %+.1f | %+.1f |\n' \
      "$1" "$2" "$3" "$4" "$(pct "$3" "$dr")" "$(pct "$3" "$sr")" "$5" \
      "$6" "$7" "$(pct "$6" "$dd")" "$(pct "$6" "$sd")" "$8" "$9" \
      "${10}" "${12}" "${11}" "$(echo "${10} - $d50" | bc -l)" "$(echo "${10} - $s50" | bc -l)" "${13}" \
      "${14}" "${16}" "$(echo "${14} - $d1" | bc -l)" "$(echo "${14} - $s1" | bc -l)"
  done
done
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC'), diagtap $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?'), $MB MiB x $RUNS runs, $PINGS round trips x $RUNS"
