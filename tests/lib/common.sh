# tests/lib/common.sh -- small shared library for radlb's bash tests.
#
# Usage (from a test script):
#     #!/bin/bash
#     set -u
#     . "$(dirname "$0")/../lib/common.sh"     # adjust the path
#     t_tmpdir
#     port=$(t_free_port udp)
#     ...
#     t_assert_eq 3 "$n" "three requests"
#
# Sourcing installs an EXIT trap running t_cleanup: do not replace it (if you
# need your own cleanup, call t_cleanup from it).
#
# Output is TAP-like: "ok N - msg" / "not ok N - msg" on stdout, diagnostics
# as "# ..." lines on stderr, and the plan "1..N" at exit.
#
# Functions (all set -u safe):
#   t_tmpdir                      create and export T_DIR (removed at exit
#                                 unless KEEP_TEST_DIR=1)
#   t_free_port [udp|tcp]         print a free loopback port in 20000-59999
#   t_wait_for CMD...             poll CMD (output discarded) until it succeeds,
#                                 at most T_WAIT_TIMEOUT s (default 10); 1 on timeout
#   t_wait_until SECS CMD...      same with an explicit timeout
#   t_register_daemon NAME PID LOG  kill PID at exit; show LOG's tail on failure;
#                                 a sanitizer report in LOG fails the test
#   t_pass MSG / t_fail MSG       report; t_fail exits 1 at once
#   t_assert_eq EXPECTED ACTUAL MSG
#   t_assert_match REGEX TEXT MSG        (bash =~ extended regex)
#   t_assert_contains SUBSTRING TEXT MSG
#   t_radclient ARGS...           radclient -D /usr/share/freeradius, bounded time
#   t_hex STRING / t_unhex HEX    lowercase hex (no 0x) <-> bytes (0x optional)
#   t_log MSG                     "# MSG" on stderr
#
# Caveat: functions that record state (t_tmpdir, t_register_daemon, t_pass,
# t_fail, assertions) must run in the main shell, not in $(...) or ( ... ).
# t_free_port is safe in $(...).

T_DICTDIR=/usr/share/freeradius
T_TESTNUM=0
T_FAILED=0
T_DIR=${T_DIR-}
T_MAIN_PID=$$
T_DAEMON_NAMES=()
T_DAEMON_PIDS=()
T_DAEMON_LOGS=()
# Ports handed out are claimed, across all test processes, by creating a
# directory here (mkdir is atomic); claims are released at exit.
T_PORT_CLAIMS=${TMPDIR:-/tmp}/radlb-port-claims

t_log() {
	printf '# %s\n' "$*" >&2
}

t_tmpdir() {
	if [ -z "$T_DIR" ]; then
		T_DIR=$(mktemp -d /tmp/radlb-test.XXXXXX) || { echo "Bail out! mktemp failed"; exit 1; }
		export T_DIR
	fi
	trap t_cleanup EXIT
}

# Is PID alive (and not a zombie)?
t__alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Is PORT bound by any UDP or TCP socket (listening, unconnected or not)?
t__port_in_use() {
	ss -Hantu 2>/dev/null | awk -v p="$1" '{ n = split($5, a, ":"); if (a[n] == p) f = 1 } END { exit !f }'
}

# Ports below the kernel's ephemeral range: a port freed by a stopped server
# (restarted on the same port by a test) cannot meanwhile become some
# socket's automatic local port.
T_EPHEMERAL_LOW=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
T_PORT_LOW=10000
T_PORT_HIGH=$((T_EPHEMERAL_LOW > 20000 ? T_EPHEMERAL_LOW : 60000))

t_free_port() {
	local proto=${1:-udp} port i owner
	case $proto in udp | tcp) ;; *) echo "t_free_port: udp or tcp" >&2; return 2 ;; esac
	[ -d "$T_PORT_CLAIMS" ] || mkdir -m 1777 "$T_PORT_CLAIMS" 2>/dev/null
	for ((i = 0; i < 1000; i++)); do
		port=$((T_PORT_LOW + (RANDOM * 32768 + RANDOM) % (T_PORT_HIGH - T_PORT_LOW)))
		if ! mkdir "$T_PORT_CLAIMS/$port" 2>/dev/null; then
			# claimed: reclaim it only if its owner is dead
			owner=$(cat "$T_PORT_CLAIMS/$port/owner" 2>/dev/null) || continue
			t__alive "$owner" && continue
			rm -rf "${T_PORT_CLAIMS:?}/$port"
			mkdir "$T_PORT_CLAIMS/$port" 2>/dev/null || continue
		fi
		echo "$T_MAIN_PID" >"$T_PORT_CLAIMS/$port/owner"
		if t__port_in_use "$port"; then
			continue # keep the claim: nobody else should try it either
		fi
		echo "$port"
		return 0
	done
	echo "t_free_port: no free port found" >&2
	return 1
}

t_wait_until() {
	local int=${1%%.*} frac now deadline
	frac=${1#"$int"}
	frac=${frac#.}000000
	shift
	now=${EPOCHREALTIME/./}
	deadline=$((now + ${int:-0} * 1000000 + 10#${frac:0:6}))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		now=${EPOCHREALTIME/./}
		[ "$now" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

t_wait_for() {
	t_wait_until "${T_WAIT_TIMEOUT:-10}" "$@"
}

t_register_daemon() {
	T_DAEMON_NAMES+=("$1")
	T_DAEMON_PIDS+=("$2")
	T_DAEMON_LOGS+=("${3-}")
}

t_pass() {
	T_TESTNUM=$((T_TESTNUM + 1))
	printf 'ok %d - %s\n' "$T_TESTNUM" "$*"
}

t_fail() {
	T_TESTNUM=$((T_TESTNUM + 1))
	T_FAILED=1
	printf 'not ok %d - %s\n' "$T_TESTNUM" "$*"
	exit 1
}

t_assert_eq() {
	if [ "$1" = "$2" ]; then
		t_pass "$3"
	else
		t_log "expected: '$1'"
		t_log "actual:   '$2'"
		t_fail "$3"
	fi
}

t_assert_match() {
	if [[ $2 =~ $1 ]]; then
		t_pass "$3"
	else
		t_log "regex: $1"
		t_log "text:"
		printf '%s\n' "$2" | sed 's/^/#   /' >&2
		t_fail "$3"
	fi
}

t_assert_contains() {
	if [[ $2 == *"$1"* ]]; then
		t_pass "$3"
	else
		t_log "expected substring: $1"
		t_log "text:"
		printf '%s\n' "$2" | sed 's/^/#   /' >&2
		t_fail "$3"
	fi
}

# radclient with the dictionary of the freeradius package, 3 s per try, 1 try;
# later -t/-r arguments override these.  Hard limit T_RADCLIENT_MAX s (60).
# stdout is line buffered, so "2>&1" never splices an error message into the
# middle of an attribute line.
# Note: radclient exits 1 when the reply is not the "expected" one (an
# Access-Accept for auth), so check its output, not only its status.
t_radclient() {
	timeout "${T_RADCLIENT_MAX:-60}" stdbuf -oL radclient -D "$T_DICTDIR" -t 3 -r 1 "$@"
}

t_hex() {
	printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'
}

t_unhex() {
	local h=${1#0x}
	printf '%b' "$(printf '%s' "$h" | sed 's/../\\x&/g')"
}

t_cleanup() {
	local rc=$? i pid n
	trap - EXIT
	[ "$$" = "$T_MAIN_PID" ] || return "$rc" # a subshell exiting
	if [ "$rc" -ne 0 ] && [ "$T_FAILED" = 0 ]; then
		T_TESTNUM=$((T_TESTNUM + 1))
		printf 'not ok %d - test script exited with status %d\n' "$T_TESTNUM" "$rc"
	fi
	[ "$T_FAILED" = 1 ] && [ "$rc" -eq 0 ] && rc=1
	for i in "${!T_DAEMON_PIDS[@]}"; do
		pid=${T_DAEMON_PIDS[$i]}
		t__alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for i in "${!T_DAEMON_PIDS[@]}"; do
		pid=${T_DAEMON_PIDS[$i]}
		for ((n = 0; n < 100; n++)); do # 5 s grace
			t__alive "$pid" || break
			sleep 0.05
		done
		if t__alive "$pid"; then
			t_log "${T_DAEMON_NAMES[$i]} (pid $pid) ignored SIGTERM, sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null # reap it if it is our child
	done
	# Sanitizer reports (ASan, LSan, UBSan builds) are written when a daemon
	# exits: any of them fails the test.
	for i in "${!T_DAEMON_NAMES[@]}"; do
		[ -n "${T_DAEMON_LOGS[$i]}" ] && [ -f "${T_DAEMON_LOGS[$i]}" ] || continue
		if grep -qE 'ERROR: (Address|Leak|Undefined|Memory)Sanitizer|runtime error:' "${T_DAEMON_LOGS[$i]}"; then
			T_TESTNUM=$((T_TESTNUM + 1))
			printf 'not ok %d - %s: sanitizer report in %s\n' "$T_TESTNUM" "${T_DAEMON_NAMES[$i]}" "${T_DAEMON_LOGS[$i]}"
			grep -A 30 -E 'ERROR: |runtime error:' "${T_DAEMON_LOGS[$i]}" | head -n 60 | sed 's/^/# /' >&2
			rc=1
		fi
	done
	if [ "$rc" -ne 0 ]; then
		for i in "${!T_DAEMON_NAMES[@]}"; do
			[ -n "${T_DAEMON_LOGS[$i]}" ] || continue
			t_log "======== ${T_DAEMON_NAMES[$i]}: last 40 lines of ${T_DAEMON_LOGS[$i]} ========"
			tail -n 40 "${T_DAEMON_LOGS[$i]}" 2>&1 | sed 's/^/# /' >&2
		done
	fi
	# release our port claims
	for n in "$T_PORT_CLAIMS"/*/owner; do
		[ -f "$n" ] && [ "$(cat "$n" 2>/dev/null)" = "$T_MAIN_PID" ] && rm -rf "${n%/owner}"
	done
	if [ -n "$T_DIR" ] && [ -d "$T_DIR" ]; then
		if [ "${KEEP_TEST_DIR:-0}" = 1 ]; then
			t_log "test directory kept: $T_DIR"
		else
			rm -rf "$T_DIR"
		fi
	fi
	[ "$T_TESTNUM" -gt 0 ] && printf '1..%d\n' "$T_TESTNUM"
	exit "$rc"
}

trap t_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
