#!/bin/bash
# lmdb-kill.t.sh BUILD_DIR - greylisting state in LMDB survives kill -9
# (issue 11, point 7; port 20200)
#
# A real doorman (LMDB store, greylist.delay 1 s) gets greylisting traffic
# from t/grey/greyclient.py over the milter protocol: new triplets (450)
# and, a delay later, their retries (accepted), without pause, so that
# write transactions are committed all the time.  doorman is killed with
# SIGKILL in the middle of that, then started again on the same
# store.path.  LMDB commits do not fsync (MDB_NOSYNC): a thread flushes them
# once a second, but a commit's pages are in the kernel's page cache when
# mdb_txn_commit returns, so a killed process loses nothing it committed.
# Asserted: doorman starts again, doorman-state lists the store (no
# corruption), and every triplet doorman answered before the kill (450 for
# a first sight, or a retry accepted), including those answered in the
# last second before it, is known after the restart: its next attempt is
# accepted (greylist=passed), none is new again.
# Cost: ~5 s (two doorman starts, 1 s delay waited out twice).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: lmdb-kill.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
. "$here/grey.sh"

PORT=20200
W=$(mktemp -d /tmp/doorman-greykill.XXXXXX)
CLIENT=
cleanup() {
	stop_bg "$CLIENT"
	kill_doorman
	grey_workdir_end "$W" before.log after.log
}
trap cleanup EXIT

grey_conf "$W/doorman.conf" $PORT "backend = \"lmdb\"; path = \"$W/state\"; map_size = 16;" accept
sed -i 's/delay = 2;/delay = 1;/' "$W/doorman.conf"
grep -q 'delay = 1;' "$W/doorman.conf" || die "no greylist.delay in $W/doorman.conf"
state() { "$build/tools/doorman-state" -c "$W/doorman.conf" "$@"; }
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

start_doorman "$build/milter/doorman" "$W/doorman.conf" "$W/before.log" $PORT
# bounded: 5000 triplets or 60 s; killed long before
python3 "$here/greyclient.py" loop $PORT "$W/before.res" 1 5000 60 &
CLIENT=$!
# kill once 40 retries were accepted (a retry is a write: passes=1), in
# the middle of the stream of writes (30 s at most)
for _ in $(seq 1 300); do
	[ "$(awk '$2 == "retry" && $3 == 250' "$W/before.res" 2>/dev/null | wc -l)" -ge 40 ] && break
	pid_alive "$CLIENT" || break
	sleep 0.1
done
kill -KILL "$DOORMAN_PID"
t_kill=$(date +%s.%N)
wait "$DOORMAN_PID" 2>/dev/null || true
DOORMAN_PID=
# the client sees its connections break and ends (bounded: 10 s)
for _ in $(seq 1 100); do pid_alive "$CLIENT" || break; sleep 0.1; done
stop_bg "$CLIENT"
CLIENT=

new=$(awk '$2 == "new" && $3 == 450' "$W/before.res" | wc -l)
passed=$(awk '$2 == "retry" && $3 == 250' "$W/before.res" | wc -l)
other=$(awk '!(($2 == "new" && $3 == 450) || ($2 == "retry" && $3 == 250))' "$W/before.res" | tee /dev/stderr | wc -l)
late=$(awk -v k="$t_kill" '$4 > k - 1' "$W/before.res" | wc -l)
late_passed=$(awk -v k="$t_kill" '$4 > k - 1 && $2 == "retry" && $3 == 250' "$W/before.res" | wc -l)
if [ "$passed" -ge 40 ] && [ "$other" -eq 0 ]; then
	ok "before the kill: $new first sights got 450, $passed retries were accepted, nothing else"
else
	not_ok "before the kill: $new first sights 450, $passed retries accepted (want >= 40), $other other answers (above)"
fi
grep -q "^[0-9]* new 450 [0-9.]* 450 4.7.1 <user@example.org>: Greylisted, please try again in 1 seconds$" \
	"$W/before.res" && ok "the first sight's reply: 450 4.7.1 Greylisted, please try again in 1 seconds" ||
	not_ok "no 450 4.7.1 Greylisted reply: $(head -1 "$W/before.res")"
if [ "$late_passed" -gt 0 ]; then
	ok "killed while writing: $late answers ($late_passed retries accepted) in the last second before SIGKILL"
else
	not_ok "the kill did not come while retries were being accepted ($late answers in its last second)"
fi

# the delay (1 s) over for every triplet first seen before the kill
sleep "$(awk -v k="$t_kill" -v n="$(date +%s.%N)" 'BEGIN { w = k + 1.3 - n; print (w > 0 ? w : 0) }')"
start_doorman "$build/milter/doorman" "$W/doorman.conf" "$W/after.log" $PORT
ok "doorman started again on the store it was killed over"
if state list grey >"$W/list" 2>"$W/list.err"; then
	ok "doorman-state lists the store after the kill ($(lines "$W/list") greylisting entries)"
else
	not_ok "doorman-state list failed after the kill: $(cat "$W/list.err")"
fi
# every triplet answered before the kill is in the store: its first sight
# at least (a triplet in flight at the kill may be there too, or not)
answered=$(awk '{ print $1 }' "$W/before.res" | sort -un | tee "$W/answered" | wc -l)
missing=$(awk -F'|' 'NR == FNR { m = $3; sub(/^s/, "", m); sub(/@.*/, "", m); have[m] = 1; next }
	!($1 in have)' "$W/list" "$W/answered" | wc -l)
[ "$missing" -eq 0 ] && ok "each of the $answered triplets answered before the kill is listed" ||
	not_ok "$missing of the $answered triplets answered before the kill are not in the store"
# a retry accepted before the kill was a write of its own (passes=1 over
# the first sight's passes=0): that write is there too
lost=$(awk -F'|' 'NR == FNR { if ($2 == "retry" && $3 == 250) { split($0, f, " "); ok[f[1]] = 1 }; next }
	{ m = $3; sub(/^s/, "", m); sub(/@.*/, "", m) }
	(m in ok) && !/ passes=[1-9]/ { n++ } END { print n + 0 }' FS=' ' "$W/before.res" FS='|' "$W/list")
[ "$lost" -eq 0 ] && ok "each of the $passed triplets whose retry was accepted before the kill is listed with passes=1" ||
	not_ok "$lost triplets whose retry was accepted before the kill are listed without a pass"
python3 "$here/greyclient.py" check $PORT "$W/answered" "$W/after.res" ||
	not_ok "greyclient.py check failed"
acc=$(awk '$3 == 250' "$W/after.res" | wc -l)
if [ "$acc" -eq "$answered" ]; then
	ok "after the restart each of the $answered triplets answered before the kill is accepted at once"
else
	not_ok "after the restart $acc of $answered triplets answered before the kill are accepted:"
	awk '$3 != 250' "$W/after.res" | head -5
fi
late_acc=$(awk -v k="$t_kill" '$4 > k - 1 { print $1 }' "$W/before.res" | sort -un |
	awk 'NR == FNR { late[$1] = 1; next } ($1 in late) && $3 == 250' - "$W/after.res" | wc -l)
[ "$late_acc" -eq "$(awk -v k="$t_kill" '$4 > k - 1 { print $1 }' "$W/before.res" | sort -un | wc -l)" ] &&
	ok "... $late_acc of them answered in the last second before the kill (committed, maybe not yet flushed)" ||
	not_ok "a triplet answered in the last second before the kill was lost"
[ "$(grep -c ' greylist=passed ' "$W/after.log" || true)" -eq "$answered" ] &&
	ok "doorman logged greylist=passed $answered times after the restart" ||
	not_ok "doorman logged greylist=passed $(grep -c ' greylist=passed ' "$W/after.log" || true) times, want $answered"
! log_has "$W/after.log" ' greylist=new ' && ok "no triplet was new again after the restart" ||
	not_ok "a triplet was new again after the restart: $(grep -m1 ' greylist=new ' "$W/after.log")"
stop_doorman "after the kill"
finish
