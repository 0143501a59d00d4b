#!/bin/bash
# Promotion with two radlb instances sharing Redis (issue 4): a promotion
# on one instance reaches the other within one second; two promotions
# racing on the two instances cannot leave two masters (compare-and-set on
# the epoch in Redis); with Redis unreachable a promotion is refused unless
# forced, and a forced one is published once Redis is back.
set -u
. "$(dirname "$0")/rlb.sh"

start_instance() { # NAME
	RLB_EXTRA="sticky = { store = \"redis\"; };
redis = { address = \"127.0.0.1\"; port = $R1; prefix = \"radlb:\"; };
health = { interval = 0.5; timeout = 0.4; };
state_file = \"$T_DIR/$1.state\";"
	rlb_instance "$1"
}
ctl() { local i=$1; shift; "$RADLBCTL" -s "$T_DIR/$i.sock" "$@"; }
master_of() { ctl "$1" --json show servers | jq -r '"\(.master.name) \(.master.epoch)"'; }
now_ms() { date +%s%3N; }
agree() { local a; a=$(master_of A); [ -n "$a" ] && [ "$a" = "$(master_of B)" ]; }
agree_on() { agree && [ "$(master_of A | cut -d' ' -f1)" = "$1" ]; }

rlb_farm 3
R1=$(t_free_port tcp)
rlb_redis redis1 "$R1"
start_instance A
start_instance B

t_wait_until 3 eval '[ "$(redis-cli -p "$R1" get radlb:master)" = "0 mfa1" ]' ||
	t_fail "the master is not recorded in Redis: $(redis-cli -p "$R1" get radlb:master)"
t_pass "Redis holds the shared master: radlb:master = \"0 mfa1\""

# ------------------------------------------------------------ one promotion, seen by the other
out=$(ctl A promote mfa2)
t_assert_eq 0 $? "promote mfa2 on A"
t_assert_contains 'mfa2 is the master (epoch 1), on every instance' "$out" "A says every instance follows"
t0=$(now_ms)
t_wait_until 3 eval '[ "$(master_of B)" = "mfa2 1" ]' || t_fail "B did not follow the promotion: $(master_of B)"
elapsed=$(($(now_ms) - t0))
[ "$elapsed" -le 1000 ] || t_fail "B followed after $elapsed ms (more than one second)"
t_pass "B follows A's promotion within one second ($elapsed ms)"
t_assert_match 'promotion: mfa2 is the master \(epoch 1; was mfa1\), by another instance \(Redis\)' \
	"$(cat "$T_DIR/B.log")" "B logs the promotion it followed"
t_assert_match 'master mfa2' "$(cat "$T_DIR/B.state")" "and keeps it in its own state file"

# ------------------------------------------------------------ racing promotions
for round in 1 2 3 4 5; do
	ctl A promote mfa3 >"$T_DIR/raceA.$round" 2>&1 &
	a=$!
	ctl B promote mfa1 >"$T_DIR/raceB.$round" 2>&1 &
	b=$!
	wait $a; ra=$?
	wait $b; rb=$?
	# each instance follows Redis twice a second: they agree within a
	# deadline, or there are two masters
	t_wait_until 5 agree || t_fail "round $round: two masters: A has $(master_of A), B has $(master_of B)"
	ma=$(master_of A)
	# Both may succeed only one after the other (on a busy machine one
	# radlbctl can finish before the other starts): then each won a
	# different epoch and the later one is the master everywhere. Two
	# successes on one epoch would be the compare-and-set failing.
	if [ $((ra + rb)) -eq 0 ]; then
		ea=$(sed -n 's/.*(epoch \([0-9]*\)).*/\1/p' "$T_DIR/raceA.$round")
		eb=$(sed -n 's/.*(epoch \([0-9]*\)).*/\1/p' "$T_DIR/raceB.$round")
		[ -n "$ea" ] && [ -n "$eb" ] && [ "$ea" != "$eb" ] ||
			t_fail "round $round: both promotions succeeded on one epoch (A: $(cat "$T_DIR/raceA.$round"), B: $(cat "$T_DIR/raceB.$round"))"
		if [ "$ea" -gt "$eb" ]; then want="mfa3 $ea"; else want="mfa1 $eb"; fi
		[ "$ma" = "$want" ] || t_fail "round $round: one after the other (epochs $ea and $eb), but the master is $ma, not $want"
		t_log "round $round: the two promotions came one after the other (epochs $ea and $eb)"
	else
		raced=$((${raced:-0} + 1))
	fi
	[ "$(redis-cli -p "$R1" get radlb:master)" = "${ma#* } ${ma% *}" ] || t_fail "round $round: Redis disagrees"
	t_log "round $round: A exit $ra, B exit $rb; both follow $ma"
	# back to a common starting point for the next round
	ctl A promote mfa2 >/dev/null 2>&1
	t_wait_until 5 agree_on mfa2 || t_fail "round $round: B did not follow A back to mfa2: $(master_of B)"
done
t_pass "racing promotions on two instances never leave two masters (5 rounds, ${raced:-0} of them raced)"
t_assert_match 'another instance promoted|already the master' "$(cat "$T_DIR"/race[AB].*)" "the loser is told why"

# ------------------------------------------------------------ Redis unreachable
kill -STOP "$redis1_PID"
t_wait_until 8 sh -c "\"$RADLBCTL\" -s \"$T_DIR/A.sock\" show stats | grep -q '^redis.up 0'" ||
	t_fail "A did not notice Redis hung"
cur=$(master_of A)
target=mfa3
[ "${cur% *}" = mfa3 ] && target=mfa1
out=$(ctl A promote "$target" 2>&1)
t_assert_eq 1 $? "with Redis unreachable, promote is refused"
t_assert_contains 'Redis is unavailable' "$out" "and says why (add force)"
out=$(ctl A promote "$target" force)
t_assert_eq 0 $? "promote force works on this instance alone"
kill -CONT "$redis1_PID"
t_wait_until 10 eval '[ "$(master_of B | cut -d" " -f1)" = "$target" ]' ||
	t_fail "the forced promotion did not reach B once Redis was back: B has $(master_of B)"
t_pass "a forced promotion is published once Redis is back, and B follows it"
