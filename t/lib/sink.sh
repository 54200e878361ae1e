# sink.sh - smtp-sink from the postfix package, one file per message (sourced)

# sink_start DIR PORT - messages land in DIR/msg.*
sink_start() {
	local dir=$1 port=$2
	mkdir -p "$dir"
	chmod 777 "$dir"
	# -d: one file per transaction; -u: drop root; 100: backlog
	smtp-sink -u postfix -d "$dir/msg.%H%M%S." "127.0.0.1:$port" 100 &
	SINK_PID=$!
	wait_port 127.0.0.1 "$port" 10 || die "smtp-sink did not listen on $port"
}

sink_stop() {
	stop_bg "${SINK_PID:-}"
	SINK_PID=
}

# smtp-sink writes each message with its envelope first: one
# "X-Rcpt-Args: <rcpt>" line per RCPT TO, then the message as received.

# sink_has DIR RCPT SECONDS - a message for the envelope recipient RCPT
# (not a To: header that names it) reached the sink, in any of its files
sink_has() {
	local dir=$1 rcpt=$2 secs=$3 i
	for i in $(seq 0 $((secs * 10))); do
		if grep -qsiF -- "X-Rcpt-Args: <$rcpt>" "$dir"/msg.* 2>/dev/null; then
			return 0
		fi
		[ "$i" -lt $((secs * 10)) ] && sleep 0.1
	done
	return 1
}

# sink_has_line DIR LINE SECONDS - some message in the sink has the whole
# line LINE (a header field such as "X-Test-Id: x")
sink_has_line() {
	local dir=$1 line=$2 secs=$3 i
	for i in $(seq 0 $((secs * 10))); do
		if grep -qxF -- "$line" <<<"$(cat "$dir"/msg.* 2>/dev/null | tr -d '\r')"; then
			return 0
		fi
		[ "$i" -lt $((secs * 10)) ] && sleep 0.1
	done
	return 1
}

# sink_file DIR LINE - the sink files that have the whole line LINE
sink_file() {
	local f
	for f in "$1"/msg.*; do
		[ -f "$f" ] && grep -qxF -- "$2" <<<"$(tr -d '\r' <"$f")" && echo "$f"
	done
	return 0
}
