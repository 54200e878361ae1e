#!/bin/bash
# run-dnsbl.sh BUILD_DIR [N] [DELAY_MS] - connect-stage DNSBL decision
# time, 1 vs 5 zones, cold and cached, against NSD serving t/dns/zones on
# loopback, behind dnsdelay adding DELAY_MS (default 5) to every answer, as
# a DNS server at a real distance would.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run-dnsbl.sh BUILD_DIR [N]}" && pwd)
n=${2:-500}
delay=${3:-5}
. "$here/../t/lib/common.sh"
. "$here/../t/lib/nsd.sh"
deps_nsd
work=$(mktemp -d /tmp/doorman-bench.XXXXXX)
trap 'nsd_stop; stop_bg "${DELAY_PID:-}"; rm -rf "$work"' EXIT
nsd_start "$work" 17553 "$here/../t/dns/zones"
"$build/bench/dnsdelay" 17554 17553 "$delay" 600 &
DELAY_PID=$!
echo "DNS server: NSD behind a relay adding $delay ms to each answer"
cat >"$work/bench.conf" <<CONF
milter: { user = ""; pidfile = ""; };
resolver: { upstreams = [ "127.0.0.1@17554" ]; unblock = [ "test." ]; timeout = 2000; };
default_policy = "one";
policies: {
	one: { listeners = [ "one" ]; dnsbl: { zones = [ "bl.doorman.test" ]; }; };
	five: { listeners = [ "five" ]; dnsbl: { zones = [ "bl.doorman.test", "bl2.doorman.test",
		"wl.doorman.test*-5", "bl4.doorman.test", "bl5.doorman.test" ]; }; };
};
CONF
"$build/bench/dnsbl_bench" "$work/bench.conf" "$n"
