#!/bin/bash
# chain.t.sh BUILD_DIR - a forwarder learned from DKIM, through a chain of
# three real Postfix instances (issue 12, points 3, 4, 6 and 7)
#
#   swaks -> origin Postfix (mail.origin.test, sends from 203.0.113.10)
#         -> forwarder Postfix (mx.fwd.test, sends from 198.51.100.9; a
#            plain alias NAME@fwd.test -> NAME@our.test, no SRS)
#         -> our MX Postfix (mx.our.test) with doorman (t/fwd/chain.conf.in:
#            forwarders.learn, min_messages 3, min_domains 2, spf.defer,
#            SPF fail and DMARC p=reject refused) -> smtp-sink
#
# Every domain of t/fwd/chain-zones/test.zone names only the origin in its
# SPF record (-all); d01..d12 sign (python3-dkim, t/fwd/chain-msgs.py),
# half with DMARC p=reject; spfonly.test (p=reject) never signs.
# Before learning, a signed p=reject message via the forwarder is
# delivered (the aligned DKIM pass overrides the SPF fail held to the end
# of data) and the SPF-only one is refused with 550 at end of data (the
# forwarder's Postfix bounces it).  After 3 signed messages from 2+
# domains doorman logs forwarder_learned, and the SPF-only message via
# the forwarder is delivered with spf=pass naming the origin and the
# forwarder, and dmarc=pass.  A stranger (192.0.2.66) that sends the same
# message directly with a Received field naming the origin as if the
# forwarder had written it is refused, and its unsigned or broken-signed
# mail with such fields never counts as evidence.  Then the corpus
# (CHAIN_CORPUS messages, default 60, from 12 signing domains and
# spfonly.test) goes through the learned forwarder: no false reject.
# doorman-state list forwarders then shows the forwarder learned, with
# its evidence messages and the 12 signing domains, and not the stranger.
# CHAIN_CORPUS sets the corpus size.
#
# It runs in a network namespace of its own (unshare -n) whose loopback
# carries the four addresses.  Ports 20500-20508.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: chain.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
. "$here/../lib/sink.sh"
. "$here/../lib/postfix.sh"
. "$here/../lib/nsd.sh"

MTA=chain
DNS_PORT=20500 MILTER_PORT=20501 SINK_PORT=20502 ORIG_SMTP=20503 ORIG_SUB=20504
FWD_SMTP=20505 FWD_SUB=20506 MX_SMTP=20507 MX_SUB=20508
ORIGIN=203.0.113.10 FWD=198.51.100.9 STRANGER=192.0.2.66 MX=192.0.2.25
CORPUS=${CHAIN_CORPUS:-60}

deps_postfix
deps_nsd
if [ -z "${DOORMAN_NETNS:-}" ]; then
	exec unshare -n env DOORMAN_NETNS=1 "$0" "$@"
fi
ip link set lo up
for a in $ORIGIN $FWD $STRANGER $MX; do
	ip addr add $a/32 dev lo
done

W=$(mktemp -d /tmp/doorman-fwd-chain.XXXXXX)
chmod 755 "$W"
SINKDIR=$W/sink M=$W/msgs
PF_ORIG=$W/origin/postfix PF_FWD=$W/fwd/postfix PF_MX=$W/mx/postfix
# pf_stop_all - the three Postfix instances stopped, side by side
pf_stop_all() {
	local d pids=()
	for d in "$PF_ORIG" "$PF_FWD" "$PF_MX"; do
		(POSTFIX_DIR=$d postfix_stop) &
		pids+=($!)
	done
	wait "${pids[@]}"
}
cleanup() {
	pf_stop_all
	kill_doorman
	sink_stop
	nsd_stop
	if [ "$T_FAILED" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "--- doorman log"; tail -60 "$W/doorman.log" 2>/dev/null
		echo "--- forwarder's Postfix log"; tail -30 "$PF_FWD/maillog" 2>/dev/null
		echo "--- our MX's Postfix log"; tail -30 "$PF_MX/maillog" 2>/dev/null
		echo "(kept $W)"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
t0=$(date +%s)
step() { echo "# $(($(date +%s) - t0)) s: $*"; }

/usr/bin/python3 "$here/chain-msgs.py" "$M" "$CORPUS" || die "cannot make the messages"
nsd_start "$W" $DNS_PORT "$here/chain-zones" test
sink_start "$SINKDIR" $SINK_PORT
sed -e "s|@MILTER_PORT@|$MILTER_PORT|g" -e "s|@DNS_PORT@|$DNS_PORT|g" -e "s|@WORK@|$W|g" \
	"$here/chain.conf.in" >"$W/doorman.conf"
step "nsd, sink"
start_doorman "$build/milter/doorman" "$W/doorman.conf" "$W/doorman.log" $MILTER_PORT
step "doorman"

# The three Postfix instances start side by side (postfix check and start
# take seconds each); their directories are registered one by one first
# (postconf -e on the default main.cf is not safe to run concurrently).
# pf_start DIR SMTP SUB MILTER SETTINGS - in the background, status in DIR.rc
pf_start() {
	mkdir -p "$1"
	(POSTFIX_SETTINGS=$5 postfix_start "$1" "$2" "$3" "$4" $SINK_PORT >"$1.out" 2>&1
		echo $? >"$1.rc") &
	PF_PIDS+=($!)
}
PF_PIDS=()
for d in "$PF_ORIG" "$PF_FWD" "$PF_MX"; do
	postfix_register_dir "$d/etc"
done
# our MX: doorman, then the sink
pf_start "$W/mx" $MX_SMTP $MX_SUB "inet:127.0.0.1:$MILTER_PORT" "myhostname=mx.our.test"
# the forwarder: NAME@fwd.test is NAME@our.test, sent to our MX from its
# own address, one connection per message (a cached connection would be
# one doorman saw before the forwarder was learned); its bounces go to
# the sink
printf '/^(.*)@fwd\\.test$/ ${1}@our.test\n' >"$W/fwd-aliases"
pf_start "$W/fwd" $FWD_SMTP $FWD_SUB "" "myhostname=mx.fwd.test virtual_alias_maps=regexp:$W/fwd-aliases
	transport_maps=inline:{our.test=smtp:[127.0.0.1]:$MX_SMTP} smtp_bind_address=$FWD
	smtp_connection_cache_on_demand=no"
# the origin: everything goes to the forwarder, from the origin's address
pf_start "$W/origin" $ORIG_SMTP $ORIG_SUB "" "myhostname=mail.origin.test
	default_transport=smtp:[127.0.0.1]:$FWD_SMTP relay_transport=smtp:[127.0.0.1]:$FWD_SMTP
	smtp_bind_address=$ORIGIN smtp_connection_cache_on_demand=no"
wait "${PF_PIDS[@]}"
for i in mx fwd origin; do
	[ "$(cat "$W/$i.rc" 2>/dev/null)" = 0 ] || { cat "$W/$i.out" >&2; die "the $i Postfix did not start"; }
done
step "three Postfix instances"

# mailfrom NAME - the envelope sender of message NAME
mailfrom() { awk -v n="$1" '$1 == n { print $2 }' "$M/list"; }

# send NAME PORT CLIENT HELO TO - swaks message NAME; prints the last reply
# (the one to the end of data when it got there)
send() {
	timeout 30 swaks --server "127.0.0.1:$2" --local-interface "$3" --ehlo "$4" --from "$(mailfrom "$1")" \
		--to "$5" --data "@$M/$1.eml" --suppress-data --timeout 20 2>&1 |
		awk '/^ *<[-*~]+ +[0-9][0-9][0-9]/ { sub(/^ *<[-*~]+ +/, ""); r = $0 } /^ *-> QUIT/ { print r; exit }' || true
}

# submit NAME - message NAME to the origin, for NAME@fwd.test; true once queued
submit() {
	local r
	r=$(send "$1" $ORIG_SMTP 127.0.0.1 client.origin.test "$1@fwd.test")
	[ "${r:0:3}" = 250 ] || { echo "the origin did not queue $1: $r" >&2; return 1; }
}

# fwd_status NAME SECONDS - the forwarder's final delivery line for
# NAME@our.test (status=sent or bounced; deferred is retried)
fwd_status() {
	local i line
	for i in $(seq 0 $(($2 * 10))); do
		line=$(grep -sF "to=<$1@our.test>" "$PF_FWD/maillog" | grep -E 'status=(sent|bounced)' | tail -1 || true)
		[ -n "$line" ] && { echo "$line"; return 0; }
		sleep 0.1
	done
	return 1
}

# ar NAME - the Authentication-Results field of our MX in the delivered
# message NAME, unfolded
ar() {
	local f
	f=$(grep -lsiF "X-Rcpt-Args: <$1@our.test>" "$SINKDIR"/msg.* | tail -1 || true)
	[ -n "$f" ] || return 0
	tr -d '\r' <"$f" | awk '/^[ \t]/ { sub(/^[ \t]+/, " "); l = l $0; next } { print l; l = $0 } END { print l }' |
		grep -F "Authentication-Results: mx.our.test;" || true
}

# via_forwarder NAME - submitted to the origin and relayed by the forwarder;
# sets STATUS to the forwarder's delivery line
via_forwarder() {
	STATUS=
	submit "$1" || { not_ok "$1: not queued at the origin"; return 1; }
	STATUS=$(fwd_status "$1" 30) || { not_ok "$1: the forwarder never finished with it"; return 1; }
}

# expect_forwarded NAME DESCRIPTION AR-REGEX... - delivered through the
# chain to the sink, its Authentication-Results matching each AR-REGEX
expect_forwarded() {
	local name=$1 what=$2 h re
	shift 2
	via_forwarder "$name" || return 0
	if [[ "$STATUS" == *status=sent* ]] && sink_has "$SINKDIR" "$name@our.test" 20; then
		ok "$what: delivered through the forwarder"
	else
		not_ok "$what: not delivered: ${STATUS#*: }"
		return 0
	fi
	h=$(ar "$name")
	for re in "$@"; do
		grep -Eq -- "$re" <<<"$h" && ok "$what: header has /$re/" ||
			not_ok "$what: header '$h' lacks /$re/"
	done
}

# expect_bounced NAME DESCRIPTION - our MX refused it with 550 at the end
# of data, as the forwarder's Postfix logs it
expect_bounced() {
	via_forwarder "$1" || return 0
	if grep -Eq 'status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 .*\(in reply to end of DATA command\)' \
		<<<"$STATUS"; then
		ok "$2: refused at the end of data: ${STATUS#*said: }"
	else
		not_ok "$2: not refused with 550 at the end of data: ${STATUS#*: }"
	fi
}

expect_log() {
	log_has "$W/doorman.log" "$2" && ok "$1: logged /$2/" || not_ok "$1: no /$2/ in the doorman log"
}

expect_no_log() {
	log_has "$W/doorman.log" "$2" && not_ok "$1: logged /$2/: $(grep -E -- "$2" "$W/doorman.log" | head -1)" ||
		ok "$1: nothing like /$2/ in the log"
}

FWD_RE=${FWD//./\\.} ORIGIN_RE=${ORIGIN//./\\.} STRANGER_RE=${STRANGER//./\\.}

# --- a. before learning
expect_forwarded a-signed "before learning, signed by d01.test (p=reject)" \
	'dkim=pass [^;]*header\.d=d01\.test' 'dmarc=pass '
expect_log "the held SPF fail overridden" "spf=fail overridden=dkim/d01\.test"
expect_log "evidence counted" \
	"forwarder_evidence client=$FWD_RE origin=$ORIGIN_RE domain=d01\.test messages=1 domains=1"
expect_bounced a-spfonly "before learning, unsigned from spfonly.test (p=reject)"
expect_no_log "not learned yet" "forwarder_learned"

# --- b. the evidence: 3 messages from 3 domains, then learned
expect_forwarded e-2 "evidence, signed by d02.test (p=none)" 'dkim=pass [^;]*header\.d=d02\.test'
expect_no_log "not learned after 2 messages" "forwarder_learned"
expect_forwarded e-3 "evidence, signed by d03.test (p=reject)" 'dkim=pass [^;]*header\.d=d03\.test'
expect_log "learned" "forwarder_learned client=$FWD_RE messages=3 domains=3"
expect_forwarded b-spfonly "after learning, unsigned from spfonly.test (p=reject)" \
	"spf=pass \(origin $ORIGIN_RE via forwarder $FWD_RE, learned\) smtp\.mailfrom=u@spfonly\.test" \
	'dmarc=pass [^;]*header\.from=spfonly\.test'
expect_log "the decision names the forwarder and the origin" \
	"forwarder=learned client=$FWD_RE origin=$ORIGIN_RE spf=pass"

# --- c. the stranger
for name in c-unsigned-0 c-unsigned-1 c-unsigned-2 c-unsigned-3 c-changed-0 c-changed-1 c-changed-2 c-fake; do
	r=$(send $name $MX_SMTP $STRANGER mx.fwd.test "$name@our.test")
	[[ "$r" =~ ^5[0-9][0-9]\  ]] && ok "stranger, $name with a fake Received field: refused: $r" ||
		not_ok "stranger, $name with a fake Received field: got '$r', want 5xx"
done
expect_no_log "the stranger's fake Received fields are no evidence" "forwarder_evidence client=$STRANGER_RE"
expect_no_log "the stranger is never learned" "forwarder_learned client=$STRANGER_RE"
expect_no_log "the stranger is never treated as a forwarder" "forwarder=(learned|listed) client=$STRANGER_RE"

# --- the forwarded-mail corpus through the learned forwarder (12.7)
c0=$(date +%s.%N)
names=()
for i in $(seq 0 $((CORPUS - 1))); do
	names+=("$(printf 'corpus-%03d' "$i")")
done
# submitted four at a time (swaks takes ~0.3 s a message)
for ((i = 0; i < CORPUS; i += 4)); do
	pids=()
	for name in "${names[@]:i:4}"; do
		(submit "$name" && touch "$W/queued.$name") &
		pids+=($!)
	done
	wait "${pids[@]}" || true
done
queued=$(find "$W" -maxdepth 1 -name 'queued.*' | wc -l)
delivered=0 rejected=0 other=0 badar=0 signed=0 sent=()
for name in "${names[@]}"; do
	s=$(fwd_status "$name" 60) || s=
	case $s in
	*status=sent*) delivered=$((delivered + 1)); sent+=("$name") ;;
	*"said: 5"*) rejected=$((rejected + 1)); echo "# false reject: $name: ${s#*said: }" ;;
	*) other=$((other + 1)); echo "# $name: ${s:-no final status at the forwarder}" ;;
	esac
done
c1=$(date +%s.%N)
# each delivered one in the sink, then one pass over the sink: a line
# "RCPT<tab>Authentication-Results field" per message
for name in "${sent[@]}"; do
	sink_has "$SINKDIR" "$name@our.test" 20 || break
done
for f in "$SINKDIR"/msg.*; do
	tr -d '\r' <"$f" | awk 'function field(x) {
			if (x ~ /^X-Rcpt-Args: / && r == "") { r = x; sub(/^X-Rcpt-Args: </, "", r); sub(/>.*/, "", r) }
			if (x ~ /^Authentication-Results: mx\.our\.test;/) a = x
		}
		/^$/ { exit } /^[ \t]/ { sub(/^[ \t]+/, " "); l = l $0; next } { field(l); l = $0 }
		END { field(l); print r "\t" a }'
done >"$W/sink-index"
for name in "${sent[@]}"; do
	h=$(awk -F'\t' -v r="$name@our.test" '$1 == r { print $2; exit }' "$W/sink-index")
	[ -n "$h" ] || { badar=$((badar + 1)); echo "# $name: not in the sink"; continue; }
	grep -q 'dkim=pass' <<<"$h" && signed=$((signed + 1))
	grep -Eq "spf=pass \(origin $ORIGIN_RE via forwarder $FWD_RE, learned\)" <<<"$h" &&
		grep -q 'dmarc=pass ' <<<"$h" || { badar=$((badar + 1)); echo "# $name: $h"; }
done
unsigned=$(grep -c '^corpus-[0-9]* u@spfonly' "$M/list" || true)
secs=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f", b - a }')
echo "# corpus: $CORPUS messages ($((CORPUS - unsigned)) signed by 12 domains, half p=reject;" \
	"$unsigned unsigned from spfonly.test, p=reject) via the learned forwarder in $secs s:" \
	"$delivered delivered, $rejected rejected, $other other; $signed with dkim=pass"
[ "$queued" = "$CORPUS" ] && ok "corpus: the origin queued all $CORPUS" || not_ok "corpus: the origin queued $queued of $CORPUS"
[ "$rejected" = 0 ] && ok "corpus: 0 false rejects of $CORPUS" || not_ok "corpus: $rejected false rejects of $CORPUS"
[ "$delivered" = "$CORPUS" ] && ok "corpus: all $CORPUS delivered" || not_ok "corpus: $delivered of $CORPUS delivered"
[ "$badar" = 0 ] && ok "corpus: every one has spf=pass via the learned forwarder and dmarc=pass" ||
	not_ok "corpus: $badar without spf=pass via the forwarder and dmarc=pass"
[ "$signed" = $((CORPUS - unsigned)) ] && ok "corpus: the $signed signed ones have dkim=pass" ||
	not_ok "corpus: $signed with dkim=pass, $((CORPUS - unsigned)) signed"

# --- d. doorman-state lists the forwarder with its evidence
ds=$("$build/tools/doorman-state" -c "$W/doorman.conf" list forwarders 2>&1) || true
fl=$(grep "^$FWD_RE " <<<"$ds" || true)
# the window's counters are exact (atomic increments); the learned
# record's messages= and domains= are as the last message written counted
# them, and two messages at once may write in either order: not asserted
want="window_messages=$((3 + signed)) window_domains=12 "
[[ "$fl" == "$FWD state=learned "* && "$fl" == *" $want"* ]] &&
	ok "doorman-state list forwarders: ${fl:0:80}..." ||
	not_ok "doorman-state list forwarders: '$fl', want '$FWD state=learned ... $want...' (all: $ds)"
for i in $(seq -w 1 12); do
	[[ "$fl" =~ counts=([^ ]*,)?d$i\.test:[0-9] ]] || { not_ok "doorman-state: d$i.test not in the forwarder's counts"; break; }
done
[ "$i" = 12 ] && ok "doorman-state: the forwarder's counts name d01.test .. d12.test"
grep -q "^$STRANGER_RE " <<<"$ds" && not_ok "doorman-state lists the stranger: $ds" ||
	ok "doorman-state: the stranger is not listed"

pf_stop_all
stop_doorman "$MTA"
echo "# the suite took $(($(date +%s) - t0)) s"
finish
