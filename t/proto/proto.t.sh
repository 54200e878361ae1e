#!/bin/bash
# proto.t.sh BUILD_DIR - doorman's own milter protocol engine (milter/proto.c)
# against a raw MTA end (mta.py): negotiation, batching, malformed and random
# packets, 300 connections at once, no replies before RCPT when every policy
# delays its rejections, the idle timeout, an alias rewrite an MTA that
# offers no recipient edits cannot take (a 451); then the unix socket:
# a stale one replaced, a live one or a plain file refused, removed at stop.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: proto.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
bin=$build/milter/doorman
port=17355
work=$(mktemp -d /tmp/doorman-proto.XXXXXX)
cleanup() {
	kill_doorman
	rm -rf "$work"
}
trap cleanup EXIT

conf() { # SOCKET TIMEOUT > conf
	sed -e "s|inet:@PORT@@127.0.0.1\"; user = \"\"; pidfile = \"\";|$1\"; user = \"\"; pidfile = \"\"; timeout = $2;|" \
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
mta() { # MODE LOG: mta.py's checks, counted here
	local line done=
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		"# all checks run") done=1 ;;
		*) echo "$line" ;;
		esac
	done < <(timeout 300 /usr/bin/python3 "$here/mta.py" $port "$2" "$1" 2>&1 || true)
	[ -n "$done" ] || not_ok "mta.py $1 ran to its end"
}

conf "inet:$port@127.0.0.1" 600 >"$work/inet.conf"
start_doorman "$bin" "$work/inet.conf" "$work/hostile.log" $port
mta hostile "$work/hostile.log"
alive "doorman alive after hostile input" "$work/hostile.log"
stop_doorman hostile

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

# an MTA that offers no recipient edits: an alias rewrite is a 451
sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$here/../miltertest|g" -e "s|@CALLOUT_PORT@|$((port + 1))|g" \
	"$here/../miltertest/conf/recipients.conf" >"$work/noedit.conf"
start_doorman "$bin" "$work/noedit.conf" "$work/noedit.log" $port
mta noedit "$work/noedit.log"
alive "doorman alive after the refused rewrite" "$work/noedit.log"
stop_doorman noedit

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
