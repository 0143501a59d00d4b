#!/bin/bash
# The accounting spool at its limits (issue 4, checklist 38-39): a full
# spool gives no Accounting-Response (the NAS retries), a loud log line and a
# counter, and nothing answered is lost once the master is back; a spool
# directory that cannot be used, or is used by another radlb, stops radlb
# with a clear error; a state file that cannot be written refuses the
# promotion and changes nothing; an on_promote command that hangs is killed
# after on_promote_timeout.
set -u
. "$(dirname "$0")/rlb.sh"
ACCTSTREAM=${ACCTSTREAM:-$TOP_SRCDIR/tests/tools/rlb-acctstream}
[ -x "$ACCTSTREAM" ] || t_fail "$ACCTSTREAM is not built"

rlb_farm 2
base_extra() { # SPOOL-DIR STATE-FILE ON_PROMOTE TIMEOUT
	RLB_EXTRA="health = { interval = 0.5; timeout = 0.4; rise = 2; fall = 2; };
spool = { directory = \"$1\"; max_bytes = 1048576; };
state_file = \"$2\";
on_promote = \"$3\";
on_promote_timeout = $4;"
}
state_of() { rlb_ctl --json show servers | jq -r ".servers[] | select(.name == \"$1\") | .state"; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
spool_empty() { [ "$(rlb_ctl --json show spool | jq -r .records)" = 0 ] && [ "$(rlb_ctl --json show spool | jq -r .replaying)" = 0 ]; }
detail_ids() { sed -n 's/^[[:space:]]*Acct-Session-Id = "\(.*\)"$/\1/p' "$T_DIR"/mfa*/detail 2>/dev/null | sort -u; }

base_extra "$T_DIR/spool" "$T_DIR/state" "sleep 30" 1
rlb_config
rlb_start

# ------------------------------------------------------------ full spool
kill -STOP "$(cat "$T_DIR/mfa1/pid")"
t_wait_until 5 is_state mfa1 down || t_fail "the stopped master is not marked down"
"$ACCTSTREAM" -k "$CLIENT_SECRET" -n 12000 -r 0 -w 400 -p full- -t 1 -T 120 -a "$T_DIR/answered" \
	"127.0.0.1:$RLB_ACCT" >"$T_DIR/stream.out" 2>&1 &
stream=$!
t_wait_until 30 eval '[ "$(rlb_stat acct_spool_full)" -gt 0 ]' || t_fail "the spool never filled: $(rlb_ctl show spool)"
t_pass "the 1 MiB spool fills up: $(rlb_stat acct_spool_full) Accounting-Requests left unanswered so far"
bytes=$(rlb_ctl --json show spool | jq -r .bytes)
[ "$bytes" -le 1048576 ] || t_fail "the spool holds $bytes octets, more than max_bytes"
t_pass "and stays within max_bytes ($bytes octets)"
t_assert_match 'ACCOUNTING SPOOL FULL: .* holds [0-9]+ octets \(spool.max_bytes 1048576\)' "$(cat "$T_DIR/radlb.log")" \
	"a loud log line says so"
t_assert_eq 1 "$(grep -c 'ACCOUNTING SPOOL FULL' "$T_DIR/radlb.log")" "once per 10 s, not once per request"
t_wait_until 5 eval '[ "$(rlb_stat acct_spooled)" = "$(wc -l <"$T_DIR/answered")" ]' ||
	t_fail "answered $(wc -l <"$T_DIR/answered"), spooled $(rlb_stat acct_spooled)"
t_pass "exactly the spooled records were answered ($(rlb_stat acct_spooled))"
kill -CONT "$(cat "$T_DIR/mfa1/pid")"
wait "$stream"
t_assert_contains "answered 12000 unanswered 0" "$(cat "$T_DIR/stream.out")" \
	"once the master is back, the NAS's retries are answered too"
t_wait_until 30 spool_empty || t_fail "the spool did not drain: $(rlb_ctl show spool)"
t_assert_eq "" "$(comm -23 <(sort -u "$T_DIR/answered") <(detail_ids) | head -n 3)" \
	"zero lost: every answered record is in the master's detail file"

# ------------------------------------------------------------ hanging on_promote
out=$(rlb_ctl promote mfa2)
t_assert_eq 0 $? "promote mfa2"
t_wait_until 5 grep -q 'on_promote still runs after 1 s: killing it' "$T_DIR/radlb.log" ||
	t_fail "a hanging on_promote was not killed"
t_pass "an on_promote that outlives on_promote_timeout is killed"
t_wait_until 3 grep -q 'on_promote was killed by signal 9' "$T_DIR/radlb.log" || t_fail "its end is not logged"
t_pass "and its end is logged"

# ------------------------------------------------------------ state file that cannot be written
# radlb runs without CAP_DAC_OVERRIDE here, so that a read-only directory
# stops it even as root.
mkdir -p "$T_DIR/ro" && chmod 500 "$T_DIR/ro"
rlb_stop
base_extra "$T_DIR/spool" "$T_DIR/ro/state" "" 30
rlb_config
RLB_WRAPPER="setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search" \
	rlb_start radlb-nocap
out=$(rlb_ctl promote mfa2 2>&1)
t_assert_eq 1 $? "a promotion whose state file cannot be written fails"
t_assert_contains "cannot write $T_DIR/ro/state.tmp: Permission denied; nothing changed" "$out" "and says why"
t_assert_match 'mfa1 +master ' "$(rlb_ctl show servers)" "nothing changed: mfa1 is still the master"
rlb_stop

# ------------------------------------------------------------ spool that cannot be used
touch "$T_DIR/not-a-dir"
base_extra "$T_DIR/not-a-dir/spool" "$T_DIR/state" "" 30
rlb_config
out=$(timeout 10 "$RADLB" -f "$T_DIR/radlb.conf" 2>&1)
t_assert_eq 1 $? "radlb does not start on a spool directory it cannot create"
t_assert_match "accounting spool: .*not-a-dir.*spool.directory" "$out" "and says which and what to do"

base_extra "$T_DIR/spool" "$T_DIR/state" "" 30
rlb_config
rlb_start radlb-first
sed -i "s#$T_DIR/radlb.sock#$T_DIR/second.sock#" "$T_DIR/radlb.conf"
sed -i "s/port = $RLB_AUTH;/port = $(t_free_port udp);/; s/port = $RLB_ACCT;/port = $(t_free_port udp);/" "$T_DIR/radlb.conf"
out=$(timeout 10 "$RADLB" -f "$T_DIR/radlb.conf" 2>&1)
t_assert_eq 1 $? "a second radlb on the same spool directory does not start"
t_assert_match "in use by another process" "$out" "and says the spool is in use"
