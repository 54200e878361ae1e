#!/bin/bash
# state-cli.sh TEST_STORE DOORMAN_STATE - doorman-state(8) on both backends
#
# LMDB: test_store grey DIR writes greylisting entries as doorman does
# (alice's triplet passed, bob's new, the network's count); the CLI lists,
# filters, counts and deletes them.  Redis: a private redis-server on a
# unix socket, an entry written with redis-cli, listed and deleted; then
# the server stopped: the CLI says so and exits 1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/common.sh"
test_store=${1:?usage: state-cli.sh TEST_STORE DOORMAN_STATE}
cli=${2:?usage: state-cli.sh TEST_STORE DOORMAN_STATE}
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
expect "lmdb: list shows the passed triplet with its fields" \
	"^grey\|203\.0\.113\.0/24\|joe@sender\.example\|alice@example\.org first=[0-9T:-]+Z last=[0-9T:-]+Z passes=1 expires=[0-9T:-]+Z$" $c list
expect "lmdb: list shows the new triplet" "bob@example\.org first=.* passes=0 " $c list grey
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

conf redis
redis-server --port 0 --unixsocket "$work/redis.sock" --save '' --appendonly no --daemonize yes \
	--pidfile "$work/redis.pid" --logfile "$work/redis.log" --dir "$work" || die "cannot start redis-server"
wait_file "$work/redis.pid" 10 || die "redis-server did not start"
redis-cli -s "$work/redis.sock" SET "$alice" "1:1700000000,1700000400,3" EX 3600 >/dev/null
expect "redis: list shows the entry and its expiry" \
	"^grey\|203\.0\.113\.0/24\|joe@sender\.example\|alice@example\.org first=2023-11-14T22:13:20Z last=2023-11-14T22:20:00Z passes=3 expires=" $c list
status "redis: delete" 0 $c delete "$alice"
expect "redis: count after delete" "^0$" $c count grey
kill "$(cat "$work/redis.pid")"
for _ in $(seq 1 100); do [ -S "$work/redis.sock" ] || break; sleep 0.05; done
rm -f "$work/redis.pid"
status "redis: a store that does not answer exits 1" 1 $c list
grep -q "the store did not answer" "$work/out" && ok "redis: ... and says so" || not_ok "redis: said $(cat "$work/out")"
finish
