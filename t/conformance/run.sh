#!/bin/bash
# run.sh BUILD_DIR - the DKIM and DMARC conformance suite
#
# gen.py writes the cases (messages signed by python3-dkim, the zones they
# need, what RFC 6376, 8301, 8463 and 7489 ask of each, and dkimpy's own
# verdicts); NSD serves the zones, a server that never answers stands in
# for silent.test and slow.conf.test; a real doorman gets every case
# through miltertest (conformance.lua); check.py compares what it answered
# with the RFCs and with dkimpy.  Ports: 18100 doorman, 18101 NSD, 18102
# the silent server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
. "$here/../lib/nsd.sh"

command -v miltertest >/dev/null || die "miltertest missing: run t/install-deps.sh"
port=18100 dns_port=18101 silent_port=18102
work=$(mktemp -d /tmp/doorman-conf.XXXXXX)
cleanup() {
	stop_doorman
	nsd_stop
	stop_bg "${HOLE_PID:-}"
	if [ "$T_FAILED" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "--- doorman log (last 40 lines)"; tail -40 "$work/doorman.log"
		echo "(kept $work)"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

/usr/bin/python3 "$here/gen.py" "$work" || die "gen.py failed"
# nsd_start waits for doorman.test to answer
cp "$here/../dns/zones/doorman.test.zone" "$work/zones/"
deps_nsd
nsd_start "$work" $dns_port "$work/zones"
"$build/t/unit/dns-blackhole" $silent_port &
HOLE_PID=$!

sed -e "s|@PORT@|$port|g" -e "s|@DNS_PORT@|$dns_port|g" -e "s|@SILENT_PORT@|$silent_port|g" \
	"$here/conformance.conf" >"$work/doorman.conf"
mkdir -p "$work/ar"
export DOORMAN_SOCKET="inet:$port@127.0.0.1" DOORMAN_WORK=$work
start_doorman "$build/milter/doorman" "$work/doorman.conf" "$work/doorman.log" "$port"

cd "$here"
if timeout 120 miltertest -s conformance.lua >"$work/miltertest.out" 2>&1; then
	ok "conformance: miltertest script"
else
	not_ok "conformance: miltertest script"
	cat "$work/miltertest.out"
fi
stop_doorman
if grep -Eq 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$work/doorman.log"; then
	not_ok "conformance: sanitizer report in the doorman log"
fi
if /usr/bin/python3 "$here/check.py" "$work" mx.example.org; then
	ok "conformance: every case as the RFCs say"
else
	not_ok "conformance: cases (check.py above)"
fi
finish
