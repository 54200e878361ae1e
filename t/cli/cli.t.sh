#!/bin/bash
# cli.t.sh BUILD_DIR - the daemon as a postmaster runs it: options, exit
# codes, refusing an invalid policy, detaching, the pid file, dropping to
# milter.user, a unix socket the MTA's group can use, reload and stop (in
# under a second); the unix socket against a local attacker: a shared
# directory refused, a symlink swapped in before the chown, a live socket
# of another user kept, only doorman's own socket removed at stop.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: cli.t.sh BUILD_DIR}" && pwd)
top=$here/../..
. "$here/../lib/common.sh"
bin=$build/milter/doorman
work=$(mktemp -d /tmp/doorman-cli.XXXXXX)
chmod 755 "$work"
cleanup() {
	[ -f "$work/run/doorman.pid" ] && kill "$(cat "$work/run/doorman.pid")" 2>/dev/null || true
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
# the shipped submission policy signs BATV with the example key of
# policies/batv.keys: loaded, with a warning; a key of one's own, none
out=$("$bin" -n -c "$top/policies/submission.conf" 2>&1)
check "the example BATV key is named in a warning" bash -c "grep -q 'batv.keys: the signing key is the example shipped with doorman' <<<'$out'"
mkdir -p "$work/ownkey"
cp "$top"/policies/* "$work/ownkey/"
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$work/ownkey/batv.keys"
out=$("$bin" -n -c "$work/ownkey/submission.conf" 2>&1)
check "a key of one's own: no warning" bash -c "! grep -q 'example shipped' <<<'$out'"

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
milter: { engine = "$engine"; socket = "unix:$work/u.sock"; user = ""; pidfile = "";
	  socket_group = "doorman"; socket_mode = "0660"; };
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
			# milter.user empty (root's socket): the group and mode still
			# let the MTA's user in when it joins the group, and no one else
			check "$engine: the socket is root:doorman with milter.socket_mode 0660" \
				bash -c "[ \"\$(stat -c %U:%G:%a '$work/u.sock')\" = root:doorman:660 ]"
			connect='import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])'
			check "$engine: a user in milter.socket_group connects (the postfix user)" \
				setpriv --reuid nobody --regid nogroup --groups doorman /usr/bin/python3 -c "$connect" "$work/u.sock"
			check "$engine: a user outside the group is refused (Permission denied)" \
				bash -c "setpriv --reuid nobody --regid nogroup --clear-groups /usr/bin/python3 -c '$connect' '$work/u.sock' 2>&1 | grep -q PermissionError"
			out=$("$bin" -f -c "$work/u.conf" 2>&1) && rc=0 || rc=$?
			check "$engine: a second doorman on the live socket is refused" \
				bash -c "[ $rc = 1 ] && grep -q 'u.sock: another process listens on it' <<<'$out'"
		fi
		kill -TERM "$upid"
		wait "$upid" && rc=0 || rc=$?
		check "$engine: stops on SIGTERM with exit 0" test "$rc" = 0
		if sanitizer_report "$work/u.log" >&2; then
			not_ok "$engine: sanitizer report in its log (above), read after exit"
		else
			ok "$engine: no sanitizer report in its log, read after exit"
		fi
		check "$engine: its unix socket is removed at the stop" test ! -e "$work/u.sock"
	done
done

# detached, as the configured user, with a pid file and a unix socket
if getent passwd doorman >/dev/null && [ "$(id -u)" = 0 ]; then
	cat >"$work/d.conf" <<CONF
milter: { socket = "unix:$work/doorman.sock"; user = "doorman"; pidfile = "$work/run/doorman.pid"; };
domains: { local = [ "example.org" ]; };
policies: { p: { }; };
CONF
	# the detached daemon is judged like every other doorman: its exit
	# status through a subreaper (reaper.py: it is handed there, not to
	# pid 1), sanitizer reports through log_path (stderr is gone once it
	# detaches), in a folder milter.user may write
	mkdir -m 1777 "$work/san"
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$work/san/asan" \
	UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:log_path=$work/san/ubsan" \
		/usr/bin/python3 "$here/../lib/reaper.py" "$work/reaped" "$bin" -c "$work/d.conf" &
	reaper=$!
	wait_file "$work/reaped" 10 || true
	check "starts and detaches (exit 0)" bash -c "[ \"\$(head -1 '$work/reaped' | cut -d' ' -f2)\" = 0 ]"
	check "writes its pid file" wait_file "$work/run/doorman.pid" 10
	check "in a directory it made for milter.user" bash -c "[ \"\$(stat -c %U:%a '$work/run')\" = doorman:750 ]"
	pid=$(cat "$work/run/doorman.pid")
	for _ in $(seq 1 50); do [ -S "$work/doorman.sock" ] && break; sleep 0.1; done
	check "runs as milter.user" bash -c "[ \"\$(ps -o user= -p $pid)\" = doorman ]"
	check "no privileges left" bash -c "grep -qE '^Uid:[[:space:]]+$(id -u doorman)[[:space:]]+$(id -u doorman)[[:space:]]+$(id -u doorman)' /proc/$pid/status"
	check "the unix socket belongs to milter.user and its group, mode 0660" \
		bash -c "[ \"\$(stat -c %U:%G:%a '$work/doorman.sock')\" = doorman:doorman:660 ]"
	check "the unix socket is not world-writable" bash -c "[ \$(( 0\$(stat -c %a '$work/doorman.sock') & 2 )) -eq 0 ]"
	kill -USR1 "$pid"
	sleep 0.3
	check "survives a reload" kill -0 "$pid"
	t0=$(date +%s%N)
	kill -TERM "$pid"
	for _ in $(seq 1 1000); do grep -q "^$pid " "$work/reaped" && break; sleep 0.01; done
	ms=$((($(date +%s%N) - t0) / 1000000))
	check "stops on SIGTERM with exit 0" grep -qx "$pid 0" "$work/reaped"
	check "an idle doorman stops in under a second ($ms ms)" test "$ms" -lt 1000
	wait "$reaper" || true
	if ls "$work/san" | grep -q .; then
		cat "$work"/san/* >&2
		not_ok "the detached doorman: sanitizer report (above)"
	else
		ok "the detached doorman: no sanitizer report, read after exit"
	fi
	check "the pid file is removed at the stop (by milter.user)" test ! -e "$work/run/doorman.pid"
	# a start that fails after detaching (here: the pid file) exits 1, not 0
	sed "s|pidfile = \"$work/run/doorman.pid\"|pidfile = \"$work/no/such/dir/doorman.pid\"|" \
		"$work/d.conf" >"$work/late-fail.conf"
	"$bin" -c "$work/late-fail.conf" >/dev/null 2>&1 && rc=0 || rc=$?
	check "a detached start that fails exits 1" test "$rc" = 1
	check "and leaves nothing listening" bash -c "! [ -S '$work/doorman.sock' ] ||
		! /usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' '$work/doorman.sock' 2>/dev/null"

	# the unix socket and its directory (issue 14: a symlink swapped in
	# for the socket made root chown the link's target)
	sockconf() { # SOCKET USER PIDFILE > conf
		cat <<CONF
milter: { socket = "unix:$1"; user = "$2"; pidfile = "$3"; };
domains: { local = [ "example.org" ]; };
policies: { p: { }; };
CONF
	}
	mkdir "$work/shared" && chmod 1777 "$work/shared"
	sockconf "$work/shared/doorman.sock" doorman "" >"$work/shared.conf"
	out=$(timeout 5 "$bin" -f -c "$work/shared.conf" 2>&1) && rc=0 || rc=$?
	check "a socket directory every user may write is refused" bash -c "[ $rc = 1 ] &&
		grep -q 'socket directory $work/shared is writable by others (mode 1777)' <<<'$out'"
	check "and nothing is created there" test ! -e "$work/shared/doorman.sock"

	# the attacker's swap, made between the bind and the chown: the pid
	# file is a FIFO, so doorman waits on it after binding until we read
	mkdir -m 755 "$work/swap"
	echo "root's file" >"$work/target" && chmod 644 "$work/target"
	mkfifo "$work/swap.pid"
	sockconf "$work/swap/doorman.sock" doorman "$work/swap.pid" >"$work/swap.conf"
	"$bin" -f -c "$work/swap.conf" 2>"$work/swap.log" &
	pid=$!
	for _ in $(seq 1 100); do [ -S "$work/swap/doorman.sock" ] && break; sleep 0.05; done
	rm -f "$work/swap/doorman.sock" && ln -s "$work/target" "$work/swap/doorman.sock"
	timeout 5 cat "$work/swap.pid" >/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		rc=running
	else
		wait "$pid" && rc=0 || rc=$?
	fi
	check "a symlink swapped in for the socket before the chown: the start fails" test "$rc" = 1
	check "and says why" grep -q "is no longer the socket doorman bound: not changing its owner" "$work/swap.log"
	check "and the link's target keeps its owner" bash -c "[ \"\$(stat -c %U '$work/target')\" = root ]"

	# a live socket doorman may not connect to is not removed
	mkdir -m 755 "$work/live" && chown doorman "$work/live"
	/usr/bin/python3 -c 'import os,socket,sys,time; os.umask(0o077); s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(30)' \
		"$work/live/doorman.sock" &
	py=$!
	for _ in $(seq 1 100); do [ -S "$work/live/doorman.sock" ] && break; sleep 0.05; done
	sockconf "$work/live/doorman.sock" "" "" >"$work/live.conf"
	chmod 644 "$work/live.conf"
	out=$(timeout 5 setpriv --reuid doorman --regid doorman --clear-groups "$bin" -f -c "$work/live.conf" 2>&1) && rc=0 || rc=$?
	check "a live socket of another user doorman may not connect to is not replaced" bash -c "[ $rc = 1 ] &&
		grep -q 'cannot tell whether it is in use (Permission denied): not replacing it' <<<'$out'"
	check "and is still there, still served" /usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])' "$work/live/doorman.sock"
	kill "$py" 2>/dev/null || true
	wait "$py" 2>/dev/null || true

	# at stop, only the socket doorman created is removed
	mkdir -m 755 "$work/ino"
	sockconf "$work/ino/doorman.sock" "" "" >"$work/ino.conf"
	"$bin" -f -c "$work/ino.conf" 2>"$work/ino.log" &
	pid=$!
	for _ in $(seq 1 100); do grep -q listening "$work/ino.log" && break; sleep 0.05; done
	rm -f "$work/ino/doorman.sock"
	/usr/bin/python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(30)' \
		"$work/ino/doorman.sock" &
	py=$!
	for _ in $(seq 1 100); do [ -S "$work/ino/doorman.sock" ] && break; sleep 0.05; done
	kill -TERM "$pid"
	wait "$pid" && rc=0 || rc=$?
	check "and doorman still stops with exit 0" test "$rc" = 0
	check "at stop, another process's socket at the path is left in place" /usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])' "$work/ino/doorman.sock"
	check "and that is logged" grep -q "$work/ino/doorman.sock is not the socket doorman bound: left in place" "$work/ino.log"
	if sanitizer_report "$work/ino.log" >&2; then
		not_ok "sanitizer report in its log (above), read after exit"
	else
		ok "no sanitizer report in its log, read after exit"
	fi
	kill "$py" 2>/dev/null || true
	wait "$py" 2>/dev/null || true
else
	not_ok "daemon mode needs root and the doorman user (t/install-deps.sh)"
fi
finish
