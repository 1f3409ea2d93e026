#!/bin/sh
# Builds diagtap for 64-bit Windows from Linux (Debian 12: scripts/deps.sh
# installs mingw-w64 and enables deb-src) and packs dist/diagtap-windows-x64.zip:
# diagtap.exe (statically linked: it needs only DLLs Windows has), README,
# licences. Usage: sh scripts/build-windows.sh [BUILDDIR]
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build-win}
sh scripts/fetch-win-deps.sh
# meson runs a test program through the cross file's exe_wrapper: under
# wine64 in a private prefix when it is installed, else not at all
crosses="--cross-file cross/x86_64-w64-mingw32.txt"
if [ -x /usr/lib/wine/wine64 ]; then
    export DIAGTAP_WINE_RUN="$PWD/scripts/wine-run.sh"
else
    crosses="$crosses --cross-file cross/no-wine.txt"
fi
if [ ! -d "$dir" ]; then
    # shellcheck disable=SC2086
    meson setup "$dir" $crosses -Dbuildtype=release -Dwireshark=disabled -Dwrap_mode=nodownload >/dev/null
fi
ninja -C "$dir" -j "$(nproc 2>/dev/null || echo 2)" diagtap.exe >/dev/null
out=dist/diagtap-windows-x64
rm -rf "$out" "$out.zip"
mkdir -p "$out"
x86_64-w64-mingw32-strip -o "$out/diagtap.exe" "$dir/diagtap.exe"
# Any DLL that is not part of Windows goes next to the exe (none today).
for dll in $(x86_64-w64-mingw32-objdump -p "$out/diagtap.exe" | sed -n 's/.*DLL Name: //p'); do
    for d in /usr/x86_64-w64-mingw32/bin /usr/x86_64-w64-mingw32/lib /usr/lib/gcc/x86_64-w64-mingw32/12-posix; do
        [ -f "$d/$dll" ] && cp "$d/$dll" "$out/" && break
    done
done
cp README.md docs/windows.md "$out/"
for l in subprojects/pcre2-*/LICENCE* subprojects/jansson-*/LICENSE subprojects/jsmn-*/LICENSE; do
    [ -f "$l" ] && cp "$l" "$out/$(basename "$(dirname "$l")" | cut -d- -f1)-$(basename "$l")"
done
/usr/bin/python3 - "$out" <<'PY'
import os, sys, zipfile
root = sys.argv[1]
with zipfile.ZipFile(root + ".zip", "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(root)):
        z.write(os.path.join(root, name), os.path.join(os.path.basename(root), name))
PY
echo "$out.zip"
