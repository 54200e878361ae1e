#!/bin/bash
# sendmail.t.sh BUILD_DIR - the scenario list through a real Sendmail 8.17
#
# Starts smtp-sink, NSD, doorman and a private Sendmail on loopback (ports
# 17200-17299), runs t/mta/scenarios.sh, and stops everything on exit.
# It runs in a network namespace of its own (unshare -n), whose loopback
# also carries 203.0.113.5 and 203.0.113.99 (SPF needs clients that are
# not 127.0.0.0/8: libspf2 passes loopback outright) and the DNS checks'
# clients 203.0.113.66-71: Sendmail, unlike Postfix, has no XCLIENT to
# pretend.  Nothing of the machine's network is
# touched.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: sendmail.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
. "$here/../lib/sink.sh"
. "$here/../lib/postfix.sh"
. "$here/../lib/sendmail.sh"
. "$here/../lib/nsd.sh"
. "$here/scenarios.sh"

MILTER_PORT=17201 SMTP_PORT=17225 SUB_PORT=17287 SINK_PORT=17226 AUTH_PORT=17227 DNS_SMTP_PORT=17228
DNS_PORT=17253 SILENT_PORT=17254

deps_postfix # smtp-sink, swaks
deps_sendmail
deps_nsd
if [ -z "${DOORMAN_NETNS:-}" ]; then
	exec unshare -n env DOORMAN_NETNS=1 "$0" "$@"
fi
ip link set lo up
ip addr add 203.0.113.5/32 dev lo
ip addr add 203.0.113.99/32 dev lo
# the DNS checks' clients (t/dns/zones: listed, whitelisted, FCrDNS pass and fail)
for a in 66 69 70 71; do ip addr add 203.0.113.$a/32 dev lo; done
cleanup() {
	sendmail_stop
	nsd_stop
	stop_bg "${HOLE_PID:-}"
	mta_suite_stop "${MTA_WORK:-}/sendmail/sendmail.out"
}
trap cleanup EXIT
mta_suite_start sendmail $MILTER_PORT $SINK_PORT "$build"
nsd_start "$MTA_WORK" $DNS_PORT "$here/../dns/zones"
"$build/t/unit/dns-blackhole" $SILENT_PORT &
HOLE_PID=$!
sendmail_start "$MTA_WORK" $SMTP_PORT $SUB_PORT $MILTER_PORT $SINK_PORT "$here/sendmail.mc.in" $AUTH_PORT \
	$DNS_SMTP_PORT
/usr/bin/python3 "$here/../auth/make-corpus.py" "$MTA_WORK/corpus"

# Sendmail passes the SASL login of a real AUTH as {auth_authen}.
AUTH_PARAM_OK=1 run_scenarios sendmail $SMTP_PORT $SUB_PORT "$MTA_WORK/sink" "$MTA_WORK/doorman.log" \
	--auth PLAIN --auth-user alice@mx.doorman.test --auth-password secret
run_dns_scenarios sendmail $DNS_SMTP_PORT
# Sendmail sends no {daemon_addr}: doorman takes the address the client
# reached from {if_addr}, which Sendmail sets when it is not loopback
SERVER=203.0.113.5 expect_rcpt "HELO claims the address it reached ({if_addr})" $DNS_SMTP_PORT \
	203.0.113.70 '[203.0.113.5]' s@mxonly.doorman.test postmaster@example.org \
	'550 5.7.1 HELO name impersonates this server'
expect_log "HELO impersonation through {if_addr} logged" 'client="[^"]*\[203.0.113.70\]" policy=dns stage=rcpt action=reject rule=helo_self'
# the client address: a source address of this namespace's loopback
srcaddr() { echo "--local-interface $1"; }
# a quarantined message stays in Sendmail's queue as an hf file with its reason
held() { grep -qs '^q.*DMARC policy of quar.auth.test' "$SENDMAIL_DIR"/queue/hf*; }
run_auth_scenarios sendmail $AUTH_PORT "$MTA_WORK/corpus" "$MTA_WORK/sink" "$MTA_WORK/doorman.log" \
	held srcaddr

sendmail_stop
mta_suite_end
finish
