#!/bin/sh
# `capture -i A -i B` taps both interfaces at once (it used to keep only the
# last): in a private network namespace, UDP leaves through one end of a
# veth pair (a static neighbour, so nothing waits for ARP) while TCP runs on
# loopback; both conversations are on the
# timeline, each on its own channel, and the recording has both interfaces.
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for a network namespace"; exit 77; }
ns=diagtap-mi-$$
tmp=$(mktemp -d)
cleanup() { ip netns del "$ns" 2> /dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add d0 type veth peer name d1
ip -n "$ns" addr add 10.231.1.1/24 dev d0
ip -n "$ns" link set d0 up
ip -n "$ns" link set d1 up
ip -n "$ns" neigh add 10.231.1.2 lladdr 02:00:00:00:00:02 dev d0
ip netns exec "$ns" "$DIAGTAP" capture -i lo -i d0 -T json -w "$tmp/rec.pcapng" --duration 4 \
    > "$tmp/out.json" 2> "$tmp/err" &
cap=$!
sleep 1.5
ip netns exec "$ns" /usr/bin/python3 - <<'PY'
import socket, threading
srv = socket.socket(); srv.bind(("127.0.0.1", 47001)); srv.listen(1)
def serve():
    c, _ = srv.accept(); c.sendall(c.recv(100) * 2); c.close()
threading.Thread(target=serve).start()
c = socket.create_connection(("127.0.0.1", 47001)); c.sendall(b"hello over loopback"); c.recv(100); c.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):
    u.sendto(b"datagram through the veth %d" % i, ("10.231.1.2", 47002))
PY
wait "$cap" || fail "capture exited non-zero: $(cat "$tmp/err")"
grep 47001 "$tmp/out.json" | grep -q '"channel":"lo"' || fail "no loopback conversation: $(head -c 600 "$tmp/out.json")"
grep 47002 "$tmp/out.json" | grep -q '"channel":"d0"' || fail "no conversation on d0: $(head -c 600 "$tmp/out.json")"
grep -q 'captured on lo' "$tmp/err" && grep -q 'captured on d0' "$tmp/err" || fail "per-interface counts: $(cat "$tmp/err")"
names=$(tshark -r "$tmp/rec.pcapng" -T fields -e frame.interface_name 2> /dev/null | sort -u | tr '\n' ' ')
[ "$names" = "d0 lo " ] || fail "the recording's interfaces: '$names'"
"$DIAGTAP" replay -T json "$tmp/rec.pcapng" > "$tmp/replay.json"
[ "$(grep -c '"proto_name":"conv"' "$tmp/replay.json")" -eq "$(grep -c '"proto_name":"conv"' "$tmp/out.json")" ] ||
    fail "the recording replays to other conversations"
echo "multi_iface: ok"
