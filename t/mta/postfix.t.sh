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
. "$here/scenarios.sh"

MILTER_PORT=17101 SMTP_PORT=17125 SUB_PORT=17187 SINK_PORT=17126

deps_postfix
work=$(mktemp -d /tmp/doorman-postfix.XXXXXX)
chmod 755 "$work"
cleanup() {
	postfix_stop
	stop_doorman
	sink_stop
	if [ "$T_FAILED" -gt 0 ] || [ "${KEEP:-}" ]; then
		echo "--- doorman log"; cat "$work/doorman.log" 2>/dev/null | tail -40
		echo "--- postfix log"; tail -40 "$work/postfix/maillog" 2>/dev/null
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
postfix_start "$work" $SMTP_PORT $SUB_PORT "inet:127.0.0.1:$MILTER_PORT" $SINK_PORT

# Postfix takes SMTP AUTH identities from XCLIENT LOGIN and passes them to
# the milter as {auth_authen}, as after a real SASL login.
run_scenarios postfix $SMTP_PORT $SUB_PORT "$work/sink" "$work/doorman.log" --xclient-login alice

finish
