#!/bin/sh
# run-tests.sh - build doorman twice (normal, and with ASan+UBSan) and run
# the whole test suite on both: unit tests, miltertest scenarios, the real
# Postfix and Sendmail suites, the man page check.  This is what CI runs.
#
# The last line says what ran and what failed across both builds:
#   all: N passed, N failed (build: ...; build-asan: ...) failed: NAMES
# A build that fails to configure or compile counts as one failure and its
# output is printed (not discarded); ctest's own output is printed as it
# runs, with the output of each failed test.
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
	rc=0
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir "$top/$variant" --output-on-failure --timeout 600 -j "$jobs" \
		>"$logs/$variant.ctest" 2>&1 || rc=$?
	cat "$logs/$variant.ctest"
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
echo "all: $passed passed, $failed failed ($summary)${names:+ failed:$names}"
[ "$failed" -eq 0 ]
