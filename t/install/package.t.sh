#!/bin/sh
# package.t.sh BUILD_DIR - doorman installed as a postmaster installs it
#
# Builds the Debian package (cpack -G DEB in BUILD_DIR's configuration),
# installs it with apt-get on a machine that has neither the doorman user nor
# /etc/doorman, starts the INSTALLED binary with the INSTALLED policy
# (in the foreground, as root: it drops to the doorman user; not through
# systemd, which does not run here) and drives it with miltertest, checks
# the unit with systemd-analyze verify, then removes and purges the
# package: a remove keeps only the conffiles (the edited one as edited),
# a purge leaves nothing.  `cmake --install` into a DESTDIR, twice, keeps
# an edited policy and writes the shipped one beside it as NAME.dist.
#
# The machine is not changed: after the package is built the script runs
# again in a private mount and network namespace (unshare -mn) in which
# /usr, /etc, /var and /run are overlays on a tmpfs, so other suites
# sharing /var/lib/doorman and the doorman user, and the next run, see
# nothing of it.  Needs root.  Output: TAP-like "ok"/"not ok" lines.
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
fails=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }
check() { # check NAME CMD...: CMD must succeed
	name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name"; fi
}
die() {
	echo "not ok - $*"
	exit 1
}

if [ -z "${DOORMAN_PKG_WORK:-}" ]; then
	[ "$(id -u)" = 0 ] || die "package: needs root (dpkg, unshare)"
	work=$(mktemp -d /tmp/doorman-package.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	# the package, built from the build directory as it is
	if ! cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.out" 2>&1; then
		cat "$work/cpack.out"
		die "cpack -G DEB"
	fi
	deb=$(ls "$work"/pkg/doorman_*.deb)
	ok "cpack -G DEB: $(basename "$deb")"
	check "package depends on the shared libraries' packages (shlibdeps)" \
		sh -c "dpkg-deb -f '$deb' Depends | grep -q 'libunbound8.*libsystemd0\|libsystemd0.*libunbound8'"

	# cmake --install never replaces an edited file of /etc/doorman
	DESTDIR="$work/root" cmake --install "$build" >"$work/install1.out" 2>&1 || die "cmake --install"
	echo "# edited" >>"$work/root/etc/doorman/doorman.conf"
	DESTDIR="$work/root" cmake --install "$build" >"$work/install2.out" 2>&1 || die "cmake --install (again)"
	check "cmake --install: binary in sbin" test -x "$work/root/usr/local/sbin/doorman"
	check "cmake --install: unit names that binary" \
		grep -q "^ExecStart=/usr/local/sbin/doorman -f" "$work/root/usr/local/lib/systemd/system/doorman.service"
	check "cmake --install: tmpfiles.d entry" test -f "$work/root/usr/local/lib/tmpfiles.d/doorman.conf"
	check "cmake --install: man pages" test -f "$work/root/usr/local/share/man/man5/doorman.conf.5"
	check "cmake --install again keeps the edited doorman.conf" grep -q "^# edited" "$work/root/etc/doorman/doorman.conf"
	check "cmake --install again writes the shipped one as doorman.conf.dist" \
		cmp -s "$top/policies/inbound-mx.conf" "$work/root/etc/doorman/doorman.conf.dist"

	DOORMAN_PKG_WORK=$work DOORMAN_PKG_DEB=$deb unshare -mn "$0" "$@" || fails=$((fails + 1))
	[ "$fails" -eq 0 ]
	exit
fi

# --- inside the namespaces ---------------------------------------------
work=$DOORMAN_PKG_WORK
deb=$DOORMAN_PKG_DEB
mount --make-rprivate /
ip link set lo up
mkdir -p "$work/ovl"
mount -t tmpfs tmpfs "$work/ovl"
for d in usr etc var run; do
	mkdir -p "$work/ovl/$d.up" "$work/ovl/$d.work"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$work/ovl/$d.up,workdir=$work/ovl/$d.work" "/$d" ||
		die "an overlay on /$d (needs overlayfs)"
done
# a machine doorman never ran on (install-deps.sh made the user; the
# other suites keep state in /var/lib/doorman)
# other suites' doorman processes run as that user: -f removes it anyway
userdel -f doorman >/dev/null 2>&1 || true
groupdel doorman >/dev/null 2>&1 || true
getent passwd doorman >/dev/null && die "userdel -f doorman (in the overlay)"
rm -rf /etc/doorman /var/lib/doorman /run/doorman
dpkg -P doorman >/dev/null 2>&1 || true
# man-db's trigger would rebuild the whole man index at each dpkg run (tens
# of seconds); in the overlay, without its flag file, it does nothing
rm -f /var/lib/man-db/auto-update

# as README says (apt-get install ./FILE.deb); every dependency is there,
# so nothing is downloaded
if DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" >"$work/apt.out" 2>&1 </dev/null; then
	ok "apt-get install ./$(basename "$deb")"
else
	cat "$work/apt.out"
	die "apt-get install ./$(basename "$deb")"
fi
check "installed" sh -c "dpkg-query -W -f '\${Status}' doorman | grep -qx 'install ok installed'"
dpkg -L doorman >"$work/files"
check "postinst made the doorman system user" sh -c "getent passwd doorman | grep -q ':/var/lib/doorman:/usr/sbin/nologin$'"
check "state directory owned by doorman, 0750" sh -c "stat -c '%U:%G %a' /var/lib/doorman | grep -qx 'doorman:doorman 750'"
check "/run/doorman (tmpfiles.d) owned by doorman, the socket group, 0750" \
	sh -c "stat -c '%U:%G %a' /run/doorman | grep -qx 'doorman:doorman 750'"
check "secrets readable by the doorman group only" sh -c "stat -c '%U:%G %a' /etc/doorman/srs.secrets | grep -qx 'root:doorman 640'"
for f in batv.keys srs.secrets; do
	# the shipped example's key line is gone and a fresh 64-hex-digit one is there
	ex=$(grep -v '^#' "$top/policies/$f" | grep .)
	check "postinst wrote a fresh secret over the example in $f" sh -c \
		"! grep -qxF '$ex' /etc/doorman/$f && ! grep -q '^# EXAMPLE' /etc/doorman/$f && grep -qxE '[0-9a-f]{64}' /etc/doorman/$f && stat -c '%U:%G %a' /etc/doorman/$f | grep -qx 'root:doorman 640'"
done
check "binary in /usr/sbin" test -x /usr/sbin/doorman
check "man pages" test -f /usr/share/man/man8/doorman.8
check "conffiles" sh -c "dpkg-query -W -f '\${Conffiles}' doorman | grep -q '/etc/doorman/doorman.conf '"

# the unit as systemd reads it (systemd need not run for this)
if systemd-analyze verify /usr/lib/systemd/system/doorman.service >"$work/verify.out" 2>&1 &&
	! grep -q . "$work/verify.out"; then
	ok "systemd-analyze verify doorman.service: no error, no warning"
else
	cat "$work/verify.out"
	not_ok "systemd-analyze verify doorman.service"
fi
unit=/usr/lib/systemd/system/doorman.service
for line in Type=notify User=doorman "ExecStart=/usr/sbin/doorman -f -c /etc/doorman/doorman.conf" \
	RuntimeDirectory=doorman StateDirectory=doorman ProtectSystem=strict CapabilityBoundingSet= \
	NoNewPrivileges=yes "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" SystemCallFilter=@system-service; do
	check "unit: $line" grep -qx "$line" "$unit"
done

check "doorman -n on the installed policy" /usr/sbin/doorman -n -c /etc/doorman/doorman.conf

# the installed binary, installed policy, in the foreground; NOTIFY_SOCKET
# as systemd sets it: READY=1 once the socket listens (sent after the drop
# to the doorman user, which may write the socket, as systemd's)
chmod 0711 "$work"
"$here/notify-listen.py" "$work/notify" >"$work/notify.out" 2>&1 &
npy=$!
for _ in $(seq 1 50); do [ -S "$work/notify" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$work/notify /usr/sbin/doorman -f -c /etc/doorman/doorman.conf 2>"$work/doorman.log" &
pid=$!
trap 'kill "$pid" "$npy" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$work/doorman.log" && break; sleep 0.1; done
check "installed doorman started: listening on inet:8891@127.0.0.1" grep -q "listening on inet:8891@127.0.0.1" "$work/doorman.log"
check "it runs as the doorman user" sh -c "ps -o user= -p $pid | grep -qx doorman"
check "no example-key warning: the installed keys are its own" sh -c "! grep -q 'example shipped with doorman' '$work/doorman.log'"
check "pid file /run/doorman/doorman.pid" sh -c "grep -qx $pid /run/doorman/doorman.pid"
check "sd_notify READY=1 after the socket listens" grep -q "^READY=1" "$work/notify.out"
if (cd "$top/t/miltertest" && DOORMAN_SOCKET="inet:8891@127.0.0.1" DOORMAN_WORK=$work \
	timeout 60 miltertest -s "$here/package.lua") >"$work/miltertest.out" 2>&1; then
	ok "miltertest against the installed doorman"
else
	cat "$work/miltertest.out"
	not_ok "miltertest against the installed doorman"
fi
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
check "stops on SIGTERM with status 0" test "$rc" = 0
wait "$npy" || true
check "sd_notify STOPPING=1" grep -q "^STOPPING=1" "$work/notify.out"
check "pid file removed at stop" test ! -e /run/doorman/doorman.pid
if [ "$fails" -gt 0 ]; then
	cat "$work/doorman.log" "$work/notify.out"
fi

# an edited conffile survives a reinstall and a remove; a purge removes all
echo "# edited by the postmaster" >>/etc/doorman/doorman.conf
check "dpkg -i again (reinstall)" dpkg -i --force-confold "$deb"
check "reinstall keeps the edited doorman.conf" grep -q "^# edited by the postmaster" /etc/doorman/doorman.conf
check "dpkg -r" dpkg -r doorman
check "removed: config-files left" sh -c "dpkg-query -W -f '\${Status}' doorman | grep -qx 'deinstall ok config-files'"
left=""
while read -r f; do
	[ -d "$f" ] && continue
	case $f in /etc/doorman/*) continue ;; esac
	[ -e "$f" ] && left="$left $f"
done <"$work/files"
check "remove: no file of the package left but /etc/doorman's${left:+ (left:$left)}" test -z "$left"
check "remove keeps the edited doorman.conf" grep -q "^# edited by the postmaster" /etc/doorman/doorman.conf
check "dpkg -P" dpkg -P doorman
check "purged: unknown to dpkg" sh -c "! dpkg-query -W -f '\${Status}' doorman 2>/dev/null | grep -q ."
check "purge: /etc/doorman gone" test ! -e /etc/doorman
check "purge: /var/lib/doorman gone" test ! -e /var/lib/doorman
check "purge: /run/doorman gone" test ! -e /run/doorman
left=""
while read -r f; do
	[ -d "$f" ] && continue
	[ -e "$f" ] && left="$left $f"
done <"$work/files"
check "purge: no file of the package left${left:+ (left:$left)}" test -z "$left"
[ "$fails" -eq 0 ]
