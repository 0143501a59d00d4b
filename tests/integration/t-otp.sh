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

N=60
declare -A issuers=()
ok=0
for ((i = 1; i <= N; i++)); do
	rlb_otp_login "user$i" "pw-user$i" || t_fail "user$i: no challenge: $LOGIN_REPLY"
	issuers[$LOGIN_ISSUER]=1
	if [[ $LOGIN_REPLY == *"Received Access-Accept"* ]] &&
		[[ $LOGIN_REPLY == *"Welcome user$i ($LOGIN_ISSUER)"* ]]; then
		ok=$((ok + 1))
	else
		t_log "user$i: challenge from $LOGIN_ISSUER, answer got:"
		printf '%s\n' "$LOGIN_REPLY" | sed 's/^/#   /' >&2
	fi
done
t_assert_eq "$N" "$ok" "$N SMS-OTP logins accepted, each by the server that sent the SMS"
t_assert_eq 3 "${#issuers[@]}" "first legs spread over all three servers (${!issuers[*]})"
t_assert_eq "$N" "$(rlb_stat sticky.hits)" "every answer was routed by its State"
t_assert_eq "$N" "$(rlb_stat sticky.sessions)" "one challenge session per login is remembered"

# An SMS was sent once per login, by one server only.
sms=$(cat "$T_DIR"/mfa*/sms.log | wc -l)
t_assert_eq "$N" "$sms" "exactly one SMS per login across the farm"

# A State radlb never saw (issued before a restart, or expired).
orphans=$(rlb_stat sticky.orphans)
out=$(rlb_auth "User-Name = \"user1\", User-Password = \"123456\", State = 0x$(t_hex mfa2:00000000deadbeef)")
t_assert_contains 'Received Access-Reject' "$out" "an unknown State is forwarded and the server rejects it"
t_assert_eq $((orphans + 1)) "$(rlb_stat sticky.orphans)" "the unknown State is counted as an orphan"
