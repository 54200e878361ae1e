# common.sh - helpers for doorman's shell test suites (sourced).
#
# Counters and a closing "N passed, N failed" line; bounded waits; the
# doorman daemon started and stopped around a suite.  Every wait here ends
# by itself: nothing may hang a CI run.

T_PASSED=0
T_FAILED=0

die() {
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

# start_doorman BIN CONF LOG PORT - foreground doorman, stderr to LOG.
# DOORMAN_ENGINE=libmilter (or native) sets milter.engine in CONF first:
# how the suites run a second time against the other engine.
start_doorman() {
	local bin=$1 conf=$2 log=$3 port=$4
	set_engine "$conf"
	"$bin" -n -c "$conf" || die "doorman -n rejected $conf"
	"$bin" -f -c "$conf" 2>"$log" &
	DOORMAN_PID=$!
	wait_port 127.0.0.1 "$port" 10 || { cat "$log" >&2; die "doorman did not listen on $port"; }
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

stop_doorman() {
	stop_bg "${DOORMAN_PID:-}"
	DOORMAN_PID=
}

# log_has LOG REGEX - some line of LOG matches the extended regex
log_has() {
	grep -Eq -- "$2" "$1"
}
