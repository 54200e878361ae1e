#!/bin/bash
# run-milter.sh BUILD_DIR [MSGS] [CONNS] [SCALE] - doorman alone under a
# milter load, with the shipped inbound-MX policy, against NSD serving
# t/dns/zones on loopback (no added delay: the figures are doorman's CPU
# and latency, with a warm resolver cache after the warm-up round).
#
# The corpus is MSGS/10 (at least 20) DKIM-signed 4 KB messages from
# pass.auth.test (t/auth/make-corpus.py --bench), sent from 203.0.113.5,
# which pass.auth.test's SPF record names: every message runs relay, HELO,
# sender, 3 DNSBL zones, RHSBL, FCrDNS, SPF (HELO and MAIL FROM), DKIM,
# DMARC and the recipient list, and is accepted with its header added.
# Prints miltergen's report (msg/s, p50/p99 per stage, doorman's CPU
# seconds per 1,000 messages), then the scale run: SCALE connections held
# open past HELO, one message on each, doorman's resident memory.
# PROFILE=FILE records doorman's CPU profile of the run with perf.
# ENGINE=native|libmilter sets milter.engine (default: the schema's);
# SCALE=0 skips the scale run.  bench/run-engines.sh alternates engines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run-milter.sh BUILD_DIR [MSGS] [CONNS] [SCALE]}" && pwd)
msgs=${2:-2000}
conns=${3:-20}
scale=${4:-2000}
. "$here/../t/lib/common.sh"
. "$here/../t/lib/nsd.sh"
. "$here/../t/lib/shipped.sh"
export DOORMAN_ENGINE=${ENGINE:-} # start_doorman sets milter.engine from it
deps_nsd
port=17560 dns_port=17561
work=$(mktemp -d /tmp/doorman-bench.XXXXXX)
trap 'kill_doorman; nsd_stop; rm -rf "$work"' EXIT
nsd_start "$work" $dns_port "$here/../t/dns/zones"
shipped_policy "$work" inbound-mx.conf $port $dns_port
# no log line per accepted recipient: a postmaster under load keeps them off
sed -i 's/^\([[:space:]]*accepts = \)true;/\1false;/' "$work/doorman.conf"
n=$((msgs / 10 < 20 ? 20 : msgs / 10))
/usr/bin/python3 "$here/../t/auth/make-corpus.py" --bench "$n" "$work/corpus"
# doorman holds a descriptor per connection: the scale run needs more than 1024
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
start_doorman "$build/milter/doorman" "$work/doorman.conf" "$work/doorman.log" $port
gen() {
	"$build/bench/miltergen" -s "inet:$port@127.0.0.1" -d "$work/corpus" -p "$DOORMAN_PID" \
		-a 203.0.113.5 -H goodhelo.auth.test -f '<s@pass.auth.test>' -r '<alice@example.org>' \
		-D mx.example.org "$@"
}
# answered RUN OUT: miltergen's answers line says every message of the run
# was accepted (the corpus passes every check, DMARC included: a refusal
# or a failure is doorman's fault here)
answered() {
	if grep -q "^answers: continue [0-9]*, reject 0, tempfail 0, error 0\$" "$2"; then
		echo "ok - $1: every message accepted"
	else
		echo "not ok - $1: $(grep '^answers:' "$2" || echo 'no answers line')" >&2
		exit 1
	fi
}
echo "warm-up: $n messages"
gen -c 4 -n "$n" >"$work/warm.out"
answered warm-up "$work/warm.out"
echo "run: $msgs messages over $conns connections"
if [ -n "${PROFILE:-}" ]; then
	# where doorman's CPU goes (software clock: this kind has no hardware counters)
	perf record -q -e cpu-clock -F 1999 -g -o "$PROFILE" -p "$DOORMAN_PID" 2>/dev/null &
	PERF_PID=$!
	sleep 0.5
fi
gen -c "$conns" -n "$msgs" | tee "$work/run.out"
if [ -n "${PERF_PID:-}" ]; then
	kill -INT "$PERF_PID"
	wait "$PERF_PID" || true
fi
answered run "$work/run.out"
if [ "$scale" -gt 0 ]; then
	echo "scale: $scale connections"
	gen -S "$scale"
fi
if grep -qE 'ERROR|runtime error|action=(reject|tempfail)' "$work/doorman.log"; then
	echo "doorman refused or failed something under load:" >&2
	grep -E 'ERROR|runtime error|action=(reject|tempfail)' "$work/doorman.log" | head -5 >&2
	exit 1
fi
# doorman stopped and judged: status 0, no sanitizer report in its log
stop_doorman bench-milter
[ "$T_FAILED" = 0 ] || exit 1
