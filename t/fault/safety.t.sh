#!/bin/bash
# safety.t.sh BUILD_DIR postfix|sendmail - the safety promise (issue 16
# point 3): with doorman stopped, killed or hung (SIGSTOP for longer than
# the MTA's milter timeout), a stranger's relay attempt through the MTA, set
# up as README tells postmasters, gets a 4xx and never a 250, and nothing
# reaches the sink.
#
# Postfix: the private instance of t/lib/postfix.sh with
# milter_default_action = tempfail (README), its milter timeouts lowered to
# 2 s (connect, command) and 4 s (content) so that a hung doorman is seen in
# seconds; the defaults only make the wait longer.
# Sendmail: the suite's t/mta/sendmail.mc.in (README's INPUT_MAIL_FILTER
# line: F=T, T=C:10s;S:10s;R:10s;E:30s) with its FEATURE(promiscuous_relay)
# replaced by RELAY_DOMAIN(example.org), as a postmaster sets it up:
# Sendmail relays only example.org by its own rules.  Then again with the
# shared file as it is, promiscuous_relay and all, so that doorman is the
# only relay authority: the worst case, where F=T alone stands between a
# dead doorman and an open relay.
#
# With doorman up, first: the stranger's attempt is refused and a
# message for a local recipient is taken and delivered, so that "nothing
# reached the sink" below is not an empty check.  Takes about 1 minute
# with Postfix, 1.5 with Sendmail (two 10-s waits for README's R:10s
# timeout on a hung doorman), 10 s less per stop of doorman once issue 14's
# stop defect is fixed.  Ports 18620-18649.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: safety.t.sh BUILD_DIR postfix|sendmail}" && pwd)
MTA=${2:?usage: safety.t.sh BUILD_DIR postfix|sendmail}
. "$here/../lib/common.sh"
. "$here/../lib/sink.sh"
. "$here/../lib/nsd.sh"
. "$here/../lib/fault.sh"
case $MTA in
postfix)
	. "$here/../lib/postfix.sh"
	MILTER_PORT=18620 SMTP_PORT=18621 SUB_PORT=18622 SINK_PORT=18623 DNS_PORT=18624 SLOW_PORT=18625
	deps_postfix
	;;
sendmail)
	. "$here/../lib/sendmail.sh"
	MILTER_PORT=18630 SMTP_PORT=18631 SUB_PORT=18632 SINK_PORT=18633 DNS_PORT=18634 AUTH_PORT=18635 SLOW_PORT=18636
	deps_sendmail
	;;
*) die "MTA is postfix or sendmail" ;;
esac
deps_nsd
STRANGER=127.0.0.20
bin=$build/milter/doorman
W=$(mktemp -d "/tmp/doorman-safety-$MTA.XXXXXX")
chmod 755 "$W"
cleanup() {
	case $MTA in postfix) postfix_stop ;; sendmail) sendmail_stop ;; esac
	[ -z "${DOORMAN_PID:-}" ] || kill -CONT "$DOORMAN_PID" 2>/dev/null || true
	stop_doorman
	sink_stop
	nsd_stop
	if [ "$T_FAILED" -gt 0 ] || [ "${KEEP:-}" ]; then
		echo "--- doorman log"; tail -20 "$W/doorman.log"
		echo "(work directory kept: $W)"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT

sed -e "s|@MILTER_PORT@|$MILTER_PORT|g" -e "s|@DNS_PORT@|$DNS_PORT|g" -e "s|@SLOW_PORT@|$SLOW_PORT|g" -e "s|@EXTRA_LOCAL@||" \
	"$here/doorman.conf.in" >"$W/doorman.conf"
nsd_start "$W" $DNS_PORT "$here/zones"
sink_start "$W/sink" $SINK_PORT
start() {
	start_doorman "$bin" "$W/doorman.conf" "$W/doorman.log" $MILTER_PORT
}

# mta_start TEMPLATE: the MTA, on a fresh work directory
mta_start() {
	case $MTA in
	postfix)
		postfix_start "$W" $SMTP_PORT $SUB_PORT "inet:127.0.0.1:$MILTER_PORT" $SINK_PORT
		postconf -c "$POSTFIX_DIR/etc" -e "milter_default_action = tempfail" \
			"milter_connect_timeout = 2s" "milter_command_timeout = 2s" "milter_content_timeout = 4s"
		postfix -c "$POSTFIX_DIR/etc" reload >/dev/null 2>&1
		sleep 1
		;;
	sendmail)
		sendmail_stop
		sendmail_start "$W" $SMTP_PORT $SUB_PORT $MILTER_PORT $SINK_PORT "$1" $AUTH_PORT
		;;
	esac
}

N=0
# refused WHY: a stranger's relay attempt, with doorman in state WHY, gets
# a 4xx, no 250 to RCPT or to the message, and nothing reaches the sink
refused() {
	local why=$1 to got t0
	N=$((N + 1))
	to="victim$N@remote.example"
	t0=$(now)
	got=$(relay_attempt $SMTP_PORT $STRANGER "s@stranger.w.fault.test" "$to")
	echo "# $CONF, doorman $why ($(elapsed "$t0") s): $(printf '%s\n' "$got" | tr '\n' '|')"
	if printf '%s\n' "$got" | grep -Eq '^(MAIL|RCPT|DATA|dot) 4[0-9][0-9]' &&
		! printf '%s\n' "$got" | grep -Eq '^(RCPT|dot) 250'; then
		ok "$MTA ($CONF), doorman $why: relay attempt refused with a 4xx, no 250"
	else
		not_ok "$MTA ($CONF), doorman $why: relay attempt got: $(printf '%s\n' "$got" | tr '\n' '|')"
	fi
	# an accepted message reaches smtp-sink within a second here
	if sink_has "$W/sink" "$to" 2; then
		not_ok "$MTA ($CONF), doorman $why: the relayed message reached the sink"
	else
		ok "$MTA ($CONF), doorman $why: nothing reached the sink"
	fi
}

# with doorman up: the stranger is refused, a local recipient is served
control() {
	local got
	got=$(relay_attempt $SMTP_PORT $STRANGER "s@stranger.w.fault.test" "victim0@remote.example")
	if printf '%s\n' "$got" | grep -Eq "$UP_REFUSAL" &&
		! printf '%s\n' "$got" | grep -Eq '^(RCPT|dot) 250'; then
		ok "$MTA ($CONF), doorman up: relay attempt refused: $(grep '^RCPT' <<<"$got" | head -1)"
	else
		not_ok "$MTA ($CONF), doorman up: relay attempt got: $(printf '%s\n' "$got" | tr '\n' '|')"
	fi
	got=$(relay_attempt $SMTP_PORT $STRANGER "s@stranger.w.fault.test" "alice-$CONF@example.org")
	if grep -q '^dot 250' <<<"$got" && sink_has "$W/sink" "alice-$CONF@example.org" 20; then
		ok "$MTA ($CONF), doorman up: mail for a local recipient delivered"
	else
		not_ok "$MTA ($CONF), doorman up: mail for a local recipient: $(printf '%s\n' "$got" | tr '\n' '|'), or not in the sink"
	fi
}

# every state of a doorman that does not answer
faults() {
	start
	control
	kill -TERM "$DOORMAN_PID"
	stopped_within "$DOORMAN_PID" 15 || die "doorman did not stop within 15 s"
	DOORMAN_PID=
	refused stopped
	start
	kill -KILL "$DOORMAN_PID"
	wait "$DOORMAN_PID" 2>/dev/null || true
	DOORMAN_PID=
	refused killed
	start
	kill -STOP "$DOORMAN_PID"
	refused "hung (SIGSTOP)"
	kill -CONT "$DOORMAN_PID"
	stop_doorman
}

case $MTA in
postfix)
	CONF=README UP_REFUSAL='^RCPT 554 5\.7\.1 .*doorman: relay access denied'
	mta_start
	faults
	;;
sendmail)
	# Sendmail refuses the stranger by its own rules before doorman is
	# asked (here a 450: the stranger's PTR cannot be resolved without DNS)
	sed -e "s/^FEATURE(\`promiscuous_relay')dnl\$/RELAY_DOMAIN(\`example.org')dnl/" \
		"$here/../mta/sendmail.mc.in" >"$W/readme.mc.in"
	grep -q "^RELAY_DOMAIN" "$W/readme.mc.in" && ! grep -q "^FEATURE(.promiscuous_relay" "$W/readme.mc.in" ||
		die "t/mta/sendmail.mc.in: no FEATURE(promiscuous_relay) line to replace"
	CONF=README UP_REFUSAL='^(MAIL|RCPT) [45][0-9][0-9]'
	mta_start "$W/readme.mc.in"
	faults
	CONF=promiscuous_relay UP_REFUSAL='^RCPT 554 5\.7\.1 .*doorman: relay access denied'
	mta_start "$here/../mta/sendmail.mc.in"
	faults
	;;
esac
finish
