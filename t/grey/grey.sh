# grey.sh - helpers of the greylisting suites (t/grey/*.t.sh; sourced after
# t/lib/common.sh, sink.sh and t/mta/scenarios.sh)

# grey_conf OUT MILTER_PORT STORE STORE_FAILURE - a policy from
# t/grey/doorman.conf.in: STORE is the inside of the store block
grey_conf() {
	sed -e "s|@MILTER_PORT@|$2|g" -e "s|@STORE@|$3|g" -e "s|@STORE_FAILURE@|$4|g" \
		"$(dirname "${BASH_SOURCE[0]}")/doorman.conf.in" >"$1"
}

# grey_workdir_end DIR FILE... - at a suite's exit: when something failed
# (or KEEP is set) the tail of each FILE (relative to DIR) and DIR kept
# for a look, else DIR removed
grey_workdir_end() {
	local dir=$1 f
	shift
	if [ "$T_FAILED" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		for f in "$@"; do
			echo "--- $f"; tail -30 "$dir/$f" 2>/dev/null
		done
		echo "(work directory kept: $dir)"
	else
		rm -rf "$dir"
	fi
}

# redis_start DIR PORT - a private redis-server on 127.0.0.1:PORT without
# persistence (nothing written to disk); REDIS_PID.  Started again by the
# same call after redis_stop.
redis_start() {
	local dir=$1 port=$2
	command -v redis-server >/dev/null || die "redis-server missing: run t/install-deps.sh"
	mkdir -p "$dir"
	redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$dir" \
		--logfile "$dir/redis.log" &
	REDIS_PID=$!
	wait_port 127.0.0.1 "$port" 10 || die "redis-server did not listen on $port"
}

# redis_stop PORT - stop it and wait until nothing listens there
redis_stop() {
	local i
	stop_bg "${REDIS_PID:-}"
	REDIS_PID=
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || return 0
		sleep 0.05
	done
	die "redis-server still listening on $1"
}

# sink_msgids SINKDIR - "COUNT MSGID" for each Message-ID in the sink
sink_msgids() {
	cat "$1"/msg.* 2>/dev/null | tr -d '\r' | sed -n 's/^[Mm][Ee][Ss][Ss][Aa][Gg][Ee]-[Ii][Dd]: *//p' |
		sort | uniq -c || true
}

# msgid_count SINKDIR MSGID - how many messages in the sink have that Message-ID
msgid_count() {
	sink_msgids "$1" | awk -v m="$2" '$2 == m { n = $1 } END { print n + 0 }'
}

# load_judge NAME RESULTS SINKDIR - every message load.py saw accepted (250)
# reached the sink exactly once (waiting up to 30 s for the MTA's queue),
# every other one got a 4xx (never a 5xx, never a broken session) and never
# arrived.  LOAD_ACC and LOAD_TMP: how many got 250, how many a 4xx.
load_judge() {
	local name=$1 res=$2 sink=$3 acc tmp bad missing i
	acc=$(awk '$2 == 250' "$res" | wc -l)
	tmp=$(awk '$2 ~ /^4[0-9][0-9]$/' "$res" | wc -l)
	bad=$(awk '$2 != 250 && $2 !~ /^4[0-9][0-9]$/' "$res" | tee /dev/stderr | wc -l)
	if [ "$bad" -eq 0 ] && [ $((acc + tmp)) -gt 0 ]; then
		ok "$name: $((acc + tmp)) messages, $acc got 250 and $tmp a 4xx, none a 5xx or no reply"
	else
		not_ok "$name: $bad of $((acc + tmp + bad)) messages got neither 250 nor a 4xx (above)"
	fi
	# the accepted ones reach the sink (bounded: the MTA delivers at once)
	for i in $(seq 1 300); do
		sink_msgids "$sink" >"$res.sink"
		missing=$(awk 'NR == FNR { seen[$2] = 1; next } $2 == 250 && !($1 in seen)' \
			"$res.sink" "$res" | wc -l)
		[ "$missing" -eq 0 ] && break
		sleep 0.1
	done
	# then each: 250 and there once, or refused and not there
	bad=$(awk 'NR == FNR { n[$2] = $1; next }
		($2 == 250 && n[$1] != 1) || ($2 != 250 && n[$1] + 0 != 0) {
			print "  " $1 " got " $2 ", " n[$1] + 0 " times in the sink" }' \
		"$res.sink" "$res" | tee /dev/stderr | wc -l)
	if [ "$bad" -eq 0 ]; then
		ok "$name: each of the $acc accepted messages in the sink exactly once, no refused one"
	else
		not_ok "$name: $bad messages delivered other than once if accepted, or delivered though refused"
	fi
	LOAD_ACC=$acc LOAD_TMP=$tmp
}

# postfix_stop_all DIR... - stop these Postfix instances (t/lib/postfix.sh
# POSTFIX_DIR values; empty ones skipped) together, bounded like postfix_stop
postfix_stop_all() {
	local d i pids=()
	for d in "$@"; do
		[ -n "$d" ] && [ -f "$d/queue/pid/master.pid" ] || continue
		postfix -c "$d/etc" stop >/dev/null 2>&1 &
		pids+=($!)
	done
	[ ${#pids[@]} -eq 0 ] || wait "${pids[@]}" || true
	for d in "$@"; do
		[ -n "$d" ] || continue
		for i in $(seq 1 50); do
			[ -f "$d/queue/pid/master.pid" ] || break
			kill -0 "$(tr -d ' ' <"$d/queue/pid/master.pid")" 2>/dev/null || break
			sleep 0.1
		done
	done
}
