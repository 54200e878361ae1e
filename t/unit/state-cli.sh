#!/bin/bash
# state-cli.sh TEST_STORE DOORMAN_STATE FWD_SEED - doorman-state(8) on both backends
#
# LMDB: test_store grey DIR writes greylisting entries as doorman does
# (alice's triplet passed, bob's new, the network's count); the CLI lists
# (with state and age), filters, counts and deletes them, and allows and
# disallows client networks (IPv4 and IPv6, refusing what greylisting
# does not key by).  Redis: a private redis-server on a unix socket,
# entries written with redis-cli (a triplet, a rate counter), listed and
# deleted, a network allowed and disallowed; then the server stopped: the
# CLI says so and exits 1.  On both: fwd_seed writes forwarder state as
# forwarder_key lays it out (two learned clients, one with evidence only);
# list forwarders joins it per client, forget removes every key of one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/common.sh"
test_store=${1:?usage: state-cli.sh TEST_STORE DOORMAN_STATE}
cli=${2:?usage: state-cli.sh TEST_STORE DOORMAN_STATE FWD_SEED}
fwd_seed=${3:?usage: state-cli.sh TEST_STORE DOORMAN_STATE FWD_SEED}
work=$(mktemp -d /tmp/doorman-state.XXXXXX)
cleanup() {
	if [ -f "$work/redis.pid" ]; then kill "$(cat "$work/redis.pid")" 2>/dev/null; fi
	rm -rf "$work"
}
trap cleanup EXIT

conf() { # BACKEND: a policy file with the store settings
	cat >"$work/doorman.conf" <<EOC
store: { backend = "$1"; path = "$work/state"; map_size = 16; redis = "unix:$work/redis.sock"; };
policies: { inbound: { }; };
EOC
}
expect() { # NAME WANT-REGEX COMMAND...: the command's output matches
	local name=$1 want=$2 out
	shift 2
	if out=$("$@" 2>&1) && grep -Eq -- "$want" <<<"$out"; then
		ok "$name"
	else
		not_ok "$name: got '$out'"
	fi
}
status() { # NAME STATUS COMMAND...: the command exits with STATUS
	local name=$1 want=$2 got=0
	shift 2
	"$@" >"$work/out" 2>&1 || got=$?
	if [ "$got" -eq "$want" ]; then ok "$name"; else not_ok "$name: exit $got, want $want ($(cat "$work/out"))"; fi
}

conf lmdb
"$test_store" grey "$work/state" || die "cannot write the greylisting entries"
c="$cli -c $work/doorman.conf"
alice='grey|203.0.113.0/24|joe@sender.example|alice@example.org'
expect "lmdb: list shows the passed triplet with its state, age and fields" \
	"^grey\|203\.0\.113\.0/24\|joe@sender\.example\|alice@example\.org state=passed age=6m[45][0-9]s first=[0-9T:-]+Z last=[0-9T:-]+Z passes=1 expires=[0-9T:-]+Z$" $c list
expect "lmdb: list shows the new triplet waiting" "bob@example\.org state=waiting age=[0-9]+s first=.* passes=0 " $c list grey
expect "lmdb: the network's entry" "^greynet\|203\.0\.113\.0/24 passes=1 last=.*Z expires=.*Z$" $c list greynet
expect "lmdb: list by network and sender" "alice@example.org" $c list grey 203.0.113.0/24 joe@sender.example
status "lmdb: another network lists nothing" 0 $c list grey 198.51.100.0/24
[ ! -s "$work/out" ] && ok "lmdb: ... and prints nothing" || not_ok "lmdb: printed $(cat "$work/out")"
expect "lmdb: count" "^2$" $c count grey
status "lmdb: delete a listed key" 0 $c delete "$alice"
expect "lmdb: count after delete" "^1$" $c count
status "lmdb: a key list would not print is refused" 1 $c delete "grey|a b"
status "lmdb: a bad namespace is a usage error" 2 $c list Grey
status "no command is a usage error" 2 $cli -c "$work/doorman.conf"
# no policy greylists: an address stands for its network at the default prefixes
same() { # NAME WANT COMMAND...: the command's output is exactly WANT
	local name=$1 want=$2 out
	shift 2
	if out=$("$@" 2>&1) && [ "$out" = "$want" ]; then ok "$name"; else not_ok "$name: got '$out', want '$want'"; fi
}
netcases() { # BACKEND: allow and disallow, and the refusals
	local b=$1
	same "$b: allow an address: its /24" "greynet|203.0.113.0/24 allowed" $c allow 203.0.113.7
	same "$b: allow the /24 again" "greynet|203.0.113.0/24 already allowed" $c allow 203.0.113.0/24
	expect "$b: list shows the network allowed for good" \
		"^greynet\|203\.0\.113\.0/24 state=allowed passes=[01] since=[0-9T:-]+Z expires=never$" $c list greynet
	same "$b: allow an IPv6 /64" "greynet|2001:db8:1:2::/64 allowed" $c allow 2001:DB8:1:2::/64
	same "$b: disallow it by an address in it" "greynet|2001:db8:1:2::/64 disallowed" $c disallow 2001:db8:1:2::99
	status "$b: disallow what is not allowed exits 1" 1 $c disallow 2001:db8:1:2::/64
	grep -qx "doorman-state: greynet|2001:db8:1:2::/64 was not allowed" "$work/out" && ok "$b: ... and says so" || not_ok "$b: said $(cat "$work/out")"
	status "$b: a /16 is not what greylisting keys by" 2 $c allow 203.0.0.0/16
	grep -qx 'doorman-state: "203.0.0.0/16": greylisting keys IPv4 clients by /24 networks (greylist.ipv4_prefix): give one such network or an address' "$work/out" \
		&& ok "$b: ... and says by what" || not_ok "$b: said $(cat "$work/out")"
	status "$b: host bits set are refused" 2 $c allow 203.0.113.5/24
	grep -q 'bits set beyond the /24 prefix' "$work/out" && ok "$b: ... and says so" || not_ok "$b: said $(cat "$work/out")"
	status "$b: not a network" 2 $c allow "grey|x"
	grep -qx 'doorman-state: "grey|x" is not an IPv4 or IPv6 address' "$work/out" && ok "$b: ... and says so" || not_ok "$b: said $(cat "$work/out")"
	status "$b: no network is a usage error" 2 $c allow
	expect "$b: nothing written by the refusals" "^1$" $c count greynet
}
netcases lmdb
t='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z'
fwdcases() { # BACKEND: list forwarders and forget, on fwd_seed's records
	local b=$1 out
	"$fwd_seed" "$work/doorman.conf" 2>"$work/seed.err" || die "$b: fwd_seed: $(cat "$work/seed.err")"
	expect "$b: list forwarders: a learned one, its record, window and domains" \
		"^192\.0\.2\.9 state=learned messages=6 domains=3 first=2023-11-14T22:13:20Z last=2023-11-15T22:13:20Z expires=$t window_messages=6 window_domains=3 window_expires=$t counts=a\.example:3,b\.example:2,c\.example:1$" \
		$c list forwarders
	expect "$b: list forwarders: a learned one whose window is over" \
		"^198\.51\.100\.1 state=learned messages=5 domains=3 first=2023-11-14T22:13:20Z last=2023-11-14T23:13:20Z expires=$t window_messages=0 window_domains=0 window_expires=- counts=-$" \
		$c list forwarders
	expect "$b: list forwarders: evidence only (IPv6), expiring with its window" \
		"^2001:db8::25 state=evidence messages=2 domains=2 first=- last=- expires=($t) window_messages=2 window_domains=2 window_expires=$t counts=d\.example:1,e\.example:1$" \
		$c list forwarders
	out=$($c list forwarders | cut -d' ' -f1 | tr '\n' ' ')
	[ "$out" = "192.0.2.9 198.51.100.1 2001:db8::25 " ] && ok "$b: learned first, each by address, one line each" ||
		not_ok "$b: listed '$out'"
	same "$b: forget a learned forwarder: its record, counters and domains" "192.0.2.9 forgotten keys=6" $c forget 192.0.2.9
	out=$(for ns in fwd fwdev fwdnd fwdd; do $c list $ns; done)
	if grep -q "192\.0\.2\.9" <<<"$out"; then not_ok "$b: keys left: $out"; else ok "$b: ... no key of it is left"; fi
	same "$b: ... and the others' keys stay" "1 1 1 2" \
		echo $($c count fwd) $($c count fwdev) $($c count fwdnd) $($c count fwdd)
	status "$b: forget it again exits 1" 1 $c forget 192.0.2.9
	grep -qx "doorman-state: 192.0.2.9 has no forwarder state" "$work/out" && ok "$b: ... and says so" || not_ok "$b: said $(cat "$work/out")"
	same "$b: forget evidence only (IPv6)" "2001:db8::25 forgotten keys=4" $c forget 2001:DB8::25
	status "$b: forget what is not an address is a usage error" 2 $c forget 192.0.2.0/24
	same "$b: one left" "198.51.100.1 forgotten keys=1" $c forget 198.51.100.1
	same "$b: nothing left to list" "" $c list forwarders
}
fwdcases lmdb

conf redis
redis-server --port 0 --unixsocket "$work/redis.sock" --save '' --appendonly no --daemonize yes \
	--pidfile "$work/redis.pid" --logfile "$work/redis.log" --dir "$work" || die "cannot start redis-server"
wait_file "$work/redis.pid" 10 || die "redis-server did not start"
redis-cli -s "$work/redis.sock" SET "$alice" "1:1700000000,1700000400,3" EX 3600 >/dev/null
expect "redis: list shows the entry and its expiry" \
	"^grey\|203\.0\.113\.0/24\|joe@sender\.example\|alice@example\.org state=passed age=[0-9]+d[0-9]{2}h[0-9]{2}m[0-9]{2}s first=2023-11-14T22:13:20Z last=2023-11-14T22:20:00Z passes=3 expires=" $c list
status "redis: delete" 0 $c delete "$alice"
expect "redis: count after delete" "^0$" $c count grey
# a rate limit counter as check_ratelimit.c writes it: window 3600 s, index 472222
redis-cli -s "$work/redis.sock" SET "rate|network|203.0.113.0/24|3600|472222|recipients" "1:7" EX 3600 >/dev/null
redis-cli -s "$work/redis.sock" SET "rate|user|joe%40x.example|60|28333333|messages" "1:2" EX 60 >/dev/null
same "redis: a rate counter, its fields named" \
	"rate|network|203.0.113.0/24|3600|472222|recipients kind=network key=203.0.113.0/24 recipients=7 window=3600s start=2023-11-14T22:00:00Z expires=2023-11-14T23:00:00Z" \
	$c list rate network
same "redis: a user's messages counter" \
	"rate|user|joe%40x.example|60|28333333|messages kind=user key=joe%40x.example messages=2 window=60s start=2023-11-14T22:13:00Z expires=2023-11-14T22:14:00Z" \
	$c list rate user
netcases redis
fwdcases redis
kill "$(cat "$work/redis.pid")"
for _ in $(seq 1 100); do [ -S "$work/redis.sock" ] || break; sleep 0.05; done
rm -f "$work/redis.pid"
status "redis: a store that does not answer exits 1" 1 $c list
grep -q "the store did not answer" "$work/out" && ok "redis: ... and says so" || not_ok "redis: said $(cat "$work/out")"
finish
