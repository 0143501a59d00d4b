#!/bin/bash
# The master and its writes (issue 4, checklist 19-21): accounting goes to
# the master only; the master stopped during an accounting stream loses
# nothing (every Accounting-Response the NAS got has its record in a
# master's detail file after recovery), also when radlb itself is killed
# with -9 mid-stream and restarted; "radlbctl promote mfa2" moves new
# accounting to mfa2, survives a restart, runs on_promote; write
# Access-Requests are rejected while no master takes writes; promotions of
# down or unknown servers are refused with a clear error and a non-zero
# exit; a drained server gets no new first legs but its open challenges are
# still answered.
set -u
. "$(dirname "$0")/rlb.sh"
ACCTSTREAM=${ACCTSTREAM:-$TOP_SRCDIR/tests/tools/rlb-acctstream}
[ -x "$ACCTSTREAM" ] || t_fail "$ACCTSTREAM is not built"

rlb_farm 3
RLB_EXTRA="health = { interval = 0.5; timeout = 0.4; rise = 2; fall = 2; };
writes = ( { code = \"Accounting-Request\"; },
           { attribute = \"NAS-Identifier\"; equals = \"enrollment-portal\"; } );
spool = { directory = \"$T_DIR/spool\"; max_bytes = 10000000; };
state_file = \"$T_DIR/state/radlb.state\";
on_promote = \"echo \\\"\$RADLB_OLD_MASTER \$RADLB_NEW_MASTER \$RADLB_EPOCH\\\" >>$T_DIR/on_promote.out\";"
rlb_config
rlb_start

state_of() { rlb_ctl --json show servers | jq -r ".servers[] | select(.name == \"$1\") | .state"; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
spool_records() { rlb_ctl --json show spool | jq -r .records; }
spool_empty() { [ "$(spool_records)" = 0 ] && [ "$(rlb_ctl --json show spool | jq -r .replaying)" = 0 ]; }
pid_of() { cat "$T_DIR/$1/pid"; }
# session ids in the detail files of the given servers
detail_ids() {
	local s
	for s in "$@"; do
		sed -n 's/^[[:space:]]*Acct-Session-Id = "\(.*\)"$/\1/p' "$T_DIR/$s/detail" 2>/dev/null
	done | sort -u
}
# lost ANSWERED_FILE: answered ids with no record in any server's detail file
lost() {
	comm -23 <(sort -u "$1") <(detail_ids mfa1 mfa2 mfa3)
}
acct() { # SESSION-ID [NAS-Identifier]
	rlb_acct "Acct-Status-Type = Start, Acct-Session-Id = \"$1\", User-Name = \"u-$1\", NAS-Identifier = \"${2:-nas}\""
}

# ------------------------------------------------------------ writes go to the master
out=$(acct plain-1)
t_assert_contains 'Received Accounting-Response' "$out" "accounting is answered"
t_wait_until 3 grep -q 'plain-1' "$T_DIR/mfa1/detail" || t_fail "plain-1 is not in the master's detail"
for i in 2 3 4 5 6; do acct "plain-$i" >/dev/null; done
t_assert_eq "plain-1 plain-2 plain-3 plain-4 plain-5 plain-6" "$(detail_ids mfa1 | grep plain | tr '\n' ' ' | sed 's/ $//')" \
	"every accounting record reaches the master"
t_assert_eq "" "$(detail_ids mfa2 mfa3)" "and none a subordinate"
for i in 1 2 3 4 5; do
	rlb_auth 'User-Name = "plain", User-Password = "plain-pw", NAS-Identifier = "enrollment-portal"' >/dev/null
done
t_assert_eq "mfa1=5 mfa2=0 mfa3=0" "$(count_requests plain)" "a write Access-Request (NAS-Identifier rule) goes to the master only"
t_assert_eq 11 "$(rlb_stat writes)" "11 requests classified as writes"

# ------------------------------------------------------------ master stopped mid-stream
"$ACCTSTREAM" -k "$CLIENT_SECRET" -n 600 -r 100 -p stream1- -t 1 -T 60 -a "$T_DIR/answered1" \
	"127.0.0.1:$RLB_ACCT" >"$T_DIR/stream1.out" 2>&1 &
stream=$!
sleep 1.5
kill -STOP "$(pid_of mfa1)"
t_wait_until 5 is_state mfa1 down || t_fail "the stopped master is not marked down"
sleep 0.5
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw", NAS-Identifier = "enrollment-portal"')
t_assert_contains 'Received Access-Reject' "$out" "no master: a write Access-Request is rejected"
t_assert_contains 'the master MFA server is unavailable' "$out" "with no_master_reply_message"
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" "a read (an ordinary login) still works"
t_wait_until 3 eval '[ "$(rlb_stat master.seconds_without)" -ge 1 ]' || t_fail "no gauge of seconds without a master"
t_pass "show stats: master.seconds_without = $(rlb_stat master.seconds_without)"
t_assert_match 'no master takes writes' "$(cat "$T_DIR/radlb.log")" "the missing master is logged"
[ "$(spool_records)" -gt 0 ] || t_fail "nothing was spooled while the master was down"
t_pass "accounting is spooled while the master is down ($(spool_records) records)"
sleep 2
kill -CONT "$(pid_of mfa1)"
wait "$stream"
t_assert_contains "answered 600 unanswered 0" "$(cat "$T_DIR/stream1.out")" "the NAS got an answer for all 600 records"
t_wait_until 20 spool_empty || t_fail "the spool did not drain: $(rlb_ctl show spool)"
t_assert_eq "" "$(lost "$T_DIR/answered1" | head -n 5)" "zero lost: every answered record is in the master's detail file"
t_assert_eq 600 "$(detail_ids mfa1 | grep -c '^stream1-')" "all 600 are on the master"
t_assert_eq "" "$(detail_ids mfa2 mfa3)" "none on a subordinate"
delay=$(sed -n 's/^[[:space:]]*Acct-Delay-Time = //p' "$T_DIR/mfa1/detail" | sort -n | tail -n 1)
[ "${delay:-0}" -ge 1 ] || t_fail "replayed records carry no Acct-Delay-Time"
t_pass "replayed records carry Acct-Delay-Time (up to $delay s)"

# ------------------------------------------------------------ kill -9 mid-stream
kill -STOP "$(pid_of mfa1)"
t_wait_until 5 is_state mfa1 down || t_fail "the stopped master is not marked down"
"$ACCTSTREAM" -k "$CLIENT_SECRET" -n 500 -r 100 -p stream2- -t 1 -T 90 -a "$T_DIR/answered2" \
	"127.0.0.1:$RLB_ACCT" >"$T_DIR/stream2.out" 2>&1 &
stream=$!
sleep 2
t_wait_until 3 eval '[ "$(spool_records)" -gt 50 ]' || t_fail "nothing spooled"
kill -9 "$RLB_PID"
wait "$RLB_PID" 2>/dev/null
t_log "radlb killed with -9 with $(wc -l <"$T_DIR/answered2") records answered"
sleep 1
rlb_start radlb-after-kill
t_assert_match 'records .* from before this start wait for a master' "$(cat "$T_DIR/radlb-after-kill.log")" \
	"the restarted radlb finds the spooled records"
sleep 2
kill -CONT "$(pid_of mfa1)"
wait "$stream"
t_assert_contains "answered 500 unanswered 0" "$(cat "$T_DIR/stream2.out")" "the NAS got an answer for all 500 (retrying across the restart)"
t_wait_until 30 spool_empty || t_fail "the spool did not drain after the restart: $(rlb_ctl show spool)"
t_assert_eq "" "$(lost "$T_DIR/answered2" | head -n 5)" "zero lost across kill -9: every answered record is in the master's detail file"

# ------------------------------------------------------------ promotion
out=$(rlb_ctl promote mfa9 2>&1)
t_assert_eq 1 $? "promote of an unknown server exits 1"
t_assert_contains 'no server named "mfa9"' "$out" "and says so"
out=$(rlb_ctl promote 2>&1)
t_assert_eq 1 $? "promote without a name exits 1"
t_assert_contains 'usage: promote [POOL/]NAME [force]' "$out" "and gives the usage"
out=$(rlb_ctl promote mfa1 2>&1)
t_assert_eq 1 $? "promoting the master again exits 1"
kill -STOP "$(pid_of mfa3)"
t_wait_until 5 is_state mfa3 down || t_fail "mfa3 is not marked down"
out=$(rlb_ctl promote mfa3 2>&1)
t_assert_eq 1 $? "promoting a down server exits 1"
t_assert_contains 'mfa3 is down' "$out" "and says why, and how to force it"
t_assert_contains 'force' "$out" "(force)"
kill -CONT "$(pid_of mfa3)"

out=$(rlb_ctl promote mfa2)
t_assert_eq 0 $? "radlbctl promote mfa2 exits 0"
t_assert_contains 'mfa2 is the master (epoch 1)' "$out" "and says so"
t_assert_match 'promotion: mfa2 is the master \(epoch 1; was mfa1\), by uid [0-9]+' "$(cat "$T_DIR/radlb-after-kill.log")" \
	"an audit line names the new master, the old one, the epoch and the peer uid"
t_assert_match 'master mfa2' "$(cat "$T_DIR/state/radlb.state")" "the state file names mfa2"
t_wait_until 5 test -s "$T_DIR/on_promote.out" || t_fail "on_promote did not run"
t_assert_eq "mfa1 mfa2 1" "$(cat "$T_DIR/on_promote.out")" "on_promote ran with the old master, the new one and the epoch"
for i in 1 2 3 4; do acct "after-promote-$i" >/dev/null; done
t_assert_eq 4 "$(detail_ids mfa2 | grep -c '^after-promote-')" "new accounting goes to mfa2's detail file"
t_assert_eq 0 "$(detail_ids mfa1 | grep -c '^after-promote-')" "and no longer to mfa1's"
t_assert_match 'mfa2 +master ' "$(rlb_ctl show servers)" "show servers: mfa2 is the master"
t_assert_match 'mfa1 +subordinate ' "$(rlb_ctl show servers)" "mfa1 a subordinate"

rlb_stop
rlb_start radlb-restarted
t_assert_match 'mfa2 +master ' "$(rlb_ctl show servers)" "the promotion survives a restart"
t_assert_eq 1 "$(rlb_ctl --json show servers | jq .master.epoch)" "with its epoch"
acct after-restart-1 >/dev/null
t_assert_eq 1 "$(detail_ids mfa2 | grep -c '^after-restart-1$')" "accounting still goes to mfa2 after the restart"

# forced promotion of a down server
kill -STOP "$(pid_of mfa3)"
t_wait_until 5 is_state mfa3 down || t_fail "mfa3 is not marked down"
out=$(rlb_ctl promote mfa3 force)
t_assert_eq 0 $? "promote mfa3 force promotes a down server"
t_assert_eq '"mfa3"' "$(rlb_ctl --json show servers | jq .master.name)" "mfa3 is the master (epoch 2)"
out=$(acct while-mfa3-down)
t_assert_contains 'Received Accounting-Response' "$out" "accounting for a down master is spooled and answered"
kill -CONT "$(pid_of mfa3)"
t_wait_until 10 spool_empty || t_fail "the spool did not drain to mfa3"
t_wait_until 3 eval '[ "$(detail_ids mfa3 | grep -c "^while-mfa3-down$")" = 1 ]' || t_fail "the spooled record is not in mfa3's detail"
t_pass "and replayed to it once it answers"
out=$(rlb_ctl promote mfa2)
t_assert_eq 0 $? "promote mfa2 again"

# ------------------------------------------------------------ drain
out=$(rlb_auth 'User-Name = "user32", User-Password = "pw-user32"')
issuer=$(served_by "$out")
state=$(attr State "$out")
[ -n "$issuer" ] && [ -n "$state" ] || t_fail "no challenge for user32: $out"
out=$(rlb_ctl drain "$issuer")
t_assert_eq 0 $? "radlbctl drain $issuer"
code=$("$MFA" code --dir "$T_DIR/$issuer" --user user32 --state "$state")
out=$(rlb_auth "User-Name = \"user32\", User-Password = \"$code\", State = $state")
t_assert_contains 'Received Access-Accept' "$out" "the open challenge on the drained $issuer is still answered"
for u in 33 34 35 36 37 38; do
	out=$(rlb_auth "User-Name = \"user$u\", User-Password = \"pw-user$u\"")
	[ "$(served_by "$out")" != "$issuer" ] || t_fail "a new first leg went to the drained $issuer"
done
t_pass "no new first legs reach the drained $issuer"
out=$(rlb_ctl drain nosuch 2>&1)
t_assert_eq 1 $? "drain of an unknown server exits 1"
t_assert_contains 'no server named "nosuch"' "$out" "and says so"
rlb_ctl enable "$issuer" >/dev/null
