#!/bin/bash
# dns.t.sh BUILD_DIR - the resolver (lib/dns/dns.c) against a real NSD serving
# t/dns/zones on 127.0.0.1:17353
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: dns.t.sh BUILD_DIR}" && pwd)
. "$here/../lib/common.sh"
. "$here/../lib/nsd.sh"

deps_nsd
work=$(mktemp -d /tmp/doorman-dns.XXXXXX)
trap 'nsd_stop; rm -rf "$work"' EXIT
nsd_start "$work" 17353 "$here/zones"
DOORMAN_TEST_DNS=127.0.0.1@17353 "$build/t/unit/test_dns"
