#!/bin/bash
# SMS-OTP logins through radlb: Access-Request, Access-Challenge, the code,
# Access-Accept. First legs are spread over the three servers; every answer
# reaches the server that issued its challenge (checklist 22); an unknown
# State is balanced as a new request and counted as an orphan.
set -u
. "$(dirname "$0")/rlb.sh"

rlb_farm 3
rlb_config
rlb_start

N=1000
out=$("$OTPLOGIN" -k "$CLIENT_SECRET" -d "$T_DIR" -n "$N" -c 50 "127.0.0.1:$RLB_AUTH" 2>&1)
t_assert_contains "logins $N accepted $N failed 0" "$out" "$N SMS-OTP logins accepted, each answer by the server that sent the SMS"
t_assert_match "issuers mfa[123]=[0-9]+ mfa[123]=[0-9]+ mfa[123]=[0-9]+" "$out" "first legs spread over all three servers"
t_assert_eq "$N" "$(rlb_stat sticky.hits)" "every answer was routed by its State"
t_assert_eq "$N" "$(rlb_stat sticky.consumed)" "each session is forgotten once its answer is answered"
t_assert_eq 0 "$(rlb_stat sticky.sessions)" "none left behind"

# An SMS was sent once per login, by one server only.
sms=$(cat "$T_DIR"/mfa*/sms.log | wc -l)
t_assert_eq "$N" "$sms" "exactly one SMS per login across the farm"

# The same login with radclient, step by step.
rlb_otp_login alice 'correct horse battery' || t_fail "alice: no challenge"
t_assert_contains "Welcome alice ($LOGIN_ISSUER)" "$LOGIN_REPLY" "radclient: alice's SMS-OTP login accepted by $LOGIN_ISSUER"

# A State radlb never saw (issued before a restart, or expired).
orphans=$(rlb_stat sticky.orphans)
out=$(rlb_auth "User-Name = \"user1\", User-Password = \"123456\", State = 0x$(t_hex mfa2:00000000deadbeef)")
t_assert_contains 'Received Access-Reject' "$out" "an unknown State is forwarded and the server rejects it"
t_assert_eq $((orphans + 1)) "$(rlb_stat sticky.orphans)" "the unknown State is counted as an orphan"
