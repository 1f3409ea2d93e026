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
    libjansson-dev libjsmn-dev libgcrypt20-dev libwireshark-dev libglib2.0-dev \
    tshark tcpdump jq socat openssl procps util-linux iproute2 \
    samba smbclient lldb-14 python3 python3-debugpy zsh man-db \
    clang libclang-rt-14-dev libcurl4-openssl-dev clickhouse-server clickhouse-client >/dev/null
# systemd-analyze checks the systemd unit of docs/fleet.md (tests/clickhouse/test_ch_unit.py)
$SUDO apt-get install -y -qq --no-install-recommends systemd >/dev/null
# HTTP/WinRM: http-parser, and the real WinRM client with its YAML-driven test server
$SUDO apt-get install -y -qq --no-install-recommends \
    libhttp-parser-dev libexpat1-dev python3-winrm python3-requests-ntlm python3-ntlm-auth python3-cryptography python3-yaml \
    krb5-kdc krb5-admin-server krb5-user python3-gssapi >/dev/null
# The HTML report's tests (tests/html): Debian's chromium driven over the
# DevTools protocol, and Mermaid's own renderer for -T mermaid (npm, no
# browser download: it runs inside that chromium).
$SUDO apt-get install -y -qq --no-install-recommends chromium python3-websocket wireshark-common >/dev/null
# Node.js: Debian's, unless the machine has one already (its npm and
# Debian's npm package conflict)
command -v npm >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
$SUDO mkdir -p /opt/diagtap-npm
$SUDO npm install --prefix /opt/diagtap-npm --no-audit --no-fund --ignore-scripts mermaid@11 >/dev/null
