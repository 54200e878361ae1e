# common.sh - helpers for doorman's shell test suites (sourced).
#
# Counters and a closing "N passed, N failed" line; bounded waits; the
# doorman daemon started, and stopped and judged, around a suite.  Every
# wait here ends by itself: nothing may hang a CI run.
#
# Every doorman a suite starts with start_doorman is judged by
# stop_doorman: it must exit with status 0 within DOORMAN_STOP_BOUND
# seconds of SIGTERM, and its log, read only after it has exited (leaks
# and crashes at shutdown come last), must hold no sanitizer report.
# finish counts a doorman still running as a failure, so a suite cannot
# skip the judgement; kill_doorman (for EXIT traps, after a die) stops
# one without judging it.

T_PASSED=0
T_FAILED=0

# die MESSAGE - give up; counted as a failure, so the EXIT traps keep the
# work directory for a look
die() {
	T_FAILED=$((T_FAILED + 1))
	echo "FATAL: $*" >&2
	exit 1
}

ok() {
	T_PASSED=$((T_PASSED + 1))
	echo "ok - $*"
}

not_ok() {
	T_FAILED=$((T_FAILED + 1))
	echo "not ok - $*"
}

# finish - the closing line; exit status says whether all passed
finish() {
	if [ -n "${DOORMAN_PID:-}" ]; then
		not_ok "the doorman started with ${DOORMAN_LOGFILE:-?} was stopped and judged before the end"
		kill_doorman
	fi
	echo "$T_PASSED passed, $T_FAILED failed"
	[ "$T_FAILED" -eq 0 ] && [ "$T_PASSED" -gt 0 ]
}

# wait_port HOST PORT SECONDS - until something listens there
wait_port() {
	local host=$1 port=$2 secs=$3 i
	for i in $(seq 1 $((secs * 20))); do
		if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# wait_file FILE SECONDS
wait_file() {
	local f=$1 secs=$2 i
	for i in $(seq 1 $((secs * 20))); do
		[ -s "$f" ] && return 0
		sleep 0.05
	done
	return 1
}

# pid_alive PID - the process exists and has not exited (a child that has
# exited but is not yet reaped still answers kill -0: look at its state)
pid_alive() {
	local st
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# How long a doorman may take to exit after SIGTERM: the daemon's own
# bound for commands still under way is 10 s (then it exits 1, which the
# judgement catches anyway); an idle stop takes 0.1-0.2 s in either build,
# so 12 s is the bound with a margin for a loaded 2-core machine.  The time
# taken is printed with each judgement.
DOORMAN_STOP_BOUND=${DOORMAN_STOP_BOUND:-12}

# sanitizer_report LOG - print the sanitizer lines of LOG, if any (true then)
sanitizer_report() {
	grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer' \
		"$1" 2>/dev/null | head -20 | grep .
}

# start_doorman BIN CONF LOG PORT|SOCKET_PATH [HOST] - foreground doorman,
# stderr to LOG; returns once this process (DOORMAN_PID) has logged that
# it listens and is still alive, and the port (on HOST, default 127.0.0.1)
# or socket answers: something else listening there, or a doorman that
# dies on its first connection, is a failure to start, not a start.
# DOORMAN_ENGINE=libmilter (or native) sets milter.engine in CONF first:
# how the suites run a second time against the other engine.
start_doorman() {
	local bin=$1 conf=$2 log=$3 where=$4 host=${5:-127.0.0.1} i
	set_engine "$conf"
	"$bin" -n -c "$conf" || die "doorman -n rejected $conf"
	"$bin" -f -c "$conf" 2>"$log" &
	DOORMAN_PID=$!
	DOORMAN_LOGFILE=$log
	# 20 s: the sanitizer build on a loaded 2-core machine starts in ~1 s
	for i in $(seq 1 400); do
		pid_alive "$DOORMAN_PID" || break
		grep -q ' listening on ' "$log" && break
		sleep 0.05
	done
	if ! pid_alive "$DOORMAN_PID" || ! grep -q ' listening on ' "$log"; then
		cat "$log" >&2
		kill_doorman
		die "doorman ($conf) did not start: not alive, or no 'listening on' line in its log"
	fi
	case $where in
	/*) [ -S "$where" ] || { cat "$log" >&2; kill_doorman; die "doorman did not make $where"; } ;;
	*) wait_port "$host" "$where" 10 || { cat "$log" >&2; kill_doorman; die "doorman did not listen on $host $where"; } ;;
	esac
	pid_alive "$DOORMAN_PID" || { cat "$log" >&2; die "doorman died as it was first reached on $where"; }
}

# set_engine CONF - milter.engine = $DOORMAN_ENGINE in CONF, if that is
# set: the engine setting CONF has (a shipped policy), else one beside its
# socket setting
set_engine() {
	[ -n "${DOORMAN_ENGINE:-}" ] || return 0
	if grep -q 'engine = "' "$1"; then
		sed -i "s/engine = \"[^\"]*\"/engine = \"$DOORMAN_ENGINE\"/" "$1"
	else
		sed -i "0,/socket = /s//engine = \"$DOORMAN_ENGINE\"; socket = /" "$1"
	fi
	grep -q "engine = \"$DOORMAN_ENGINE\"" "$1" || die "no milter socket setting in $1"
}

# stop_bg PID - stop a server this shell started in the background
stop_bg() {
	if [ -n "${1:-}" ]; then
		kill "$1" 2>/dev/null || true
		wait "$1" 2>/dev/null || true
	fi
}

# judge_stop NAME PID LOG - SIGTERM the doorman PID (a child of this shell)
# and judge it: it exits within DOORMAN_STOP_BOUND s with status 0, and
# LOG, read after the exit, has no sanitizer report.  Two checks counted.
judge_stop() {
	local name=$1 pid=$2 log=$3 t0 t1 secs rc i
	t0=$(date +%s.%N)
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 $((DOORMAN_STOP_BOUND * 20))); do
		pid_alive "$pid" || break
		sleep 0.05
	done
	t1=$(date +%s.%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	if pid_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		not_ok "$name: doorman did not exit within ${DOORMAN_STOP_BOUND} s of SIGTERM (killed)"
	else
		wait "$pid" && rc=0 || rc=$?
		if [ "$rc" = 0 ]; then
			ok "$name: doorman exited with status 0 after SIGTERM (in $secs s)"
		else
			not_ok "$name: doorman exited with status $rc after SIGTERM (in $secs s)"
			tail -20 "$log" >&2
		fi
	fi
	if sanitizer_report "$log" >&2; then
		not_ok "$name: sanitizer report in the doorman log (above)"
	else
		ok "$name: no sanitizer report in the doorman log, read after exit"
	fi
}

# stop_doorman [NAME] - stop and judge the doorman start_doorman started
stop_doorman() {
	local pid=${DOORMAN_PID:-}
	[ -n "$pid" ] || return 0
	DOORMAN_PID=
	judge_stop "${1:-doorman}" "$pid" "$DOORMAN_LOGFILE"
}

# kill_doorman - stop it unjudged (EXIT traps: the suite already failed, or
# finish counted the missing judgement)
kill_doorman() {
	stop_bg "${DOORMAN_PID:-}"
	DOORMAN_PID=
}

# log_has LOG REGEX - some line of LOG matches the extended regex
log_has() {
	grep -Eq -- "$2" "$1"
}

# reload_and_wait LOG PID N - send PID SIGUSR1 and wait (5 s at most) for
# the Nth "reload: ... loaded|not loaded" line of LOG; 1 when it never came
reload_and_wait() {
	kill -USR1 "$2"
	for _ in $(seq 1 100); do
		[ "$(grep -cE 'reload: .* (loaded|not loaded)' "$1")" -ge "$3" ] && return 0
		sleep 0.05
	done
	echo "no reload line" >&2
	return 1
}
