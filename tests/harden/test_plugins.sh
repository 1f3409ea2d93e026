#!/bin/sh
# Plugins from directories another user could write (issue 14). As root,
# with nobody as the attacker: a plugin nobody planted, or one in a
# directory or file writable by others or owned by another user, is never
# loaded (its init never runs: echo1 is not listed), whatever names the
# directory (--plugin-dir, DIAGTAP_PLUGIN_DIR) and whatever the command;
# stderr has one line per refusal saying why. A trusted one still loads.
set -u
so=$1
[ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null || { echo "SKIP: needs root and setpriv"; exit 77; }
nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }

# refused DIR WHY [ENV]: echo1 not loaded by dissectors (--plugin-dir and env) nor replay; one line matching WHY
refused() {
    "$DIAGTAP" dissectors --plugin-dir "$1" > "$tmp/out" 2> "$tmp/err"
    grep -q '^echo1 ' "$tmp/out" && fail "$1: plugin loaded by 'dissectors --plugin-dir' ($2)"
    [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "refused: .*$2" "$tmp/err" ||
        fail "$1: not one line saying '$2': $(cat "$tmp/err")"
    DIAGTAP_PLUGIN_DIR=$1 "$DIAGTAP" dissectors 2> "$tmp/err" | grep -q '^echo1 ' &&
        fail "$1: plugin loaded through DIAGTAP_PLUGIN_DIR ($2)"
    grep -q "refused" "$tmp/err" || fail "$1: DIAGTAP_PLUGIN_DIR refusal not said"
    printf 'ECHO1\nPING 1\n' > "$tmp/in"
    "$DIAGTAP" replay --plugin-dir "$1" -d echo1 --raw-in "$tmp/in" > /dev/null 2> "$tmp/err" &&
        fail "$1: replay -d echo1 ran the plugin ($2)"
    grep -q "refused" "$tmp/err" || fail "$1: replay does not say why: $(cat "$tmp/err")"
}

# 1. planted by nobody in a world-writable sticky directory (like /tmp)
mkdir "$tmp/shared" && chmod 1777 "$tmp/shared"
cp "$so" "$tmp/evil.so" && chmod 644 "$tmp/evil.so"
nobody cp "$tmp/evil.so" "$tmp/shared/echo1.so" || fail "nobody cannot plant the plugin"
refused "$tmp/shared" "writable by others"

# 2. a directory writable by others, the file root's own
mkdir "$tmp/open" && cp "$so" "$tmp/open/" && chmod 777 "$tmp/open"
refused "$tmp/open" "writable by others"

# 3. a directory owned by nobody (who can swap the file at will)
mkdir "$tmp/theirs" && cp "$so" "$tmp/theirs/" && chown nobody "$tmp/theirs"
refused "$tmp/theirs" "owned by uid $(id -u nobody)"

# 4. a trusted directory, the file writable by others / owned by nobody / a symlink
mkdir "$tmp/ok"
cp "$so" "$tmp/ok/echo1.so" && chmod 666 "$tmp/ok/echo1.so"
refused "$tmp/ok" "writable by others"
chmod 644 "$tmp/ok/echo1.so" && chown nobody "$tmp/ok/echo1.so"
refused "$tmp/ok" "owned by uid"
rm "$tmp/ok/echo1.so" && ln -s "$so" "$tmp/ok/echo1.so"
refused "$tmp/ok" "symbolic link"

# 5. the directory's parent writable by others (not sticky): refused too
mkdir -p "$tmp/wide/sub" && cp "$so" "$tmp/wide/sub/" && chmod 777 "$tmp/wide"
refused "$tmp/wide/sub" "parent .* writable by others"

# control: the same plugin, trusted, loads (and by DIAGTAP_PLUGIN_DIR)
rm "$tmp/ok/echo1.so" && cp "$so" "$tmp/ok/echo1.so" && chmod 755 "$tmp/ok/echo1.so"
"$DIAGTAP" dissectors --plugin-dir "$tmp/ok" 2> "$tmp/err" | grep -q '^echo1 ' || fail "a trusted plugin is not loaded: $(cat "$tmp/err")"
[ ! -s "$tmp/err" ] || fail "a trusted plugin gives warnings: $(cat "$tmp/err")"
DIAGTAP_PLUGIN_DIR=$tmp/ok "$DIAGTAP" dissectors | grep -q '^echo1 ' || fail "DIAGTAP_PLUGIN_DIR lost"
echo "ok: untrusted plugins refused, trusted ones loaded"
