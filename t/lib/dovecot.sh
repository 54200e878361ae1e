# dovecot.sh - a private Dovecot LMTP server on loopback for callout tests (sourced)
#
# Only LMTP, on 127.0.0.1:PORT, with a passwd-file user database; every
# file (config, base_dir, state, log, mail) in the work directory.  The
# Debian package creates the dovecot and dovenull users it runs as; its
# own service stays stopped.

deps_dovecot() {
	dpkg -s dovecot-lmtpd >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			dovecot-core dovecot-lmtpd >/dev/null
}

# dovecot_start WORKDIR PORT USER... - users as user@domain
dovecot_start() {
	local w=$1/dovecot port=$2 u
	shift 2
	mkdir -p "$w"
	chmod 755 "$w"
	: >"$w/users"
	for u in "$@"; do echo "$u:{PLAIN}unused::::::" >>"$w/users"; done
	chmod 644 "$w/users"
	cat >"$w/dovecot.conf" <<CONF
base_dir = $w/run
state_dir = $w/state
log_path = $w/dovecot.log
protocols = lmtp
listen = 127.0.0.1
ssl = no
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:$w/mail/%d/%n
passdb {
  driver = passwd-file
  args = username_format=%u $w/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $w/users
  default_fields = uid=65534 gid=65534 home=$w/mail/%d/%n
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $port
  }
  unix_listener lmtp {
    mode = 0600
  }
}
CONF
	dovecot -c "$w/dovecot.conf" -F >"$w/dovecot.out" 2>&1 &
	DOVECOT_PID=$!
	wait_port 127.0.0.1 "$port" 15 || { cat "$w/dovecot.out" "$w/dovecot.log" >&2; die "dovecot not listening on $port"; }
}

dovecot_stop() {
	stop_bg "${DOVECOT_PID:-}"
	DOVECOT_PID=
}
