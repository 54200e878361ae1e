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

# sink_has DIR RCPT SECONDS - a message for RCPT reached the sink
sink_has() {
	local dir=$1 rcpt=$2 secs=$3 i
	for i in $(seq 1 $((secs * 10))); do
		if grep -qsiF -- "$rcpt" "$dir"/msg.* 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
