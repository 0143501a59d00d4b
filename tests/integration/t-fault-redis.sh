#!/bin/bash
# Fault injection, Redis (issue "fault-injection suite"): Redis killed
# (SIGKILL) and restarted under SMS-OTP load, two radlb instances A and B
# sharing challenge sessions through it. Two loads run all along:
#   local: both legs of each login through A (A's own table is enough),
#   cross: the challenge through A, the answer through B (only Redis can
#          tell B which server holds the session).
# Figures: logins lost on each load, time to detect (kill to redis.up 0 on
# both instances), time to recover (restart to redis.up 1 on both), and the
# cross logins lost once both are back. Bounds: no local login lost, ever;
# no cross login that started after the recovery lost; detection within
# 1 s (the connection closes); recovery within the reconnection backoff's
# ceiling (5 s) + 1 s. Cross logins during the outage do fail (B cannot find
# the session and balances the answer, so it reaches the issuing server one
# time in three): that is the price of a Redis outage, counted here, and
# why Redis should be replicated (Sentinel, see t-redis).
set -u
. "$(dirname "$0")/rlb.sh"
. "$TOP_SRCDIR/tests/lib/fault.sh"

stat_of() { "$RADLBCTL" -s "$T_DIR/$1.sock" show stats | awk -v k="$2" '$1 == k { print $2 }'; }
both_redis() { [ "$(stat_of A redis.up)" = "$1" ] && [ "$(stat_of B redis.up)" = "$1" ]; }
batches() { wc -l <"$T_DIR/$1.out"; }
wait_batches() {
	WB_NAME=$1 WB_WANT=$(($(batches "$1") + $2))
	t_wait_until 30 eval '[ "$(batches "$WB_NAME")" -ge "$WB_WANT" ]' || t_fail "load $1 stalled"
}
# failed_after NAME MS: failed logins in the batches of NAME that started at
# or after MS (epoch milliseconds): those whose previous batch ended then
failed_after() {
	awk -v t="$2" 'prev >= t { f += $7 } { prev = $1 } END { print f + 0 }' "$T_DIR/$1.out"
}

rlb_farm 3
RP=$(t_free_port tcp)
rlb_redis redis "$RP"
RLB_EXTRA="sticky = { store = \"redis\"; }; redis = { address = \"127.0.0.1\"; port = $RP; timeout = 0.2; };"
rlb_instance A
rlb_instance B

out=$("$OTPLOGIN" -k "$CLIENT_SECRET" -d "$T_DIR" -n 100 -c 10 -u user -f 800001 "127.0.0.1:$A_AUTH" "127.0.0.1:$B_AUTH" 2>&1)
t_assert_contains "logins 100 accepted 100 failed 0" "$out" "before the fault: challenge through A, answer through B"

f_load_start local 100001 5 "127.0.0.1:$A_AUTH"
f_load_start cross 300001 5 "127.0.0.1:$A_AUTH" "127.0.0.1:$B_AUTH"
wait_batches cross 5

# ------------------------------------------------------------ kill
t0=$(f_us)
kill -KILL "$redis_PID"
t_wait_until 10 both_redis 0 || t_fail "A and B did not notice that Redis is gone"
detect=$(f_ms_since "$t0")
wait_batches cross 20      # an outage of some 3 s under load

# ------------------------------------------------------------ restart
t0=$(f_us)
rlb_redis redis "$RP"
t_wait_until 15 both_redis 1 || t_fail "A and B did not reconnect to Redis"
recover=$(f_ms_since "$t0")
recovered_at=$(date +%s%3N)
wait_batches cross 10
f_load_stop cross
cross_logins=$LOAD_LOGINS cross_failed=$LOAD_FAILED
f_load_stop local
cross_after=$(failed_after cross "$recovered_at")

f_figure redis.detect_ms "$detect"
f_figure redis.recover_ms "$recover"
f_figure redis.local_logins "$LOAD_LOGINS"
f_figure redis.local_logins_lost "$LOAD_FAILED"
f_figure redis.cross_logins "$cross_logins"
f_figure redis.cross_logins_lost "$cross_failed"
f_figure redis.cross_logins_lost_after_recovery "$cross_after"
f_figure redis.outages_logged_A "$(grep -c 'Redis unavailable' "$T_DIR/A.log")"
f_assert_le "$detect" 1000 "Redis killed: both instances know within 1 s"
f_assert_le "$recover" 6000 "Redis restarted: both instances use it again within the backoff ceiling + 1 s"
t_assert_eq 0 "$LOAD_FAILED" "no login through one instance was lost ($LOAD_LOGINS logins)"
t_assert_eq 0 "$cross_after" "no cross-instance login started after the recovery was lost"
f_assert_ge "$cross_logins" 100 "cross-instance logins ran all along"
t_assert_eq 1 "$(grep -c 'Redis unavailable' "$T_DIR/A.log")" "A logged the outage once"
t_assert_eq 1 "$(grep -c 'Redis unavailable' "$T_DIR/B.log")" "B logged the outage once"
t_assert_contains "Redis available again" "$(cat "$T_DIR/B.log")" "and its end"

out=$("$OTPLOGIN" -k "$CLIENT_SECRET" -d "$T_DIR" -n 200 -c 10 -u user -f 800201 "127.0.0.1:$A_AUTH" "127.0.0.1:$B_AUTH" 2>&1)
t_assert_contains "logins 200 accepted 200 failed 0" "$out" "after the recovery: 200 cross-instance logins accepted"
