#!/bin/bash
# systemd: radlb.service passes systemd-analyze verify, its exposure
# (systemd-analyze security) stays at "OK" or better; the sysusers.d and
# tmpfiles.d entries create the radlb user and its spool; and radlb speaks
# sd_notify(3) as Type=notify wants: READY=1 once it serves, RELOADING=1
# then READY=1 around a reload (SIGHUP or radlbctl reload, taken or
# refused), WATCHDOG=1 from its loop at half $WATCHDOG_USEC, STOPPING=1.
set -u
. "$(dirname "$0")/rlb.sh"

UNIT_IN=$TOP_SRCDIR/conf/systemd/radlb.service.in
BIN=$(cd "$(dirname "$RADLB")" && pwd)
CTLBIN=$(cd "$(dirname "$RADLBCTL")" && pwd)

# ------------------------------------------------------------ the unit
mkdir -p "$T_DIR/unit"
sed -e "s|@sbindir@|$BIN|g" -e "s|@bindir@|$CTLBIN|g" -e "s|@sysconfdir@|/etc|g" "$UNIT_IN" \
	>"$T_DIR/unit/radlb.service"
out=$(systemd-analyze verify --man=no "$T_DIR/unit/radlb.service" 2>&1)
rc=$?
mine=$(printf '%s\n' "$out" | grep 'radlb\.service' || true)
t_assert_eq "0:" "$rc:$mine" "systemd-analyze verify accepts radlb.service"
sec=$(systemd-analyze security --offline=true "$T_DIR/unit/radlb.service" 2>&1)
level=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for radlb.service: \([0-9.]*\).*/\1/p')
[ -n "$level" ] || t_fail "no exposure level in systemd-analyze security's output: $sec"
awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' ||
	t_fail "exposure level $level: over 2.0 (systemd's OK); what is exposed: $(printf '%s\n' "$sec" | grep '✗')"
t_pass "systemd-analyze security: exposure $level (OK: at most 2.0)"
for k in Type=notify WatchdogSec= User=radlb ExecStartPre= ExecReload= NoNewPrivileges=yes \
	ProtectSystem=strict PrivateTmp=yes RestrictAddressFamilies= SystemCallFilter=@system-service \
	AmbientCapabilities=CAP_NET_BIND_SERVICE LimitNOFILE= RuntimeDirectory= StateDirectory=; do
	grep -q "^$k" "$UNIT_IN" || t_fail "radlb.service has no $k"
done
t_pass "it has Type=notify, the watchdog, User=radlb and the hardening"

mkdir -p "$T_DIR/root/etc"
cp /etc/passwd /etc/group "$T_DIR/root/etc/"
systemd-sysusers --root="$T_DIR/root" "$TOP_SRCDIR/conf/systemd/radlb.sysusers" >/dev/null 2>&1 ||
	t_fail "systemd-sysusers refuses radlb.sysusers"
t_assert_match '^radlb:x:[0-9]+:[0-9]+:.*:/usr/sbin/nologin$' "$(grep '^radlb:' "$T_DIR/root/etc/passwd")" \
	"sysusers.d creates the radlb user, without a login shell"
systemd-tmpfiles --root="$T_DIR/root" --create "$TOP_SRCDIR/conf/systemd/radlb.tmpfiles" ||
	t_fail "systemd-tmpfiles refuses radlb.tmpfiles"
uid=$(awk -F: '$1 == "radlb" { print $3 }' "$T_DIR/root/etc/passwd")
t_assert_eq "700 $uid" "$(stat -c '%a %u' "$T_DIR/root/var/spool/radlb")" \
	"tmpfiles.d creates the spool directory, the radlb user's alone"

# ------------------------------------------------------------ sd_notify
python3 "$TOP_SRCDIR/tests/tools/rlb-notify.py" "$T_DIR/notify.sock" "$T_DIR/notify.log" &
t_register_daemon notify $! "$T_DIR/notify.log"
t_wait_until 10 grep -q listening "$T_DIR/notify.log" 2>/dev/null || t_fail "the notify socket is not up"
count() { grep -c -- "$1" "$T_DIR/notify.log"; }
rlb_farm 2
rlb_config
RLB_WRAPPER="env NOTIFY_SOCKET=$T_DIR/notify.sock WATCHDOG_USEC=400000" rlb_start
t_wait_until 10 grep -q '^READY=1' "$T_DIR/notify.log" || t_fail "no READY=1"
t_assert_contains "READY=1 | STATUS=serving 1 clients with 2 servers" "$(cat "$T_DIR/notify.log")" \
	"READY=1 with a status line, once radlb serves"
t_assert_match 'Received Access-Accept' "$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')" \
	"and it does serve"
t_wait_until 20 sh -c "[ \$(grep -c '^WATCHDOG=1' '$T_DIR/notify.log') -ge 5 ]" ||
	t_fail "fewer than 5 WATCHDOG=1 in 20 s with WATCHDOG_USEC=400000"
t_pass "WATCHDOG=1 from the event loop ($(count '^WATCHDOG=1') so far)"

ready_after_reload() {
	awk '/^RELOADING=1/ { r = NR } /^READY=1/ && r && NR > r { ok = 1 } END { exit !ok }' "$T_DIR/notify.log"
}
kill -HUP "$RLB_PID"
t_wait_until 10 ready_after_reload || t_fail "no RELOADING=1 then READY=1 after SIGHUP"
t_assert_match 'RELOADING=1 \| MONOTONIC_USEC=[0-9]+' "$(grep '^RELOADING' "$T_DIR/notify.log")" \
	"SIGHUP: RELOADING=1 with MONOTONIC_USEC"
t_assert_contains "(reloaded)" "$(grep '^READY=1' "$T_DIR/notify.log" | tail -1)" "then READY=1: reloaded"
: >"$T_DIR/notify.log"
echo 'this is not a configuration' >>"$T_DIR/radlb.conf"
rlb_ctl reload >/dev/null 2>&1
t_wait_until 10 ready_after_reload || t_fail "no RELOADING=1 then READY=1 after a refused reload"
t_assert_contains "reload refused" "$(grep '^READY=1' "$T_DIR/notify.log" | tail -1)" \
	"a refused reload (radlbctl reload): READY=1 again, saying the previous configuration runs"
rlb_stop
t_assert_contains "STOPPING=1" "$(cat "$T_DIR/notify.log")" "SIGTERM: STOPPING=1"
