#!/bin/bash
# Challenge sessions shared by two radlb instances through a real
# redis-server (sticky.store = "redis"): each login's challenge passes
# through one instance and its answer through the other. Redis killed or
# hung in the middle: no stall, logins through one instance keep working,
# one log line per outage, counters and the up gauge; Redis back: shared
# again. AUTH and SELECT, a replica refused (ROLE), and Redis Sentinel
# naming the master, also across a failover.
set -u
. "$(dirname "$0")/rlb.sh"

start_redis() { rlb_redis "$@"; }
# start_instance NAME REDIS-SECTION: radlb NAME on its own ports, sharing through Redis
start_instance() {
	RLB_EXTRA="sticky = { store = \"redis\"; }; redis = { $2 };"
	rlb_instance "$1"
}
stat_of() { "$RADLBCTL" -s "$T_DIR/$1.sock" show stats | awk -v k="$2" '$1 == k { print $2 }'; }

rlb_farm 3
R1=$(t_free_port tcp)
start_redis redis1 "$R1"
start_instance A "address = \"127.0.0.1\"; port = $R1; prefix = \"radlb:\";"
start_instance B "address = \"127.0.0.1\"; port = $R1; prefix = \"radlb:\";"

# ------------------------------------------------------------ shared sessions
out=$("$OTPLOGIN" -k "$CLIENT_SECRET" -d "$T_DIR" -n 1000 -c 40 "127.0.0.1:$A_AUTH" "127.0.0.1:$B_AUTH" 2>&1)
case $out in
*"logins 1000 accepted 1000 failed 0"*) ;;
*) for i in A B; do     # what each instance saw, for the failure's reader
	"$RADLBCTL" -s "$T_DIR/$i.sock" show stats | grep -E '^(redis|sticky)\.' | sed "s/^/# $i: /"
done ;;
esac
t_assert_contains "logins 1000 accepted 1000 failed 0" "$out" "1,000 logins, challenge through A and answer through B, all accepted"
t_assert_match "issuers mfa[123]=[0-9]+ mfa[123]=[0-9]+ mfa[123]=[0-9]+" "$out" "first legs spread over the three servers"
t_assert_eq 1000 "$(stat_of B redis.hits)" "B found every session in Redis"
t_assert_eq 1000 "$(stat_of A redis.sets)" "A wrote every challenge to Redis"
t_assert_eq 0 "$(redis-cli -p "$R1" --scan --pattern 'radlb:s:*' | wc -l)" \
	"each session is deleted from Redis once its answer is answered"
RLB_AUTH=$A_AUTH
out=$(rlb_auth 'User-Name = "user7000", User-Password = "pw-user7000"')
key=$(redis-cli -p "$R1" --scan --pattern 'radlb:s:*')
t_assert_eq "radlb:s:$(attr State "$out" | sed 's/^0x//')" "$key" "an open challenge is in Redis under redis.prefix, as hex(State)"
ttl=$(redis-cli -p "$R1" pttl "$key")
t_assert_match '^(29[0-9]|300)[0-9]{3}$' "$ttl" "and expires with sticky.ttl ($ttl ms)"
# The session carries its login (log.auth): the answer's line on B names
# the login A's line started.
value=$(redis-cli -p "$R1" get "$key")
t_assert_match '^mfa[123] [0-9a-f]{16} 1 [0-9]+\.[0-9]{3}$' "$value" "the session's value: its server, then its login id, leg and start"
issuer=${value%% *}
code=$("$MFA" code --dir "$T_DIR/$issuer" --user user7000 --state "$(attr State "$out")")
RLB_AUTH=$B_AUTH
out=$(rlb_auth "User-Name = \"user7000\", User-Password = \"$code\", State = $(attr State "$out")")
t_assert_contains "Received Access-Accept" "$out" "user7000's code, answered through B, is accepted"
login=$(sed -n 's/.* auth: login=\([0-9a-f]*\) leg=1 .*user="user7000" .*result=challenge.*/\1/p' "$T_DIR/A.log")
t_wait_for grep -q 'user="user7000" .*result=accept' "$T_DIR/B.log" || t_fail "no accept line on B"
t_assert_match "auth: login=$login leg=2 client=nas .*user=\"user7000\" server=$issuer result=accept ms=[0-9]+ challenges=1 login_ms=[0-9]+$" \
	"$(grep 'user="user7000"' "$T_DIR/B.log")" "B's line carries the login id A gave its first leg ($login), leg 2"

# ------------------------------------------------------------ Redis killed in the middle
"$OTPLOGIN" -k "$CLIENT_SECRET" -d "$T_DIR" -n 3000 -c 20 -u user -f 5001 "127.0.0.1:$A_AUTH" \
	>"$T_DIR/during.out" 2>&1 &
logins=$!
sleep 0.3
kill -KILL "$redis1_PID"
wait "$logins"
out=$(cat "$T_DIR/during.out")
t_assert_contains "logins 3000 accepted 3000 failed 0" "$out" "Redis killed during 3,000 logins through A: every one accepted"
slowest=$(sed -n 's/^slowest \([0-9.]*\) s/\1/p' <<<"$out")
t_assert_match '^0\.[0-4]' "$slowest" "no stall: the slowest reply took ${slowest} s"
t_wait_until 5 sh -c "\"$RADLBCTL\" -s \"$T_DIR/A.sock\" show stats | grep -q '^redis.up 0'" || true
t_assert_eq 0 "$(stat_of A redis.up)" "the up gauge says 0"
t_assert_eq 1 "$(stat_of A redis.outages)" "one outage counted"
sleep 1.5   # several reconnection attempts fail meanwhile
t_assert_eq 1 "$(grep -c 'Redis unavailable' "$T_DIR/A.log")" "one log line for the outage, not one per attempt"
t_assert_match '^[1-9]' "$(stat_of A redis.skipped)" "writes skipped while Redis is gone are counted"

# ------------------------------------------------------------ Redis back
start_redis redis1 "$R1"
t_wait_until 8 sh -c "\"$RADLBCTL\" -s \"$T_DIR/A.sock\" show stats | grep -q '^redis.up 1'" ||
	t_fail "A did not reconnect"
t_wait_until 8 sh -c "\"$RADLBCTL\" -s \"$T_DIR/B.sock\" show stats | grep -q '^redis.up 1'" ||
	t_fail "B did not reconnect"
t_assert_contains "Redis available again" "$(cat "$T_DIR/A.log")" "the recovery is logged"
out=$("$OTPLOGIN" -k "$CLIENT_SECRET" -d "$T_DIR" -n 100 -f 9001 "127.0.0.1:$A_AUTH" "127.0.0.1:$B_AUTH" 2>&1)
t_assert_contains "logins 100 accepted 100" "$out" "shared again once Redis is back"

# ------------------------------------------------------------ Redis hung (SIGSTOP)
kill -STOP "$redis1_PID"
start=${EPOCHREALTIME/./}
out=$("$OTPLOGIN" -k "$CLIENT_SECRET" -d "$T_DIR" -n 50 -c 10 -f 9501 "127.0.0.1:$A_AUTH" 2>&1)
ms=$(((${EPOCHREALTIME/./} - start) / 1000))
t_assert_contains "logins 50 accepted 50" "$out" "Redis hung: logins through one instance still succeed"
slowest=$(sed -n 's/^slowest \([0-9.]*\) s/\1/p' <<<"$out")
t_assert_match '^0\.[0-4]' "$slowest" "each reply within the normal time (slowest ${slowest} s, all ${ms} ms)"
t_wait_until 5 sh -c "\"$RADLBCTL\" -s \"$T_DIR/A.sock\" show stats | grep -q '^redis.up 0'" || true
t_assert_eq 0 "$(stat_of A redis.up)" "a Redis that stopped answering is dropped by the watchdog"
t_assert_contains "has not answered for" "$(cat "$T_DIR/A.log")" "and the log says why"
kill -CONT "$redis1_PID"
t_wait_until 8 sh -c "\"$RADLBCTL\" -s \"$T_DIR/A.sock\" show stats | grep -q '^redis.up 1'" ||
	t_fail "A did not reconnect after the hang"
kill -TERM "$A_PID" "$B_PID"

# ------------------------------------------------------------ AUTH and SELECT
R2=$(t_free_port tcp)
REDIS_AUTH='redis-pass-0123456789' start_redis redis2 "$R2" --requirepass 'redis-pass-0123456789'
start_instance C "address = \"127.0.0.1\"; port = $R2; password = \"redis-pass-0123456789\"; database = 3;"
RLB_AUTH=$C_AUTH
rlb_auth 'User-Name = "user1", User-Password = "pw-user1"' >/dev/null
t_assert_eq 1 "$(redis-cli -p "$R2" -a redis-pass-0123456789 --no-auth-warning -n 3 --scan --pattern 'radlb:s:*' | wc -l)" \
	"with a password, the session lands in database 3"
t_assert_eq 0 "$(grep -c 'redis-pass' "$T_DIR/C.log")" "the password never appears in the log"

start_instance_fails() { # NAME REDIS-SECTION EXPECTED-LOG
	RLB_EXTRA="sticky = { store = \"redis\"; }; redis = { $2 };"
	rlb_config
	sed -i "s#$T_DIR/radlb.sock#$T_DIR/$1.sock#" "$T_DIR/radlb.conf"
	"$RADLB" -f "$T_DIR/radlb.conf" 2>>"$T_DIR/$1.log" &
	t_register_daemon "$1" $! "$T_DIR/$1.log"
	t_wait_until 5 grep -q "$3" "$T_DIR/$1.log"
	t_assert_contains "$3" "$(cat "$T_DIR/$1.log")" "$1: $3"
	RLB_SOCK=$T_DIR/$1.sock
	out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
	t_assert_contains 'Received Access-Accept' "$out" "$1: RADIUS goes on without Redis"
}
start_instance_fails D "address = \"127.0.0.1\"; port = $R2; password = \"wrong\";" "AUTH refused"

# ------------------------------------------------------------ an ACL user (Redis 6+)
# The default user is off: only "radlb", limited to radlb's keys, gets in.
R6=$(t_free_port tcp)
REDIS_USER=radlb REDIS_AUTH='acl-pass-0123456789' start_redis redis6 "$R6" \
	--user default off --user radlb on '>acl-pass-0123456789' '~radlb:*' '&*' '+@all'
acl_cli() { redis-cli -p "$R6" --user radlb -a acl-pass-0123456789 --no-auth-warning "$@"; }
start_instance H "address = \"127.0.0.1\"; port = $R6; username = \"radlb\"; password = \"acl-pass-0123456789\";"
RLB_AUTH=$H_AUTH
rlb_auth 'User-Name = "user1", User-Password = "pw-user1"' >/dev/null
t_assert_eq 1 "$(acl_cli --scan --pattern 'radlb:s:*' | wc -l)" \
	"as the ACL user radlb (AUTH radlb <password>), the session lands in Redis"
t_assert_eq 0 "$(grep -c 'acl-pass' "$T_DIR/H.log")" "the ACL user's password never appears in the log"
start_instance_fails I "address = \"127.0.0.1\"; port = $R6; username = \"radlb\"; password = \"wrong\";" \
	"AUTH refused"
start_instance_fails J "address = \"127.0.0.1\"; port = $R6; password = \"acl-pass-0123456789\";" \
	"AUTH refused"
RLB_EXTRA='sticky = { store = "redis"; }; redis = { username = "radlb"; };'
rlb_config
out=$("$RADLB" -C -f "$T_DIR/radlb.conf" 2>&1) && t_fail "radlb -C accepted a username without a password"
t_assert_contains "key \"username\": needs a password" "$out" "radlb -C: an ACL user needs a password ($out)"

# ------------------------------------------------------------ a replica is refused (ROLE)
R3=$(t_free_port tcp)
start_redis replica "$R3" --replicaof 127.0.0.1 "$R1"
start_instance_fails E "address = \"127.0.0.1\"; port = $R3;" "is not the master (ROLE: slave)"

# ------------------------------------------------------------ Sentinel
S1=$(t_free_port tcp)
printf 'port %s\nbind 127.0.0.1\nsentinel monitor radlbm 127.0.0.1 %s 1\nsentinel down-after-milliseconds radlbm 1000\nsentinel failover-timeout radlbm 5000\n' \
	"$S1" "$R1" >"$T_DIR/sentinel.conf"
redis-server "$T_DIR/sentinel.conf" --sentinel >"$T_DIR/sentinel.log" 2>&1 &
t_register_daemon sentinel $! "$T_DIR/sentinel.log"
t_wait_for redis-cli -p "$S1" ping || t_fail "sentinel did not start"
t_wait_until 10 sh -c "redis-cli -p $S1 sentinel replicas radlbm | grep -q $R3" || true
start_instance F "sentinels = [ \"127.0.0.1:$S1\" ]; master_name = \"radlbm\";"
t_assert_contains "Redis ready at 127.0.0.1:$R1" "$(cat "$T_DIR/F.log")" "through Sentinel, radlb finds the master"
RLB_AUTH=$F_AUTH
before=$(redis-cli -p "$R1" dbsize)
rlb_auth 'User-Name = "user2", User-Password = "pw-user2"' >/dev/null
t_assert_eq $((before + 1)) "$(redis-cli -p "$R1" dbsize)" "and writes there"

redis-cli -p "$S1" sentinel failover radlbm >/dev/null
t_wait_until 15 sh -c "redis-cli -p $S1 sentinel get-master-addr-by-name radlbm | grep -q $R3" ||
	t_fail "the failover did not happen"
t_wait_until 10 sh -c "\"$RADLBCTL\" -s \"$T_DIR/F.sock\" show stats | grep -q '^redis.up 1' && grep -q 'Redis available again at 127.0.0.1:$R3' \"$T_DIR/F.log\"" || true
t_wait_until 10 sh -c "rlb_x() { printf 'User-Name = \"user3\", User-Password = \"pw-user3\"\n' | radclient -D /usr/share/freeradius -t 2 -r 1 127.0.0.1:$F_AUTH auth '$CLIENT_SECRET' >/dev/null 2>&1; }; rlb_x; redis-cli -p $R3 --scan --pattern 'radlb:s:*' | grep -q ."
t_assert_match "^[1-9]" "$(redis-cli -p "$R3" dbsize)" "after the failover, sessions are written to the new master ($R3)"
t_assert_contains "127.0.0.1:$R3" "$(grep -E 'Redis (ready|available)' "$T_DIR/F.log" | tail -n 1)" \
	"radlb asked Sentinel again and connected to it"

# ------------------------------------------------------------ a Sentinel with a password
# A second Sentinel, with requirepass, watching the master the failover left.
S2=$(t_free_port tcp)
printf 'port %s\nbind 127.0.0.1\nrequirepass sentinel-pass-0123\nsentinel monitor radlbm2 127.0.0.1 %s 1\n' \
	"$S2" "$R3" >"$T_DIR/sentinel2.conf"
redis-server "$T_DIR/sentinel2.conf" --sentinel >"$T_DIR/sentinel2.log" 2>&1 &
t_register_daemon sentinel2 $! "$T_DIR/sentinel2.log"
t_wait_for sh -c "redis-cli -p $S2 -a sentinel-pass-0123 --no-auth-warning ping | grep -qx PONG" ||
	t_fail "sentinel2 did not start"
start_instance K "sentinels = [ \"127.0.0.1:$S2\" ]; master_name = \"radlbm2\"; sentinel_password = \"sentinel-pass-0123\";"
t_assert_contains "Redis ready at 127.0.0.1:$R3" "$(cat "$T_DIR/K.log")" \
	"with sentinel_password, radlb asks a Sentinel that has requirepass"
t_assert_eq 0 "$(grep -c 'sentinel-pass' "$T_DIR/K.log")" "the Sentinel's password never appears in the log"
t_assert_eq 0 "$("$RADLBCTL" -s "$T_DIR/K.sock" show config | grep -c 'sentinel-pass')" \
	"nor in radlbctl show config"
start_instance_fails L "sentinels = [ \"127.0.0.1:$S2\" ]; master_name = \"radlbm2\"; sentinel_password = \"wrong\";" \
	"AUTH refused by Sentinel 127.0.0.1:$S2"

# ------------------------------------------------------------ a master demoted under radlb (READONLY)
R4=$(t_free_port tcp)
R5=$(t_free_port tcp)
start_redis redis4 "$R4"
start_redis redis5 "$R5"
start_instance G "address = \"127.0.0.1\"; port = $R4;"
RLB_AUTH=$G_AUTH
redis-cli -p "$R4" replicaof 127.0.0.1 "$R5" >/dev/null
rlb_auth 'User-Name = "user4", User-Password = "pw-user4"' >/dev/null
t_wait_until 5 grep -q "became a replica (READONLY)\|is not the master" "$T_DIR/G.log" || true
t_assert_match "became a replica \(READONLY\)|is not the master" "$(cat "$T_DIR/G.log")" \
	"a master demoted under radlb is noticed (its writes are refused)"
t_assert_eq 0 "$(stat_of G redis.up)" "and no longer used"
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" "RADIUS goes on"
