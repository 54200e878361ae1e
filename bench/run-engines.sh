#!/bin/bash
# run-engines.sh BUILD_DIR [ROUNDS] [E2E_ROUNDS] - the two milter engines
# (milter.engine native and libmilter) side by side, same negotiation.
#
# Each round runs every measurement once per engine, in alternating order
# (native first in odd rounds, libmilter first in even ones), so a busy
# moment of a shared machine falls on both alike:
#   - bench/run-milter.sh, 2,000 messages at 1 and at 20 connections:
#     doorman's CPU seconds per 1,000 messages, msg/s, p50/p99 of a whole
#     message; at 20 connections also the scale run (2,000 connections
#     held): resident memory with all of them open;
#   - bench/run-e2e.sh (Postfix alone vs Postfix + doorman, unix socket),
#     E2E_ROUNDS rounds: 2,000 messages over 20 sessions and 300 over one:
#     the corpus row's ratio to Postfix alone and doorman's CPU per 1,000.
# Prints every run, then per measurement the median of each engine with
# its spread (min-max) and the ratio libmilter/native of the medians.
# Takes about ROUNDS x 1 min + E2E_ROUNDS x 3 min.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run-engines.sh BUILD_DIR [ROUNDS] [E2E_ROUNDS]}" && pwd)
rounds=${2:-5}
e2e_rounds=${3:-3}
out=$(mktemp /tmp/doorman-engines.XXXXXX)
trap 'rm -f "$out"' EXIT

order() { if [ $(($1 % 2)) = 1 ]; then echo native libmilter; else echo libmilter native; fi; }
# record ENGINE KEY VALUE
record() { [ -n "$3" ] && echo "$1 $2 $3" >>"$out"; echo "  $1 $2 $3"; }

for r in $(seq 1 "$rounds"); do
	echo "round $r (milter load)"
	for conns in 1 20; do
		for e in $(order "$r"); do
			scale=0
			[ "$conns" = 20 ] && scale=2000
			res=$(ENGINE=$e "$here/run-milter.sh" "$build" 2000 "$conns" "$scale")
			record $e "cpu@$conns" "$(awk '/^filter CPU:/ { print $7 }' <<<"$res")"
			record $e "msg/s@$conns" "$(awk '/^messages:/ { print $6 }' <<<"$res")"
			record $e "p50ms@$conns" "$(awk '/^latency message/ { print $4 }' <<<"$res")"
			record $e "p99ms@$conns" "$(awk '/^latency message/ { print $7 }' <<<"$res")"
			if [ "$scale" -gt 0 ]; then
				record $e "rss_kB@2000conns" \
					"$(sed -n 's/.* kB at [0-9]*, \([0-9]*\) kB at 2000 connections.*/\1/p' <<<"$res")"
			fi
		done
	done
done
for r in $(seq 1 "$e2e_rounds"); do
	echo "round $r (end to end)"
	for sessions in 20 1; do
		msgs=2000
		[ "$sessions" = 1 ] && msgs=300
		for e in $(order "$r"); do
			res=$(ENGINE=$e "$here/run-e2e.sh" "$build" $msgs $sessions 1)
			line=$(grep '^median corpus' <<<"$res")
			record $e "e2e_ratio@$sessions" "$(awk '{ print $10 }' <<<"$line")"
			record $e "e2e_cpu@$sessions" "$(awk '{ print $13 }' <<<"$line")"
		done
	done
done

echo
echo "medians over the rounds (spread min-max); ratio libmilter/native"
stat() { # ENGINE KEY: "median min max"
	awk -v e="$1" -v k="$2" '$1 == e && $2 == k { print $3 }' "$out" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) printf "%s %s %s", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
for key in $(awk '{ print $2 }' "$out" | awk '!seen[$0]++'); do
	read -r nm nlo nhi <<<"$(stat native "$key")"
	read -r lm llo lhi <<<"$(stat libmilter "$key")"
	printf '%-18s native %9s (%s-%s)   libmilter %9s (%s-%s)   ratio %.2f\n' "$key" \
		"$nm" "$nlo" "$nhi" "$lm" "$llo" "$lhi" "$(awk -v a="$nm" -v b="$lm" 'BEGIN { print a ? b / a : 0 }')"
done
