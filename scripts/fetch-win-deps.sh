#!/bin/sh
# Puts the sources of the Windows build's dependencies that Debian does not
# ship for mingw (PCRE2, jansson, jsmn, cmocka) into subprojects/packagefiles/:
# Debian bookworm's own source packages through `apt-get source`, checked by
# apt against the signed archive and by meson against the hashes in
# subprojects/*.wrap. The build never downloads anything.
# Needs deb-src in the apt sources (scripts/deps.sh adds it).
set -eu
cd "$(dirname "$0")/.."
dest=subprojects/packagefiles
need=
origs="pcre2_10.42.orig.tar.gz jansson_2.14.orig.tar.gz jsmn_1.1.0.orig.tar.gz cmocka_1.1.5.orig.tar.xz"
for f in $origs; do
    [ -f "$dest/$f" ] || need=1
done
[ -z "$need" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Only the upstream tarballs are used (the Debian patches are not applied:
# the versions are bookworm's unpatched ones where it matters, see
# docs/windows.md); apt's own status is not trusted alone, the files are
# checked: one missing .debian.tar.xz on a mirror must not fail the fetch.
(cd "$tmp" && apt-get source -qq --download-only pcre2=10.42-1 jansson=2.14-2 jsmn=1.1.0-2 cmocka=1.1.5-2.1) >"$tmp/log" 2>&1 || true
for f in $origs; do
    [ -f "$dest/$f" ] || [ -f "$tmp/$f" ] || {
        echo "fetch-win-deps: apt-get source did not fetch $f: is deb-src enabled (scripts/deps.sh)?" >&2
        sed 's/^/  /' "$tmp/log" >&2
        exit 1
    }
done
cp "$tmp"/*.orig.tar.* "$dest/"
rm -f "$dest"/*.asc
