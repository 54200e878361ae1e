# sendmail.sh - a private Sendmail 8.17 on loopback for tests (sourced)
#
# Installing Debian's sendmail packages would remove postfix (both are the
# system MTA), so the three packages are downloaded from the archive and
# unpacked into a cache directory; only the libraries the binary needs are
# installed.  The daemon runs in private UTS and mount namespaces: its host
# name is qualified there (an unqualified one costs a 60 s sleep at every
# start), and the test's sasldb is bind-mounted over /etc/sasldb2, the path
# Cyrus SASL reads for Sendmail, so no file of the machine is changed.

SENDMAIL_CACHE=/var/cache/doorman-test

deps_sendmail() {
	local pkgs="m4 libwrap0 liblockfile1 sasl2-bin libsasl2-modules" p missing=""
	for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
	if [ -n "$missing" ]; then
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
	fi
	local ver
	ver=$(dpkg-query -W -f '${Version}' libmilter1.0.1 2>/dev/null || true)
	[ -n "$ver" ] || ver=$(apt-cache policy sendmail-bin | awk '/Candidate:/ { print $2 }')
	SENDMAIL_ROOT=$SENDMAIL_CACHE/sendmail-$ver
	if [ ! -x "$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" ]; then
		local dl
		dl=$(mktemp -d)
		(cd "$dl" && chown _apt "$dl" 2>/dev/null;
		 apt-get download -qq "sendmail-bin=$ver" "sendmail-base=$ver" "sendmail-cf=$ver" 2>/dev/null ||
			apt-get download -qq sendmail-bin sendmail-base sendmail-cf) ||
			die "cannot download the sendmail packages"
		mkdir -p "$SENDMAIL_ROOT"
		for p in "$dl"/*.deb; do dpkg -x "$p" "$SENDMAIL_ROOT"; done
		rm -rf "$dl"
		# LD_PRELOAD-free, but a setgid binary also ignores our environment
		chmod g-s "$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail"
	fi
	[ -f /etc/sasldb2 ] || die "/etc/sasldb2 missing (sasl2-bin creates it): the mount point for the test sasldb"
}

# sendmail_start WORKDIR SMTP_PORT SUB_PORT MILTER_PORT SINK_PORT TEMPLATE AUTH_PORT [DNS_PORT]
# (DNS_PORT: a fourth listener, named "dns"; without it, the template's
# line that names @DNSL_PORT@ is left out)
sendmail_start() {
	local w=$1/sendmail smtp=$2 sub=$3 milter=$4 sink=$5 tmpl=$6 authp=$7 dnsl=${8:-} i
	SENDMAIL_DIR=$w
	rm -rf "$w"
	mkdir -p "$w/queue"
	chmod 700 "$w/queue"
	echo "hosts files" >"$w/service.switch"
	echo "postmaster: root" >"$w/aliases"
	: >"$w/local-host-names"
	: >"$w/statistics"
	sed -e "s|@W@|$w|g" -e "s|@SMTP_PORT@|$smtp|g" -e "s|@SUB_PORT@|$sub|g" \
		-e "s|@MILTER_PORT@|$milter|g" -e "s|@SINK_PORT@|$sink|g" -e "s|@AUTH_PORT@|$authp|g" \
		-e "$([ -n "$dnsl" ] && echo "s|@DNSL_PORT@|$dnsl|g" || echo '/@DNSL_PORT@/d')" \
		"$tmpl" >"$w/sendmail.mc"
	m4 -D_CF_DIR_="$SENDMAIL_ROOT/usr/share/sendmail/cf/" \
		"$SENDMAIL_ROOT/usr/share/sendmail/cf/m4/cf.m4" "$w/sendmail.mc" >"$w/sendmail.cf" 2>"$w/m4.err" ||
		{ cat "$w/m4.err" >&2; die "m4 failed on sendmail.mc"; }
	cp "$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" "$w/sendmail"
	# even newaliases looks up the host name: in the namespace too
	unshare -u sh -c "hostname mx.doorman.test && exec '$w/sendmail' -C '$w/sendmail.cf' -bi" \
		>/dev/null 2>&1 || die "sendmail -bi failed"
	# alice / secret, in the realm of the host name
	echo secret | saslpasswd2 -p -f "$w/sasldb2" -c -u mx.doorman.test alice
	chgrp sasl "$w/sasldb2" 2>/dev/null || true
	unshare -um sh -c "mount --bind '$w/sasldb2' /etc/sasldb2 && hostname mx.doorman.test &&
		exec '$w/sendmail' -C '$w/sendmail.cf' -bD -O LogLevel=14" >"$w/sendmail.out" 2>&1 &
	SENDMAIL_PID=$!
	wait_port 127.0.0.1 "$smtp" 15 || { cat "$w/sendmail.out" >&2; die "sendmail not listening on $smtp"; }
	wait_port 127.0.0.1 "$sub" 15 || die "sendmail not listening on $sub"
}

sendmail_stop() {
	stop_bg "${SENDMAIL_PID:-}"
	SENDMAIL_PID=
}
