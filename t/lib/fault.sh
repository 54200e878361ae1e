# fault.sh - the fault tests' own helpers (sourced after common.sh)
#
# What a fault test measures of doorman and of the mail that went through:
#   proc_usage PID           "RSS_KB THREADS FDS" from /proc/PID/status and fd/
#   within_bounds NAME PID MAX_RSS_KB MAX_THREADS MAX_FDS
#   account NAME OUT SINKDIR [SECONDS]
#                            the accounting rule over one load run
#   recovery OUT T_BACK      seconds from T_BACK (the fault's end) to the end
#                            of the last attempt not answered 250
#   relay_attempt PORT CLIENT FROM TO
#                            every reply a stranger's relay attempt gets,
#                            with the command it answered
#   stopped_within PID SECONDS
#                            waits for a process of this shell to end; true if
#                            it did within SECONDS (DOORMAN_RC: its status)
# t/fault/faultclient.py writes OUT: "ID START END CODE STAGE TEXT" per message.
# Every wait here has a bound.

FAULT_CLIENT=$(dirname "${BASH_SOURCE[0]}")/../fault/faultclient.py

now() { date +%s.%N; }

# elapsed T0 [T1] - seconds between two `now` readings, 2 decimals
elapsed() {
	awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.2f", b - a }'
}

# le A B - A <= B, as decimals
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

proc_usage() {
	local pid=$1 rss threads fds
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	threads=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	echo "${rss:-0} ${threads:-0} $fds"
}

within_bounds() {
	local name=$1 pid=$2 mrss=$3 mthr=$4 mfds=$5 rss thr fds
	read -r rss thr fds < <(proc_usage "$pid")
	if [ "$rss" -gt 0 ] && [ "$rss" -le "$mrss" ] && [ "$thr" -le "$mthr" ] && [ "$fds" -le "$mfds" ]; then
		ok "$name: doorman RSS ${rss} KB <= $mrss, threads $thr <= $mthr, fds $fds <= $mfds"
	else
		not_ok "$name: doorman RSS ${rss} KB (max $mrss), threads $thr (max $mthr), fds $fds (max $mfds)"
	fi
}

# sink_ids SINKDIR - the Subject (a message's identity) of every message
# in the sink, one a line, repeated as often as it was delivered
sink_ids() {
	find "$1" -maxdepth 1 -name 'msg.*' -type f -print0 2>/dev/null |
		xargs -0 -r awk '/^Subject: / { print $2; nextfile }'
}

# account NAME OUT SINKDIR [SECONDS] - the accounting rule: every message
# answered 250 reaches the sink exactly once (waiting up to SECONDS, 30 by
# default, for the queue), no other message reaches it, every other answer
# is a 4xx; no 5xx, no connection lost without a reply.  Prints the counts.
# Sets ACC_250 and ACC_4XX for the caller's own checks.
account() {
	local name=$1 out=$2 sink=$3 secs=${4:-30} i prefix missing
	prefix=$(awk 'NR == 1 { sub(/-[0-9]+-[0-9]+$/, "", $1); print $1 }' "$out")
	ACC_250=$(awk '$4 == "250"' "$out" | wc -l)
	ACC_4XX=$(awk '$4 ~ /^4/' "$out" | wc -l)
	for i in $(seq 1 $((secs * 5))); do
		missing=$(awk '$4 == "250" { print $1 }' "$out" | sort |
			comm -23 - <(sink_ids "$sink" | sort -u) | wc -l)
		[ "$missing" -eq 0 ] && break
		sleep 0.2
	done
	local total bad other dup extra
	total=$(wc -l <"$out")
	bad=$(awk '$4 !~ /^(250|4[0-9][0-9])$/' "$out")
	dup=$(sink_ids "$sink" | grep -E -- "^$prefix-[0-9]+-[0-9]+$" | sort | uniq -d | head -3)
	extra=$(sink_ids "$sink" | grep -E -- "^$prefix-[0-9]+-[0-9]+$" | sort -u |
		comm -23 - <(awk '$4 == "250" { print $1 }' "$out" | sort) | head -3)
	other=$(printf '%s\n' "$bad" | grep -c . || true)
	echo "# $name: $total attempts, $ACC_250 answered 250, $ACC_4XX answered 4xx, $other other"
	if [ "$total" -gt 0 ] && [ "$other" -eq 0 ]; then
		ok "$name: every reply is 250 or 4xx (no 5xx, no connection lost)"
	else
		not_ok "$name: $other replies neither 250 nor 4xx: $(printf '%s\n' "$bad" | head -3)"
	fi
	if [ "$missing" -eq 0 ] && [ -z "$dup" ] && [ -z "$extra" ]; then
		ok "$name: all $ACC_250 messages answered 250 reached the sink once, no other did"
	else
		not_ok "$name: $missing answered 250 but not delivered; delivered twice: ${dup:-none}; delivered without 250: ${extra:-none}"
	fi
}

# recovery OUT T_BACK - seconds from T_BACK to the end of the last attempt
# not answered 250 (0 when none ended after it)
recovery() {
	awk -v t="$2" '$4 != "250" && $3 > t && $3 - t > r { r = $3 - t } END { printf "%.2f", r + 0 }' "$1"
}

# stopped_within PID SECONDS
stopped_within() {
	local pid=$1 secs=$2 i
	for i in $(seq 1 $((secs * 20))); do
		if ! kill -0 "$pid" 2>/dev/null; then
			DOORMAN_RC=0
			wait "$pid" || DOORMAN_RC=$?
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# relay_attempt PORT CLIENT FROM TO - a whole transaction by swaks from
# CLIENT; prints each reply from MAIL FROM on as "COMMAND REPLY" (COMMAND:
# MAIL, RCPT, DATA, QUIT, or "dot" for the end of the message)
relay_attempt() {
	timeout 60 swaks --server "127.0.0.1:$1" --local-interface "$2" --ehlo stranger.fault.test \
		--from "$3" --to "$4" --timeout 40 --header "Subject: relay attempt" 2>&1 |
		awk '/^ *-> / { c = $2; if (c !~ /^(MAIL|RCPT|DATA|QUIT)$/) c = "dot"; if (c == "MAIL") on = 1 }
		     on && /^ *<[-*]+ / { sub(/^ *<[-*]+ */, ""); print c, $0 }' || true
}
