#!/bin/bash
# MFA prompt budgets against push bombing and SMS pumping (issue 15, part 1;
# the frozen interface of the budgets spec, with its CHANGED section), with
# two real FreeRADIUS MFA servers behind radlb and radclient as the NAS. Budget:
# 5 prompts per 600 s and 20 per 86400 s, per key.
#   1. count = "first-leg", by user: 20 first legs of alice at once: 5 reach
#      the servers (5 SMS sent), 15 get radlb's immediate Access-Reject with
#      reply_message and their Proxy-State; show limits alice "5 of 5 ...;
#      blocked for T s; 15 first legs rejected" (text, --json, and the list
#      of blocked keys), radlb_limits_blocked_user_total 15, 15 auth log
#      lines result=reject reason="<reply_message>", one warning "prompt
#      budget: ..." in radlb's own log;
#   2. the answer to an open challenge passes once the budget is full;
#   3. another user is not affected; an allow-listed user is never limited
#      (20 first legs, all to the servers) and counted in limits.allowed;
#   8. accounting and Status-Server of a blocked user are never limited;
#   5. radlbctl unblock: refused at the read level (control.group), lifts the
#      block at once at the admin level; "nothing to unblock";
#   6. a reload keeps the counts (still blocked), a reload raising max lifts
#      the block;
#   7. a reload to by = [ "calling-station" ]: 6 first legs of 6 users from
#      one Calling-Station-Id, the 6th rejected; the user key is no longer
#      consulted; accounting and Status-Server from it still served;
#   4. count = "challenge" (a fresh radlb): 30 password-only logins (plain)
#      never counted, the 6th challenged first leg rejected, a push answered
#      after more than push_seconds counts (and one answered at once does
#      not), a first leg that times out too;
#   9. a window of 2 s: the block lifts when the prompts age out, although
#      first legs keep coming meanwhile (blocked ones add no prompt).
# Counts and conditions only: no timing is measured. A failed check is
# reported and the test goes on (it still fails at the end), so that one run
# shows every difference from the spec; t_fail stops it where the next steps
# depend on the failed one.
set -u
. "$(dirname "$0")/rlb.sh"

MSG='Too many sign-in attempts (t-budgets). Please wait a few minutes and try again.'
ALLOWED=user77
CSI=02-00-5e-00-53-01
PS_HEX=$(t_hex budget-ps-1)

# ------------------------------------------------------------ helpers
# check_eq EXPECTED ACTUAL MSG, check_match REGEX TEXT MSG, check_contains
# SUBSTRING TEXT MSG: like t_assert_*, but a failure does not stop the test.
check__fail() {
	T_TESTNUM=$((T_TESTNUM + 1))
	T_FAILED=1
	printf 'not ok %d - %s\n' "$T_TESTNUM" "$1"
}
check_eq() {
	if [ "$1" = "$2" ]; then t_pass "$3"; else
		t_log "expected: '$1'"
		t_log "actual:   '$2'"
		check__fail "$3"
	fi
}
check_match() {
	if [[ $2 =~ $1 ]]; then t_pass "$3"; else
		t_log "regex: $1"
		t_log "text:"
		printf '%s\n' "$2" | sed 's/^/#   /' >&2
		check__fail "$3"
	fi
}
check_contains() {
	if [[ $2 == *"$1"* ]]; then t_pass "$3"; else
		t_log "expected substring: $1"
		t_log "text:"
		printf '%s\n' "$2" | sed 's/^/#   /' >&2
		check__fail "$3"
	fi
}

password() {
	case $1 in
	alice) echo 'correct horse battery' ;;
	plain) echo plain-pw ;;
	push) echo push-pw ;;
	*) echo "pw-$1" ;;
	esac
}

# leg1 USER [MORE ATTRIBUTES]: one first leg (no State) through radlb.
leg1() {
	rlb_auth "User-Name = \"$1\", User-Password = \"$(password "$1")\"${2:+, $2}" "${@:3}"
}
# code_of OUTPUT: the reply's code (Access-Challenge, ...), or "none".
code_of() {
	local c
	c=$(printf '%s\n' "$1" | sed -n 's/^Received \([A-Za-z-]*\) .*/\1/p' | tail -n 1)
	echo "${c:-none}"
}
# blocked OUTPUT: is it radlb's budget reject (Access-Reject with MSG)?
blocked() {
	[ "$(code_of "$1")" = Access-Reject ] && [ "$(attr Reply-Message "$1")" = "$MSG" ]
}
# reached USER: Access-Requests of USER that reached the servers.
reached() {
	local i n s=0
	for ((i = 1; i <= RLB_NSERVERS; i++)); do
		n=$(grep -c " user=$1\$" "$T_DIR/mfa$i/requests.log" 2>/dev/null)
		s=$((s + ${n:-0}))
	done
	echo "$s"
}
# sms USER: SMS codes the servers sent to USER.
sms() {
	cat "$T_DIR"/mfa*/sms.log 2>/dev/null | grep -c "^user=$1 "
}
# burst FILE N USER [MORE ATTRIBUTES]: N first legs of USER at once
# (radclient -p N), radclient's output in FILE.
burst() {
	local file=$1 n=$2 user=$3 more=${4-} i
	for ((i = 0; i < n; i++)); do
		printf 'User-Name = "%s", User-Password = "%s"%s\n\n' "$user" "$(password "$user")" "${more:+, $more}"
	done >"$file.req"
	t_radclient -x -f "$file.req" -p "$n" -t 15 -r 1 "127.0.0.1:$RLB_AUTH" auth "$CLIENT_SECRET" >"$file" 2>&1
	return 0
}
# replies FILE CODE: replies of that code in radclient's output.
replies() { grep -c "^Received $2 " "$1"; }
# with_attr FILE CODE LINE: replies of that code holding that attribute line.
with_attr() {
	awk -v code="$2" -v want="$3" '
		/^(Sent|Received) / { inr = ($1 == "Received" && $2 == code); next }
		inr { line = $0; sub(/^[[:space:]]+/, "", line); if (line == want) n++ }
		END { print n + 0 }' "$1"
}
# metric NAME: an unlabelled sample of /metrics ("missing" if none).
metric() {
	curl -s "$RLB_URL/metrics" | awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print "missing" }'
}
# stat_and_metric KEY NAME: "KEY=V NAME=V" from show stats and /metrics.
stat_and_metric() { echo "$1=$(rlb_stat "$1") $2=$(metric "$2")"; }
# auth_rejects USER: radlb's auth log lines of USER rejected with the budget's reason.
auth_rejects() {
	grep ' radlb info: auth: ' "$LOG" | grep -F "user=\"$1\"" | grep -F 'result=reject' |
		grep -cF "reason=\"$MSG\""
}
limits_line() { rlb_ctl show limits "$1" 2>&1; }
# limits_of USER: the counts of "show limits USER", whatever the punctuation
# around them, as "WINDOW:N/MAX ..." and " blocked" if it says "blocked for"
# (the line's exact form is checked apart).
limits_of() {
	local l
	l=$(limits_line "$1")
	printf '%s%s\n' "$(printf '%s\n' "$l" | grep -oE '[0-9.]+ s: [0-9]+ of [0-9]+' |
		sed -E 's/^([0-9.]+) s: ([0-9]+) of ([0-9]+)$/\1:\2\/\3/' | paste -sd ' ')" \
		"$(case $l in *"blocked for"*) echo " blocked" ;; esac)"
}

# ------------------------------------------------------------ farm and radlb
# limits_conf BY COUNT MAX600: radlb.conf = base.conf + the limits section (atomically).
limits_conf() {
	{
		cat "$T_DIR/base.conf"
		printf 'limits = {\n'
		printf '  prompts = ( { window = 600.0; max = %s; }, { window = 86400.0; max = 20; } );\n' "$3"
		printf '  by = [ "%s" ];\n' "$1"
		printf '  count = "%s";\n' "$2"
		[ "$2" = challenge ] && printf '  push_seconds = %s;\n' "$PUSH_SECONDS"
		printf '  reply_message = "%s";\n' "$MSG"
		printf '  allow_users = [ "radlb-probe", "%s" ];\n' "$ALLOWED"
		printf '  max_entries = 10000;\n'
		printf '};\n'
	} >"$T_DIR/radlb.conf.new" && mv "$T_DIR/radlb.conf.new" "$T_DIR/radlb.conf"
}
PUSH_SECONDS=2.0

rlb_farm 2
for i in 1 2; do echo 0 >"$T_DIR/mfa$i/push_delay"; done
rlb_config
# The read level of the control socket: members of control.group (t-ctl.sh).
READ_LEVEL=0
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null; then
	sed -i 's|^control = { socket = "\([^"]*\)"; mode = "0660"; };|control = { socket = "\1"; mode = "0660"; group = "nogroup"; };|' \
		"$T_DIR/radlb.conf"
	grep -q 'group = "nogroup"' "$T_DIR/radlb.conf" || t_fail "could not set control.group"
	chmod 755 "$T_DIR"
	READ_LEVEL=1
fi
mv "$T_DIR/radlb.conf" "$T_DIR/base.conf"
limits_conf user first-leg 5
out=$("$RADLB" -C -f "$T_DIR/radlb.conf" 2>&1)
check_eq 0 $? "radlb -C accepts the limits section ($out)"
rlb_start
LOG=$T_DIR/radlb.log
t_pass "radlb runs with limits: 5 prompts per 600 s, 20 per 86400 s, by user, count first-leg"
out=$(rlb_ctl show limits 2>&1)
check_eq 0 $? "radlbctl show limits exits 0"

# ------------------------------------------------------------ 1. 20 first legs of alice at once
burst "$T_DIR/alice.out" 20 alice "Proxy-State = 0x$PS_HEX, $MA"
check_eq 20 "$(grep -c '^Received ' "$T_DIR/alice.out")" "20 first legs of alice at once: 20 replies"
check_eq 5 "$(reached alice)" "exactly 5 reached the MFA servers (requests.log)"
check_eq 5 "$(replies "$T_DIR/alice.out" Access-Challenge)" "5 Access-Challenges (from the servers)"
check_eq 5 "$(sms alice)" "5 SMS codes sent to alice, no more"
check_eq 15 "$(replies "$T_DIR/alice.out" Access-Reject)" "15 Access-Rejects"
check_eq 15 "$(with_attr "$T_DIR/alice.out" Access-Reject "Reply-Message = \"$MSG\"")" \
	"all 15 carry limits.reply_message"
check_eq 15 "$(with_attr "$T_DIR/alice.out" Access-Reject "Proxy-State = 0x$PS_HEX")" \
	"and the request's Proxy-State"
check_eq "limits.blocked_user=15 radlb_limits_blocked_user_total=15" \
	"$(stat_and_metric limits.blocked_user radlb_limits_blocked_user_total)" \
	"the 15 are counted in limits.blocked_user and radlb_limits_blocked_user_total"
check_eq "limits.prompts=5 radlb_limits_prompts_total=5" "$(stat_and_metric limits.prompts radlb_limits_prompts_total)" \
	"5 prompts counted (the blocked ones are not)"
check_eq "600:5/5 86400:5/20 blocked" "$(limits_of alice)" \
	"radlbctl show limits alice: 5 of 5, blocked; 5 of 20 a day (blocked legs add no prompt)"
check_match '^user "alice": 600 s: 5 of 5, 86400 s: 5 of 20; blocked for [0-9]+ s; 15 first legs rejected$' "$(limits_line alice)" \
	"in the form of the spec: user \"alice\": 600 s: 5 of 5, 86400 s: 5 of 20; blocked for T s; 15 first legs rejected"
t=$(limits_line alice | sed -n 's/.*blocked for \([0-9]*\) s.*/\1/p')
check_eq 1 "$([ -n "$t" ] && [ "$t" -gt 0 ] && [ "$t" -le 600 ] && echo 1)" "blocked for $t s: more than 0, at most the window"
json=$(rlb_ctl --json show limits alice 2>&1)
check_eq 'alice [600,5,5] [86400,5,20] true 15 1' \
	"$(printf '%s' "$json" | jq -r '"\(.user) \([.windows[] | [.window_seconds, .prompts, .max]] | map(tojson) | join(" ")) \(.blocked) \(.rejected) \(if .blocked_for_seconds > 0 and .blocked_for_seconds <= 600 then 1 else 0 end)"' 2>&1)" \
	"--json show limits alice: user, windows (window_seconds, prompts, max), blocked, rejected, blocked_for_seconds"
out=$(rlb_ctl show limits 2>&1)
check_match "(^|"$'\n'")[[:space:]]*user \"alice\" prompts=5/5 window=600 s blocked_for=[0-9]+ s rejected=15(\$|"$'\n'")" "$out" \
	"radlbctl show limits lists alice among the blocked keys"
check_eq 'limits: 5 prompts per 600 s, 20 prompts per 86400 s; by user; count first-leg; 2 allow-listed users' \
	"$(printf '%s\n' "$out" | head -n 1)" "show limits: the settings on the first line"
check_eq "prompts 5|allowed 0|blocked_user 15|blocked_calling_station 0|blocked_client 0|evicted 0" \
	"$(printf '%s\n' "$out" | grep -E '^(prompts|allowed|blocked_user|blocked_calling_station|blocked_client|evicted) ' | paste -sd '|')" \
	"and the counters"
check_match "(^|"$'\n'")keys [1-9][0-9]*(\$|"$'\n'")" "$out" "and the keys tracked"
t_wait_until 5 eval '[ "$(auth_rejects alice)" -ge 15 ]'
check_eq 15 "$(auth_rejects alice)" "the auth log: 15 lines user=\"alice\" result=reject reason=\"<reply_message>\""
check_eq 1 "$(grep -c 'prompt budget: user "alice"' "$LOG")" "radlb's own log tells of alice's block once (rate-limited)"
check_match "radlb warning: prompt budget: user \"alice\" had 5 prompts in 600 s \(at most 5\): first legs from client nas are rejected for [0-9]+ s without reaching an MFA server" \
	"$(grep 'prompt budget: user "alice"' "$LOG")" "at warning level, saying what and for how long"
out=$(leg1 alice)
blocked "$out" || check__fail "a 21st first leg of alice is not radlb's reject: $(code_of "$out") $(attr Reply-Message "$out")"
check_eq 5 "$(reached alice)" "a 21st, alone, is rejected too and reaches no server"
check_eq "limits.blocked_user=16 radlb_limits_blocked_user_total=16" \
	"$(stat_and_metric limits.blocked_user radlb_limits_blocked_user_total)" "and counted: 16"

# ------------------------------------------------------------ 2. an open challenge is answered after the budget is full
out=$(leg1 user21)
[ "$(code_of "$out")" = Access-Challenge ] || t_fail "user21: first leg not challenged: $out"
ISSUER=$(served_by "$out")
STATE=$(attr State "$out")
for i in 2 3 4 5; do
	out=$(leg1 user21)
	[ "$(code_of "$out")" = Access-Challenge ] || check__fail "user21: first leg $i not challenged: $(code_of "$out")"
done
out=$(leg1 user21)
blocked "$out" || check__fail "user21: 6th first leg not blocked: $(code_of "$out") $(attr Reply-Message "$out")"
check_eq 5 "$(reached user21)" "user21: 5 first legs challenged, the 6th blocked by radlb"
code=$("$MFA" code --dir "$T_DIR/$ISSUER" --user user21 --state "$STATE") || t_fail "no SMS code for user21's first login"
out=$(rlb_auth "User-Name = \"user21\", User-Password = \"$code\", State = $STATE")
check_contains "Received Access-Accept" "$out" "the answer to the first, still open, challenge: Access-Accept"
check_contains "Welcome user21 ($ISSUER)" "$out" "from the server that sent the SMS"
check_eq 6 "$(reached user21)" "the answer reached it"
check_eq "600:5/5 86400:5/20 blocked" "$(limits_of user21)" "the answer was not counted: 5 of 5, still blocked"

# ------------------------------------------------------------ 3. other users, an allow-listed user
rlb_otp_login user22 pw-user22 || t_fail "user22: no challenge while alice is blocked: $LOGIN_REPLY"
check_contains "Welcome user22 ($LOGIN_ISSUER)" "$LOGIN_REPLY" "another user logs in while alice and user21 are blocked"
burst "$T_DIR/allowed.out" 20 "$ALLOWED"
check_eq 20 "$(reached "$ALLOWED")" "allow-listed $ALLOWED: 20 first legs at once, all reach the servers"
check_eq 20 "$(replies "$T_DIR/allowed.out" Access-Challenge)" "and all are challenged"
check_eq "limits.allowed=20 radlb_limits_allowed_total=20" "$(stat_and_metric limits.allowed radlb_limits_allowed_total)" \
	"counted in limits.allowed and radlb_limits_allowed_total"
check_eq "user \"$ALLOWED\": no prompts counted" "$(limits_line "$ALLOWED")" "and never as prompts"
check_eq 11 "$(rlb_stat limits.prompts)" "prompts so far: 5 of alice, 5 of user21 (not its answer), 1 of user22"

# ------------------------------------------------------------ 8. accounting and Status-Server of a blocked user
b="$(rlb_stat limits.blocked_user) $(rlb_stat limits.prompts)"
for i in 1 2 3; do
	out=$(rlb_acct "User-Name = \"alice\", Acct-Status-Type = Start, Acct-Session-Id = \"bud-$i\"")
	check_contains "Received Accounting-Response" "$out" "accounting of the blocked alice ($i) is answered"
done
t_wait_until 5 eval '[ "$(grep -c " session=bud-[123] .*user=alice\$" "$T_DIR/mfa1/accounting.log")" = 3 ]'
check_eq 3 "$(grep -c ' session=bud-[123] .*user=alice$' "$T_DIR/mfa1/accounting.log")" "and reaches the master, 3 of 3"
out=$(printf 'User-Name = "alice", %s\n' "$MA" | t_radclient -x "127.0.0.1:$RLB_AUTH" status "$CLIENT_SECRET" 2>&1)
check_contains "Received Access-Accept" "$out" "Status-Server naming the blocked alice: Access-Accept from radlb"
check_eq "$b" "$(rlb_stat limits.blocked_user) $(rlb_stat limits.prompts)" "neither is counted as blocked nor as a prompt"

# ------------------------------------------------------------ 5. radlbctl unblock
n=$(reached alice)
b=$(rlb_stat limits.blocked_user)
[[ $b =~ ^[0-9]+$ ]] || b=0 # (missing: checked as such below)
if [ "$READ_LEVEL" = 1 ]; then
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$RADLBCTL" -s "$RLB_SOCK" unblock alice 2>&1)
	check_eq 1 $? "radlbctl unblock alice at the read level (a member of control.group) exits 1"
	check_contains "needs admin rights" "$out" "and says it needs admin rights"
	out=$(leg1 alice)
	blocked "$out" || check__fail "alice is no longer blocked after a refused unblock: $(code_of "$out")"
	check_eq "$n" "$(reached alice)" "alice is still blocked"
	b=$((b + 1))
else
	t_log "not root (or no nobody:nogroup): the read level of unblock is not checked"
fi
out=$(rlb_ctl unblock alice 2>&1)
check_eq 0 $? "radlbctl unblock alice exits 0"
check_eq 'user "alice": unblocked (5 prompts forgotten)' "$out" "and tells how many prompts it forgot"
out=$(leg1 alice)
check_eq Access-Challenge "$(code_of "$out")" "the next first leg of alice is challenged at once"
check_eq $((n + 1)) "$(reached alice)" "by a server"
check_eq "600:1/5 86400:1/20" "$(limits_of alice)" "alice has 1 prompt in each window, not blocked"
check_match '^user "alice": 600 s: 1 of 5, 86400 s: 1 of 20(; [0-9]+ first legs rejected)?$' "$(limits_line alice)" \
	"in the form of the spec: user \"alice\": 600 s: 1 of 5, 86400 s: 1 of 20 (no \"blocked for\")"
out=$(rlb_ctl unblock bob 2>&1)
check_eq 'user "bob": nothing to unblock' "$out" "radlbctl unblock bob: nothing to unblock"
check_eq 'user "bob": no prompts counted' "$(limits_line bob)" "show limits bob: no prompts counted"

# ------------------------------------------------------------ 6. reload
n=$(reached user21)
reloads=$(rlb_stat reloads)
out=$(rlb_ctl reload 2>&1)
check_eq 0 $? "radlbctl reload (same file) exits 0 ($out)"
check_eq $((reloads + 1)) "$(rlb_stat reloads)" "and is applied"
out=$(leg1 user21)
blocked "$out" || check__fail "user21 is no longer blocked after a reload: $(code_of "$out") $(attr Reply-Message "$out")"
b=$((b + 1))
check_eq "$n" "$(reached user21)" "the reload kept the counts: user21 is still blocked"
check_eq "600:5/5 86400:5/20 blocked" "$(limits_of user21)" "still 5 of 5, blocked"
limits_conf user first-leg 10
out=$(rlb_ctl reload 2>&1)
check_eq 0 $? "radlbctl reload with max = 10 exits 0 ($out)"
check_eq "600:5/10 86400:5/20" "$(limits_of user21)" "user21: 5 of 10, the block lifted"
out=$(leg1 user21)
check_eq Access-Challenge "$(code_of "$out")" "user21's next first leg is challenged"
check_eq $((n + 1)) "$(reached user21)" "by a server"
check_eq "limits.blocked_user=$b radlb_limits_blocked_user_total=$b" \
	"$(stat_and_metric limits.blocked_user radlb_limits_blocked_user_total)" \
	"each blocked first leg since the unblock is counted (reloads keep the counter)"

# ------------------------------------------------------------ 7. by calling-station
limits_conf calling-station first-leg 5
out=$(rlb_ctl reload 2>&1)
check_eq 0 $? "radlbctl reload to by = [ \"calling-station\" ] exits 0 ($out)"
for i in 31 32 33 34 35; do
	out=$(leg1 "user$i" "Calling-Station-Id = \"$CSI\"")
	[ "$(code_of "$out")" = Access-Challenge ] || check__fail "user$i from $CSI: $(code_of "$out"), not challenged"
done
out=$(leg1 user36 "Calling-Station-Id = \"$CSI\"")
blocked "$out" || check__fail "user36 from $CSI: $(code_of "$out") $(attr Reply-Message "$out"), not blocked"
check_eq "5 0" "$(($(reached user31) + $(reached user32) + $(reached user33) + $(reached user34) + $(reached user35))) $(reached user36)" \
	"6 first legs of 6 users from one Calling-Station-Id: 5 reach the servers, the 6th is blocked"
check_eq "limits.blocked_calling_station=1 radlb_limits_blocked_calling_station_total=1" \
	"$(stat_and_metric limits.blocked_calling_station radlb_limits_blocked_calling_station_total)" \
	"counted in limits.blocked_calling_station and radlb_limits_blocked_calling_station_total"
check_match "(^|"$'\n'")[[:space:]]*calling-station \"$CSI\" prompts=5/5 window=600 s blocked_for=[0-9]+ s rejected=1(\$|"$'\n'")" "$(rlb_ctl show limits 2>&1)" \
	"radlbctl show limits lists the Calling-Station-Id among the blocked keys"
out=$(leg1 user36 'Calling-Station-Id = "02-00-5e-00-53-02"')
check_eq Access-Challenge "$(code_of "$out")" "the same user36 from another Calling-Station-Id is challenged"
# user21 has 7 prompts (over max = 5), but the user key is no longer consulted.
out=$(leg1 user21 'Calling-Station-Id = "02-00-5e-00-53-03"')
check_eq Access-Challenge "$(code_of "$out")" "user21 (7 prompts, max 5) passes: by no longer holds user"
out=$(rlb_acct "User-Name = \"user36\", Calling-Station-Id = \"$CSI\", Acct-Status-Type = Start, Acct-Session-Id = \"bud-cs\"")
check_contains "Received Accounting-Response" "$out" "accounting from the blocked Calling-Station-Id is answered"
t_wait_until 5 grep -q ' session=bud-cs ' "$T_DIR/mfa1/accounting.log"
check_eq 1 "$(grep -c ' session=bud-cs ' "$T_DIR/mfa1/accounting.log")" "and reaches the master"
out=$(printf 'Calling-Station-Id = "%s", %s\n' "$CSI" "$MA" | t_radclient -x "127.0.0.1:$RLB_AUTH" status "$CLIENT_SECRET" 2>&1)
check_contains "Received Access-Accept" "$out" "Status-Server from the blocked Calling-Station-Id: Access-Accept"
check_eq 1 "$(rlb_stat limits.blocked_calling_station)" "neither is counted as blocked"
rlb_stop

# ------------------------------------------------------------ 4. count = "challenge" (a fresh radlb)
# response_timeout 6 s: a push of 4 s is answered, a stopped server times out.
sed -i 's/^proxy = { *};$/proxy = { response_timeout = 6.0; };/' "$T_DIR/base.conf"
grep -q '^proxy = { response_timeout = 6.0; };$' "$T_DIR/base.conf" || t_fail "could not set proxy.response_timeout"
limits_conf user challenge 5
LOG=$T_DIR/radlb-challenge.log
rlb_start radlb-challenge
t_pass "a fresh radlb with count = \"challenge\", push_seconds = $PUSH_SECONDS"
# Six bursts of 5 (a first leg counts while in flight, and is taken back
# when its Access-Accept shows no prompt).
: >"$T_DIR/plain.out"
for i in 1 2 3 4 5 6; do
	burst "$T_DIR/plain.part" 5 plain
	cat "$T_DIR/plain.part" >>"$T_DIR/plain.out"
done
check_eq 30 "$(replies "$T_DIR/plain.out" Access-Accept)" "30 password-only logins (plain, Access-Accept at once, 5 at a time) with a budget of 5: all accepted"
check_eq 30 "$(reached plain)" "all 30 reached the servers"
check_eq 'user "plain": no prompts counted' "$(limits_line plain)" "none stayed counted"
check_eq 30 "$(rlb_stat limits.released)" "limits.released: each was taken back once answered"
# A burst beyond the budget, all in flight at once (the servers are
# stopped while it goes: nobody answers before the last is sent): only
# the budget passes; the servers, let go, accept those 5.
for i in 1 2; do kill -STOP "$(cat "$T_DIR/mfa$i/pid")"; done
burst "$T_DIR/plain10.out" 10 plain &
bpid=$!
t_wait_until 10 eval '[ "$(rlb_stat limits.blocked_user)" -ge 5 ]' ||
	check__fail "the burst: $(rlb_stat limits.blocked_user) first legs blocked, not 5"
for i in 1 2; do kill -CONT "$(cat "$T_DIR/mfa$i/pid")"; done
wait "$bpid"
check_eq "5 5" "$(replies "$T_DIR/plain10.out" Access-Accept) $(grep -c "Reply-Message = \"$MSG\"" "$T_DIR/plain10.out")" \
	"10 first legs of one user in flight at once, budget 5: 5 pass, 5 are rejected by radlb"
blocked0=$(rlb_stat limits.blocked_user)
for i in 1 2 3 4 5; do
	out=$(leg1 user41)
	[ "$(code_of "$out")" = Access-Challenge ] || check__fail "user41: first leg $i: $(code_of "$out"), not challenged"
done
out=$(leg1 user41)
blocked "$out" || check__fail "user41: 6th first leg $(code_of "$out") $(attr Reply-Message "$out"), not blocked"
check_eq 5 "$(reached user41)" "an SMS-OTP user: the 6th challenged first leg is blocked by radlb"
# A push answered at once is not counted; one answered after push_seconds is.
out=$(leg1 push)
check_contains 'Push approved' "$out" "a push approved at once (push_delay 0)"
check_eq 'user "push": no prompts counted' "$(limits_line push)" "is not counted"
for i in 1 2; do echo 4 >"$T_DIR/mfa$i/push_delay"; done
burst "$T_DIR/push.out" 5 push
check_eq 5 "$(grep -c 'Reply-Message = "Push approved' "$T_DIR/push.out")" "5 pushes at once, each approved after 4 s (push_seconds $PUSH_SECONDS)"
check_eq "600:5/5 86400:5/20 blocked" "$(limits_of push)" "each counted: 5 of 5, blocked"
out=$(leg1 push "" -t 10)
blocked "$out" || check__fail "the 6th push: $(code_of "$out") $(attr Reply-Message "$out"), not blocked"
check_eq 6 "$(reached push)" "the 6th push is blocked by radlb and reaches no server"
kept=$(( $(rlb_stat limits.prompts) - $(rlb_stat limits.released) ))
check_eq 10 "$kept" "prompts that stayed counted (limits.prompts - limits.released): 5 challenges of user41, 5 slow pushes"
check_eq "$(metric radlb_limits_prompts_total)" "$(rlb_stat limits.prompts)" "radlb_limits_prompts_total is limits.prompts"
check_eq 2 "$(( $(rlb_stat limits.blocked_user) - blocked0 ))" "blocked since the burst: user41's 6th, the 6th push"
for i in 1 2; do echo 0 >"$T_DIR/mfa$i/push_delay"; done
# A first leg that gets no reply at all (both servers stopped: a timeout) counts too.
for i in 1 2; do kill -STOP "$(cat "$T_DIR/mfa$i/pid")"; done
out=$(leg1 user42 "" -t 15)
for i in 1 2; do kill -CONT "$(cat "$T_DIR/mfa$i/pid")"; done
check_eq 0 "$(printf '%s\n' "$out" | grep -c '^Received Access-Challenge')" "user42's first leg with both servers stopped: no challenge ($(code_of "$out"))"
t_wait_until 5 eval '[ "$(limits_of user42)" = "600:1/5 86400:1/20" ]'
check_eq "600:1/5 86400:1/20" "$(limits_of user42)" "the first leg that timed out is counted"
all_up() { [ "$(rlb_ctl --json show servers | jq '[.servers[] | select(.state == "up")] | length')" = 2 ]; }
t_wait_until 30 all_up || t_fail "the servers are not up again: $(rlb_ctl show servers)"

# ------------------------------------------------------------ 9. the block lifts as prompts age out
# A window of 2 s, max 2: user51's 3rd first leg is blocked; first legs sent
# back to back meanwhile are blocked and add no prompt, so one is admitted
# again once the window has passed (waited for with a deadline of 20 s).
limits_conf user first-leg 2
sed -i 's/{ window = 600.0; max = 2; }, { window = 86400.0; max = 20; }/{ window = 2.0; max = 2; }/' "$T_DIR/radlb.conf"
grep -q '{ window = 2.0; max = 2; } );' "$T_DIR/radlb.conf" || t_fail "could not set a window of 2 s"
out=$(rlb_ctl reload 2>&1)
check_eq 0 $? "radlbctl reload to one window of 2 s, max 2, count first-leg ($out)"
for i in 1 2; do
	out=$(leg1 user51)
	[ "$(code_of "$out")" = Access-Challenge ] || check__fail "user51: first leg $i: $(code_of "$out"), not challenged"
done
out=$(leg1 user51)
blocked "$out" || check__fail "user51: 3rd first leg $(code_of "$out") $(attr Reply-Message "$out"), not blocked"
check_eq 2 "$(reached user51)" "2 s window, max 2: user51's 3rd first leg is blocked"
: >"$T_DIR/hammer.out"
hammer() {
	local out
	out=$(leg1 user51)
	printf '%s\n' "$(code_of "$out")" >>"$T_DIR/hammer.out"
	[ "$(code_of "$out")" = Access-Challenge ]
}
t_wait_until 20 hammer
check_eq Access-Challenge "$(tail -n 1 "$T_DIR/hammer.out")" \
	"first legs back to back: one is admitted again once the prompts aged out ($(grep -c Access-Reject "$T_DIR/hammer.out") blocked before)"
check_eq 3 "$(reached user51)" "the blocked ones reached no server"
rlb_stop

# ------------------------------------------------------------ 10. two instances share the budget through Redis
# Instances A and B behind a VIP share one Redis (sticky.store = "redis"):
# user61's first legs alternate between them; with a budget of 5 the 6th
# is rejected whichever instance gets it, and Redis holds the 5 prompts.
# Redis killed: each instance counts alone again (the fallback), nobody
# waits on the dead link.
REDIS_PORT=$(t_free_port tcp) || t_fail "no free port"
rlb_redis redis "$REDIS_PORT"
RLB_EXTRA="sticky = { store = \"redis\"; }; redis = { port = $REDIS_PORT; timeout = 2.0; };
limits = { prompts = ( { window = 600.0; max = 5; } ); reply_message = \"$MSG\"; };"
rlb_instance ra
rlb_instance rb
via() { # INSTANCE USER: a first leg through that instance
	local port
	eval "port=\$${1}_AUTH"
	printf 'User-Name = "%s", User-Password = "%s"\n' "$2" "$(password "$2")" |
		t_radclient -x "127.0.0.1:$port" auth "$CLIENT_SECRET" 2>&1
}
n_ok=0
for i in 1 2 3 4 5; do
	if [ $((i % 2)) = 1 ]; then inst=ra; else inst=rb; fi
	out=$(via "$inst" user61)
	[ "$(code_of "$out")" = Access-Challenge ] && n_ok=$((n_ok + 1))
done
check_eq 5 "$n_ok" "user61: 5 first legs alternating between instances A and B are challenged"
out=$(via ra user61)
check_eq yes "$(blocked "$out" && echo yes || echo "no: $(code_of "$out")")" \
	"the 6th, on A (which saw only 3 of them), is rejected: the budget is shared"
out=$(via rb user61)
check_eq yes "$(blocked "$out" && echo yes || echo "no: $(code_of "$out")")" "and on B too"
check_eq 5 "$(reached user61)" "5 of user61's first legs reached the servers"
keys=$(redis-cli -p "$REDIS_PORT" --scan --pattern 'radlb:b:*' | wc -l)
check_eq 1 "$keys" "Redis holds one budget key (user61's)"
card=$(redis-cli -p "$REDIS_PORT" zcard "$(redis-cli -p "$REDIS_PORT" --scan --pattern 'radlb:b:*' | head -n 1)")
check_eq 5 "$card" "with its 5 prompts"
kill "$redis_PID" 2>/dev/null
wait "$redis_PID" 2>/dev/null
t_wait_until 10 sh -c "\"$RADLBCTL\" -s \"$T_DIR/ra.sock\" show stats | grep -q '^redis.up 0'" ||
	check__fail "A did not notice that Redis is gone"
n_ok=0
for i in 1 2 3; do
	out=$(via ra user62)
	[ "$(code_of "$out")" = Access-Challenge ] && n_ok=$((n_ok + 1))
done
check_eq 3 "$n_ok" "Redis gone: user62's first legs on A are still served (counted locally)"
n_ok=0
for i in 1 2 3; do
	out=$(via rb user62)
	[ "$(code_of "$out")" = Access-Challenge ] && n_ok=$((n_ok + 1))
done
check_eq 3 "$n_ok" "and on B (each instance counts alone: 3 + 3 under a budget of 5 each)"
out=$(via ra user62)
out2=$(via ra user62)
out3=$(via ra user62)
check_eq "Access-Challenge Access-Challenge yes" \
	"$(code_of "$out") $(code_of "$out2") $(blocked "$out3" && echo yes || echo no)" \
	"A's own count still limits: its 4th and 5th are served, its 6th rejected"
