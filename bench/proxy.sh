#!/bin/sh
# Proxies: throughput one way (random bytes and DAP output events) and the
# round trip of a small DAP request/response, over TCP and Unix sockets,
# connecting directly, through socat, and through diagtap with decoding on
# (text timeline written to a file). Prints one table; ratios are against
# the direct connection. bench/relaybench.c is both ends every time.
#
# usage: bench/proxy.sh [BUILD_DIR]   (default: build)
#   BENCH_MB=1024     MiB per throughput run
#   BENCH_RUNS=3      runs per cell (the best is kept: the machine is shared)
#   BENCH_PINGS=5000  round trips per latency run
set -eu
build=$(cd "${1:-build}" && pwd)
diagtap=$build/diagtap
rb=$build/bench/relaybench
MB=${BENCH_MB:-1024}
RUNS=${BENCH_RUNS:-3}
PINGS=${BENCH_PINGS:-5000}
tmp=$(mktemp -d /tmp/dt-bench-XXXXXX)
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port=$(( 20000 + $$ % 20000 ))
next_port() { port=$((port + 1)); }

# start_bg NAME CMD...: runs CMD in the background, waits for "ready" or a listening line.
start_server() {
  "$rb" "$1" "$2" </dev/null > "$tmp/srv.out" 2>&1 &
  pids="$pids $!"
  for _ in $(seq 200); do grep -q ready "$tmp/srv.out" 2>/dev/null && return 0; sleep 0.01; done
  echo "relaybench $1 did not start" >&2; exit 1
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
      socat -b 262144 UNIX-LISTEN:"$front",fork UNIX-CONNECT:"$target" </dev/null >/dev/null 2>&1 &
    else
      socat -b 262144 TCP-LISTEN:"${front##*:}",bind=127.0.0.1,reuseaddr,fork,nodelay TCP:"$target",nodelay \
        </dev/null >/dev/null 2>&1 &
    fi
  else
    "$diagtap" proxy "$tr" "$front" "$target" </dev/null > "$tmp/timeline.txt" 2> "$tmp/diagtap.err" &
  fi
  mid=$!
  pids="$pids $mid"
}

stop_mid() { [ -n "${mid:-}" ] && kill "$mid" 2>/dev/null && wait "$mid" 2>/dev/null || true; mid=""; }

best() { sort -g | tail -1; }

printf '%-6s %-8s %-9s %12s %9s %12s %12s %10s\n' TRANSP DATA VIA "MB/s" "vs-direct" "RTT-p50-us" "RTT-p99-us" "+p50-us"
for tr in tcp unix; do
  for kind in random dap; do
    if [ "$tr" = unix ]; then target=$tmp/sink.sock; else next_port; target=127.0.0.1:$port; fi
    start_server sink "$target"
    direct=""
    for mode in direct socat diagtap; do
      res=""
      behind=""
      for r in $(seq "$RUNS"); do
        via "$mode" "$tr" "$target"
        wait_socket "$front"
        res="$res $("$rb" send "$front" "$kind" "$MB")"
        if [ "$mode" = diagtap ]; then
          stop_mid
          n=$(grep -c 'decoder behind' "$tmp/timeline.txt" || true)
          behind="$behind $n"
        fi
        stop_mid
      done
      mbs=$(echo "$res" | tr ' ' '\n' | grep . | best)
      [ "$mode" = direct ] && direct=$mbs
      ratio=$(echo "$mbs / $direct" | bc -l)
      note=""
      [ -n "$behind" ] && note="  (decoder-behind notes per run:$behind)"
      printf '%-6s %-8s %-9s %12.0f %8.0f%% %12s %12s %10s%s\n' "$tr" "$kind" "$mode" "$mbs" \
        "$(echo "$ratio * 100" | bc -l)" - - - "$note"
    done
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pids=""
  done
  # Round trips: a ~220-byte DAP request answered by a ~250-byte response.
  if [ "$tr" = unix ]; then target=$tmp/echo.sock; else next_port; target=127.0.0.1:$port; fi
  start_server echo "$target"
  d50=""
  for mode in direct socat diagtap; do
    via "$mode" "$tr" "$target"
    wait_socket "$front"
    best50="" best99=""
    for r in $(seq "$RUNS"); do
      set -- $("$rb" ping "$front" "$PINGS")
      if [ -z "$best50" ] || [ "$(echo "$1 < $best50" | bc -l)" = 1 ]; then best50=$1 best99=$2; fi
    done
    if [ "$mode" = diagtap ]; then
      stop_mid
      grep -q evaluate "$tmp/timeline.txt" || { echo "diagtap decoded no round trip" >&2; exit 1; }
    fi
    stop_mid
    [ "$mode" = direct ] && d50=$best50
    printf '%-6s %-8s %-9s %12s %9s %12s %12s %10.1f\n' "$tr" "rtt" "$mode" - - "$best50" "$best99" \
      "$(echo "$best50 - $d50" | bc -l)"
  done
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=""
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), diagtap $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?')"
