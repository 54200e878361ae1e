# scenarios.sh - the scenario list every real MTA suite runs (sourced)
#
# The client picks its address on loopback with swaks --local-interface
# (Linux routes all of 127.0.0.0/8 to lo): 127.0.0.20 is an external
# client, 127.0.0.10 is in doorman's trusted network, 127.0.0.30 is in the
# client access list.  Each scenario asserts the reply the client sees to
# RCPT TO and, for rejections, the doorman log line; accepted mail must
# reach the sink.  Expectations that differ per MTA say why.

# mta_suite_start MTA MILTER_PORT SINK_PORT BUILD [POLICY] - a work
# directory ($MTA_WORK) with the doorman policy (POLICY, default
# doorman.conf.in; @LMTP_PORT@, @DEAD_PORT@ and @MILTER_SOCKET@, default
# inet:MILTER_PORT@127.0.0.1, from the caller's variables) and the data files it names, smtp-sink and doorman running.
# mta_suite_end (after the scenarios, once the MTA is stopped) stops and
# judges doorman (t/lib/common.sh stop_doorman); mta_suite_stop (the
# caller's EXIT trap, after stopping its MTA) stops what is left and keeps
# the directory when something failed.
mta_suite_start() {
	local mta=$1 milter=$2 sink=$3 build=$4 here
	here=$(dirname "${BASH_SOURCE[0]}")
	local policy=${5:-$here/doorman.conf.in}
	MTA_WORK=$(mktemp -d "/tmp/doorman-$mta.XXXXXX")
	chmod 755 "$MTA_WORK"
	sed -e "s|@MILTER_SOCKET@|${MILTER_SOCKET:-inet:$milter@127.0.0.1}|g" \
		-e "s|@MILTER_PORT@|$milter|g" -e "s|@WORK@|$MTA_WORK|g" -e "s|@DNS_PORT@|${DNS_PORT:-53}|g" \
		-e "s|@SILENT_PORT@|${SILENT_PORT:-53}|g" -e "s|@LMTP_PORT@|${LMTP_PORT:-}|g" \
		-e "s|@DEAD_PORT@|${DEAD_PORT:-}|g" "$policy" \
		>"$MTA_WORK/doorman.conf"
	cp "$here/sender_access" "$here/client_access" "$here/"rcpt_* "$MTA_WORK/"
	sink_start "$MTA_WORK/sink" "$sink"
	local host=127.0.0.1
	case ${MILTER_SOCKET:-} in inet6:*) host=${MILTER_SOCKET##*@} ;; esac
	start_doorman "$build/milter/doorman" "$MTA_WORK/doorman.conf" "$MTA_WORK/doorman.log" "$milter" "$host"
}

# mta_suite_end - doorman stopped and judged, before the suite's finish
mta_suite_end() {
	stop_doorman "$MTA"
}

# mta_suite_stop MTA_LOG
mta_suite_stop() {
	kill_doorman
	sink_stop
	[ -n "${MTA_WORK:-}" ] || return 0
	if [ "$T_FAILED" -gt 0 ] || [ "${KEEP:-}" ]; then
		echo "--- doorman log"; tail -40 "$MTA_WORK/doorman.log" 2>/dev/null
		echo "--- MTA log"; tail -40 "$1" 2>/dev/null
		echo "(work directory kept: $MTA_WORK)"
	else
		rm -rf "$MTA_WORK"
	fi
}

EXTERNAL=127.0.0.20
TRUSTED=127.0.0.10
BLOCKED=127.0.0.30
RELAY_REPLY='554 5.7.1 .*doorman: relay access denied'

# [SERVER=ADDR] smtp_rcpt PORT CLIENT HELO FROM TO [extra swaks args] - the
# RCPT reply line (from the MTA at ADDR, default 127.0.0.1)
smtp_rcpt() {
	local port=$1 client=$2 helo=$3 from=$4 to=$5
	shift 5
	timeout 20 swaks --server "${SERVER:-127.0.0.1}:$port" --local-interface "$client" --ehlo "$helo" \
		--from "$from" --to "$to" --quit-after RCPT --timeout 15 "$@" 2>&1 |
		awk '/^ *-> RCPT TO/ { getline; sub(/^ *<[-*]+ */, ""); print; exit }' || true
}

# smtp_send PORT CLIENT HELO FROM TO [extra] - full delivery; prints swaks' exit code
smtp_send() {
	local port=$1 client=$2 helo=$3 from=$4 to=$5
	shift 5
	timeout 30 swaks --server "127.0.0.1:$port" --local-interface "$client" --ehlo "$helo" \
		--from "$from" --to "$to" --timeout 15 \
		--header "Subject: doorman test $RANDOM" "$@" >/dev/null 2>&1 && echo 0 || echo $?
}

# raw_rcpt_without_helo PORT FROM TO - the RCPT reply of a session that
# never says HELO (swaks always does), from 127.0.0.1 (not trusted here)
raw_rcpt_without_helo() {
	local port=$1 from=$2 to=$3 line cmd reply=
	exec 3<>"/dev/tcp/127.0.0.1/$port" || return 0
	for cmd in "" "MAIL FROM:<$from>" "RCPT TO:<$to>"; do
		[ -n "$cmd" ] && printf '%s\r\n' "$cmd" >&3
		while IFS= read -r -t 15 line <&3; do
			line=${line%$'\r'}
			[ "${line:3:1}" = "-" ] || break
		done
		reply=$line
	done
	printf 'QUIT\r\n' >&3
	exec 3<&-
	echo "$reply"
}

# expect_rcpt NAME PORT CLIENT HELO FROM TO REGEX [extra]
expect_rcpt() {
	local name=$1 port=$2 client=$3 helo=$4 from=$5 to=$6 want=$7 got
	shift 7
	got=$(smtp_rcpt "$port" "$client" "$helo" "$from" "$to" "$@")
	# Sendmail puts "<rcpt>... " before a reply text that has no address
	got=$(printf '%s\n' "$got" | sed 's/^\([0-9][0-9][0-9] [0-9.]* \)<[^>]*>\.\.\. /\1/')
	if printf '%s\n' "$got" | grep -Eq -- "^$want"; then
		ok "$MTA: $name: $got"
	else
		not_ok "$MTA: $name: RCPT TO:<$to> got '$got', want /$want/"
	fi
}

# [AS=RCPT] expect_delivered NAME PORT CLIENT HELO FROM TO [extra] - the
# sink got it for the envelope recipient TO, or AS when the MTA rewrites TO
expect_delivered() {
	local name=$1 port=$2 client=$3 helo=$4 from=$5 to=$6 rc as=${AS:-$6}
	shift 6
	rc=$(smtp_send "$port" "$client" "$helo" "$from" "$to" "$@")
	if [ "$rc" = 0 ] && sink_has "$SINKDIR" "$as" 20; then
		ok "$MTA: $name: accepted and delivered to <$as>"
	else
		not_ok "$MTA: $name: swaks exit $rc, or envelope <$as> not in the sink"
	fi
}

# expect_log NAME REGEX - doorman logged a line matching REGEX
expect_log() {
	if log_has "$DOORMAN_LOG" "$2"; then
		ok "$MTA: $1: logged"
	else
		not_ok "$MTA: $1: no log line /$2/"
	fi
}

relay_forms() {
	# each line: a recipient an external client must not relay to
	cat <<'FORMS'
u@remote.example
u@REMOTE.EXAMPLE
u@remote.example.
u%remote.example@example.org
u%remote.example@relay.example
remote.example!u@example.org
"u@remote.example"@example.org
"u%remote.example"@example.org
"u!remote.example"@example.org
u@remote.example@example.org
@example.org:u@remote.example
@example.org,@relay.example:u@remote.example
u@[192.0.2.99]
u@[IPv6:2001:db8::1]
u@example.org.remote.example
u@xexample.org
u@sub.example.org
u@localhost
u@relay.example.remote.example
U%REMOTE.EXAMPLE@EXAMPLE.ORG
FORMS
}

# relay_want RCPT - the reply expected for a relay attempt.  Sendmail
# refuses a few forms itself before the milter sees them, with its own
# 5xx: a double '@' ("Invalid route address"), a source route with more
# than one hop (its parser splits at the comma: "User address required"),
# and "localhost", which is always one of its own names ("User unknown",
# no mailbox behind it here).  Refused either way, never relayed.
relay_want() {
	case "$MTA:$1" in
	sendmail:u@remote.example@example.org) echo '553 5.1.3 .*Invalid route address' ;;
	sendmail:@example.org,@relay.example:*) echo '553 5.1.3 .*User address required' ;;
	sendmail:u@localhost) echo '550 5.1.1 .*User unknown' ;;
	*) echo "$RELAY_REPLY" ;;
	esac
}

# run_scenarios MTA SMTP_PORT SUBMISSION_PORT SINKDIR DOORMAN_LOG AUTH_ARGS...
run_scenarios() {
	MTA=$1
	local smtp=$2 sub=$3
	SINKDIR=$4
	DOORMAN_LOG=$5
	shift 5
	local good=client.example.net from=sender@example.net to n=0

	# relay attempts from an external client, every form
	while IFS= read -r to; do
		n=$((n + 1))
		expect_rcpt "relay form $n" "$smtp" $EXTERNAL $good $from "$to" "$(relay_want "$to")"
	done < <(relay_forms)
	expect_log "relay logged with rule and reason" \
		'stage=rcpt action=reject rule=relay reason="percent_hack"'
	expect_log "source route logged" 'rule=relay reason="source_route"'

	# local and relay-domain recipients are accepted and delivered
	expect_delivered "local recipient" "$smtp" $EXTERNAL $good $from postmaster@example.org
	# both MTAs drop the trailing dot before they relay
	AS=User@EXAMPLE.ORG expect_delivered "local recipient, case and trailing dot" "$smtp" $EXTERNAL \
		$good $from User@EXAMPLE.ORG.
	expect_delivered "relay domain" "$smtp" $EXTERNAL $good $from u@relay.example
	expect_log "accept logged" 'action=accept rule=recipient .*to="postmaster@example.org"'

	# trusted network and authenticated clients may relay
	expect_delivered "trusted client relays" "$smtp" $TRUSTED $good $from trusted@remote.example
	if [ $# -gt 0 ]; then
		expect_delivered "authenticated client relays" "$smtp" $EXTERNAL $good $from \
			authed@remote.example "$@"
		expect_log "authenticated relay logged" 'action=accept rule=authenticated .*to="authed@remote.example"'
	fi
	# an AUTH= parameter on MAIL FROM is not authentication (swaks has no
	# option for MAIL parameters: they ride in the address argument)
	if [ -n "${AUTH_PARAM_OK:-}" ]; then
		expect_rcpt "AUTH= parameter is not authentication" "$smtp" $EXTERNAL $good \
			"$from> AUTH=<alice@example.org" u@remote.example "$RELAY_REPLY"
	fi

	# HELO checks, given at RCPT (delay_reject)
	expect_rcpt "HELO syntax" "$smtp" $EXTERNAL 'bad..helo.example' $from postmaster@example.org \
		'501 5.5.2 doorman: invalid HELO name'
	expect_rcpt "HELO not fully qualified" "$smtp" $EXTERNAL localhostish $from \
		postmaster@example.org '504 5.5.2 doorman: HELO name must be fully qualified'
	expect_rcpt "HELO claims our name" "$smtp" $EXTERNAL mx.doorman.test $from \
		postmaster@example.org '550 5.7.1 doorman: you are not me'
	expect_rcpt "HELO claims our configured address" "$smtp" $EXTERNAL '[192.0.2.25]' $from \
		postmaster@example.org '550 5.7.1 doorman: you are not me'
	# the address the client reached, which me.addresses does not list:
	# Postfix names it in {daemon_addr}; Sendmail's {if_addr} is documented
	# as not set for the loopback net, so through Sendmail a HELO of
	# [127.0.0.1] is not known as ours (sendmail.t.sh checks {if_addr}
	# on an address that is not loopback)
	local self_want='550 5.7.1 doorman: you are not me'
	[ "$MTA" = sendmail ] && self_want='250 '
	expect_rcpt "HELO claims the address it connected to" "$smtp" $EXTERNAL '[127.0.0.1]' $from \
		postmaster@example.org "$self_want"
	expect_log "HELO rejection logged at rcpt" 'stage=rcpt action=reject rule=helo_self'

	# MAIL FROM without HELO: helo.required, given at RCPT
	local got
	got=$(raw_rcpt_without_helo "$smtp" "$from" postmaster@example.org |
		sed 's/^\([0-9][0-9][0-9] [0-9.]* \)<[^>]*>\.\.\. /\1/')
	if printf '%s\n' "$got" | grep -q '^503 5.5.1 Send HELO/EHLO first'; then
		ok "$MTA: HELO required: $got"
	else
		not_ok "$MTA: HELO required: got '$got'"
	fi
	expect_log "HELO required logged" 'stage=rcpt action=reject rule=helo_required reason="no HELO/EHLO"'

	# sender checks
	expect_rcpt "sender access: address" "$smtp" $EXTERNAL $good spammer@bad.example \
		postmaster@example.org '554 5.7.1 .*doorman: sender blocked'
	expect_rcpt "sender access: @domain" "$smtp" $EXTERNAL $good x@blocked.example \
		postmaster@example.org '550 5.7.1 .*doorman: domain blocked'
	expect_rcpt "sender not fully qualified" "$smtp" $EXTERNAL $good someone@localdomain \
		postmaster@example.org '504 5.5.2 .*doorman: sender address must be fully qualified'
	expect_log "sender rejection logged" 'action=reject rule=sender_access .*from="spammer@bad.example"'

	# client access list
	expect_rcpt "client access list" "$smtp" $BLOCKED $good $from postmaster@example.org \
		'554 5.7.1 doorman: client blocked'
	expect_log "client rejection logged" "client=\"[^\"]*\\[$BLOCKED\\]\" policy=inbound stage=rcpt action=reject rule=client_access"

	# the submission listener has its own policy, and still no open relay
	expect_rcpt "submission: no relay without auth" "$sub" $EXTERNAL $good $from u@remote.example \
		'554 5.7.1 .*doorman: authentication required'
	expect_log "submission policy chosen by daemon_name" 'policy=submission stage=rcpt action=reject rule=relay'
}

# run_dns_scenarios MTA PORT - the DNS checks against NSD serving t/dns/zones,
# through the MTA's "dns" listener.  The client address comes from XCLIENT
# in Postfix; Sendmail has none, so its suite's network namespace carries
# the addresses on its loopback and the client connects from them.
run_dns_scenarios() {
	MTA=$1
	local port=$2
	# dns_case NAME ADDR FROM REGEX: the RCPT reply of a client at ADDR
	dns_case() {
		if [ "$MTA" = postfix ]; then
			expect_rcpt "$1" "$port" 127.0.0.1 client.example.net "$3" postmaster@example.org "$4" \
				--xclient-name client.example.net --xclient-addr "$2"
		else
			expect_rcpt "$1" "$port" "$2" client.example.net "$3" postmaster@example.org "$4"
		fi
	}
	dns_case "DNSBL listing" 203.0.113.66 s@exists.doorman.test \
		'554 5.7.1 \[203.0.113.66\] listed by bl.doorman.test: 203.0.113.66 is a known spam source: doorman: listed'
	dns_case "DNSWL beats a listing" 203.0.113.69 s@exists.doorman.test '250 '
	dns_case "FCrDNS fail" 203.0.113.71 s@exists.doorman.test \
		'550 5.7.25 \[203.0.113.71\]: Client address has no matching'
	dns_case "FCrDNS pass, sender domain found" 203.0.113.70 s@mxonly.doorman.test '250 '
	dns_case "null MX sender" 203.0.113.70 s@nullmx.doorman.test \
		'550 5.7.27 <s@nullmx.doorman.test>: Sender address rejected'
	dns_case "unknown sender domain" 203.0.113.70 s@missing.doorman.test \
		'550 5.1.8 <s@missing.doorman.test>: Sender address rejected: Domain not found'
	# a sender domain whose server never answers: 451 within the bounded
	# time.  The resolver gives up after 500 ms (doorman.conf.in); measured
	# here 1 s for the whole session on the loaded 2-core machine: the 8 s
	# bound leaves 7 s of margin and stays under the MTAs' milter timeouts
	# (10 s), past which the MTA itself would answer
	local t0=$SECONDS
	dns_case "sender domain lookup times out" 203.0.113.70 s@host.silent.test \
		'451 4.1.8 <s@host.silent.test>: Sender address rejected: Domain lookup failed'
	if [ $((SECONDS - t0)) -le 8 ]; then
		ok "$MTA: the silent server cost $((SECONDS - t0)) s (bounded)"
	else
		not_ok "$MTA: the silent server cost $((SECONDS - t0)) s"
	fi
	expect_log "client address reached the milter" \
		'client="[^"]*\[203.0.113.66\]" policy=dns stage=rcpt action=reject rule=dnsbl'
}

# smtp_data PORT HELO FROM TO FILE [extra] - send FILE as the message; the
# reply to RCPT TO if it was not 250, else the reply to the final "."
smtp_data() {
	local port=$1 helo=$2 from=$3 to=$4 file=$5
	shift 5
	timeout 40 swaks --server "127.0.0.1:$port" --ehlo "$helo" --from "$from" --to "$to" \
		--data "@$file" --timeout 20 "$@" 2>&1 |
		awk '/^ *-> RCPT TO/ { getline; sub(/^ *<[-*]+ */, ""); if ($0 !~ /^250/) { print; exit } }
		     /^ *-> \.$/ { getline; sub(/^ *<[-*]+ */, ""); print; exit }' || true
}

# run_auth_scenarios MTA PORT CORPUS SINKDIR DOORMAN_LOG HELD_FN CLIENT_FN
# SPF, DKIM and DMARC through a real MTA.  CLIENT_FN ADDR prints the swaks
# arguments that make the MTA see the client at ADDR (XCLIENT for Postfix,
# a source address in the suite's own network namespace for Sendmail);
# HELD_FN succeeds when the MTA holds a quarantined message.
# Delivered messages are read back from the sink, and their
# Authentication-Results fields parsed by python3-authres.
run_auth_scenarios() {
	MTA=$1
	local port=$2 corpus=$3 held=$6 client=$7 good=203.0.113.5 bad=203.0.113.99
	SINKDIR=$4
	DOORMAN_LOG=$5
	local want=$MTA_WORK/ar.want got id f=
	: >"$want"
	# auth_case ID ADDR HELO FROM FILE REGEX [AR-WANT...]: the reply must
	# match REGEX; a 250 must reach the sink with the fields wanted
	auth_case() {
		local id=$1 addr=$2 helo=$3 from=$4 file=$5 re=$6
		shift 6
		# shellcheck disable=SC2046
		got=$(smtp_data "$port" "$helo" "$from" "postmaster@example.org" "$corpus/$file.eml" \
			--add-header "X-Test-Id: $MTA-$id" $($client "$addr") |
			sed 's/^\([0-9][0-9][0-9] [0-9.]* \)<[^>]*>\.\.\. /\1/')
		if printf '%s\n' "$got" | grep -Eq -- "^$re"; then
			ok "$MTA: auth $id: $got"
		else
			not_ok "$MTA: auth $id: got '$got', want /$re/"
			return 0
		fi
		[ $# -gt 0 ] || return 0
		if sink_has_line "$SINKDIR" "X-Test-Id: $MTA-$id" 20; then
			f=$(grep -l -- "X-Test-Id: $MTA-$id" "$SINKDIR"/msg.* | head -1)
			echo "$MTA-$id m:$f $*" >>"$want"
		else
			not_ok "$MTA: auth $id: not in the sink"
		fi
	}
	auth_case spf-pass $good goodhelo.auth.test s@pass.auth.test from-pass '250 ' \
		spf=pass,smtp.mailfrom=s@pass.auth.test spf=pass,smtp.helo=goodhelo.auth.test \
		dmarc=pass,header.from=pass.auth.test
	if grep -qs "^Received-SPF: pass" "$f"; then
		ok "$MTA: auth spf-pass: Received-SPF added"
	else
		not_ok "$MTA: auth spf-pass: no Received-SPF in $f"
	fi
	auth_case spf-fail $bad client.auth.test s@pass.auth.test from-pass \
		'550 5.7.23 <s@pass.auth.test>: SPF validation failed: pass.auth.test does not designate 203.0.113.99 as a permitted sender'
	auth_case spf-softfail $bad client.auth.test s@soft.auth.test from-nopol '250 ' \
		spf=softfail,smtp.mailfrom=s@soft.auth.test dmarc=fail,header.from=nopol.auth.test
	auth_case spf-temperror $good client.auth.test s@silent.auth.test from-nopol \
		'451 4.4.3 <s@silent.auth.test>: Temporary DNS failure'
	auth_case dkim-pass $good client.auth.test s@none.auth.test dkim-rsa '250 ' \
		iprev=fail,policy.iprev=$good \
		dkim=pass,header.d=pass.auth.test,header.s=r1 dmarc=pass,header.from=pass.auth.test
	auth_case dkim-ed25519 $good client.auth.test s@none.auth.test dkim-ed25519 '250 ' \
		dkim=pass,header.d=pass.auth.test,header.s=e1,header.a=ed25519-sha256
	auth_case dkim-fail $good client.auth.test s@none.auth.test dkim-tampered-nopol '250 ' \
		dkim=fail,header.d=nopol.auth.test dmarc=fail,header.from=nopol.auth.test,policy.dmarc=none
	auth_case dkim-temperror $good client.auth.test s@none.auth.test dkim-silent-nopol '250 ' \
		dkim=temperror,header.d=x.silent.test
	auth_case dmarc-reject $good client.auth.test s@none.auth.test dmarc-unaligned \
		'550 5.7.1 pass.auth.test: Rejected by the DMARC policy of the From domain'
	auth_case dmarc-temperror $good client.auth.test s@none.auth.test from-silent \
		'451 4.4.3 Temporary DNS failure'
	auth_case dmarc-aligned-relaxed $good client.auth.test s@none.auth.test dmarc-relaxed '250 ' \
		dmarc=pass,header.from=sub.auth.test
	auth_case dmarc-none $good client.auth.test s@none.auth.test from-nopol '250 ' \
		dmarc=fail,header.from=nopol.auth.test,policy.dmarc=none
	auth_case dmarc-quarantine $good client.auth.test s@none.auth.test from-quar '250 '
	# held: the MTA's own record of the hold (waited for, 20 s), then, a
	# held message being out of delivery's reach, not in the sink
	local i
	for i in $(seq 1 200); do $held && break; sleep 0.1; done
	if ! $held; then
		not_ok "$MTA: auth dmarc-quarantine: not held by the MTA"
	elif sink_has_line "$SINKDIR" "X-Test-Id: $MTA-dmarc-quarantine" 0; then
		not_ok "$MTA: auth dmarc-quarantine: held, and delivered too"
	else
		ok "$MTA: auth dmarc-quarantine: held by the MTA"
	fi
	auth_case forged-ar $good client.auth.test s@none.auth.test forged-ar '250 ' \
		count=1 kept=other.example dmarc=fail,header.from=nopol.auth.test
	# a 60,000-byte header field: Postfix passes it on (split into lines
	# within line_length_limit) and doorman judges the message as any
	# other; Sendmail refuses it itself (MaxHeadersLength, 32 KB)
	if [ "$MTA" = sendmail ]; then
		auth_case hostile-huge-header $good client.auth.test s@none.auth.test hostile-huge-header \
			'552 5.6.0 Headers too large \(32768 max\)'
	else
		auth_case hostile-huge-header $good client.auth.test s@none.auth.test hostile-huge-header '250 ' \
			dmarc=fail,header.from=nopol.auth.test
	fi
	# more Authentication-Results fields claiming our id than doorman can
	# remove: a 451, never passed on (Sendmail refuses so big a header itself)
	if [ "$MTA" = sendmail ]; then
		auth_case forged-ar-many $good client.auth.test s@none.auth.test forged-ar-many \
			'552 5.6.0 Headers too large \(32768 max\)'
	else
		auth_case forged-ar-many $good client.auth.test s@none.auth.test forged-ar-many \
			'451 4.3.0 Too many header fields'
		expect_log "forged fields over the limit logged" \
			'stage=eom action=tempfail rule=header_limit reason="too many Authentication-Results fields"'
	fi
	auth_case hostile-many-sigs $good client.auth.test s@none.auth.test hostile-many-sigs '250 ' \
		dmarc=fail
	# each malformed signature a neutral result of its own (doorman.conf(5))
	auth_case hostile-dkim-tags $good client.auth.test s@none.auth.test hostile-dkim-tags '250 ' \
		dkim=neutral,header.d=pass.auth.test,header.a=foo-bar dmarc=fail,header.from=nopol.auth.test
	auth_case multiple-from $good client.auth.test s@none.auth.test from-twice \
		'550 5.7.1 Message must have one From header field'
	expect_log "DMARC rejection logged" 'stage=eom action=reject rule=dmarc reason="no aligned SPF or DKIM pass"'
	# check-ar.py's verdicts, one per line of $want; its exit status is
	# not needed (every failure is a "not ok" line), but every line of
	# $want must have had its verdict and the parser must have run to its
	# end: a crash or a missing python3-authres fails here
	local line done= n=0
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "$MTA: ${line#ok - }"; n=$((n + 1)) ;;
		"not ok - "*) not_ok "$MTA: ${line#not ok - }"; n=$((n + 1)) ;;
		"# all checks run") done=1 ;;
		*) echo "$line" ;;
		esac
	done < <(/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/../auth/check-ar.py" mx.example.org "$want" 2>&1 ||
		echo "# check-ar.py exit status $?")
	if [ -n "$done" ] && [ "$n" = "$(wc -l <"$want")" ]; then
		ok "$MTA: Authentication-Results parser ran all $n checks"
	else
		not_ok "$MTA: Authentication-Results parser ran $n of $(wc -l <"$want") checks${done:+ (ended)}"
	fi
}
