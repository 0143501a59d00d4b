#!/bin/bash
# What radlb reports of each NAS (issue 15, item 4): a NAS whose timeout is
# too short for a push (it gave up before the reply came) is counted and
# named in a log line with the timeout to raise; a NAS that never answers
# its Access-Challenges (it cannot do OTP) is named once; both show in
# radlbctl show clients and /metrics.
set -u
. "$(dirname "$0")/rlb.sh"

rlb_farm 1
rlb_config
rlb_start

# A NAS with a 1 s timeout and 3 tries (radclient -t 1 -r 3: copies at about
# 0, 1 and 2 s) against a push that takes 6 s: the reply comes well after
# its last copy, when another was due.
echo 6 >"$T_DIR/mfa1/push_delay"
out=$(rlb_auth 'User-Name = "push", User-Password = "push-pw"' -t 1 -r 3)
t_log "radclient: $(printf '%s' "$out" | tail -n 2 | tr '\n' ' ')"
t_wait_until 15 eval '[ "$(rlb_stat client.nas.late_replies)" = 1 ]' ||
	t_fail "client.nas.late_replies is $(rlb_stat client.nas.late_replies), not 1"
t_pass "the push's reply, 6 s after the request, came after the NAS had given up: client.nas.late_replies 1"
t_assert_eq 1 "$(curl -s "$RLB_URL/metrics" | awk '$1 == "radlb_client_late_replies_total{client=\"nas\"}" { print $2 }')" \
	"radlb_client_late_replies_total{client=\"nas\"} 1"
line=$(grep 'client nas: a reply came' "$T_DIR/radlb.log" | head -n 1)
t_assert_match 'it retransmitted [0-9]+ times, every [0-9.]+ s.*raise the client.s RADIUS timeout to 60 s' "$line" \
	"a log line names the NAS and the timeout to raise"
t_assert_match 'nas: 1 replies came after it had stopped retransmitting' "$(rlb_ctl show clients)" \
	"radlbctl show clients says so"

# The status page shows it in Chromium.
PY=/usr/bin/python3
rows=$(timeout 90 "$PY" "$TOP_SRCDIR/tests/tools/rlb-browse.py" --url "$RLB_URL/" --timeout 30 \
	--wait 'document.querySelector("#clients tr[data-client=\"nas\"] .late")?.textContent.trim() === "1"' \
	--eval '({ late: document.querySelector("#clients tr[data-client=\"nas\"] .late").textContent.trim(), note: document.querySelector("#clients tr[data-client=\"nas\"] .note").textContent.trim() })' \
	2>"$T_DIR/browse.err") || { cat "$T_DIR/browse.err" >&2; t_fail "the status page did not render in Chromium"; }
t_assert_eq 1 "$(printf '%s' "$rows" | jq -r .late)" "the status page's clients table: 1 late reply for nas"
t_assert_match 'raise its timeout' "$(printf '%s' "$rows" | jq -r .note)" "with the note to raise its timeout"

# The same push with a patient NAS (one try, 20 s): not late.
out=$(rlb_auth 'User-Name = "push", User-Password = "push-pw"' -t 20 -r 1)
t_assert_contains 'Received Access-Accept' "$out" "a NAS that waits 20 s gets the push's Access-Accept"
t_assert_eq 1 "$(rlb_stat client.nas.late_replies)" "and that reply is not late"

# Ten first legs of an SMS-OTP user, their challenges never answered.
for i in $(seq 1 10); do
	out=$(rlb_auth "User-Name = \"user$i\", User-Password = \"pw-user$i\"")
	printf '%s' "$out" | grep -q 'Received Access-Challenge' || t_fail "user$i: no challenge: $out"
done
t_assert_eq 10 "$(rlb_stat client.nas.challenges)" "client.nas.challenges 10"
t_assert_eq 0 "$(rlb_stat client.nas.challenge_answers)" "client.nas.challenge_answers 0"
t_wait_until 5 grep -q 'client nas answered none of the 10 Access-Challenges' "$T_DIR/radlb.log" ||
	t_fail "no line about a NAS that answers no challenge"
t_pass "radlb says once that the NAS answered none of its 10 challenges"
t_assert_match 'nas: answered none of its 10 Access-Challenges' "$(rlb_ctl show clients)" "show clients too"

# One login completed: its answer is counted, the note goes away.
rlb_otp_login alice 'correct horse battery' || t_fail "alice: no challenge"
t_assert_contains "Welcome alice" "$LOGIN_REPLY" "an SMS-OTP login through the same NAS"
t_assert_eq 1 "$(rlb_stat client.nas.challenge_answers)" "client.nas.challenge_answers 1"
t_assert_eq 0 "$(rlb_ctl show clients | grep -c 'answered none')" "the note is gone"
t_assert_eq 1 "$(grep -c 'answered none of the' "$T_DIR/radlb.log")" "the line was written once"
rlb_stop

