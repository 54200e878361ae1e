# nsd.sh - a private NSD serving the zones of a test on loopback (sourced)
#
# Authoritative only, no privileges, every file in the work directory.
# Each zones/NAME.zone file is served as zone NAME.

deps_nsd() {
	dpkg -s nsd >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nsd >/dev/null
}

# nsd_start WORKDIR PORT ZONEDIR [ZONE] - ready once ZONE (doorman.test) answers
nsd_start() {
	local w=$1/nsd port=$2 zones=$3 probe=${4:-doorman.test} z name
	mkdir -p "$w"
	{
		echo "server:"
		echo "  ip-address: 127.0.0.1"
		echo "  port: $port"
		echo "  username: \"\""
		echo "  chroot: \"\""
		echo "  database: \"\""
		echo "  zonesdir: \"$zones\""
		echo "  pidfile: \"$w/nsd.pid\""
		echo "  xfrdfile: \"$w/xfrd.state\""
		echo "  zonelistfile: \"$w/zone.list\""
		echo "  logfile: \"$w/nsd.log\""
		echo "  server-count: 1"
		# no response rate limiting: tests and benchmarks ask fast, from one address
		echo "  rrl-ratelimit: 0"
		echo "  verbosity: 1"
		echo "remote-control:"
		echo "  control-enable: no"
		for z in "$zones"/*.zone; do
			name=$(basename "$z" .zone)
			echo "zone:"
			echo "  name: \"$name\""
			echo "  zonefile: \"$(basename "$z")\""
		done
	} >"$w/nsd.conf"
	nsd-checkconf "$w/nsd.conf" || die "nsd-checkconf failed"
	nsd -d -c "$w/nsd.conf" >"$w/nsd.out" 2>&1 &
	NSD_PID=$!
	local i
	for i in $(seq 1 100); do
		if drill -Q -p "$port" @127.0.0.1 SOA "$probe" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
	done
	cat "$w/nsd.out" "$w/nsd.log" >&2 2>/dev/null
	die "nsd did not answer on port $port"
}

nsd_stop() {
	stop_bg "${NSD_PID:-}"
	NSD_PID=
}
