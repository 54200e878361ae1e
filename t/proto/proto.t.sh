#!/bin/bash
# proto.t.sh BUILD_DIR - doorman's own milter protocol engine (milter/proto.c)
# against a raw MTA end (mta.py): negotiation, batching, malformed and random
# packets, 300 connections at once, no replies before RCPT when every policy
# delays its rejections, the idle timeout and a trickling sender; the stop
# (bounded, logged, under load, waiting for a callback blocked on DNS); a
# step of the wall clock (t/proto/clockstep.c);
# memory, threads and descriptors under hostile load (ports 18300-18309);
# then the unix socket: a stale one
# replaced, a live one or a plain file refused, removed at stop.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: proto.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
. "$here/mta.sh"
bin=$build/milter/doorman
port=17355
work=$(mktemp -d /tmp/doorman-proto.XXXXXX)
cleanup() {
	kill_doorman
	rm -rf "$work"
}
trap cleanup EXIT

conf() { # SOCKET TIMEOUT [MORE SETTINGS] > conf
	sed -e "s|inet:@PORT@@127.0.0.1\"; user = \"\"; pidfile = \"\";|$1\"; user = \"\"; pidfile = \"\"; timeout = $2; ${3:-}|" \
		-e "s|@DIR@|$here/../miltertest|g" "$here/../miltertest/conf/default.conf"
}
alive() { # NAME LOG: doorman still runs (stop_doorman then judges its exit and log)
	if pid_alive "$DOORMAN_PID"; then
		ok "$1"
	else
		not_ok "$1"
		tail -20 "$2" >&2
	fi
}
mta() { # MODE LOG [PORT]: mta.py's checks, counted here
	mta_checks "" "${3:-$port}" "$2" "$1"
}

# stop_timed NAME LOG: stop and judge; gone within 2 s, logged, no stray
# errors.  doorman's own stop takes milliseconds (its log says how many);
# the bound is for what must never happen, a stop that waits out a timeout
# (milter.timeout is 600 s here).  2 s, not 1: under ASan
# on a loaded 2-core machine the exit (leak check included) took 1.1-1.6 s.
stop_timed() {
	local t0 t1 ms
	t0=$(date +%s%N)
	stop_doorman "$1"
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	if [ "$ms" -lt 2000 ] && log_has "$2" 'milter: stopped in [0-9]+ ms' &&
		log_has "$2" 'doorman stopped$' && ! log_has "$2" 'Bad file descriptor|commands under way'; then
		ok "$1 ($ms ms)"
	else
		not_ok "$1 ($ms ms)"
		tail -5 "$2" >&2
	fi
}

conf "inet:$port@127.0.0.1" 600 >"$work/inet.conf"
start_doorman "$bin" "$work/inet.conf" "$work/hostile.log" $port
mta hostile "$work/hostile.log"
alive "doorman alive after hostile input" "$work/hostile.log"
stop_timed "a stop after serving mail takes under 2 s, logged, with no 'Bad file descriptor'" "$work/hostile.log"

stopped_clean() { # NAME LOG N: mta.py stopped doorman; N connections closed, status 0, no stray errors
	local rc
	wait "$DOORMAN_PID" 2>/dev/null && rc=0 || rc=$?
	DOORMAN_PID=
	if [ "$rc" = 0 ] && log_has "$2" "milter: stopped in [0-9]+ ms \\($3 connections closed\\)" &&
		! log_has "$2" 'not waiting|Bad file descriptor' && ! sanitizer_report "$2" >&2; then
		ok "$1"
	else
		not_ok "$1 (exit status $rc)"
		tail -5 "$2" >&2
	fi
}

# SIGTERM with messages under way
start_doorman "$bin" "$work/inet.conf" "$work/stop.log" $port
mta stop "$work/stop.log"
stopped_clean "the stop under load is logged" "$work/stop.log" 25

# SIGTERM while a callback waits on a resolver that never answers
"$build/t/unit/dns-blackhole" 18302 &
hole=$!
cat >"$work/slow.conf" <<CONF
milter: { socket = "inet:18301@127.0.0.1"; user = ""; pidfile = ""; };
resolver: { upstreams = [ "127.0.0.1@18302" ]; unblock = [ "test." ]; timeout = 1000; };
domains: { local = [ "example.org" ]; };
policies: { p: { delay_reject = false; dnsbl: { zones = [ "bl.doorman.test" ]; threshold = 1; }; }; };
CONF
start_doorman "$bin" "$work/slow.conf" "$work/slow.log" 18301
mta slowstop "$work/slow.log" 18301
stop_bg $hole
stopped_clean "the stop waited for the command under way, and says so" "$work/slow.log" 1

# the wall clock steps an hour ahead (this doorman's only: LD_PRELOAD)
export CLOCKSTEP_FILE=$work/clock-stepped
ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" LD_PRELOAD="$build/t/unit/clockstep.so" \
	"$bin" -f -c "$work/inet.conf" 2>"$work/clock.log" &
DOORMAN_PID=$! DOORMAN_LOGFILE=$work/clock.log
wait_port 127.0.0.1 $port 10 || { cat "$work/clock.log" >&2; die "doorman did not listen on $port"; }
mta clockstep "$work/clock.log"
alive "doorman alive after the clock step" "$work/clock.log"
stop_doorman clock

# memory per connection and threads after a burst
lport=18300
conf "inet:$lport@127.0.0.1" 600 "max_connections = 3000;" >"$work/limits.conf"
start_doorman "$bin" "$work/limits.conf" "$work/limits.log" $lport
mta limits "$work/limits.log" $lport
alive "doorman alive after the memory and thread checks" "$work/limits.log"
stop_doorman limits

# milter.max_connections
conf "inet:$lport@127.0.0.1" 600 "max_connections = 5;" >"$work/max.conf"
start_doorman "$bin" "$work/max.conf" "$work/max.log" $lport
mta maxconn "$work/max.log" $lport
alive "doorman alive after refusing over max_connections" "$work/max.log"
stop_doorman maxconn

# 64 file descriptors, and no privilege to raise the hard limit
conf "inet:$lport@127.0.0.1" 600 >"$work/fd.conf"
"$bin" -n -c "$work/fd.conf" || die "doorman -n rejected $work/fd.conf"
setpriv --bounding-set -sys_resource -- /bin/bash -c 'ulimit -n 64 && exec "$0" -f -c "$1"' \
	"$bin" "$work/fd.conf" 2>"$work/fd.log" &
DOORMAN_PID=$! DOORMAN_LOGFILE=$work/fd.log
wait_port 127.0.0.1 $lport 10 || { cat "$work/fd.log" >&2; die "doorman did not listen on $lport"; }
if log_has "$work/fd.log" 'milter.max_connections 1024 needs 1280 file descriptors, the limit is 64'; then
	ok "a descriptor limit below milter.max_connections is logged at start"
else
	not_ok "a descriptor limit below milter.max_connections is logged at start"
fi
mta fdlimit "$work/fd.log" $lport
alive "doorman alive after running out of descriptors" "$work/fd.log"
stop_doorman fdlimit

# every policy holds its rejections until RCPT
conf "inet:$port@127.0.0.1" 600 | sed -e '/^\tnodelay: {/,/^\t};/d' >"$work/late.conf"
start_doorman "$bin" "$work/late.conf" "$work/late.log" $port
mta late "$work/late.log"
alive "doorman alive after the held verdicts" "$work/late.log"
stop_doorman late

conf "inet:$port@127.0.0.1" 1 >"$work/idle.conf"
start_doorman "$bin" "$work/idle.conf" "$work/idle.log" $port
mta idle "$work/idle.log"
alive "doorman alive after closing an idle connection" "$work/idle.log"
stop_doorman idle

# unix sockets
sock=$work/doorman.sock
conf "unix:$sock" 600 >"$work/unix.conf"
/usr/bin/python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$sock"
start_doorman "$bin" "$work/unix.conf" "$work/unix.log" "$sock"
if /usr/bin/python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])" "$sock" 2>/dev/null; then
	ok "a stale unix socket is replaced"
else
	not_ok "a stale unix socket is replaced"
fi
out=$("$bin" -f -c "$work/unix.conf" 2>&1) && rc=0 || rc=$?
if [ "$rc" = 1 ] && grep -q "another process listens on it" <<<"$out"; then
	ok "a unix socket in use is refused"
else
	not_ok "a unix socket in use is refused: $out"
fi
stop_doorman unix
if [ ! -e "$sock" ]; then ok "the unix socket is removed at stop"; else not_ok "the unix socket is removed at stop"; fi
echo "not a socket" >"$sock"
out=$("$bin" -f -c "$work/unix.conf" 2>&1) && rc=0 || rc=$?
if [ "$rc" = 1 ] && grep -q "exists and is not a socket" <<<"$out" && [ "$(cat "$sock")" = "not a socket" ]; then
	ok "a file that is not a socket is refused and kept"
else
	not_ok "a file that is not a socket is refused and kept: $out"
fi
finish
