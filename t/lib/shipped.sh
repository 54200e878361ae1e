# shipped.sh - a shipped policy made runnable on loopback (sourced)
#
# shipped_policy WORKDIR POLICY PORT DNS_PORT [METRICS_PORT]: copies
# policies/ into WORKDIR and writes WORKDIR/doorman.conf from
# policies/POLICY as it is, but for where it listens (its metrics
# endpoint on 127.0.0.1:METRICS_PORT, none without one) and writes its
# pid, and its DNS: the test NSD
# on DNS_PORT, with the public lists' names mapped to test zones of
# t/dns/zones that answer the way those lists do.  (It still drops to its
# user.)  Used by the miltertest scenarios and the benchmarks.
shipped_policy() {
	local work=$1 policy=$2 port=$3 dns_port=$4 metrics=""
	[ -z "${5:-}" ] || metrics="127.0.0.1:$5"
	local src
	src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../policies" && pwd)
	cp "$src/"* "$work/"
	chmod 755 "$work"
	sed -e "s|^\([[:space:]]*socket = \).*|\1\"inet:$port@127.0.0.1\";|" \
		-e "s|^\([[:space:]]*pidfile = \).*|\1\"$work/doorman.pid\";|" \
		-e "s|^\([[:space:]]*listen = \).*|\1\"$metrics\";|" \
		-e "s|^\([[:space:]]*upstreams = \)\[ \];|\1[ \"127.0.0.1@$dns_port\" ];|" \
		-e "s|^\([[:space:]]*unblock = \)\[ \];|\1[ \"test.\" ];|" \
		-e "s|zen\.spamhaus\.org|bl.doorman.test|; s|b\.barracudacentral\.org|bl2.doorman.test|" \
		-e "s|bl\.spamcop\.net|bl3.doorman.test|; s|list\.dnswl\.org|wl.doorman.test|" \
		-e "s|dbl\.spamhaus\.org|rhs.doorman.test|" \
		"$work/$policy" >"$work/doorman.conf"
}
