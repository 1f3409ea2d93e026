#!/bin/sh
# Records a real SMB2/3 session against a private Samba on loopback:
#   make-smb-sample.sh OUT.pcapng
# smbd (and samba-dcerpcd for the RPC pipes) run from a temporary directory
# with their own smb.conf, passdb, lock/state/cache/pid directories, on a
# private port (SMB_PORT, default 14450 + $$ % 1000). Captured: an SMB3
# session doing ls, put, get, mkdir, rename, ls, a missing file, del, rmdir;
# an encrypted SMB3 session opened by an SMB1 NEGOTIATE; allinfo;
# an SMB3 session denied a share; an SMB 3.0 session (validate negotiate); an SMB2 session with a wrong password;
# rpcclient netshareenumall, srvinfo, lsaquery, enumdomusers over IPC$ (DCE/RPC
# srvsvc, lsarpc, samr on named pipes).
#
# Capture: "$DIAGTAP capture -i lo -f 'tcp port PORT' -w OUT" when DIAGTAP
# is set (the diagtap executable), else dumpcap. Needs root (smbd, lo).
# Env: SMB_PORT, SMB_FILE_SIZE (bytes put and got back, default 70000),
# SMB_KEEP=1 keeps the temporary directory (its path is printed),
# SMB_ENCRYPT=1 records instead a server that requires encryption
# ("server smb encrypt = required"): SMB 3.1.1 sessions with each cipher
# (AES-128-GCM, AES-128-CCM, AES-256-GCM, AES-256-CCM) and an SMB 3.0 one
# (AES-128-CCM) putting, getting and missing files, a denied share; the
# password is $SMB_PASS (default Diagtap-Sample-1).
set -eu

out=${1:?usage: make-smb-sample.sh OUT.pcapng}
case $out in /*) ;; *) out=$(pwd)/$out ;; esac
port=${SMB_PORT:-$((14450 + $$ % 1000))}
size=${SMB_FILE_SIZE:-70000}
user=$(id -un)
pass=${SMB_PASS:-Diagtap-Sample-1}
dcerpcd=
for p in /usr/libexec/samba/samba-dcerpcd /usr/lib/samba/samba-dcerpcd; do
    [ -x "$p" ] && dcerpcd=$p && break
done
for tool in smbd smbpasswd smbclient rpcclient; do
    command -v $tool >/dev/null 2>&1 || { echo "make-smb-sample: $tool not found (install samba, smbclient)" >&2; exit 1; }
done
[ -n "$dcerpcd" ] || { echo "make-smb-sample: samba-dcerpcd not found (install samba)" >&2; exit 1; }

# A TCP connect to the server, closed at once (POSIX sh has no /dev/tcp).
poke() {
    /usr/bin/python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
        "$port" 2>/dev/null
}

dir=$(mktemp -d /tmp/diagtap-smb.XXXXXX)
chmod 755 "$dir"
smbd_pid= dcerpcd_pid= cap_pid=
cleanup() {
    for p in $cap_pid $smbd_pid $dcerpcd_pid; do
        kill "$p" 2>/dev/null || true
    done
    for p in $cap_pid $smbd_pid $dcerpcd_pid; do
        wait "$p" 2>/dev/null || true
    done
    if [ "${SMB_KEEP:-0}" = 1 ]; then echo "make-smb-sample: kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT INT TERM

mkdir -p "$dir/priv" "$dir/lock" "$dir/state" "$dir/cache" "$dir/pid" "$dir/log" "$dir/data" "$dir/secret" "$dir/work"
chmod 777 "$dir/data"
cat > "$dir/smb.conf" <<CONF
[global]
  netbios name = DIAGTAPSMB
  workgroup = DIAGTAP
  server role = standalone server
  security = user
  passdb backend = tdbsam:$dir/priv/passdb.tdb
  private dir = $dir/priv
  lock directory = $dir/lock
  state directory = $dir/state
  cache directory = $dir/cache
  pid directory = $dir/pid
  ncalrpc dir = $dir/state/ncalrpc
  log file = $dir/log/log.%m
  log level = 1
  disable netbios = yes
  smb ports = $port
  interfaces = 127.0.0.1
  bind interfaces only = yes
  rpc start on demand helpers = no
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  server min protocol = SMB2_02
[data]
  path = $dir/data
  read only = no
  valid users = $user
[secret]
  path = $dir/secret
  read only = no
  valid users = someoneelse
CONF
if [ "${SMB_ENCRYPT:-0}" = 1 ]; then
    sed -i 's/^\[global\]$/[global]\n  server smb encrypt = required/' "$dir/smb.conf"
fi
printf '%s\n%s\n' "$pass" "$pass" | smbpasswd -c "$dir/smb.conf" -s -a "$user" >/dev/null

# Each daemon in its own session: on SIGTERM they signal their whole process
# group, which must not be ours.
setsid smbd -F --no-process-group -s "$dir/smb.conf" >"$dir/log/smbd.out" 2>&1 &
smbd_pid=$!
setsid "$dcerpcd" -F --no-process-group --libexec-rpcds -s "$dir/smb.conf" >"$dir/log/dcerpcd.out" 2>&1 &
dcerpcd_pid=$!

# Wait until smbd listens.
i=0
until poke; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then echo "make-smb-sample: smbd did not listen on $port" >&2; cat "$dir/log/smbd.out" >&2; exit 1; fi
    sleep 0.1
done

rm -f "$out"
if [ -n "${DIAGTAP:-}" ]; then
    "$DIAGTAP" capture -i lo -f "tcp port $port" -w "$out" >"$dir/log/capture.out" 2>&1 &
else
    dumpcap -q -i lo -f "tcp port $port" -w "$out" >"$dir/log/capture.out" 2>&1 &
fi
cap_pid=$!
# The capture is running once a connection shows up in its file (a TCP
# connect and close, nothing more).
i=0
until [ -s "$out" ] && [ "$(stat -c %s "$out")" -gt 200 ]; do
    poke || true
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 $cap_pid 2>/dev/null; then
        echo "make-smb-sample: the capture did not start:" >&2; cat "$dir/log/capture.out" >&2; exit 1
    fi
    sleep 0.1
done
sleep 0.5

cd "$dir/work"
head -c "$size" /dev/urandom > up.bin
smb() { smbclient -p "$port" "$@" 2>&1 || true; }
if [ "${SMB_ENCRYPT:-0}" = 1 ]; then
    printf 'diagtap known content\n' > known.txt
    for alg in AES-128-GCM AES-128-CCM AES-256-GCM AES-256-CCM; do
        smb //127.0.0.1/data -U "$user%$pass" -m SMB3 --option="client smb3 encryption algorithms=$alg" \
            -c "put known.txt known-$alg.txt; get known-$alg.txt back.txt; get nosuch.txt none.bin; ls" >"$dir/log/enc-$alg.out"
        cmp -s known.txt back.txt || { echo "make-smb-sample: $alg get failed" >&2; cat "$dir/log/enc-$alg.out" >&2; exit 1; }
        rm -f back.txt
    done
    smb //127.0.0.1/data -U "$user%$pass" -m SMB3_00 --option='client min protocol=SMB3_00' -c 'ls' >"$dir/log/smb30.out"
    smb //127.0.0.1/secret -U "$user%$pass" -m SMB3 -c ls >"$dir/log/denied.out"
    grep -q NT_STATUS_ACCESS_DENIED "$dir/log/denied.out" || { echo "make-smb-sample: [secret] was not denied" >&2; cat "$dir/log/denied.out" >&2; exit 1; }
    sleep 0.5
    kill -TERM $cap_pid
    wait $cap_pid 2>/dev/null || true
    cap_pid=
    chmod 600 "$out"
    echo "make-smb-sample: wrote $out (encrypted, port $port, user $user)" >&2
    exit 0
fi
smb //127.0.0.1/data -U "$user%$pass" -m SMB3 -c 'ls; put up.bin up.bin; get up.bin down.bin; mkdir d1; rename up.bin d1\moved.bin; ls d1\*; get nosuch.txt none.bin; del d1\moved.bin; rmdir d1' >"$dir/log/ops.out"
cmp -s up.bin down.bin || { echo "make-smb-sample: get did not return what put sent" >&2; cat "$dir/log/ops.out" >&2; exit 1; }
smb //127.0.0.1/secret -U "$user%$pass" -m SMB3 -c ls >"$dir/log/denied.out"
grep -q NT_STATUS_ACCESS_DENIED "$dir/log/denied.out" || { echo "make-smb-sample: [secret] was not denied" >&2; cat "$dir/log/denied.out" >&2; exit 1; }
smb //127.0.0.1/data -U "$user%wrong-password" -m SMB2 -c ls >"$dir/log/wrongpw.out"
grep -q NT_STATUS_LOGON_FAILURE "$dir/log/wrongpw.out" || { echo "make-smb-sample: the wrong password was accepted" >&2; cat "$dir/log/wrongpw.out" >&2; exit 1; }
# An SMB3 session encrypted end to end (transform headers), opened with an
# SMB1 multi-protocol NEGOTIATE as older clients do; allinfo sends compounds.
smb //127.0.0.1/data -U "$user%$pass" -m SMB3 --client-protection=encrypt --option='client min protocol=NT1' -c 'ls' >"$dir/log/encrypted.out"
smb //127.0.0.1/data -U "$user%$pass" -m SMB3 -c 'put up.bin again.bin; allinfo again.bin; del again.bin' >"$dir/log/allinfo.out"
# SMB 3.0 checks its negotiation after each tree connect (FSCTL_VALIDATE_NEGOTIATE_INFO).
smb //127.0.0.1/data -U "$user%$pass" -m SMB3_00 --option='client min protocol=SMB3_00' -c 'ls' >"$dir/log/smb30.out"
rpcclient -p "$port" 127.0.0.1 -U "$user%$pass" -c 'netshareenumall; srvinfo; lsaquery; enumdomusers' >"$dir/log/rpc.out" 2>&1 || true
grep -q 'netname: data' "$dir/log/rpc.out" || { echo "make-smb-sample: rpcclient netshareenumall failed" >&2; cat "$dir/log/rpc.out" >&2; exit 1; }
sleep 0.5

kill -TERM $cap_pid
wait $cap_pid 2>/dev/null || true
cap_pid=
chmod 600 "$out"
echo "make-smb-sample: wrote $out (port $port, user $user, file $size bytes)" >&2
