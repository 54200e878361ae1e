#!/bin/bash
# store-kill.sh TEST_STORE - LMDB state survives kill -9 mid-writes
#
# Five rounds: a writer (test_store write DIR N) commits records one by
# one; it is killed with SIGKILL at a random moment within 0.3-0.8 s;
# then test_store verify DIR reopens the file and checks every committed
# record is intact, none is half there, and it can write again.  The next
# round's writer goes on from there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/common.sh"
bin=${1:?usage: store-kill.sh TEST_STORE}
work=$(mktemp -d /tmp/doorman-kill.XXXXXX)
trap 'rm -rf "$work"' EXIT

next=0
for round in 1 2 3 4 5; do
	"$bin" write "$work/state" "$next" &
	pid=$!
	sleep "0.$((3 + RANDOM % 6))"
	kill -KILL "$pid"
	status=0
	wait "$pid" 2>/dev/null || status=$?
	[ "$status" -eq 137 ] || not_ok "round $round: the writer ended by itself (status $status)"
	if got=$("$bin" verify "$work/state" 2>"$work/err"); then
		if [ "$got" -gt "$next" ]; then
			ok "round $round: $got records intact after kill -9 (writer started at $next)"
		else
			not_ok "round $round: no record committed ($got, started at $next)"
		fi
		next=$got
	else
		not_ok "round $round: verify after kill -9: $(cat "$work/err")"
	fi
done
finish
