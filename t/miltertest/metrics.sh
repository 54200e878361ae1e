#!/bin/bash
# metrics.sh - after metrics.lua: a real scrape of doorman's Prometheus
# endpoint (curl) holds each decision metrics.lua caused, with its labels
# and count, the DNS counters of the lists' zones, the stage histograms
# and the gauges; `promtool check metrics` (Debian's prometheus) passes
# on it; a reload moves the policy generation and the last-reload
# metrics, a refused one sets doorman_reload_last_success to 0; only GET
# /metrics is served; and a second doorman given the same metrics.listen
# refuses to start, saying why.
set -uo pipefail
. "$DOORMAN_HERE/../lib/common.sh"
conf=$DOORMAN_WORK/doorman.conf
log=$DOORMAN_WORK/doorman.log
mport=$((DOORMAN_PORT + 3))
url=http://127.0.0.1:$mport/metrics
bad=0
scrape() { curl -sS --max-time 5 "$url" >"$DOORMAN_WORK/scrape" || { echo "curl $url failed"; bad=1; }; }
# want LINE: the scrape has this exact line
want() { grep -Fxq -- "$1" "$DOORMAN_WORK/scrape" || { echo "scrape lacks: $1"; bad=1; }; }
# want_re REGEX: some line matches
want_re() { grep -Eq -- "$1" "$DOORMAN_WORK/scrape" || { echo "scrape lacks /$1/"; bad=1; }; }

scrape
want 'doorman_decisions_total{policy="bl",stage="rcpt",rule="dnsbl",action="reject"} 1'
want 'doorman_decisions_total{policy="bl",stage="rcpt",rule="relay",action="reject"} 1'
want 'doorman_decisions_total{policy="bl",stage="rcpt",rule="recipient",action="accept"} 1'
want 'doorman_decisions_total{policy="bl",stage="eom",rule="message",action="accept"} 1'
want 'doorman_decisions_total{policy="silent",stage="rcpt",rule="dnsbl",action="tempfail"} 1'
want 'doorman_decisions_total{policy="dry",stage="rcpt",rule="recipient",action="accept"} 1'
want 'doorman_dryrun_total{policy="dry",stage="helo",rule="helo_fqdn",action="reject"} 1'
# no decision of the dry run's is counted as taken
if grep -q '^doorman_decisions_total{policy="dry",.*action="reject"' "$DOORMAN_WORK/scrape"; then
	echo "a dry run's would-reject counted as a reject"; bad=1
fi
# bl.doorman.test: an A query per bl session, and the TXT reason of the
# listed one (3); silent.test once, timed out
want 'doorman_dns_queries_total{zone="bl.doorman.test"} 3'
want 'doorman_dns_queries_total{zone="silent.test"} 1'
want 'doorman_dns_timeouts_total{zone="silent.test"} 1'
want 'doorman_dns_failures_total{zone="bl.doorman.test"} 0'
# 4 sessions: 4 connects, 5 RCPTs, one message; the silent one took >= 0.25 s
want 'doorman_stage_duration_seconds_count{stage="connect"} 4'
want 'doorman_stage_duration_seconds_count{stage="rcpt"} 5'
want 'doorman_stage_duration_seconds_count{stage="eom"} 1'
want 'doorman_stage_duration_seconds_bucket{stage="connect",le="+Inf"} 4'
want_re '^doorman_stage_duration_seconds_bucket\{stage="connect",le="0\.25"\} 3$'
want 'doorman_mta_connections_open 0'
want 'doorman_workers_busy 0'
want 'doorman_policy_generation 1'
want 'doorman_reload_last_success 1'
want_re '^doorman_build_info\{version="[0-9.]+"\} 1$'
want 'doorman_metrics_dropped_total 0'
want '# TYPE doorman_stage_duration_seconds histogram'
if out=$(promtool check metrics <"$DOORMAN_WORK/scrape" 2>&1); then
	echo "promtool check metrics: passed"
else
	echo "promtool check metrics: $out"; bad=1
fi
t0=$(sed -n 's/^doorman_reload_last_timestamp_seconds //p' "$DOORMAN_WORK/scrape")
[ -n "$t0" ] && [ "$t0" -gt 1700000000 ] || { echo "reload timestamp '$t0'"; bad=1; }

# only GET /metrics
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$mport/other")
[ "$code" = 404 ] || { echo "GET /other: $code, want 404"; bad=1; }
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST -d x "$url")
[ "$code" = 405 ] || { echo "POST /metrics: $code, want 405"; bad=1; }
ctype=$(curl -s -o /dev/null -w '%{content_type}' --max-time 5 "$url")
[ "$ctype" = "text/plain; version=0.0.4; charset=utf-8" ] || { echo "content type '$ctype'"; bad=1; }

sleep 1 # the timestamp has whole seconds: a reload after this one is later
reload_and_wait "$log" "$DOORMAN_PID" 1 || bad=1
scrape
want 'doorman_policy_generation 2'
want 'doorman_reload_last_success 1'
t1=$(sed -n 's/^doorman_reload_last_timestamp_seconds //p' "$DOORMAN_WORK/scrape")
[ -n "$t1" ] && [ "$t1" -gt "$t0" ] || { echo "reload timestamp $t1 not after $t0"; bad=1; }
cp "$conf" "$conf.good"
echo 'bogus_setting = 1;' >>"$conf"
reload_and_wait "$log" "$DOORMAN_PID" 2 || bad=1
scrape
want 'doorman_policy_generation 2'
want 'doorman_reload_last_success 0'
cp "$conf.good" "$conf"

# a second doorman on the same metrics.listen: refused at start, exit 1
sed -e "s|socket = \"inet:[^\"]*\"|socket = \"unix:$DOORMAN_WORK/second.sock\"|" "$conf" >"$DOORMAN_WORK/second.conf"
timeout 20 "$DOORMAN_BIN" -f -c "$DOORMAN_WORK/second.conf" 2>"$DOORMAN_WORK/second.log"
rc=$?
[ "$rc" = 1 ] || { echo "second doorman: exit $rc, want 1"; bad=1; }
grep -q "metrics.listen 127.0.0.1:$mport: cannot listen: Address already in use" "$DOORMAN_WORK/second.log" ||
	{ echo "second doorman's log:"; cat "$DOORMAN_WORK/second.log"; bad=1; }
[ -e "$DOORMAN_WORK/second.sock" ] && { echo "second doorman left its socket"; bad=1; }

[ "$bad" = 0 ] || { echo "--- scrape"; cat "$DOORMAN_WORK/scrape"; }
exit "$bad"
