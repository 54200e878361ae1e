#!/bin/bash
# run-greylist.sh BUILD_DIR [MSGS] [SESSIONS] [RUNS] [N] - greylisting end to
# end through Postfix: doorman with greylisting on (LMDB, Redis) against
# off, and postgrey, side by side in one run.
#
# A private Postfix 3.7 on loopback (t/lib/postfix.sh) relays to smtp-sink;
# smtp-source sends MSGS 4 KB messages over SESSIONS sessions per row.  The
# rows, alternated in each of RUNS rounds (bench/lib-e2e.sh):
#   alone     Postfix without a milter or policy service
#   off       doorman, a policy that checks relaying only, greylisting off
#   lmdb      the same policy with greylisting on, its LMDB store seeded
#             with N other passed triplets (default 1,000,000)
#   redis     the same on a private redis-server (127.0.0.1, no
#             persistence) seeded likewise, reached over TCP loopback
#   redisunix the same redis-server reached on its unix socket
#   postgrey  Postfix without a milter, postgrey (Debian's) asked at RCPT
#             (check_policy_service), --delay=1
# Greylisting's own triplet (127.0.0.0/24, s@pass.auth.test,
# alice@example.org) is passed once for real before the rounds: a first
# attempt gets 450, the retry after greylist.delay = 1 s gets 250; from
# then on every message is a known triplet.  auto_allow (postgrey's
# --auto-whitelist-clients) is off in both, so each message's decision
# looks the triplet up.  Each doorman is reached on a unix socket.
# Prints msg/s per row and round, the medians, the ratios (lmdb and redis
# to off, postgrey to alone), and CPU seconds per 1,000 messages of the
# doorman or postgrey of the row, and of redis-server in the redis rows.
# N=0 skips the 1M seeding.  ROWS="off redis ..." runs only those rows
# (default: all of them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run-greylist.sh BUILD_DIR [MSGS] [SESSIONS] [RUNS] [N]}" && pwd)
msgs=${2:-2000}
sessions=${3:-20}
runs=${4:-3}
seed_n=${5:-1000000}
. "$here/../t/lib/common.sh"
. "$here/../t/lib/postfix.sh"
. "$here/lib-e2e.sh"
deps_postfix
command -v postgrey >/dev/null ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgrey >/dev/null
sink_port=19520 smtp_port=19521 sub_port=19522 redis_port=19523 pg_port=19524
work=$(mktemp -d /tmp/doorman-grey-e2e.XXXXXX)
chmod 755 "$work"
PIDS=()
cleanup() {
	postfix_stop
	local p
	for p in "${PIDS[@]}"; do stop_bg "$p"; done
	[ -f "$work/pg/postgrey.pid" ] && kill "$(cat "$work/pg/postgrey.pid")" 2>/dev/null
	[ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null
	stop_bg "${SINK_PID:-}"
	rm -rf "$work"
}
trap cleanup EXIT
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
	--unixsocket "$work/redis-server.sock" --unixsocketperm 777 \
	--pidfile "$work/redis.pid" --logfile "$work/redis.log" --dir "$work" ||
	die "cannot start redis-server"
wait_port 127.0.0.1 "$redis_port" 10 || die "redis-server did not listen"
if [ "$seed_n" -gt 0 ]; then
	"$build/bench/greylist_bench" resp "$seed_n" |
		redis-cli -h 127.0.0.1 -p "$redis_port" --pipe >"$work/pipe.out" ||
		die "seeding Redis failed"
	"$build/bench/greylist_bench" lmdb "$work/lmdb" "$seed_n" 0 >/dev/null 2>&1 ||
		die "seeding LMDB failed"
fi
mkdir -p "$work/lmdb"
chown -R postfix "$work/lmdb"
chmod 750 "$work/lmdb"

# doorman NAME GREYLIST-SETTINGS STORE-SETTINGS: one started on $work/NAME.sock
doorman() {
	cat >"$work/$1.conf" <<CONF
milter: { socket = "unix:$work/$1.sock"; user = "postfix"; pidfile = ""; };
log: { accepts = false; };
domains: { local = [ "example.org" ]; };
networks: { trusted = [ ]; };
store: { $3 };
policies: { p: { greylist: { $2 }; }; };
CONF
	start_doorman "$build/milter/doorman" "$work/$1.conf" "$work/$1.log" "$work/$1.sock"
	eval "${1}_pid=\$DOORMAN_PID"
	PIDS+=("$DOORMAN_PID")
}
grey="enabled = true; delay = 1; auto_allow = 0;"
doorman off "enabled = false;" "path = \"$work/lmdb\";"
doorman lmdb "$grey" "path = \"$work/lmdb\";"
doorman redis "$grey" "backend = \"redis\"; redis = \"127.0.0.1:$redis_port\";"
doorman redisunix "$grey" "backend = \"redis\"; redis = \"unix:$work/redis-server.sock\";"
server_pid=$(cat "$work/redis.pid")

mkdir -p "$work/pg"
chown postgrey "$work/pg"
postgrey --inet="127.0.0.1:$pg_port" --dbdir="$work/pg" --pidfile="$work/pg/postgrey.pid" \
	--delay=1 --auto-whitelist-clients=0 --daemonize ||
	die "cannot start postgrey"
wait_port 127.0.0.1 "$pg_port" 20 || die "postgrey did not listen"
wait_file "$work/pg/postgrey.pid" 10 || die "postgrey wrote no pid file"
pg_pid=$(cat "$work/pg/postgrey.pid")

smtp-sink -u postfix "127.0.0.1:$sink_port" 256 &
SINK_PID=$!
wait_port 127.0.0.1 $sink_port 10 || die "smtp-sink did not listen"
postfix_start "$work" $smtp_port $sub_port "" $sink_port
postconf -c "$POSTFIX_DIR/etc" -e "default_process_limit = 100" \
	"smtpd_client_connection_rate_limit = 0" "milter_default_action = tempfail"

# use ROW - Postfix set up for a row
use() {
	case $1 in
	alone) postfix_set "smtpd_milters =" "smtpd_recipient_restrictions =" ;;
	postgrey) postfix_set "smtpd_milters =" \
		"smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:$pg_port" ;;
	*) postfix_set "smtpd_milters = unix:$work/$1.sock" "smtpd_recipient_restrictions =" ;;
	esac
}

# pass ROW - the bench's triplet passed once for real: 450, then 250
pass() {
	local out
	use "$1"
	out=$(timeout 30 swaks --server 127.0.0.1:$smtp_port --ehlo goodhelo.auth.test -f s@pass.auth.test \
		-t alice@example.org 2>&1 || true)
	grep -q '<\*\* 450 ' <<<"$out" || die "$1: the first attempt was not greylisted: $out"
	sleep 1.5
	out=$(timeout 30 swaks --server 127.0.0.1:$smtp_port --ehlo goodhelo.auth.test -f s@pass.auth.test \
		-t alice@example.org 2>&1) || die "$1: the retry was refused: $out"
}
rows=${ROWS:-alone off lmdb redis redisunix postgrey}
passed_redis=
for r in $rows; do
	case $r in
	lmdb | postgrey) pass "$r" ;;
	redis*) [ -n "$passed_redis" ] || pass "$r"; passed_redis=1 ;; # one Redis for both
	esac
done

# rstat FIELD - a field of redis-server's INFO stats (the call itself is a
# command and a connection: 2 of each per row are these two calls)
rstat() {
	redis-cli -h 127.0.0.1 -p "$redis_port" info stats | tr -d '\r' | awk -F: -v f="$1" '$1 == f { print $2 }'
}
# per_k TICKS0 TICKS1 - CPU seconds per 1,000 messages
per_k() {
	awk -v a="$1" -v b="$2" -v n="$msgs" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.3f", (b - a) / hz * 1000 / n }'
}
echo "greylisting end to end: $msgs messages, $sessions sessions, $runs rounds; stores seeded with $seed_n triplets"
: >"$work/results"
for r in $(seq 1 "$runs"); do
	line="run $r"
	for kind in $rows; do
		use "$kind"
		pid=
		case $kind in alone) ;; postgrey) pid=$pg_pid ;; *) eval "pid=\$${kind}_pid" ;; esac
		c0=0 c1=0 r0=$(cpu_of "$server_pid") k0=$(rstat total_commands_processed)
		n0=$(rstat total_connections_received)
		[ -z "$pid" ] || c0=$(cpu_of "$pid")
		rate=$(row -l 4096)
		[ -z "$pid" ] || c1=$(cpu_of "$pid")
		r1=$(cpu_of "$server_pid")
		k1=$(rstat total_commands_processed) n1=$(rstat total_connections_received)
		cpu_k=$(per_k "$c0" "$c1")
		rcpu_k=$(per_k "$r0" "$r1")
		echo "$kind $rate $cpu_k $rcpu_k" >>"$work/results"
		line="$line   $kind $rate msg/s ($cpu_k s"
		case $kind in redis*)
			line="$line, redis-server $rcpu_k s, $(awk -v a="$k0" -v b="$k1" -v n="$msgs" \
				'BEGIN { printf "%.2f", (b - a - 2) / n }') commands/msg, $((n1 - n0 - 2)) connects" ;;
		esac
		line="$line)"
	done
	echo "$line"
done
med() { awk -v k="$1" -v c="$2" '$1 == k { print $c }' "$work/results" | median; }
line="median"
for kind in $rows; do
	line="$line   $kind $(med "$kind" 2) msg/s ($(med "$kind" 3) s"
	case $kind in redis*) line="$line, redis-server $(med "$kind" 4) s" ;; esac
	line="$line)"
done
echo "$line"
# ratio_of A B - "B/A R" when both rows ran
ratio_of() {
	case " $rows " in *" $1 "*) ;; *) return 0 ;; esac
	case " $rows " in *" $2 "*) ;; *) return 0 ;; esac
	printf '  %s/%s %s' "$2" "$1" "$(ratio "$(med "$1" 2)" "$(med "$2" 2)")"
}
echo "ratios of the medians:$(ratio_of off lmdb)$(ratio_of off redis)$(ratio_of off redisunix)$(ratio_of alone off)$(ratio_of alone lmdb)$(ratio_of alone postgrey)"
echo "(in parentheses: CPU seconds per 1,000 messages of the row's doorman or postgrey, and of redis-server)"
case " $rows " in *" redis"*)
	echo "redis-server commands over the run: $(redis-cli -h 127.0.0.1 -p "$redis_port" info commandstats |
		tr -d '\r' | awk -F'[:=,]' '/^cmdstat_/ { sub(/cmdstat_/, "", $1); printf "%s %s  ", $1, $3 }')" ;;
esac
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
# every message passed: greylisting's decisions were all "passed" after the
# first pair, and no store failed
for kind in lmdb redis redisunix; do
	case " $rows " in *" $kind "*) ;; *) continue ;; esac
	n=$(grep -c 'greylist=passed' "$work/$kind.log" || true)
	[ "$n" -ge $((runs * msgs)) ] || die "$kind: $n greylist=passed lines, want $((runs * msgs)) or more"
	[ "$(grep -cE 'greylist=(new|early|store_failure)' "$work/$kind.log")" -le 1 ] ||
		die "$kind: more than the first attempt was greylisted or failed"
done
postfix_stop
for kind in off lmdb redis redisunix; do
	eval "judge_stop bench-greylist-$kind \$${kind}_pid $work/$kind.log"
done
PIDS=()
[ "$T_FAILED" = 0 ] || exit 1
