#!/usr/bin/env bash
# bench/storm.sh - the retransmission storm of tests/integration/
# t-fault-storm.sh (2,000 NAS retransmitting every second toward three slow
# MFA servers) with retransmission damping off (proxy.retransmit_damping =
# 0: every NAS retransmission passed on, as before issue 11) and on (the
# default, 1.5 s), rounds interleaved, figures side by side: copies of
# requests that reached the servers, logins accepted, servers marked down,
# late probes, duration. The ratio on/off is the figure that counts (same
# machine, same run).
#
#   bench/storm.sh [ROUNDS]        ROUNDS (default 1) of off, then on
#   CPU_QUOTA=50 bench/storm.sh    the same inside a cgroup (v1 cpu
#                                  controller, as root) limited to 50% of
#                                  one CPU: a starved machine
#
# Run from a built tree (make); it calls make check TESTS=... for each run.
set -u -o pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${1:-1}
OUT=$(mktemp -d /tmp/radlb-storm.XXXXXX)
CG=/sys/fs/cgroup/cpu/radlb-storm

run() {        # run DAMPING ROUND
	local fig="$OUT/figures.$1.$2"
	if [ -n "${CPU_QUOTA:-}" ]; then
		mkdir -p "$CG" && echo $((CPU_QUOTA * 1000)) >"$CG/cpu.cfs_quota_us" || {
			echo "bench/storm.sh: cannot set up the cgroup $CG (root and cgroup v1 cpu needed)" >&2
			exit 2
		}
		(echo $BASHPID >"$CG/cgroup.procs" &&
			exec env STORM_DAMPING="$1" FAULT_FIGURES="$fig" \
				make -s -C "$REPO" check TESTS=tests/integration/t-fault-storm.sh) >/dev/null 2>&1
	else
		STORM_DAMPING="$1" FAULT_FIGURES="$fig" \
			make -s -C "$REPO" check TESTS=tests/integration/t-fault-storm.sh >/dev/null 2>&1
	fi
	echo "$?" >"$OUT/rc.$1.$2"
	cp "$REPO/tests/integration/t-fault-storm.log" "$OUT/log.$1.$2" 2>/dev/null
}

fig() { awk -v k="storm.$3" '$2 == k { print $3 }' "$OUT/figures.$1.$2" 2>/dev/null; }

for r in $(seq 1 "$ROUNDS"); do
	run 0 "$r"
	run 1.5 "$r"
done

printf '%-6s %-8s %8s %8s %10s %10s %10s %8s %8s %8s %9s %5s\n' round damping accepted sent \
	passed_on absorbed copies/req twice down late elapsed_s test
for r in $(seq 1 "$ROUNDS"); do
	for d in 0 1.5; do
		printf '%-6s %-8s %8s %8s %10s %10s %10s %8s %8s %8s %9s %5s\n' "$r" "$d" \
			"$(fig "$d" "$r" accepted)" "$(fig "$d" "$r" retransmissions_sent)" \
			"$(fig "$d" "$r" retransmissions_passed_on)" "$(fig "$d" "$r" retransmissions_absorbed)" \
			"$(fig "$d" "$r" copies_per_request)" "$(fig "$d" "$r" processed_twice)" \
			"$(fig "$d" "$r" servers_went_down)" "$(fig "$d" "$r" probes_late)" \
			"$(awk -v ms="$(fig "$d" "$r" elapsed_ms)" 'BEGIN { printf "%.1f", ms / 1000 }')" \
			"$([ "$(cat "$OUT/rc.$d.$r")" = 0 ] && echo pass || echo FAIL)"
	done
	off=$(fig 0 "$r" copies_per_request) on=$(fig 1.5 "$r" copies_per_request)
	awk -v a="$off" -v b="$on" -v r="$r" 'BEGIN { if (a > 0) printf "round %s: copies per request reaching the servers, on/off = %.2f\n", r, b / a }'
done
echo "logs and figures: $OUT"
