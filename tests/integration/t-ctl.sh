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
for cmd in "show servers" "show sessions" "show spool" "show clients" "show stats" "show config" "show pools" "show routes" "route N share PERCENT" "promote [POOL/]NAME [force]"; do
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
t_assert_eq 1 "$(printf '%s' "$json" | jq '.metrics.requests')" "show stats --json: one request"
t_assert_eq 1 "$(printf '%s' "$json" | jq '.clients.nas.replies')" "one reply to client nas"

# show sessions: an open challenge, with its issuer
out=$(rlb_auth 'User-Name = "user41", User-Password = "pw-user41"')
issuer=$(served_by "$out")
state=$(attr State "$out" | sed 's/^0x//')
out=$(rlb_ctl show sessions)
t_assert_match "challenge sessions: 1 " "$out" "show sessions counts the open challenge"
t_assert_match "${state:0:40}[0-9a-f.]* +$issuer " "$out" "and lists its State with the server that issued it"
json=$(rlb_ctl --json show sessions)
t_assert_eq 1 "$(printf '%s' "$json" | jq ".per_server.$issuer")" "per server in JSON"
t_assert_eq 1 "$(rlb_ctl --json show servers | jq ".servers[] | select(.name == \"$issuer\") | .sessions")" \
	"show servers: the issuer has one session"
out=$(rlb_ctl show spool)
t_assert_contains 'no spool' "$out" "show spool without spool.directory says there is none"

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

# ------------------------------------------------------------ read level
# A user in control.group (not root, not radlb's user) may read, not act.
rlb_stop
sed -i 's|^control = { socket = "\([^"]*\)"; mode = "0660"; };|control = { socket = "\1"; mode = "0660"; group = "nogroup"; };|' "$T_DIR/radlb.conf"
grep -q 'group = "nogroup"' "$T_DIR/radlb.conf" || t_fail "could not set control.group"
rlb_start radlb-group
chmod 755 "$T_DIR"
t_assert_eq nogroup "$(stat -c %G "$RLB_SOCK")" "the socket belongs to control.group"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$RADLBCTL" -s "$RLB_SOCK" "$@"; }
out=$(as_nobody show servers 2>&1)
t_assert_eq 0 $? "a member of the group runs read commands"
t_assert_match 'mfa1 +master ' "$out" "and gets their output"
for cmd in "drain mfa2" "maintenance mfa2" "enable mfa2" "promote mfa2"; do
	# shellcheck disable=SC2086
	out=$(as_nobody $cmd 2>&1)
	t_assert_eq 1 $? "\"$cmd\" at the read level exits 1"
	t_assert_contains "needs admin rights" "$out" "and says it needs admin rights"
done
t_assert_match 'mfa1 +master ' "$(rlb_ctl show servers)" "nothing changed"
