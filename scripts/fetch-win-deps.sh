#!/bin/sh
# Puts the sources of the Windows build's dependencies that Debian does not
# ship for mingw (PCRE2, jansson, cmocka) into subprojects/packagefiles/:
# Debian bookworm's own source packages through `apt-get source`, checked by
# apt against the signed archive and by meson against the hashes in
# subprojects/*.wrap. The build never downloads anything.
# Needs deb-src in the apt sources (scripts/deps.sh adds it).
set -eu
cd "$(dirname "$0")/.."
dest=subprojects/packagefiles
need=
for f in pcre2_10.42.orig.tar.gz jansson_2.14.orig.tar.gz cmocka_1.1.5.orig.tar.xz; do
    [ -f "$dest/$f" ] || need=1
done
[ -z "$need" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get source -qq --download-only pcre2=10.42-1 jansson=2.14-2 cmocka=1.1.5-2.1) >/dev/null 2>&1 || {
    echo "fetch-win-deps: apt-get source failed: is deb-src enabled (scripts/deps.sh)?" >&2
    exit 1
}
cp "$tmp"/*.orig.tar.* "$dest/"
rm -f "$dest"/*.asc
