#!/bin/sh
# run-tests.sh - build doorman twice (normal, and with ASan+UBSan) and run
# the whole test suite on both: unit tests, miltertest scenarios, the real
# Postfix and Sendmail suites, the man page check; then the fuzz targets of
# t/fuzz in a third build (clang).  This is what CI runs.
#
# The last two lines say what ran and what failed across the builds:
#   === build: ...; build-asan: ...; build-fuzz: ...; failed: NAMES
#   all: N passed, N failed
# A build that fails to configure or compile counts as one failure and its
# output is printed (not discarded); ctest's own output is printed as it
# runs, with the output of each failed test; each fuzz target counts once.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

t/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
logs=$(mktemp -d /tmp/doorman-run-tests.XXXXXX)
trap 'rm -rf "$logs"' EXIT
passed=0 failed=0 summary="" names=""
for variant in build build-asan; do
	flags="-DCMAKE_BUILD_TYPE=RelWithDebInfo"
	[ "$variant" = build-asan ] && flags="-DCMAKE_BUILD_TYPE=Debug -DDOORMAN_SANITIZE=ON"
	echo "=== $variant: configure and build"
	# shellcheck disable=SC2086
	if ! { cmake -S "$top" -B "$top/$variant" $flags && cmake --build "$top/$variant" -j "$jobs"; } \
		>"$logs/$variant.build" 2>&1; then
		cat "$logs/$variant.build"
		echo "=== $variant: build FAILED (output above)"
		failed=$((failed + 1))
		summary="$summary${summary:+; }$variant: build failed"
		names="$names $variant:build"
		continue
	fi
	echo "=== $variant: ctest"
	# tests that share ports are RUN_SERIAL; the others may run side by side
	# printed as it runs (tee) and kept for the summary; the status goes
	# through a file, as sh has no pipefail
	{
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			ctest --test-dir "$top/$variant" --output-on-failure --timeout 600 -j "$jobs" 2>&1
		echo $? >"$logs/$variant.rc"
	} | tee "$logs/$variant.ctest"
	rc=$(cat "$logs/$variant.rc" 2>/dev/null || echo 1)
	# "N% tests passed, F tests failed out of T"
	line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$logs/$variant.ctest" | tail -1 || true)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		summary="$summary${summary:+; }$variant: ctest did not finish (exit $rc)"
		names="$names $variant:ctest"
		continue
	fi
	total=$(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/')
	nfail=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/')
	[ "$rc" = 0 ] || [ "$nfail" -gt 0 ] || nfail=1 # ctest failed without naming a test
	passed=$((passed + total - nfail))
	failed=$((failed + nfail))
	summary="$summary${summary:+; }$variant: $((total - nfail)) passed, $nfail failed"
	for n in $(sed -nE 's/^[[:space:]]*[0-9]+ - ([^ ]+) .*/\1/p' "$logs/$variant.ctest"); do
		names="$names $variant:$n"
	done
done
# every fuzz target: its seeds (regressions included) replayed, then a
# short run each (t/fuzz/README; about 3 minutes with the build)
echo "=== build-fuzz: t/fuzz/run.sh"
{
	t/fuzz/run.sh 2>&1
	echo $? >"$logs/build-fuzz.rc"
} | tee "$logs/build-fuzz.out"
rc=$(cat "$logs/build-fuzz.rc" 2>/dev/null || echo 1)
fok=$(grep -c '^ok - ' "$logs/build-fuzz.out" || true)
fnot=$(grep -c '^not ok - ' "$logs/build-fuzz.out" || true)
for n in $(sed -nE 's/^not ok - ([^ :]+).*/\1/p' "$logs/build-fuzz.out"); do
	names="$names build-fuzz:$n"
done
if [ "$rc" != 0 ] && [ "$fnot" -eq 0 ]; then
	fnot=1 # it failed before any target ran (the clang build)
	names="$names build-fuzz:run.sh"
fi
passed=$((passed + fok))
failed=$((failed + fnot))
summary="$summary; build-fuzz: $fok passed, $fnot failed"
echo "=== $summary${names:+; failed:$names}"
echo "all: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
