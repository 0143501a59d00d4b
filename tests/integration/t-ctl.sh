#!/bin/bash
# The control socket and radlbctl: commands from one table, text and JSON,
# exit codes, socket permissions (checklist 37).
set -u
. "$(dirname "$0")/rlb.sh"

rlb_farm 2
rlb_config
rlb_start

t_assert_eq 660 "$(stat -c %a "$RLB_SOCK")" "the control socket has mode 0660 (not world-writable)"

out=$(rlb_ctl help)
t_assert_eq 0 $? "radlbctl help exits 0"
for cmd in "show servers" "show clients" "show stats" "show config"; do
	t_assert_contains "$cmd" "$out" "help lists \"$cmd\""
done

out=$(rlb_ctl show servers)
t_assert_match 'mfa1 +master ' "$out" "show servers: mfa1 is the master"
t_assert_match 'mfa2 +subordinate ' "$out" "show servers: mfa2 is a subordinate"

rlb_auth 'User-Name = "plain", User-Password = "plain-pw"' >/dev/null
json=$(rlb_ctl --json show servers)
t_assert_eq 0 $? "radlbctl --json show servers exits 0"
t_assert_eq 2 "$(printf '%s' "$json" | jq '.servers | length')" "the JSON lists two servers"
t_assert_eq 1 "$(printf '%s' "$json" | jq '[.servers[].counters.access_accepts] | add')" "and counts the Accept"
t_assert_eq '"master"' "$(printf '%s' "$json" | jq '.servers[] | select(.name == "mfa1") | .role')" "with roles"

json=$(rlb_ctl --json show stats)
t_assert_eq 1 "$(printf '%s' "$json" | jq '.counters.requests')" "show stats --json: one request"
t_assert_eq 1 "$(printf '%s' "$json" | jq '.clients.nas.replies')" "one reply to client nas"

out=$(rlb_ctl show config)
t_assert_contains 'secret = "********"' "$out" "show config masks secrets"
t_assert_eq 0 "$(printf '%s' "$out" | grep -c "$CLIENT_SECRET")" "and never prints one"

out=$(rlb_ctl frobnicate 2>&1)
t_assert_eq 1 $? "an unknown command exits 1"
t_assert_contains 'unknown command "frobnicate"' "$out" "and says so"
out=$(rlb_ctl show servers now 2>&1)
t_assert_eq 1 $? "extra arguments are refused"

out=$("$RADLBCTL" -s "$T_DIR/nowhere.sock" help 2>&1)
t_assert_eq 2 $? "an unreachable socket exits 2"
t_assert_contains 'cannot reach radlb' "$out" "and says so"

# A second radlb must not steal a running one's socket.
out=$(timeout 10 "$RADLB" -f "$T_DIR/radlb.conf" 2>&1)
t_assert_eq 1 $? "a second radlb on the same configuration refuses to start"
t_assert_match 'in use|bind' "$out" "and says why"
t_assert_eq 0 "$(rlb_ctl help >/dev/null; echo $?)" "the first radlb still answers"
