#!/bin/bash
# The command-line conventions of radlb and radlbctl (issue 13, item 8):
# --help and --version, refused options, radlbctl -f FILE finding a running
# radlb's control socket in its configuration file, and the bash
# completions of conf/bash-completion/.
set -u
. "$(dirname "$0")/rlb.sh"
unset RADLB_SOCKET

VERSION=$(sed -n 's/^AC_INIT(\[radlb\], \[\([^]]*\)\].*/\1/p' "$TOP_SRCDIR/configure.ac")
[ -n "$VERSION" ] || t_fail "no version in configure.ac"

# ------------------------------------------------------------ --help, --version
out=$("$RADLB" --help 2>&1)
t_assert_eq 0 $? "radlb --help exits 0"
t_assert_contains "usage: radlb" "$out" "and prints the usage"
t_assert_contains "-f, --config=FILE" "$out" "with the long forms of the options"
t_assert_eq "$out" "$("$RADLB" -h 2>&1)" "radlb -h prints the same"

out=$("$RADLB" --version 2>&1)
t_assert_eq 0 $? "radlb --version exits 0"
t_assert_eq "radlb $VERSION" "$(sed -n 1p <<<"$out")" "and prints \"radlb $VERSION\""
v='[0-9]+\.[0-9]+'
libs="^built with libfreeradius $v\.[0-9]+, libev $v, OpenSSL $v\.[0-9]+, "
libs+="hiredis $(pkg-config --modversion hiredis), libconfig $(pkg-config --modversion libconfig)[.0-9]*, "
t_assert_match "$libs" "$(sed -n 2p <<<"$out")" "then the libraries it was built with, with their versions"
t_assert_eq 2 "$(wc -l <<<"$out")" "in two lines"
t_assert_eq "$out" "$("$RADLB" -v 2>&1)" "radlb -v prints the same"
t_assert_eq "$out" "$("$RADLB" --vers 2>&1)" "and so does an abbreviated --vers"

out=$("$RADLBCTL" --version 2>&1)
t_assert_eq 0 $? "radlbctl --version exits 0"
t_assert_eq "radlbctl $VERSION" "$(sed -n 1p <<<"$out")" "and prints \"radlbctl $VERSION\""
t_assert_match "^built with libconfig $(pkg-config --modversion libconfig)[.0-9]*$" \
	"$(sed -n 2p <<<"$out")" "then the library it was built with"
t_assert_eq "$out" "$("$RADLBCTL" -V 2>&1)" "radlbctl -V prints the same"
out=$("$RADLBCTL" --help 2>&1)
t_assert_eq 0 $? "radlbctl --help exits 0"
t_assert_contains "-f, --config=FILE" "$out" "and names -f"
t_assert_contains "-V, --version" "$out" "and -V"

# ------------------------------------------------------------ wrong calls
for prog in "$RADLB" "$RADLBCTL"; do
	name=$(basename "$prog")
	"$prog" --frobnicate >"$T_DIR/out" 2>"$T_DIR/err"
	t_assert_eq 2 $? "$name --frobnicate exits 2"
	t_assert_contains "usage: $name" "$(cat "$T_DIR/err")" "with the usage on stderr"
	t_assert_eq "" "$(cat "$T_DIR/out")" "and nothing on stdout"
done
"$RADLB" -f "$T_DIR/radlb.conf" extra 2>"$T_DIR/err"
t_assert_eq 2 $? "radlb with an operand exits 2"
"$RADLBCTL" 2>"$T_DIR/err"
t_assert_eq 2 $? "radlbctl without a command exits 2"
t_assert_contains "usage: radlbctl" "$(cat "$T_DIR/err")" "with the usage"

# ------------------------------------------------------------ radlbctl -f FILE
rlb_farm 2
rlb_config
rlb_start

out=$(cd / && "$RADLBCTL" -f "$T_DIR/radlb.conf" show servers 2>&1)
t_assert_eq 0 $? "radlbctl -f FILE show servers exits 0"
t_assert_match 'mfa1 +master ' "$out" "and reaches the radlb whose control.socket FILE names"
out=$("$RADLBCTL" --config="$T_DIR/radlb.conf" --json show servers 2>&1)
t_assert_eq 2 "$(printf '%s' "$out" | jq '.servers | length')" "--config=FILE --json works too"
mkdir "$T_DIR/etc"
printf '@include "../radlb.conf"\n' >"$T_DIR/etc/top.conf"
out=$(cd / && "$RADLBCTL" -f "$T_DIR/etc/top.conf" show servers 2>&1)
t_assert_match 'mfa1 +master ' "$out" "@include is read relative to the file's folder, as radlb does"

# -s, then $RADLB_SOCKET, then -f.
out=$("$RADLBCTL" -s "$T_DIR/nowhere.sock" -f "$T_DIR/radlb.conf" help 2>&1)
t_assert_eq 2 $? "-s comes before -f"
t_assert_contains "cannot reach radlb at $T_DIR/nowhere.sock" "$out" "(the socket of -s is tried)"
out=$(RADLB_SOCKET=$T_DIR/env.sock "$RADLBCTL" -f "$T_DIR/radlb.conf" help 2>&1)
t_assert_contains "cannot reach radlb at $T_DIR/env.sock" "$out" "\$RADLB_SOCKET comes before -f"
out=$(RADLB_SOCKET= "$RADLBCTL" -f "$T_DIR/radlb.conf" help 2>&1)
t_assert_eq 0 $? "an empty \$RADLB_SOCKET does not count"
out=$("$RADLBCTL" -s "$RLB_SOCK" -f "$T_DIR/missing.conf" help 2>&1)
t_assert_eq 0 $? "with -s, the file of -f is not read"

printf 'control = { socket = "%s"; };\n' "$T_DIR/none.sock" >"$T_DIR/none.conf"
out=$("$RADLBCTL" -f "$T_DIR/none.conf" help 2>&1)
t_assert_eq 2 $? "a socket from the file that nobody serves exits 2"
t_assert_contains "cannot reach radlb at $T_DIR/none.sock (control.socket of $T_DIR/none.conf)" \
	"$out" "and says where the path came from"

# Files that cannot be used: file (and line), exit 2, nothing sent.
"$RADLBCTL" -f "$T_DIR/missing.conf" show servers >"$T_DIR/out" 2>"$T_DIR/err"
t_assert_eq 2 $? "-f on a missing file exits 2"
t_assert_contains "radlbctl: $T_DIR/missing.conf: cannot read the configuration file: No such file" \
	"$(cat "$T_DIR/err")" "naming the file and why"
t_assert_eq "" "$(cat "$T_DIR/out")" "with nothing on stdout"
printf 'log = { level = "info"; };\ncontrol = {\n  socket = ;\n};\n' >"$T_DIR/broken.conf"
out=$("$RADLBCTL" -f "$T_DIR/broken.conf" show servers 2>&1)
t_assert_eq 2 $? "-f on a broken file exits 2"
t_assert_contains "radlbctl: $T_DIR/broken.conf:3: syntax error" "$out" "naming the file and the line"
printf 'control = { socket = 5; };\n' >"$T_DIR/int.conf"
out=$("$RADLBCTL" -f "$T_DIR/int.conf" help 2>&1)
t_assert_eq 2 $? "a control.socket that is not a string exits 2"
t_assert_contains "$T_DIR/int.conf:1: key \"control.socket\": must be a string" "$out" "with its line"
printf 'control = { socket = ""; };\n' >"$T_DIR/empty.conf"
out=$("$RADLBCTL" -f "$T_DIR/empty.conf" help 2>&1)
t_assert_eq 2 $? "an empty control.socket exits 2"
t_assert_contains "radlb opens no control socket" "$out" "and says radlb has none"

# ------------------------------------------------------------ bash completion
COMP=$TOP_SRCDIR/conf/bash-completion
for f in radlb radlbctl; do
	bash -n "$COMP/$f" 2>"$T_DIR/err"
	t_assert_eq "0:" "$?:$(cat "$T_DIR/err")" "conf/bash-completion/$f parses (bash -n)"
done
BASH_COMPLETION=$(pkg-config --variable=prefix bash-completion 2>/dev/null)/share/bash-completion/bash_completion
[ -r "$BASH_COMPLETION" ] ||
	t_fail "bash-completion is not installed (apt-get install bash-completion; scripts/quickstart deps)"

# comp_words FILE FUNCTION WORD...: the candidates FUNCTION offers for the
# last WORD (the one under the cursor), one per line, sorted, in a bash
# with bash-completion's helpers and FILE sourced.
comp_words() {
	local file=$1 fn=$2
	shift 2
	bash --norc --noprofile -c '
		. "$1" && . "$2" || exit 3
		fn=$3
		shift 3
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' comp_words "$BASH_COMPLETION" "$file" "$fn" "$@" | sort
}
lines() { printf '%s\n' "$@" | sort; }

t_assert_eq show "$(comp_words "$COMP/radlbctl" _radlbctl "$RADLBCTL" sh)" \
	'_radlbctl completes "sh" to "show"'
t_assert_eq "$(lines drain enable help maintenance promote reload route show unblock)" \
	"$(comp_words "$COMP/radlbctl" _radlbctl "$RADLBCTL" '')" "and offers every first word"
t_assert_eq limits "$(comp_words "$COMP/radlbctl" _radlbctl "$RADLBCTL" show l)" '"show l": limits'
t_assert_eq "" "$(comp_words "$COMP/radlbctl" _radlbctl "$RADLBCTL" unblock '')" \
	"unblock: no word offered for USER (not the placeholder)"
t_assert_eq "" "$(comp_words "$COMP/radlbctl" _radlbctl "$RADLBCTL" show limits '')" \
	"show limits: nor for [USER]"
t_assert_eq "$(lines servers sessions spool stats)" \
	"$(comp_words "$COMP/radlbctl" _radlbctl "$RADLBCTL" --json show s)" '"show s" after --json'
t_assert_eq --json "$(comp_words "$COMP/radlbctl" _radlbctl "$RADLBCTL" --js)" "options: --js"
t_assert_eq "$(lines mfa1 mfa2)" "$(comp_words "$COMP/radlbctl" _radlbctl "$RADLBCTL" -s "$RLB_SOCK" drain '')" \
	"drain: the servers of the radlb that -s names"
t_assert_eq mfa2 "$(comp_words "$COMP/radlbctl" _radlbctl "$RADLBCTL" -f "$T_DIR/radlb.conf" promote mfa2)" \
	"promote: a server of the radlb that -f names"
t_assert_eq force "$(comp_words "$COMP/radlbctl" _radlbctl "$RADLBCTL" promote mfa2 '')" \
	"then [force]"
t_assert_eq "" "$(comp_words "$COMP/radlbctl" _radlbctl "$RADLBCTL" -s "$T_DIR/nowhere.sock" drain '' 2>&1)" \
	"no radlb: no server names, and no error on the terminal"
t_assert_eq "$(lines --check --config=)" "$(comp_words "$COMP/radlb" _radlb "$RADLB" --c)" \
	"_radlb completes --c to --check and --config="
t_assert_eq "$T_DIR/radlb.conf" "$(comp_words "$COMP/radlb" _radlb "$RADLB" -f "$T_DIR/radlb.c")" \
	"and file names after -f"
