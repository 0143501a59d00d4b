#!/bin/bash
# tests/package/t-deb.sh: radlb's Debian package, as an admin meets it.
#
# Builds the package (scripts/build-deb), checks it with lintian (no error
# or warning beyond debian/radlb.lintian-overrides), installs it with apt in
# a fresh Debian 12 root made by debootstrap, and there checks the radlb
# user, the conffile and its 0640 root:radlb mode, the spool, that radlb -C
# refuses the placeholder secrets, and that radlb, started as the radlb
# user the way radlb.service starts it, answers a login through a
# FreeRADIUS server; then purges the package and checks nothing is left.
# radlb and its MFA server run in a network namespace of their own.
#
# Needs root, debootstrap, lintian, debhelper and the package registry
# (deb.debian.org, or DEB_MIRROR). scripts/quickstart check runs it.
# Environment: DEB_MIRROR (default http://deb.debian.org/debian),
# DEB_ROOT_CACHE (a tarball of the debootstrap root: made once, reused),
# KEEP=1 keeps the work directory.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MIRROR=${DEB_MIRROR:-http://deb.debian.org/debian}
WORK=$(mktemp -d /tmp/radlb-deb.XXXXXX)
ROOT=$WORK/root
NS=rlbdeb$$
SECRET=deb-test-client-secret-0123
SSECRET=deb-test-server-secret-0123
n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
}
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
# Mode, owner and group of a path in the root, named by the root's own
# passwd and group files.
mode_is() { [ "$(in_root stat -c '%a %U %G' "$1" 2>/dev/null)" = "$2" ]; }

cleanup() {
	local pid
	if [ -f "$WORK/radlb.pid" ]; then
		pid=$(cat "$WORK/radlb.pid")
		kill "$pid" 2>/dev/null
	fi
	"$TOP/tests/mfa/mfa-server.sh" stop --dir "$WORK/mfa1" >/dev/null 2>&1
	ip netns del "$NS" 2>/dev/null
	for m in proc dev/pts dev; do
		mountpoint -q "$ROOT/$m" 2>/dev/null && umount -l "$ROOT/$m"
	done
	if [ "$failed" -ne 0 ] || [ "$n" -eq 0 ]; then
		for f in "$WORK"/*.log "$WORK"/mfa1/radiusd.log; do
			[ -f "$f" ] || continue
			echo "======== $f"
			tail -n 60 "$f"
		done
	fi
	if [ "${KEEP:-}" = 1 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "not ok 1 - t-deb needs root (debootstrap, chroot, ip netns)"; exit 1; }
for tool in debootstrap lintian dpkg-buildpackage dh; do
	command -v "$tool" >/dev/null || { echo "not ok 1 - $tool is missing (scripts/quickstart deps installs it)"; exit 1; }
done

# ------------------------------------------------------------ build, lint
echo "# building the package"
deb=$("$TOP/scripts/build-deb" "$WORK/build") || { not_ok "scripts/build-deb"; exit 1; }
ok "dpkg-buildpackage -us -uc -b built $(basename "$deb")"
if lintian --fail-on error,warning "$WORK"/build/radlb_*.changes >"$WORK/lintian.log" 2>&1; then
	ok "lintian: no error or warning beyond the justified overrides"
else
	not_ok "lintian"
	cat "$WORK/lintian.log"
fi
check "the package names libfreeradius3 (no shlibs file for it)" \
	sh -c "dpkg-deb -f '$deb' Depends | grep -q 'libfreeradius3 (>= 3.2'"

# ------------------------------------------------------- a Debian 12 root
if [ -n "${DEB_ROOT_CACHE:-}" ] && [ -f "$DEB_ROOT_CACHE" ]; then
	echo "# the Debian 12 root from $DEB_ROOT_CACHE"
	mkdir -p "$ROOT" && tar -C "$ROOT" -xf "$DEB_ROOT_CACHE"
else
	echo "# debootstrap --variant=minbase bookworm from $MIRROR"
	if ! debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
		not_ok "debootstrap bookworm"
		exit 1
	fi
	[ -n "${DEB_ROOT_CACHE:-}" ] && tar -C "$ROOT" -cf "$DEB_ROOT_CACHE" .
fi
ok "a fresh Debian 12 root"
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null
# No service starts in the root (there is no systemd running it anyway).
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod +x "$ROOT/usr/sbin/policy-rc.d"
cp "$deb" "$ROOT/tmp/"

echo "# apt-get install ./$(basename "$deb")"
if in_root sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/$(basename "$deb")" \
	>"$WORK/install.log" 2>&1; then
	ok "apt-get installs the package and its dependencies"
else
	not_ok "apt-get install"
	exit 1
fi

# ------------------------------------------------------- what it installed
user_line=$(in_root getent passwd radlb)
uid=$(echo "$user_line" | cut -d: -f3)
check "the radlb system user exists (uid $uid, no login shell)" \
	sh -c "[ -n '$uid' ] && [ '$uid' -lt 1000 ] && echo '$user_line' | grep -q ':/usr/sbin/nologin\$\|:/bin/false\$'"
check "the radlb group exists" in_root getent group radlb
check "/etc/radlb/radlb.conf is 0640 root:radlb" mode_is /etc/radlb/radlb.conf '640 root radlb'
check "/etc/radlb/radlb.conf is a conffile" \
	sh -c "chroot '$ROOT' dpkg-query -W -f='\${Conffiles}' radlb | grep -q '/etc/radlb/radlb.conf '"
check "/var/spool/radlb is the radlb user's, 0700 (tmpfiles.d)" mode_is /var/spool/radlb '700 radlb radlb'
check "radlb.service is installed and enabled" \
	sh -c "[ -f '$ROOT/lib/systemd/system/radlb.service' ] && [ -L '$ROOT/etc/systemd/system/multi-user.target.wants/radlb.service' ]"
if in_root systemd-analyze verify --man=no /lib/systemd/system/radlb.service >"$WORK/verify.log" 2>&1; then
	ok "systemd-analyze verify radlb.service (in the root)"
else
	not_ok "systemd-analyze verify radlb.service"
	cat "$WORK/verify.log"
fi
check "the demo configuration is kept apart in the examples" \
	test -f "$ROOT/usr/share/doc/radlb/examples/radlb-demo.conf"
check "man radlb, radlb.conf and radlbctl are installed" \
	sh -c "ls '$ROOT'/usr/share/man/man8/radlb.8.gz '$ROOT'/usr/share/man/man5/radlb.conf.5.gz '$ROOT'/usr/share/man/man8/radlbctl.8.gz >/dev/null"

# The shipped file: refused, with file, line and what to do.
out=$(in_root /usr/sbin/radlb -C -f /etc/radlb/radlb.conf 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && echo "$out" | grep -q '^/etc/radlb/radlb.conf:[0-9]*: key "secret": the secret of client "vpn" is still the placeholder "CHANGE-ME"' &&
	[ "$(echo "$out" | grep -c 'placeholder')" -eq 3 ]; then
	ok "radlb -C refuses the shipped configuration until its 3 placeholder secrets are set"
else
	not_ok "radlb -C on the shipped configuration (rc $rc)"
	echo "$out"
fi
echo "$out" >"$WORK/check-shipped.log"

# ------------------------------------------- run it as radlb.service does
# The admin sets the secrets and the servers; one MFA server (FreeRADIUS)
# in radlb's network namespace stands for the farm.
ip netns add "$NS" || { not_ok "ip netns add"; exit 1; }
ip netns exec "$NS" ip link set lo up
if ! ip netns exec "$NS" "$TOP/tests/mfa/mfa-server.sh" start --name mfa1 --dir "$WORK/mfa1" \
	--auth-port 11812 --acct-port 11813 --secret "$SSECRET" >"$WORK/mfa1.log" 2>&1; then
	not_ok "an MFA server in the namespace"
	exit 1
fi
sed -i -e "s/network = \"192.0.2.0\/24\"; secret = \"CHANGE-ME\"/network = \"127.0.0.0\/8\"; secret = \"$SECRET\"/" \
	-e "s/address = \"192.0.2.11\"; auth_port = 1812; acct_port = 1813;/address = \"127.0.0.1\"; auth_port = 11812; acct_port = 11813;/" \
	-e "s/secret = \"CHANGE-ME\"; role = \"master\"/secret = \"$SSECRET\"; role = \"master\"/" \
	-e "s/secret = \"CHANGE-ME\"; role = \"subordinate\"/secret = \"$SSECRET\"; role = \"subordinate\"/" \
	"$ROOT/etc/radlb/radlb.conf"
check "radlb -C accepts the file once the secrets are set" \
	in_root /usr/sbin/radlb -C -f /etc/radlb/radlb.conf
# What systemd makes for the unit: RuntimeDirectory= and StateDirectory=.
in_root install -d -o radlb -g radlb -m 0750 /run/radlb /var/lib/radlb
ip netns exec "$NS" chroot --userspec=radlb:radlb "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin \
	/usr/sbin/radlb -f /etc/radlb/radlb.conf >"$WORK/radlb.log" 2>&1 &
echo $! >"$WORK/radlb.pid"
pid=$(cat "$WORK/radlb.pid")
for _ in $(seq 300); do
	[ -S "$ROOT/run/radlb/radlb.sock" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
check "radlb runs as the radlb user" \
	sh -c "[ \"\$(awk '/^Uid:/ {print \$2}' /proc/$pid/status)\" = '$uid' ]"
check "its control socket is the radlb group's, not world-writable" mode_is /run/radlb/radlb.sock '660 radlb radlb'
up=no
for _ in $(seq 300); do
	if chroot --userspec=radlb:radlb "$ROOT" /usr/bin/radlbctl show servers 2>/dev/null | grep -q 'mfa1.*up'; then
		up=yes
		break
	fi
	sleep 0.1
done
check "radlbctl (as the radlb group) shows mfa1 up" test "$up" = yes
reply=$(printf 'User-Name = "plain", User-Password = "plain-pw", Message-Authenticator = 0x00\n' |
	ip netns exec "$NS" radclient -D /usr/share/freeradius -x -t 5 -r 2 127.0.0.1:1812 auth "$SECRET" 2>&1)
if echo "$reply" | grep -q 'Received Access-Accept'; then
	ok "a login through the packaged radlb is accepted by the MFA server"
else
	not_ok "a login through the packaged radlb"
	echo "$reply"
fi
if grep -q "$SECRET\|$SSECRET" "$WORK/radlb.log"; then
	not_ok "the shared secrets stay out of radlb's log"
else
	ok "the shared secrets stay out of radlb's log"
fi
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
	not_ok "radlb stops on SIGTERM"
else
	ok "radlb stops on SIGTERM"
	rm -f "$WORK/radlb.pid"
fi

# ------------------------------------------------------------------ purge
if in_root sh -c "DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq radlb" >"$WORK/purge.log" 2>&1; then
	ok "apt-get purge radlb"
else
	not_ok "apt-get purge radlb"
fi
check "purge leaves no package record" \
	sh -c "! chroot '$ROOT' dpkg-query -W -f='\${Status}' radlb 2>/dev/null | grep -q ."
left=$(cd "$ROOT" && ls -d etc/radlb var/lib/radlb var/spool/radlb run/radlb lib/systemd/system/radlb.service \
	etc/systemd/system/multi-user.target.wants/radlb.service usr/sbin/radlb 2>/dev/null)
if [ -z "$left" ]; then
	ok "purge removes the configuration, state, spool, unit and binaries"
else
	not_ok "purge left: $left"
fi
# The radlb user stays, as Debian keeps every system user (postrm says so).
check "the radlb system user stays after purge (Debian's rule)" sh -c "chroot '$ROOT' getent passwd radlb >/dev/null"

echo "1..$n"
[ "$failed" -eq 0 ]
