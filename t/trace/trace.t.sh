#!/bin/bash
# trace.t.sh BUILD_DIR - doorman -t: a verdict explained without an MTA
#
# NSD serves t/dns/zones (the DNS lists and the SPF, DKIM and DMARC
# records the other suites use); t/dns/blackhole never answers for
# silent.test.  Each case runs `doorman -t` with t/trace/trace.conf and
# checks the exit status (0 accept, 1 reject, 2 tempfail, 3 usage or
# policy error), the lines of the report for people that carry the facts
# (a DNS list's answer with its zone, the SPF result and record, the DMARC
# record, the rule and the reply, the header fields), and the same facts
# in the JSON report (-j), which python3 -m json.tool must accept.  A
# trace writes nothing: the greylisting policy's state directory stays
# without a data file.  Every run's stderr must hold no sanitizer report.
# Ports 20400-20401.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: trace.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
. "$here/../lib/nsd.sh"

dnsp=20400 silentp=20401
bin=$build/milter/doorman
work=$(mktemp -d /tmp/doorman-trace.XXXXXX)
BH_PID=
cleanup() {
	stop_bg "$BH_PID"
	nsd_stop
	if [ "$T_FAILED" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "(kept $work)"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

deps_nsd
nsd_start "$work" "$dnsp" "$here/../dns/zones"
"$build/t/unit/dns-blackhole" "$silentp" &
BH_PID=$!
conf=$work/trace.conf
sed -e "s|@PORT@|20402|; s|@DNS_PORT@|$dnsp|; s|@SILENT_PORT@|$silentp|; s|@WORK@|$work|" \
	"$here/trace.conf" >"$conf"

printf 'From: Alice <a@pass.auth.test>\nTo: b@example.org\nSubject: trace\n\nhello\n' >"$work/msg"

# tr EXPECTED_STATUS NAME ARGS... - doorman -t ARGS into $work/NAME.out
# (stdout) and NAME.err; checks the status and the sanitizers
out=
tr() {
	local want=$1 name=$2 rc=0
	shift 2
	out=$work/$name.out
	"$bin" -t "$@" >"$out" 2>"$work/$name.err" || rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$name: exit status $rc"
	else
		not_ok "$name: exit status $rc, not $want"
		sed 's/^/  | /' "$out" "$work/$name.err" | head -60
	fi
	if sanitizer_report "$work/$name.err"; then
		not_ok "$name: a sanitizer report"
	fi
}

# has NAME FIXED_STRING - the last report holds that line (or part of one)
has() {
	if grep -qF -- "$2" "$out"; then
		ok "$1"
	else
		not_ok "$1: no \"$2\" in $out"
		sed 's/^/  | /' "$out" | head -60
	fi
}

# json NAME PYTHON_EXPR - the last report is JSON, and EXPR (over j) is true
checked=
json() {
	if [ "$checked" != "$out" ]; then
		if python3 -m json.tool "$out" >/dev/null 2>"$work/json.err"; then
			ok "$(basename "$out"): JSON (python3 -m json.tool)"
		else
			not_ok "$(basename "$out"): not JSON: $(head -c 300 "$work/json.err")"
		fi
		checked=$out
	fi
	if python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
dns = [d for s in j["steps"] for d in s["dns"]]
facts = [f for s in j["steps"] for f in s["facts"]]
checks = [k for s in j["steps"] for k in s["checks"]]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$out" "$2"; then
		ok "$1"
	else
		not_ok "$1: false: $2"
		python3 -m json.tool "$out" | head -80 | sed 's/^/  | /'
	fi
}

C=(-c "$conf")

# --- reject: a DNS list names the client (held until RCPT) ---
tr 1 dnsbl "${C[@]}" -a 203.0.113.66 -H goodhelo.auth.test -s a@pass.auth.test -r b@example.org
has "dnsbl: the list's answer with its zone" \
	"[dnsbl] dns A 66.113.0.203.bl.doorman.test (zone bl.doorman.test): found 127.0.0.2"
has "dnsbl: the allowlist's answer with its zone" \
	"[dnsbl] dns A 66.113.0.203.wl.doorman.test (zone wl.doorman.test): nxdomain"
has "dnsbl: the check's result" "[dnsbl] result: reject rule=dnsbl: listed"
has "dnsbl: held until RCPT" "the verdict of rule dnsbl is held until RCPT"
has "dnsbl: the deciding rule" "decision: reject at rcpt, rule dnsbl"
has "dnsbl: the reply" \
	"reply: 554 5.7.1 [203.0.113.66] listed by bl.doorman.test: 203.0.113.66 is a known spam source"
has "dnsbl: the exit status printed" "exit: 1"
tr 1 dnsbl-json "${C[@]}" -j -a 203.0.113.66 -H goodhelo.auth.test -s a@pass.auth.test -r b@example.org
json "dnsbl json: decision, rule, reply, exit" \
	'j["decision"]["action"] == "reject" and j["decision"]["rule"] == "dnsbl" and j["decision"]["stage"] == "rcpt" and j["decision"]["reply"].startswith("554 5.7.1 [203.0.113.66] listed by bl.doorman.test") and j["exit"] == 1'
json "dnsbl json: the list's answer with its zone" \
	'any(d["query"] == "66.113.0.203.bl.doorman.test" and d["zone"] == "bl.doorman.test" and d["type"] == "A" and d["status"] == "found" and d["answers"] == ["127.0.0.2"] for d in dns)'
json "dnsbl json: the check that ran" \
	'any(k["check"] == "dnsbl" and k["result"] == "reject" and k["reason"] == "listed" for k in checks) and j["steps"][0]["held"] == "dnsbl"'

# --- reject: SPF fail ---
tr 1 spf-fail "${C[@]}" -a 203.0.113.99 -H goodhelo.auth.test -s a@pass.auth.test -r b@example.org
has "spf fail: the record" \
	"[spf] dns TXT pass.auth.test: found v=spf1 ip4:203.0.113.0/28 ip6:2001:db8::/64 ip4:127.0.0.1 -all"
has "spf fail: the result" \
	"[spf] spf.mailfrom: fail for a@pass.auth.test (domain pass.auth.test): pass.auth.test does not designate 203.0.113.99 as a permitted sender"
has "spf fail: no mechanism but -all matches" \
	"[spf] spf.record: pass.auth.test: v=spf1 ip4:203.0.113.0/28 ip6:2001:db8::/64 ip4:127.0.0.1 -all; for 203.0.113.99: v=spf1 -all"
has "spf fail: the deciding rule" "decision: reject at rcpt, rule spf_fail"
has "spf fail: the reply" "reply: 550 5.7.23"
tr 1 spf-fail-json "${C[@]}" -j -a 203.0.113.99 -H goodhelo.auth.test -s a@pass.auth.test -r b@example.org
json "spf fail json: result and rule" \
	'any(f["label"] == "spf.mailfrom" and f["text"].startswith("fail for a@pass.auth.test") for f in facts) and j["decision"]["rule"] == "spf_fail" and j["decision"]["reply"].startswith("550 5.7.23")'

# --- accept, with the message: SPF pass, DKIM, DMARC, the header fields ---
tr 0 accept "${C[@]}" -a 203.0.113.5 -N mx.pass.auth.test -H goodhelo.auth.test \
	-s a@pass.auth.test -r b@example.org -m "$work/msg"
has "accept: the client as given" "client mx.pass.auth.test[203.0.113.5], policy inbound"
has "accept: no list answer, each with its zone" \
	"[dnsbl] dns A 5.113.0.203.bl.doorman.test (zone bl.doorman.test): nxdomain"
has "accept: SPF pass" "[spf] spf.mailfrom: pass for a@pass.auth.test (domain pass.auth.test)"
has "accept: SPF for the HELO name" "[spf] spf.helo: pass for goodhelo.auth.test"
has "accept: the DKIM signatures" "[dkim] dkim: no DKIM-Signature field"
has "accept: the DMARC record" "[dmarc] dmarc.record: _dmarc.pass.auth.test: v=DMARC1; p=reject (adkim=r aspf=r)"
has "accept: the DMARC alignment" "[dmarc] dmarc.alignment: spf pass.auth.test (pass) aligned with From pass.auth.test"
has "accept: the DMARC result" "[dmarc] dmarc: pass header.from=pass.auth.test policy=reject"
has "accept: the decision" "decision: accept"
has "accept: recipients" "recipients accepted: 1 of 1"
has "accept: Received-SPF" "header: Received-SPF: pass (mx.example.org: domain of pass.auth.test designates 203.0.113.5 as permitted sender)"
has "accept: Authentication-Results" "header: Authentication-Results: mx.example.org;"
has "accept: exit printed" "exit: 0"
tr 0 accept-json "${C[@]}" -j -a 203.0.113.5 -N mx.pass.auth.test -H goodhelo.auth.test \
	-s a@pass.auth.test -r b@example.org -m "$work/msg"
json "accept json: decision, header fields, message" \
	'j["decision"]["action"] == "accept" and j["decision"]["rule"] is None and j["message"] and j["exit"] == 0 and j["header"]["Received-SPF"].startswith("pass ") and "dmarc=pass" in j["header"]["Authentication-Results"]'
json "accept json: SPF and DMARC facts" \
	'any(f["label"] == "spf.mailfrom" and f["text"].startswith("pass for a@pass.auth.test") for f in facts) and any(f["label"] == "dmarc.record" and "v=DMARC1; p=reject" in f["text"] for f in facts)'
json "accept json: a DNS list query without an answer" \
	'any(d["zone"] == "bl.doorman.test" and d["status"] == "nxdomain" and d["answers"] == [] for d in dns)'

# --- the SPF chain: a record that includes another ---
tr 0 spf-chain "${C[@]}" -a 203.0.113.5 -H goodhelo.auth.test -s a@chain.auth.test -r b@example.org
has "spf chain: the first record" \
	"[spf] spf.record: chain.auth.test: v=spf1 include:pass.auth.test -all; for 203.0.113.5: v=spf1 include:pass.auth.test -all"
has "spf chain: the included record, the mechanism that matched" \
	"[spf] spf.record: include or redirect: pass.auth.test: v=spf1 ip4:203.0.113.0/28 ip6:2001:db8::/64 ip4:127.0.0.1 -all; for 203.0.113.5: v=spf1 ip4:203.0.113.5"
has "spf chain: the result" "[spf] spf.mailfrom: pass for a@chain.auth.test (domain chain.auth.test)"
tr 0 spf-chain-json "${C[@]}" -j -a 203.0.113.5 -H goodhelo.auth.test -s a@chain.auth.test -r b@example.org
json "spf chain json: both records in order, the result" \
	'[f["text"].split(":")[0] for f in facts if f["label"] == "spf.record"][-2:] == ["chain.auth.test", "include or redirect"] and any(f["label"] == "spf.mailfrom" and f["text"].startswith("pass") for f in facts)'

# --- two recipients, one refused: the message goes on ---
tr 0 two-rcpts "${C[@]}" -a 203.0.113.5 -H goodhelo.auth.test -s a@pass.auth.test \
	-r b@example.org -r someone@elsewhere.test
has "two recipients: relaying refused for one" "=> reject (rule relay)"
has "two recipients: accepted 1 of 2" "recipients accepted: 1 of 2"

# --- the SMTP AUTH user: relaying allowed for it alone ---
tr 0 auth-user "${C[@]}" -l submission -u alice -a 192.0.2.7 -H host.example.com \
	-s alice@example.org -r carol@elsewhere.test
has "auth user: the listener's policy" "policy submission"
has "auth user: relayed" "recipients accepted: 1 of 1"
tr 1 no-auth-user "${C[@]}" -l submission -a 192.0.2.7 -H host.example.com \
	-s alice@example.org -r carol@elsewhere.test
has "no auth user: relaying refused" "decision: reject at rcpt, rule relay"

# --- tempfail: a DNS list that never answers ---
tr 2 tempfail "${C[@]}" -l silent -a 203.0.113.5 -H goodhelo.auth.test -s a@pass.auth.test -r b@example.org
has "tempfail: the policy of the listener" "policy silent"
has "tempfail: the failure with its zone" "[dnsbl] dns A 5.113.0.203.silent.test (zone silent.test): tempfail/timeout"
has "tempfail: the deciding rule" "decision: tempfail at rcpt, rule dnsbl"
has "tempfail: the reply" "reply: 451 4.4.3 Temporary DNS failure, try again later"
tr 2 tempfail-json "${C[@]}" -j -l silent -a 203.0.113.5 -H goodhelo.auth.test -s a@pass.auth.test -r b@example.org
json "tempfail json: the failure with its zone, the reply" \
	'any(d["zone"] == "silent.test" and d["status"] == "tempfail/timeout" for d in dns) and j["decision"]["action"] == "tempfail" and j["decision"]["reply"].startswith("451 4.4.3") and j["exit"] == 2'

# --- greylisting from the store as it is; nothing written ---
tr 2 grey "${C[@]}" -p grey -a 203.0.113.5 -H goodhelo.auth.test -s a@pass.auth.test -r b@example.org
has "grey: the store is read only" "state store: read only"
has "grey: greylisted" "decision: tempfail at rcpt, rule greylist"
if [ ! -e "$work/state/data.mdb" ] && [ ! -e "$work/state/lock.mdb" ]; then
	ok "grey: the trace wrote no state"
else
	not_ok "grey: the trace wrote $(ls "$work/state")"
fi

# --- what a client sends cannot break the JSON ---
tr 1 hostile-json "${C[@]}" -j -a 203.0.113.5 -H 'evil"na\me	x' -s 'a"b@pass.auth.test' -r b@example.org
json "hostile json: quote, backslash and tab kept" \
	'j["steps"][1]["arg"] == "evil\"na\\me\tx" and j["decision"]["rule"] == "helo_syntax" and j["decision"]["accepted"] == 0'

# --- usage and policy errors: 3, with a reason ---
tr 3 no-rcpt "${C[@]}" -a 203.0.113.5 -s a@pass.auth.test
grep -qF -- "-a, -s and at least one -r are required" "$work/no-rcpt.err" && ok "no -r: said" ||
	not_ok "no -r: $(cat "$work/no-rcpt.err")"
tr 3 bad-option "${C[@]}" -a 203.0.113.5 -s a@pass.auth.test -r b@example.org -X
tr 3 not-with-n "${C[@]}" -n -a 203.0.113.5 -s a@pass.auth.test -r b@example.org
tr 3 listener-and-policy "${C[@]}" -l silent -p grey -a 203.0.113.5 -s a -r b
tr 3 no-such-policy "${C[@]}" -p nosuch -a 203.0.113.5 -s a -r b
grep -qF 'no policy named "nosuch"' "$work/no-such-policy.err" && ok "no such policy: said" ||
	not_ok "no such policy: $(cat "$work/no-such-policy.err")"
tr 3 not-an-address "${C[@]}" -a not-an-ip -s a -r b
tr 3 no-message-file "${C[@]}" -a 203.0.113.5 -s a -r b -m "$work/nosuch"
printf 'policies: { p: { dnsbl: { threshold = "x"; }; }; };\n' >"$work/bad.conf"
tr 3 bad-policy -c "$work/bad.conf" -a 203.0.113.5 -s a -r b
grep -qF "$work/bad.conf:1:" "$work/bad-policy.err" && ok "bad policy: file:line: reason" ||
	not_ok "bad policy: $(cat "$work/bad-policy.err")"
[ ! -s "$work/bad-policy.out" ] && ok "bad policy: no report" || not_ok "bad policy: a report"

finish
