# tests/integration/rlb.sh -- radlb in front of MFA-like FreeRADIUS servers,
# for the integration tests. Source it after nothing else:
#
#     . "$(dirname "$0")/rlb.sh"
#     rlb_farm 3                 # mfa1..mfa3 on free ports
#     rlb_config                 # $T_DIR/radlb.conf (RLB_* variables customise it)
#     rlb_start                  # radlb, waited for
#     out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
#
# Environment (set by "make check"; defaults work from the source tree):
#   TOP_SRCDIR, RADLB, RADLBCTL, UDPSEND
#   RLB_WRAPPER   a command put in front of radlb, e.g. "valgrind -q"
#
# Customising the configuration (set before rlb_config):
#   RLB_PROXY     lines inside proxy = { ... }
#   RLB_CLIENTS   the whole clients = ( ... ); list
#   RLB_SERVER_EXTRA  text added inside every server entry
#   RLB_EXTRA     more top-level lines
#   RLB_STATS     the stats section (default: 127.0.0.1, a free port)

RLB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$RLB_HERE/../.." && pwd)}
. "$TOP_SRCDIR/tests/lib/common.sh"

RADLB=${RADLB:-$TOP_SRCDIR/src/radlb}
RADLBCTL=${RADLBCTL:-$TOP_SRCDIR/src/radlbctl}
UDPSEND=${UDPSEND:-$TOP_SRCDIR/tests/tools/rlb-udpsend}
OTPLOGIN=${OTPLOGIN:-$TOP_SRCDIR/tests/tools/rlb-otplogin}
MFA=$TOP_SRCDIR/tests/mfa/mfa-server.sh

# Different secrets on the two sides: radlb must really re-sign and re-encrypt.
CLIENT_SECRET='client-side-secret-7f3a9c'
MA='Message-Authenticator = 0x00'
RLB_PROXY=${RLB_PROXY-}
RLB_CLIENTS=${RLB_CLIENTS-}
RLB_SERVER_EXTRA=${RLB_SERVER_EXTRA-}
RLB_EXTRA=${RLB_EXTRA-}
RLB_NSERVERS=0

t_tmpdir
for tool in "$RADLB" "$RADLBCTL" "$UDPSEND" "$OTPLOGIN"; do
	[ -x "$tool" ] || t_fail "$tool is not built (run make first)"
done

# Server secrets of 72 octets: longer than the 64 an MD5 block holds, so the
# HMAC key path and the keystreams with long secrets are always exercised.
server_secret() { printf 'server-secret-%s-%s' "$1" 31d8e2c4a97f0b6d5e8a1c3f2b7d9e0a4c6f8b1d3e5a7c9f0b2d4e6a8c1e3f5a7b9d; }

# rlb_farm N [launcher options...]: MFA servers mfa1..mfaN.
rlb_farm() {
	local n=$1 i auth acct
	shift
	for ((i = 1; i <= n; i++)); do
		auth=$(t_free_port udp) && acct=$(t_free_port udp) || t_fail "no free port"
		"$MFA" start --name "mfa$i" --dir "$T_DIR/mfa$i" --auth-port "$auth" --acct-port "$acct" \
			--secret "$(server_secret "mfa$i")" "$@" >/dev/null || t_fail "MFA server mfa$i did not start"
		t_register_daemon "mfa$i" "$(cat "$T_DIR/mfa$i/pid")" "$T_DIR/mfa$i/radiusd.log"
		printf -v "MFA${i}_AUTH" %s "$auth"
		printf -v "MFA${i}_ACCT" %s "$acct"
	done
	RLB_NSERVERS=$n
}

# rlb_config: writes $T_DIR/radlb.conf and sets RLB_AUTH, RLB_ACCT, RLB_SOCK,
# RLB_HTTP (the stats port, on 127.0.0.1) and RLB_URL (http://127.0.0.1:RLB_HTTP).
rlb_config() {
	local i a c role
	RLB_AUTH=$(t_free_port udp) && RLB_ACCT=$(t_free_port udp) && RLB_HTTP=$(t_free_port tcp) ||
		t_fail "no free port"
	RLB_URL=http://127.0.0.1:$RLB_HTTP
	RLB_SOCK=$T_DIR/radlb.sock
	{
		printf 'listen = (\n  { type = "auth"; proto = "udp"; address = "127.0.0.1"; port = %s; },\n' "$RLB_AUTH"
		printf '  { type = "acct"; proto = "udp"; address = "127.0.0.1"; port = %s; }\n);\n' "$RLB_ACCT"
		if [ -n "$RLB_CLIENTS" ]; then
			printf '%s\n' "$RLB_CLIENTS"
		else
			printf 'clients = ( { name = "nas"; network = "127.0.0.1/32"; secret = "%s"; } );\n' "$CLIENT_SECRET"
		fi
		printf 'servers = (\n'
		for ((i = 1; i <= RLB_NSERVERS; i++)); do
			a=MFA${i}_AUTH
			c=MFA${i}_ACCT
			role=subordinate
			[ "$i" = 1 ] && role=master
			printf '  { name = "mfa%s"; address = "127.0.0.1"; auth_port = %s; acct_port = %s; secret = "%s"; role = "%s"; %s }%s\n' \
				"$i" "${!a}" "${!c}" "$(server_secret "mfa$i")" "$role" "$RLB_SERVER_EXTRA" \
				"$([ "$i" -lt "$RLB_NSERVERS" ] && echo ,)"
		done
		printf ');\n'
		printf 'proxy = { %s };\n' "$RLB_PROXY"
		printf 'log = { level = "info"; destination = "stderr"; };\n'
		printf 'control = { socket = "%s"; mode = "0660"; };\n' "$RLB_SOCK"
		if [ -n "${RLB_STATS+set}" ]; then
			printf '%s\n' "$RLB_STATS"
		else
			printf 'stats = { port = %s; };\n' "$RLB_HTTP"
		fi
		printf '%s\n' "$RLB_EXTRA"
	} >"$T_DIR/radlb.conf"
}

rlb_ctl() {
	"$RADLBCTL" -s "$RLB_SOCK" "$@"
}

# rlb_start [NAME]: starts radlb on $T_DIR/radlb.conf and waits for it.
rlb_start() {
	local name=${1:-radlb} pid
	# shellcheck disable=SC2086
	${RLB_WRAPPER:-} "$RADLB" -f "$T_DIR/radlb.conf" 2>>"$T_DIR/$name.log" &
	pid=$!
	t_register_daemon "$name" "$pid" "$T_DIR/$name.log"
	RLB_PID=$pid
	t_wait_until "${RLB_START_TIMEOUT:-20}" rlb_ctl help ||
		t_fail "radlb did not come up (see $name.log)"
}

# rlb_stop: SIGTERM and wait (the daemon stays registered for log output).
rlb_stop() {
	kill -TERM "$RLB_PID" 2>/dev/null
	wait "$RLB_PID" 2>/dev/null
	return 0
}

# rlb_stat KEY: one value of "radlbctl show stats".
rlb_stat() {
	rlb_ctl show stats | awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }'
}

# rlb_auth ATTRS [radclient options]: one Access-Request through radlb.
rlb_auth() {
	local attrs=$1
	shift
	printf '%s\n' "$attrs" | t_radclient -x "$@" "127.0.0.1:$RLB_AUTH" auth "$CLIENT_SECRET" 2>&1
	return 0
}

rlb_acct() {
	local attrs=$1
	shift
	printf '%s\n' "$attrs" | t_radclient -x "$@" "127.0.0.1:$RLB_ACCT" acct "$CLIENT_SECRET" 2>&1
	return 0
}

# attr NAME OUTPUT: the value of the last "NAME = value" line, quotes removed.
attr() {
	printf '%s\n' "$2" | sed -n "s/^[[:space:]]*$1 = //p" | tail -n 1 | sed 's/^"\(.*\)"$/\1/'
}

# first_attr OUTPUT: the name of the first attribute of the received reply.
first_attr() {
	printf '%s\n' "$1" | sed -n '/^Received/,$p' | sed -n '2s/^[[:space:]]*\([A-Za-z0-9-]*\).*/\1/p'
}

# served_by OUTPUT: the server named in the reply's Reply-Message "(mfaN)".
served_by() {
	printf '%s\n' "$1" | sed -n 's/.*Reply-Message = ".*(\(mfa[0-9]*\))".*/\1/p' | tail -n 1
}

# rlb_otp_login USER PASSWORD: both legs of an SMS-OTP login. Sets
# LOGIN_ISSUER (the server that sent the SMS) and LOGIN_REPLY (radclient's
# output for the answer).
rlb_otp_login() {
	local out state code
	out=$(rlb_auth "User-Name = \"$1\", User-Password = \"$2\"")
	LOGIN_ISSUER=$(served_by "$out")
	state=$(attr State "$out")
	LOGIN_REPLY=$out
	[ -n "$LOGIN_ISSUER" ] && [ -n "$state" ] || return 1
	code=$("$MFA" code --dir "$T_DIR/$LOGIN_ISSUER" --user "$1" --state "$state") || return 1
	LOGIN_REPLY=$(rlb_auth "User-Name = \"$1\", User-Password = \"$code\", State = $state")
}

# count_requests USER: Access-Requests for USER that reached each server, as
# "mfa1=N mfa2=N ..." (from the servers' requests.log).
count_requests() {
	local i n out=""
	for ((i = 1; i <= RLB_NSERVERS; i++)); do
		n=$(grep -c " user=$1\$" "$T_DIR/mfa$i/requests.log" 2>/dev/null)
		out="$out mfa$i=${n:-0}"
	done
	printf '%s\n' "${out# }"
}

# rlb_redis NAME PORT [redis-server options...]: a redis-server on 127.0.0.1,
# waited for (REDIS_AUTH: its password, REDIS_USER: an ACL user); sets NAME_PID.
rlb_redis() {
	local name=$1 port=$2
	shift 2
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
		--dir "$T_DIR" --dbfilename "$name.rdb" "$@" >"$T_DIR/$name.log" 2>&1 &
	t_register_daemon "$name" $! "$T_DIR/$name.log"
	eval "${name}_PID=$!"
	t_wait_for rlb_redis_pongs "$port" || t_fail "$name did not start"
}
rlb_redis_pongs() {
	redis-cli -p "$1" ${REDIS_USER:+--user "$REDIS_USER"} ${REDIS_AUTH:+-a "$REDIS_AUTH"} \
		--no-auth-warning ping | grep -qx PONG
}

# rlb_instance NAME: one more radlb, NAME, on its own ports and socket
# ($T_DIR/NAME.sock, $T_DIR/NAME.conf) with the current RLB_EXTRA, which
# shares sessions through Redis; waits until it uses Redis. Sets NAME_PID
# and NAME_AUTH.
rlb_instance() {
	rlb_config
	sed -i "s#$T_DIR/radlb.sock#$T_DIR/$1.sock#" "$T_DIR/radlb.conf"
	cp "$T_DIR/radlb.conf" "$T_DIR/$1.conf"
	"$RADLB" -f "$T_DIR/$1.conf" 2>>"$T_DIR/$1.log" &
	t_register_daemon "$1" $! "$T_DIR/$1.log"
	eval "${1}_PID=$! ${1}_AUTH=$RLB_AUTH"
	t_wait_for "$RADLBCTL" -s "$T_DIR/$1.sock" help || t_fail "$1 did not start"
	t_wait_until 5 sh -c "\"$RADLBCTL\" -s \"$T_DIR/$1.sock\" show stats | grep -q '^redis.up 1'" ||
		t_fail "$1 did not connect to Redis"
}
