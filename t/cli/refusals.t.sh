#!/bin/bash
# refusals.t.sh BUILD_DIR - every refusal the policy schema can produce,
# two ways: `doorman -n` (exit 1, "file:line: reason"), and the same file
# sent by SIGUSR1 to a running doorman, which must stay alive, log the
# reason and the refusal, and go on serving its previous policy.
#
# A row of the table is WHERE|SETTING|LINE|REASON: WHERE is M (SETTING is
# the group milter on line 1), N (domains, line 2), G (line 3, another
# global setting), P (line 5, inside policy p, which opens on line 4) or F
# (SETTING is the whole file); LINE is the line the error names ("-": the
# file as a whole).  D|SETTING|TEXT|REASON: the policy's SETTING names
# data.txt, whose line(s) TEXT (\n between two) the error names (line 1
# or 2).  REASON is an extended regex the text after "file:line: " must
# contain.  Every bad file has new.example as its local domain where the
# good one has example.org, and a refused file that got loaded all the same
# would show: the test session after each reload wants example.org local.
# Port 18400 (REFUSALS_PORT); about a minute (a reload and a milter session per row).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: refusals.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
bin=$build/milter/doorman
port=${REFUSALS_PORT:-18400}
work=$(mktemp -d /tmp/doorman-refusals.XXXXXX)
conf=$work/doorman.conf
log=$work/doorman.log
cleanup() {
	kill_doorman
	if [ "$T_FAILED" -gt 0 ]; then
		echo "--- doorman log"
		cat "$log"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
command -v miltertest >/dev/null || die "miltertest missing: run t/install-deps.sh"

# FILE MILTER DOMAINS GLOBAL POLICY: the policy file with those lines 1,
# 2, 3 and 5 (empty: the good file's)
write_conf() {
	local milter=$2 domains=$3
	[ -n "$milter" ] || milter="milter: { socket = \"inet:$port@127.0.0.1\"; user = \"\"; pidfile = \"\"; };"
	[ -n "$domains" ] || domains='domains: { local = [ "new.example" ]; };'
	cat >"$1" <<CONF
$milter
$domains
$4
policies: { p: { listeners = [ "inbound" ];
$5
}; };
CONF
}

rows=(
	# the file itself
	'F|policies: { p: { relay: { action = }; }; };|1|syntax error'
	'F|domains: { local = [ "example.org" ]; };|-|no policy defined'
	'F|policies: { p = 1; };|1|policies.p must be a group'
	# names and scopes
	'G|bogus_setting = 1;|3|unknown setting "bogus_setting"'
	'G|bogus: { x = 1; };|3|unknown section "bogus"'
	'G|delay_reject = true;|3|unknown setting "delay_reject" \(it belongs inside a policy\)'
	'P|default_policy = "p";|5|unknown setting "default_policy" \(it is a global setting\)'
	'P|nosuch: { x = 1; };|5|unknown section "nosuch" in a policy'
	# types
	'N|relay = "relay.example";|2|domains.relay must be a'
	'P|recipients: { lists = [ 1 ]; };|5|recipients.lists: item 1 is not a string'
	'P|delay_reject = "yes";|5|delay_reject must be a boolean'
	'P|dnsbl: { threshold = "2"; };|5|dnsbl.threshold must be an integer'
	'M|socket = 8891;|1|milter.socket must be a quoted string'
	# list items
	'G|networks: { trusted = [ "10.0.0.0/33" ]; };|3|networks.trusted: "10.0.0.0/33": bad prefix length'
	'G|networks: { trusted = [ "10.0.0.1/8" ]; };|3|bits set beyond the /8 prefix'
	'G|networks: { trusted = [ "nonsense" ]; };|3|networks.trusted: "nonsense" is not an IPv4 or IPv6 address'
	'N|relay = [ "bad..example" ];|2|domains.relay: "bad..example" is not a domain name'
	'P|dnsbl: { zones = [ "zen.example*0" ]; };|5|the weight must be a non-zero integer'
	'P|dnsbl: { zones = [ "-bad-.example" ]; };|5|is not a zone name'
	'P|recipients: { lists = [ "new.example" ]; };|5|recipients.lists: "new.example" is not domain=value'
	'P|recipients: { lists = [ "=users" ]; };|5|recipients.lists: "=users" is not domain=value'
	'P|recipients: { lists = [ "bad..example=users" ]; };|5|"bad..example" is not a domain name'
	'P|recipients: { lists = [ "example.org=" ]; };|5|a list needs a file name after'
	'P|recipients: { callout = [ "example.org" ]; };|5|recipients.callout: "example.org" is not domain=value'
	'P|recipients: { callout = [ "example.org=ftp:127.0.0.1:25" ]; };|5|recipients.callout: '
	'G|networks: { trusted = [ "/8" ]; };|3|networks.trusted: "/8" is not an address or CIDR block'
	'P|dnsbl: { zones = [ "zen.example=banana" ]; };|5|dnsbl.zones: "zen.example=banana": the filter must be'
	"P|dnsbl: { zones = [ $(for i in $(seq 1 65); do printf '"z%d.example", ' "$i"; done) \"z.example\" ]; };|5|dnsbl.zones: 66 zones: at most 64"
	# actions and replies
	'P|helo: { fqdn = "maybe"; };|5|helo.fqdn: unknown action "maybe"'
	'P|relay: { reply = "554"; };|5|must start with a 3-digit code and a space'
	'P|relay: { reply = "250 2.0.0 ok"; };|5|reply code 250 is not a 4xx or 5xx code'
	'P|relay: { reply = "554 relay denied"; };|5|"relay" is not an enhanced status code'
	'P|relay: { reply = "554  denied"; };|5|reply "554  denied" lacks an enhanced status code'
	'P|relay: { reply = "554 4.7.1 relay denied"; };|5|enhanced code 4.7.1 does not agree with reply code 554'
	'P|relay: { reply = "554 5.7.1"; };|5|has no text'
	'P|relay: { reply = "554 5.7.1 a\tb"; };|5|reply text must be printable ASCII'
	"P|relay: { reply = \"554 5.7.1 $(printf 'x%.0s' {1..401})\"; };|5|reply text longer than 400 characters"
	'P|helo: { fqdn = "tempfail"; fqdn_reply = "550 5.7.1 no"; };|5|helo.fqdn_reply: reply 550 does not agree with helo.fqdn = tempfail'
	'P|dmarc: { reject_reply = "451 4.7.1 later"; };|5|dmarc.reject_reply: reply 451 must be a 5xx reply'
	# ranges and values
	'M|socket = "inet:8891";|1|names no address'
	'M|socket = "tcp:8891";|1|is not a milter socket'
	'M|user = "no-such-user-x";|1|milter.user: no such user "no-such-user-x"'
	'M|pidfile = "run/doorman.pid";|1|milter.pidfile: "run/doorman.pid" must be an absolute path'
	'M|socket_group = "no-such-group-x";|1|milter.socket_group: no such group "no-such-group-x"'
	'M|socket_mode = "66x";|1|milter.socket_mode: "66x" is not an octal mode such as 0660'
	'M|socket_mode = "0666";|1|milter.socket_mode: 0666: every local user could talk to the milter; use socket_group'
	'M|socket_mode = "0460";|1|milter.socket_mode: 0460: the owner must be able to read and write the socket'
	'M|timeout = 0;|1|milter.timeout: timeout 0 out of range'
	'G|log: { facility = "nosuch"; };|3|log.facility: unknown syslog facility "nosuch"'
	'G|metrics: { listen = "localhost:9891"; };|3|metrics.listen: "localhost:9891": localhost is not a numeric address'
	'G|metrics: { listen = "127.0.0.1:70000"; };|3|metrics.listen: "127.0.0.1:70000": port 70000 is not 1\.\.65535'
	'G|metrics: { listen = "unix:metrics.sock"; };|3|metrics.listen: "unix:metrics.sock": unix: takes an absolute path'
	'G|metrics: { listen = "9891"; };|3|metrics.listen: "9891" is not address:port or unix:/path'
	'G|resolver: { upstreams = [ "dns.example" ]; };|3|resolver.upstreams: "dns.example" is not an IP address'
	'G|resolver: { zones = [ "bl.example" ]; };|3|resolver.zones: "bl.example" is not zone=address@port'
	'G|resolver: { timeout = 50; };|3|resolver.timeout: 50 ms out of range 100..2000'
	'G|resolver: { budget = 0; };|3|resolver.budget: 0 out of range 1..1000'
	'G|forwarders: { min_messages = 0; };|3|forwarders.min_messages: 0 out of range 1..100000 messages'
	'G|forwarders: { min_domains = 0; };|3|forwarders.min_domains: 0 out of range 1..10000 domains'
	'G|forwarders: { window = 60; };|3|forwarders.window: 60 out of range 3600..34560000 seconds'
	'G|forwarders: { lifetime = 0; };|3|forwarders.lifetime: 0 out of range 3600..34560000 seconds'
	'G|forwarders: { learn = "yes"; };|3|forwarders.learn'
	'G|auth: { authserv_id = "not a host"; };|3|auth.authserv_id: "not a host" is not a host name'
	'G|dmarc: { public_suffix_list = "/nonexistent/psl.dat"; };|3|dmarc.public_suffix_list: "/nonexistent/psl.dat": No such file'
	'P|dnsbl: { threshold = 0; };|5|dnsbl.threshold: 0: a threshold must be 1 or more'
	'P|dnsbl: { allow_threshold = 0; };|5|dnsbl.allow_threshold: 0: an allowlist threshold must be -1 or less'
	'P|rhsbl: { threshold = -1; };|5|rhsbl.threshold: -1: a threshold must be 1 or more'
	'P|dkim: { max_signatures = 0; };|5|dkim.max_signatures: 0 out of range'
	'P|dmarc: { on_reject = "bounce"; };|5|dmarc.on_reject: "bounce" is not one of'
	'P|dmarc: { on_quarantine = "bounce"; };|5|dmarc.on_quarantine: "bounce" is not one of'
	'P|recipients: { separators = "@"; };|5|recipients.separators: separators are printable characters'
	'P|recipients: { separators = "+-_.=~^!&"; };|5|recipients.separators: at most 8 separator characters'
	'P|recipients: { check_interval = -1; };|5|recipients.check_interval: -1 out of range 0..3600 seconds'
	'P|recipients: { callout_timeout = 10; };|5|recipients.callout_timeout: 10 out of range 100..8000'
	'P|recipients: { callout_positive_ttl = -1; };|5|recipients.callout_positive_ttl: -1 out of range'
	'P|recipients: { callout_max_conns = 0; };|5|recipients.callout_max_conns: 0 out of range 1..100'
	# policies as a whole
	'P|}; q: { listeners = [ "inbound" ];|5|listener "inbound" is named by policy p and policy q'
	'G|default_policy = "nosuch";|-|default_policy "nosuch" is not defined in policies'
	# data files the policy names
	'P|sender: { access = "nosuch.txt"; };|5|sender.access: cannot read'
	'P|recipients: { lists = [ "new.example=users", "NEW.example=users" ]; };|5|domain new.example has a list or a callout already'
	'D|sender.access|user@example.net MAYBE|unknown action "MAYBE"'
	'D|sender.access|user@example.net|has no action'
	'D|client.access|not-an-ip REJECT|is not an (address or CIDR block|IPv4 or IPv6 address)'
	'D|recipients.patterns|rcpt /[/ REJECT|/\[/: '
	'D|recipients.patterns|helo /x/ REJECT|"helo": a rule starts with rcpt or sender'
	'D|recipients.aliases|a@example.org|"a@example.org" has no target'
	'D|recipients.aliases|nokey b@example.org|"nokey": a key is user@domain or @domain'
	'D|recipients.lists|u v|one address or local part per line'
	'D|recipients.lists|u@other.example|"u@other.example" is not an address in new.example'
	'D|sender.access|user@example.net REJECT 450 4.7.1 later|reply 450 does not agree with action'
	'D|sender.access|user@example.net REJECT 5xx no|must start with a 3-digit code'
	'D|sender.access|bad,key REJECT|"bad,key" is not an address, user@, @domain or domain key'
	'D|sender.access|a@b.example REJECT\nA@b.example REJECT|duplicate key "a@b.example"'
	"D|sender.access|a@b.example REJECT $(printf 'x%.0s' {1..8200})|line longer than 8192 characters"
	'D|recipients.patterns|rcpt x REJECT|the pattern must be written /regex/ or /regex/i'
	'D|recipients.patterns|rcpt /x/q REJECT|after the pattern: flags may be "i", then the action'
	'D|recipients.aliases|a@example.org nota|"nota": a target is user@domain'
	'D|recipients.aliases|a@example.org b@example.org\nb@example.org a@example.org|"(a|b)@example.org": '
)

# the running doorman, with the good policy
write_conf "$conf" "" 'domains: { local = [ "example.org" ]; };' "" ""
cp "$conf" "$work/good.conf"
start_doorman "$bin" "$conf" "$log" "$port"
printf 'u\n' >"$work/users"

# the good policy serves: example.org is local, relaying is refused
serves_old() { # QID
	(cd "$here/../miltertest" && DOORMAN_SOCKET="inet:$port@127.0.0.1" DOORMAN_WORK=$work QID=$1 \
		timeout 30 miltertest -s "$here/refusals.lua") >>"$work/mt.out" 2>&1
}
if serves_old START; then ok "the good policy serves"; else not_ok "the good policy serves"; fi

for row in "${rows[@]}"; do
	IFS='|' read -r where setting line reason <<<"$row"
	bad=$work/bad.conf
	file=$bad
	case $where in
	F) printf '%s\n' "$setting" >"$bad" ;;
	M) write_conf "$bad" "milter: { $setting };" "" "" "" ;;
	N) write_conf "$bad" "" "domains: { $setting };" "" "" ;;
	G) write_conf "$bad" "" "" "$setting" "" ;;
	P) write_conf "$bad" "" "" "" "$setting" ;;
	D)
		printf '%b\n' "$line" >"$work/data.txt"
		val='"data.txt"'
		[ "$setting" = recipients.lists ] && val='[ "new.example=data.txt" ]'
		write_conf "$bad" "" "" "" "${setting%%.*}: { ${setting#*.} = $val; };"
		file=$work/data.txt setting="$setting: ${line:0:60}" line='[12]'
		;;
	esac
	what=$setting
	where=$file:$line:
	[ "$line" = - ] && where=$file:
	out=$("$bin" -n -c "$bad" 2>&1) && rc=0 || rc=$?
	if [ "$rc" = 1 ] && grep -qE "^$where .*($reason)" <<<"$out"; then
		ok "-n refuses $what"
	else
		not_ok "-n refuses $what (exit $rc, want $where $reason): $out"
	fi

	# the same file by SIGUSR1 to the running doorman
	cp "$bad" "$conf"
	where=${where/#$bad/$conf}
	before=$(wc -l <"$log")
	kill -USR1 "$DOORMAN_PID"
	for _ in $(seq 1 200); do
		tail -n +$((before + 1)) "$log" >"$work/new.log"
		grep -qE 'reload: .* (loaded|not loaded)' "$work/new.log" && break
		sleep 0.05
	done
	if grep -q 'reload: .* not loaded, the running policy stays' "$work/new.log" &&
		kill -0 "$DOORMAN_PID" 2>/dev/null && grep -qE "$where .*($reason)" "$work/new.log" &&
		serves_old "R$before"; then
		ok "a reload refuses $what, the daemon lives on with the old policy"
	else
		not_ok "a reload refuses $what, the daemon lives on with the old policy"
		cat "$work/new.log"
		if grep -q 'reload: .* loaded' "$work/new.log"; then
			cp "$work/good.conf" "$conf"
			kill -USR1 "$DOORMAN_PID"
			sleep 1
		fi
		kill -0 "$DOORMAN_PID" 2>/dev/null || die "doorman died at a reload of: $setting"
	fi
done
cp "$work/good.conf" "$conf"
stop_doorman refusals
finish
