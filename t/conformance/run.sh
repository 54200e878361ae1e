#!/bin/bash
# run.sh BUILD_DIR [cases|corpus] - the DKIM and DMARC conformance suite
#
# gen.py writes the cases (messages signed by python3-dkim, the zones they
# need, what RFC 6376, 8301, 8463 and 7489 ask of each, and dkimpy's own
# verdicts); NSD serves the zones, a server that never answers stands in
# for silent.test and slow.conf.test; a real doorman gets every case
# through miltertest (conformance.lua); check.py compares what it answered
# with the RFCs and with dkimpy.  Ports: 18100 doorman, 18101 NSD, 18102
# the silent server.
#
# corpus: no false rejects, measured.  gen.py writes 240 messages signed
# and aligned as their From domains publish (p=reject for most), with
# the oddities of real mail: other signatures (valid, keyless, rsa-sha1,
# broken), legal but unusual fields (a ';' or 8-bit bytes in a name,
# capitals, 8-bit values, encoded words, quoted local parts), folded
# fields signed and not, every canonicalization, ed25519 and dual
# signatures, l=, 8-bit and odd bodies, one to five recipients.  Every
# one must be accepted with dmarc=pass.  Ports 18110-18112.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR [cases|corpus]}" && pwd)
mode=${2:-cases}
. "$here/../lib/common.sh"
. "$here/../lib/nsd.sh"

command -v miltertest >/dev/null || die "miltertest missing: run t/install-deps.sh"
port=18100 dns_port=18101 silent_port=18102
[ "$mode" = corpus ] && port=18110 dns_port=18111 silent_port=18112
work=$(mktemp -d /tmp/doorman-conf.XXXXXX)
cleanup() {
	kill_doorman
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

/usr/bin/python3 "$here/gen.py" "$work" "$mode" || die "gen.py failed"
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
script=conformance.lua
[ "$mode" = corpus ] && script=corpus.lua
t0=$(date +%s.%N)
if timeout 200 miltertest -s $script >"$work/miltertest.out" 2>&1; then
	ok "$mode: miltertest script"
else
	not_ok "$mode: miltertest script"
	cat "$work/miltertest.out"
fi
t1=$(date +%s.%N)
stop_doorman "$mode"
if [ "$mode" = corpus ]; then
	log=$work/doorman.log
	total=$(wc -l <"$work/corpus.txt")
	rcpts=$(awk '{n += $2} END {print n}' "$work/corpus.txt")
	results=$(grep -Ec 'stage=eom action=continue rule=auth reason=' "$log" || true)
	pass=$(grep -Ec 'stage=eom action=continue rule=auth reason="[^"]*dmarc=pass/' "$log" || true)
	fail=$(grep -Ec 'rule=auth reason="[^"]*dmarc=(fail|temperror|permerror)/' "$log" || true)
	refused=$(grep -Ec 'stage=eom action=(reject|tempfail|discard|quarantine)' "$log" || true)
	echo "# corpus: $total messages to $rcpts recipients: $refused refused, $fail dmarc=fail," \
		"$pass dmarc=pass, in $(awk "BEGIN {printf \"%.1f\", $t1 - $t0}") s ($(cat "$work/corpus.result"))"
	[ "$total" -ge 200 ] && ok "corpus: $total messages (at least 200)" || not_ok "corpus: only $total messages"
	[ "$results" -eq "$total" ] && ok "corpus: a results line for each" || not_ok "corpus: $results results lines"
	[ "$refused" -eq 0 ] && grep -q "refused=0 " "$work/corpus.result" &&
		ok "corpus: none refused" || not_ok "corpus: $refused refused"
	[ "$fail" -eq 0 ] && ok "corpus: no dmarc fail" || not_ok "corpus: $fail without dmarc=pass"
	[ "$pass" -eq "$total" ] && ok "corpus: dmarc=pass for each" || not_ok "corpus: $pass dmarc=pass"
	if [ "$fail" -gt 0 ]; then
		grep -E 'rule=auth reason="[^"]*dmarc=(fail|temperror|permerror)/' "$log" | head -5
	fi
	echo "# signatures: $(grep -E 'stage=eom action=continue rule=auth' "$log" | grep -oE 'dkim=[a-z]+' |
		sort | uniq -c | awk '{printf "%s %s, ", $1, $2}')"
elif /usr/bin/python3 "$here/check.py" "$work" mx.example.org; then
	ok "conformance: every case as the RFCs say"
else
	not_ok "conformance: cases (check.py above)"
fi
finish
