#!/bin/bash
# bench/alloc.sh: heap allocations per request in radlb's steady state.
#
# radlb runs under bench/malloc-count.so (an LD_PRELOAD counter of malloc,
# calloc, realloc and aligned allocations) in front of three stand-ins.
# After a warm-up (pools grow to their working size), the counter is read,
# a measured load runs, and the counter is read again:
#     allocations per request = (after - before) / answered requests
# The goal is 0: request slots, buffers and batches come from free lists.
# Challenge sessions live sticky.ttl after their last use, so the OTP flow
# only reaches its steady state (expired entries recycled) once the warm-up
# has lasted longer than the TTL: the script sets sticky.ttl = 10 and warms
# up for WARMUP = 12 s.
#
#   bench/alloc.sh [FLOWS...]        default: pap otp acct
#   RADLB=path/to/radlb DURATION=4 INFLIGHT=128 bench/alloc.sh
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
RADLB=${RADLB:-$TOP/src/radlb}
DURATION=${DURATION:-4}
WARMUP=${WARMUP:-12}
INFLIGHT=${INFLIGHT:-128}
FLOWS=("${@:-pap otp acct}")
read -r -a FLOWS <<<"${FLOWS[*]}"
BIN=${BENCH_BIN:-$BENCH/.build}

"$BENCH/build.sh" "$BIN" >/dev/null
cc -O2 -shared -fPIC -o "$BIN/malloc-count.so" "$BENCH/malloc-count.c"
[ -x "$RADLB" ] || { echo "alloc.sh: $RADLB is not built" >&2; exit 1; }

DIR=$(mktemp -d /tmp/radlb-alloc.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT

read -r -a P <<<"$("$BIN/rlb-loadgen" --free-ports 8 | tr '\n' ' ')"
SSEC=alloc-server-secret-0123456789
CSEC=alloc-client-secret-0123456789
for i in 0 1 2; do
	"$BIN/rlb-standin" --listen "127.0.0.1:${P[$((2 * i))]},${P[$((2 * i + 1))]}" --secret "$SSEC" \
		--name "mfa$((i + 1))" --otp-prefix otp 2>/dev/null &
	PIDS+=($!)
done
cat >"$DIR/radlb.conf" <<EOF
listen = ( { type = "auth"; address = "127.0.0.1"; port = ${P[6]}; },
           { type = "acct"; address = "127.0.0.1"; port = ${P[7]}; } );
clients = ( { name = "bench"; network = "127.0.0.0/8"; secret = "$CSEC"; } );
servers = ( { name = "mfa1"; address = "127.0.0.1"; auth_port = ${P[0]}; acct_port = ${P[1]}; secret = "$SSEC"; role = "master"; },
            { name = "mfa2"; address = "127.0.0.1"; auth_port = ${P[2]}; acct_port = ${P[3]}; secret = "$SSEC"; },
            { name = "mfa3"; address = "127.0.0.1"; auth_port = ${P[4]}; acct_port = ${P[5]}; secret = "$SSEC"; } );
sticky = { ttl = 10; };
log = { level = "warning"; };
control = { socket = "$DIR/radlb.sock"; };
EOF
LD_PRELOAD="$BIN/malloc-count.so" MALLOC_COUNT_FILE="$DIR/count" "$RADLB" -f "$DIR/radlb.conf" 2>"$DIR/radlb.log" &
RPID=$!
PIDS+=("$RPID")
"$BIN/rlb-loadgen" --server "127.0.0.1:${P[6]}" --probe --timeout 10 --secret "$CSEC" >/dev/null

count() {
	rm -f "$DIR/count"
	kill -USR2 "$RPID"
	for _ in $(seq 100); do [ -s "$DIR/count" ] && break; sleep 0.02; done
	cat "$DIR/count"
}

printf '%-6s %12s %14s %12s\n' flow requests allocations per-request
for flow in "${FLOWS[@]}"; do
	# warm-up: pools, tables and sockets reach their working size
	"$BIN/rlb-loadgen" --server "127.0.0.1:${P[6]},${P[7]}" --secret "$CSEC" --flow "$flow" \
		--inflight "$INFLIGHT" --duration "$WARMUP" >/dev/null 2>&1 || true
	before=$(count)
	out=$("$BIN/rlb-loadgen" --server "127.0.0.1:${P[6]},${P[7]}" --secret "$CSEC" --flow "$flow" \
		--inflight "$INFLIGHT" --duration "$DURATION" 2>&1 | grep '^total')
	after=$(count)
	n=$(sed -n 's/.*answered \([0-9]*\).*/\1/p' <<<"$out")
	awk -v f="$flow" -v n="$n" -v a=$((after - before)) \
		'BEGIN { printf "%-6s %12d %14d %12.4f\n", f, n, a, n ? a / n : 0 }'
done
