#!/bin/sh
# run-tests.sh - build doorman twice (normal, and with ASan+UBSan) and run
# the whole test suite on both: unit tests, miltertest scenarios, the real
# Postfix and Sendmail suites, the man page check; then the fuzz targets of
# t/fuzz in a third build (clang).  This is what CI runs.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

t/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
status=0
for variant in build build-asan; do
	flags="-DCMAKE_BUILD_TYPE=RelWithDebInfo"
	[ "$variant" = build-asan ] && flags="-DCMAKE_BUILD_TYPE=Debug -DDOORMAN_SANITIZE=ON"
	echo "=== $variant: configure and build"
	# shellcheck disable=SC2086
	cmake -S "$top" -B "$top/$variant" $flags >/dev/null
	cmake --build "$top/$variant" -j "$jobs" >/dev/null
	echo "=== $variant: ctest"
	# MTA suites share ports: run one test at a time
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir "$top/$variant" --output-on-failure --timeout 600 || status=1
done
# every fuzz target: its seeds (regressions included) replayed, then a
# short run each (t/fuzz/README; about 3 minutes with the build)
echo "=== build-fuzz: t/fuzz/run.sh"
t/fuzz/run.sh || status=1
exit $status
