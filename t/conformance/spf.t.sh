#!/bin/bash
# spf.t.sh BUILD_DIR - the SPF conformance suite: t/conformance/spf-cases
# (written from RFC 7208's text) through doorman's SPF (spf-eval: the
# session's own path, libspf2 behind doorman's DNS layer) and through
# python3-spf, both asking a real NSD serving t/conformance/zones.
# Ports: NSD 18253, a server that never answers 18252.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: spf.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
. "$here/../lib/nsd.sh"

dns_port=18253 hole_port=18252
deps_nsd
/usr/bin/python3 -c 'import spf' 2>/dev/null || die "python3-spf missing: run t/install-deps.sh"
work=$(mktemp -d /tmp/doorman-spf.XXXXXX)
cleanup() {
	nsd_stop
	stop_bg "${HOLE_PID:-}"
	if [ -n "${KEEP:-}" ]; then echo "(kept $work)"; else rm -rf "$work"; fi
}
trap cleanup EXIT
nsd_start "$work" $dns_port "$here/zones" spf.test
"$build/t/unit/dns-blackhole" $hole_port &
HOLE_PID=$!
sed -e "s|@DNS_PORT@|$dns_port|g" -e "s|@HOLE_PORT@|$hole_port|g" "$here/spf.conf" >"$work/spf.conf"
grep -v '^#' "$here/spf-cases" | grep -v '^[[:space:]]*$' >"$work/cases"
"$build/t/conformance/spf-eval" "$work/spf.conf" <"$work/cases" >"$work/results" 2>"$work/eval.log" ||
	{ cat "$work/eval.log"; die "spf-eval failed"; }
if grep -Eq 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$work/eval.log"; then
	cat "$work/eval.log"
	die "sanitizer report from spf-eval"
fi
/usr/bin/python3 "$here/spf-compare.py" "$here/spf-cases" "$work/results" $dns_port
