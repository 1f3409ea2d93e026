#!/bin/sh
# Rebuilds the shared corpus of real captures that some tests read, from
# where each file is published. The tests find it through one resolver:
# $DIAGTAP_CORPUS, or meson's -Dcorpus=DIR, default ../shared/corpus beside
# this repository. Without it, those tests are skipped with one line saying
# so (exit 77); `sh scripts/test.sh` refuses a skip where the corpus exists.
#
#   sh scripts/fetch-corpus.sh [DIR]     (default: ../shared/corpus)
#
# Needs git and network access to GitHub. Nothing is copied into this
# repository: the files belong to their authors (licences below).
set -eu
dest=${1:-$(dirname "$0")/../../shared/corpus}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest/kdnet" "$dest/nettrace" "$dest/winrm/pypsrp-responses"

clone() { # repo, dir: a shallow clone of a public GitHub repository
    git clone --quiet --depth 1 "https://github.com/$1.git" "$work/$2"
}

# kdnet/windbg-uncut.pcapng.gz: a WinDbg <-> Windows kernel debugging session
# over KDNET (UDP port 51111, key 8.8.8.8), published with the kdnet.lua
# Wireshark dissector by Peter Wu (Lekensteyn/kdnet, pcaps/).
clone Lekensteyn/kdnet kdnet
cp "$work/kdnet/pcaps/windbg-uncut.pcapng.gz" "$dest/kdnet/"

# nettrace/*.nettrace and their .baseline.txt: EventPipe traces written by
# .NET runtimes (3.0 and 6.0 on Windows x64) from the test inputs of
# Microsoft's TraceEvent library (microsoft/perfview, MIT), with the
# baselines TraceEvent's own tests compare against. The inputs are zipped in
# that repository; the names are stable, their folder has moved over time.
clone microsoft/perfview perfview
for name in eventpipe-dotnetcore3.0-win-x64-objver4 eventpipe-dotnetcore6.0-win-x64-executioncheckpoints; do
    for f in $(find "$work/perfview" -name "$name.nettrace*"); do
        case "$f" in
            *.zip) (cd "$dest/nettrace" && unzip -o -q "$f") ;;
            *) cp "$f" "$dest/nettrace/" ;;
        esac
    done
    baseline=$(find "$work/perfview" -name "$name.baseline.txt" | head -1)
    [ -n "$baseline" ] && cp "$baseline" "$dest/nettrace/"
done

# winrm/pypsrp-responses/*.yml: WS-Management and PowerShell Remoting
# exchanges recorded against real Windows hosts, from the test data of the
# pypsrp library (jborean93/pypsrp, MIT: its LICENSE is kept beside them).
clone jborean93/pypsrp pypsrp
cp "$work"/pypsrp/tests/responses/*.yml "$dest/winrm/pypsrp-responses/"
cp "$work/pypsrp/LICENSE" "$dest/winrm/pypsrp-LICENSE"

echo "corpus written to $dest"
