#!/bin/sh
# The man page and the bash/zsh completion are generated from the option
# tables: they parse, render, and offer what --help lists.
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$DIAGTAP" --man > "$tmp/diagtap.1"
if command -v man > /dev/null; then
    MANWIDTH=100 man --warnings -l "$tmp/diagtap.1" > "$tmp/man.txt" 2> "$tmp/man.err" || fail "man: $(cat "$tmp/man.err")"
    [ ! -s "$tmp/man.err" ] || fail "man warnings: $(head -3 "$tmp/man.err")"
    for w in 'diagtap replay' '--kdnet-key' '--grep' 'DIAGTAP_KDNET_KEY' '--raw-in'; do
        grep -q -- "$w" "$tmp/man.txt" || fail "man page lacks $w"
    done
fi
"$DIAGTAP" --completion bash > "$tmp/c.bash"
bash -n "$tmp/c.bash" || fail "bash completion does not parse"
got=$(bash -c '. "$1"; COMP_WORDS=(diagtap replay --kdnet); COMP_CWORD=2; _diagtap; echo "${COMPREPLY[*]}"' _ "$tmp/c.bash")
[ "$got" = "--kdnet-key --kdnet-key-file" ] || fail "bash: --kdnet completes to '$got'"
got=$(bash -c '. "$1"; COMP_WORDS=(diagtap capture -T ""); COMP_CWORD=3; _diagtap; echo "${COMPREPLY[*]}"' _ "$tmp/c.bash")
[ "$got" = "text json html mermaid" ] || fail "bash: -T completes to '$got'"
got=$(bash -c '. "$1"; COMP_WORDS=(diagtap rep); COMP_CWORD=1; _diagtap; echo "${COMPREPLY[*]}"' _ "$tmp/c.bash")
[ "$got" = "replay" ] || fail "bash: command completes to '$got'"
# every option --help lists is offered
"$DIAGTAP" replay --help | sed -n 's/^  \(-[-A-Za-z]*\).*/\1/p' | sort -u > "$tmp/help-flags"
all=$(bash -c '. "$1"; COMP_WORDS=(diagtap replay -); COMP_CWORD=2; _diagtap; echo "${COMPREPLY[*]}"' _ "$tmp/c.bash")
while read -r f; do
    case " $all " in *" $f "*) ;; *) fail "bash completion lacks $f (in replay --help)" ;; esac
done < "$tmp/help-flags"
# both names of an option listed as "-D, --list-interfaces"
got=$(bash -c '. "$1"; COMP_WORDS=(diagtap capture --list-i); COMP_CWORD=2; _diagtap; echo "${COMPREPLY[*]}"' _ "$tmp/c.bash")
[ "$got" = "--list-interfaces" ] || fail "bash: capture --list-i completes to '$got'"
"$DIAGTAP" --completion zsh > "$tmp/_diagtap"
if command -v zsh > /dev/null; then
    zsh -n "$tmp/_diagtap" || fail "zsh completion does not parse"
fi
grep -q "'--grep\[" "$tmp/_diagtap" || fail "zsh completion lacks --grep"
grep -q "'--list-interfaces\[list the interfaces" "$tmp/_diagtap" || fail "zsh completion lacks capture's --list-interfaces"
rc=0; "$DIAGTAP" --completion fish > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "--completion fish: rc=$rc"
echo "completion: ok"
