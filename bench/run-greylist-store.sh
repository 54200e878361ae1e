#!/bin/bash
# run-greylist-store.sh BUILD_DIR [N] [DECISIONS] - one greylisting decision
# per RCPT with N stored entries (default 1,000,000), on LMDB and on Redis.
#
# LMDB: bench/greylist_bench seeds N passed triplets into a fresh store,
# prints data.mdb's size, then times DECISIONS decisions through the
# session engine, fresh (a read) and, in a second store, stale (the first
# decision of each triplet renews it: a write).
# Redis: a private redis-server on 127.0.0.1:REDIS_PORT (default 19500;
# no persistence), seeded with the same N entries by redis-cli --pipe
# (INFO memory's used_memory before and after: memory per 1M entries),
# then the same timing over TCP loopback.  Round trips per decision are
# counted by MONITOR over a short run: every command a client sent (those
# the Lua script ran are "[0 lua]" and not counted), less the connection's
# setup (SCRIPT LOAD, SELECT, AUTH), divided by the decisions; a loop of
# greylist_bench makes three per DECISIONS (one through session_rcpt, one
# store_grey timed, one store_grey in the loop that measures CPU).
# GREYBENCH_FIFO=1 (root): the timed loops, and redis-server, run under
# SCHED_FIFO (greylist_bench.c), away from the machine's other work.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run-greylist-store.sh BUILD_DIR [N] [DECISIONS]}" && pwd)
n=${2:-1000000}
decisions=${3:-200000}
port=${REDIS_PORT:-19500}
. "$here/../t/lib/common.sh"
bench=$build/bench/greylist_bench
work=$(mktemp -d /tmp/doorman-greybench.XXXXXX)
cleanup() {
	stop_bg "${MON_PID:-}"
	[ -f "$work/redis.pid" ] && stop_bg "$(cat "$work/redis.pid")"
	rm -rf "$work"
}
trap cleanup EXIT
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== LMDB, $n entries, $decisions decisions"
"$bench" lmdb "$work/lmdb" "$n" "$decisions" || die "greylist_bench lmdb failed"
rm -rf "$work/lmdb"
"$bench" lmdb "$work/lmdb" "$n" "$decisions" stale | grep -v '^lmdb:' ||
	die "greylist_bench lmdb stale failed"
rm -rf "$work/lmdb"

echo "== Redis $(redis-server --version | awk '{ print $3 }'), 127.0.0.1:$port, $n entries"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
	--pidfile "$work/redis.pid" --logfile "$work/redis.log" --dir "$work" ||
	die "cannot start redis-server"
wait_port 127.0.0.1 "$port" 10 || die "redis-server did not listen"
[ "${GREYBENCH_FIFO:-0}" != 1 ] || chrt -f -p 10 "$(cat "$work/redis.pid")" ||
	die "cannot give redis-server SCHED_FIFO"
rc() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
mem() { rc info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }
m0=$(mem)
t0=$(date +%s.%N)
"$bench" resp "$n" | rc --pipe >"$work/pipe.out" || die "redis-cli --pipe: $(tail -3 "$work/pipe.out")"
grep -q 'errors: 0' "$work/pipe.out" || die "seeding Redis: $(tail -3 "$work/pipe.out")"
t1=$(date +%s.%N)
m1=$(mem)
keys=$(rc dbsize)
awk -v a="$m0" -v b="$m1" -v n="$n" -v k="$keys" -v t="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
	'BEGIN { printf "seed: %d keys (%d entries and their networks) in %.1f s; used_memory +%.1f MB: %.1f MB per 1M entries\n", k, n, t, (b - a) / 1e6, (b - a) / 1e6 * 1e6 / n }'

# round trips: a short run under MONITOR
rc monitor >"$work/monitor.out" &
MON_PID=$!
sleep 0.3
count=1000
"$bench" redis "127.0.0.1:$port" "$n" "$count" >/dev/null || die "greylist_bench redis (counted) failed"
sleep 0.3
stop_bg "$MON_PID"
MON_PID=
awk -v d=$((3 * count)) '
	/^[0-9.]+ \[[0-9]+ lua\]/ { next }
	/^[0-9.]+ \[/ {
		cmd = toupper($4); gsub(/"/, "", cmd)
		if (cmd == "SCRIPT" || cmd == "SELECT" || cmd == "AUTH") { setup++; next }
		sent++; by[cmd]++
	}
	END {
		printf "round trips: %d commands sent for %d decisions: %.3f per decision (", sent, d, sent / d
		for (c in by) printf "%s %d ", c, by[c]
		printf "); connection setup %d\n", setup
		exit (sent == d ? 0 : 1)
	}' "$work/monitor.out" || die "not one round trip per decision"

"$bench" redis "127.0.0.1:$port" "$n" "$decisions" || die "greylist_bench redis failed"
rc flushall >/dev/null
"$bench" resp "$n" stale | rc --pipe >/dev/null || die "seeding Redis (stale)"
"$bench" redis "127.0.0.1:$port" "$n" "$decisions" stale || die "greylist_bench redis stale failed"
rc shutdown nosave >/dev/null 2>&1 || true
rm -f "$work/redis.pid"
