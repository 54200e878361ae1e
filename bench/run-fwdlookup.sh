#!/bin/bash
# run-fwdlookup.sh BUILD_DIR [N] [LOOKUPS] - the learned-forwarder lookup
# per connection (fwdlearn_known: one store read) with N learned forwarders
# stored (default 100,000), on LMDB and on a private redis-server on
# 127.0.0.1:REDIS_PORT (default 20540; no persistence), LOOKUPS lookups
# each (default 200,000: half of learned forwarders, half of other
# clients).  bench/fwdlookup_bench.c says what is timed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run-fwdlookup.sh BUILD_DIR [N] [LOOKUPS]}" && pwd)
n=${2:-100000}
lookups=${3:-200000}
port=${REDIS_PORT:-20540}
. "$here/../t/lib/common.sh"
bench=$build/bench/fwdlookup_bench
work=$(mktemp -d /tmp/doorman-fwdlookup.XXXXXX)
cleanup() {
	[ -f "$work/redis.pid" ] && stop_bg "$(cat "$work/redis.pid")"
	rm -rf "$work"
}
trap cleanup EXIT
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== LMDB"
"$bench" lmdb "$work/lmdb" "$n" "$lookups" 2>/dev/null || die "fwdlookup_bench lmdb failed"
echo "== Redis $(redis-server --version | awk '{ print $3 }'), 127.0.0.1:$port"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
	--pidfile "$work/redis.pid" --dir "$work" --logfile "$work/redis.log" >/dev/null ||
	die "cannot start redis-server"
wait_port 127.0.0.1 "$port" 10 || die "redis-server did not listen"
"$bench" redis "127.0.0.1:$port" "$n" "$lookups" 2>/dev/null || die "fwdlookup_bench redis failed"
