#!/bin/bash
# cli.t.sh BUILD_DIR - the daemon as a postmaster runs it: options, exit
# codes, refusing an invalid policy, detaching, the pid file, dropping to
# milter.user, a unix socket the MTA's group can use, reload and stop.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: cli.t.sh BUILD_DIR}" && pwd)
top=$here/../..
. "$here/../lib/common.sh"
bin=$build/milter/doorman
work=$(mktemp -d /tmp/doorman-cli.XXXXXX)
chmod 755 "$work"
cleanup() {
	[ -f "$work/doorman.pid" ] && kill "$(cat "$work/doorman.pid")" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

check() { # NAME COMMAND...: the command succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# options and exit codes
check "-V prints the version" bash -c "'$bin' -V | grep -qE '^doorman [0-9]+\.[0-9]+'"
check "-D lists every setting" bash -c "'$bin' -D | grep -q '^policies.NAME.relay.reply'"
check "bad option exits 2" bash -c "'$bin' -x >/dev/null 2>&1; [ \$? -eq 2 ]"
for p in "$top"/policies/*.conf; do
	check "-n accepts shipped $(basename "$p")" "$bin" -n -c "$p"
done

cat >"$work/bad.conf" <<CONF
milter: { socket = "inet:17301@127.0.0.1"; };
policies: { p: { helo: { fqdn = "maybe"; }; relay: { reply = "250 2.0.0 ok"; }; }; };
CONF
out=$("$bin" -n -c "$work/bad.conf" 2>&1) && rc=0 || rc=$?
check "-n refuses an invalid policy with exit 1" test "$rc" = 1
check "-n gives file:line for each error" bash -c "grep -q '^$work/bad.conf:2: helo.fqdn: unknown action' <<<'$out' &&
	grep -q '^$work/bad.conf:2: reply code 250 is not a 4xx or 5xx code' <<<'$out'"

# an invalid policy never runs: exit 1, nothing listens
out=$("$bin" -f -c "$work/bad.conf" 2>&1) && rc=0 || rc=$?
check "an invalid policy is not started" test "$rc" = 1
check "and says why" bash -c "grep -q 'not starting with an invalid policy' <<<'$out'"
check "nothing listens on its socket" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/17301) 2>/dev/null"

# lib/ never includes libmilter
check "lib/ does not include libmilter" bash -c "! grep -rlE '#[[:space:]]*include[[:space:]]*<libmilter' '$top/lib'"

# a unix socket with each engine (milter.engine): a live one is refused,
# it is removed at a stop, a stale one is replaced
for engine in native libmilter; do
	cat >"$work/u.conf" <<CONF
milter: { engine = "$engine"; socket = "unix:$work/u.sock"; user = ""; pidfile = ""; };
domains: { local = [ "example.org" ]; };
policies: { p: { }; };
CONF
	for stale in no yes; do
		[ $stale = yes ] && /usr/bin/python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$work/u.sock"
		"$bin" -f -c "$work/u.conf" 2>"$work/u.log" &
		upid=$!
		# the socket listens from the bind on; the log line says it serves
		for _ in $(seq 1 200); do
			grep -q "listening on unix:$work/u.sock" "$work/u.log" && break
			sleep 0.1
		done
		up=no
		/usr/bin/python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' \
			"$work/u.sock" 2>/dev/null && up=yes
		check "$engine: accepts on its unix socket (stale one there before: $stale)" \
			bash -c "[ $up = yes ] && grep -q 'listening on unix:$work/u.sock, .*engine $engine' '$work/u.log'"
		if [ $stale = no ]; then
			out=$("$bin" -f -c "$work/u.conf" 2>&1) && rc=0 || rc=$?
			check "$engine: a second doorman on the live socket is refused" \
				bash -c "[ $rc = 1 ] && grep -q 'u.sock: another process listens on it' <<<'$out'"
		fi
		kill -TERM "$upid"
		wait "$upid" && rc=0 || rc=$?
		check "$engine: stops on SIGTERM with exit 0" test "$rc" = 0
		check "$engine: its unix socket is removed at the stop" test ! -e "$work/u.sock"
	done
done

# detached, as the configured user, with a pid file and a unix socket
if getent passwd doorman >/dev/null && [ "$(id -u)" = 0 ]; then
	cat >"$work/d.conf" <<CONF
milter: { socket = "unix:$work/doorman.sock"; user = "doorman"; pidfile = "$work/doorman.pid"; };
domains: { local = [ "example.org" ]; };
policies: { p: { }; };
CONF
	check "starts and detaches" "$bin" -c "$work/d.conf"
	check "writes its pid file" wait_file "$work/doorman.pid" 10
	pid=$(cat "$work/doorman.pid")
	for _ in $(seq 1 50); do [ -S "$work/doorman.sock" ] && break; sleep 0.1; done
	check "runs as milter.user" bash -c "[ \"\$(ps -o user= -p $pid)\" = doorman ]"
	check "no privileges left" bash -c "grep -qE '^Uid:[[:space:]]+$(id -u doorman)[[:space:]]+$(id -u doorman)[[:space:]]+$(id -u doorman)' /proc/$pid/status"
	check "the unix socket belongs to milter.user" bash -c "[ \"\$(stat -c %U '$work/doorman.sock')\" = doorman ]"
	check "the unix socket is not world-writable" bash -c "[ \$(( 0\$(stat -c %a '$work/doorman.sock') & 2 )) -eq 0 ]"
	kill -USR1 "$pid"
	sleep 0.3
	check "survives a reload" kill -0 "$pid"
	kill -TERM "$pid"
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	check "stops on SIGTERM" bash -c "! kill -0 $pid 2>/dev/null"
	rm -f "$work/doorman.pid"
	# a start that fails after detaching (here: the pid file) exits 1, not 0
	sed "s|pidfile = \"$work/doorman.pid\"|pidfile = \"$work/no/such/dir/doorman.pid\"|" \
		"$work/d.conf" >"$work/late-fail.conf"
	"$bin" -c "$work/late-fail.conf" >/dev/null 2>&1 && rc=0 || rc=$?
	check "a detached start that fails exits 1" test "$rc" = 1
	check "and leaves nothing listening" bash -c "! [ -S '$work/doorman.sock' ] ||
		! /usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' '$work/doorman.sock' 2>/dev/null"
else
	not_ok "daemon mode needs root and the doorman user (t/install-deps.sh)"
fi
finish
