#!/bin/bash
# reload.sh - SIGUSR1 loads a changed policy for new connections; an
# invalid one is refused and the running policy stays.
set -euo pipefail
. "$DOORMAN_HERE/../lib/common.sh"
conf=$DOORMAN_WORK/doorman.conf
log=$DOORMAN_WORK/doorman.log

sed -i 's/local = \[ "example.org" \]/local = [ "example.org", "newlocal.example" ]/' "$conf"
grep -q newlocal.example "$conf"
reload_and_wait "$log" "$DOORMAN_PID" 1
QID=AFTER WANT=1 timeout 30 miltertest -s reload-after.lua

# a broken policy: refused with file:line, the previous one stays
cp "$conf" "$conf.good"
echo 'bogus_setting = 1;' >>"$conf"
reload_and_wait "$log" "$DOORMAN_PID" 2
QID=KEPT WANT=1 timeout 30 miltertest -s reload-after.lua

# and back to the first policy: newlocal.example is gone again
sed -e 's/, "newlocal.example"//' "$conf.good" >"$conf"
reload_and_wait "$log" "$DOORMAN_PID" 3
QID=REMOVED WANT=0 timeout 30 miltertest -s reload-after.lua

# another milter.engine: a warning, and the running engine serves on
if grep -q 'engine = "libmilter"' "$conf"; then other=native; else other=libmilter; fi
DOORMAN_ENGINE=$other set_engine "$conf"
grep -q "engine = \"$other\"" "$conf"
reload_and_wait "$log" "$DOORMAN_PID" 4
QID=ENGINE WANT=0 timeout 30 miltertest -s reload-after.lua
