#!/bin/bash
# MFA-aware retransmission (checklist 13, 14, 18): while a push waits on a
# human, the NAS retransmits; radlb passes each retransmission to the SAME
# server with the same proxied Identifier (a duplicate there, never a second
# login, never another server). After the reply, a retransmission gets the
# cached reply; a new authenticator on the same Identifier is a new request.
set -u
. "$(dirname "$0")/rlb.sh"

rlb_farm 3
rlb_config
rlb_start

AUTH_A=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf
AUTH_B=b0b1b2b3b4b5b6b7b8b9babbbcbdbebf
a() { printf '%02x%02x%s' "$1" $((${#2} / 2 + 2)) "$2"; }
pkt() { printf '01%02x0000%s%s' "$1" "$2" "$3"; }   # ID AUTH ATTRS (Length set by -k)

# ------------------------------------------------------------ push + retransmissions
for i in 1 2 3; do echo 3 >"$T_DIR/mfa$i/push_delay"; done
start=${EPOCHREALTIME/./}
out=$(rlb_auth 'User-Name = "push", User-Password = "push-pw"' -t 1 -r 8)
elapsed=$(((${EPOCHREALTIME/./} - start) / 1000))
t_assert_contains 'Received Access-Accept' "$out" "the push is approved after ${elapsed} ms"
t_assert_contains 'Sent Access-Request Id' "$(printf '%s\n' "$out" | sed -n '2,$p')" "radclient retransmitted while waiting"
srv=$(served_by "$out")
counts=$(count_requests push)
t_assert_eq 1 "$(printf '%s\n' "$counts" | tr ' ' '\n' | grep -c '=1$')" "exactly one server processed the login ($counts)"
t_assert_eq 0 "$(printf '%s\n' "$counts" | tr ' ' '\n' | grep -vc '=[01]$')" "no server processed it twice ($counts)"
t_assert_contains "$srv=1" "$counts" "and it is the one that answered ($srv)"
retx=$(rlb_stat "server.$srv.retransmissions")
t_assert_match '^[1-9][0-9]*$' "$retx" "$retx retransmissions passed to $srv, the server working on it"
others=$(rlb_ctl show stats | awk -v s="server.$srv.retransmissions" '$1 ~ /^server\..*\.retransmissions$/ && $1 != s { t += $2 } END { print t + 0 }')
t_assert_eq 0 "$others" "no retransmission went to any other server"
absorbed=$(rlb_stat "server.$srv.retransmissions_absorbed")
t_assert_eq "$(rlb_stat client.nas.retransmissions)" $((retx + absorbed)) \
	"the client's retransmissions are counted: $retx passed on, $absorbed absorbed (retransmit_damping)"

# Damping: the same with a hand-built packet, re-sent every 0.2 s from one
# socket. At most one copy per proxy.retransmit_damping (1.5 s) reaches the
# server: over the push's time there (radlb's latency sum for that
# server, which grows by the push's time only), at most time / 1.5; the
# others are absorbed.
srv_sum() {
	curl -sf "http://127.0.0.1:$RLB_HTTP/metrics" |
		awk -v s="$1" '$1 == "radlb_server_response_seconds_sum{server=\"" s "\",pool=\"default\"}" { printf "%d\n", $2 * 1000 }'
}
for i in 1 2 3; do
	eval "sum_before_mfa$i=\$(srv_sum mfa$i) passed_before_mfa$i=\$(rlb_stat server.mfa$i.retransmissions)"
	eval "absorbed_before_mfa$i=\$(rlb_stat server.mfa$i.retransmissions_absorbed)"
done
clients_before=$(rlb_stat client.nas.retransmissions)
reply=$("$UDPSEND" -k "$CLIENT_SECRET" -p push-pw -i 0.2 -n 100 127.0.0.1 "$RLB_AUTH" "$(pkt 42 "$AUTH_A" "$(a 1 "$(t_hex push)")")")
t_assert_match '^022a' "$reply" "a NAS re-sending every 0.2 s gets the Access-Accept (ID 42)"
total=$(cat "$T_DIR"/mfa*/requests.log | grep -c ' user=push$')
t_assert_eq 2 "$total" "that push reached one server once (2 pushes in all)"
srv=$(for i in 1 2 3; do eval "b=\$sum_before_mfa$i"; [ "$(srv_sum mfa$i)" != "$b" ] && echo "mfa$i"; done)
t_assert_match '^mfa[123]$' "$srv" "one server answered it ($srv)"
eval "passed=\$(($(rlb_stat server.$srv.retransmissions) - passed_before_$srv))"
eval "absorbed=\$(($(rlb_stat server.$srv.retransmissions_absorbed) - absorbed_before_$srv))"
eval "at_server=\$(($(srv_sum "$srv") - sum_before_$srv))"
got=$(($(rlb_stat client.nas.retransmissions) - clients_before))
t_assert_eq "$got" $((passed + absorbed)) "its $got retransmissions: $passed passed on to $srv, $absorbed absorbed"
f_bound=$((at_server / 1500))
[ "$passed" -le "$f_bound" ] || t_fail "$passed copies reached $srv in $at_server ms: more than one per 1.5 s"
t_pass "at most one copy per 1.5 s reached $srv ($passed in $at_server ms)"
[ "$absorbed" -ge $((got / 2)) ] || t_fail "only $absorbed of $got retransmissions sent every 0.2 s were absorbed"
t_pass "most of a 0.2-s NAS's retransmissions were absorbed ($absorbed of $got)"

# ------------------------------------------------------------ duplicate after the reply
# (counted from here: a NAS's last retransmission above may have crossed
# its reply and been answered from the cache too)
name=$(t_hex dupuser)
dups_before=$(rlb_stat client.nas.duplicates)
replies=$("$UDPSEND" -k "$CLIENT_SECRET" -n 3 -w 5 127.0.0.1 "$RLB_AUTH" "$(pkt 7 "$AUTH_A" "$(a 1 "$name")")")
t_assert_eq 3 "$(printf '%s\n' "$replies" | grep -c '^03')" "three identical requests get three Access-Rejects"
t_assert_eq 1 "$(printf '%s\n' "$replies" | sort -u | wc -l)" "and the three replies are byte-identical (the cached one)"
t_assert_eq 1 "$(cat "$T_DIR"/mfa*/requests.log | grep -c ' user=dupuser$')" "the server saw the request once"
t_assert_eq 2 $(($(rlb_stat client.nas.duplicates) - dups_before)) "two answers came from the reply cache"

# ------------------------------------------------------------ new authenticator, same ID
reply=$("$UDPSEND" -k "$CLIENT_SECRET" -w 5 127.0.0.1 "$RLB_AUTH" "$(pkt 7 "$AUTH_B" "$(a 1 "$name")")")
t_assert_match '^0307' "$reply" "the same ID with a new authenticator is answered"
t_assert_eq 2 "$(cat "$T_DIR"/mfa*/requests.log | grep -c ' user=dupuser$')" "as a new request (RFC 5080 2.2.2)"

# ------------------------------------------------------------ superseded while in flight
# A push is pending under ID 9; the NAS gives up and reuses ID 9 for
# another request. The new one is answered; the push's late answer is
# discarded, never sent to the NAS as the answer to the new request.
replies=$("$UDPSEND" -k "$CLIENT_SECRET" -p push-pw -w 1 127.0.0.1 "$RLB_AUTH" \
	"$(pkt 9 "$AUTH_A" "$(a 1 "$(t_hex push)")")" "$(pkt 9 "$AUTH_B" "$(a 1 "$(t_hex plain)")")")
t_assert_eq none "$(printf '%s\n' "$replies" | head -n 1)" "the push is pending when ID 9 is reused"
t_assert_match '^0309' "$(printf '%s\n' "$replies" | tail -n 1)" "the new request on ID 9 gets its own answer"
t_wait_until 8 test "$(rlb_stat drop.superseded)" = 1 || true
t_assert_eq 1 "$(rlb_stat drop.superseded)" "the replaced push's answer is discarded"
