#!/bin/bash
# Limits (all configurable, each with a counter when hit): one NAS cannot
# take more than max_outstanding requests in flight, and the other NAS are
# served meanwhile; the reply cache stays under proxy.max_cached_replies;
# out of file descriptors, radlb refuses new TCP connections (counted,
# logged) and goes on serving the open ones and UDP.
set -u
. "$(dirname "$0")/rlb.sh"

rlb_farm 2
RLB_CLIENTS="clients = (
  { name = \"greedy\"; network = \"127.0.0.1/32\"; secret = \"$CLIENT_SECRET\"; max_outstanding = 5; },
  { name = \"calm\"; network = \"127.0.0.2/32\"; secret = \"$CLIENT_SECRET\"; }
);"
# dedup_window at its maximum: no reply leaves the cache by age while the
# 1,536 requests below go through, however slow the machine (checked), so
# that only max_cached_replies can have made room.
RLB_PROXY='max_cached_replies = 1000; response_timeout = 20.0; dedup_window = 300.0;'
rlb_config
TCP=$(t_free_port tcp) || t_fail "no free port"
sed -i "s|^listen = (|listen = (\n  { type = \"auth\"; proto = \"tcp\"; address = \"127.0.0.1\"; port = $TCP; },|" "$T_DIR/radlb.conf"
# Few descriptors: the listeners, the control socket, the stats port, the
# server sockets and about 30 connections.
RLB_WRAPPER="prlimit --nofile=64:64 ${RLB_WRAPPER:-}" rlb_start
t_assert_contains "only 64 file descriptors" "$(cat "$T_DIR/radlb.log")" \
	"too low a descriptor limit for connections.max is told at start"

a() { printf '%02x%02x%s' "$1" $((${#2} / 2 + 2)) "$2"; }
pkt() { printf '01%02x0000%s%s' "$1" "$2" "$3"; }

# ------------------------------------------------------------ max_outstanding
# Pushes of 8 s; the other NAS's login must be answered within 4 s, while
# they are all still waiting (a margin of 4 s on a busy machine).
for i in 1 2; do echo 8 >"$T_DIR/mfa$i/push_delay"; done
: >"$T_DIR/pushes.txt"
for i in $(seq 1 20); do
	printf 'User-Name = "push", User-Password = "push-pw", NAS-Port = %d\n\n' "$i" >>"$T_DIR/pushes.txt"
done
t_radclient -f "$T_DIR/pushes.txt" -p 20 -t 12 -r 1 "127.0.0.1:$RLB_AUTH" auth "$CLIENT_SECRET" \
	>"$T_DIR/pushes.out" 2>&1 &
PUSHES=$!
t_wait_until 10 sh -c "[ \$(cat $T_DIR/mfa*/requests.log 2>/dev/null | grep -c ' user=push\$') -ge 5 ]" ||
	t_fail "the pushes did not reach the servers"
# Meanwhile, the other NAS logs in at once.
t0=$(date +%s%N)
reply=$("$UDPSEND" -s 127.0.0.2 -k "$CLIENT_SECRET" -p plain-pw -w 4 127.0.0.1 "$RLB_AUTH" \
	"$(pkt 7 "$(printf '22%.0s' {1..16})" "$(a 1 "$(t_hex plain)")")")
t1=$(date +%s%N)
t_assert_match '^02' "$reply" "another NAS is served while the first has 5 pushes in flight ($(((t1 - t0) / 1000000)) ms)"
wait "$PUSHES"
t_assert_eq 5 "$(cat "$T_DIR"/mfa*/requests.log | grep -c ' user=push$')" \
	"20 pushes at once from one NAS: 5 (max_outstanding) reach the servers"
t_assert_eq 5 "$(grep -c '^Received Access-Accept' "$T_DIR/pushes.out")" "and are approved"
t_assert_eq 15 "$(rlb_stat drop.client_limit)" "15 dropped, counted in drop.client_limit"
t_assert_contains "max_outstanding" "$(cat "$T_DIR/radlb.log")" "and logged"
for i in 1 2; do echo 0 >"$T_DIR/mfa$i/push_delay"; done

# ------------------------------------------------------------ max_cached_replies
# 1,536 requests with distinct keys (6 sockets x 256 Identifiers): each
# reply is cached for dedup_window, but at most 1000 are kept. Each socket
# sends one request at a time and waits for its answer; the 6 sockets go
# at once, from the calm NAS (no max_outstanding), so that a loaded machine
# still gets them through well within dedup_window (checked below).
cache_t0=$(date +%s)
senders=()
for sock in 1 2 3 4 5 6; do
	pkts=()
	for id in $(seq 0 255); do
		pkts+=("$(pkt "$id" "$(printf '%02x' "$sock")$(printf '33%.0s' {1..15})" "$(a 1 "$(t_hex plain)")")")
	done
	"$UDPSEND" -s 127.0.0.2 -k "$CLIENT_SECRET" -p plain-pw -w 10 127.0.0.1 "$RLB_AUTH" "${pkts[@]}" \
		>"$T_DIR/cache.$sock" &
	senders+=($!)
done
for sock in 1 2 3 4 5 6; do
	wait "${senders[$((sock - 1))]}" || t_fail "socket $sock: not every request was answered"
done
t_assert_eq 1536 "$(cat "$T_DIR"/cache.* | grep -c '^02')" "1,536 requests with distinct keys all accepted"
cache_s=$(($(date +%s) - cache_t0))
[ "$cache_s" -lt 290 ] || t_fail "the 1,536 requests took $cache_s s: replies may have aged out of the cache (dedup_window 300 s), the eviction count proves nothing"
cached=$(rlb_stat cached_replies)
[ "$cached" -le 1000 ] || t_fail "$cached replies cached, more than 1000"
t_pass "the reply cache holds $cached (max_cached_replies = 1000)"
t_assert_eq 1000 "$cached" "and it is full: none aged out (dedup_window 300 s, $cache_s s spent)"
evicted=$(rlb_stat cache_evicted)
[ "$evicted" -ge 536 ] || t_fail "only $evicted replies evicted early"
t_pass "the oldest were evicted early: cache_evicted = $evicted"

# ------------------------------------------------------------ file descriptors
keep=$(mktemp -u "$T_DIR/hold.XXXX")
/usr/bin/python3 - "$TCP" 100 "$keep" <<'PY' &
import socket, sys, time, os
port, n, flag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    socks.append(s)
open(flag, "w").close()
while os.path.exists(flag):
    time.sleep(0.1)
PY
HOLDER=$!
t_wait_until 10 test -e "$keep" || t_fail "could not open 100 connections"
# While they are held, nothing new can be accepted, not even radlbctl's
# connection (it is closed at once rather than left waiting): UDP goes on.
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" "100 connections against 64 descriptors: UDP is still served"
out=$(timeout 5 "$RADLBCTL" -s "$RLB_SOCK" help 2>&1); rc=$?
[ "$rc" != 124 ] || t_fail "radlbctl hung while radlb had no descriptor left"
[ "$rc" = 2 ] || t_fail "radlbctl exit $rc: $out"
t_pass "radlbctl is refused at once, not left hanging: $out"
rm -f "$keep"
wait "$HOLDER"
t_wait_until 10 sh -c "[ \"\$(\"$RADLBCTL\" -s \"$RLB_SOCK\" show stats 2>/dev/null | awk '\$1 == \"connections.open\" { print \$2 }')\" = 0 ]" ||
	t_fail "connections not released"
n=$(rlb_stat fd_exhausted)
[ "$n" -gt 0 ] || t_fail "fd_exhausted did not move"
t_pass "connections refused for want of descriptors are counted: fd_exhausted = $n"
t_assert_contains "out of file descriptors" "$(cat "$T_DIR/radlb.log")" "and logged"
out=$(printf 'User-Name = "plain", User-Password = "plain-pw"\n' | t_radclient -P tcp -x "127.0.0.1:$TCP" auth "$CLIENT_SECRET" 2>&1)
t_assert_contains 'Received Access-Accept' "$out" "once they are gone, TCP is served again"
