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
work=$(mktemp -d /tmp/doorman-sendmail.XXXXXX)
chmod 755 "$work"
cleanup() {
	sendmail_stop
	stop_doorman
	sink_stop
	if [ "$T_FAILED" -gt 0 ] || [ "${KEEP:-}" ]; then
		echo "--- doorman log"; tail -40 "$work/doorman.log" 2>/dev/null
		echo "--- sendmail output"; tail -40 "$work/sendmail/sendmail.out" 2>/dev/null
		echo "(work directory kept: $work)"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

sed -e "s|@MILTER_PORT@|$MILTER_PORT|g" -e "s|@WORK@|$work|g" "$here/doorman.conf.in" >"$work/doorman.conf"
cp "$here/sender_access" "$here/client_access" "$work/"
sink_start "$work/sink" $SINK_PORT
start_doorman "$build/milter/doorman" "$work/doorman.conf" "$work/doorman.log" $MILTER_PORT
sendmail_start "$work" $SMTP_PORT $SUB_PORT $MILTER_PORT $SINK_PORT "$here/sendmail.mc.in"

# Sendmail passes the SASL login of a real AUTH as {auth_authen}.
AUTH_PARAM_OK=1 run_scenarios sendmail $SMTP_PORT $SUB_PORT "$work/sink" "$work/doorman.log" \
	--auth PLAIN --auth-user alice@mx.doorman.test --auth-password secret

finish
