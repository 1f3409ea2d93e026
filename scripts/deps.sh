#!/bin/sh
# Installs everything diagtap needs to build, run and test on Debian 12.
# Run as root (or through sudo).
set -e
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    gcc libc6-dev pkg-config meson ninja-build git ca-certificates \
    libpcap-dev libpcre2-dev zlib1g-dev libcmocka-dev \
    libjansson-dev libgcrypt20-dev libwireshark-dev libglib2.0-dev \
    tshark tcpdump jq socat openssl procps util-linux iproute2 \
    samba smbclient lldb-14 python3 python3-debugpy zsh man-db >/dev/null
