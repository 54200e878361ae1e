#!/bin/sh
# notify.t.sh BUILD_DIR - sd_notify(3) as systemd sees it (the unit's
# Type=notify), with each engine: READY=1 only once the milter socket
# accepts, RELOADING=1 then READY=1 around a SIGUSR1 reload, STOPPING=1 at
# a stop.  NOTIFY_SOCKET is a datagram socket of the test's, as systemd
# makes one (notify-listen.py); without it the same calls do nothing
# (every other suite runs doorman so).  About a second; run in the normal
# and the ASan build.
set -eu
bin=$1/milter/doorman
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/doorman-notify.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }

for engine in native libmilter; do
	rm -f "$work/notify" "$work/notify.out" "$work/u.sock"
	cat >"$work/u.conf" <<CONF
milter: { engine = "$engine"; socket = "unix:$work/u.sock"; user = ""; pidfile = ""; };
domains: { local = [ "example.org" ]; };
policies: { p: { }; };
CONF
	# each message, and whether the milter socket accepted when it came
	"$here/notify-listen.py" "$work/notify" "$work/u.sock" >"$work/notify.out" 2>&1 &
	npy=$!
	for _ in $(seq 1 50); do [ -S "$work/notify" ] && break; sleep 0.1; done
	NOTIFY_SOCKET=$work/notify "$bin" -f -c "$work/u.conf" 2>"$work/u.log" &
	pid=$!
	for _ in $(seq 1 100); do grep -q "^READY=1" "$work/notify.out" && break; sleep 0.1; done
	kill -USR1 "$pid"
	for _ in $(seq 1 100); do [ "$(grep -c "^READY=1" "$work/notify.out")" -ge 2 ] && break; sleep 0.1; done
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	wait "$npy" || true
	# the messages in order, one a line
	got=$(cut -d' ' -f1 "$work/notify.out" | tr '\n' ' ')
	if [ "$got" = "READY=1 RELOADING=1 READY=1 STOPPING=1 " ] && [ "$rc" = 0 ]; then
		ok "$engine: READY=1, RELOADING=1, READY=1, STOPPING=1 (exit $rc)"
	else
		not_ok "$engine: messages '$got', exit $rc"
		cat "$work/notify.out" "$work/u.log"
	fi
	if grep "^READY=1" "$work/notify.out" | head -1 | grep -q " accepting$"; then
		ok "$engine: READY=1 once the socket accepts"
	else
		not_ok "$engine: READY=1 before the socket accepts"
	fi
done
[ "$fails" -eq 0 ]
