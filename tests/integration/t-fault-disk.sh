#!/bin/bash
# Fault injection, the spool's disk full (issue "fault-injection suite"):
# the spool lives on a small tmpfs (2 MiB) mounted by the test, a filler
# file leaves about 96 KiB of it; the master is stopped (SIGSTOP), so
# accounting goes to the spool, which fills the disk (well before its own
# spool.max_bytes). Then:
#   - no Accounting-Response for what could not be made durable (the NAS
#     retries): the NAS's answered records are exactly radlb's spooled ones,
#   - a loud log line (error level, naming the spool and the error),
#   - space returns (the filler is deleted): spooling and answers resume by
#     themselves (time to recover),
#   - the master returns: every record the NAS had answered is replayed to
#     it, none lost; the NAS's retries of the others are answered too.
# Figures: records answered before the disk filled, requests left
# unanswered while full, log lines while full, time to recover, records
# lost.
set -u
. "$(dirname "$0")/rlb.sh"
. "$TOP_SRCDIR/tests/lib/fault.sh"
[ -x "$ACCTSTREAM" ] || t_fail "$ACCTSTREAM is not built"

N=3000
DISK=$T_DIR/spooldisk
f_tmpfs "$DISK" 2m
rlb_farm 2
RLB_EXTRA="health = { interval = 0.5; timeout = 0.4; rise = 2; fall = 2; };
spool = { directory = \"$DISK/spool\"; max_bytes = 100000000; };
state_file = \"$T_DIR/radlb.state\";"
rlb_config
rlb_start

spool_empty() { [ "$(rlb_ctl --json show spool | jq -r .records)" = 0 ] && [ "$(rlb_ctl --json show spool | jq -r .replaying)" = 0 ]; }
detail_ids() { sed -n 's/^[[:space:]]*Acct-Session-Id = "\(.*\)"$/\1/p' "$T_DIR"/mfa*/detail 2>/dev/null | sort -u; }
answered() { wc -l <"$T_DIR/answered"; }

# leave about 96 KiB free
avail=$(df -k --output=avail "$DISK" | tail -n 1)
dd if=/dev/zero of="$DISK/filler" bs=1k count=$((avail - 96)) status=none || t_fail "cannot write the filler"
t_log "tmpfs: $(df -k --output=size,used,avail "$DISK" | tail -n 1 | tr -s ' ') (kB: size used avail)"

kill -STOP "$(cat "$T_DIR/mfa1/pid")"
f_cleanup_add "kill -CONT $(cat "$T_DIR/mfa1/pid")"
t_wait_until 5 f_is_state mfa1 down || t_fail "the stopped master is not marked down"
: >"$T_DIR/answered"
"$ACCTSTREAM" -k "$CLIENT_SECRET" -n $N -r 400 -w 200 -p disk- -t 1 -T 50 -a "$T_DIR/answered" \
	"127.0.0.1:$RLB_ACCT" >"$T_DIR/stream.out" 2>&1 &
stream=$!
t_register_daemon acctstream $stream ""

# ------------------------------------------------------------ the disk fills
t_wait_until 20 eval '[ "$(rlb_stat acct_spool_full)" -gt 0 ]' || t_fail "the disk never filled: $(rlb_ctl show spool)"
full_at=$(f_us)
lines0=$(wc -l <"$T_DIR/radlb.log")
before_full=$(rlb_stat acct_spooled)
f_assert_ge "$before_full" 100 "records were spooled and answered until the disk filled"
# stay full for 2 s of the NAS's retries (the condition is the time itself)
t_wait_until 3 false
unanswered=$(rlb_stat acct_spool_full)
t_assert_eq "$(rlb_stat acct_spooled)" "$(answered)" "while full: the NAS got exactly the answers of the spooled records"
t_assert_eq "$before_full" "$(rlb_stat acct_spooled)" "and nothing more was answered while the disk was full"
t_assert_match 'radlb error: spool .*/spool/[^ ]*: (write|fdatasync): No space left on device: [0-9]+ records not spooled' \
	"$(cat "$T_DIR/radlb.log")" "a loud log line names the spool and the error"
full_lines=$(($(wc -l <"$T_DIR/radlb.log") - lines0))
f_figure disk.answered_before_full "$before_full"
f_figure disk.unanswered_while_full "$unanswered"
f_figure disk.log_lines_in_2s_full "$full_lines"
# radlb bug (reported): acctspool.c logs "the group commit failed" at every
# failed commit, without the rate limit of every other such line.
f_assert_le "$full_lines" 10 "the log is rate-limited while the disk stays full"

# ------------------------------------------------------------ space returns
rm -f "$DISK/filler"
t0=$(f_us)
t_wait_until 10 eval '[ "$(answered)" -gt "$before_full" ]' || t_fail "no record was answered once space returned"
recover=$(f_ms_since "$t0")
f_figure disk.recover_ms "$recover"
f_assert_le "$recover" 2000 "space back: accounting is spooled and answered again within 2 s (the NAS's next retry)"

# ------------------------------------------------------------ the master returns
t_wait_until 20 eval '[ "$(answered)" -ge $((N / 2)) ]' || t_fail "the stream does not go on"
kill -CONT "$(cat "$T_DIR/mfa1/pid")"
wait "$stream"
t_assert_contains "answered $N unanswered 0" "$(cat "$T_DIR/stream.out")" "every one of the $N records was answered in the end"
t_wait_until 20 spool_empty || t_fail "the spool did not drain: $(rlb_ctl show spool)"
lost=$(comm -23 <(sort -u "$T_DIR/answered") <(detail_ids) | wc -l)
f_figure disk.records_lost "$lost"
t_assert_eq 0 "$lost" "zero lost: every answered record is in the master's detail file"
t_assert_eq 0 "$(find "$DISK/spool" -name '*.seg' -size +0 2>/dev/null | wc -l)" "and the spool's segments are gone"
