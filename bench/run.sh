#!/usr/bin/env bash
# bench/run.sh - radlb side by side with a bare UDP relay, radsecproxy and
# FreeRADIUS, in the same run, on the same stand-in MFA backends.
#
#   bench/run.sh [throughput]   closed loop, INFLIGHT (128) requests
#                               outstanding, flows pap/otp/acct: req/s,
#                               proxy CPU us per answered request, latency
#   bench/run.sh inflight       stand-ins answer after DELAY (3 s): send
#                               INFLIGHT (20000) requests, % answered and
#                               proxy memory per request in flight
#   bench/run.sh sticky         OTP logins (challenge, then State + code),
#                               INFLIGHT (128) logins outstanding: radlb with
#                               the memory store, with Redis (one instance,
#                               and two instances A -> B sharing one Redis),
#                               FreeRADIUS keyed-balance: logins/s, CPU us per
#                               login, latency of each leg
#   bench/run.sh sessions       fill radlb with SESSIONS (1,000,000) open
#                               challenges: RSS before/after, bytes per session
#   bench/run.sh tls            two proxies in a chain, UDP -> A -> B -> UDP,
#                               with UDP, TCP or TLS (RadSec) between A and B,
#                               radlb and radsecproxy, rounds interleaved: CPU us
#                               per request of A and of B, TLS / UDP ratios
#
# See bench/README.md and `bench/run.sh --help` for the knobs.
set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

usage() {
	cat <<EOF
usage: bench/run.sh [throughput|inflight|sticky|sessions|tls] [options]

options (each also settable by the environment variable in brackets):
  --proxies "LIST"   proxies (setups) to run, in order [PROXIES]
                     throughput, inflight: relay radsecproxy freeradius freeradius-keyed radlb
                          (also radlb-routes: radlb with 10 routing rules and two pools;
                          radlb-limits: radlb with prompt budgets on)
                     sticky: freeradius-keyed radlb-memory radlb-redis radlb-redis-ab
                     sessions: radlb-memory radlb-redis
                     tls: radlb-udp radlb-tcp radlb-tls radsecproxy-udp radsecproxy-tls
                          (also radsecproxy-tcp)
  --flows "LIST"     throughput flows: pap otp acct mix [FLOWS] (default: pap otp acct)
  --inflight N       throughput, tls: requests kept outstanding (default 128)
                     inflight: requests sent (default 20000)
                     sticky: logins kept outstanding (default 128)
                     sessions: most challenges outstanding during the fill (default 1000)
                     [INFLIGHT]
  --duration S       seconds per round [DURATION] (default 3)
  --rounds K         rounds per flow [ROUNDS] (default 3)
  --warmup S         warm-up seconds before each measured flow [WARMUP] (default 1)
  --delay S          inflight: stand-in answer delay [DELAY] (default 3)
  --rate R           inflight: requests/s sent [RATE] (default: INFLIGHT over 2 s)
  --sessions N       sessions: open challenges to create [SESSIONS] (default 1000000)
  --state-len N      stand-ins pad the OTP State to N octets [STATE_LEN]
                     (default: no padding; 'mfa1:123' is 6-14 octets)
  --radlb PATH       radlb binary [RADLB] (default: src/radlb of the repository)
  --keep             keep the temporary directory (configs, logs) [KEEP=1]
environment only:
  FREERADIUS, RADSECPROXY   binaries (default: from PATH)
  RADLBCTL           radlbctl binary (default: next to RADLB)
  REDIS_SERVER, REDIS_CLI   binaries (default: from PATH); the sticky and sessions
                     modes start their own redis-server on a free port
  REDIS_TIMEOUT      radlb redis.timeout (default 0.2)
  STICKY_TTL         sessions: radlb sticky.ttl (default 3600)
  DEDUP_WINDOW       sessions: radlb proxy.dedup_window (default 1, the minimum:
                     replies cached for retransmissions are not sessions)
  BENCH_BIN          directory with prebuilt rlb-* tools (default: build into bench/.build)
  RETRANSMIT, TIMEOUT       inflight: loadgen --retransmit/--timeout (default 5 / 30)
  CLIENT_SECRET, SERVER_SECRET  secrets NAS<->proxy and proxy<->stand-ins
  CHAIN_SECRET       tls: secret between A and B over UDP and TCP (TLS: "radsec")
  RADLB_LOG_LEVEL    radlb log level (default info)
  RESULTS            also write the results (TSV) to this file
  PERF=1             throughput: perf record -g the proxy during each measured flow
                     (perf-FLOW.data in the kept temporary directory; costs the proxy CPU)
                     tls: after the measured rounds, perf record A and B during one
                     extra round of the first flow per setup: samples by DSO, top symbols
EOF
}

MODE=throughput
while [ $# -gt 0 ]; do
	case $1 in
	throughput | inflight | sticky | sessions | tls) MODE=$1 ;;
	--proxies) PROXIES=$2; shift ;;
	--flows) FLOWS=$2; shift ;;
	--inflight) INFLIGHT=$2; shift ;;
	--duration) DURATION=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--warmup) WARMUP=$2; shift ;;
	--delay) DELAY=$2; shift ;;
	--rate) RATE=$2; shift ;;
	--sessions) SESSIONS=$2; shift ;;
	--state-len) STATE_LEN=$2; shift ;;
	--radlb) RADLB=$2; shift ;;
	--keep) KEEP=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

case $MODE in
sticky) PROXIES=${PROXIES:-freeradius-keyed radlb-memory radlb-redis radlb-redis-ab} ;;
sessions) PROXIES=${PROXIES:-radlb-memory radlb-redis} ;;
tls) PROXIES=${PROXIES:-radlb-udp radlb-tcp radlb-tls radsecproxy-udp radsecproxy-tls} ;;
*) PROXIES=${PROXIES:-relay radsecproxy freeradius freeradius-keyed radlb} ;;
esac
FLOWS=${FLOWS:-pap otp acct}
DURATION=${DURATION:-3}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-1}
DELAY=${DELAY:-3}
RETRANSMIT=${RETRANSMIT:-5}
TIMEOUT=${TIMEOUT:-30}
KEEP=${KEEP:-0}
PERF=${PERF:-0}
[ "$PERF" = 1 ] && KEEP=1
case $MODE in
inflight) INFLIGHT=${INFLIGHT:-20000} ;;
sessions) INFLIGHT=${INFLIGHT:-1000} ;;
*) INFLIGHT=${INFLIGHT:-128} ;;
esac
SESSIONS=${SESSIONS:-1000000}
STATE_LEN=${STATE_LEN:-}
STICKY_TTL=${STICKY_TTL:-3600}
DEDUP_WINDOW=${DEDUP_WINDOW:-1}
REDIS_TIMEOUT=${REDIS_TIMEOUT:-0.2}
# secrets: keep to [A-Za-z0-9._-] (they go through sed and three config syntaxes)
CLIENT_SECRET=${CLIENT_SECRET:-nas-side-secret.1}
SERVER_SECRET=${SERVER_SECRET:-mfa-side-secret.2}
CHAIN_SECRET=${CHAIN_SECRET:-chain-secret.3}
RADLB=${RADLB:-$REPO/src/radlb}
RADLB_LOG_LEVEL=${RADLB_LOG_LEVEL:-info}
RADLBCTL=${RADLBCTL:-$(dirname "$RADLB")/radlbctl}
REDIS_SERVER=${REDIS_SERVER:-$(command -v redis-server || true)}
REDIS_CLI=${REDIS_CLI:-$(command -v redis-cli || true)}
FREERADIUS=${FREERADIUS:-$(command -v freeradius || command -v radiusd || true)}
RADSECPROXY=${RADSECPROXY:-$(command -v radsecproxy || true)}
PASSWORD=bench-password
# receive buffer for peers that can set one: net.core.rmem_max (FreeRADIUS caps at it)
RECV_BUFF=$(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo 4194304)
HZ=$(getconf CLK_TCK)

for v in DURATION ROUNDS WARMUP INFLIGHT DELAY RETRANSMIT TIMEOUT SESSIONS STICKY_TTL DEDUP_WINDOW REDIS_TIMEOUT; do
	if ! [[ ${!v} =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
		echo "run.sh: $v must be a number (got '${!v}')" >&2
		exit 2
	fi
done
if ! [[ $SESSIONS =~ ^[1-9][0-9]*$ ]]; then
	echo "run.sh: SESSIONS must be a positive integer (got '$SESSIONS')" >&2
	exit 2
fi
if [ -n "$STATE_LEN" ] && ! { [[ $STATE_LEN =~ ^[0-9]+$ ]] && [ "$STATE_LEN" -ge 1 ] && [ "$STATE_LEN" -le 253 ]; }; then
	echo "run.sh: STATE_LEN must be 1..253 (got '$STATE_LEN')" >&2
	exit 2
fi
for v in CLIENT_SECRET SERVER_SECRET CHAIN_SECRET; do
	if ! [[ ${!v} =~ ^[A-Za-z0-9._-]+$ ]]; then
		echo "run.sh: $v may only contain [A-Za-z0-9._-]" >&2
		exit 2
	fi
done

# ---- tools ---------------------------------------------------------------
if [ -n "${BENCH_BIN:-}" ] && [ -x "$BENCH_BIN/rlb-loadgen" ]; then
	BIN=$BENCH_BIN
else
	BIN=$BENCH_DIR/.build
	"$BENCH_DIR/build.sh" "$BIN" || { echo "run.sh: building the bench tools failed" >&2; exit 1; }
fi
LOADGEN=$BIN/rlb-loadgen
STANDIN=$BIN/rlb-standin
RELAY=$BIN/rlb-relay

RUN=$(mktemp -d "${TMPDIR:-/tmp}/rlb-bench.XXXXXX") || exit 1
RESULTS_TSV=$RUN/results.tsv
: >"$RESULTS_TSV"

# radlb (and radlbctl) are copied into the run directory: a rebuild of
# src/radlb while the benchmark runs cannot mix two versions in one run.
RADLB_ORIG=$RADLB
RADLB_INFO=""
if [ -x "$RADLB" ] && [ -f "$RADLB" ]; then
	RADLB_INFO="built $(date -r "$RADLB" '+%F %T')"
	if git -C "$(dirname "$RADLB_ORIG")" rev-parse --short HEAD >/dev/null 2>&1; then
		RADLB_INFO+=", tree $(git -C "$(dirname "$RADLB_ORIG")" rev-parse --short HEAD)"
		[ -n "$(git -C "$(dirname "$RADLB_ORIG")" status --porcelain -- . 2>/dev/null | head -1)" ] &&
			RADLB_INFO+=" + uncommitted changes in $(basename "$(dirname "$RADLB_ORIG")")/"
	fi
	mkdir -p "$RUN/bin"
	cp "$RADLB" "$RUN/bin/radlb" && RADLB=$RUN/bin/radlb
	[ -x "$RADLBCTL" ] && cp "$RADLBCTL" "$RUN/bin/radlbctl" && RADLBCTL=$RUN/bin/radlbctl
fi

# ---- process management (only processes started here) -------------------
PIDS=()

stop_pid() { # pid [signal]
	local pid=$1 sig=${2:-TERM} i
	if kill -0 "$pid" 2>/dev/null; then
		kill "-$sig" "$pid" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	local keep=() p
	for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

cleanup() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	release_ports all
	if [ "$KEEP" = 1 ]; then
		echo "run.sh: configs and logs kept in $RUN"
	else
		rm -rf "$RUN"
	fi
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM

start_bg() { # logfile cmd...   (sets LAST_PID)
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}

# ---- helpers -------------------------------------------------------------
calc() { awk "BEGIN { printf \"$1\", ($2) }"; }

cpu_ticks() { # pid -> utime+stime in ticks (all threads)
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

status_kb() { # pid field -> kB
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}

udp_drops() { # pid -> datagrams dropped so far by its UDP sockets (full receive buffers)
	local inodes
	inodes=$(find "/proc/$1/fd" -maxdepth 1 -type l -printf '%l\n' 2>/dev/null |
		sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
	awk -v list="$inodes" 'BEGIN { n = split(list, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
		FNR > 1 && ($10 in want) { d += $13 } END { print d + 0 }' /proc/net/udp /proc/net/udp6 2>/dev/null
}

jget() { # jsonfile key -> value from the "total" object
	grep '"total":' "$1" | sed -n "s/.*\"$2\":\\([-0-9.]*\\).*/\\1/p"
}

kv() { # "line" key -> value of key=value (0 if absent)
	local v
	v=$(sed -n "s/.* $2=\\([0-9]*\\).*/\\1/p" <<<" $1")
	echo "${v:-0}"
}

fill_template() { # template output  (uses the port/secret variables)
	sed -e "s|@S3_TOP@|${RC_S3_TOP-, ${S3_ENTRY/@ROLE@/subordinate}}|g" \
		-e "s|@S3_ENTRY@|${S3_ENTRY/@ROLE@/master}|g" -e "s|@ROUTES@|${RC_ROUTES-#}|g" \
		-e "s|@LIMITS@|${RC_LIMITS-#}|g" \
		-e "s|@RUNDIR@|$PDIR|g" \
		-e "s|@AUTH_PORT@|$PA|g" -e "s|@ACCT_PORT@|$PC|g" \
		-e "s|@S1_AUTH@|${SA[0]}|g" -e "s|@S1_ACCT@|${SC[0]}|g" \
		-e "s|@S2_AUTH@|${SA[1]}|g" -e "s|@S2_ACCT@|${SC[1]}|g" \
		-e "s|@S3_AUTH@|${SA[2]}|g" -e "s|@S3_ACCT@|${SC[2]}|g" \
		-e "s|@CLIENT_SECRET@|$CLIENT_SECRET|g" -e "s|@SERVER_SECRET@|$SERVER_SECRET|g" \
		-e "s|@POOL_TYPE@|${POOL_TYPE:-load-balance}|g" -e "s|@KEYED@|${KEYED-#}|g" \
		-e "s|@RECV_BUFF@|$RECV_BUFF|g" \
		-e "s|@MAX_REQUESTS@|$MAX_REQUESTS|g" -e "s|@LOG_LEVEL@|$RADLB_LOG_LEVEL|g" \
		-e "s|@DEDUP_WINDOW@|${RC_DEDUP:-30.0}|g" -e "s|@STICKY_TTL@|${RC_TTL:-300}|g" \
		-e "s|@STICKY_STORE@|${RC_STORE:-memory}|g" -e "s|@STICKY_MAX@|${RC_MAX:-1000000}|g" \
		-e "s|@REDIS@|${RC_REDIS-#}|g" -e "s|@REDIS_PORT@|${REDIS_PORT:-6379}|g" \
		-e "s|@REDIS_TIMEOUT@|$REDIS_TIMEOUT|g" -e "s|@INSTANCE@|${RC_INSTANCE:-}|g" \
		-e "s|@MID_PROTO@|${MID_PROTO:-udp}|g" -e "s|@MID_TYPE@|${MID_TYPE:-auth}|g" \
		-e "s|@MID_AUTH@|${MID_AUTH:-}|g" -e "s|@MID_ACCT@|${MID_ACCT:-}|g" \
		-e "s|@MID_SECRET@|${MID_SECRET:-}|g" -e "s|@MID_UDP@|${MID_UDP-#}|g" \
		-e "s|@MID_TLS@|${MID_TLS-#}|g" -e "s|@RSP_LISTEN@|${RSP_LISTEN:-ListenUDP}|g" \
		-e "s|@PKI@|${PKI_DIR:-}|g" \
		"$1" >"$2"
}

# mfa3 in radlb's configuration: in the top-level servers, or (radlb-routes)
# alone in the pool "new"
S3_ENTRY='{ name = "mfa3"; address = "127.0.0.1"; auth_port = @S3_AUTH@; acct_port = @S3_ACCT@; secret = "@SERVER_SECRET@"; role = "@ROLE@"; weight = 1; }'

# Proxy description; sets PROXY_CMD, PROXY_NOTE, SERVER (loadgen target),
# LG_EXTRA, STANDIN_EXTRA, STANDIN_SECRET. Returns 1 (with SKIP_REASON)
# if the proxy cannot run here.
setup_proxy() { # name
	PROXY_NOTE=""
	LG_EXTRA=()
	STANDIN_EXTRA=()
	[ -n "$STATE_LEN" ] && STANDIN_EXTRA=(--state-len "$STATE_LEN")
	STANDIN_SECRET=$SERVER_SECRET
	SERVER="127.0.0.1:$PA,$PC"
	# a second instance (radlb-redis-ab): command, address, control socket
	PROXY2_CMD=()
	SERVER2=""
	CTL_SOCK=""
	CTL_SOCK2=""
	USES_REDIS=0
	POOL_TYPE=load-balance
	KEYED="#"
	MAX_REQUESTS=$((INFLIGHT * 4 > 65536 ? INFLIGHT * 4 : 65536))
	case $1 in
	relay)
		# no crypto at all: same secret on both sides, nothing checked
		STANDIN_SECRET=$CLIENT_SECRET
		STANDIN_EXTRA+=(--no-check)
		LG_EXTRA=(--no-verify)
		local socks=$((INFLIGHT / 3 / 200 + 1))
		PROXY_CMD=("$RELAY" --listen "127.0.0.1:$PA,$PC" --sockets "$socks" --timeout 40
			--backend "127.0.0.1:${SA[0]},${SC[0]}" --backend "127.0.0.1:${SA[1]},${SC[1]}"
			--backend "127.0.0.1:${SA[2]},${SC[2]}")
		PROXY_NOTE="bare UDP relay: no RADIUS crypto, replies not verified (CPU floor)"
		;;
	radsecproxy)
		if [ -z "$RADSECPROXY" ] || [ ! -x "$RADSECPROXY" ]; then
			SKIP_REASON="radsecproxy not installed (apt-get install radsecproxy)"
			return 1
		fi
		fill_template "$BENCH_DIR/conf/radsecproxy.conf.in" "$PDIR/radsecproxy.conf"
		SERVER="127.0.0.1:$PA" # auth and acct share the ListenUDP port
		PROXY_CMD=("$RADSECPROXY" -f -c "$PDIR/radsecproxy.conf")
		PROXY_NOTE="radsecproxy does fail-over only, no load balancing: all traffic goes to mfa1"
		;;
	freeradius | freeradius-keyed)
		if [ -z "$FREERADIUS" ] || [ ! -x "$FREERADIUS" ]; then
			SKIP_REASON="FreeRADIUS not installed (apt-get install freeradius)"
			return 1
		fi
		if [ "$1" = freeradius-keyed ]; then
			POOL_TYPE=keyed-balance
			KEYED=""
			PROXY_NOTE="FreeRADIUS home_server_pool keyed-balance, Load-Balance-Key = User-Name"
		else
			PROXY_NOTE="FreeRADIUS home_server_pool load-balance"
		fi
		fill_template "$BENCH_DIR/conf/freeradius.conf.in" "$PDIR/radiusd.conf"
		PROXY_CMD=("$FREERADIUS" -f -d "$PDIR" -n radiusd)
		;;
	radlb | radlb-routes | radlb-limits | radlb-memory | radlb-redis | radlb-redis-ab)
		if [ ! -x "$RADLB" ]; then
			SKIP_REASON="$RADLB not found or not executable (build radlb, or set RADLB=path)"
			return 1
		fi
		# radlb (throughput, inflight) and radlb-memory: sticky.store = "memory"
		RC_STORE=memory
		RC_REDIS="#"
		RC_INSTANCE=""
		unset RC_S3_TOP RC_ROUTES RC_LIMITS
		PROXY_NOTE="radlb, balance least-outstanding"
		if [ "$1" = radlb-routes ]; then
			# mfa3 alone in the pool "new", the master of it
			RC_S3_TOP=""
			RC_ROUTES=""
			PROXY_NOTE="radlb with 10 routing rules (the 10th matches: default, 33.33% of users to pool new = mfa3)"
		fi
		if [ "$1" = radlb-limits ]; then
			RC_LIMITS=""
			PROXY_NOTE="radlb with prompt budgets (5 per 600 s, 20 per day, by User-Name; a new user per login)"
		fi
		if [ "$1" = radlb-redis ] || [ "$1" = radlb-redis-ab ]; then
			if [ -z "$REDIS_PORT" ]; then
				SKIP_REASON=${REDIS_SKIP:-no redis-server running}
				return 1
			fi
			RC_STORE=redis
			RC_REDIS=""
			USES_REDIS=1
			PROXY_NOTE="radlb, sticky.store = \"redis\" (redis-server on 127.0.0.1:$REDIS_PORT, redis.timeout $REDIS_TIMEOUT)"
		fi
		fill_template "$BENCH_DIR/conf/radlb.conf.in" "$PDIR/radlb.conf"
		PROXY_CMD=("$RADLB" -f "$PDIR/radlb.conf")
		CTL_SOCK=$PDIR/radlb.sock
		if [ "$1" = radlb-redis-ab ]; then
			# instance B: same servers and Redis, its own ports and control socket
			(PA=$PB_A PC=$PB_C RC_INSTANCE=-b
				fill_template "$BENCH_DIR/conf/radlb.conf.in" "$PDIR/radlb-b.conf")
			PROXY2_CMD=("$RADLB" -f "$PDIR/radlb-b.conf")
			SERVER2="127.0.0.1:$PB_A,$PB_C"
			CTL_SOCK2=$PDIR/radlb-b.sock
			PROXY_NOTE="two radlb instances sharing Redis (127.0.0.1:$REDIS_PORT): first legs to A, second legs to B"
		fi
		[ "$1" = radlb-memory ] && PROXY_NOTE="radlb, sticky.store = \"memory\""
		;;
	*)
		SKIP_REASON="unknown proxy '$1' (relay radsecproxy freeradius freeradius-keyed radlb radlb-routes radlb-memory radlb-redis radlb-redis-ab)"
		return 1
		;;
	esac
	return 0
}

# Starts the 3 stand-ins (extra args: e.g. --delay). Sets STANDIN_PIDS.
start_standins() {
	local i
	STANDIN_PIDS=()
	for i in 0 1 2; do
		start_bg "$PDIR/standin-mfa$((i + 1)).log" "$STANDIN" \
			--listen "127.0.0.1:${SA[$i]},${SC[$i]}" --secret "$STANDIN_SECRET" \
			--name "mfa$((i + 1))" --password "$PASSWORD" --otp-prefix otp \
			"${STANDIN_EXTRA[@]}" "$@"
		STANDIN_PIDS+=("$LAST_PID")
	done
	for i in 0 1 2; do
		if ! "$LOADGEN" --server "127.0.0.1:${SA[$i]}" --secret "$STANDIN_SECRET" \
			--password "$PASSWORD" --probe --retransmit "$PROBE_RETRANSMIT" --timeout "$PROBE_TIMEOUT" -q; then
			echo "  stand-in mfa$((i + 1)) does not answer:" >&2
			tail -5 "$PDIR/standin-mfa$((i + 1)).log" >&2
			return 1
		fi
	done
}

# Records the stand-ins' counters (SIGUSR1) as the baseline that
# stop_standins subtracts: start-up probes are not counted.
standin_baseline() {
	local i k n log before
	for i in 0 1 2; do
		n=$((i + 1))
		log=$PDIR/standin-mfa$n.log
		before=$(grep -c "mfa$n counters:" "$log")
		kill -USR1 "${STANDIN_PIDS[$i]}" 2>/dev/null
		for ((k = 0; k < 40; k++)); do
			[ "$(grep -c "mfa$n counters:" "$log")" -gt "$before" ] && break
			sleep 0.05
		done
		grep "mfa$n counters:" "$log" | tail -1 >"$PDIR/standin-mfa$n.base"
	done
}

# Stops the stand-ins and prints their counters (minus the baseline);
# sets SI_* summaries. With "norecord", nothing is printed or recorded.
stop_standins() {
	local i n line base
	SI_REQ=""
	SI_BAD=0 SI_WRONGPW=0 SI_STATE=0 SI_DUP=0 SI_NOMA=0 SI_MAL=0 SI_OVER=0 SI_PEAK=0
	for i in 0 1 2; do
		n=$((i + 1))
		stop_pid "${STANDIN_PIDS[$i]}"
		line=$(grep 'final counters' "$PDIR/standin-mfa$n.log" | tail -1)
		base=$(cat "$PDIR/standin-mfa$n.base" 2>/dev/null)
		SI_REQ+="${SI_REQ:+/}$(($(kv "$line" requests) - $(kv "$base" requests)))"
		SI_BAD=$((SI_BAD + $(kv "$line" bad_signature) - $(kv "$base" bad_signature)))
		SI_WRONGPW=$((SI_WRONGPW + $(kv "$line" wrong_password) - $(kv "$base" wrong_password)))
		SI_STATE=$((SI_STATE + $(kv "$line" unknown_state) - $(kv "$base" unknown_state)))
		SI_DUP=$((SI_DUP + $(kv "$line" duplicates) - $(kv "$base" duplicates)))
		SI_NOMA=$((SI_NOMA + $(kv "$line" missing_msg_auth) - $(kv "$base" missing_msg_auth)))
		SI_MAL=$((SI_MAL + $(kv "$line" malformed) - $(kv "$base" malformed)))
		SI_OVER=$((SI_OVER + $(kv "$line" overflow) - $(kv "$base" overflow)))
		# a maximum, not a counter: no baseline
		SI_PEAK=$((SI_PEAK + $(kv "$line" peak_pending)))
	done
	[ "${1:-}" = norecord ] && return 0
	printf '  stand-ins: requests mfa1/mfa2/mfa3 %s | bad signature %d, wrong password %d, unknown State %d, duplicates dropped %d, no Message-Authenticator %d, malformed %d, overflow %d\n' \
		"$SI_REQ" "$SI_BAD" "$SI_WRONGPW" "$SI_STATE" "$SI_DUP" "$SI_NOMA" "$SI_MAL" "$SI_OVER"
	printf 'standins\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n' "$CUR_PROXY" "$SI_REQ" "$SI_BAD" \
		"$SI_WRONGPW" "$SI_STATE" "$SI_DUP" "$SI_NOMA" "$SI_MAL" "$SI_OVER" >>"$RESULTS_TSV"
}

# Ports are claimed like the test suite does (tests/lib/common.sh): an
# atomic mkdir in $TMPDIR/radlb-port-claims, owner = this shell's PID, so
# a concurrent test run never picks the same port. Released when done.
PORT_CLAIMS=${TMPDIR:-/tmp}/radlb-port-claims
CLAIMED=()

LONG_CLAIMED=() # held for the whole run (the Redis port)

claim_port() { # port [long]
	[ -d "$PORT_CLAIMS" ] || mkdir -m 1777 "$PORT_CLAIMS" 2>/dev/null
	mkdir "$PORT_CLAIMS/$1" 2>/dev/null || return 1
	echo "$$" >"$PORT_CLAIMS/$1/owner"
	if [ "${2:-}" = long ]; then LONG_CLAIMED+=("$1"); else CLAIMED+=("$1"); fi
}

release_ports() { # [all]: also the claims held for the whole run
	local p
	[ "${1:-}" = all ] && CLAIMED+=("${LONG_CLAIMED[@]}") && LONG_CLAIMED=()
	for p in "${CLAIMED[@]}"; do
		[ "$(cat "$PORT_CLAIMS/$p/owner" 2>/dev/null)" = "$$" ] && rm -rf "${PORT_CLAIMS:?}/$p"
	done
	CLAIMED=()
}

# sets SA[3] SC[3] (stand-ins), PA PC (proxy); with 10, also PB_A PB_C
# (a second proxy instance)
pick_ports() { # [count: 8 or 10]
	local want=${1:-8} got=() p tries=0
	while [ "${#got[@]}" -lt "$want" ] && [ $tries -lt 200 ]; do
		tries=$((tries + 1))
		p=$("$LOADGEN" --free-ports 1) || continue
		claim_port "$p" && got+=("$p")
	done
	[ "${#got[@]}" -eq "$want" ] || return 1
	SA=("${got[0]}" "${got[2]}" "${got[4]}")
	SC=("${got[1]}" "${got[3]}" "${got[5]}")
	PA=${got[6]}
	PC=${got[7]}
	PB_A=${got[8]:-}
	PB_C=${got[9]:-}
}

# Is this TCP port in use (listening or connected) on this host?
tcp_port_in_use() { # port
	ss -Hant 2>/dev/null | awk -v p="$1" '{ for (i = 4; i <= 5; i++) { n = split($i, a, ":"); if (a[n] == p) f = 1 } } END { exit !f }'
}

# ---- Redis (sticky and sessions modes) -----------------------------------
# One redis-server for the whole run, on a free port (claimed like the UDP
# ports), without persistence. Sets REDIS_PID, REDIS_PORT, or REDIS_SKIP.
REDIS_PID=""
REDIS_PORT=""
REDIS_SKIP=""
# radlb.conf.in values set by the modes (empty: radlb's defaults)
RC_TTL="" RC_MAX="" RC_DEDUP="" RC_STORE="" RC_REDIS="#" RC_INSTANCE=""

start_redis() {
	local tries p k
	if [ -z "$REDIS_SERVER" ] || [ ! -x "$REDIS_SERVER" ] || [ -z "$REDIS_CLI" ]; then
		REDIS_SKIP="redis-server/redis-cli not installed (apt-get install redis-server)"
		return 1
	fi
	mkdir -p "$RUN/redis"
	for ((tries = 0; tries < 5; tries++)); do
		p=$("$LOADGEN" --free-ports 1) || continue
		claim_port "$p" long || continue
		tcp_port_in_use "$p" && continue
		start_bg "$RUN/redis/redis-server.log" "$REDIS_SERVER" --port "$p" --bind 127.0.0.1 \
			--save '' --appendonly no --daemonize no --dir "$RUN/redis"
		for ((k = 0; k < 100; k++)); do
			if [ "$("$REDIS_CLI" -p "$p" ping 2>/dev/null)" = PONG ]; then
				REDIS_PID=$LAST_PID
				REDIS_PORT=$p
				return 0
			fi
			kill -0 "$LAST_PID" 2>/dev/null || break
			sleep 0.05
		done
		stop_pid "$LAST_PID"
	done
	REDIS_SKIP="redis-server did not start ($(tail -1 "$RUN/redis/redis-server.log" 2>/dev/null))"
	return 1
}

rcli() { # redis-cli arguments, against the harness's redis-server
	"$REDIS_CLI" -p "$REDIS_PORT" "$@" 2>/dev/null | tr -d '\r'
}

redis_mem() { # -> used_memory in bytes
	rcli info memory | sed -n 's/^used_memory:\([0-9]*\)$/\1/p'
}

# ---- radlb control socket --------------------------------------------------
radlb_stats() { # socket outfile: `radlbctl show stats` ("name value" lines)
	"$RADLBCTL" -s "$1" show stats >"$2" 2>&1
}

stat_get() { # statsfile name -> value (empty if absent)
	awk -v k="$2" '$1 == k { print $2; exit }' "$1" 2>/dev/null
}

# Waits (up to 10 s) until radlb says Redis is usable.
wait_redis_ready() { # socket
	local k f=$RUN/.redis-ready
	for ((k = 0; k < 100; k++)); do
		radlb_stats "$1" "$f"
		[ "$(stat_get "$f" redis.up)" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

stop_proxies() {
	[ -n "${PROXY2_PID:-}" ] && stop_pid "$PROXY2_PID"
	stop_pid "$PROXY_PID"
	PROXY2_PID=""
}

# Sets up, starts and probes the proxy. Returns 1 (printed) on failure.
launch() { # name [standin args...]
	local name=$1
	shift
	CUR_PROXY=$name
	PDIR=$RUN/$name
	mkdir -p "$PDIR"
	PROXY2_PID=""
	echo
	echo "== $name"
	if ! pick_ports "$([ "$name" = radlb-redis-ab ] && echo 10 || echo 8)"; then
		echo "  skipped: no free UDP ports found"
		printf 'skip\t%s\t%s\n' "$name" "no free ports" >>"$RESULTS_TSV"
		return 1
	fi
	if ! setup_proxy "$name"; then
		echo "  skipped: $SKIP_REASON"
		printf 'skip\t%s\t%s\n' "$name" "$SKIP_REASON" >>"$RESULTS_TSV"
		return 1
	fi
	[ -n "$PROXY_NOTE" ] && echo "  note: $PROXY_NOTE"
	if ! start_standins "$@"; then
		printf 'skip\t%s\t%s\n' "$name" "stand-ins did not start" >>"$RESULTS_TSV"
		return 1
	fi
	start_bg "$PDIR/proxy.log" "${PROXY_CMD[@]}"
	PROXY_PID=$LAST_PID
	if ! "$LOADGEN" --server "$SERVER" --secret "$CLIENT_SECRET" --password "$PASSWORD" \
		"${LG_EXTRA[@]}" --probe --retransmit "$PROBE_RETRANSMIT" --timeout "$PROBE_TIMEOUT" -q || ! kill -0 "$PROXY_PID" 2>/dev/null; then
		echo "  skipped: $name did not answer within ${PROBE_TIMEOUT}s; last log lines:"
		tail -15 "$PDIR/proxy.log" "$PDIR"/*.log 2>/dev/null | sed 's/^/    /' | tail -30
		printf 'skip\t%s\t%s\n' "$name" "did not answer" >>"$RESULTS_TSV"
		stop_pid "$PROXY_PID"
		stop_standins norecord
		return 1
	fi
	if [ "${#PROXY2_CMD[@]}" -gt 0 ]; then
		start_bg "$PDIR/proxy-b.log" "${PROXY2_CMD[@]}"
		PROXY2_PID=$LAST_PID
		if ! "$LOADGEN" --server "$SERVER2" --secret "$CLIENT_SECRET" --password "$PASSWORD" \
			"${LG_EXTRA[@]}" --probe --retransmit "$PROBE_RETRANSMIT" --timeout "$PROBE_TIMEOUT" -q || ! kill -0 "$PROXY2_PID" 2>/dev/null; then
			echo "  skipped: $name (instance B) did not answer within ${PROBE_TIMEOUT}s; last log lines:"
			tail -15 "$PDIR/proxy-b.log" 2>/dev/null | sed 's/^/    /'
			printf 'skip\t%s\t%s\n' "$name" "instance B did not answer" >>"$RESULTS_TSV"
			stop_proxies
			stop_standins norecord
			return 1
		fi
	fi
	if [ "$USES_REDIS" = 1 ]; then
		local sock
		for sock in "$CTL_SOCK" ${CTL_SOCK2:+"$CTL_SOCK2"}; do
			if ! wait_redis_ready "$sock"; then
				echo "  skipped: $name: radlb (${sock##*/}) does not report Redis as usable:"
				sed 's/^/    /' "$RUN/.redis-ready" | grep redis | head -5
				printf 'skip\t%s\t%s\n' "$name" "Redis not usable by radlb" >>"$RESULTS_TSV"
				stop_proxies
				stop_standins norecord
				return 1
			fi
		done
	fi
	echo "  pid $PROXY_PID${PROXY2_PID:+ (A) and $PROXY2_PID (B)}, listening 127.0.0.1:$PA (auth) ${SERVER#*,} (acct)${SERVER2:+, B on ${SERVER2#*:}}, stand-ins on ${SA[*]} / ${SC[*]}"
	standin_baseline
}

# ---- throughput mode --------------------------------------------------------
run_throughput() {
	local name flow json perf_pid c0 c1 d0 d1 ans secs rate cpu p50 p99 ok fail okpct to bad
	PROBE_TIMEOUT=15
	PROBE_RETRANSMIT=0.2
	echo "radlb benchmark: throughput, $INFLIGHT requests in flight (closed loop), flows: $FLOWS"
	echo "  $ROUNDS rounds x ${DURATION}s per flow after ${WARMUP}s warm-up; $(nproc) CPUs; secrets differ NAS<->proxy and proxy<->stand-ins"
	for name in $PROXIES; do
		launch "$name" || continue
		for flow in $FLOWS; do
			"$LOADGEN" --server "$SERVER" --secret "$CLIENT_SECRET" --password "$PASSWORD" \
				"${LG_EXTRA[@]}" --flow "$flow" --inflight "$INFLIGHT" --duration "$WARMUP" \
				--rounds 1 --timeout 5 -q
			json=$PDIR/loadgen-$flow.json
			perf_pid=""
			if [ "$PERF" = 1 ]; then
				start_bg "$PDIR/perf-$flow.log" perf record -F 999 -g -p "$PROXY_PID" -o "$PDIR/perf-$flow.data"
				perf_pid=$LAST_PID
			fi
			d0=$(udp_drops "$PROXY_PID")
			c0=$(cpu_ticks "$PROXY_PID")
			"$LOADGEN" --server "$SERVER" --secret "$CLIENT_SECRET" --password "$PASSWORD" \
				"${LG_EXTRA[@]}" --flow "$flow" --inflight "$INFLIGHT" --duration "$DURATION" \
				--rounds "$ROUNDS" --timeout 5 --cpu-pid "$PROXY_PID" --json >"$json"
			c1=$(cpu_ticks "$PROXY_PID")
			d1=$(udp_drops "$PROXY_PID")
			[ -n "$perf_pid" ] && stop_pid "$perf_pid" INT
			if [ -z "$c0" ] || [ -z "$c1" ] || ! grep -q '"total":' "$json"; then
				echo "  $flow: failed (proxy died?)"
				tail -5 "$PDIR/proxy.log" | sed 's/^/    /'
				break
			fi
			ans=$(jget "$json" answered)
			secs=$(jget "$json" seconds)
			rate=$(calc "%.0f" "$ans / $secs")
			cpu=$(calc "%.2f" "$ans > 0 ? ($c1 - $c0) * 1000000 / $HZ / $ans : -1")
			p50=$(calc "%.2f" "$(jget "$json" p50_us) / 1000")
			p99=$(calc "%.2f" "$(jget "$json" p99_us) / 1000")
			if [ "$flow" = acct ]; then
				ok=$(jget "$json" acct_sessions)
				fail=$(jget "$json" acct_failed)
			else
				ok=$(($(jget "$json" logins_ok) + $(jget "$json" acct_sessions)))
				fail=$(($(jget "$json" logins_failed) + $(jget "$json" acct_failed)))
			fi
			okpct=$(calc "%.1f" "($ok + $fail) > 0 ? 100 * $ok / ($ok + $fail) : 0")
			to=$(jget "$json" timeouts)
			bad=$(jget "$json" bad)
			printf '  %-5s %8s req/s  %7s us CPU/req  p50 %6s ms  p99 %6s ms  ok %5s%%  timeouts %s  bad replies %s  socket drops %s\n' \
				"$flow" "$rate" "$cpu" "$p50" "$p99" "$okpct" "$to" "$bad" "$((d1 - d0))"
			grep '"round":' "$json" | while read -r line; do
				printf '        round %s: %s req/s, %s us CPU/req\n' \
					"$(sed -n 's/.*"round":\([0-9]*\).*/\1/p' <<<"$line")" \
					"$(sed -n 's/.*"rate":\([0-9]*\).*/\1/p' <<<"$line")" \
					"$(sed -n 's/.*"cpu_us_per_req":\([0-9.]*\).*/\1/p' <<<"$line")"
			done
			printf 'tput\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$flow" "$rate" "$cpu" \
				"$p50" "$p99" "$okpct" "$to" "$bad" "$((d1 - d0))" >>"$RESULTS_TSV"
		done
		stop_pid "$PROXY_PID"
		stop_standins
		release_ports
	done
	report_throughput
}

report_throughput() {
	echo
	echo "== results: $INFLIGHT in flight, ${ROUNDS}x${DURATION}s per flow (CPU = proxy utime+stime / answered requests)"
	printf '%-17s %-5s %10s %12s %9s %9s %7s %9s %5s %7s\n' proxy flow "req/s" "CPU us/req" "p50 ms" \
		"p99 ms" "ok %" timeouts bad drops
	awk -F'\t' '$1 == "tput" { printf "%-17s %-5s %10s %12s %9s %9s %7s %9s %5s %7s\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }' "$RESULTS_TSV"
	awk -F'\t' '$1 == "skip" { printf "%-17s skipped: %s\n", $2, $3 }' "$RESULTS_TSV"
	echo "  ok % = logins accepted (pap, otp) or accounting sessions completed (acct)."
	echo "  otp below 100% means the proxy sent the second leg to a stand-in that did not issue the State."
	grep -q $'^tput\tradsecproxy\t' "$RESULTS_TSV" &&
		echo "  radsecproxy only does fail-over (no load balancing): all its traffic went to mfa1."
	grep -q $'^tput\trelay\t' "$RESULTS_TSV" &&
		echo "  relay: no crypto, replies not verified; it is the CPU floor, not a RADIUS proxy."
	echo
	echo "== stand-in counters per proxy (all flows; bad sig = dropped for a bad Message-Authenticator or Accounting authenticator)"
	printf '%-17s %-26s %7s %9s %9s %6s %6s %6s\n' proxy "requests mfa1/mfa2/mfa3" "bad sig" "wrong pw" \
		"bad State" dups "no MA" malf
	awk -F'\t' '$1 == "standins" { printf "%-17s %-26s %7s %9s %9s %6s %6s %6s\n", $2, $3, $4, $5, $6, $7, $8, $9 }' "$RESULTS_TSV"
	echo
	if ! grep -q $'^tput\tradlb\t' "$RESULTS_TSV"; then
		echo "== ratios: radlb was not measured, no ratios"
		return
	fi
	echo "== ratios radlb / peer (CPU: < 1 means radlb uses less CPU per request; req/s: > 1 means radlb is faster)"
	printf '%-5s %-17s %12s %12s\n' flow peer "CPU ratio" "req/s ratio"
	awk -F'\t' '
		$1 == "tput" { cpu[$2, $3] = $5; rate[$2, $3] = $4; if (!($3 in seen)) { seen[$3] = 1; flows[++nf] = $3 }
			if (!($2 in pseen)) { pseen[$2] = 1; peers[++np] = $2 } }
		END {
			for (f = 1; f <= nf; f++) {
				fl = flows[f]
				if (!(("radlb" SUBSEP fl) in cpu)) continue
				for (p = 1; p <= np; p++) {
					pr = peers[p]
					if (pr == "radlb" || pr ~ /^radlb-/ || !((pr SUBSEP fl) in cpu)) continue
					c = (cpu[pr, fl] > 0) ? sprintf("%.2f", cpu["radlb", fl] / cpu[pr, fl]) : "n/a"
					r = (rate[pr, fl] > 0) ? sprintf("%.2f", rate["radlb", fl] / rate[pr, fl]) : "n/a"
					printf "%-5s %-17s %12s %12s\n", fl, pr, c, r
				}
			}
		}' "$RESULTS_TSV"
	for variant in radlb-routes radlb-limits; do
		grep -q $'^tput\t'"$variant"$'\t' "$RESULTS_TSV" || continue
		echo
		case $variant in
		radlb-routes) echo "== the cost of routing: radlb-routes (10 rules, two pools) / radlb (no rules), same run" ;;
		radlb-limits) echo "== the cost of prompt budgets: radlb-limits (budgets on, a new user per login) / radlb (off), same run" ;;
		esac
		printf '%-5s %12s %12s\n' flow "CPU ratio" "req/s ratio"
		awk -F'\t' -v v="$variant" '$1 == "tput" { cpu[$2, $3] = $5; rate[$2, $3] = $4; fl[$3] = 1 }
			END { for (f in fl) if ((("radlb" SUBSEP f) in cpu) && ((v SUBSEP f) in cpu))
				printf "%-5s %12s %12s\n", f,
					(cpu["radlb", f] > 0 ? sprintf("%.2f", cpu[v, f] / cpu["radlb", f]) : "n/a"),
					(rate["radlb", f] > 0 ? sprintf("%.2f", rate[v, f] / rate["radlb", f]) : "n/a") }' \
			"$RESULTS_TSV"
	done
}

# ---- in-flight mode ---------------------------------------------------------
run_inflight() {
	local name json rate rss0 hwm c0 c1 d0 d1 ans pct bpr cpu reset p50 p99 secs
	PROBE_TIMEOUT=$(calc "%.0f" "$DELAY + 15")
	# slower than the stand-ins answer: no duplicates at start-up
	PROBE_RETRANSMIT=$(calc "%.1f" "$DELAY + 1")
	local send_secs
	send_secs=$(calc "%.3f" "$DELAY * 2 / 3 < 2 ? $DELAY * 2 / 3 : 2")
	rate=${RATE:-$(calc "%.0f" "$INFLIGHT / $send_secs")}
	echo "radlb benchmark: in flight, stand-ins answer after ${DELAY}s (a push waiting on a human)"
	echo "  $INFLIGHT Access-Requests at ${rate}/s (0 = unlimited), NAS retransmit ${RETRANSMIT}s, timeout ${TIMEOUT}s"
	for name in $PROXIES; do
		launch "$name" --delay "$DELAY" --max-pending $((INFLIGHT * 2 + 1000)) || continue
		rss0=$(status_kb "$PROXY_PID" VmRSS)
		# reset the peak RSS (VmHWM) to the current RSS (Linux >= 4.0)
		if echo 5 >"/proc/$PROXY_PID/clear_refs" 2>/dev/null; then reset=1; else reset=0; fi
		d0=$(udp_drops "$PROXY_PID")
		c0=$(cpu_ticks "$PROXY_PID")
		json=$PDIR/loadgen-inflight.json
		"$LOADGEN" --server "$SERVER" --secret "$CLIENT_SECRET" --password "$PASSWORD" \
			"${LG_EXTRA[@]}" --flow pap --total "$INFLIGHT" --rate "$rate" \
			--retransmit "$RETRANSMIT" --timeout "$TIMEOUT" --json >"$json"
		hwm=$(status_kb "$PROXY_PID" VmHWM)
		d1=$(udp_drops "$PROXY_PID")
		c1=$(cpu_ticks "$PROXY_PID")
		if [ -z "$hwm" ] || [ -z "$c1" ] || ! grep -q '"total":' "$json"; then
			echo "  failed: the proxy died during the run"
			tail -5 "$PDIR/proxy.log" | sed 's/^/    /'
			stop_pid "$PROXY_PID"
			stop_standins
			continue
		fi
		ans=$(jget "$json" answered)
		pct=$(jget "$json" answered_pct)
		secs=$(jget "$json" seconds)
		p50=$(calc "%.2f" "$(jget "$json" p50_us) / 1000000")
		p99=$(calc "%.2f" "$(jget "$json" p99_us) / 1000000")
		bpr=$(calc "%.0f" "($hwm - $rss0) * 1024 / $INFLIGHT")
		cpu=$(calc "%.1f" "$ans > 0 ? ($c1 - $c0) * 1000000 / $HZ / $ans : -1")
		printf '  answered %s%% (%s of %s, plus %s retransmissions), timeouts %s, bad %s, p50 %ss p99 %ss, %ss\n' \
			"$pct" "$ans" "$INFLIGHT" "$(jget "$json" retransmits)" "$(jget "$json" timeouts)" \
			"$(jget "$json" bad)" "$p50" "$p99" "$secs"
		printf '  memory: RSS before %s kB, peak %s kB%s => %s bytes per request in flight; CPU %s us/req\n' \
			"$rss0" "$hwm" "$([ $reset = 1 ] || echo ' (peak not reset)')" "$bpr" "$cpu"
		stop_pid "$PROXY_PID"
		stop_standins
		printf '  at most %s requests were pending at the stand-ins at once (sum of their peaks); its UDP sockets dropped %s datagrams (receive buffer full)\n' "$SI_PEAK" "$((d1 - d0))"
		printf 'inflight\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$pct" \
			"$(jget "$json" timeouts)" "$(jget "$json" retransmits)" "$p50" "$p99" "$rss0" "$hwm" \
			"$bpr" "$cpu" "$SI_PEAK" "$((d1 - d0))" >>"$RESULTS_TSV"
		release_ports
	done
	echo
	echo "== results: $INFLIGHT requests in flight, stand-in delay ${DELAY}s, retransmit ${RETRANSMIT}s, timeout ${TIMEOUT}s"
	printf '%-17s %10s %9s %8s %7s %7s %10s %10s %10s %10s %10s %9s\n' proxy "answered %" timeouts retrans \
		"p50 s" "p99 s" "RSS0 kB" "peak kB" "bytes/req" "CPU us/req" "peak held" "drops"
	awk -F'\t' '$1 == "inflight" { printf "%-17s %10s %9s %8s %7s %7s %10s %10s %10s %10s %10s %9s\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 }' "$RESULTS_TSV"
	awk -F'\t' '$1 == "skip" { printf "%-17s skipped: %s\n", $2, $3 }' "$RESULTS_TSV"
	echo "  bytes/req = (peak RSS during the run - RSS before) / $INFLIGHT"
	echo "  peak held = most requests pending at the stand-ins at once (sum over the 3): a proxy far below"
	echo "  $INFLIGHT never held them all, and its bytes/req is not comparable (radsecproxy: 256 IDs per server)"
	echo "  drops = datagrams dropped by the proxy's own UDP sockets (receive buffer full): requests it never saw"
	echo
	echo "== stand-in counters per proxy"
	printf '%-17s %-26s %7s %9s %9s %6s %6s %6s\n' proxy "requests mfa1/mfa2/mfa3" "bad sig" "wrong pw" \
		"bad State" dups "no MA" malf
	awk -F'\t' '$1 == "standins" { printf "%-17s %-26s %7s %9s %9s %6s %6s %6s\n", $2, $3, $4, $5, $6, $7, $8, $9 }' "$RESULTS_TSV"
	if ! grep -q $'^inflight\tradlb\t' "$RESULTS_TSV"; then
		echo "== ratios: radlb was not measured, no ratios"
		return
	fi
	echo
	echo "== ratios radlb / peer (bytes per request in flight: < 1 means radlb uses less memory)"
	awk -F'\t' -v want="$INFLIGHT" '$1 == "inflight" { b[$2] = $10; a[$2] = $3; held[$2] = $12; order[++n] = $2 }
		END { for (i = 1; i <= n; i++) { p = order[i]; if (p == "radlb") continue
			if (held[p] < 0.9 * want || held["radlb"] < 0.9 * want)
				r = sprintf("not comparable (held at most %d vs %d)", held[p], held["radlb"])
			else
				r = (b[p] > 0 ? sprintf("%.2f", b["radlb"] / b[p]) : "n/a")
			printf "%-17s bytes/req ratio %s, answered %s%% vs %s%%\n", p, r, a["radlb"], a[p] } }' "$RESULTS_TSV"
}

# ---- sticky mode: OTP logins through challenge sessions ---------------------
# Challenge sessions kept by radlb's memory store, by Redis (one instance,
# and two instances: first legs to A, second legs to B, which must find the
# State in Redis), and FreeRADIUS keyed-balance on User-Name (both legs of a
# login carry the same User-Name, so they go to the same home server).

jline() { # "json text" key -> value
	sed -n "s/.*\"$2\":\\([-0-9.]*\\).*/\\1/p" <<<"$1" | head -1
}

cpu_sum() { # pid... -> utime+stime ticks summed (empty if one is gone)
	local p t s=0
	for p in "$@"; do
		t=$(cpu_ticks "$p")
		[ -n "$t" ] || return 0
		s=$((s + t))
	done
	echo "$s"
}

drops_sum() { # pid...
	local p s=0
	for p in "$@"; do s=$((s + $(udp_drops "$p"))); done
	echo "$s"
}

# Prints and records radlb's own counters (all of the setup's traffic,
# warm-up included) for one instance.
radlb_counters() { # setup instance-label socket
	local f=$PDIR/stats-$2.txt v k line="" tsv=""
	if ! radlb_stats "$3" "$f"; then
		echo "  radlb $2: radlbctl show stats failed: $(head -1 "$f")"
		return
	fi
	for k in sticky.sessions sticky.inserted sticky.hits sticky.orphans sticky.evicted sticky.rejects \
		redis.up redis.sets redis.gets redis.hits redis.misses redis.timeouts redis.errors redis.skipped \
		redis.outages in_flight; do
		v=$(stat_get "$f" "$k")
		line+=" ${k#sticky.}=${v:--}"
		tsv+=$'\t'"${v:--}"
	done
	echo "  radlb$([ "$2" != - ] && echo " $2"):$line"
	printf 'radlbstats\t%s\t%s%s\n' "$1" "$2" "$tsv" >>"$RESULTS_TSV"
}

run_sticky() {
	local name json c0 c1 r0 r1 d0 d1 pids secs ans logins rate cpu rcpu ok fail okpct to bad
	local l1p50 l1p99 l2p50 l2p99 lp50 lp99 keys rmem lg2 line need_redis=0
	PROBE_TIMEOUT=15
	PROBE_RETRANSMIT=0.2
	RC_TTL=300
	RC_MAX=1000000
	RC_DEDUP=30.0
	echo "radlb benchmark: sticky, OTP logins (Access-Request -> Access-Challenge -> State + code -> Access-Accept)"
	echo "  $INFLIGHT logins in flight (closed loop), $ROUNDS rounds x ${DURATION}s after ${WARMUP}s warm-up; $(nproc) CPUs"
	echo "  setups: $PROXIES${STATE_LEN:+; State padded to $STATE_LEN octets}"
	for name in $PROXIES; do
		case $name in radlb-redis | radlb-redis-ab) need_redis=1 ;; esac
	done
	if [ $need_redis = 1 ]; then
		if start_redis; then
			echo "  redis-server $("$REDIS_SERVER" --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on 127.0.0.1:$REDIS_PORT (pid $REDIS_PID), no persistence"
		else
			echo "  Redis setups will be skipped: $REDIS_SKIP"
		fi
	fi
	for name in $PROXIES; do
		# each Redis setup starts from an empty Redis
		[ -n "$REDIS_PORT" ] && rcli flushall >/dev/null
		launch "$name" || continue
		lg2=()
		[ -n "$PROXY2_PID" ] && lg2=(--server2 "${SERVER2%,*}")
		pids=("$PROXY_PID")
		[ -n "$PROXY2_PID" ] && pids+=("$PROXY2_PID")
		"$LOADGEN" --server "$SERVER" "${lg2[@]}" --secret "$CLIENT_SECRET" --password "$PASSWORD" \
			"${LG_EXTRA[@]}" --flow otp --inflight "$INFLIGHT" --duration "$WARMUP" \
			--rounds 1 --timeout 5 -q
		json=$PDIR/loadgen-otp.json
		d0=$(drops_sum "${pids[@]}")
		c0=$(cpu_sum "${pids[@]}")
		r0=""
		[ "$USES_REDIS" = 1 ] && r0=$(cpu_ticks "$REDIS_PID")
		"$LOADGEN" --server "$SERVER" "${lg2[@]}" --secret "$CLIENT_SECRET" --password "$PASSWORD" \
			"${LG_EXTRA[@]}" --flow otp --inflight "$INFLIGHT" --duration "$DURATION" \
			--rounds "$ROUNDS" --timeout 5 --cpu-pid "$(IFS=,; echo "${pids[*]}")" --json >"$json"
		c1=$(cpu_sum "${pids[@]}")
		r1=""
		[ "$USES_REDIS" = 1 ] && r1=$(cpu_ticks "$REDIS_PID")
		d1=$(drops_sum "${pids[@]}")
		if [ -z "$c0" ] || [ -z "$c1" ] || ! grep -q '"total":' "$json"; then
			echo "  failed: a proxy process died during the run"
			tail -5 "$PDIR"/proxy*.log | sed 's/^/    /'
			printf 'skip\t%s\t%s\n' "$name" "proxy died during the run" >>"$RESULTS_TSV"
			stop_proxies
			stop_standins
			release_ports
			continue
		fi
		secs=$(jget "$json" seconds)
		ok=$(jget "$json" logins_ok)
		fail=$(jget "$json" logins_failed)
		to=$(jget "$json" timeouts)
		bad=$(jget "$json" bad)
		# logins answered (Accept or Reject at the end of both legs); timed-out ones excluded
		logins=$((ok + fail - to))
		[ "$logins" -lt 0 ] && logins=0
		rate=$(calc "%.0f" "$logins / $secs")
		cpu=$(calc "%.2f" "$logins > 0 ? ($c1 - $c0) * 1000000 / $HZ / $logins : -1")
		rcpu=-
		[ -n "$r0" ] && [ -n "$r1" ] && rcpu=$(calc "%.2f" "$logins > 0 ? ($r1 - $r0) * 1000000 / $HZ / $logins : -1")
		okpct=$(calc "%.1f" "($ok + $fail) > 0 ? 100 * $ok / ($ok + $fail) : 0")
		l1p50=$(calc "%.2f" "$(jget "$json" leg1_p50_us) / 1000")
		l1p99=$(calc "%.2f" "$(jget "$json" leg1_p99_us) / 1000")
		l2p50=$(calc "%.2f" "$(jget "$json" leg2_p50_us) / 1000")
		l2p99=$(calc "%.2f" "$(jget "$json" leg2_p99_us) / 1000")
		lp50=$(calc "%.2f" "$(jget "$json" login_p50_us) / 1000")
		lp99=$(calc "%.2f" "$(jget "$json" login_p99_us) / 1000")
		printf '  %8s logins/s  %7s us CPU/login%s  leg 1 p50/p99 %s/%s ms  leg 2 p50/p99 %s/%s ms  ok %s%%  timeouts %s  bad replies %s  socket drops %s\n' \
			"$rate" "$cpu" "$([ "$rcpu" != - ] && echo " (+ redis-server $rcpu)")" \
			"$l1p50" "$l1p99" "$l2p50" "$l2p99" "$okpct" "$to" "$bad" "$((d1 - d0))"
		grep '"round":' "$json" | while read -r line; do
			awk -v r="$(jline "$line" round)" -v s="$(jline "$line" seconds)" -v a="$(jline "$line" answered)" \
				-v o="$(jline "$line" logins_ok)" -v f="$(jline "$line" logins_failed)" -v t="$(jline "$line" timeouts)" \
				-v c="$(jline "$line" cpu_us_per_req)" 'BEGIN { l = o + f - t
					printf "        round %s: %.0f logins/s, %s us CPU/login\n", r, (s > 0 ? l / s : 0),
						(l > 0 && c != "" ? sprintf("%.2f", c * a / l) : "n/a") }'
		done
		keys=-
		rmem=-
		if [ "$USES_REDIS" = 1 ]; then
			keys=$(rcli dbsize)
			rmem=$(redis_mem)
			echo "  redis-server: $keys keys, used_memory $(calc "%.1f" "${rmem:-0} / 1048576") MiB (all logins of this setup, warm-up included)"
		fi
		if [ -n "$CTL_SOCK" ]; then
			radlb_counters "$name" "$([ -n "$CTL_SOCK2" ] && echo A || echo -)" "$CTL_SOCK"
			[ -n "$CTL_SOCK2" ] && radlb_counters "$name" B "$CTL_SOCK2"
		fi
		printf 'sticky\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rate" "$cpu" \
			"$rcpu" "$l1p50" "$l1p99" "$l2p50" "$l2p99" "$lp50" "$lp99" "$okpct" "$to" "$bad" \
			"$((d1 - d0))" "$keys" "${rmem:--}" >>"$RESULTS_TSV"
		stop_proxies
		stop_standins
		release_ports
	done
	[ -n "$REDIS_PID" ] && stop_pid "$REDIS_PID"
	report_sticky
}

report_sticky() {
	echo
	echo "== results: OTP logins, $INFLIGHT in flight, ${ROUNDS}x${DURATION}s (one login = both legs; CPU = proxy utime+stime / logins)"
	printf '%-17s %9s %11s %11s %9s %9s %9s %9s %9s %9s %6s %8s %5s %6s\n' setup "logins/s" \
		"CPU us/lgn" "redis us/lgn" "leg1 p50" "leg1 p99" "leg2 p50" "leg2 p99" "lgn p50" "lgn p99" \
		"ok %" timeouts bad drops
	awk -F'\t' '$1 == "sticky" { printf "%-17s %9s %11s %11s %9s %9s %9s %9s %9s %9s %6s %8s %5s %6s\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15 }' "$RESULTS_TSV"
	awk -F'\t' '$1 == "skip" { printf "%-17s skipped: %s\n", $2, $3 }' "$RESULTS_TSV"
	echo "  latencies in ms, seen by the NAS: leg 1 = Access-Request -> Access-Challenge, leg 2 = answer with"
	echo "  State -> Access-Accept, lgn = the whole login. ok % = logins accepted."
	grep -q $'^sticky\tradlb-redis-ab\t' "$RESULTS_TSV" &&
		echo "  radlb-redis-ab: CPU us/lgn is the sum of instances A and B (leg 1 on A, leg 2 on B)."
	grep -q $'^sticky\tradlb-redis' "$RESULTS_TSV" &&
		echo "  redis us/lgn: redis-server's own CPU per login, not included in CPU us/lgn."
	echo
	echo "== stand-in counters per setup (bad State = second legs sent to a stand-in that did not issue the State)"
	printf '%-17s %-26s %7s %9s %9s %6s %6s %6s\n' setup "requests mfa1/mfa2/mfa3" "bad sig" "wrong pw" \
		"bad State" dups "no MA" malf
	awk -F'\t' '$1 == "standins" { printf "%-17s %-26s %7s %9s %9s %6s %6s %6s\n", $2, $3, $4, $5, $6, $7, $8, $9 }' "$RESULTS_TSV"
	if grep -q $'^radlbstats\t' "$RESULTS_TSV"; then
		echo
		echo "== radlb counters (radlbctl show stats, whole setup incl. warm-up)"
		printf '%-17s %-4s %9s %9s %7s %7s %8s %8s %8s %8s %8s %8s %6s\n' setup inst sessions hits orphans evicted \
			"r.sets" "r.gets" "r.hits" "r.misses" "r.tmout" "r.errors" "r.skip"
		awk -F'\t' '$1 == "radlbstats" { printf "%-17s %-4s %9s %9s %7s %7s %8s %8s %8s %8s %8s %8s %6s\n", $2, $3, $4, $6, $7, $8, $11, $12, $13, $14, $15, $16, $17 }' "$RESULTS_TSV"
		echo "  a State is forgotten once its answer is answered (here and in Redis); an instance that only saw the challenge (A) keeps its copy until sticky.ttl."
		awk -F'\t' '$1 == "radlbstats" && (($7 != "-" && $7 > 0) || ($15 != "-" && $15 > 0) || ($16 != "-" && $16 > 0) || ($17 != "-" && $17 > 0)) {
			printf "  WARNING: %s %s: orphans %s, redis timeouts %s, errors %s, skipped %s\n", $2, $3, $7, $15, $16, $17 }
			$1 == "radlbstats" && $8 != "-" && $8 > 0 {
			printf "  note: %s %s evicted %s sessions (sticky.max_entries reached; mostly finished logins)\n", $2, $3, $8 }' "$RESULTS_TSV"
	fi
	echo
	echo "== ratios (CPU: < 1 means the first uses less CPU per login; logins/s: > 1 means the first is faster)"
	awk -F'\t' '
		$1 == "sticky" { cpu[$2] = $4; rate[$2] = $3; r[$2] = $5 }
		function ratio(a, b, what) { return (b > 0 && a > 0) ? sprintf("%.2f", a / b) : "n/a" }
		function line(a, b, note,   ca, cb) {
			if (!(a in cpu) || !(b in cpu)) { printf "%-36s not measured (%s or %s missing)\n", a " / " b, a, b; return }
			printf "%-36s CPU %6s   logins/s %6s", a " / " b, ratio(cpu[a], cpu[b]), ratio(rate[a], rate[b])
			if (r[a] != "-" && r[a] != "" && cpu[a] > 0) printf "   CPU incl. redis-server %6s", ratio(cpu[a] + r[a], cpu[b])
			printf "%s\n", note
		}
		END {
			line("radlb-memory", "freeradius-keyed", "")
			line("radlb-redis", "radlb-memory", "")
			line("radlb-redis-ab", "radlb-memory", "   (A+B)")
		}' "$RESULTS_TSV"
}

# ---- sessions mode: memory for open challenge sessions ----------------------
# Fills radlb's session table with SESSIONS challenges that are never
# answered (first OTP legs, one new user each), then reads its RSS. Replies
# cached for retransmissions (proxy.dedup_window) are not sessions: the
# window is DEDUP_WINDOW (1 s) and the "after" figures are read once it has
# passed.
run_sessions() {
	local name json need_redis=0 rss0 rss1 hwm c0 c1 sa sess ins evic expd chal notc to rtx bad secs
	local rate cpu diff bps buf0 buf1 bbps cached mem0 mem1 keys rbps settle reset
	PROBE_TIMEOUT=15
	PROBE_RETRANSMIT=0.2
	RC_TTL=$STICKY_TTL
	RC_MAX=$((SESSIONS > 1000000 ? SESSIONS : 1000000))
	RC_DEDUP=$DEDUP_WINDOW
	echo "radlb benchmark: sessions, $SESSIONS open challenges (first OTP legs only, distinct users, never answered)"
	echo "  sticky.ttl ${RC_TTL}s, sticky.max_entries $RC_MAX, proxy.dedup_window ${RC_DEDUP}s; at most $INFLIGHT challenges outstanding during the fill"
	echo "  State: $([ -n "$STATE_LEN" ] && echo "padded to $STATE_LEN octets" || echo "'mfaN:COUNTER', 6-14 octets (STATE_LEN pads it)")"
	for name in $PROXIES; do
		case $name in radlb-redis | radlb-redis-ab) need_redis=1 ;; esac
	done
	if [ $need_redis = 1 ]; then
		if start_redis; then
			echo "  redis-server $("$REDIS_SERVER" --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on 127.0.0.1:$REDIS_PORT (pid $REDIS_PID), no persistence"
		else
			echo "  Redis setups will be skipped: $REDIS_SKIP"
		fi
	fi
	settle=$(calc "%.1f" "$DEDUP_WINDOW + 2")
	for name in $PROXIES; do
		[ -n "$REDIS_PORT" ] && rcli flushall >/dev/null
		launch "$name" || continue
		if [ -z "$CTL_SOCK" ] || [ -n "$CTL_SOCK2" ]; then
			echo "  skipped: the sessions mode measures one radlb instance (radlb-memory, radlb-redis)"
			printf 'skip\t%s\t%s\n' "$name" "not a single radlb instance" >>"$RESULTS_TSV"
			stop_proxies
			stop_standins norecord
			release_ports
			continue
		fi
		sleep 0.5
		rss0=$(status_kb "$PROXY_PID" VmRSS)
		radlb_stats "$CTL_SOCK" "$PDIR/stats-before.txt"
		buf0=$(stat_get "$PDIR/stats-before.txt" buffer_bytes)
		mem0=-
		[ "$USES_REDIS" = 1 ] && mem0=$(redis_mem)
		if echo 5 >"/proc/$PROXY_PID/clear_refs" 2>/dev/null; then reset=1; else reset=0; fi
		c0=$(cpu_ticks "$PROXY_PID")
		json=$PDIR/loadgen-challenge.json
		"$LOADGEN" --server "$SERVER" --secret "$CLIENT_SECRET" --password "$PASSWORD" \
			"${LG_EXTRA[@]}" --flow challenge --total "$SESSIONS" --inflight "$INFLIGHT" \
			--retransmit 2 --timeout 10 --json >"$json"
		c1=$(cpu_ticks "$PROXY_PID")
		# let the replies cached for retransmissions expire
		sleep "$settle"
		rss1=$(status_kb "$PROXY_PID" VmRSS)
		hwm=$(status_kb "$PROXY_PID" VmHWM)
		if [ -z "$c1" ] || [ -z "$rss1" ] || ! grep -q '"total":' "$json"; then
			echo "  failed: radlb died during the fill"
			tail -5 "$PDIR/proxy.log" | sed 's/^/    /'
			printf 'skip\t%s\t%s\n' "$name" "radlb died during the fill" >>"$RESULTS_TSV"
			stop_proxies
			stop_standins
			release_ports
			continue
		fi
		sa=$PDIR/stats-after.txt
		radlb_stats "$CTL_SOCK" "$sa"
		sess=$(stat_get "$sa" sticky.sessions)
		ins=$(stat_get "$sa" sticky.inserted)
		evic=$(stat_get "$sa" sticky.evicted)
		expd=$(stat_get "$sa" sticky.expired)
		cached=$(stat_get "$sa" cached_replies)
		buf1=$(stat_get "$sa" buffer_bytes)
		chal=$(jget "$json" challenged)
		notc=$(jget "$json" not_challenged)
		to=$(jget "$json" timeouts)
		rtx=$(jget "$json" retransmits)
		bad=$(jget "$json" bad)
		secs=$(jget "$json" seconds)
		rate=$(calc "%.0f" "$chal / $secs")
		cpu=$(calc "%.2f" "$chal > 0 ? ($c1 - $c0) * 1000000 / $HZ / $chal : -1")
		diff=$((rss1 - rss0))
		bps=$(calc "%.1f" "${sess:-0} > 0 ? $diff * 1024 / $sess : -1")
		bbps=-
		[ -n "$buf0" ] && [ -n "$buf1" ] && bbps=$(calc "%.1f" "${sess:-0} > 0 ? ($buf1 - $buf0) / $sess : -1")
		keys=-
		mem1=-
		rbps=-
		if [ "$USES_REDIS" = 1 ]; then
			keys=$(rcli dbsize)
			mem1=$(redis_mem)
			rbps=$(calc "%.1f" "${keys:-0} > 0 ? ($mem1 - $mem0) / $keys : -1")
		fi
		printf '  fill: %s challenges received of %s sent (%s not challenged or timed out, %s retransmissions, %s bad replies) in %ss = %s/s, radlb CPU %s us/challenge\n' \
			"$chal" "$SESSIONS" "$notc" "$rtx" "$bad" "$secs" "$rate" "$cpu"
		printf '  radlb: sticky.sessions %s (inserted %s, evicted %s, expired %s), cached replies %s, buffer_bytes %s -> %s\n' \
			"${sess:-?}" "${ins:-?}" "${evic:-?}" "${expd:-?}" "${cached:-?}" "${buf0:-?}" "${buf1:-?}"
		if [ "${sess:-0}" = "$SESSIONS" ]; then
			echo "  check: sticky.sessions = $SESSIONS, as expected"
		else
			echo "  CHECK FAILED: sticky.sessions is ${sess:-?}, expected $SESSIONS"
		fi
		printf '  memory: VmRSS before %s kB, after %s kB (+%s kB), peak %s kB%s => %s bytes per session (pool blobs alone: %s)\n' \
			"$rss0" "$rss1" "$diff" "$hwm" "$([ $reset = 1 ] || echo ' (peak not reset)')" "$bps" "$bbps"
		[ "$USES_REDIS" = 1 ] && printf '  redis-server: %s keys, used_memory %s -> %s bytes => %s bytes per key\n' \
			"$keys" "$mem0" "$mem1" "$rbps"
		printf 'sessions\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
			"$name" "$SESSIONS" "$chal" "${sess:-?}" "${evic:-?}" "$secs" "$rate" "$cpu" "$rss0" "$rss1" \
			"$hwm" "$diff" "$bps" "$bbps" "${cached:-?}" "$keys" "$mem0" "$mem1" "$rbps" "$rtx" "$to" >>"$RESULTS_TSV"
		stop_proxies
		stop_standins
		release_ports
	done
	[ -n "$REDIS_PID" ] && stop_pid "$REDIS_PID"
	echo
	echo "== results: $SESSIONS open challenge sessions (RSS read ${settle}s after the fill)"
	printf '%-13s %9s %9s %7s %9s %9s %9s %9s %9s %9s %7s %9s %9s\n' setup sessions evicted "fill s" \
		"RSS0 MiB" "RSS MiB" "peak MiB" "+MiB" "B/session" "B/s pool" cached "redis MiB" "B/key"
	awk -F'\t' '$1 == "sessions" { printf "%-13s %9s %9s %7.1f %9.1f %9.1f %9.1f %9.1f %9s %9s %7s %9s %9s\n",
		$2, $5, $6, $7, $10 / 1024, $11 / 1024, $12 / 1024, $13 / 1024, $14, $15, $16,
		($19 == "-" ? "-" : sprintf("%.1f", $19 / 1048576)), $20 }' "$RESULTS_TSV"
	awk -F'\t' '$1 == "skip" { printf "%-13s skipped: %s\n", $2, $3 }' "$RESULTS_TSV"
	echo "  B/session = (VmRSS after - VmRSS before) / sessions: everything radlb grew by, per session."
	echo "  B/s pool = growth of radlb's buffer_bytes (blobs handed out by its size-class pool) per session;"
	echo "  the difference is malloc overhead, the hash buckets and the rest of the process."
	echo "  redis MiB = Redis used_memory after the fill; B/key = its growth per key (radlb-redis only)."
	awk -F'\t' -v n="$SESSIONS" '$1 == "sessions" && $2 == "radlb-memory" {
		proj = $10 / 1024 + (n > 0 ? ($13 / 1024) * 1000000 / n : 0)
		mb = (n == 1000000) ? $11 * 1024 / 1e6 : proj * 1048576 / 1e6
		printf "\n== goal: under 200 MB resident for 1,000,000 live sessions (store = \"memory\")\n"
		if (n == 1000000)
			printf "  radlb-memory: %.1f MiB = %.1f MB resident with %s sessions: %s\n", $11 / 1024, mb, $5, (mb < 200 ? "met" : "NOT met")
		else
			printf "  radlb-memory: %.1f MiB = %.1f MB extrapolated to 1,000,000 (measured %s): %s\n", proj, mb, n, (mb < 200 ? "met" : "NOT met")
	}' "$RESULTS_TSV"
}

# ---- tls mode: CPU per request over TLS next to UDP --------------------------
# Two proxies in a chain: the load generator (UDP) -> A -> B -> the three
# stand-ins (UDP). Between A and B: UDP, TCP (RFC 6613) or TLS (RadSec, RFC
# 6614); A's and B's CPU are read separately, so A is the cost of UDP in +
# X out and B the cost of X in + UDP out. Every chain of the run is started
# at once on one set of stand-ins, and the rounds of a flow are interleaved
# (round 1 of every chain, then round 2, each round in a rotated order): a
# change of the machine's load hits every chain alike.

# A throwaway CA and one certificate (EC P-256) for every TLS peer of the
# run: SAN DNS:radlb.test and IP:127.0.0.1 (radsecproxy checks the address),
# extendedKeyUsage serverAuth and clientAuth.
make_pki() { # dir
	local d=$1
	mkdir -p "$d" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.crt" -days 2 -sha256 -subj "/O=radlb bench/CN=radlb bench CA" \
		-addext 'basicConstraints = critical, CA:TRUE' -addext 'keyUsage = critical, keyCertSign, cRLSign' \
		-addext 'subjectKeyIdentifier = hash' >"$d/openssl.log" 2>&1 || return 1
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/radlb.key" -out "$d/radlb.csr" -subj "/O=radlb bench/CN=radlb.test" >>"$d/openssl.log" 2>&1 || return 1
	printf '%s\n' 'basicConstraints = critical, CA:FALSE' \
		'keyUsage = critical, digitalSignature, keyAgreement' \
		'extendedKeyUsage = serverAuth, clientAuth' \
		'subjectAltName = DNS:radlb.test, IP:127.0.0.1' \
		'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid' >"$d/radlb.ext"
	openssl x509 -req -in "$d/radlb.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-set_serial "0x$(openssl rand -hex 12)" -days 2 -sha256 -extfile "$d/radlb.ext" \
		-out "$d/radlb.crt" >>"$d/openssl.log" 2>&1 || return 1
	chmod 600 "$d"/*.key
	openssl verify -CAfile "$d/ca.crt" "$d/radlb.crt" >>"$d/openssl.log" 2>&1
}

cpu_split() { # pid -> "utime stime" in ticks (all threads)
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12, $13 }'
}

# Claims a free port on 127.0.0.1 (UDP; with "tcp", also free for TCP).
get_port() { # var [tcp]
	local p tries
	for ((tries = 0; tries < 200; tries++)); do
		p=$("$LOADGEN" --free-ports 1) || continue
		claim_port "$p" || continue
		if [ "${2:-}" = tcp ] && tcp_port_in_use "$p"; then continue; fi
		printf -v "$1" %s "$p"
		return 0
	done
	return 1
}

# Sums the three stand-ins' counters (SIGUSR1): "req1 req2 req3 bad_signature
# wrong_password unknown_state duplicates missing_msg_auth malformed"
standin_snap() {
	local i n k log before line reqs=() bad=0 wpw=0 st=0 dup=0 noma=0 mal=0
	for i in 0 1 2; do
		n=$((i + 1))
		log=$SI_DIR/standin-mfa$n.log
		before=$(grep -c "mfa$n counters:" "$log")
		kill -USR1 "${STANDIN_PIDS[$i]}" 2>/dev/null
		for ((k = 0; k < 40; k++)); do
			[ "$(grep -c "mfa$n counters:" "$log")" -gt "$before" ] && break
			sleep 0.05
		done
		line=$(grep "mfa$n counters:" "$log" | tail -1)
		reqs+=("$(kv "$line" requests)")
		bad=$((bad + $(kv "$line" bad_signature)))
		wpw=$((wpw + $(kv "$line" wrong_password)))
		st=$((st + $(kv "$line" unknown_state)))
		dup=$((dup + $(kv "$line" duplicates)))
		noma=$((noma + $(kv "$line" missing_msg_auth)))
		mal=$((mal + $(kv "$line" malformed)))
	done
	echo "${reqs[*]} $bad $wpw $st $dup $noma $mal"
}

# Is something listening on this TCP port, or bound to this UDP port?
port_ready() { # proto port
	if [ "$1" = udp ]; then
		ss -Hlnu 2>/dev/null | awk -v p="$2" '{ n = split($4, a, ":"); if (a[n] == p) f = 1 } END { exit !f }'
	else
		ss -Hlnt 2>/dev/null | awk -v p="$2" '{ n = split($4, a, ":"); if (a[n] == p) f = 1 } END { exit !f }'
	fi
}

declare -A CH_A CH_B CH_SRV CH_NOTE CH_CTL
CHAINS_UP=()

chain_stop() { # name
	[ -n "${CH_A[$1]:-}" ] && stop_pid "${CH_A[$1]}"
	[ -n "${CH_B[$1]:-}" ] && stop_pid "${CH_B[$1]}"
	CH_A[$1]="" CH_B[$1]=""
}

# Sets up and starts chain NAME (IMPL-MID: radlb-udp, radsecproxy-tls, ...),
# B first, then probes it end to end through A. Returns 1 (printed) on failure.
chain_launch() { # name
	local name=$1 impl=${1%-*} mid=${1##*-} bin a_cmd b_cmd k
	local MID_PROTO MID_TYPE MID_UDP MID_TLS MID_SECRET MID_AUTH MID_ACCT RSP_LISTEN
	PDIR=$RUN/$name
	mkdir -p "$PDIR"
	echo
	echo "== $name"
	case $impl/$mid in
	radlb/udp | radlb/tcp | radlb/tls) bin=$RADLB ;;
	radsecproxy/udp | radsecproxy/tcp | radsecproxy/tls) bin=$RADSECPROXY ;;
	*)
		echo "  skipped: unknown setup (radlb-udp radlb-tcp radlb-tls radsecproxy-udp radsecproxy-tcp radsecproxy-tls)"
		printf 'skip\t%s\t%s\n' "$name" "unknown setup" >>"$RESULTS_TSV"
		return 1
		;;
	esac
	if [ -z "$bin" ] || [ ! -x "$bin" ]; then
		echo "  skipped: $impl not found"
		printf 'skip\t%s\t%s\n' "$name" "$impl not installed" >>"$RESULTS_TSV"
		return 1
	fi
	if [ "$mid" = tls ] && [ ! -s "$RUN/pki/radlb.crt" ]; then
		echo "  skipped: no certificate (openssl failed: $RUN/pki/openssl.log)"
		printf 'skip\t%s\t%s\n' "$name" "no certificate" >>"$RESULTS_TSV"
		return 1
	fi
	if ! get_port PA || ! get_port PC || ! get_port MID_AUTH tcp || ! get_port MID_ACCT; then
		echo "  skipped: no free ports found"
		printf 'skip\t%s\t%s\n' "$name" "no free ports" >>"$RESULTS_TSV"
		return 1
	fi
	MID_PROTO=$mid
	MID_SECRET=$CHAIN_SECRET
	MID_TYPE=any MID_UDP="#" MID_TLS="#"
	case $mid in
	udp) MID_TYPE=auth MID_UDP="" RSP_LISTEN=ListenUDP ;;
	tcp) RSP_LISTEN=ListenTCP ;;
	tls) MID_TLS="" MID_SECRET=radsec RSP_LISTEN=ListenTLS ;;
	esac
	PKI_DIR=$RUN/pki
	MAX_REQUESTS=65536
	if [ "$impl" = radlb ]; then
		# TCP and TLS: one listener and one server port for auth and acct
		[ "$mid" != udp ] && MID_ACCT=$MID_AUTH
		fill_template "$BENCH_DIR/conf/radlb-chain-a.conf.in" "$PDIR/radlb-a.conf"
		fill_template "$BENCH_DIR/conf/radlb-chain-b.conf.in" "$PDIR/radlb-b.conf"
		a_cmd=("$RADLB" -f "$PDIR/radlb-a.conf")
		b_cmd=("$RADLB" -f "$PDIR/radlb-b.conf")
		CH_SRV[$name]="127.0.0.1:$PA,$PC"
		CH_CTL[$name]="$PDIR/radlb-a.sock $PDIR/radlb-b.sock"
		CH_NOTE[$name]="radlb A (UDP in, $mid out) -> radlb B ($mid in, UDP out, least-outstanding over mfa1-3)"
	else
		MID_ACCT=$MID_AUTH
		fill_template "$BENCH_DIR/conf/radsecproxy-chain-a.conf.in" "$PDIR/radsecproxy-a.conf"
		fill_template "$BENCH_DIR/conf/radsecproxy-chain-b.conf.in" "$PDIR/radsecproxy-b.conf"
		a_cmd=("$RADSECPROXY" -f -c "$PDIR/radsecproxy-a.conf")
		b_cmd=("$RADSECPROXY" -f -c "$PDIR/radsecproxy-b.conf")
		CH_SRV[$name]="127.0.0.1:$PA"
		CH_CTL[$name]=""
		CH_NOTE[$name]="radsecproxy A (UDP in, $mid out) -> radsecproxy B ($mid in, UDP out; fail-over only: all to mfa1)"
	fi
	echo "  ${CH_NOTE[$name]}"
	start_bg "$PDIR/proxy-b.log" "${b_cmd[@]}"
	CH_B[$name]=$LAST_PID
	for ((k = 0; k < 100; k++)); do
		port_ready "$mid" "$MID_AUTH" && break
		kill -0 "${CH_B[$name]}" 2>/dev/null || break
		sleep 0.05
	done
	start_bg "$PDIR/proxy-a.log" "${a_cmd[@]}"
	CH_A[$name]=$LAST_PID
	if ! "$LOADGEN" --server "${CH_SRV[$name]}" --secret "$CLIENT_SECRET" --password "$PASSWORD" \
		--probe --retransmit "$PROBE_RETRANSMIT" --timeout "$PROBE_TIMEOUT" -q ||
		! kill -0 "${CH_A[$name]}" 2>/dev/null || ! kill -0 "${CH_B[$name]}" 2>/dev/null; then
		echo "  skipped: $name did not answer within ${PROBE_TIMEOUT}s; last log lines:"
		tail -n 12 "$PDIR"/proxy-*.log "$PDIR"/radsecproxy-*.log 2>/dev/null | sed 's/^/    /' | tail -30
		printf 'skip\t%s\t%s\n' "$name" "did not answer" >>"$RESULTS_TSV"
		chain_stop "$name"
		return 1
	fi
	local neg=""
	if [ "$mid" = tls ]; then
		neg=$(openssl s_client -connect "127.0.0.1:$MID_AUTH" -servername radlb.test -cert "$PKI_DIR/radlb.crt" \
			-key "$PKI_DIR/radlb.key" -CAfile "$PKI_DIR/ca.crt" </dev/null 2>/dev/null |
			sed -n 's/^New, \(.*\), Cipher is \(.*\)$/\1 \2/p' | head -1)
		printf 'tlsinfo\t%s\t%s\n' "$name" "${neg:-?}" >>"$RESULTS_TSV"
	fi
	echo "  pids A ${CH_A[$name]} B ${CH_B[$name]}: A on 127.0.0.1:${CH_SRV[$name]#127.0.0.1:}, B on $MID_AUTH/$mid${neg:+ (B offers $neg to an openssl s_client)}"
	CHAINS_UP+=("$name")
}

# One measured round of FLOW through chain NAME; adds to the T_* sums.
tls_round() { # name flow round
	local name=$1 flow=$2 r=$3 a=${CH_A[$1]} b=${CH_B[$1]} json k
	local au0 as0 bu0 bs0 au1 as1 bu1 bs1 si0 si1 ans secs ok fail
	json=$RUN/$name/loadgen-$flow-$r.json
	si0=$(standin_snap)
	read -r au0 as0 <<<"$(cpu_split "$a")"
	read -r bu0 bs0 <<<"$(cpu_split "$b")"
	"$LOADGEN" --server "${CH_SRV[$name]}" --secret "$CLIENT_SECRET" --password "$PASSWORD" \
		--flow "$flow" --inflight "$INFLIGHT" --duration "$DURATION" --rounds 1 --timeout 5 --json >"$json"
	read -r au1 as1 <<<"$(cpu_split "$a")"
	read -r bu1 bs1 <<<"$(cpu_split "$b")"
	si1=$(standin_snap)
	if [ -z "$au1" ] || [ -z "$bu1" ] || ! grep -q '"total":' "$json"; then
		echo "  round $r $name: failed (a proxy died?)"
		tail -n 5 "$RUN/$name"/proxy-*.log | sed 's/^/    /'
		printf 'skip\t%s\t%s\n' "$name" "a proxy died during $flow round $r" >>"$RESULTS_TSV"
		return 1
	fi
	k="$name,$flow"
	ans=$(jget "$json" answered)
	secs=$(jget "$json" seconds)
	if [ "$flow" = acct ]; then
		ok=$(jget "$json" acct_sessions)
		fail=$(jget "$json" acct_failed)
	else
		ok=$(($(jget "$json" logins_ok) + $(jget "$json" acct_sessions)))
		fail=$(($(jget "$json" logins_failed) + $(jget "$json" acct_failed)))
	fi
	T_ANS[$k]=$((${T_ANS[$k]:-0} + ans))
	T_SECS[$k]=$(calc "%.3f" "${T_SECS[$k]:-0} + $secs")
	T_AU[$k]=$((${T_AU[$k]:-0} + au1 - au0))
	T_AS[$k]=$((${T_AS[$k]:-0} + as1 - as0))
	T_BU[$k]=$((${T_BU[$k]:-0} + bu1 - bu0))
	T_BS[$k]=$((${T_BS[$k]:-0} + bs1 - bs0))
	T_OK[$k]=$((${T_OK[$k]:-0} + ok))
	T_FAIL[$k]=$((${T_FAIL[$k]:-0} + fail))
	T_TO[$k]=$((${T_TO[$k]:-0} + $(jget "$json" timeouts)))
	T_BAD[$k]=$((${T_BAD[$k]:-0} + $(jget "$json" bad)))
	T_P50[$k]+=" $(jget "$json" p50_us)"
	T_P99[$k]+=" $(jget "$json" p99_us)"
	# stand-in counters of this round (all flows of the setup add up)
	local s0 s1 i
	read -r -a s0 <<<"$si0"
	read -r -a s1 <<<"$si1"
	for i in 0 1 2 3 4 5 6 7 8; do
		T_SI[$name,$i]=$((${T_SI[$name,$i]:-0} + ${s1[$i]:-0} - ${s0[$i]:-0}))
	done
	printf '  round %s %-16s %8.0f req/s  A %6s us/req  B %6s us/req\n' "$r" "$name" \
		"$(calc "%.1f" "$ans / $secs")" \
		"$(calc "%.2f" "$ans > 0 ? ($au1 - $au0 + $as1 - $as0) * 1000000 / $HZ / $ans : -1")" \
		"$(calc "%.2f" "$ans > 0 ? ($bu1 - $bu0 + $bs1 - $bs0) * 1000000 / $HZ / $ans : -1")"
}

median() { # numbers... -> median
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# perf record of A and B (separately) during one extra, unmeasured round;
# prints the share of samples per DSO and the top symbols.
tls_perf() { # name flow
	local name=$1 flow=$2 role pid pa pb out
	PDIR=$RUN/$name
	start_bg "$PDIR/perf-a-$flow.log" perf record -F 999 -p "${CH_A[$name]}" -o "$PDIR/perf-a-$flow.data"
	pa=$LAST_PID
	start_bg "$PDIR/perf-b-$flow.log" perf record -F 999 -p "${CH_B[$name]}" -o "$PDIR/perf-b-$flow.data"
	pb=$LAST_PID
	sleep 0.5
	"$LOADGEN" --server "${CH_SRV[$name]}" --secret "$CLIENT_SECRET" --password "$PASSWORD" \
		--flow "$flow" --inflight "$INFLIGHT" --duration "$DURATION" --rounds 1 --timeout 5 -q
	stop_pid "$pa" INT
	stop_pid "$pb" INT
	for role in a b; do
		out=$PDIR/perf-$role-$flow
		perf report -i "$out.data" --no-children --sort dso --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' >"$out.dso.txt"
		perf report -i "$out.data" --no-children --sort dso,sym --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' >"$out.sym.txt"
		# Samples by kind. libcrypto's MD5 block function is a local symbol
		# (unnamed in a stripped library): the addresses between the
		# exported MD4 and MD5 functions are MD5 (the RADIUS authenticators,
		# User-Password, Message-Authenticator); the rest of libcrypto and
		# libssl is, on TLS, mostly the TLS record layer (AES-GCM).
		# radsecproxy does its RADIUS MD5 with nettle (nettle_md5_compress).
		awk -v lo="$MD5_LO" -v hi="$MD5_HI" -v n="$name" -v r="$role" -v f="$flow" -v us="$(tls_us "$name" "$flow" "$role")" '
			{ pct = $1; sub(/%/, "", pct); dso = $2; sym = $4; a = sym; sub(/^0x/, "", a)
				if (dso ~ /kernel/) k = "kernel"
				else if (dso ~ /^libcrypto/ && (sym ~ /^MD5_/ || (sym ~ /^0x/ && lo != "" && a >= lo && a < hi))) k = "md5"
				else if (dso ~ /^libnettle/ && sym ~ /md5/) k = "md5"
				else if (dso ~ /^(libcrypto|libnettle)/) k = "crypto"
				else if (dso ~ /^libssl/) k = "ssl"
				else if (dso ~ /^(radlb|radsecproxy)$/) k = "proxy"
				else if (dso ~ /^libc[.]so/) k = "libc"
				else k = "other"
				t[k] += pct }
			END { printf "perfkind\t%s\t%s\t%s", n, r, f
				split("kernel md5 crypto ssl proxy libc other", ks, " ")
				for (i = 1; i <= 7; i++) printf "\t%.1f", t[ks[i]]
				printf "\t%s\n", us }' "$out.sym.txt" >>"$RESULTS_TSV"
	done
}

tls_us() { # name flow role -> measured CPU us/req of A or B
	awk -F'\t' -v n="$1" -v f="$2" -v r="$3" '$1 == "tls" && $2 == n && $3 == f { print (r == "a" ? $5 : $6) }' "$RESULTS_TSV"
}

report_perf() {
	grep -q $'^perfkind\t' "$RESULTS_TSV" || return 0
	local flow=${FLOWS%% *}
	echo
	echo "== where the CPU goes: perf record -F 999, one extra ${DURATION}s round of $flow per setup (not in the figures above)"
	echo "   share of samples (and the same share of the measured CPU us/req)"
	printf '%-16s %-2s %15s %15s %15s %15s %15s %15s\n' setup "" kernel "MD5 (RADIUS)" "other crypto" libssl "proxy code" "libc+other"
	awk -F'\t' '$1 == "perfkind" {
		us = $12 + 0
		printf "%-16s %-2s", $2, toupper($3)
		for (i = 5; i <= 9; i++) printf " %6.1f%% %6.2fus", $i, $i * us / 100
		printf " %6.1f%% %6.2fus\n", $10 + $11, ($10 + $11) * us / 100 }' "$RESULTS_TSV"
	echo "  MD5 = RADIUS's own crypto (libcrypto's MD5 block function for radlb, nettle_md5_compress for radsecproxy);"
	echo "  other crypto = the rest of libcrypto and nettle: on TLS mostly AES-GCM, on UDP and TCP little. Full reports: perf-{a,b}-$flow.{dso,sym}.txt and .data in $RUN/<setup>/."
}

run_tls() {
	local name flow r i j k n ans secs rate au as bu bs a b p50 p99 okpct
	declare -gA T_ANS T_SECS T_AU T_AS T_BU T_BS T_OK T_FAIL T_TO T_BAD T_P50 T_P99 T_SI
	PROBE_TIMEOUT=15
	PROBE_RETRANSMIT=0.2
	echo "radlb benchmark: tls, CPU per request with TLS (RadSec) between two proxies, next to UDP (and TCP)"
	echo "  chain: load generator -UDP-> A -(udp|tcp|tls)-> B -UDP-> 3 stand-ins; CPU of A and B read separately"
	echo "  $INFLIGHT requests in flight (closed loop), flows: $FLOWS; per flow ${WARMUP}s warm-up per setup, then"
	echo "  $ROUNDS rounds x ${DURATION}s per setup, interleaved (rotated order); $(nproc) CPUs"
	echo "  secrets: NAS<->A $CLIENT_SECRET, A<->B $CHAIN_SECRET (udp, tcp) or radsec (tls), B<->stand-ins $SERVER_SECRET"
	if ! command -v openssl >/dev/null || ! make_pki "$RUN/pki"; then
		echo "  no certificates (openssl missing or failed): the tls setups will be skipped"
	else
		echo "  certificates: throwaway CA and one EC P-256 certificate (SAN DNS:radlb.test, IP:127.0.0.1) in $RUN/pki"
	fi
	# one set of stand-ins for every chain
	SI_DIR=$RUN/standins
	PDIR=$SI_DIR
	mkdir -p "$SI_DIR"
	STANDIN_EXTRA=()
	[ -n "$STATE_LEN" ] && STANDIN_EXTRA=(--state-len "$STATE_LEN")
	STANDIN_SECRET=$SERVER_SECRET
	SA=() SC=()
	for i in 0 1 2; do
		if ! get_port "SA[$i]" || ! get_port "SC[$i]"; then
			echo "run.sh: no free ports for the stand-ins" >&2
			return 1
		fi
	done
	start_standins || return 1
	standin_baseline
	echo "  stand-ins mfa1-3 on ${SA[*]} (auth) / ${SC[*]} (acct)"
	for name in $PROXIES; do
		chain_launch "$name" || true
	done
	if [ "${#CHAINS_UP[@]}" = 0 ]; then
		echo "run.sh: no setup started" >&2
		return 1
	fi
	for flow in $FLOWS; do
		echo
		echo "== flow $flow"
		for name in "${CHAINS_UP[@]}"; do
			"$LOADGEN" --server "${CH_SRV[$name]}" --secret "$CLIENT_SECRET" --password "$PASSWORD" \
				--flow "$flow" --inflight "$INFLIGHT" --duration "$WARMUP" --rounds 1 --timeout 5 -q
		done
		n=${#CHAINS_UP[@]}
		for ((r = 1; r <= ROUNDS; r++)); do
			for ((j = 0; j < n; j++)); do
				name=${CHAINS_UP[$(((j + r - 1) % n))]}
				[ -n "${CH_A[$name]}" ] || continue
				tls_round "$name" "$flow" "$r" || chain_stop "$name"
			done
		done
		for name in "${CHAINS_UP[@]}"; do
			k="$name,$flow"
			ans=${T_ANS[$k]:-0}
			[ "$ans" -gt 0 ] || continue
			secs=${T_SECS[$k]}
			rate=$(calc "%.0f" "$ans / $secs")
			a=$(calc "%.2f" "(${T_AU[$k]} + ${T_AS[$k]}) * 1000000 / $HZ / $ans")
			b=$(calc "%.2f" "(${T_BU[$k]} + ${T_BS[$k]}) * 1000000 / $HZ / $ans")
			au=$(calc "%.2f" "${T_AU[$k]} * 1000000 / $HZ / $ans")
			as=$(calc "%.2f" "${T_AS[$k]} * 1000000 / $HZ / $ans")
			bu=$(calc "%.2f" "${T_BU[$k]} * 1000000 / $HZ / $ans")
			bs=$(calc "%.2f" "${T_BS[$k]} * 1000000 / $HZ / $ans")
			# shellcheck disable=SC2086
			p50=$(calc "%.2f" "$(median ${T_P50[$k]}) / 1000")
			# shellcheck disable=SC2086
			p99=$(calc "%.2f" "$(median ${T_P99[$k]}) / 1000")
			okpct=$(calc "%.1f" "(${T_OK[$k]} + ${T_FAIL[$k]}) > 0 ? 100 * ${T_OK[$k]} / (${T_OK[$k]} + ${T_FAIL[$k]}) : 0")
			printf 'tls\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$flow" "$rate" \
				"$a" "$b" "$au" "$as" "$bu" "$bs" "$p50" "$p99" "$okpct" "${T_TO[$k]}" "${T_BAD[$k]}" >>"$RESULTS_TSV"
		done
	done
	if [ "$PERF" = 1 ]; then
		echo
		if ! command -v perf >/dev/null; then
			echo "== perf: not installed (apt-get install linux-perf), no profile"
		else
			flow=${FLOWS%% *}
			# the MD5 block function's addresses in libcrypto (see tls_perf)
			local lib
			lib=$(ldd "$RADLB" 2>/dev/null | sed -n 's/.*libcrypto[^ ]* => \([^ ]*\).*/\1/p' | head -1)
			MD5_LO="" MD5_HI=""
			if [ -n "$lib" ]; then
				MD5_LO=$(nm -D --defined-only "$lib" 2>/dev/null | awk '$3 ~ /^MD4(@|$)/ { print $1; exit }')
				MD5_HI=$(nm -D --defined-only "$lib" 2>/dev/null | awk '$3 ~ /^MD5(@|$)/ { print $1; exit }')
			fi
			echo "== perf record -F 999 of A and B, one extra ${DURATION}s round of $flow per setup (not in the figures above)"
			for name in "${CHAINS_UP[@]}"; do
				[ -n "${CH_A[$name]}" ] && tls_perf "$name" "$flow"
			done
		fi
	fi
	# radlb's own counters: every request answered, nothing dropped
	for name in "${CHAINS_UP[@]}"; do
		[ -n "${CH_CTL[$name]}" ] && [ -n "${CH_A[$name]}" ] || continue
		for i in a b; do
			radlb_stats "$RUN/$name/radlb-$i.sock" "$RUN/$name/stats-$i.txt"
		done
	done
	for name in "${CHAINS_UP[@]}"; do
		printf 'standins\t%s\t%s/%s/%s\t%d\t%d\t%d\t%d\t%d\t%d\t0\n' "$name" "${T_SI[$name,0]:-0}" "${T_SI[$name,1]:-0}" \
			"${T_SI[$name,2]:-0}" "${T_SI[$name,3]:-0}" "${T_SI[$name,4]:-0}" "${T_SI[$name,5]:-0}" \
			"${T_SI[$name,6]:-0}" "${T_SI[$name,7]:-0}" "${T_SI[$name,8]:-0}" >>"$RESULTS_TSV"
		chain_stop "$name"
	done
	PDIR=$SI_DIR
	CUR_PROXY="all setups, warm-ups and probes included"
	echo
	stop_standins
	release_ports
	report_tls
	report_perf
}

report_tls() {
	echo
	echo "== results: $INFLIGHT in flight, ${ROUNDS}x${DURATION}s per flow and setup, interleaved (CPU = utime+stime / answered requests)"
	printf '%-16s %-5s %9s %10s %13s %10s %13s %10s %8s %8s %6s %8s %4s\n' setup flow "req/s" "A us/req" \
		"A usr+sys" "B us/req" "B usr+sys" "A+B us" "p50 ms" "p99 ms" "ok %" timeouts bad
	awk -F'\t' '$1 == "tls" { printf "%-16s %-5s %9s %10s %13s %10s %13s %10.2f %8s %8s %6s %8s %4s\n",
		$2, $3, $4, $5, $7 "+" $8, $6, $9 "+" $10, $5 + $6, $11, $12, $13, $14, $15 }' "$RESULTS_TSV"
	awk -F'\t' '$1 == "skip" { printf "%-16s skipped: %s\n", $2, $3 }' "$RESULTS_TSV"
	awk -F'\t' '$1 == "tlsinfo" { printf "  %s: %s (offered by B to openssl s_client; same OpenSSL defaults as A)\n", $2, $3 }' "$RESULTS_TSV"
	echo "  A = UDP in from the load generator, udp/tcp/tls out; B = udp/tcp/tls in, UDP out to the stand-ins."
	echo "  p50/p99: median over the rounds of each round's percentile, seen by the load generator (whole chain)."
	grep -q $'^tls\tradsecproxy' "$RESULTS_TSV" &&
		echo "  radsecproxy B only does fail-over (no load balancing): all its traffic went to mfa1."
	echo
	echo "== stand-in counters per setup (measured rounds only; bad sig = dropped for a bad signature)"
	printf '%-16s %-26s %7s %9s %9s %6s %6s %6s\n' setup "requests mfa1/mfa2/mfa3" "bad sig" "wrong pw" \
		"bad State" dups "no MA" malf
	awk -F'\t' '$1 == "standins" && $2 != "all setups, warm-ups and probes included" { printf "%-16s %-26s %7s %9s %9s %6s %6s %6s\n", $2, $3, $4, $5, $6, $7, $8, $9 }' "$RESULTS_TSV"
	echo
	echo "== TLS and TCP against UDP, same run (CPU per request: > 1 means the transport between A and B costs more)"
	printf '%-5s %-12s %-4s %9s %9s %9s %13s %13s\n' flow proxy mid "A ratio" "B ratio" "A+B ratio" "A extra us" "B extra us"
	awk -F'\t' '
		$1 == "tls" { n = $2; impl = n; sub(/-[a-z]+$/, "", impl); mid = n; sub(/^.*-/, "", mid)
			a[impl, mid, $3] = $5; b[impl, mid, $3] = $6
			if (!($3 in fs)) { fs[$3] = 1; flows[++nf] = $3 }
			if (!(impl in is)) { is[impl] = 1; impls[++ni] = impl } }
		function r(x, y) { return (y > 0) ? sprintf("%.2f", x / y) : "n/a" }
		END {
			for (f = 1; f <= nf; f++) for (i = 1; i <= ni; i++) for (m = 1; m <= 2; m++) {
				fl = flows[f]; im = impls[i]; md = (m == 1 ? "tcp" : "tls")
				if (!((im, md, fl) in a) || !((im, "udp", fl) in a)) continue
				printf "%-5s %-12s %-4s %9s %9s %9s %13.2f %13.2f\n", fl, im, md,
					r(a[im, md, fl], a[im, "udp", fl]), r(b[im, md, fl], b[im, "udp", fl]),
					r(a[im, md, fl] + b[im, md, fl], a[im, "udp", fl] + b[im, "udp", fl]),
					a[im, md, fl] - a[im, "udp", fl], b[im, md, fl] - b[im, "udp", fl]
			}
		}' "$RESULTS_TSV"
	echo "  extra us = CPU us per request over that transport minus over UDP, for the same proxy and position."
	if grep -q $'^tls\tradlb-' "$RESULTS_TSV" && grep -q $'^tls\tradsecproxy-' "$RESULTS_TSV"; then
		echo
		echo "== radlb / radsecproxy, same positions (CPU per request: < 1 means radlb uses less; req/s: > 1 means radlb is faster)"
		printf '%-5s %-4s %9s %9s %9s %12s\n' flow mid "A ratio" "B ratio" "A+B ratio" "req/s ratio"
		awk -F'\t' '
			$1 == "tls" { n = $2; impl = n; sub(/-[a-z]+$/, "", impl); mid = n; sub(/^.*-/, "", mid)
				a[impl, mid, $3] = $5; b[impl, mid, $3] = $6; q[impl, mid, $3] = $4
				if (!($3 in fs)) { fs[$3] = 1; flows[++nf] = $3 } }
			function r(x, y) { return (y > 0) ? sprintf("%.2f", x / y) : "n/a" }
			END {
				for (f = 1; f <= nf; f++) for (m = 1; m <= 3; m++) {
					fl = flows[f]; md = (m == 1 ? "udp" : m == 2 ? "tcp" : "tls")
					if (!(("radlb", md, fl) in a) || !(("radsecproxy", md, fl) in a)) continue
					printf "%-5s %-4s %9s %9s %9s %12s\n", fl, md, r(a["radlb", md, fl], a["radsecproxy", md, fl]),
						r(b["radlb", md, fl], b["radsecproxy", md, fl]),
						r(a["radlb", md, fl] + b["radlb", md, fl], a["radsecproxy", md, fl] + b["radsecproxy", md, fl]),
						r(q["radlb", md, fl], q["radsecproxy", md, fl])
				}
			}' "$RESULTS_TSV"
	fi
	local f name
	grep -q $'^tls\tradlb-' "$RESULTS_TSV" && echo &&
		echo "== radlb counters at the end (whole run: probes and warm-ups included; replies = requests + status_server)"
	for f in "$RUN"/*/stats-[ab].txt; do
		[ -f "$f" ] || continue
		[ "$f" = "$RUN/*/stats-[ab].txt" ] && continue
		name=$(basename "$(dirname "$f")")
		printf '  radlb %s %s: %s\n' "$name" "$(basename "$f" .txt | sed 's/stats-//' | tr a-b A-B)" \
			"$(awk '$1 ~ /^client\..*\.status_server$/ { ss += $2 }
			$1 ~ /^(requests|replies|timeouts|in_flight|connections\.(accepted|refused|closed_malformed|replies_lost|tls_failures|backend_connects|backend_lost))$/ { printf "%s=%s ", $1, $2 }
			END { printf "status_server=%d", ss }' "$f")"
	done
}

fr_ver=$([ -n "$FREERADIUS" ] && "$FREERADIUS" -v 2>/dev/null | sed -n "s/.*FreeRADIUS Version \([^ ,]*\).*/\1/p" | head -1)
rsp_ver=$([ -n "$RADSECPROXY" ] && "$RADSECPROXY" -v 2>&1 | sed -n "s/^radsecproxy revision \(.*\)/\1/p;s/^radsecproxy \([0-9][^ ]*\).*/\1/p" | head -1)
echo "tools: $BIN"
echo "peers: FreeRADIUS ${fr_ver:-?} (${FREERADIUS:-not found}), radsecproxy ${rsp_ver:-?} (${RADSECPROXY:-not found}), radlb: $RADLB_ORIG${RADLB_INFO:+ ($RADLB_INFO)}"
case $MODE in
throughput) run_throughput ;;
inflight) run_inflight ;;
sticky) run_sticky ;;
sessions) run_sessions ;;
tls) run_tls ;;
esac
if [ -n "${RESULTS:-}" ]; then
	cp "$RESULTS_TSV" "$RESULTS" && echo "results (TSV) written to $RESULTS"
fi
