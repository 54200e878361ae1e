#!/bin/bash
# postfix.t.sh BUILD_DIR - the scenario list through a real Postfix 3.7
#
# Starts smtp-sink, doorman and a private Postfix on loopback (ports
# 17100-17199), runs t/mta/scenarios.sh, and stops everything on exit.
# Postfix runs with inet_protocols = all and reaches doorman on an IPv6
# milter socket (inet6:PORT@::1); IPv6 clients come through XCLIENT.  Then
# what only Postfix can show: DMARC failures tagged (p=quarantine, and
# p=reject with pct=0) and a pct=0 quarantine held in its queue.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: postfix.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
. "$here/../lib/sink.sh"
. "$here/../lib/postfix.sh"
. "$here/../lib/nsd.sh"
. "$here/scenarios.sh"

MILTER_PORT=17101 SMTP_PORT=17125 SUB_PORT=17187 SINK_PORT=17126 DNS_SMTP_PORT=17127 AUTH_SMTP_PORT=17128
DNS_PORT=17153 SILENT_PORT=17154

deps_postfix
deps_nsd
cleanup() {
	postfix_stop
	nsd_stop
	stop_bg "${HOLE_PID:-}"
	mta_suite_stop "${MTA_WORK:-}/postfix/maillog"
}
trap cleanup EXIT
# doorman on an IPv6 milter socket, which Postfix reaches with inet_protocols = all
MILTER_SOCKET="inet6:$MILTER_PORT@::1" POSTFIX_INET_PROTOCOLS=all
mta_suite_start postfix $MILTER_PORT $SINK_PORT "$build"
nsd_start "$MTA_WORK" $DNS_PORT "$here/../dns/zones"
"$build/t/unit/dns-blackhole" $SILENT_PORT &
HOLE_PID=$!
postfix_start "$MTA_WORK" $SMTP_PORT $SUB_PORT "inet:[::1]:$MILTER_PORT" $SINK_PORT $DNS_SMTP_PORT \
	$AUTH_SMTP_PORT
/usr/bin/python3 "$here/../auth/make-corpus.py" "$MTA_WORK/corpus"

# Postfix takes SMTP AUTH identities from XCLIENT LOGIN and passes them to
# the milter as {auth_authen}, as after a real SASL login.
run_scenarios postfix $SMTP_PORT $SUB_PORT "$MTA_WORK/sink" "$MTA_WORK/doorman.log" --xclient-login alice
# IPv6 clients (XCLIENT, which takes them with inet_protocols = all)
expect_rcpt "IPv6 client: no relay" $SMTP_PORT 127.0.0.1 client.example.net sender@example.net \
	u@remote.example "$RELAY_REPLY" --xclient-addr IPV6:2001:db8:2::9
expect_log "IPv6 client address reached doorman" \
	'client="[^"]*\[2001:db8:2::9\]" policy=inbound stage=rcpt action=reject rule=relay reason="remote_domain"'
expect_delivered "IPv6 client in a trusted IPv6 network relays" $SMTP_PORT 127.0.0.1 client.example.net \
	sender@example.net v6trusted@remote.example --xclient-addr IPV6:2001:db8:1::9
expect_log "IPv6 trusted relay logged" \
	'client="[^"]*\[2001:db8:1::9\]" policy=inbound stage=rcpt action=accept rule=trusted .*to="v6trusted@remote.example"'
run_dns_scenarios postfix $DNS_SMTP_PORT
# the client address through XCLIENT, as after a connection from it
xclient() { echo "--local-interface 127.0.0.1 --xclient-name client.auth.test --xclient-addr $1"; }
held() { grep -q 'milter triggers HOLD action' "$MTA_WORK/postfix/maillog"; }
run_auth_scenarios postfix $AUTH_SMTP_PORT "$MTA_WORK/corpus" "$MTA_WORK/sink" "$MTA_WORK/doorman.log" \
	held xclient

# DMARC failures that are not rejected: the "dns" listener's policy tags
# p=quarantine, and p=reject with pct=0 (applied as quarantine); the
# "auth" listener's policy quarantines, so Postfix holds that message
dmarc_tagged() { # ID FILE HEADER-VALUE
	local got f
	# shellcheck disable=SC2046
	# 203.0.113.70: not listed, forward-confirmed (the "dns" policy checks both)
	got=$(smtp_data $DNS_SMTP_PORT client.auth.test s@mxonly.doorman.test postmaster@example.org \
		"$MTA_WORK/corpus/$2.eml" --add-header "X-Test-Id: postfix-$1" $(xclient 203.0.113.70))
	if [ "${got:0:4}" != "250 " ]; then
		not_ok "postfix: $1: got '$got', want 250"
	elif ! sink_has_line "$MTA_WORK/sink" "X-Test-Id: postfix-$1" 20; then
		not_ok "postfix: $1: not delivered"
	else
		f=$(sink_file "$MTA_WORK/sink" "X-Test-Id: postfix-$1")
		if grep -qxF "X-Doorman-DMARC: $3" <<<"$(tr -d '\r' <"$f")"; then
			ok "postfix: $1: delivered with X-Doorman-DMARC: $3"
		else
			not_ok "postfix: $1: delivered without X-Doorman-DMARC: $3"
		fi
	fi
}
dmarc_tagged dmarc-quarantine-tag from-quar "fail policy=quarantine header.from=quar.auth.test"
dmarc_tagged dmarc-pct0-tag from-pct0 "fail policy=quarantine header.from=pct0.auth.test"
# shellcheck disable=SC2046
got=$(smtp_data $AUTH_SMTP_PORT client.auth.test s@none.auth.test postmaster@example.org \
	"$MTA_WORK/corpus/from-pct0.eml" --add-header "X-Test-Id: postfix-dmarc-pct0-held" $(xclient 203.0.113.5))
qid=$(sed -n 's/^250 .* queued as \([0-9A-F]*\)$/\1/p' <<<"$got")
held_qid() { [ -n "$qid" ] && grep -q "$qid: milter-hold: .*milter triggers HOLD action" "$MTA_WORK/postfix/maillog"; }
for _ in $(seq 1 200); do held_qid && break; sleep 0.1; done
if held_qid; then
	ok "postfix: dmarc-pct0: p=reject pct=0 applied as quarantine: $qid held"
else
	not_ok "postfix: dmarc-pct0: got '$got', not held"
fi

postfix_stop
mta_suite_end
finish
