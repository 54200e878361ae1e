#!/bin/bash
# recipients.t.sh BUILD_DIR [postfix|sendmail] - recipient validation and
# alias rewriting through a real MTA (Postfix 3.7 by default, or the
# private Sendmail 8.17), against a real Dovecot LMTP backend
#
# Ports 17330-17349: with Postfix doorman 17330, SMTP 17331 (17332 its
# submission listener), smtp-sink 17333, Dovecot LMTP 17334; with Sendmail
# 17335-17339 likewise (and 17348 for its third listener); nothing
# listens on 17349 (a backend that is down).
# Dovecot knows alice, bob and dave @example.org (dave is only asked for
# by the cache checks at the end); lists.example has
# the list t/mta/rcpt_users.lists.example, aliases are t/mta/rcpt_aliases.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: recipients.t.sh BUILD_DIR [postfix|sendmail]}" && pwd)
MTA=${2:-postfix}
. "$here/../lib/common.sh"
. "$here/../lib/sink.sh"
. "$here/../lib/postfix.sh"
. "$here/../lib/sendmail.sh"
. "$here/../lib/dovecot.sh"
. "$here/scenarios.sh"

case $MTA in
postfix) base=17330 ;;
sendmail) base=17335 ;;
*) die "unknown MTA $MTA" ;;
esac
MILTER_PORT=$base SMTP_PORT=$((base + 1)) SUB_PORT=$((base + 2)) SINK_PORT=$((base + 3))
LMTP_PORT=$((base + 4)) DEAD_PORT=17349 AUTH_PORT=17348 # Sendmail's third listener, unused here

deps_postfix # smtp-sink and swaks for both
[ "$MTA" = sendmail ] && deps_sendmail
deps_dovecot
cleanup() {
	postfix_stop
	sendmail_stop
	dovecot_stop
	mta_suite_stop "${MTA_WORK:-}/$MTA/$([ "$MTA" = postfix ] && echo maillog || echo sendmail.out)"
}
trap cleanup EXIT
mta_suite_start "$MTA" $MILTER_PORT $SINK_PORT "$build" "$here/recipients.conf.in"
W=$MTA_WORK
dovecot_start "$W" $LMTP_PORT alice@example.org bob@example.org dave@example.org
if [ "$MTA" = postfix ]; then
	postfix_start "$W" $SMTP_PORT $SUB_PORT "inet:127.0.0.1:$MILTER_PORT" $SINK_PORT
else
	sendmail_start "$W" $SMTP_PORT $SUB_PORT $MILTER_PORT $SINK_PORT "$here/sendmail.mc.in" $AUTH_PORT
fi
DOORMAN_LOG=$W/doorman.log
SINKDIR=$W/sink
ext=$EXTERNAL helo=client.example.net from=sender@example.net

# sink_rcpts SUBJECT WANT - the envelope recipients of the message with
# SUBJECT in the sink, from every file that holds it (the MTA may deliver
# one message in several transactions), once they are WANT or after 10 s
# (none yet is no failure here: the caller compares)
sink_rcpts() {
	local got= i
	for i in $(seq 1 100); do
		got=$(grep -lF -- "Subject: $1" "$SINKDIR"/msg.* 2>/dev/null |
			xargs -r sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p' | sort | tr '\n' ' ' || true)
		[ "$got" = "$2" ] && break
		sleep 0.1
	done
	echo "$got"
}

# send_to NAME SUBJECT WANT_RCPTS TO... - one message; the sink must hold it
# for exactly WANT_RCPTS (sorted, space-separated)
send_to() {
	local name=$1 subject=$2 want=$3 got
	shift 3
	timeout 30 swaks --server 127.0.0.1:$SMTP_PORT --local-interface $ext --ehlo $helo \
		--from $from --to "$(IFS=,; echo "$*")" --header "Subject: $subject" --timeout 15 \
		>"$W/swaks.$subject" 2>&1 || true
	got=$(sink_rcpts "$subject" "$want")
	if [ "$got" = "$want" ]; then
		ok "$MTA: $name: delivered to ${want% }"
	else
		not_ok "$MTA: $name: sink has '$got', want '$want'"
	fi
}

# callout to Dovecot LMTP
expect_rcpt "callout: known user" $SMTP_PORT $ext $helo $from alice@example.org '250 '
expect_rcpt "callout: known user, other case" $SMTP_PORT $ext $helo $from Bob@Example.org '250 '
expect_rcpt "callout: unknown user" $SMTP_PORT $ext $helo $from zed@example.org \
	'550 5.1.1 <zed@example.org>: Recipient address rejected: User unknown'
expect_log "callout refusal logged with Dovecot's answer" \
	"action=reject rule=recipient_unknown reason=\"lmtp:127.0.0.1:$LMTP_PORT said: 550 5.1.1 <zed@example.org> User doesn't exist: zed@example.org\""
# a list
expect_rcpt "list: listed" $SMTP_PORT $ext $helo $from carol@lists.example '250 '
expect_rcpt "list: tagged" $SMTP_PORT $ext $helo $from dave+x@lists.example '250 '
expect_rcpt "list: unknown" $SMTP_PORT $ext $helo $from nobody@lists.example \
	'550 5.1.1 <nobody@lists.example>: Recipient address rejected: User unknown'
# a backend that is down: 451, never 5xx
expect_rcpt "callout backend down" $SMTP_PORT $ext $helo $from alice@down.example \
	'451 4.3.0 <alice@down.example>: Recipient address verification failed, try again later'
expect_log "backend down logged" "action=tempfail rule=recipient_verify reason=\"smtp:127.0.0.1:$DEAD_PORT: connection refused\""

# one known and one unknown recipient: the message reaches the known one only
send_to "known and unknown in one message" "mixed-$$" "alice@example.org " alice@example.org zed@example.org
# aliases rewritten at end of message
send_to "alias rewritten" "alias-$$" "alice@example.org bob@example.org " sales@example.org
send_to "alias beside one of its targets, added once" "alias2-$$" "alice@example.org carol@lists.example " \
	team@lists.example alice@example.org
expect_log "alias logged" 'stage=eom action=accept rule=alias reason="rewritten to alice@example.org, bob@example.org" .*to="sales@example.org"'

# What the backend answered is remembered for callout_positive_ttl and
# callout_negative_ttl (20 s here), an acceptance and a refusal alike, and
# serves while the backend is down; a new recipient is then a 451, never a
# 550; once the TTL has passed, the remembered ones are 451 too.  dave and
# yves were never asked before: their answers are fresh.
UNKNOWN_REPLY='550 5.1.1 <yves@example.org>: Recipient address rejected: User unknown'
LATER='Recipient address verification failed, try again later'
t_fill=$(date +%s)
expect_rcpt "callout: known user, answer remembered" $SMTP_PORT $ext $helo $from dave@example.org '250 '
expect_rcpt "callout: unknown user, answer remembered" $SMTP_PORT $ext $helo $from yves@example.org \
	"$UNKNOWN_REPLY"
t_asked=$(date +%s) # both answers came before this second
dovecot_stop
expect_rcpt "backend stopped: remembered acceptance" $SMTP_PORT $ext $helo $from dave@example.org '250 '
expect_rcpt "backend stopped: remembered refusal" $SMTP_PORT $ext $helo $from yves@example.org \
	"$UNKNOWN_REPLY"
# the two checks above must fall inside the TTL: measured 3-14 s here (the
# sanitizer build under load), 6 s of margin at worst
elapsed=$(($(date +%s) - t_fill))
if [ "$elapsed" -lt 20 ]; then
	ok "$MTA: remembered answers checked within their TTL ($elapsed s of 20)"
else
	not_ok "$MTA: the remembered answers took $elapsed s to check, past their 20 s TTL"
fi
expect_rcpt "backend stopped: new recipient" $SMTP_PORT $ext $helo $from newbie@example.org \
	"451 4.3.0 <newbie@example.org>: $LATER"
# past the TTL (by 2 s: the cache counts whole seconds), nothing is remembered
wait_s=$((t_asked + 22 - $(date +%s)))
[ "$wait_s" -le 0 ] || sleep "$wait_s"
expect_rcpt "backend stopped, TTL past: acceptance forgotten" $SMTP_PORT $ext $helo $from dave@example.org \
	"451 4.3.0 <dave@example.org>: $LATER"
expect_rcpt "backend stopped, TTL past: refusal forgotten" $SMTP_PORT $ext $helo $from yves@example.org \
	"451 4.3.0 <yves@example.org>: $LATER"
postfix_stop
sendmail_stop
mta_suite_end
finish
