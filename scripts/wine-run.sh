#!/bin/sh
# Runs a Windows program under Debian's wine64 in a private WINEPREFIX (the
# Windows build's exe_wrapper, cross/x86_64-w64-mingw32.txt, and the driver
# of tests/win): when $WINEPREFIX does not exist yet it is cloned from one
# booted template ($DIAGTAP_WINE_TEMPLATE, default /tmp/diagtap-wine-template;
# the first wineboot takes a minute, a clone a second: files hard-linked,
# the registry copied since wine rewrites it).
set -eu
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver # Debian puts none on PATH
[ -x "$WINE" ] || { echo "wine-run: $WINE missing (Debian package wine64)" >&2; exit 77; }
export WINEDEBUG=-all
tpl=${DIAGTAP_WINE_TEMPLATE:-/tmp/diagtap-wine-template}
pfx=${WINEPREFIX:-$tpl}
if [ ! -f "$tpl/system.reg" ]; then
    mkdir -p "$(dirname "$tpl")"
    (
        flock 9
        if [ ! -f "$tpl/system.reg" ]; then
            WINEPREFIX="$tpl" "$WINE" wineboot -i >/dev/null 2>&1 || true
            # the registry files are written when the wineserver ends: wait for it,
            # or a clone made meanwhile has no *.reg
            WINEPREFIX="$tpl" "$WINESERVER" -w 2>/dev/null || true
        fi
    ) 9>"$tpl.lock"
fi
if [ "$pfx" != "$tpl" ] && [ ! -f "$pfx/system.reg" ]; then
    (
        flock 9
        if [ ! -f "$pfx/system.reg" ]; then
            rm -rf "$pfx.tmp"
            cp -al "$tpl" "$pfx.tmp"
            for r in "$pfx.tmp"/*.reg; do cp --remove-destination "$tpl/$(basename "$r")" "$r"; done
            mv "$pfx.tmp" "$pfx"
        fi
    ) 9>"$pfx.lock"
fi
export WINEPREFIX="$pfx"
exec "$WINE" "$@"
