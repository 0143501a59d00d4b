#!/bin/bash
# Reload without dropping a request: 100 reloads (radlbctl reload and
# SIGHUP; weights changed, a fourth server added and removed, a client's
# secret changed) under steady SMS-OTP traffic, 0 failed logins; challenge
# sessions survive the reloads (also those of a removed server); a bad
# file, a key that needs a restart and a server whose address changed are
# refused with a clear message and change nothing; a removed client is
# refused; a new secret takes effect at once.
set -u
. "$(dirname "$0")/rlb.sh"

rlb_farm 4
RLB_EXTRA='health = { interval = 0.5; timeout = 0.5; rise = 1; fall = 3; };'
RLB_NSERVERS=3
rlb_config
cp "$T_DIR/radlb.conf" "$T_DIR/three.conf"
rlb_start

# The fourth server's entry, as rlb_config writes them.
MFA4="  { name = \"mfa4\"; address = \"127.0.0.1\"; auth_port = $MFA4_AUTH; acct_port = $MFA4_ACCT; secret = \"$(server_secret mfa4)\"; role = \"subordinate\"; }"

# write_conf N_SERVERS WEIGHT: three.conf with mfa2's weight set to WEIGHT,
# plus mfa4 when N_SERVERS is 4; installed atomically (rename).
write_conf() {
	/usr/bin/python3 - "$T_DIR/three.conf" "$T_DIR/radlb.conf.new" "$1" "$2" "$MFA4" <<'PY'
import sys
src, dst, n, weight, mfa4 = sys.argv[1:]
s = open(src).read()
s = s.replace('name = "mfa2";', 'name = "mfa2"; weight = %s;' % weight, 1)
if n == "4":
    i = s.index("\n);\nproxy")
    s = s[:i] + ",\n" + mfa4 + s[i:]
open(dst, "w").write(s)
PY
	mv "$T_DIR/radlb.conf.new" "$T_DIR/radlb.conf"
}

# ------------------------------------------------------------ a session across reloads
out=$(rlb_auth 'User-Name = "alice", User-Password = "correct horse battery"')
A_ISSUER=$(served_by "$out")
A_STATE=$(attr State "$out")
[ -n "$A_ISSUER" ] && [ -n "$A_STATE" ] || t_fail "alice: no challenge: $out"

# ------------------------------------------------------------ steady traffic
# Batches of SMS-OTP logins, back to back, until told to stop.
: >"$T_DIR/traffic.out"
(
	first=1000
	while [ ! -e "$T_DIR/stop" ]; do
		"$OTPLOGIN" -k "$CLIENT_SECRET" -d "$T_DIR" -n 200 -c 8 -f "$first" -t 2 -r 5 \
			"127.0.0.1:$RLB_AUTH" >>"$T_DIR/traffic.out" 2>&1
		first=$((first + 200))
	done
) &
TRAFFIC=$!
t_wait_until 10 grep -q '^logins' "$T_DIR/traffic.out" || t_fail "no traffic: $(cat "$T_DIR/traffic.out")"

# ------------------------------------------------------------ 100 reloads
fails=0
t0=$(date +%s.%N)
for i in $(seq 1 100); do
	if [ $((i % 2)) = 1 ]; then n=4; else n=3; fi
	write_conf "$n" $((1 + i % 7))
	if [ $((i % 10)) = 0 ]; then
		before=$(rlb_stat reloads)
		kill -HUP "$RLB_PID"
		t_wait_until 5 sh -c "[ \"\$(\"$RADLBCTL\" -s \"$RLB_SOCK\" show stats | awk '\$1 == \"reloads\" { print \$2 }')\" -gt $before ]" ||
			fails=$((fails + 1))
	else
		rlb_ctl reload >/dev/null 2>>"$T_DIR/reload.err" || fails=$((fails + 1))
	fi
	sleep 0.05
done
t1=$(date +%s.%N)
touch "$T_DIR/stop"
wait "$TRAFFIC"
t_assert_eq 0 "$fails" "100 reloads applied ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s; 90 radlbctl reload, 10 SIGHUP)"
t_assert_eq 100 "$(rlb_stat reloads)" "reloads counts them"
t_assert_eq 0 "$(rlb_stat reload_failures)" "none refused"
batches=$(grep -c '^logins' "$T_DIR/traffic.out")
logins=$(awk '/^logins/ { n += $2 } END { print n + 0 }' "$T_DIR/traffic.out")
accepted=$(awk '/^logins/ { n += $4 } END { print n + 0 }' "$T_DIR/traffic.out")
failed=$(awk '/^logins/ { n += $6 } END { print n + 0 }' "$T_DIR/traffic.out")
grep '^login ' "$T_DIR/traffic.out" | head -n 20 | while IFS= read -r l; do t_log "$l"; done
t_assert_eq "$logins" "$accepted" "steady traffic: $accepted of $logins SMS-OTP logins accepted during the reloads ($batches batches)"
t_assert_eq 0 "$failed" "0 failed logins"
t_assert_eq 0 "$(rlb_stat timeouts)" "no request timed out"
[ "$(grep -c ' user=user' "$T_DIR/mfa4/requests.log" 2>/dev/null)" -gt 0 ] ||
	t_fail "mfa4 never got a login while it was configured"
t_pass "mfa4 took logins while it was configured"
t_assert_eq 0 "$(rlb_ctl show servers | grep -c '^mfa4 ')" "the last reload removed mfa4: not in show servers"

# ------------------------------------------------------------ sessions survive
code=$("$MFA" code --dir "$T_DIR/$A_ISSUER" --user alice --state "$A_STATE")
out=$(rlb_auth "User-Name = \"alice\", User-Password = \"$code\", State = $A_STATE")
t_assert_contains "Welcome alice ($A_ISSUER)" "$out" "a challenge issued before the 100 reloads is answered by its server ($A_ISSUER)"

# A challenge of mfa4, answered after mfa4 was removed: still goes there.
write_conf 4 1
rlb_ctl reload >/dev/null || t_fail "reload to four servers"
for i in $(seq 1 40); do
	out=$(rlb_auth "User-Name = \"user9000$i\", User-Password = \"pw-user9000$i\"")
	[ "$(served_by "$out")" = mfa4 ] && break
done
[ "$(served_by "$out")" = mfa4 ] || t_fail "no challenge from mfa4 in 40 logins"
B_USER=user9000$i
B_STATE=$(attr State "$out")
write_conf 3 1
rlb_ctl reload >/dev/null || t_fail "reload to three servers"
t_assert_contains "removed from the configuration" "$(cat "$T_DIR/radlb.log")" "removing mfa4 is logged"
code=$("$MFA" code --dir "$T_DIR/mfa4" --user "$B_USER" --state "$B_STATE")
out=$(rlb_auth "User-Name = \"$B_USER\", User-Password = \"$code\", State = $B_STATE")
t_assert_contains "Welcome $B_USER (mfa4)" "$out" "a challenge of a removed server is still answered by it"
for i in 1 2 3 4 5 6; do
	out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
	[ "$(served_by "$out")" != mfa4 ] || t_fail "a new login went to the removed mfa4"
done
t_pass "no new login goes to the removed server"

# ------------------------------------------------------------ refused reloads
cp "$T_DIR/radlb.conf" "$T_DIR/good.conf"
reloads=$(rlb_stat reloads)
printf 'proxy = { response_timeout = ; };\n' >>"$T_DIR/radlb.conf"
out=$(rlb_ctl reload 2>&1) && t_fail "a file with a syntax error was applied"
t_assert_match "radlb.conf:[0-9]+: .*the running configuration is unchanged|running configuration is unchanged.*radlb.conf:[0-9]+" "$(printf '%s' "$out" | tr '\n' ' ')" \
	"a bad file is refused with file:line"
t_assert_eq 1 "$(rlb_stat reload_failures)" "reload_failures counts it"
t_assert_eq "$reloads" "$(rlb_stat reloads)" "nothing was applied"
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" "the old configuration still serves"

sed "s/port = $RLB_AUTH; }/port = $((RLB_AUTH + 1)); }/" "$T_DIR/good.conf" >"$T_DIR/radlb.conf"
out=$(rlb_ctl reload 2>&1) && t_fail "a listener change was applied live"
t_assert_contains "listen[0].port changed, which needs a restart" "$out" "a key that needs a restart is refused, named"

sed "s/auth_port = $MFA3_AUTH;/auth_port = $MFA4_AUTH;/" "$T_DIR/good.conf" >"$T_DIR/radlb.conf"
out=$(rlb_ctl reload 2>&1) && t_fail "a server address change was applied live"
t_assert_contains 'server "mfa3"' "$out" "a server whose port changed is refused"
t_assert_contains "address, ports or proto changed" "$out" "with the reason"
t_assert_eq 3 "$(rlb_stat reload_failures)" "three refusals counted"

# ------------------------------------------------------------ clients
NEW_SECRET='client-secret-rotated-5b1e77'
sed "s/secret = \"$CLIENT_SECRET\"; } );/secret = \"$NEW_SECRET\"; } );/" "$T_DIR/good.conf" >"$T_DIR/radlb.conf"
grep -q "$NEW_SECRET" "$T_DIR/radlb.conf" || t_fail "could not rewrite the client secret"
rlb_ctl reload >/dev/null || t_fail "reload with a new client secret"
out=$(printf 'User-Name = "plain", User-Password = "plain-pw", %s\n' "$MA" |
	t_radclient -x "127.0.0.1:$RLB_AUTH" auth "$NEW_SECRET" 2>&1)
t_assert_contains 'Received Access-Accept' "$out" "the new client secret works at once"
out=$(printf 'User-Name = "plain", User-Password = "plain-pw", %s\n' "$MA" |
	t_radclient -x -t 1 -r 1 "127.0.0.1:$RLB_AUTH" auth "$CLIENT_SECRET" 2>&1)
t_assert_contains 'No reply' "$out" "the old one is refused (Message-Authenticator does not verify)"

sed "s#network = \"127.0.0.1/32\"#network = \"127.0.0.2/32\"#" "$T_DIR/good.conf" >"$T_DIR/radlb.conf"
rlb_ctl reload >/dev/null || t_fail "reload with the client moved"
dropped=$(rlb_stat drop.unknown_client)
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"' -t 1 -r 1)
t_assert_contains 'No reply' "$out" "a client no longer configured for this address is refused"
t_assert_eq $((dropped + 1)) "$(rlb_stat drop.unknown_client)" "as an unknown client"
cp "$T_DIR/good.conf" "$T_DIR/radlb.conf"
rlb_ctl reload >/dev/null || t_fail "reload back"
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" "and served again once it is back"

