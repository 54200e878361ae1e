#!/bin/bash
# fwd-mta.t.sh BUILD_DIR [postfix|sendmail] - BATV and SRS (issue 12)
# through a real MTA with doorman
#
# BATV: an authenticated user's message leaves with a prvs= signed
# envelope sender (seen at the sink), the very tag an independent
# implementation of the draft (python3's hmac, in this file) computes.
# At the MX a bounce (null sender) to an untagged address of batv.domains
# is refused at RCPT with 550 5.7.1; a bounce to the tag the sink saw is
# delivered to the untagged mailbox, a tag of the second (older) key of
# the file too (one by fwd-eval, one by python3); an expired or forged
# tag is refused; with batv.action = "dryrun" (a third listener) the
# untagged bounce is accepted and logged would=reject.
# SRS: a message to fwd@example.org, an alias of bob@dest.test, leaves
# with an SRS0 sender of example.org.  A bounce to the SRS address is
# delivered to the original sender, one made with the second (older)
# secret of the file too; a forged hash, an expired timestamp get 550 at
# RCPT.
# Postfix only: Postfix hands the forwarded message from 192.0.2.25 (our
# MX's address, the only one example.org's SPF names) to a second
# listener that plays the destination MX with a second doorman
# (t/fwd/dest.conf.in), whose SPF passes it, while the original sender
# from the same address is refused (SPF fail).  Interoperability with postsrsd 1.10 (Debian), run
# with the same secret: it writes the very SRS0 address doorman wrote;
# its addresses bounced through the MTA are delivered by doorman,
# doorman's are reversed by postsrsd, a forged one refused by both, and
# SRS1 both ways.
# Sendmail authenticates with real SASL (its sasldb); Postfix takes the
# login from XCLIENT, which reaches the milter as {auth_authen} the same way.
#
# It runs in a network namespace of its own (unshare -n) whose loopback
# also carries 192.0.2.25 and 203.0.113.7.  Ports 20300-20309 (Postfix),
# 20310-20314 (Sendmail).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: fwd-mta.t.sh BUILD_DIR [postfix|sendmail]}" && pwd)
MTA=${2:-postfix}
. "$here/../lib/common.sh"
. "$here/../lib/sink.sh"
. "$here/../lib/postfix.sh"
. "$here/../lib/sendmail.sh"
. "$here/../lib/nsd.sh"
. "$here/../mta/scenarios.sh"

case $MTA in
postfix) base=20300 ;;
sendmail) base=20310 ;;
*) die "unknown MTA $MTA" ;;
esac
MILTER_PORT=$base SMTP_PORT=$((base + 1)) SUB_PORT=$((base + 2)) SINK_PORT=$((base + 3))
DNS_PORT=$((base + 4)) AUTH_PORT=$((base + 5)) DEST_PORT=$((base + 6)) SRSD_PORT=$((base + 7))
SRSR_PORT=$((base + 8)) DEST_MILTER_PORT=$((base + 9))
MX=192.0.2.25 ORIGIN=203.0.113.7

deps_postfix # smtp-sink, swaks for both
deps_nsd
[ "$MTA" = sendmail ] && deps_sendmail
if [ "$MTA" = postfix ] && ! dpkg -s postsrsd >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postsrsd >/dev/null ||
		die "cannot install postsrsd (t/install-deps.sh)"
fi
if [ -z "${DOORMAN_NETNS:-}" ]; then
	exec unshare -n env DOORMAN_NETNS=1 "$0" "$@"
fi
ip link set lo up
ip addr add $MX/32 dev lo
ip addr add $ORIGIN/32 dev lo

W=$(mktemp -d "/tmp/doorman-fwd-$MTA.XXXXXX")
chmod 755 "$W"
SINKDIR=$W/sink DOORMAN_LOG=$W/doorman.log
cleanup() {
	postfix_stop
	sendmail_stop
	stop_bg "${SRSD_PID:-}"
	kill_doorman
	stop_bg "${DEST_PID:-}"
	sink_stop
	nsd_stop
	if [ "$T_FAILED" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "--- doorman log"; tail -40 "$W/doorman.log" 2>/dev/null
		echo "--- the second doorman's log"; tail -20 "$W/dest.log" 2>/dev/null
		echo "--- MTA log"; tail -40 "$W/postfix/maillog" "$W/sendmail/sendmail.out" 2>/dev/null
		echo "(kept $W)"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT

sed -e "s|@MILTER_PORT@|$MILTER_PORT|g" -e "s|@DNS_PORT@|$DNS_PORT|g" -e "s|@HERE@|$here|g" \
	"$here/doorman.conf.in" >"$W/doorman.conf"
nsd_start "$W" $DNS_PORT "$here/zones" example.org
sink_start "$SINKDIR" $SINK_PORT
start_doorman "$build/milter/doorman" "$W/doorman.conf" "$DOORMAN_LOG" $MILTER_PORT
eval_="$build/t/fwd/fwd-eval"
if [ "$MTA" = postfix ]; then
	# the second doorman, the destination's
	sed -e "s|@DEST_MILTER_PORT@|$DEST_MILTER_PORT|g" -e "s|@DNS_PORT@|$DNS_PORT|g" \
		"$here/dest.conf.in" >"$W/dest.conf"
	set_engine "$W/dest.conf"
	"$build/milter/doorman" -n -c "$W/dest.conf" || die "doorman -n rejected dest.conf"
	"$build/milter/doorman" -f -c "$W/dest.conf" 2>"$W/dest.log" &
	DEST_PID=$!
	wait_port 127.0.0.1 $DEST_MILTER_PORT 20 || { cat "$W/dest.log" >&2; die "the second doorman did not listen"; }
	postfix_start "$W" $SMTP_PORT $SUB_PORT "inet:127.0.0.1:$MILTER_PORT" $SINK_PORT "" $AUTH_PORT
	# dest.test goes out from our MX's address to the "dest" listener,
	# which names itself otherwise (Postfix would see a loop to itself)
	# and hands what it accepts to the sink
	postconf -c "$POSTFIX_DIR/etc" -e \
		"transport_maps = inline:{ dest.test=fwdout:[127.0.0.1]:$DEST_PORT }"
	cat >>"$POSTFIX_DIR/etc/master.cf" <<MASTER
fwdout unix - - n - - smtp -o smtp_bind_address=$MX
127.0.0.1:$DEST_PORT inet n - n - - smtpd -o milter_macro_daemon_name=dest -o smtpd_milters=inet:127.0.0.1:$DEST_MILTER_PORT -o myhostname=mx.dest.test -o content_filter=smtp:[127.0.0.1]:$SINK_PORT
MASTER
	postfix -c "$POSTFIX_DIR/etc" reload >/dev/null 2>&1 || die "postfix reload failed"
	wait_port 127.0.0.1 $DEST_PORT 15 || die "postfix not listening on $DEST_PORT"
	AUTHARGS=(--xclient-login alice)
else
	sendmail_start "$W" $SMTP_PORT $SUB_PORT $MILTER_PORT $SINK_PORT "$here/../mta/sendmail.mc.in" $AUTH_PORT
	AUTHARGS=(--auth PLAIN --auth-user alice@mx.doorman.test --auth-password secret)
fi

# sink_sender RCPT - the envelope sender of the (last) message for RCPT at the sink
sink_sender() {
	local f
	f=$(grep -lsiF -- "X-Rcpt-Args: <$1>" "$SINKDIR"/msg.* | tail -1)
	[ -n "$f" ] && tr -d '\r' <"$f" | sed -n 's/^X-Mail-Args: <\([^>]*\)>.*/\1/p' | head -1
}
# re TEXT - TEXT as an extended regular expression that matches only itself
re() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|/]/\\&/g'; }
BOUNCE_REPLY='550 5.7.1 .*Bounce address tag is missing, invalid or expired: this is not a reply to our mail'
SRS_REPLY='550 5.7.1 .*Invalid or expired SRS address'

# --- BATV: the authenticated user's sender is signed
expect_delivered "authenticated sender, BATV signing" $SUB_PORT 127.0.0.1 client.example.org \
	alice@example.org carol@remote.test "${AUTHARGS[@]}"
signed=$(sink_sender carol@remote.test)
if [[ "$signed" =~ ^prvs=0[0-9]{3}[0-9a-f]{6}=alice@example.org$ ]]; then
	ok "$MTA: the sink saw MAIL FROM:<$signed>"
else
	not_ok "$MTA: the sink saw MAIL FROM:<$signed>, not a prvs= tag of alice@example.org"
fi
expect_log "signing logged" "rule=batv .*sender rewritten to <prvs="
[ "$("$eval_" "$here/batv.keys" batv-check "$signed")" = alice@example.org ] &&
	ok "$MTA: the tag verifies with fwd-eval" || not_ok "$MTA: the tag $signed does not verify"

# prvs PRVS_LOCAL_OR_ADDRESS KEYLINE [DAY] - draft-levine-smtp-batv-01's
# prvs tag of ADDRESS, computed here by python3's hmac, independently of
# doorman: prvs=KDDDSSSSSS=address, K the key number (0), DDD the day it
# expires modulo 1000, SSSSSS the first 3 bytes of HMAC-SHA1(key, KDDD
# address) in hex
prvs() {
	/usr/bin/python3 - "$@" <<'PY'
import hashlib, hmac, sys, time
addr, key = sys.argv[1], sys.argv[2].encode()
day = sys.argv[3] if len(sys.argv) > 3 else "%03d" % ((int(time.time()) // 86400 + 7) % 1000)
kddd = "0" + day
mac = hmac.new(key, (kddd + addr.lower()).encode(), hashlib.sha1).hexdigest()[:6]
print("prvs=%s%s=%s" % (kddd, mac, addr))
PY
}
[ "$(prvs alice@example.org "$(head -1 "$here/batv.keys")" "${signed:6:3}")" = "$signed" ] &&
	ok "$MTA: python3's hmac computes the same tag (the draft's format)" ||
	not_ok "$MTA: python3 computes $(prvs alice@example.org "$(head -1 "$here/batv.keys")" "${signed:6:3}"), doorman signed $signed"
[ "${signed:6:3}" = "$(printf '%03d' $((($(date +%s) / 86400 + 7) % 1000)))" ] &&
	ok "$MTA: the tag expires in batv.max_age (7) days" || not_ok "$MTA: the tag's day ${signed:6:3} is not today + 7"

# --- BATV at the MX: bounces
expect_rcpt "bounce to an untagged address" $SMTP_PORT 127.0.0.1 mx.remote.test '<>' alice@example.org \
	"$BOUNCE_REPLY"
expect_log "untagged bounce logged" 'action=reject rule=batv .*batv=untagged'
expect_rcpt "bounce to postmaster, untagged" $SMTP_PORT 127.0.0.1 mx.remote.test '<>' postmaster@example.org '250 '
AS=alice@example.org expect_delivered "bounce to the signed sender" $SMTP_PORT 127.0.0.1 mx.remote.test \
	'<>' "$signed"
expect_log "valid tag logged" "batv=valid rcpt=<$signed> delivered_to=<alice@example.org>"
old=$("$eval_" "$here/batv-old.keys" batv-sign dave@example.org)
AS=dave@example.org expect_delivered "bounce to a tag of the second key" $SMTP_PORT 127.0.0.1 \
	mx.remote.test '<>' "$old"
py=$(prvs erin@example.org "$(sed -n 2p "$here/batv.keys")")
AS=erin@example.org expect_delivered "bounce to a tag python3 made with the second key" $SMTP_PORT \
	127.0.0.1 mx.remote.test '<>' "$py"
today=$(($(date +%s) / 86400))
expired=$("$eval_" "$here/batv.keys" batv-sign alice@example.org $((today - 8)) 7)
expect_rcpt "bounce to an expired tag ($expired)" $SMTP_PORT 127.0.0.1 mx.remote.test '<>' "$expired" \
	"$BOUNCE_REPLY"
expect_log "expired tag logged" 'rule=batv .*batv=expired'
forged=$(echo "$signed" | sed 's/^\(prvs=0[0-9]\{3\}\)....../\1abcdef/')
expect_rcpt "bounce to a forged tag" $SMTP_PORT 127.0.0.1 mx.remote.test '<>' "$forged" "$BOUNCE_REPLY"
expect_log "forged tag logged" 'rule=batv .*batv=bad'
# the third listener's policy has batv.action = "dryrun"
expect_rcpt "dryrun: bounce to an untagged address accepted" $AUTH_PORT 127.0.0.1 mx.remote.test '<>' \
	bob@example.org '250 '
expect_log "dryrun: logged as would=reject" 'policy=rollout stage=rcpt action=dryrun would=reject rule=batv .*batv=untagged'
expect_rcpt "a tag needs a null sender to be required" $SMTP_PORT 127.0.0.1 mx.remote.test \
	someone@remote.test alice@example.org '250 '

# --- SRS: the alias forwards off-site
AS=bob@dest.test expect_delivered "alias to dest.test, SRS" $SMTP_PORT $ORIGIN mail.example.net \
	sender@example.net fwd@example.org
srs=$(sink_sender bob@dest.test)
if [[ "$srs" =~ ^SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=example.net=sender@example.org$ ]]; then
	ok "$MTA: the sink saw MAIL FROM:<$srs>"
else
	not_ok "$MTA: the sink saw MAIL FROM:<$srs>, not an SRS0 address of example.org"
fi
expect_log "SRS rewriting logged" 'rule=srs .*sender rewritten to <SRS0='
if [ "$MTA" = postfix ]; then
	# the destination (Postfix's "dest" listener, from our MX's address)
	f=$(grep -lsiF "X-Rcpt-Args: <bob@dest.test>" "$SINKDIR"/msg.* | tail -1)
	# the header unfolded: one line per field
	ar=$(tr -d '\r' <"$f" | awk '/^[ \t]/ { sub(/^[ \t]+/, " "); l = l $0; next } { print l; l = $0 } END { print l }' |
		grep -F "Authentication-Results: mx.dest.test;" || true)
	if grep -qF " spf=pass smtp.mailfrom=$srs;" <<<"$ar"; then
		ok "$MTA: the destination's SPF passed the SRS sender from $MX"
	else
		not_ok "$MTA: no spf=pass for $srs at the destination in $f"
	fi
	log_has "$W/dest.log" "policy=dest .*action=accept .*from=\"$(re "$srs")\"" &&
		ok "$MTA: the second doorman accepted it" || not_ok "$MTA: no accept by the second doorman"
	SERVER=127.0.0.1 expect_rcpt "the destination refuses the unrewritten sender from $MX" $DEST_PORT $MX \
		mx.doorman.test sender@example.net bob@dest.test '550 5.7.23 '
fi
# --- bounces to SRS addresses
AS=sender@example.net expect_delivered "bounce to the SRS address" $SMTP_PORT 127.0.0.1 \
	mx.remote.test '<>' "$srs"
expect_log "SRS bounce logged" "srs=valid rcpt=<$(re "$srs")> delivered_to=<sender@example.net>"
h=${srs:5:4}
bad=SRS0=$([ "$h" = AAAA ] && echo BBBB || echo AAAA)${srs:9}
expect_rcpt "bounce to a forged SRS address" $SMTP_PORT 127.0.0.1 mx.remote.test '<>' "$bad" "$SRS_REPLY"
expect_log "forged SRS logged" 'rule=srs .*srs=bad'
# rotation: an address made with the second (older) secret of the file
srsold=$("$eval_" "$here/srs-old.secrets" srs-forward erin@example.net example.org =)
AS=erin@example.net expect_delivered "bounce to an SRS address of the second secret" $SMTP_PORT 127.0.0.1 \
	mx.remote.test '<>' "$srsold"
old=$("$eval_" "$here/srs.secrets" srs-forward sender@example.net example.org = $(($(date +%s) - 30 * 86400)))
expect_rcpt "bounce to an expired SRS address" $SMTP_PORT 127.0.0.1 mx.remote.test '<>' "$old" "$SRS_REPLY"
expect_log "expired SRS logged" 'rule=srs .*srs=expired'

if [ "$MTA" = postfix ]; then
	# --- postsrsd 1.10, the same secret
	postsrsd -s "$here/srs.secrets" -d example.org -l 127.0.0.1 -f $SRSD_PORT -r $SRSR_PORT \
		>"$W/postsrsd.out" 2>&1 &
	SRSD_PID=$!
	wait_port 127.0.0.1 $SRSD_PORT 10 || die "postsrsd did not listen"
	wait_port 127.0.0.1 $SRSR_PORT 10 || die "postsrsd did not listen (reverse)"
	# srsd PORT ADDRESS - postsrsd's answer (Postfix's tcp_table: "200 value", %XX-encoded)
	srsd() {
		local line
		exec 3<>"/dev/tcp/127.0.0.1/$1"
		printf 'get %s\n' "$2" >&3
		IFS= read -r -t 5 line <&3 || line=
		exec 3<&-
		line=${line%$'\r'}
		printf '%b\n' "${line//%/\\x}"
	}
	p=$(srsd $SRSD_PORT sender@example.net)
	p=${p#200 }
	[[ "$p" =~ ^SRS0= ]] && ok "postsrsd: forward gives $p" || not_ok "postsrsd: forward gives '$p'"
	[ "$p" = "$srs" ] && ok "postsrsd and doorman write the same SRS0 address" ||
		not_ok "postsrsd wrote $p, doorman $srs"
	AS=sender@example.net expect_delivered "bounce to postsrsd's address, through doorman" $SMTP_PORT \
		127.0.0.1 mx.remote.test '<>' "$p"
	r=$(srsd $SRSR_PORT "$srs")
	[ "$r" = "200 sender@example.net" ] && ok "postsrsd reverses doorman's $srs" ||
		not_ok "postsrsd reverse of $srs: '$r'"
	r=$(srsd $SRSR_PORT "$bad")
	[ "${r:0:3}" != 200 ] && ok "postsrsd refuses the forged $bad too ($r)" ||
		not_ok "postsrsd reverses the forged $bad: $r"
	r=$(srsd $SRSR_PORT "$srsold")
	[ "$r" = "200 erin@example.net" ] && ok "postsrsd reverses doorman's $srsold (second secret)" ||
		not_ok "postsrsd reverse of $srsold: '$r'"
	# SRS1: the SRS0 address of another forwarder, forwarded again
	s0="SRS0=abcd=TT=orig.test=u@other.test"
	p1=$(srsd $SRSD_PORT "$s0")
	p1=${p1#200 }
	d1=$("$eval_" "$here/srs.secrets" srs-forward "$s0" example.org =)
	[ "$p1" = "$d1" ] && [[ "$d1" =~ ^SRS1= ]] && ok "SRS1: postsrsd and doorman agree ($d1)" ||
		not_ok "SRS1: postsrsd '$p1', doorman '$d1'"
	r=$("$eval_" "$here/srs.secrets" srs-reverse "${p1%@example.org}" || true)
	[ "$r" = "$s0" ] && ok "SRS1: doorman reverses postsrsd's" || not_ok "SRS1: doorman reverse of $p1: '$r'"
	r=$(srsd $SRSR_PORT "$d1")
	[ "$r" = "200 $s0" ] && ok "SRS1: postsrsd reverses doorman's" || not_ok "SRS1: postsrsd reverse of $d1: '$r'"
	stop_bg "$SRSD_PID"
	SRSD_PID=
	postfix_stop
	judge_stop "$MTA: the second doorman" "$DEST_PID" "$W/dest.log"
	DEST_PID=
else
	sendmail_stop
fi
stop_doorman "$MTA"
finish
