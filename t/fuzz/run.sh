#!/bin/sh
# run.sh [SECONDS] - build and run doorman's libFuzzer targets (t/fuzz/README)
#
# Configures a build directory of its own (build-fuzz/ at the top, or
# $FUZZ_BUILD) with CC=clang and -DDOORMAN_FUZZ=ON (coverage for libFuzzer,
# ASan and UBSan everywhere), builds the targets, then for each target
# fuzz_NAME (t/fuzz/fuzz_NAME.c):
#   1. replays every seed of t/fuzz/seeds/fuzz_NAME/ once: the corpus from
#      the tests and every input that once crashed it (regressions);
#   2. fuzzes it for SECONDS (default 8: the whole set within 3 minutes
#      with the build), new inputs kept in BUILD/corpus/fuzz_NAME/ (so a
#      later run goes on from there), a crash, leak, UB or timeout saved
#      as BUILD/crashes/fuzz_NAME-*.
# Exits 1 if any target failed, naming the inputs; 0 otherwise.
# FUZZ_TARGETS="fuzz_addr fuzz_cidr" runs only those.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD:-$top/build-fuzz}
secs=${1:-8}
jobs=${FUZZ_JOBS:-2}

command -v clang >/dev/null || { echo "run.sh: clang missing: run t/install-deps.sh" >&2; exit 1; }
CC=clang cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDOORMAN_FUZZ=ON >/dev/null
cmake --build "$build" -j "$jobs" --target fuzz >/dev/null

# leaks of the libraries doorman uses, not its own (lsan.supp says which)
LSAN_OPTIONS=suppressions=$here/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
export LSAN_OPTIONS
targets=${FUZZ_TARGETS:-$(cd "$here" && ls fuzz_*.c | sed 's/\.c$//')}
mkdir -p "$build/crashes"
status=0
for t in $targets; do
	bin=$build/t/fuzz/$t
	seeds=$here/seeds/$t
	corpus=$build/corpus/$t
	mkdir -p "$corpus"
	# -runs=0: every seed once, then stop
	if ! "$bin" -runs=0 -timeout=10 -artifact_prefix="$build/crashes/$t-seed-" "$seeds" >"$build/$t.seeds.log" 2>&1; then
		echo "not ok - $t: a seed fails (log: $build/$t.seeds.log)"
		tail -30 "$build/$t.seeds.log"
		status=1
		continue
	fi
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/crashes/$t-" "$corpus" "$seeds" >"$build/$t.log" 2>&1; then
		echo "ok - $t: $(ls "$seeds" | wc -l) seeds replayed, $(grep -E '^stat::number_of_executed_units' "$build/$t.log" | awk '{print $2}') runs in ${secs}s, corpus $(ls "$corpus" | wc -l)"
	else
		echo "not ok - $t (log: $build/$t.log)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)|runtime error' "$build/$t.log" | head -10
		status=1
	fi
done
exit $status
