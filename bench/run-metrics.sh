#!/bin/bash
# run-metrics.sh BUILD_DIR [MSGS] [CONNS] [ROUNDS] - what Prometheus
# scrapes cost the mail path (issue 13, point 2).  doorman runs the shipped
# inbound-MX policy against NSD (as run-milter.sh) with metrics.listen on
# loopback; each round sends MSGS messages over CONNS milter connections
# twice, in alternating order: once with nobody scraping, once while a
# scraper asks for /metrics ten times a second (Prometheus asks once in
# 15 s by default: this is 150 times that).  Prints msg/s and doorman's CPU
# seconds per 1,000 messages (scrapes included) per round and the medians,
# then doorman's CPU per scrape with no mail (500 scrapes).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run-metrics.sh BUILD_DIR [MSGS] [CONNS] [ROUNDS]}" && pwd)
msgs=${2:-3000}
conns=${3:-20}
rounds=${4:-3}
. "$here/../t/lib/common.sh"
. "$here/../t/lib/nsd.sh"
. "$here/../t/lib/shipped.sh"
deps_nsd
port=17570 dns_port=17571 mport=17572
work=$(mktemp -d /tmp/doorman-bench.XXXXXX)
trap 'kill_doorman; nsd_stop; rm -rf "$work"' EXIT
nsd_start "$work" $dns_port "$here/../t/dns/zones"
shipped_policy "$work" inbound-mx.conf $port $dns_port $mport
sed -i 's/^\([[:space:]]*accepts = \)true;/\1false;/' "$work/doorman.conf"
n=$((msgs / 10 < 20 ? 20 : msgs / 10))
/usr/bin/python3 "$here/../t/auth/make-corpus.py" --bench "$n" "$work/corpus"
start_doorman "$build/milter/doorman" "$work/doorman.conf" "$work/doorman.log" $port
url="http://127.0.0.1:$mport/metrics"
gen() {
	"$build/bench/miltergen" -s "inet:$port@127.0.0.1" -d "$work/corpus" -p "$DOORMAN_PID" \
		-a 203.0.113.5 -H goodhelo.auth.test -f '<s@pass.auth.test>' -r '<alice@example.org>' \
		-D mx.example.org "$@"
}
# round KIND OUT: one run, with a scraper beside it when KIND is "scraped"
round() {
	local spid="" scrapes=0
	if [ "$1" = scraped ]; then
		# bounded: 10 scrapes a second for at most 10 minutes
		(for _ in $(seq 1 6000); do curl -s -o /dev/null --max-time 2 "$url"; sleep 0.1; done) &
		spid=$!
	fi
	gen -c "$conns" -n "$msgs" >"$2"
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
	fi
	grep -q "^answers: continue $msgs, reject 0, tempfail 0, error 0\$" "$2" ||
		die "$1: not every message accepted: $(grep '^answers:' "$2")"
	awk -v k="$1" '/^messages:/ { r = $6 } /^filter CPU:/ { c = $(NF - 4) }
		END { printf "%-8s %8.1f msg/s  %.3f s CPU per 1,000 messages\n", k, r, c }' "$2"
}
gen -c 4 -n "$n" >"$work/warm.out"
curl -sf -o /dev/null "$url" || die "no scrape at $url"
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) = 1 ]; then order="quiet scraped"; else order="scraped quiet"; fi
	for k in $order; do round "$k" "$work/$k.$r.out" | tee -a "$work/$k.all"; done
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for k in quiet scraped; do
	printf 'median %-8s %8s msg/s  %s s CPU per 1,000 messages\n' "$k" \
		"$(awk '{ print $2 }' "$work/$k.all" | median)" "$(awk '{ print $4 }' "$work/$k.all" | median)"
done
# a scrape's own cost: doorman's CPU over 500 scrapes with no mail
cpu() { awk '{ print $14 + $15 }' "/proc/$DOORMAN_PID/stat"; }
hz=$(getconf CLK_TCK)
c0=$(cpu)
for _ in $(seq 1 500); do curl -s -o /dev/null --max-time 2 "$url"; done
c1=$(cpu)
bytes=$(curl -s "$url" | wc -c)
awk -v a="$c0" -v b="$c1" -v hz="$hz" -v n="$bytes" \
	'BEGIN { printf "scrape: %.0f us of doorman CPU each (500 scrapes), %d bytes\n", (b - a) / hz / 500 * 1e6, n }'
stop_doorman bench-metrics
[ "$T_FAILED" = 0 ] || exit 1
