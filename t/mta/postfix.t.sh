#!/bin/bash
# postfix.t.sh BUILD_DIR - the scenario list through a real Postfix 3.7
#
# Starts smtp-sink, doorman and a private Postfix on loopback (ports
# 17100-17199), runs t/mta/scenarios.sh, and stops everything on exit.
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
mta_suite_start postfix $MILTER_PORT $SINK_PORT "$build"
nsd_start "$MTA_WORK" $DNS_PORT "$here/../dns/zones"
"$build/t/unit/dns-blackhole" $SILENT_PORT &
HOLE_PID=$!
postfix_start "$MTA_WORK" $SMTP_PORT $SUB_PORT "inet:127.0.0.1:$MILTER_PORT" $SINK_PORT $DNS_SMTP_PORT \
	$AUTH_SMTP_PORT
/usr/bin/python3 "$here/../auth/make-corpus.py" "$MTA_WORK/corpus"

# Postfix takes SMTP AUTH identities from XCLIENT LOGIN and passes them to
# the milter as {auth_authen}, as after a real SASL login.
run_scenarios postfix $SMTP_PORT $SUB_PORT "$MTA_WORK/sink" "$MTA_WORK/doorman.log" --xclient-login alice
run_dns_scenarios $DNS_SMTP_PORT
# the client address through XCLIENT, as after a connection from it
xclient() { echo "--local-interface 127.0.0.1 --xclient-name client.auth.test --xclient-addr $1"; }
held() { grep -q 'milter triggers HOLD action' "$MTA_WORK/postfix/maillog"; }
run_auth_scenarios postfix $AUTH_SMTP_PORT "$MTA_WORK/corpus" "$MTA_WORK/sink" "$MTA_WORK/doorman.log" \
	held xclient

postfix_stop
mta_suite_end
finish
