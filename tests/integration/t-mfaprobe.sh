#!/bin/bash
# The synthetic MFA login (issue 15, item 3): with mfa_probe set, radlb logs
# in through each server as a test account: password, Access-Challenge with
# State, then the TOTP code radlb computes (RFC 6238), which mfa1 checks
# with rlm_totp against the same secret. mfa2 answers Status-Server but
# holds another TOTP secret: its login fails, it is flagged "MFA path
# failing" (log line, metric, JSON) and still takes logins; restarted with
# the right secret, the flag goes off (logged). The password
# and the secret never appear in radlb's log or in radlbctl show config.
set -u
. "$(dirname "$0")/rlb.sh"

for tool in curl jq; do
	command -v "$tool" >/dev/null || t_fail "$tool is needed"
done

SECRET=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ      # radlb's and mfa1's
OTHER=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP       # mfa2's: every code radlb sends is wrong there
PASSWORD=probe-pw                             # what tests/mfa's site wants for radlb-probe-mfa

i=0
for s in "$SECRET" "$OTHER"; do
	i=$((i + 1))
	auth=$(t_free_port udp) && acct=$(t_free_port udp) || t_fail "no free port"
	"$MFA" start --name "mfa$i" --dir "$T_DIR/mfa$i" --auth-port "$auth" --acct-port "$acct" \
		--secret "$(server_secret "mfa$i")" --totp-secret "$s" >/dev/null ||
		t_fail "MFA server mfa$i did not start"
	t_register_daemon "mfa$i" "$(cat "$T_DIR/mfa$i/pid")" "$T_DIR/mfa$i/radiusd.log"
	printf -v "MFA${i}_AUTH" %s "$auth"
	printf -v "MFA${i}_ACCT" %s "$acct"
done
RLB_NSERVERS=2

umask 077
printf '%s\n' "$PASSWORD" >"$T_DIR/probe-password"
printf '%s\n' "$SECRET" >"$T_DIR/probe-totp"
RLB_EXTRA="health = { interval = 1.0; timeout = 0.5; };
mfa_probe = { user = \"radlb-probe-mfa\"; password_file = \"$T_DIR/probe-password\";
  totp_secret_file = \"$T_DIR/probe-totp\"; interval = 10.0; timeout = 5.0; };"
rlb_config
rlb_start

# The first logins go within 10 s of the start (spread); 30 s at most.
runs() { rlb_stat "server.$1.mfa_probe_runs"; }
t_wait_until 30 eval '[ "$(runs mfa1)" -ge 1 ] && [ "$(runs mfa2)" -ge 1 ]' ||
	t_fail "no MFA probe login finished on both servers (mfa1: $(runs mfa1), mfa2: $(runs mfa2))"
t_pass "each server had a synthetic MFA login"

# ------------------------------------------------------------ mfa1 passes
t_assert_eq 1 "$(rlb_stat server.mfa1.mfa_probe_ok)" "mfa1: mfa_probe_ok is 1"
t_assert_eq 0 "$(rlb_stat server.mfa1.mfa_probe_failures)" "mfa1: no failure"
t_assert_eq 0 "$(rlb_stat server.mfa1.mfa_path_failing)" "mfa1: not flagged"
legs=$(grep -c ' user=radlb-probe-mfa$' "$T_DIR/mfa1/requests.log")
[ "$legs" -ge 2 ] || t_fail "mfa1 saw $legs requests of the probe user, not both legs"
t_pass "mfa1 saw both legs (its code accepted by rlm_totp)"

json=$(rlb_ctl --json show servers) || t_fail "show servers --json failed"
m1=$(printf '%s' "$json" | jq -c '.servers[] | select(.name == "mfa1") | .mfa_probe')
t_assert_eq '"ok"' "$(printf '%s' "$m1" | jq .result)" "show servers --json: mfa1's mfa_probe.result"
t_assert_eq '"passed"' "$(printf '%s' "$m1" | jq .last)" "and its last login passed"
t_assert_eq false "$(printf '%s' "$m1" | jq .mfa_path_failing)" "mfa1 is not failing"
t_assert_match '^[0-9.e-]+$' "$(printf '%s' "$m1" | jq .seconds)" "with its duration"

# ------------------------------------------------------------ mfa2 fails
t_assert_eq 0 "$(rlb_stat server.mfa2.mfa_probe_ok)" "mfa2: mfa_probe_ok is 0"
t_assert_eq 1 "$(rlb_stat server.mfa2.mfa_path_failing)" "mfa2: MFA path failing"
t_assert_eq up "$(printf '%s' "$json" | jq -r '.servers[] | select(.name == "mfa2") | .state')" \
	"mfa2 stays up (it answers Status-Server)"
m2=$(printf '%s' "$json" | jq -c '.servers[] | select(.name == "mfa2") | .mfa_probe')
t_assert_eq '"failed"' "$(printf '%s' "$m2" | jq .result)" "show servers --json: mfa2's result"
t_assert_eq true "$(printf '%s' "$m2" | jq .mfa_path_failing)" "mfa2's mfa_path_failing"
t_assert_eq '"was rejected at the second leg (the TOTP code)"' "$(printf '%s' "$m2" | jq .last)" \
	"and why"

stats=$(curl -sf "$RLB_URL/stats.json") || t_fail "GET /stats.json failed"
t_assert_eq true "$(printf '%s' "$stats" | jq '.servers[] | select(.name == "mfa2") | .mfa_probe.mfa_path_failing')" \
	"/stats.json has mfa2 flagged"
t_assert_eq '"ok"' "$(printf '%s' "$stats" | jq '.servers[] | select(.name == "mfa1") | .mfa_probe.result')" \
	"/stats.json has mfa1's login passed"
text=$(rlb_ctl show servers)
t_assert_match 'mfa2: MFA probe login was rejected at the second leg.*MFA PATH FAILING' "$text" \
	"radlbctl show servers (text) names mfa2's failing MFA path"
t_assert_match 'mfa1: MFA probe login passed' "$text" "and mfa1's passing login"
rows=$(timeout 90 /usr/bin/python3 "$TOP_SRCDIR/tests/tools/rlb-browse.py" --url "$RLB_URL/" --timeout 30 \
	--wait 'document.querySelector("#servers tr[data-server=\"mfa2\"] .mfa")?.textContent.trim() === "failing"' \
	--eval '[...document.querySelectorAll("#servers tbody tr")].map(r => r.dataset.server + "=" + r.querySelector(".mfa").textContent.trim()).join(" ")' \
	2>"$T_DIR/browse.err") || { cat "$T_DIR/browse.err" >&2; t_fail "the status page did not render in Chromium"; }
t_assert_eq '"mfa1=ok mfa2=failing"' "$rows" "the status page's MFA login column in Chromium: mfa1 ok, mfa2 failing"

metrics=$(curl -sf "$RLB_URL/metrics") || t_fail "GET /metrics failed"
t_assert_match 'radlb_server_mfa_path_failing\{[^}]*server="mfa2"[^}]*\} 1' "$metrics" \
	"/metrics: radlb_server_mfa_path_failing of mfa2 is 1"
t_assert_match 'radlb_server_mfa_probe_ok\{[^}]*server="mfa1"[^}]*\} 1' "$metrics" \
	"/metrics: radlb_server_mfa_probe_ok of mfa1 is 1"
t_assert_match 'radlb_server_mfa_probe_seconds\{[^}]*server="mfa1"' "$metrics" \
	"/metrics: the duration"

t_assert_eq 1 "$(grep -c 'server mfa2: MFA path failing' "$T_DIR/radlb.log")" \
	"the flag is logged once"
t_assert_match 'server mfa2: MFA path failing: the probe login as the MFA test user was rejected at the second leg' \
	"$(cat "$T_DIR/radlb.log")" "with its reason"
t_assert_eq 0 "$(grep -c 'server mfa1: MFA path failing' "$T_DIR/radlb.log")" "mfa1 is never flagged"

# Not taken out: logins still reach mfa2.
seen=""
for u in 1 2 3 4 5 6 7 8; do
	rlb_otp_login "user$u" "pw-user$u" || t_fail "login user$u failed: $LOGIN_REPLY"
	t_assert_contains 'Received Access-Accept' "$LOGIN_REPLY" "user$u logs in (on $LOGIN_ISSUER)"
	seen="$seen $LOGIN_ISSUER"
done
t_assert_contains mfa2 "$seen" "mfa2, flagged, still takes logins"

# ------------------------------------------------------------ mfa2 repaired
# mfa2 restarted with the right secret: its next login passes, the flag goes
# off, and that change is logged too.
"$MFA" stop --dir "$T_DIR/mfa2" >/dev/null || t_fail "mfa2 did not stop"
"$MFA" start --name mfa2 --dir "$T_DIR/mfa2" --auth-port "$MFA2_AUTH" --acct-port "$MFA2_ACCT" \
	--secret "$(server_secret mfa2)" --totp-secret "$SECRET" >/dev/null || t_fail "mfa2 did not restart"
t_register_daemon mfa2b "$(cat "$T_DIR/mfa2/pid")" "$T_DIR/mfa2/radiusd.log"
# The next login goes within the interval (10 s) of the last one; 30 s at most.
t_wait_until 30 eval '[ "$(rlb_stat server.mfa2.mfa_probe_ok)" = 1 ]' ||
	t_fail "mfa2's login did not pass after the repair ($(rlb_stat server.mfa2.mfa_probe_ok))"
t_wait_until 10 eval '[ "$(rlb_stat server.mfa2.mfa_path_failing)" = 0 ]' ||
	t_fail "mfa2 is still flagged"
t_pass "mfa2 repaired: its login passes, the flag is off"
t_wait_until 10 grep -q 'server mfa2: MFA path working again: the probe login passed' \
	"$T_DIR/radlb.log" || t_fail "the flag going off is not logged"
t_pass "and the change is logged"
t_assert_eq '"passed"' "$(rlb_ctl --json show servers | jq '.servers[] | select(.name == "mfa2") | .mfa_probe.last')" \
	"show servers --json: mfa2's last login passed"

# ------------------------------------------------------------ reload
# Another user needs a restart; new file contents apply at the next login.
cp "$T_DIR/radlb.conf" "$T_DIR/good.conf"
sed 's/user = "radlb-probe-mfa"/user = "someone-else"/' "$T_DIR/good.conf" >"$T_DIR/radlb.conf"
out=$(rlb_ctl reload 2>&1) && t_fail "another mfa_probe.user was applied live"
t_assert_contains "mfa_probe.user changed, which needs a restart" "$out" \
	"another mfa_probe.user is refused at reload"
cp "$T_DIR/good.conf" "$T_DIR/radlb.conf"
fails=$(rlb_stat server.mfa1.mfa_probe_failures)
printf '%s\n' wrong-probe-pw-5d1 >"$T_DIR/probe-password"
rlb_ctl reload >/dev/null || t_fail "reload with a new password file"
t_wait_until 30 eval '[ "$(rlb_stat server.mfa1.mfa_probe_failures)" -gt "$fails" ]' ||
	t_fail "the new password was not used within 30 s"
t_assert_eq '"was rejected at the first leg"' \
	"$(rlb_ctl --json show servers | jq '.servers[] | select(.name == "mfa1") | .mfa_probe.last')" \
	"after a reload the password file's new contents are used (mfa1 rejects them)"
t_wait_until 10 grep -q 'server mfa1: MFA path failing: the probe login as the MFA test user was rejected at the first leg' \
	"$T_DIR/radlb.log" || t_fail "mfa1's flag is not logged"
t_pass "and mfa1 is flagged, logged"

# ------------------------------------------------------------ secrets
config=$(rlb_ctl show config) || t_fail "show config failed"
t_assert_contains "$T_DIR/probe-totp" "$config" "show config names the secret's file"
for s in "$PASSWORD" wrong-probe-pw-5d1 "$SECRET" "GEZDGNBV" "12345678901234567890"; do
	t_assert_eq 0 "$(printf '%s' "$config" | grep -c -- "$s")" "show config has no \"$s\""
	t_assert_eq 0 "$(grep -c -- "$s" "$T_DIR/radlb.log")" "radlb's log has no \"$s\""
done

t_log "done"
