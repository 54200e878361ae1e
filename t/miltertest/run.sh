#!/bin/bash
# run.sh BUILD_DIR SCENARIO - one miltertest scenario against a real doorman
#
# Writes conf/SCENARIO.conf (or conf/default.conf) with @PORT@ and @DIR@
# filled in, starts doorman -f with its log captured, runs
# `miltertest -s SCENARIO.lua` (the socket in $DOORMAN_SOCKET), stops
# doorman and judges its exit (t/lib/common.sh stop_doorman), then checks
# SCENARIO.expect against the log: each line is an
# extended regex some log line must match, or, after "! ", one no line may
# match.  A SCENARIO.sh beside the script, if any, runs between miltertest
# and the checks with the same environment (reload tests use it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR SCENARIO}" && pwd)
name=${2:?scenario}
. "$here/../lib/common.sh"
. "$here/../lib/nsd.sh"
. "$here/../lib/shipped.sh"

command -v miltertest >/dev/null || die "miltertest missing: run t/install-deps.sh"
# Ports: doorman on MT_PORT, NSD on MT_PORT+1, the silent DNS server on
# MT_PORT+2; t/miltertest/CMakeLists.txt gives each scenario a block of
# its own, so that scenarios may run side by side (ctest -j2)
port=${MT_PORT:-18796}
work=$(mktemp -d /tmp/doorman-mt.XXXXXX)
cleanup() {
	kill_doorman
	nsd_stop
	stop_bg "${HOLE_PID:-}"
	stop_bg "${FAKE_PID:-}"
	if [ -f "$work/redis.pid" ]; then stop_bg "$(cat "$work/redis.pid")"; fi
	if [ "$T_FAILED" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "--- doorman log"; cat "$work/doorman.log"
		echo "(kept $work)"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

# a scenario that asks DNS gets NSD serving t/dns/zones, and a server
# that never answers for the zone silent.test
dns_port=$((port + 1)) silent_port=$((port + 2))
if grep -q '@DNS_PORT@' "$here/conf/$name.conf" 2>/dev/null || [ -f "$here/conf/$name.policy" ]; then
	deps_nsd
	nsd_start "$work" $dns_port "$here/../dns/zones"
	"$build/t/unit/dns-blackhole" $silent_port &
	HOLE_PID=$!
fi

conf=$here/conf/$name.conf
[ -f "$conf" ] || conf=$here/conf/default.conf
# a scenario with a callout backend gets t/lib/smtpfake.c on MT_CALLOUT_PORT
callout_port=${MT_CALLOUT_PORT:-}
if [ -n "$callout_port" ]; then
	"$build/t/unit/smtpfake" "$callout_port" "$here/../unit/data/callout_users" "$work/smtpfake.log" &
	FAKE_PID=$!
	wait_port 127.0.0.1 "$callout_port" 10 || die "smtpfake did not listen on $callout_port"
fi

# a scenario whose policy names @REDIS_SOCK@ gets a private redis-server
# (no persistence) on a unix socket in the work folder; its script may stop
# it (the pid is in $DOORMAN_WORK/redis.pid) and start it again with
# $DOORMAN_REDIS_START
if grep -q '@REDIS_SOCK@' "$conf" 2>/dev/null; then
	command -v redis-server >/dev/null || die "redis-server missing: run t/install-deps.sh"
	export DOORMAN_REDIS_START="redis-server --port 0 --unixsocket $work/redis.sock --save '' \
--appendonly no --daemonize yes --pidfile $work/redis.pid --logfile $work/redis.log --dir $work"
	sh -c "$DOORMAN_REDIS_START" || die "cannot start redis-server"
	# its pid file is written once it listens
	wait_file "$work/redis.pid" 10 || die "redis-server did not start"
fi

# a scenario's metrics endpoint (metrics.listen) takes the fourth port of the block
fill() { sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$here|g" -e "s|@DNS_PORT@|$dns_port|g" \
	-e "s|@METRICS_PORT@|$((port + 3))|g" \
	-e "s|@SILENT_PORT@|$silent_port|g" -e "s|@CALLOUT_PORT@|$callout_port|g" \
	-e "s|@WORK@|$work|g" -e "s|@REDIS_SOCK@|$work/redis.sock|g" "$1"; }
if [ -f "$here/conf/$name.policy" ]; then
	# a shipped policy as it is, but for its socket, pid file and DNS
	shipped_policy "$work" "$(cat "$here/conf/$name.policy")" "$port" "$dns_port" $((port + 3))
else
	fill "$conf" >"$work/doorman.conf"
fi
# a scenario that sends messages gets the corpus, signed afresh
if grep -q DOORMAN_CORPUS "$here/$name.lua"; then
	/usr/bin/python3 "$here/../auth/make-corpus.py" "$work/corpus" || die "cannot make the corpus"
	export DOORMAN_CORPUS=$work/corpus
fi
export DOORMAN_SOCKET="inet:$port@127.0.0.1" DOORMAN_WORK=$work DOORMAN_HERE=$here DOORMAN_PORT=$port \
	DOORMAN_BIN=$build/milter/doorman
start_doorman "$build/milter/doorman" "$work/doorman.conf" "$work/doorman.log" "$port"
export DOORMAN_PID

cd "$here"
if timeout 60 miltertest -s "$name.lua" >"$work/miltertest.out" 2>&1; then
	ok "$name: miltertest script"
else
	not_ok "$name: miltertest script"
	cat "$work/miltertest.out"
fi
if [ -x "$here/$name.sh" ]; then
	if "$here/$name.sh"; then ok "$name: $name.sh"; else not_ok "$name: $name.sh"; fi
fi
stop_doorman "$name"

while IFS= read -r want; do
	case "$want" in
	'' | '#'*) continue ;;
	'! '*)
		if log_has "$work/doorman.log" "${want#! }"; then
			not_ok "$name: log has /${want#! }/"
		else
			ok "$name: log lacks /${want#! }/"
		fi
		;;
	*)
		if log_has "$work/doorman.log" "$want"; then
			ok "$name: log has /$want/"
		else
			not_ok "$name: no log line /$want/"
		fi
		;;
	esac
done <"$here/$name.expect"
finish
