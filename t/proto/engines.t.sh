#!/bin/bash
# engines.t.sh BUILD_DIR - the negotiation both milter engines agree to,
# raw: mta.py's "late" checks (no replies to connect, HELO and MAIL when
# every policy holds its rejections until RCPT, only where the MTA offers
# them, the held verdict given at RCPT, RCPT without a connect tempfailed)
# against doorman with milter.engine = libmilter, as proto.t.sh runs them
# against the native engine: the same answers on the wire from both.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: engines.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
. "$here/mta.sh"
port=18520
work=$(mktemp -d /tmp/doorman-engines.XXXXXX)
trap 'kill_doorman; rm -rf "$work"' EXIT

sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$here/../miltertest|g" -e '/^\tnodelay: {/,/^\t};/d' \
	"$here/../miltertest/conf/default.conf" >"$work/late.conf"
DOORMAN_ENGINE=libmilter start_doorman "$build/milter/doorman" "$work/late.conf" "$work/late.log" $port
# start_doorman waited for the 'listening on' line: it names the engine
if grep -q 'listening on .*engine libmilter' "$work/late.log"; then
	ok "doorman runs libmilter"
else
	not_ok "doorman runs libmilter"
fi
mta_checks "libmilter: " $port "$work/late.log" late
if pid_alive "$DOORMAN_PID"; then
	ok "doorman alive after the held verdicts"
else
	not_ok "doorman alive after the held verdicts"
	tail -20 "$work/late.log" >&2
fi
stop_doorman libmilter
finish
