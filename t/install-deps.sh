#!/bin/sh
# install-deps.sh - install what doorman needs to build, run and be tested,
# from Debian's archive, on a fresh Debian 12 machine (as root).  Safe to
# run again: it installs only what is missing.
set -eu

build_pkgs="build-essential cmake pkg-config libmilter-dev libconfig-dev libcmocka-dev libunbound-dev libldns-dev
	libspf2-dev libopendkim-dev libopendmarc-dev libpsl-dev libssl-dev publicsuffix
	libpcre2-dev liblmdb-dev libhiredis-dev libmicrohttpd-dev zlib1g-dev libsystemd-dev file"
# t/fuzz (libFuzzer targets, t/fuzz/run.sh): clang and its runtime
# libraries (libclang_rt.fuzzer, ASan, UBSan), Debian 12's clang 14
fuzz_pkgs="clang libclang-rt-14-dev"
# miltertest drives the milter protocol; postfix (smtp-sink, smtp-source) and
# swaks drive real MTAs; m4 libwrap0 liblockfile1 are what the private
# Sendmail of the tests needs (it is unpacked, not installed: installing it
# would remove postfix); groff-base renders and lints the man pages.
# python3-dkim signs the test messages, python3-authres parses the headers
# doorman writes (both independent of doorman's libraries); python3-spf
# (pyspf, on python3-dnspython) is the independent SPF implementation the
# conformance suite (t/conformance) compares doorman with.  dovecot-lmtpd is
# the real callout backend of t/mta/recipients.t.sh (run privately, its
# service stays stopped).  redis-server is the shared state store of the
# store tests, started privately on a unix socket without persistence (its
# system service is not used).  curl scrapes doorman's metrics endpoint and
# prometheus provides promtool, which checks the scrape (t/miltertest/metrics.sh;
# the prometheus service is not used).  systemd provides systemd-analyze,
# which checks the unit of dist/ (t/install/package.t.sh; systemd need not
# run), adduser the package's postinst needs; file and dpkg-dev (above:
# build-essential) are what cpack -G DEB needs for the package's Depends.
test_pkgs="systemd adduser curl prometheus redis-server dovecot-core dovecot-lmtpd python3 python3-dkim python3-authres python3-spf nsd ldnsutils miltertest swaks postfix m4 libwrap0 liblockfile1 sasl2-bin libsasl2-modules groff-base procps iproute2 util-linux libxml2-utils"

missing=""
for p in $build_pkgs $fuzz_pkgs $test_pkgs; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: need root to install:$missing" >&2
		exit 1
	fi
	# installing postfix must not ask questions nor configure a system MTA
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# the shipped policies run doorman as this unprivileged user
if ! getent passwd doorman >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		useradd --system --user-group --home-dir /nonexistent --no-create-home \
			--shell /usr/sbin/nologin doorman
	else
		echo "install-deps: user doorman missing (run as root to create it)" >&2
	fi
fi
# the shipped inbound policy keeps its state (greylisting) here, as that user
if [ "$(id -u)" = 0 ] && [ ! -d /var/lib/doorman ]; then
	install -d -o doorman -g doorman -m 0750 /var/lib/doorman
fi
