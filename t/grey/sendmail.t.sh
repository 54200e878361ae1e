#!/bin/bash
# sendmail.t.sh BUILD_DIR - greylisting through a real Sendmail 8.17
# (issue 11, point 7: "the Sendmail suite greylists too"; ports 20201-20205)
#
# doorman (LMDB store, greylist.delay 2 s) behind a private Sendmail
# (t/lib/sendmail.sh, t/mta/sendmail.mc.in), smtp-sink behind both:
#   a first attempt gets 450 4.7.1 with doorman's reply text, an early
#   retry 450 again; a retry after the delay is accepted and the message
#   reaches the sink exactly once (its Message-ID counted);
#   per recipient in one transaction: the passed recipient accepted, a new
#   one greylisted, the message delivered to the first only.
# Cost: ~5 s (one Sendmail start, the delay waited out once).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: sendmail.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
. "$here/../lib/sink.sh"
. "$here/../lib/postfix.sh"
. "$here/../lib/sendmail.sh"
. "$here/../mta/scenarios.sh"
. "$here/grey.sh"

MILTER_PORT=20201 SMTP_PORT=20202 SUB_PORT=20203 AUTH_PORT=20204 SINK_PORT=20205
MTA=sendmail

deps_postfix # smtp-sink, swaks
deps_sendmail
W=$(mktemp -d /tmp/doorman-greysm.XXXXXX)
chmod 755 "$W"
cleanup() {
	sendmail_stop
	kill_doorman
	sink_stop
	grey_workdir_end "$W" doorman.log sendmail/sendmail.out
}
trap cleanup EXIT

sink_start "$W/sink" $SINK_PORT
SINKDIR=$W/sink
grey_conf "$W/doorman.conf" $MILTER_PORT "backend = \"lmdb\"; path = \"$W/state\"; map_size = 16;" accept
start_doorman "$build/milter/doorman" "$W/doorman.conf" "$W/doorman.log" $MILTER_PORT
sendmail_start "$W" $SMTP_PORT $SUB_PORT $MILTER_PORT $SINK_PORT "$here/../mta/sendmail.mc.in" $AUTH_PORT

net='net=127.0.0.0/24'
client=127.0.0.20

# the first attempt and an early retry in one session (swaks, a Perl
# program, can take over a second to start on a loaded machine: longer
# than the delay); each RCPT reply as Sendmail sent it, and when
rcpt_twice() {
	timeout 20 python3 - "$1" "$2" "$3" "$4" <<'EOP'
import smtplib, sys, time
port, client, sender, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.net", timeout=15,
                 source_address=(client, 0))
s.ehlo()
for _ in range(2):
    s.mail(sender)
    code, text = s.rcpt(rcpt)
    print("%.3f %d %s" % (time.time(), code, text.decode()))
    s.rset()
s.quit()
EOP
}
out=$(rcpt_twice $SMTP_PORT $client a@one.example alice@example.org) || true
t_first=$(awk 'NR == 1 { print $1 }' <<<"$out")
# Sendmail puts "<rcpt>... " before a milter's reply text, even when the
# text names the recipient itself (expect_rcpt strips it)
sm_reply() { echo "450 4.7.1 <$1>\\.\\.\\. <$1>: Greylisted, please try again in $2 seconds"; }
grep -Eq "^[0-9.]+ $(sm_reply alice@example.org 2)$" <<<"$(sed -n 1p <<<"$out")" &&
	ok "sendmail: first attempt: $(sed -n '1s/^[0-9.]* //p' <<<"$out")" ||
	not_ok "sendmail: first attempt got '$(sed -n 1p <<<"$out")'"
log_has "$W/doorman.log" "stage=rcpt greylist=new $net sender=\"a@one.example\" to=\"alice@example.org\" retry_in=2" &&
	ok "sendmail: doorman logged greylist=new" || not_ok "sendmail: no greylist=new line for alice"
grep -Eq "^[0-9.]+ $(sm_reply alice@example.org '[12]')$" <<<"$(sed -n 2p <<<"$out")" &&
	ok "sendmail: an early retry: $(sed -n '2s/^[0-9.]* //p' <<<"$out")" ||
	not_ok "sendmail: an early retry got '$(sed -n 2p <<<"$out")'"
log_has "$W/doorman.log" "greylist=early $net sender=\"a@one.example\" to=\"alice@example.org\"" &&
	ok "sendmail: doorman logged greylist=early" || not_ok "sendmail: no greylist=early line for alice"
[ -n "$t_first" ] || t_first=$(date +%s.%N)
# the delay over (2 s from the first sight; no readiness to poll)
sleep "$(awk -v t="$t_first" -v n="$(date +%s.%N)" 'BEGIN { w = t + 2.3 - n; print (w > 0 ? w : 0) }')"
expect_delivered "the retry after the delay" $SMTP_PORT $client client.example.net a@one.example \
	alice@example.org --header "Message-Id: <grey.1@one.example>"
log_has "$W/doorman.log" "greylist=passed $net sender=\"a@one.example\" to=\"alice@example.org\"" &&
	ok "sendmail: doorman logged greylist=passed" || not_ok "sendmail: no greylist=passed line for alice"
# per recipient: alice passed, bob is new, in one transaction
out=$(timeout 20 swaks --server 127.0.0.1:$SMTP_PORT --local-interface $client --ehlo client.example.net \
	--from a@one.example --to alice@example.org,bob@example.org --timeout 15 \
	--header "Message-Id: <grey.2@one.example>" 2>&1) || true
grep -Eq "^<\*\* *$(sm_reply bob@example.org 2)$" <<<"$out" &&
	ok "sendmail: one transaction: bob greylisted" || not_ok "sendmail: no 450 for bob: $(grep -A1 'RCPT TO:<bob' <<<"$out")"
grep -A1 'RCPT TO:<alice@example.org>' <<<"$out" | grep -q '^<- *250 ' &&
	ok "sendmail: one transaction: alice accepted" || not_ok "sendmail: alice not accepted with bob"
# each message there once, the second for alice only (bounded wait)
for _ in $(seq 1 100); do
	[ "$(msgid_count "$W/sink" "<grey.2@one.example>")" -gt 0 ] && break
	sleep 0.1
done
n1=$(msgid_count "$W/sink" "<grey.1@one.example>") n2=$(msgid_count "$W/sink" "<grey.2@one.example>")
[ "$n1" = 1 ] && [ "$n2" = 1 ] && ok "sendmail: each accepted message in the sink exactly once" ||
	not_ok "sendmail: <grey.1@one.example> $n1 times, <grey.2@one.example> $n2 times in the sink"
rcpts=$(grep -l 'grey.2@one.example' "$W/sink"/msg.* 2>/dev/null | xargs -r grep -h '^X-Rcpt-Args: ' | tr -d '\r' | sort | tr '\n' ' ')
[ "$rcpts" = "X-Rcpt-Args: <alice@example.org> " ] && ok "sendmail: the second message went to alice only" ||
	not_ok "sendmail: the second message's envelope recipients: $rcpts"

sendmail_stop
sink_stop
stop_doorman sendmail
finish
