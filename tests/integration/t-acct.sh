#!/bin/bash
# Accounting through radlb: re-signed with the server secret (checklist 9),
# landing in one server's detail file, Accounting-Response back to the NAS
# with its Proxy-State; a bad Request Authenticator is dropped.
set -u
. "$(dirname "$0")/rlb.sh"

rlb_farm 3
rlb_config
rlb_start

out=$(rlb_acct 'User-Name = "alice", Acct-Status-Type = Start, Acct-Session-Id = "sess-0001", NAS-Identifier = "vpn-gw-1", Proxy-State = 0x5151')
t_assert_contains 'Received Accounting-Response' "$out" "Accounting-Request answered with Accounting-Response"
t_assert_eq "0x5151" "$(attr Proxy-State "$out")" "Proxy-State echoed in the Accounting-Response"
files=$(grep -l 'sess-0001' "$T_DIR"/mfa*/detail 2>/dev/null | wc -l)
t_assert_eq 1 "$files" "the record landed in exactly one server's detail file"
t_assert_contains 'vpn-gw-1' "$(cat "$T_DIR"/mfa*/detail)" "with its attributes"

out=$(rlb_acct 'User-Name = "alice", Acct-Status-Type = Stop, Acct-Session-Id = "sess-0001", Acct-Session-Time = 42')
t_assert_contains 'Received Accounting-Response' "$out" "Stop answered"
t_assert_eq 2 "$(cat "$T_DIR"/mfa*/accounting.log | grep -c 'session=sess-0001')" "Start and Stop both reached a server"

# Wrong client secret: bad Request Authenticator, silently dropped (RFC 5080 2.3.3).
before=$(rlb_stat drop.bad_request_authenticator)
out=$(printf 'User-Name = "mallory", Acct-Status-Type = Start, Acct-Session-Id = "bad-1"\n' |
	t_radclient -x -t 1 "127.0.0.1:$RLB_ACCT" acct "not-the-secret" 2>&1)
t_assert_contains 'No reply' "$out" "an Accounting-Request with a bad authenticator gets no reply"
t_assert_eq $((before + 1)) "$(rlb_stat drop.bad_request_authenticator)" "and is counted"
t_assert_eq 0 "$(cat "$T_DIR"/mfa*/accounting.log | grep -c 'bad-1')" "and never reaches a server"

# Accounting on the auth port is refused (wrong socket).
out=$(printf 'User-Name = "x", Acct-Status-Type = Start\n' |
	t_radclient -x -t 1 "127.0.0.1:$RLB_AUTH" acct "$CLIENT_SECRET" 2>&1)
t_assert_contains 'No reply' "$out" "Accounting-Request on the auth port is dropped"
t_assert_eq 1 "$(rlb_stat drop.unexpected_code)" "counted as unexpected_code"
