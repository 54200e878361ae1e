# lib-e2e.sh - what the end-to-end benchmarks share (sourced after
# t/lib/common.sh and t/lib/postfix.sh, once postfix_start has run):
# bench/run-e2e.sh and bench/run-greylist.sh.
#
# They read the callers' msgs, sessions and smtp_port.

# postfix_set SETTING... - Postfix reloaded with each "name = value"
# SETTING; returns once master has logged the reload and every smtpd that
# ran before it (with the previous settings) has exited, so no message of
# the next row meets one
postfix_set() {
	local master n before pid i
	master=$(tr -d ' ' <"$POSTFIX_DIR/queue/pid/master.pid")
	before=$(pgrep -P "$master" -x smtpd || true)
	n=$(grep -c 'reload -- version' "$POSTFIX_DIR/maillog" || true)
	postconf -c "$POSTFIX_DIR/etc" -e "$@"
	postfix -c "$POSTFIX_DIR/etc" reload >/dev/null 2>&1
	for i in $(seq 1 200); do
		[ "$(grep -c 'reload -- version' "$POSTFIX_DIR/maillog" || true)" -gt "$n" ] && break
		sleep 0.05
	done
	[ "$(grep -c 'reload -- version' "$POSTFIX_DIR/maillog" || true)" -gt "$n" ] ||
		die "postfix did not log its reload"
	for pid in $before; do
		for i in $(seq 1 200); do pid_alive "$pid" || break; sleep 0.05; done
		pid_alive "$pid" && die "smtpd $pid still runs 10 s after the reload"
	done
	return 0
}

# row [SMTP-SOURCE OPTION...] - one row: msg/s as smtp-source sees it
# (every message accepted: any complaint of smtp-source fails the run)
row() {
	local t0 t1 out
	t0=$(date +%s.%N)
	out=$(timeout 300 smtp-source -s "$sessions" -m "$msgs" -M goodhelo.auth.test \
		-f s@pass.auth.test -t alice@example.org "$@" "127.0.0.1:$smtp_port" 2>&1) ||
		die "smtp-source failed: $out"
	t1=$(date +%s.%N)
	[ -z "$out" ] || die "smtp-source: $out"
	echo "$msgs $t0 $t1" | awk '{ printf "%.1f", $1 / ($3 - $2) }'
}

# median - of the numbers on stdin, one a line
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ratio A B - B / A, two decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }

# cpu_of PID - the process's user + system CPU, in clock ticks
cpu_of() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
