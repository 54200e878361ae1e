#!/bin/bash
# sendmail.t.sh BUILD_DIR - the scenario list through a real Sendmail 8.17
#
# Starts smtp-sink, doorman and a private Sendmail on loopback (ports
# 17200-17299), runs t/mta/scenarios.sh, and stops everything on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: sendmail.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
. "$here/../lib/sink.sh"
. "$here/../lib/postfix.sh"
. "$here/../lib/sendmail.sh"
. "$here/scenarios.sh"

MILTER_PORT=17201 SMTP_PORT=17225 SUB_PORT=17287 SINK_PORT=17226

deps_postfix # smtp-sink, swaks
deps_sendmail
cleanup() {
	sendmail_stop
	mta_suite_stop "${MTA_WORK:-}/sendmail/sendmail.out"
}
trap cleanup EXIT
mta_suite_start sendmail $MILTER_PORT $SINK_PORT "$build"
sendmail_start "$MTA_WORK" $SMTP_PORT $SUB_PORT $MILTER_PORT $SINK_PORT "$here/sendmail.mc.in"

# Sendmail passes the SASL login of a real AUTH as {auth_authen}.
AUTH_PARAM_OK=1 run_scenarios sendmail $SMTP_PORT $SUB_PORT "$MTA_WORK/sink" "$MTA_WORK/doorman.log" \
	--auth PLAIN --auth-user alice@mx.doorman.test --auth-password secret

finish
