#!/bin/bash
# tests/fuzz/run.sh: builds the libFuzzer targets and runs them.
#
#   run.sh fuzz-build   build only
#   run.sh fuzz-check   every input of corpus/ and regressions/ once (none
#                       may crash), then each target for FUZZ_SHORT seconds
#   run.sh fuzz         each target for FUZZ_TIME seconds
#
# Called by "make fuzz", "make fuzz-check" and "make fuzz-build", which set
# FUZZ_SRCDIR, FUZZ_BUILDDIR, FUZZ_HERE, FUZZ_TARGETS, FUZZ_TIME,
# FUZZ_SHORT, FUZZ_JOBS and MAKE. With FUZZ_HERE=yes (a tree configured
# with CC=clang --enable-fuzz) the targets are built in that tree;
# otherwise in FUZZ_BUILDDIR/build-fuzz/tree, a copy of the distribution
# ("make distdir") configured with CC=clang --enable-fuzz (plus
# $FUZZ_CONFIGURE_ARGS), refreshed file by file so rebuilds are
# incremental. Outputs (new corpus entries, crash artefacts, logs) go to
# FUZZ_BUILDDIR/build-fuzz/; the committed corpus is only read.
#
# FUZZ_KEEP_GOING=1: libFuzzer's fork mode, which records a crash and goes
# on (for long runs while a known bug is open).
#
# Each target's final libFuzzer figures are printed at the end (and kept in
# build-fuzz/logs/TARGET.log). Exit status: 0 when nothing crashed.
set -euo pipefail

mode=${1:-fuzz-check}
src=${FUZZ_SRCDIR:?}
build=${FUZZ_BUILDDIR:?}
targets=${FUZZ_TARGETS:-fuzz_client fuzz_reply fuzz_stream fuzz_conf fuzz_cmd}
jobs=${FUZZ_JOBS:-2}
make=${MAKE:-make}
out=$build/build-fuzz
mkdir -p "$out"

# ------------------------------------------------------------------ build
if [ "${FUZZ_HERE:-no}" = yes ]; then
    tree=$build
else
    tree=$out/tree
    command -v clang >/dev/null || { echo "run.sh: clang is needed (apt-get install clang)" >&2; exit 1; }
    dist=$out/.dist
    rm -rf "$dist"
    # (relative: automake's distdir rules relativise it for the subdirectories)
    $make -C "$build" distdir distdir=build-fuzz/.dist top_distdir=build-fuzz/.dist >/dev/null
    # Autotools inputs changed: configure again from scratch.
    for f in configure configure.ac Makefile.in aclocal.m4 config.h.in tests/fuzz/fuzz.am \
             tests/unit/unit.am tests/unit/spool.am Makefile.am; do
        if [ -f "$dist/$f" ] && ! cmp -s "$dist/$f" "$tree/$f"; then
            rm -rf "$tree"
            break
        fi
    done
    if [ ! -f "$tree/config.status" ]; then
        # A new tree: the distribution as it is (its timestamps kept, so
        # that make does not run the autotools again).
        rm -rf "$tree"
        mkdir -p "$tree"
        cp -pR "$dist/." "$tree/"
    fi
    # Copy what changed (new mtime: make rebuilds what depends on it).
    (cd "$dist" && find . -type f) | while read -r f; do
        if ! cmp -s "$dist/$f" "$tree/$f"; then
            mkdir -p "$(dirname "$tree/$f")"
            cp "$dist/$f" "$tree/$f"
            case $f in *.sh|*/configure|./configure|*/build-aux/*) chmod +x "$tree/$f" ;; esac
        fi
    done
    rm -rf "$dist"
    if [ ! -f "$tree/config.status" ]; then
        echo "run.sh: configuring $tree with CC=clang --enable-fuzz"
        (cd "$tree" && CC=clang ./configure --enable-fuzz ${FUZZ_CONFIGURE_ARGS:-} >"$out/configure.log" 2>&1) ||
            { tail -20 "$out/configure.log" >&2; exit 1; }
    fi
fi
progs=""
for t in $targets; do progs="$progs tests/fuzz/$t"; done
echo "run.sh: building the fuzz targets in $tree"
# shellcheck disable=SC2086
$make -C "$tree" -j"$jobs" $progs >"$out/build.log" 2>&1 || { tail -40 "$out/build.log" >&2; exit 1; }
bin=$tree/tests/fuzz
[ "$mode" = fuzz-build ] && exit 0

# ------------------------------------------------------------------ run
# Options of one target: its input size limit and dictionary.
opts() {
    case $1 in
        fuzz_client|fuzz_reply) echo "-max_len=4200 -dict=$src/tests/fuzz/radius.dict" ;;
        fuzz_stream) echo "-max_len=12000 -dict=$src/tests/fuzz/radius.dict" ;;
        fuzz_conf) echo "-max_len=8192" ;;
        fuzz_cmd) echo "-max_len=256" ;;
    esac
}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/tests/fuzz/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$out/logs" "$out/artifacts"
failed=0

if [ "$mode" = fuzz-check ]; then
    # Known inputs first: the committed corpus and every regression.
    for t in $targets; do
        files=$(find "$src/tests/fuzz/corpus/$t" "$src/tests/fuzz/regressions/$t" -type f \
                    ! -name '*.md' ! -name '.*' 2>/dev/null | sort || true)
        [ -n "$files" ] || continue
        n=$(echo "$files" | wc -l)
        # shellcheck disable=SC2046,SC2086
        if echo "$files" | xargs "$bin/$t" $(opts "$t") -runs=1 >"$out/logs/$t.replay.log" 2>&1 </dev/null; then
            echo "run.sh: $t: $n known inputs, no crash"
        else
            echo "run.sh: $t: a known input crashes (build-fuzz/logs/$t.replay.log):" >&2
            grep -E "Running:|ERROR|SUMMARY|runtime error" "$out/logs/$t.replay.log" | tail -10 >&2
            failed=1
        fi
    done
    secs=${FUZZ_SHORT:-20}
else
    secs=${FUZZ_TIME:-600}
fi

run_one() {
    local t=$1 secs=$2 work=$out/corpus/$1
    mkdir -p "$work" "$out/artifacts/$t"
    local TIMEFORMAT="cpu %U user %S sys, %R s wall"
    # shellcheck disable=SC2046
    { time "$bin/$t" $(opts "$t") ${FUZZ_KEEP_GOING:+-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1} \
          -max_total_time="$secs" -print_final_stats=1 \
          -artifact_prefix="$out/artifacts/$t/" "$work" "$src/tests/fuzz/corpus/$t" \
          >"$out/logs/$t.log" 2>&1 </dev/null; } 2>>"$out/logs/$t.time"
}

summary() {
    local t=$1 log=$out/logs/$1.log
    local last execs eps
    last=$(grep -E "^#[0-9]+" "$log" | tail -1 | sed -E 's/^(#[0-9]+)[[:space:]]+[A-Z]+[[:space:]]+/\1 /' | cut -c1-100 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(grep -oE "^#[0-9]+" "$log" | tail -1 | tr -d '#' || true)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    printf '%-12s execs %-10s exec/s %-7s %s; %s; corpus %s files; %s artefacts\n' "$t" "${execs:-?}" \
        "${eps:-?}" "${last:-}" "$(tail -1 "$out/logs/$t.time" 2>/dev/null)" \
        "$(find "$out/corpus/$t" -type f | wc -l)" "$(find "$out/artifacts/$t" -type f | wc -l)"
}

if [ "$secs" -gt 0 ]; then
    echo "run.sh: fuzzing each target for $secs s, $jobs at a time (logs in $out/logs)"
    declare -A pids=()
    for t in $targets; do
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
        : >"$out/logs/$t.time"
        run_one "$t" "$secs" &
        pids[$t]=$!
    done
    for t in $targets; do
        if ! wait "${pids[$t]}"; then
            echo "run.sh: $t FOUND A CRASH: see $out/logs/$t.log and $out/artifacts/$t/" >&2
            grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$out/logs/$t.log" | tail -6 >&2
            failed=1
        fi
    done
    for t in $targets; do summary "$t"; done
fi
exit $failed
