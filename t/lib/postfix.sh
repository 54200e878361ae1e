# postfix.sh - a private Postfix instance on loopback for tests (sourced)
#
# Everything lives under one work directory: config, queue, data, log.
# Postfix is made to pass every address form through to the milter, so
# that doorman, not Postfix, is the relay authority under test:
# relay_domains = static:ALL, no percent hack, no bang path swap, no
# dequoting, untrusted routing allowed; headers up to 1 MB reach the
# milter (a test sends 10,001 forged Authentication-Results fields).  The default instance's main.cf
# must list the private config directory in alternate_config_directories
# (Postfix refuses "-c DIR" otherwise); that line is added once (and the
# directories of earlier runs that are gone are dropped from it), and a
# missing /etc/postfix/main.cf is made from main.cf.proto.

deps_postfix() {
	dpkg -s postfix >/dev/null 2>&1 && dpkg -s swaks >/dev/null 2>&1 && return 0
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix swaks >/dev/null
}

postfix_register_dir() {
	local dir=$1 main=/etc/postfix/main.cf cur
	[ -f "$main" ] || cp /usr/share/postfix/main.cf.dist "$main" 2>/dev/null ||
		cp /etc/postfix/main.cf.proto "$main" 2>/dev/null || touch "$main"
	cur=$(postconf -h -c /etc/postfix alternate_config_directories 2>/dev/null || true)
	# the directories of earlier runs that are gone are dropped: the list
	# grew by every run (26 KB seen), and every postfix command reads it
	local keep="" d
	for d in ${cur//,/ }; do
		[ -d "$d" ] && [ "$d" != "$dir" ] && keep="$keep $d"
	done
	keep="${keep# } $dir"
	[ "$keep" = "$cur" ] || postconf -c /etc/postfix -e "alternate_config_directories = $keep"
}

# postfix_start WORKDIR SMTP_PORT SUBMISSION_PORT MILTER SINK_PORT [DNS_PORT [AUTH_PORT]]
# (DNS_PORT, AUTH_PORT: listeners whose {daemon_name} is "dns", "auth").
# POSTFIX_INET_PROTOCOLS=all (default ipv4) lets Postfix reach an IPv6
# milter socket and take IPv6 client addresses in XCLIENT; its listeners
# stay on 127.0.0.1.  POSTFIX_SETTINGS="name=value ..." (values without
# spaces) are set last, before the start: a reload just after the start
# instead can race a queue manager delivering with the one replacing it.
postfix_start() {
	local w=$1 smtp=$2 sub=$3 milter=$4 sink=$5 dnsl=${6:-} authl=${7:-}
	POSTFIX_DIR=$w/postfix
	postfix_stop
	rm -rf "$POSTFIX_DIR"
	mkdir -p "$POSTFIX_DIR/etc" "$POSTFIX_DIR/queue" "$POSTFIX_DIR/data"
	chown postfix "$POSTFIX_DIR/data"
	cp /etc/postfix/master.cf "$POSTFIX_DIR/etc/master.cf" 2>/dev/null ||
		cp /usr/share/postfix/master.cf.dist "$POSTFIX_DIR/etc/master.cf"
	touch "$POSTFIX_DIR/etc/main.cf"
	postfix_register_dir "$POSTFIX_DIR/etc"
	local pc="postconf -c $POSTFIX_DIR/etc"
	$pc -e \
		"queue_directory = $POSTFIX_DIR/queue" \
		"data_directory = $POSTFIX_DIR/data" \
		"maillog_file = $POSTFIX_DIR/maillog" \
		"maillog_file_prefixes = $POSTFIX_DIR" \
		"myhostname = mx.doorman.test" \
		"mydomain = doorman.test" \
		"myorigin = doorman.test" \
		"inet_interfaces = 127.0.0.1" \
		"inet_protocols = ${POSTFIX_INET_PROTOCOLS:-ipv4}" \
		"mydestination =" \
		"mynetworks = 127.0.0.10/32" \
		"alias_maps =" \
		"alias_database =" \
		"local_recipient_maps =" \
		"relay_domains = static:ALL" \
		"smtpd_relay_restrictions = reject_unauth_destination" \
		"allow_untrusted_routing = yes" \
		"allow_percent_hack = no" \
		"swap_bangpath = no" \
		"resolve_dequoted_address = no" \
		"strict_rfc821_envelopes = no" \
		"header_size_limit = 1048576" \
		"smtpd_delay_reject = yes" \
		"smtpd_helo_required = no" \
		"smtpd_authorized_xclient_hosts = 127.0.0.0/8" \
		"smtp_dns_support_level = disabled" \
		"disable_dns_lookups = yes" \
		"smtpd_peername_lookup = no" \
		"default_transport = smtp:[127.0.0.1]:$sink" \
		"relay_transport = smtp:[127.0.0.1]:$sink" \
		"smtpd_milters = $milter" \
		"milter_default_action = tempfail" \
		"milter_connect_timeout = 10s" \
		"milter_command_timeout = 10s" \
		"compatibility_level = 3.6" \
		"queue_run_delay = 1s" \
		"minimal_backoff_time = 1s" \
		"maximal_backoff_time = 2s"
	# shellcheck disable=SC2086
	[ -z "${POSTFIX_SETTINGS:-}" ] || $pc -e $POSTFIX_SETTINGS
	# loopback listeners only: port 25 and 587 of the test, each naming
	# itself to the milter through {daemon_name}
	sed -i -e 's/^smtp[[:space:]]\+inet/#&/' -e 's/^submission[[:space:]]\+inet/#&/' \
		"$POSTFIX_DIR/etc/master.cf"
	cat >>"$POSTFIX_DIR/etc/master.cf" <<MASTER
127.0.0.1:$smtp inet n - n - - smtpd -o milter_macro_daemon_name=inbound
127.0.0.1:$sub inet n - n - - smtpd -o milter_macro_daemon_name=submission
MASTER
	[ -z "$dnsl" ] ||
		echo "127.0.0.1:$dnsl inet n - n - - smtpd -o milter_macro_daemon_name=dns" \
			>>"$POSTFIX_DIR/etc/master.cf"
	[ -z "$authl" ] ||
		echo "127.0.0.1:$authl inet n - n - - smtpd -o milter_macro_daemon_name=auth" \
			>>"$POSTFIX_DIR/etc/master.cf"
	postfix -c "$POSTFIX_DIR/etc" check >/dev/null 2>&1 || true
	postfix -c "$POSTFIX_DIR/etc" start >/dev/null 2>&1 ||
		{ cat "$POSTFIX_DIR/maillog" >&2 2>/dev/null; die "postfix did not start"; }
	wait_port 127.0.0.1 "$smtp" 15 || { cat "$POSTFIX_DIR/maillog" >&2; die "postfix not listening on $smtp"; }
	wait_port 127.0.0.1 "$sub" 15 || die "postfix not listening on $sub"
}

postfix_stop() {
	if [ -n "${POSTFIX_DIR:-}" ] && [ -f "$POSTFIX_DIR/queue/pid/master.pid" ]; then
		postfix -c "$POSTFIX_DIR/etc" stop >/dev/null 2>&1 || true
		local i
		for i in $(seq 1 50); do
			[ -f "$POSTFIX_DIR/queue/pid/master.pid" ] || break
			kill -0 "$(tr -d ' ' <"$POSTFIX_DIR/queue/pid/master.pid")" 2>/dev/null || break
			sleep 0.1
		done
	fi
}
