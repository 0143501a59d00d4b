#!/bin/sh
# bench/build.sh [OUTDIR] - builds rlb-loadgen, rlb-standin and rlb-relay
# with plain cc (no autotools needed). Default OUTDIR: bench/.build
# (or $BENCH_BIN). Rebuilds only what is older than its sources.
set -eu
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-${BENCH_BIN:-$BENCH_DIR/.build}}
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -g}
mkdir -p "$OUT"
for p in rlb-loadgen rlb-standin rlb-relay; do
	bin=$OUT/$p
	if [ -x "$bin" ] && [ ! "$BENCH_DIR/$p.c" -nt "$bin" ] &&
	   [ ! "$BENCH_DIR/rlb-common.c" -nt "$bin" ] && [ ! "$BENCH_DIR/rlb-common.h" -nt "$bin" ]; then
		continue
	fi
	echo "build.sh: $CC $CFLAGS -o $bin" >&2
	# shellcheck disable=SC2086
	$CC -std=c11 $CFLAGS -Wall -Wextra -o "$bin" "$BENCH_DIR/$p.c" "$BENCH_DIR/rlb-common.c" -lcrypto
done
