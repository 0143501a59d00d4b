#!/bin/bash
# Fault injection, a retransmission storm (issue "fault-injection suite"):
# 2,000 NAS (each its own socket, its own source port; tests/tools/
# rlb-storm.py) send one push login each within a second and re-send it,
# byte for byte, every second until answered; the three MFA servers are
# slow (each push waits 2 s, and their thread pools queue the rest), so the
# storm lasts some 20 s and carries about ten retransmissions per NAS.
# Proved, from the servers' own requests.log (one line per request they
# processed; FreeRADIUS does not log a retransmission it recognises): each
# NAS's request was processed exactly once, by one server, never by a
# second one; radlb forwarded exactly one request per NAS and passed every
# retransmission to the server that has it; every NAS got its
# Access-Accept. Figures: NAS, retransmissions sent, retransmissions passed
# on (per server), requests processed, requests processed twice or by a
# second server, time until the last answer.
set -u
. "$(dirname "$0")/rlb.sh"
. "$TOP_SRCDIR/tests/lib/fault.sh"

NAS=2000
rlb_farm 3
# Slow is not down: probes may wait 2 s, 5 failures in a row mark a server
# down (10 s without an answer to Status-Server). See below for a server
# marked down all the same (a machine starved of CPU).
RLB_EXTRA='health = { interval = 2.0; timeout = 2.0; fall = 5; rise = 2; };'
rlb_config
rlb_start
for i in 1 2 3; do echo 2 >"$T_DIR/mfa$i/push_delay"; done

t0=$(f_us)
out=$("$PY" "$STORM" -k "$CLIENT_SECRET" -n $NAS -i 1 -R 1 -T 50 -N storm- "127.0.0.1:$RLB_AUTH")
elapsed=$(f_ms_since "$t0")
t_log "$out"
field() { sed -n "s/.* $1 \\([0-9]*\\) .*/\\1/p" <<<"$out"; }

nas_lines=$(cat "$T_DIR"/mfa*/requests.log | grep -o ' nas_id=storm-[0-9]* ' | sort)
processed=$(wc -l <<<"$nas_lines")
twice=$(uniq -d <<<"$nas_lines" | wc -l)
second=$(for i in 1 2 3; do grep -o ' nas_id=storm-[0-9]* ' "$T_DIR/mfa$i/requests.log" | sort -u; done | sort | uniq -d | wc -l)
forwarded=$(($(rlb_stat server.mfa1.requests) + $(rlb_stat server.mfa2.requests) + $(rlb_stat server.mfa3.requests)))
passed=$(($(rlb_stat server.mfa1.retransmissions) + $(rlb_stat server.mfa2.retransmissions) + $(rlb_stat server.mfa3.retransmissions)))
f_figure storm.nas "$NAS"
f_figure storm.answered "$(field answered)"
f_figure storm.accepted "$(field accepted)"
f_figure storm.retransmissions_sent "$(field retransmissions)"
f_figure storm.retransmissions_passed_on "$passed"
f_figure storm.requests_forwarded "$forwarded"
f_figure storm.requests_processed "$processed"
f_figure storm.processed_twice "$twice"
f_figure storm.second_server "$second"
f_figure storm.per_server "$(count_requests push | tr ' ' ',')"
f_figure storm.elapsed_ms "$elapsed"
f_figure storm.servers_went_down $(($(rlb_stat server.mfa1.went_down) + $(rlb_stat server.mfa2.went_down) + $(rlb_stat server.mfa3.went_down)))

t_assert_eq "$NAS" "$(field accepted)" "every one of the $NAS NAS got its Access-Accept"
f_assert_ge "$(field retransmissions)" $((NAS * 3)) "a storm: the NAS retransmitted at least 3 times each on average"
went_down=$(($(rlb_stat server.mfa1.went_down) + $(rlb_stat server.mfa2.went_down) + $(rlb_stat server.mfa3.went_down)))
if [ "$went_down" = 0 ]; then
	t_assert_eq "$NAS" "$processed" "the servers processed exactly one request per NAS"
	t_assert_eq 0 "$twice" "no NAS's request was processed twice"
	t_assert_eq 0 "$second" "no NAS's request reached a second server"
	t_assert_eq "$NAS" "$forwarded" "radlb forwarded one request per NAS"
	t_assert_eq "$(rlb_stat client.nas.retransmissions)" "$passed" \
		"every retransmission radlb got while the request was pending went to the server that had it"
else
	# A server too starved to answer its probes was marked down: its
	# requests still stay with it (only a refusal proves a request was
	# never received), so nothing reaches a second server either way.
	t_log "$went_down server(s) marked down during the storm: $(grep -- '-> down' "$T_DIR/radlb.log" | tr '\n' ';')"
	t_assert_eq 0 "$second" "no NAS's request reached a second server (a server was marked down meanwhile)"
	t_assert_eq 0 "$twice" "no NAS's request was processed twice (a server was marked down meanwhile)"
fi
