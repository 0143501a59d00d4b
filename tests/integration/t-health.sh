#!/bin/bash
# Health checks (issue 4, checklist 17): active probes mark a stopped server
# down within interval x fall (+1 s) and back up after rise answered probes,
# each change logged once with its reason; logins go on on the others
# meanwhile; a slow answer (a push waiting on a human) never marks a server
# down, it only makes radlb probe at once (passive detection);
# probe = "access-request" counts a signed Access-Reject as alive.
set -u
. "$(dirname "$0")/rlb.sh"

INTERVAL=1.0 TIMEOUT=0.5 RISE=2 FALL=3
rlb_farm 3
RLB_EXTRA="health = { probe = \"status-server\"; interval = $INTERVAL; timeout = $TIMEOUT; rise = $RISE; fall = $FALL; };"
rlb_config
rlb_start

state_of() { rlb_ctl --json show servers | jq -r ".servers[] | select(.name == \"$1\") | .state"; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
now_ms() { date +%s%3N; }

t_wait_until 5 eval '[ "$(rlb_stat server.mfa2.probes)" -ge 2 ]' || t_fail "mfa2 is not probed"
t_assert_eq up "$(state_of mfa2)" "mfa2 is up and probed"
json=$(rlb_ctl --json show servers)
t_assert_eq '"answered"' "$(printf '%s' "$json" | jq '.servers[] | select(.name == "mfa2") | .health.last')" \
	"show servers gives the last probe's result"
t_assert_match 'ok x[0-9]+ ' "$(rlb_ctl show servers)" "and the text table shows the probes' health"

# ------------------------------------------------------------ stopped -> down
kill -STOP "$(cat "$T_DIR/mfa2/pid")"
t0=$(now_ms)
t_wait_until 10 is_state mfa2 down || t_fail "mfa2 was not marked down"
elapsed=$(($(now_ms) - t0))
limit=$(awk -v i=$INTERVAL -v f=$FALL 'BEGIN { print (i * f + 1) * 1000 }')
t_log "mfa2 stopped: marked down after $elapsed ms (limit $limit ms)"
[ "$elapsed" -le "$limit" ] || t_fail "mfa2 went down after $elapsed ms, more than interval x fall + 1 s"
t_pass "a stopped server is down within interval x fall + 1 s ($elapsed ms)"
t_assert_eq 1 "$(grep -c 'server mfa2: up -> down' "$T_DIR/radlb.log")" "the change is logged once"
t_assert_match 'server mfa2: up -> down \(3 probes in a row failed: no answer within 0.5 s\)' \
	"$(cat "$T_DIR/radlb.log")" "with its reason"

# Logins continue on the others meanwhile, none reaches mfa2.
for u in 1 2 3 4 5 6; do
	rlb_otp_login "user$u" "pw-user$u" || t_fail "login user$u failed while mfa2 is down: $LOGIN_REPLY"
	t_assert_contains 'Received Access-Accept' "$LOGIN_REPLY" "user$u logs in while mfa2 is down (on $LOGIN_ISSUER)"
	[ "$LOGIN_ISSUER" != mfa2 ] || t_fail "user$u was sent to mfa2, which is down"
done

# ------------------------------------------------------------ back -> up
kill -CONT "$(cat "$T_DIR/mfa2/pid")"
t0=$(now_ms)
t_wait_until 10 is_state mfa2 up || t_fail "mfa2 did not come back up"
elapsed=$(($(now_ms) - t0))
t_log "mfa2 continued: up after $elapsed ms"
limit=$(awk -v i=$INTERVAL -v r=$RISE 'BEGIN { print (i * r + 1) * 1000 }')
[ "$elapsed" -le "$limit" ] || t_fail "mfa2 came back after $elapsed ms (limit $limit ms)"
t_pass "a server that answers again is up after rise probes ($elapsed ms)"
t_assert_eq 1 "$(grep -c 'server mfa2: down -> up' "$T_DIR/radlb.log")" "logged once"
t_assert_match 'server mfa2: down -> up \(2 probes in a row answered\)' "$(cat "$T_DIR/radlb.log")" "with its reason"

# New logins reach mfa2 again.
seen=""
for u in 7 8 9 10 11 12 13 14 15; do
	rlb_otp_login "user$u" "pw-user$u" || t_fail "login user$u: $LOGIN_REPLY"
	seen="$seen $LOGIN_ISSUER"
done
t_assert_contains mfa2 "$seen" "mfa2 takes logins again"

# ------------------------------------------------------------ slow is not down
# Pushes waiting 4 s on every server: replies stop for longer than the probe
# timeout, radlb suspects the servers and probes them at once, the probes are
# answered, and no server goes down.
for i in 1 2 3; do echo 4 >"$T_DIR/mfa$i/push_delay"; done
before=$(( $(rlb_stat server.mfa1.suspicions) + $(rlb_stat server.mfa2.suspicions) + $(rlb_stat server.mfa3.suspicions) ))
pids=""
for n in 1 2 3 4 5 6; do
	rlb_auth 'User-Name = "push", User-Password = "push-pw"' -t 10 -r 1 >"$T_DIR/push$n.out" &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
for n in 1 2 3 4 5 6; do
	t_assert_contains 'Received Access-Accept' "$(cat "$T_DIR/push$n.out")" "slow push $n is approved"
done
after=$(( $(rlb_stat server.mfa1.suspicions) + $(rlb_stat server.mfa2.suspicions) + $(rlb_stat server.mfa3.suspicions) ))
[ "$after" -gt "$before" ] || t_fail "no server was suspected while pushes waited 4 s"
t_pass "unanswered live requests made radlb probe at once ($((after - before)) suspicions)"
for i in 1 2 3; do
	t_assert_eq up "$(state_of "mfa$i")" "mfa$i is still up after 4 s without answers (slow is not down)"
done
t_assert_eq 1 "$(grep -c ' -> down' "$T_DIR/radlb.log")" "no server went down but the stopped one"
rlb_stop

# ------------------------------------------------------------ access-request probes
# Servers that do not answer Status-Server: with probe = "status-server" they
# would be down; with "access-request" the probe user's Access-Reject says
# they are alive.
for i in 1 2 3; do "$MFA" stop --dir "$T_DIR/mfa$i"; done
rlb_farm 2 --no-status-server
RLB_EXTRA="health = { probe = \"access-request\"; probe_user = \"radlb-probe\"; probe_password = \"not-a-real-password\"; interval = $INTERVAL; timeout = $TIMEOUT; rise = $RISE; fall = $FALL; };"
rlb_config
rlb_start radlb-ar
t_wait_until 5 eval '[ "$(rlb_stat server.mfa1.probes)" -ge 3 ]' || t_fail "mfa1 is not probed"
t_assert_eq up "$(state_of mfa1)" "access-request probes: a server that rejects the probe user is up"
t_assert_eq 0 "$(rlb_stat server.mfa1.probe_failures)" "and no probe failed"
t_assert_match 'radlb-probe' "$(cat "$T_DIR/mfa1/requests.log")" "the probe reached the server as an Access-Request"
kill -STOP "$(cat "$T_DIR/mfa1/pid")"
t_wait_until 6 is_state mfa1 down || t_fail "a stopped server is not marked down with access-request probes"
t_pass "access-request probes mark a stopped server down"
kill -CONT "$(cat "$T_DIR/mfa1/pid")"
t_wait_until 6 is_state mfa1 up || t_fail "mfa1 did not come back"
t_pass "and up again when it answers"
rlb_stop

# The same servers with Status-Server probes: never answered, so down.
RLB_EXTRA="health = { probe = \"status-server\"; interval = $INTERVAL; timeout = $TIMEOUT; rise = $RISE; fall = $FALL; };"
rlb_config
rlb_start radlb-ss
t_wait_until 8 is_state mfa2 down || t_fail "Status-Server probes of a server that ignores them should fail"
t_pass "status-server probes to a server that ignores Status-Server mark it down (use access-request there)"

rlb_stop

# ------------------------------------------------------------ slow is not down
# A probe that waits in a busy server's queue, behind the requests it is
# working through, gets no answer in time although the server answers its
# requests all along. The same servers stand in for that: they never
# answer Status-Server, and a NAS keeps logging in through radlb (one login
# at a time, round-robin over both). While their replies come, a probe
# without an answer is late, not failed: both stay up. Once the logins
# stop, only the probes are left and both go down: the late rule does not
# hide a server that answers nothing.
RLB_PROXY='balance = "round-robin";'
RLB_EXTRA="health = { probe = \"status-server\"; interval = 1.0; timeout = 1.0; rise = $RISE; fall = $FALL; };"
rlb_config
rlb_start radlb-late
printf 'User-Name = "plain", User-Password = "plain-pw"\n' >"$T_DIR/plain.txt"
radclient -D "$T_DICTDIR" -f "$T_DIR/plain.txt" -c 1000000 -p 1 -t 5 -r 1 -q \
	"127.0.0.1:$RLB_AUTH" auth "$CLIENT_SECRET" >"$T_DIR/nas.log" 2>&1 &
NAS=$!
t_register_daemon radclient "$NAS" "$T_DIR/nas.log"
late_enough() { [ "$(rlb_stat server.mfa1.probes_late)" -ge 4 ] && [ "$(rlb_stat server.mfa2.probes_late)" -ge 4 ]; }
t_wait_until 30 late_enough || t_fail "no late probes counted while the servers answered logins"
t_assert_eq "up up" "$(state_of mfa1) $(state_of mfa2)" \
	"4 probes each unanswered while the servers answered logins: both still up (slow is not down)"
t_assert_eq 0 $(($(rlb_stat server.mfa1.went_down) + $(rlb_stat server.mfa2.went_down))) "neither was ever marked down"
t_assert_match 'server mfa[12]: probe not answered within 1 s, but [0-9]+ replies came meanwhile .*slow, not down' \
	"$(cat "$T_DIR/radlb-late.log")" "a late probe is logged"
json=$(rlb_ctl --json show servers)
t_assert_match '^"late \([0-9]+ replies meanwhile\)"$' \
	"$(printf '%s' "$json" | jq '.servers[] | select(.name == "mfa1") | .health.last')" "show servers says the last probe was late"
kill "$NAS" 2>/dev/null
wait "$NAS" 2>/dev/null
t_wait_until 15 eval 'is_state mfa1 down && is_state mfa2 down' ||
	t_fail "the logins stopped and the probes are still unanswered: the servers should be down"
t_pass "once the logins stop, the unanswered probes mark both down"
