#!/bin/bash
# When a challenge session cannot continue: the server that issued it is
# killed between the two legs (Access-Reject with sticky.reject_message
# within a second, never a timeout, never another server), drained (its open
# challenges still reach it, no new logins do), in maintenance (its open
# challenges are rejected at once). A killed server comes back when it
# answers again; a request it never processed moves to another server.
set -u
. "$(dirname "$0")/rlb.sh"

rlb_farm 3
RLB_PROXY='balance = "round-robin";'
RLB_EXTRA='sticky = { reject_message = "Session lost, please sign in again"; };'
rlb_config
rlb_start

# first_leg USER: sends the password, sets STATE and ISSUER
first_leg() {
	local out
	out=$(rlb_auth "User-Name = \"$1\", User-Password = \"pw-$1\"")
	ISSUER=$(served_by "$out")
	STATE=$(attr State "$out")
	[ -n "$STATE" ] || t_fail "$1: no challenge: $out"
}
second_leg() { # USER: answers STATE with the code ISSUER sent
	local code
	code=$("$MFA" code --dir "$T_DIR/$ISSUER" --user "$1" --state "$STATE") || t_fail "no code for $1"
	rlb_auth "User-Name = \"$1\", User-Password = \"$code\", State = $STATE" -t 5
}

# ------------------------------------------------------------ killed between the legs
first_leg user1
victim=$ISSUER
kill -KILL "$(cat "$T_DIR/$victim/pid")"
start=${EPOCHREALTIME/./}
out=$(second_leg user1)
ms=$(((${EPOCHREALTIME/./} - start) / 1000))
t_assert_contains 'Received Access-Reject' "$out" "the answer to a killed server's challenge: Access-Reject"
t_assert_contains 'Session lost, please sign in again' "$out" "with sticky.reject_message"
t_assert_match '^[0-9]{1,3}$' "$ms" "within a second (${ms} ms), not after response_timeout"
t_assert_eq 1 "$(rlb_stat sticky.rejects)" "counted in sticky.rejects"
t_assert_eq down "$(rlb_stat "server.$victim.state")" "$victim is marked down"
t_assert_contains "server $victim: up -> down (port unreachable" "$(cat "$T_DIR/radlb.log")" "logged once with its reason"
t_assert_eq 1 "$(cat "$T_DIR"/mfa*/requests.log | grep -c ' user=user1$')" \
	"no other server was asked to check the code (user1 reached a server once)"

# New logins avoid the down server; another answer to its challenges is
# rejected at once.
for i in 2 3 4 5; do
	first_leg "user$i"
	t_assert_match "^mfa[123]\$" "$ISSUER" "user$i's first leg goes to a live server"
	[ "$ISSUER" != "$victim" ] || t_fail "user$i went to the down server $victim"
	out=$(second_leg "user$i")
	t_assert_contains 'Received Access-Accept' "$out" "user$i's login completes on $ISSUER"
done

# An admin command on a down server keeps why it is down.
rlb_ctl drain "$victim" >/dev/null
t_assert_eq down "$(rlb_stat "server.$victim.state")" "draining a down server: it still shows down"
reason=$(rlb_ctl --json show servers | jq -r ".servers[] | select(.name == \"$victim\") | .state_reason")
t_assert_contains "port unreachable" "$reason" "and still says why it is down"
t_assert_contains "server $victim: draining by uid" "$(grep 'still down' "$T_DIR/radlb.log")" "the command is logged with the state it leaves unchanged"
rlb_ctl enable "$victim" >/dev/null

# ------------------------------------------------------------ revival
"$MFA" start --name "$victim" --dir "$T_DIR/$victim" --auth-port "$(sed -n 's/.*mfa_auth_port = \([0-9]*\).*/\1/p' "$T_DIR/$victim/raddb/instance.conf")" \
	--acct-port "$(sed -n 's/.*mfa_acct_port = \([0-9]*\).*/\1/p' "$T_DIR/$victim/raddb/instance.conf")" \
	--secret "$(server_secret "$victim")" >/dev/null || t_fail "restart $victim"
t_register_daemon "$victim-2" "$(cat "$T_DIR/$victim/pid")" "$T_DIR/$victim/radiusd.log"
t_wait_until 5 test "$(rlb_stat "server.$victim.state")" = up || true
t_assert_eq up "$(rlb_stat "server.$victim.state")" "$victim is up again once it answers"
t_assert_contains "server $victim: down -> up (2 probes in a row answered)" "$(cat "$T_DIR/radlb.log")" "logged with the reason"

# ------------------------------------------------------------ drain
# A challenge from mfa2 is open; mfa2 is drained; its answer still reaches
# mfa2 and new logins do not.
while :; do first_leg user91; [ "$ISSUER" = mfa2 ] && break; done
out=$(rlb_ctl drain mfa2)
t_assert_eq 0 $? "radlbctl drain mfa2"
t_assert_eq draining "$(rlb_stat server.mfa2.state)" "mfa2 is draining"
out=$(second_leg user91)
t_assert_contains 'Welcome user91 (mfa2)' "$out" "the open challenge's answer still reaches mfa2 and succeeds"
before=$(cat "$T_DIR/mfa2/requests.log" | wc -l)
for i in 1 2 3 4 5 6; do rlb_auth 'User-Name = "plain", User-Password = "plain-pw"' >/dev/null; done
t_assert_eq "$before" "$(cat "$T_DIR/mfa2/requests.log" | wc -l)" "no new request goes to a draining server"

# ------------------------------------------------------------ maintenance
rlb_ctl enable mfa2 >/dev/null
while :; do first_leg user92; [ "$ISSUER" = mfa3 ] && break; done
rlb_ctl maintenance mfa3 >/dev/null
t_assert_eq maintenance "$(rlb_stat server.mfa3.state)" "mfa3 is in maintenance"
start=${EPOCHREALTIME/./}
out=$(second_leg user92)
ms=$(((${EPOCHREALTIME/./} - start) / 1000))
t_assert_contains 'Session lost, please sign in again' "$out" "an answer to mfa3's challenge is rejected at once (${ms} ms)"
t_assert_contains 'control: maintenance mfa3 (uid' "$(cat "$T_DIR/radlb.log")" "the admin command is logged with the uid"
rlb_ctl enable mfa3 >/dev/null
t_assert_eq up "$(rlb_stat server.mfa3.state)" "enable brings mfa3 back"

# ------------------------------------------------------------ reroute
# A push is pending on a server that dies: the NAS keeps retransmitting; the
# first retransmission meets the closed port (server down), the next one
# goes to a live server, and the login completes there.
for i in 1 2 3; do echo 2 >"$T_DIR/mfa$i/push_delay"; done
rlb_auth 'User-Name = "push", User-Password = "push-pw"' -t 1 -r 10 >"$T_DIR/push.out" &
pusher=$!
t_wait_until 5 grep -q ' user=push$' "$T_DIR"/mfa1/requests.log "$T_DIR"/mfa2/requests.log "$T_DIR"/mfa3/requests.log || t_fail "the push reached no server"
first=$(grep -l ' user=push$' "$T_DIR"/mfa*/requests.log | head -n 1 | sed 's|.*/\(mfa[0-9]\)/requests.log|\1|')
kill -KILL "$(cat "$T_DIR/$first/pid")"
wait "$pusher"
out=$(cat "$T_DIR/push.out")
t_assert_contains 'Received Access-Accept' "$out" "the push whose server died is approved by another server"
t_assert_match "Push approved \\((mfa[123])\\)" "$out" "by $(served_by "$out"), not $first"
[ "$(served_by "$out")" != "$first" ] || t_fail "answered by the dead server?"
t_assert_eq 1 "$(rlb_stat "server.$first.rerouted")" "the request is counted as rerouted"
