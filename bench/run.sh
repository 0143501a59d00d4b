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
#
# See bench/README.md and `bench/run.sh --help` for the knobs.
set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

usage() {
	cat <<EOF
usage: bench/run.sh [throughput|inflight] [options]

options (each also settable by the environment variable in brackets):
  --proxies "LIST"   proxies to run, in order [PROXIES]
                     default: relay radsecproxy freeradius freeradius-keyed radlb
  --flows "LIST"     throughput flows: pap otp acct mix [FLOWS] (default: pap otp acct)
  --inflight N       throughput: requests kept outstanding (default 128)
                     inflight: requests sent (default 20000) [INFLIGHT]
  --duration S       seconds per round [DURATION] (default 3)
  --rounds K         rounds per flow [ROUNDS] (default 3)
  --warmup S         warm-up seconds before each measured flow [WARMUP] (default 1)
  --delay S          inflight: stand-in answer delay [DELAY] (default 3)
  --rate R           inflight: requests/s sent [RATE] (default: INFLIGHT over 2 s)
  --radlb PATH       radlb binary [RADLB] (default: src/radlb of the repository)
  --keep             keep the temporary directory (configs, logs) [KEEP=1]
environment only:
  FREERADIUS, RADSECPROXY   binaries (default: from PATH)
  BENCH_BIN          directory with prebuilt rlb-* tools (default: build into bench/.build)
  RETRANSMIT, TIMEOUT       inflight: loadgen --retransmit/--timeout (default 5 / 30)
  CLIENT_SECRET, SERVER_SECRET  secrets NAS<->proxy and proxy<->stand-ins
  RADLB_LOG_LEVEL    radlb log level (default info)
  RESULTS            also write the results (TSV) to this file
  PERF=1             throughput: perf record -g the proxy during each measured flow
                     (perf-FLOW.data in the kept temporary directory; costs the proxy CPU)
EOF
}

MODE=throughput
while [ $# -gt 0 ]; do
	case $1 in
	throughput | inflight) MODE=$1 ;;
	--proxies) PROXIES=$2; shift ;;
	--flows) FLOWS=$2; shift ;;
	--inflight) INFLIGHT=$2; shift ;;
	--duration) DURATION=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--warmup) WARMUP=$2; shift ;;
	--delay) DELAY=$2; shift ;;
	--rate) RATE=$2; shift ;;
	--radlb) RADLB=$2; shift ;;
	--keep) KEEP=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

PROXIES=${PROXIES:-relay radsecproxy freeradius freeradius-keyed radlb}
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
if [ "$MODE" = inflight ]; then
	INFLIGHT=${INFLIGHT:-20000}
else
	INFLIGHT=${INFLIGHT:-128}
fi
# secrets: keep to [A-Za-z0-9._-] (they go through sed and three config syntaxes)
CLIENT_SECRET=${CLIENT_SECRET:-nas-side-secret.1}
SERVER_SECRET=${SERVER_SECRET:-mfa-side-secret.2}
RADLB=${RADLB:-$REPO/src/radlb}
RADLB_LOG_LEVEL=${RADLB_LOG_LEVEL:-info}
FREERADIUS=${FREERADIUS:-$(command -v freeradius || command -v radiusd || true)}
RADSECPROXY=${RADSECPROXY:-$(command -v radsecproxy || true)}
PASSWORD=bench-password
# receive buffer for peers that can set one: net.core.rmem_max (FreeRADIUS caps at it)
RECV_BUFF=$(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo 4194304)
HZ=$(getconf CLK_TCK)

for v in DURATION ROUNDS WARMUP INFLIGHT DELAY RETRANSMIT TIMEOUT; do
	if ! [[ ${!v} =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
		echo "run.sh: $v must be a number (got '${!v}')" >&2
		exit 2
	fi
done
for v in CLIENT_SECRET SERVER_SECRET; do
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
	release_ports
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
	sed -e "s|@RUNDIR@|$PDIR|g" \
		-e "s|@AUTH_PORT@|$PA|g" -e "s|@ACCT_PORT@|$PC|g" \
		-e "s|@S1_AUTH@|${SA[0]}|g" -e "s|@S1_ACCT@|${SC[0]}|g" \
		-e "s|@S2_AUTH@|${SA[1]}|g" -e "s|@S2_ACCT@|${SC[1]}|g" \
		-e "s|@S3_AUTH@|${SA[2]}|g" -e "s|@S3_ACCT@|${SC[2]}|g" \
		-e "s|@CLIENT_SECRET@|$CLIENT_SECRET|g" -e "s|@SERVER_SECRET@|$SERVER_SECRET|g" \
		-e "s|@POOL_TYPE@|${POOL_TYPE:-load-balance}|g" -e "s|@KEYED@|${KEYED-#}|g" \
		-e "s|@RECV_BUFF@|$RECV_BUFF|g" \
		-e "s|@MAX_REQUESTS@|$MAX_REQUESTS|g" -e "s|@LOG_LEVEL@|$RADLB_LOG_LEVEL|g" \
		"$1" >"$2"
}

# Proxy description; sets PROXY_CMD, PROXY_NOTE, SERVER (loadgen target),
# LG_EXTRA, STANDIN_EXTRA, STANDIN_SECRET. Returns 1 (with SKIP_REASON)
# if the proxy cannot run here.
setup_proxy() { # name
	PROXY_NOTE=""
	LG_EXTRA=()
	STANDIN_EXTRA=()
	STANDIN_SECRET=$SERVER_SECRET
	SERVER="127.0.0.1:$PA,$PC"
	POOL_TYPE=load-balance
	KEYED="#"
	MAX_REQUESTS=$((INFLIGHT * 4 > 65536 ? INFLIGHT * 4 : 65536))
	case $1 in
	relay)
		# no crypto at all: same secret on both sides, nothing checked
		STANDIN_SECRET=$CLIENT_SECRET
		STANDIN_EXTRA=(--no-check)
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
	radlb)
		if [ ! -x "$RADLB" ]; then
			SKIP_REASON="$RADLB not found or not executable (build radlb, or set RADLB=path)"
			return 1
		fi
		fill_template "$BENCH_DIR/conf/radlb.conf.in" "$PDIR/radlb.conf"
		PROXY_CMD=("$RADLB" -f "$PDIR/radlb.conf")
		PROXY_NOTE="radlb, balance least-outstanding"
		;;
	*)
		SKIP_REASON="unknown proxy '$1' (relay radsecproxy freeradius freeradius-keyed radlb)"
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

claim_port() { # port
	[ -d "$PORT_CLAIMS" ] || mkdir -m 1777 "$PORT_CLAIMS" 2>/dev/null
	mkdir "$PORT_CLAIMS/$1" 2>/dev/null || return 1
	echo "$$" >"$PORT_CLAIMS/$1/owner"
	CLAIMED+=("$1")
}

release_ports() {
	local p
	for p in "${CLAIMED[@]}"; do
		[ "$(cat "$PORT_CLAIMS/$p/owner" 2>/dev/null)" = "$$" ] && rm -rf "${PORT_CLAIMS:?}/$p"
	done
	CLAIMED=()
}

pick_ports() { # sets SA[3] SC[3] (stand-ins), PA PC (proxy)
	local got=() p tries=0
	while [ "${#got[@]}" -lt 8 ] && [ $tries -lt 200 ]; do
		tries=$((tries + 1))
		p=$("$LOADGEN" --free-ports 1) || continue
		claim_port "$p" && got+=("$p")
	done
	[ "${#got[@]}" -eq 8 ] || return 1
	SA=("${got[0]}" "${got[2]}" "${got[4]}")
	SC=("${got[1]}" "${got[3]}" "${got[5]}")
	PA=${got[6]}
	PC=${got[7]}
}

# Sets up, starts and probes the proxy. Returns 1 (printed) on failure.
launch() { # name [standin args...]
	local name=$1
	shift
	CUR_PROXY=$name
	PDIR=$RUN/$name
	mkdir -p "$PDIR"
	echo
	echo "== $name"
	if ! pick_ports; then
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
	echo "  pid $PROXY_PID, listening 127.0.0.1:$PA (auth) ${SERVER#*,} (acct), stand-ins on ${SA[*]} / ${SC[*]}"
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
					if (pr == "radlb" || !((pr SUBSEP fl) in cpu)) continue
					c = (cpu[pr, fl] > 0) ? sprintf("%.2f", cpu["radlb", fl] / cpu[pr, fl]) : "n/a"
					r = (rate[pr, fl] > 0) ? sprintf("%.2f", rate["radlb", fl] / rate[pr, fl]) : "n/a"
					printf "%-5s %-17s %12s %12s\n", fl, pr, c, r
				}
			}
		}' "$RESULTS_TSV"
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

fr_ver=$([ -n "$FREERADIUS" ] && "$FREERADIUS" -v 2>/dev/null | sed -n "s/.*FreeRADIUS Version \([^ ,]*\).*/\1/p" | head -1)
rsp_ver=$([ -n "$RADSECPROXY" ] && "$RADSECPROXY" -v 2>&1 | sed -n "s/^radsecproxy revision \(.*\)/\1/p;s/^radsecproxy \([0-9][^ ]*\).*/\1/p" | head -1)
echo "tools: $BIN"
echo "peers: FreeRADIUS ${fr_ver:-?} (${FREERADIUS:-not found}), radsecproxy ${rsp_ver:-?} (${RADSECPROXY:-not found}), radlb: $RADLB"
case $MODE in
throughput) run_throughput ;;
inflight) run_inflight ;;
esac
if [ -n "${RESULTS:-}" ]; then
	cp "$RESULTS_TSV" "$RESULTS" && echo "results (TSV) written to $RESULTS"
fi
