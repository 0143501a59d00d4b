#!/bin/bash
# A server that does not answer within response_timeout: the request is
# counted and answered per the documented rule (Access-Reject with
# timeout_reply_message; accounting and timeout_action = "drop": no reply);
# its late answer is never forwarded (checklist 18, 23).
set -u
. "$(dirname "$0")/rlb.sh"

rlb_farm 2
RLB_PROXY='response_timeout = 2.0;'
# This file is about response_timeout alone: without health probes the
# stopped servers stay "up" and only the request timers act (t-health.sh
# shows the probes marking them down).
RLB_EXTRA='health = { probe = "none"; };'
rlb_config
rlb_start

kill -STOP "$(cat "$T_DIR/mfa1/pid")" "$(cat "$T_DIR/mfa2/pid")"
start=${EPOCHREALTIME/./}
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"' -t 8 -r 1)
ms=$(((${EPOCHREALTIME/./} - start) / 1000))
t_assert_contains 'Received Access-Reject' "$out" "no answer within response_timeout: Access-Reject"
t_assert_contains 'did not answer in time' "$(attr Reply-Message "$out")" "with the timeout Reply-Message"
t_assert_eq "Message-Authenticator" "$(first_attr "$out")" "Message-Authenticator first in radlb's own Reject"
t_assert_match '^(19[0-9][0-9]|2[0-9][0-9][0-9]|3[0-9][0-9][0-9])$' "$ms" "after response_timeout, not before (${ms} ms)"
t_assert_eq 1 "$(rlb_stat timeouts)" "the timeout is counted"
t_assert_eq 1 "$(rlb_stat local_rejects)" "radlb's own Reject is counted"
t_assert_eq 1 "$(rlb_ctl show stats | awk '$1 ~ /^server\..*\.timeouts$/ { t += $2 } END { print t }')" "against the server"

out=$(rlb_acct 'User-Name = "plain", Acct-Status-Type = Start, Acct-Session-Id = "t-1"' -t 4 -r 1)
t_assert_contains 'No reply' "$out" "accounting that times out gets no reply (the NAS retries)"
t_assert_eq 2 "$(rlb_stat timeouts)" "and is counted"

# The servers wake up and answer late: radlb drops those answers.
replies_before=$(rlb_stat replies)
kill -CONT "$(cat "$T_DIR/mfa1/pid")" "$(cat "$T_DIR/mfa2/pid")"
t_wait_until 5 test "$(rlb_stat drop.unknown_reply)" -ge 1 || true
t_assert_match '^[12]$' "$(rlb_stat drop.unknown_reply)" "late answers are dropped"
t_assert_eq "$replies_before" "$(rlb_stat replies)" "and never forwarded"
t_assert_contains "late answer after response_timeout" "$(cat "$T_DIR/radlb.log")" "the log says why"

# timeout_action = "drop": no reply at all.
rlb_stop
RLB_PROXY='response_timeout = 2.0; timeout_action = "drop";'
rlb_config
rlb_start radlb2
kill -STOP "$(cat "$T_DIR/mfa1/pid")" "$(cat "$T_DIR/mfa2/pid")"
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"' -t 5 -r 1)
t_assert_contains 'No reply' "$out" "timeout_action = drop: no reply"
t_assert_eq 1 "$(rlb_stat timeouts)" "still counted"

# A NAS re-sending after the timeout: the request is over, it must not start
# a second login on the other server (the first one was only asleep).
a() { printf '%02x%02x%s' "$1" $((${#2} / 2 + 2)) "$2"; }
(sleep 2.5 && kill -CONT "$(cat "$T_DIR/mfa1/pid")" "$(cat "$T_DIR/mfa2/pid")") &
waker=$!
reply=$("$UDPSEND" -k "$CLIENT_SECRET" -p x -i 3 -n 2 127.0.0.1 "$RLB_AUTH" \
	"0111000000112233445566778899aabbccddeeff$(a 1 "$(t_hex late1)")")
wait "$waker"
t_assert_eq none "$reply" "after the timeout, the NAS's retransmission gets no answer"
t_assert_eq 1 "$(rlb_stat client.nas.duplicates)" "it is recognised as a duplicate"
t_wait_until 3 test "$(cat "$T_DIR"/mfa*/requests.log | grep -c ' user=late1$')" -ge 1 || true
t_assert_eq 1 "$(cat "$T_DIR"/mfa*/requests.log | grep -c ' user=late1$')" \
	"only the original reached a server (no second login elsewhere)"
