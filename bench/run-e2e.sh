#!/bin/bash
# run-e2e.sh BUILD_DIR [MSGS] [SESSIONS] [RUNS] - Postfix alone against
# Postfix + doorman, end to end, side by side in one run.
#
# A private Postfix 3.7 on loopback (t/lib/postfix.sh) relays to smtp-sink;
# smtp-source sends MSGS messages over SESSIONS parallel sessions, once with
# its own 4 KB messages and once with a DKIM-signed 4 KB corpus message
# (-F, signed at setup by python3-dkim: t/auth/make-corpus.py --bench).
# Each of RUNS rounds runs every row in turn (alternating, so a slow
# moment of the machine hits all rows alike): Postfix without a milter,
# then Postfix with doorman running the shipped inbound-MX policy against
# NSD serving t/dns/zones (its resolver cache warm after a first round that
# is not counted).  Prints msg/s per row and run, the medians, and the
# ratio to Postfix alone; doorman's CPU seconds per 1,000 messages.
#
# The client is 127.0.0.1 (smtp-source cannot take another address), so
# the policy's trusted networks are emptied for it, and the SPF records of
# pass.auth.test and goodhelo.auth.test list it (doorman gives loopback no
# free pass, as libspf2 would); DNSBL, FCrDNS, RHSBL, the sender domain,
# DKIM, DMARC and the recipient list run as for any client.
# FLOOR=1 adds a row with a second doorman running a policy that checks
# nothing but relaying and adds no header: what the milter protocol itself
# costs Postfix, the floor under any milter's ratio.
# SOCKET=unix (the default, as doorman(8) recommends) has Postfix reach
# doorman on a unix socket; SOCKET=inet on TCP loopback.
# ENGINE=native|libmilter sets milter.engine of both doormen (default: the
# schema's); bench/run-engines.sh alternates engines.
# PROFILE=FILE records doorman's CPU profile (perf) of the first corpus row.
# SYSPROFILE=PREFIX records the whole machine (perf -a) during the first
# round's corpus rows, alone and with doorman, as PREFIX-alone.data and
# PREFIX-doorman.data: where Postfix's own extra CPU for a milter goes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run-e2e.sh BUILD_DIR [MSGS] [SESSIONS] [RUNS]}" && pwd)
msgs=${2:-2000}
sessions=${3:-20}
runs=${4:-3}
. "$here/../t/lib/common.sh"
. "$here/../t/lib/postfix.sh"
. "$here/../t/lib/nsd.sh"
. "$here/../t/lib/shipped.sh"
. "$here/lib-e2e.sh"
export DOORMAN_ENGINE=${ENGINE:-} # set_engine (t/lib/common.sh) reads it
deps_postfix
deps_nsd
milter_port=17580 dns_port=17581 sink_port=17582 smtp_port=17583 sub_port=17584
work=$(mktemp -d /tmp/doorman-e2e.XXXXXX)
chmod 755 "$work"
cleanup() {
	postfix_stop
	kill_doorman
	stop_bg "${FLOOR_PID:-}"
	stop_bg "${SINK_PID:-}"
	nsd_stop
	rm -rf "$work"
}
trap cleanup EXIT

nsd_start "$work" $dns_port "$here/../t/dns/zones"
mkdir -p "$work/policy"
shipped_policy "$work/policy" inbound-mx.conf $milter_port $dns_port
sed -i -e 's/^\([[:space:]]*accepts = \)true;/\1false;/' \
	-e 's|^\([[:space:]]*trusted = \)\[.*|\1[ ];|' "$work/policy/doorman.conf"
socket=${SOCKET:-unix}
case $socket in
unix)
	# doorman runs as the MTA's user here so that smtpd may open its socket
	# (a postmaster adds postfix to doorman's group instead: doorman(8))
	sed -i -e "s|\"inet:$milter_port@127.0.0.1\"|\"unix:$work/doorman.sock\"|" \
		-e 's|^\([[:space:]]*user = \)"doorman";|\1"postfix";|' "$work/policy/doorman.conf"
	start_doorman "$build/milter/doorman" "$work/policy/doorman.conf" "$work/doorman.log" "$work/doorman.sock"
	milter_spec="unix:$work/doorman.sock"
	;;
inet)
	start_doorman "$build/milter/doorman" "$work/policy/doorman.conf" "$work/doorman.log" $milter_port
	milter_spec="inet:127.0.0.1:$milter_port"
	;;
*) die "SOCKET is unix or inet" ;;
esac
if [ "${FLOOR:-0}" = 1 ]; then
	[ "$socket" = unix ] || die "FLOOR=1 needs SOCKET=unix"
	cat >"$work/floor.conf" <<CONF
milter: { socket = "unix:$work/floor.sock"; user = "postfix"; pidfile = ""; };
log: { accepts = false; };
domains: { local = [ "example.org" ]; };
policies: { floor: { }; };
CONF
	# started as the second doorman, judged by itself at the end
	main_pid=$DOORMAN_PID main_log=$DOORMAN_LOGFILE
	start_doorman "$build/milter/doorman" "$work/floor.conf" "$work/floor.log" "$work/floor.sock"
	FLOOR_PID=$DOORMAN_PID DOORMAN_PID=$main_pid DOORMAN_LOGFILE=$main_log
fi
smtp-sink -u postfix "127.0.0.1:$sink_port" 256 &
SINK_PID=$!
wait_port 127.0.0.1 $sink_port 10 || die "smtp-sink did not listen"
postfix_start "$work" $smtp_port $sub_port "" $sink_port
pc="postconf -c $POSTFIX_DIR/etc"
# what the shipped policy's recipient list knows, and Postfix's own limits
$pc -e "default_process_limit = 100" "smtpd_client_connection_rate_limit = 0" \
	"milter_default_action = tempfail"
/usr/bin/python3 "$here/../t/auth/make-corpus.py" --bench 1 "$work/corpus"
signed=$work/corpus/bench-00000.eml

# milter SPEC - Postfix reloaded with smtpd_milters = SPEC (bench/lib-e2e.sh)
milter() { postfix_set "smtpd_milters = $1"; }

sysprof_start() { # ROW: perf -a during the first round's corpus row
	SYSPERF_PID=
	[ -n "${SYSPROFILE:-}" ] && [ "$r" = 1 ] && [ "$kind" = corpus ] || return 0
	perf record -q -a -e cpu-clock -F 999 -g -o "$SYSPROFILE-$1.data" 2>/dev/null &
	SYSPERF_PID=$!
	sleep 0.5
}
sysprof_stop() {
	[ -n "${SYSPERF_PID:-}" ] || return 0
	kill -INT "$SYSPERF_PID"
	wait "$SYSPERF_PID" || true
}

cpu() { cpu_of "$DOORMAN_PID"; }

floor_col() { # ALONE FLOOR: the floor row's columns, if it ran
	[ -n "$2" ] || return 0
	printf '   floor %8s msg/s   ratio %.2f' "$2" "$(awk -v a="$1" -v b="$2" 'BEGIN { print b / a }')"
}

echo "Postfix alone vs Postfix + doorman (shipped inbound-MX policy, $socket socket), $msgs messages, $sessions sessions"
milter "$milter_spec"
row -l 4096 >/dev/null # warm-up: doorman's resolver cache
: >"$work/results"
for r in $(seq 1 "$runs"); do
	for kind in source corpus; do
		if [ $kind = source ]; then set -- -l 4096; else set -- -F "$signed"; fi
		milter ""
		sysprof_start alone
		alone=$(row "$@")
		sysprof_stop
		milter "$milter_spec"
		if [ -n "${PROFILE:-}" ] && [ "$r" = 1 ] && [ $kind = corpus ]; then
			perf record -q -e cpu-clock -F 1999 -g -o "$PROFILE" -p "$DOORMAN_PID" 2>/dev/null &
			PERF_PID=$!
			sleep 0.5
		fi
		c0=$(cpu)
		sysprof_start doorman
		with=$(row "$@")
		sysprof_stop
		c1=$(cpu)
		if [ -n "${PERF_PID:-}" ]; then
			kill -INT "$PERF_PID"
			wait "$PERF_PID" || true
			PERF_PID=
		fi
		floor=
		if [ -n "${FLOOR_PID:-}" ]; then
			milter "unix:$work/floor.sock"
			floor=$(row "$@")
		fi
		cpu_k=$(awk -v a="$c0" -v b="$c1" -v n="$msgs" -v hz="$(getconf CLK_TCK)" \
			'BEGIN { printf "%.3f", (b - a) / hz * 1000 / n }')
		printf 'run %d %-7s alone %8s msg/s   doorman %8s msg/s   ratio %.2f   doorman CPU %s s/1000 msgs%s\n' \
			"$r" "$kind" "$alone" "$with" "$(awk -v a="$alone" -v b="$with" 'BEGIN { print b / a }')" "$cpu_k" \
			"$(floor_col "$alone" "$floor")"
		echo "$kind $alone $with $cpu_k ${floor:-0}" >>"$work/results"
	done
done
for kind in source corpus; do
	a=$(awk -v k=$kind '$1 == k { print $2 }' "$work/results" | median)
	w=$(awk -v k=$kind '$1 == k { print $3 }' "$work/results" | median)
	c=$(awk -v k=$kind '$1 == k { print $4 }' "$work/results" | median)
	f=$(awk -v k=$kind '$1 == k { print $5 }' "$work/results" | median)
	[ -n "${FLOOR_PID:-}" ] || f=
	printf 'median %-7s alone %8s msg/s   doorman %8s msg/s   ratio %.2f   doorman CPU %s s/1000 msgs%s\n' \
		"$kind" "$a" "$w" "$(awk -v a="$a" -v b="$w" 'BEGIN { print b / a }')" "$c" "$(floor_col "$a" "$f")"
done
# every message went through the checks: no refusal, no failure
if grep -qE 'action=(reject|tempfail)|ERROR|runtime error' "$work/doorman.log"; then
	grep -E 'action=(reject|tempfail)|ERROR|runtime error' "$work/doorman.log" | head -3 >&2
	die "doorman refused or failed messages under load"
fi
# the doormen stopped (after Postfix) and judged: status 0, no sanitizer report
postfix_stop
stop_doorman bench-e2e
[ -z "${FLOOR_PID:-}" ] || judge_stop bench-e2e-floor "$FLOOR_PID" "$work/floor.log"
FLOOR_PID=
[ "$T_FAILED" = 0 ] || exit 1
