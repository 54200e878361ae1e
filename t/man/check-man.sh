#!/bin/bash
# check-man.sh BUILD_DIR - the man pages agree with the schema table
#
# Every setting `doorman -D` prints has a ".B name" entry in the SETTINGS
# section of doorman.conf(5) with the same default, and every entry there
# is a setting; both pages render without groff warnings.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: check-man.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
page=$here/../../man/doorman.conf.5

schema=$("$build/milter/doorman" -D)
# SETTINGS section: ".TP" / ".B name" / "(type; default: X)"
documented=$(awk '/^\.SH SETTINGS/ { on = 1; next } /^\.SH / { on = 0 }
	on && prev == ".TP" && /^\.B / { name = $2 }
	on && name != "" && /^\(.*; default: / {
		d = $0; sub(/^\([^;]*; default: /, "", d); sub(/\)$/, "", d)
		gsub(/\\fB|\\fR/, "", d); if (d == "empty") d = "\"\""; print name "\t" d; name = "" }
	{ prev = $0 }' "$page")

while IFS=$'\t' read -r name type def doc; do
	got=$(printf '%s\n' "$documented" | awk -F'\t' -v n="$name" '$1 == n { print $2 }')
	if [ -z "$got" ]; then
		not_ok "$name: not documented in doorman.conf(5)"
	elif [ "$got" != "$def" ]; then
		not_ok "$name: default '$def' in the schema, '$got' in doorman.conf(5)"
	else
		ok "$name documented with default $def"
	fi
done <<<"$schema"

# (grep without -q reads all its input: with -q it may exit first, and
# pipefail would count the writer's SIGPIPE as "not found")
names=$(printf '%s\n' "$schema" | cut -f1)
while IFS=$'\t' read -r name def; do
	if grep -xF -- "$name" <<<"$names" >/dev/null; then
		ok "$name is a setting"
	else
		not_ok "$name: documented but not in the schema"
	fi
done <<<"$documented"

for p in doorman.8 doorman.conf.5 doorman-state.8; do
	warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l --warnings "$here/../../man/$p" 2>&1 >/dev/null || true)
	if [ -z "$warnings" ]; then ok "$p renders without warnings"; else not_ok "$p: $warnings"; fi
done
finish
