#!/bin/bash
# postfix.t.sh BUILD_DIR - greylisting through real Postfix 3.7 instances
# sharing one private Redis (ports 19400-19409)
#
#   two MX hosts: doorman MX1 and MX2, each behind its own Postfix, share a
#     redis-server on loopback (no persistence): a triplet first seen at
#     MX1 (450) is too early at MX2 at once and passes there after
#     greylist.delay (2 s)
#   a real sending Postfix (queue_run_delay 1 s, backoff 2-4 s) relays to
#     MX1: greylisted first, it retries by itself, and the message reaches
#     the sink exactly once (its Message-ID counted)
#   Redis stopped under load (t/grey/load.py) and started again: MX1 has
#     store_failure = accept, MX2 tempfail; every 250 delivered once, every
#     other message a 4xx, and after Redis returns greylisting resumes
#     without a restart (a new triplet gets 450)
# Cost: ~50-60 s here on a loaded 2-core machine (three Postfix starts and stops, the
# delay waited out, the load).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: postfix.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
. "$here/../lib/sink.sh"
. "$here/../lib/postfix.sh"
. "$here/../mta/scenarios.sh"
. "$here/grey.sh"

REDIS_PORT=19400 SINK_PORT=19404
MX1_MILTER=19401 MX1_SMTP=19402 MX1_SUB=19403
MX2_MILTER=19405 MX2_SMTP=19406 MX2_SUB=19407
SND_SMTP=19408 SND_SUB=19409
MTA=postfix

deps_postfix
W=$(mktemp -d /tmp/doorman-grey.XXXXXX)
chmod 755 "$W"
PF1= PF2= PFS= MX1_PID=
cleanup() {
	postfix_stop_all "$PFS" "$PF1" "$PF2"
	stop_bg "$MX1_PID"
	kill_doorman
	stop_bg "${REDIS_PID:-}"
	sink_stop
	grey_workdir_end "$W" mx1.log mx2.log mx1/postfix/maillog sender/postfix/maillog
}
trap cleanup EXIT

redis_start "$W/redis" $REDIS_PORT
sink_start "$W/sink" $SINK_PORT
SINKDIR=$W/sink
store="backend = \"redis\"; redis = \"127.0.0.1:$REDIS_PORT\"; timeout = 300; redis_pool = 4;"
grey_conf "$W/mx1.conf" $MX1_MILTER "$store" accept
grey_conf "$W/mx2.conf" $MX2_MILTER "$store" tempfail
start_doorman "$build/milter/doorman" "$W/mx1.conf" "$W/mx1.log" $MX1_MILTER
MX1_PID=$DOORMAN_PID DOORMAN_PID=
start_doorman "$build/milter/doorman" "$W/mx2.conf" "$W/mx2.log" $MX2_MILTER
POSTFIX_DIR=
# load.py keeps its sessions open for hundreds of greylisted RCPTs: Postfix
# would tarpit such a client (1 s, then 3 s before each reply) and drop it
# after 20 errors
mx_settings="smtpd_error_sleep_time=0 smtpd_soft_error_limit=10000 smtpd_hard_error_limit=10000"
POSTFIX_SETTINGS=$mx_settings postfix_start "$W/mx1" $MX1_SMTP $MX1_SUB "inet:127.0.0.1:$MX1_MILTER" $SINK_PORT
PF1=$POSTFIX_DIR POSTFIX_DIR=
POSTFIX_SETTINGS=$mx_settings postfix_start "$W/mx2" $MX2_SMTP $MX2_SUB "inet:127.0.0.1:$MX2_MILTER" $SINK_PORT
PF2=$POSTFIX_DIR POSTFIX_DIR=
# the sender: no milter, everything relayed to MX1; a name of its own (a
# server greeting with the client's own name is a mail loop to Postfix).
# Settings before the start, not by a reload.  Backoff 2-4 s: with 1 s,
# the queue manager could take the deferred message up again while the
# delivery agent, slowed by the machine's load, still held its lock;
# Postfix then sets such a message aside for 60 s ("skipped, still being
# delivered", moved to the incoming queue)
POSTFIX_SETTINGS="myhostname=sender.doorman.test minimal_backoff_time=2s maximal_backoff_time=4s" postfix_start "$W/sender" $SND_SMTP $SND_SUB "" $MX1_SMTP
PFS=$POSTFIX_DIR POSTFIX_DIR=

grey_reply() { echo "450 4.7.1 <$1>: Greylisted, please try again in $2 seconds"; }
net='net=127.0.0.0/24'

# --- a real sender that retries: submitted first, so its clock runs while
# the two-MX checks below go on
swaks_out=$(timeout 30 swaks --server 127.0.0.1:$SND_SMTP --local-interface 127.0.0.20 \
	--ehlo client.example.net --from b@two.example --to bob@example.org \
	--header "Message-Id: <retry.1@two.example>" --header "Subject: greylisted once" 2>&1) || true
if grep -q '^<- *250 .*queued as' <<<"$swaks_out"; then
	ok "sender: message queued at the sending Postfix"
else
	not_ok "sender: the sending Postfix did not queue the message"
fi
t_first=$(date +%s.%N)

# --- two MX hosts, one Redis
expect_rcpt "MX1: first sight of a triplet" $MX1_SMTP 127.0.0.20 client.example.net a@one.example \
	alice@example.org "$(grey_reply alice@example.org 2)"
t_alice=$(date +%s.%N)
log_has "$W/mx1.log" "policy=inbound stage=rcpt greylist=new $net sender=\"a@one.example\" to=\"alice@example.org\" retry_in=2" &&
	ok "MX1 logged greylist=new for the triplet" || not_ok "MX1: no greylist=new line for alice"
expect_rcpt "MX2: the same triplet at once is too early (the state is shared)" $MX2_SMTP 127.0.0.20 \
	client.example.net a@one.example alice@example.org "$(grey_reply alice@example.org '[12]')"
log_has "$W/mx2.log" "greylist=early $net sender=\"a@one.example\" to=\"alice@example.org\"" &&
	ok "MX2 logged greylist=early" || not_ok "MX2: no greylist=early line for alice"
# the delay over (2 s from the first sight; no readiness to poll)
sleep "$(awk -v t="$t_alice" -v n="$(date +%s.%N)" 'BEGIN { w = t + 2.3 - n; print (w > 0 ? w : 0) }')"
expect_delivered "MX2: the triplet MX1 saw passes after the delay" $MX2_SMTP 127.0.0.20 \
	client.example.net a@one.example alice@example.org
log_has "$W/mx2.log" "greylist=passed $net sender=\"a@one.example\" to=\"alice@example.org\"" &&
	ok "MX2 logged greylist=passed" || not_ok "MX2: no greylist=passed line for alice"
! log_has "$W/mx2.log" "greylist=new .*to=\"alice@example.org\"" &&
	ok "MX2 never saw alice's triplet as new" || not_ok "MX2 logged alice's triplet as new"

# --- the retrying sender: the message arrives once (bounded: the delay,
# then the sender's next queue run, 2-4 s; 80 s should the race above
# still set it aside for 60 s)
for _ in $(seq 1 800); do
	[ "$(msgid_count "$W/sink" "<retry.1@two.example>")" -gt 0 ] && break
	sleep 0.1
done
t_arrived=$(date +%s.%N)
for _ in $(seq 1 100); do
	grep -q 'Mail queue is empty' <<<"$(postqueue -c "$PFS/etc" -p 2>/dev/null)" &&
		grep -q 'Mail queue is empty' <<<"$(postqueue -c "$PF1/etc" -p 2>/dev/null)" && break
	sleep 0.1
done
n=$(msgid_count "$W/sink" "<retry.1@two.example>")
secs=$(awk -v a="$t_first" -v b="$t_arrived" 'BEGIN { printf "%.1f", b - a }')
if [ "$n" = 1 ]; then
	ok "sender: the greylisted message arrived exactly once, $secs s after submission"
else
	not_ok "sender: Message-ID <retry.1@two.example> $n times in the sink"
fi
grep -q "status=deferred (host 127.0.0.1\[127.0.0.1\] said: $(grey_reply bob@example.org '[0-9]*')" \
	"$PFS/maillog" && ok "sender: deferred on MX1's 450 Greylisted" ||
	not_ok "sender: no deferral with MX1's 450 in its log"
grep -q 'to=<bob@example.org>, relay=127.0.0.1\[127.0.0.1\]:'$MX1_SMTP'.* status=sent (250 ' "$PFS/maillog" &&
	ok "sender: sent to MX1 on a retry" || not_ok "sender: no status=sent line for bob"
log_has "$W/mx1.log" "greylist=new $net sender=\"b@two.example\" to=\"bob@example.org\"" &&
	log_has "$W/mx1.log" "greylist=passed $net sender=\"b@two.example\" to=\"bob@example.org\"" &&
	ok "MX1 logged bob's triplet new, then passed" || not_ok "MX1: no new and passed lines for bob"

# --- Redis stopped under load: MX1 accepts (store_failure = accept), MX2
# tempfails.  Paced by progress, not by the clock (a loaded CI machine):
# Redis stops after 10 replies on each MX, starts again after 10 more, and
# the load ends once each MX greylisted again after that (load.py's
# bounds: 400 messages, 120 s; each wait here: 30 s)
rm -f "$W/stop"
python3 "$here/load.py" $MX1_SMTP 400 2 acc "$W/acc.res" "$W/stop" &
L1=$!
python3 "$here/load.py" $MX2_SMTP 400 2 tmp "$W/tmp.res" "$W/stop" &
L2=$!
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
# wait_lines FILE N - until FILE has N lines
wait_lines() {
	local i
	for i in $(seq 1 300); do [ "$(lines "$1")" -ge "$2" ] && return 0; sleep 0.1; done
	not_ok "load: $1 did not reach $2 replies within 30 s"
}
# wait_code_after FILE LINE CODE - until a reply CODE comes after line LINE
wait_code_after() {
	local i
	for i in $(seq 1 300); do
		awk -v l="$2" -v c="$3" 'NR > l && $2 == c { f = 1 } END { exit !f }' "$1" && return 0
		sleep 0.1
	done
	not_ok "load: no $3 in $1 after its line $2 within 30 s"
}
wait_lines "$W/acc.res" 10
wait_lines "$W/tmp.res" 10
redis_stop $REDIS_PORT
a=$(lines "$W/acc.res") t=$(lines "$W/tmp.res")
wait_lines "$W/acc.res" $((a + 10))
wait_lines "$W/tmp.res" $((t + 10))
redis_start "$W/redis" $REDIS_PORT
a=$(lines "$W/acc.res") t=$(lines "$W/tmp.res")
wait_code_after "$W/acc.res" "$a" 450
wait_code_after "$W/tmp.res" "$t" 450
touch "$W/stop"
wait $L1 || not_ok "load.py on MX1 failed"
wait $L2 || not_ok "load.py on MX2 failed"
# the outcome lines are in the order the replies came
last_of() { awk -v c="$2" '$2 == c { n = NR } END { print n + 0 }' "$1"; }
load_judge "Redis down, store_failure = accept" "$W/acc.res" "$W/sink"
if [ "$LOAD_ACC" -gt 0 ] && grep -q " 450 RCPT [0-9.]* 4.7.1 <user@example.org>: Greylisted, please try again in 2 seconds" "$W/acc.res" &&
	[ "$(last_of "$W/acc.res" 450)" -gt "$(last_of "$W/acc.res" 250)" ]; then
	ok "store_failure = accept: $LOAD_ACC accepted while Redis was down, greylisted (450) before and after"
else
	not_ok "store_failure = accept: no 250 while Redis was down, or no 450 after it returned"
fi
load_judge "Redis down, store_failure = tempfail" "$W/tmp.res" "$W/sink"
if [ "$LOAD_ACC" = 0 ] &&
	grep -q ' 451 RCPT [0-9.]* 4.3.0 <user@example.org>: Temporary failure of the greylisting state, try again later$' \
		"$W/tmp.res" &&
	[ "$(last_of "$W/tmp.res" 450)" -gt "$(last_of "$W/tmp.res" 451)" ]; then
	ok "store_failure = tempfail: 451 4.3.0 while Redis was down, 450 greylisted after, nothing accepted"
else
	not_ok "store_failure = tempfail: no 451 while Redis was down, a 250, or no 450 after it returned"
fi
log_has "$W/mx1.log" 'greylist=store_failure .*to="user@example.org" store_failure=accept' &&
	ok "MX1 logged greylist=store_failure store_failure=accept" || not_ok "MX1: no store_failure line"
log_has "$W/mx2.log" 'greylist=store_failure .*to="user@example.org" store_failure=tempfail' &&
	ok "MX2 logged greylist=store_failure store_failure=tempfail" || not_ok "MX2: no store_failure line"
# Redis back, no restart of doorman: a new triplet is greylisted
expect_rcpt "MX1 after Redis returned: a new triplet greylisted" $MX1_SMTP 127.0.0.20 client.example.net \
	c@three.example carol@example.org "$(grey_reply carol@example.org 2)"
expect_rcpt "MX2 after Redis returned: a new triplet greylisted" $MX2_SMTP 127.0.0.20 client.example.net \
	d@four.example dan@example.org "$(grey_reply dan@example.org 2)"

postfix_stop_all "$PFS" "$PF1" "$PF2"
PFS= PF1= PF2=
judge_stop MX1 "$MX1_PID" "$W/mx1.log"
MX1_PID=
stop_doorman MX2
finish
