#!/bin/bash
# report.t.sh BUILD_DIR - DMARC aggregate reports (RFC 7489 7.2) end to end
#
# Messages go through the real Postfix (XCLIENT sets the client address,
# IPv6 included) to doorman, which writes a history row per DMARC result;
# NSD serves t/dmarc/zones (records with rua=, an authorization record for
# one outside domain and none for another, a size limit no report fits).
# `doorman -R -o DIR` writes the reports: each is validated against the
# RFC 7489 appendix C schema (t/dmarc/rua.xsd) with xmllint, and its
# counts, dispositions and published policy checked.  Then `doorman -R`
# mails the same history through the real Postfix's sendmail to a sink:
# the sink's message carries the gzip attachment, which decompresses to
# the same valid XML.  Also: the lock (a second run refused), a sendmail
# that fails (the rows kept in FILE.taken, resumed by the next run).
# Ports 19900-19905.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: report.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
. "$here/../lib/nsd.sh"
. "$here/../lib/postfix.sh"
. "$here/../lib/sink.sh"

smtp=19900 sub=19901 milter=19902 sinkp=19903 authl=19904 dnsp=19905
bin=$build/milter/doorman
xsd=$here/rua.xsd
work=$(mktemp -d /tmp/doorman-dmarcrep.XXXXXX)
chmod 755 "$work"
cleanup() {
	kill_doorman
	postfix_stop
	sink_stop
	nsd_stop
	if [ "$T_FAILED" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "--- doorman log"; cat "$work/doorman.log" 2>/dev/null
		echo "(kept $work)"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

deps_nsd
deps_postfix
for t in xmllint swaks smtp-sink; do
	command -v $t >/dev/null || die "$t missing: run t/install-deps.sh"
done
/usr/bin/python3 "$here/make-messages.py" "$work/msgs" || die "cannot make the messages"
nsd_start "$work" $dnsp "$here/zones" report.test

sed -e "s|@MILTER_PORT@|$milter|g" -e "s|@DNS_PORT@|$dnsp|g" -e "s|@WORK@|$work|g" \
	"$here/doorman.conf.in" >"$work/doorman.conf"
# the real Postfix's sendmail, told which instance to queue into
printf '#!/bin/sh\nexec /usr/sbin/sendmail -C %s "$@"\n' "$work/postfix/etc" >"$work/sendmail"
chmod 755 "$work/sendmail"
start_doorman "$bin" "$work/doorman.conf" "$work/doorman.log" $milter
sink_start "$work/sink" $sinkp
POSTFIX_INET_PROTOCOLS=all postfix_start "$work" $smtp $sub "inet:127.0.0.1:$milter" $sinkp "" $authl

# send PORT CLIENT MAILFROM MESSAGE - swaks' exit status (0: accepted)
send() {
	timeout 30 swaks --server "127.0.0.1:$1" --xclient-addr "$2" --xclient-helo client.report.test \
		--ehlo client.report.test --from "$3" --to u@example.org --timeout 15 \
		--data "$work/msgs/$4.eml" >>"$work/swaks.log" 2>&1 && echo 0 || echo $?
}
want_sent() { # NAME STATUS
	if [ "$2" = 0 ]; then ok "$1: accepted"; else not_ok "$1: swaks exit $2"; fi
}
want_refused() {
	if [ "$2" != 0 ]; then ok "$1: refused"; else not_ok "$1: accepted"; fi
}
want_sent "a signed 1" "$(send $smtp 203.0.113.5 s@a.report.test a-signed)"
want_sent "a signed 2" "$(send $smtp 203.0.113.5 s@a.report.test a-signed)"
want_sent "a signed 3" "$(send $smtp 203.0.113.5 s@a.report.test a-signed)"
want_sent "a signed over IPv6" "$(send $smtp IPV6:2001:db8::5 s@a.report.test a-signed)"
want_refused "a forged (p=reject)" "$(send $smtp 203.0.113.99 s@unauthorized.test a-plain)"
want_sent "a forged, tagging policy" "$(send $authl 203.0.113.99 s@unauthorized.test a-plain)"
want_sent "b SPF-aligned" "$(send $smtp 203.0.113.6 s@b.report.test b-plain)"
want_sent "sub.report.test (sp=quarantine, tagged)" "$(send $smtp 203.0.113.99 s@unauthorized.test sub-plain)"
want_sent "c (no rua)" "$(send $smtp 203.0.113.5 s@c.report.test c-plain)"

hist=$work/history
rows=$(wc -l <"$hist" 2>/dev/null || echo 0)
[ "$rows" = 9 ] && ok "history: 9 rows" || not_ok "history: $rows rows, not 9"
cp "$hist" "$work/history.saved"

# --- doorman -R -o DIR
mkdir -p "$work/out"
rc=0
"$bin" -R -o "$work/out" -c "$work/doorman.conf" >"$work/R1.out" 2>&1 || rc=$?
cat "$work/R1.out"
[ $rc = 0 ] && ok "-R -o: exit 0" || not_ok "-R -o: exit $rc"
grep -q '^doorman -R: rows=9 bad=0 reports=4 sent=0 written=4 skipped=2 failed=0$' "$work/R1.out" &&
	ok "-R -o: summary" || not_ok "-R -o: summary line"
[ ! -e "$hist" ] && [ ! -e "$hist.taken" ] && ok "-R -o: history taken and removed" ||
	not_ok "-R -o: history or history.taken left"
has() { grep -qF -- "$1" "$work/R1.out" && ok "-R -o: $1" || not_ok "-R -o: no line '$1'"; }
has "  to dmarc@report.test"
has "  to agg@authorized.test"
has "  skip agg@unauthorized.test: no authorization record a.report.test._report._dmarc.unauthorized.test"
has "  skip small@report.test: report of"
has "  to org@report.test"
has "no rua= mailto: destination"

n=0
for gz in "$work"/out/*.xml.gz; do
	n=$((n + 1))
	base=$(basename "$gz" .gz)
	case $base in
	'example.org!'*'!'*'!'*.xml) ok "file name $base" ;;
	*) not_ok "file name $base" ;;
	esac
	gzip -dc "$gz" >"$work/out/$base"
	if xmllint --noout --schema "$xsd" "$work/out/$base" 2>"$work/xmllint.err"; then
		ok "$base valid against RFC 7489's schema"
	else
		not_ok "$base invalid: $(cat "$work/xmllint.err")"
	fi
done
[ $n = 4 ] && ok "4 report files" || not_ok "$n report files, not 4"

# xp FILE XPATH - the value (local names: the document is namespaced)
xp() { xmllint --xpath "$2" "$1" 2>/dev/null || true; }
eq() { # WHAT GOT WANT
	[ "$2" = "$3" ] && ok "$1 = $3" || not_ok "$1: '$2', want '$3'"
}
a=$(ls "$work"/out/*'!a.report.test!'*.xml)
R='/*[local-name()="feedback"]'
E() { echo "*[local-name()=\"$1\"]"; }
eq "a: org_name" "$(xp "$a" "string($R/$(E report_metadata)/$(E org_name))")" "Example Receiver"
eq "a: email" "$(xp "$a" "string($R/$(E report_metadata)/$(E email))")" "dmarc-reports@example.org"
eq "a: extra_contact_info" "$(xp "$a" "string($R/$(E report_metadata)/$(E extra_contact_info))")" "https://example.org/dmarc"
pp="$R/$(E policy_published)"
eq "a: policy domain" "$(xp "$a" "string($pp/$(E domain))")" "a.report.test"
eq "a: p" "$(xp "$a" "string($pp/$(E p))")" "reject"
eq "a: sp (p when absent)" "$(xp "$a" "string($pp/$(E sp))")" "reject"
eq "a: fo" "$(xp "$a" "string($pp/$(E fo))")" "1"
eq "a: records" "$(xp "$a" "count($R/$(E record))")" "4"
eq "a: messages" "$(xp "$a" "sum($R/$(E record)/$(E row)/$(E count))")" "6"
rec() { echo "$R/$(E record)[$(E row)/$(E source_ip)='$1']"; }
eq "a: 203.0.113.5 count" "$(xp "$a" "string($(rec 203.0.113.5)/$(E row)/$(E count))")" "3"
eq "a: 203.0.113.5 dkim" "$(xp "$a" "string($(rec 203.0.113.5)/$(E row)/$(E policy_evaluated)/$(E dkim))")" "pass"
eq "a: 203.0.113.5 selector" "$(xp "$a" "string($(rec 203.0.113.5)/$(E auth_results)/$(E dkim)/$(E selector))")" "r1"
eq "a: IPv6 written in full" "$(xp "$a" "string($(rec 2001:db8:0:0:0:0:0:5)/$(E row)/$(E count))")" "1"
f99="$(rec 203.0.113.99)"
eq "a: forged records" "$(xp "$a" "count($f99)")" "2"
eq "a: forged rejected" "$(xp "$a" "count($f99[$(E row)/$(E policy_evaluated)/$(E disposition)='reject'])")" "1"
eq "a: forged tagged: local_policy" \
	"$(xp "$a" "string($f99[$(E row)/$(E policy_evaluated)/$(E disposition)='none']/$(E row)/$(E policy_evaluated)/$(E reason)/$(E type))")" \
	"local_policy"
eq "a: forged spf (MAIL FROM unauthorized.test)" "$(xp "$a" "string($f99[1]/$(E auth_results)/$(E spf)/$(E result))")" "none"
b=$(ls "$work"/out/*'!b.report.test!'*.xml)
eq "b: pct" "$(xp "$b" "string($pp/$(E pct))")" "50"
eq "b: adkim" "$(xp "$b" "string($pp/$(E adkim))")" "s"
eq "b: spf aligned pass" "$(xp "$b" "string($R/$(E record)/$(E row)/$(E policy_evaluated)/$(E spf))")" "pass"
o=$(ls "$work"/out/*'!report.test!'*.xml)
eq "report.test: sp" "$(xp "$o" "string($pp/$(E sp))")" "quarantine"
eq "report.test: header_from" "$(xp "$o" "string($R/$(E record)/$(E identifiers)/$(E header_from))")" "sub.report.test"
eq "report.test: disposition" "$(xp "$o" "string($R/$(E record)/$(E row)/$(E policy_evaluated)/$(E disposition))")" "none"
eq "report.test: envelope_from" "$(xp "$o" "string($R/$(E record)/$(E identifiers)/$(E envelope_from))")" "unauthorized.test"

# --- the lock: a second run while one holds FILE.lock is refused
cp "$work/history.saved" "$hist"
rc=0
flock "$hist.lock" "$bin" -R -o "$work/out" -c "$work/doorman.conf" >"$work/R2.out" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "another run holds" "$work/R2.out" && ok "a locked history: refused" ||
	not_ok "a locked history: exit $rc, $(cat "$work/R2.out")"
[ -e "$hist" ] && [ ! -e "$hist.taken" ] && ok "a locked history: left alone" || not_ok "a locked history: touched"

# --- a sendmail that fails: the rows stay in FILE.taken for the next run
sed "s|report_sendmail = .*|report_sendmail = \"/bin/false\";|" "$work/doorman.conf" >"$work/false.conf"
rc=0
"$bin" -R -c "$work/false.conf" >"$work/R3.out" 2>&1 || rc=$?
[ $rc = 1 ] && ok "failing sendmail: exit 1" || not_ok "failing sendmail: exit $rc"
kept=$(wc -l <"$hist.taken" 2>/dev/null || echo 0)
# a.report.test's and report.test's rows (6 + 1): b's report had no
# destination left, c's none at all
[ "$kept" = 7 ] && ok "failing sendmail: 7 rows kept" || not_ok "failing sendmail: $kept rows kept"

# --- doorman -R through the real Postfix: resumes FILE.taken first
rc=0
"$bin" -R -c "$work/doorman.conf" >"$work/R4.out" 2>&1 || rc=$?
cat "$work/R4.out"
[ $rc = 0 ] && ok "-R: exit 0" || not_ok "-R: exit $rc"
grep -q '^resuming ' "$work/R4.out" && ok "-R: resumed the taken file" || not_ok "-R: did not resume"
grep -q '^doorman -R: rows=7 bad=0 reports=2 sent=3 written=0 skipped=1 failed=0$' "$work/R4.out" &&
	ok "-R: summary" || not_ok "-R: summary line"
[ ! -e "$hist.taken" ] && ok "-R: taken file removed" || not_ok "-R: taken file left"
for to in dmarc@report.test agg@authorized.test org@report.test; do
	if sink_has "$work/sink" "$to" 30; then ok "delivered to $to"; else not_ok "not delivered to $to"; fi
done
if sink_has "$work/sink" agg@unauthorized.test 1; then not_ok "delivered to agg@unauthorized.test"; else
	ok "nothing for agg@unauthorized.test"; fi
f=$(grep -l '^X-Rcpt-Args: <dmarc@report.test>' "$work"/sink/msg.* | head -1)
/usr/bin/python3 - "$f" "$work/mailed.xml" <<'PY' && ok "mail: one gzip attachment" || not_ok "mail: no gzip attachment"
import email, gzip, sys
raw = open(sys.argv[1], "rb").read()
msg = email.message_from_bytes(raw)
parts = [p for p in msg.walk() if p.get_content_type() == "application/gzip"]
assert len(parts) == 1, parts
name = parts[0].get_filename()
assert name.startswith("example.org!a.report.test!") and name.endswith(".xml.gz"), name
assert msg["Subject"].startswith("Report Domain: a.report.test Submitter: Example Receiver Report-ID: <"), msg["Subject"]
assert msg["From"] == "dmarc-reports@example.org", msg["From"]
open(sys.argv[2], "wb").write(gzip.decompress(parts[0].get_payload(decode=True)))
PY
if xmllint --noout --schema "$xsd" "$work/mailed.xml" 2>"$work/xmllint.err"; then
	ok "mailed report valid against RFC 7489's schema"
else
	not_ok "mailed report invalid: $(cat "$work/xmllint.err")"
fi
eq "mailed report: messages" "$(xp "$work/mailed.xml" "sum($R/$(E record)/$(E row)/$(E count))")" "6"

postfix_stop
stop_doorman report
finish
