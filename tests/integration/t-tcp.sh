#!/bin/bash
# RADIUS over TCP (RFC 6613), toward radlb and from radlb:
#  - TCP listeners (type auth, type acct, and one of the default type "any"):
#    radclient -P tcp logins (plain, with its encrypted reply attributes, and
#    SMS-OTP, whose answer reaches the server that issued the challenge),
#    accounting (an Access-Request on the acct listener is dropped, its
#    connection closed: RFC 6613 2.6.4); many
#    requests on one connection (radclient -f, 200 pipelined
#    in one write, two packets in one segment, one packet split in 1-octet
#    writes);
#  - malformed stream input (a Length of 10, of 5000, an attribute of length 1)
#    closes that connection only, counted in connections.closed_malformed,
#    while a login on another connection completes; a silent connection is
#    closed after connections.idle_timeout; connections.max refuses more;
#  - UDP client -> radlb -> TCP server (FreeRADIUS with "proto = tcp"):
#    logins, accounting and Status-Server probes over TCP; a NAS retransmitting
#    is not forwarded (FreeRADIUS over TCP takes a repeated packet as a new
#    request, so its log would show two); a stopped server is down at once and
#    up again once radlb reconnects;
#  - TCP client -> radlb -> slow UDP server: radlb retransmits every
#    proxy.retransmit_interval (the server logs the duplicates) and stops as
#    soon as the client's connection is closed.
set -u
. "$(dirname "$0")/rlb.sh"
. "$TOP_SRCDIR/tests/lib/tls.sh"

# tcp_radclient PORT CMD ATTRS [radclient options]: radclient over TCP.
tcp_radclient() {
	local port=$1 cmd=$2 attrs=$3
	shift 3
	printf '%s\n' "$attrs" | t_radclient -P tcp -x "$@" "127.0.0.1:$port" "$cmd" "$CLIENT_SECRET" 2>&1
	return 0
}

# tcp_otp_login PORT USER PASSWORD: rlb_otp_login over TCP (one connection
# per leg, as radclient does). Sets LOGIN_ISSUER and LOGIN_REPLY.
tcp_otp_login() {
	local port=$1 out state code
	out=$(tcp_radclient "$port" auth "User-Name = \"$2\", User-Password = \"$3\"")
	LOGIN_ISSUER=$(served_by "$out")
	state=$(attr State "$out")
	LOGIN_REPLY=$out
	[ -n "$LOGIN_ISSUER" ] && [ -n "$state" ] || return 1
	code=$("$MFA" code --dir "$T_DIR/$LOGIN_ISSUER" --user "$2" --state "$state") || return 1
	LOGIN_REPLY=$(tcp_radclient "$port" auth "User-Name = \"$2\", User-Password = \"$code\", State = $state")
}

listen_entry() { # TYPE PORT ("" TYPE: the default)
	printf '{ %sproto = "tcp"; address = "127.0.0.1"; port = %s; }' "${1:+type = \"$1\"; }" "$2"
}

closed() { [[ $1 == eof* || $1 == reset* ]]; }

# ==================================================================== TCP front end
rlb_farm 2
TCP_AUTH=$(t_free_port tcp) && TCP_ACCT=$(t_free_port tcp) && TCP_ANY=$(t_free_port tcp) || t_fail "no free port"
IDLE=3
RLB_EXTRA="connections = { idle_timeout = $IDLE.0; };"
rlb_config
rlb_add_listen "$(listen_entry auth "$TCP_AUTH")"
rlb_add_listen "$(listen_entry acct "$TCP_ACCT")"
rlb_add_listen "$(listen_entry "" "$TCP_ANY")"
rlb_check_config
rlb_start

for p in $TCP_AUTH $TCP_ACCT $TCP_ANY; do
	t_assert_match "LISTEN .*127\.0\.0\.1:$p " "$(ss -Hltnp "sport = :$p")" "radlb listens on TCP 127.0.0.1:$p"
done
t_assert_match "127\.0\.0\.1:$RLB_AUTH " "$(ss -Hlunp "sport = :$RLB_AUTH")" "and still on its UDP ports"

# ------------------------------------------------------------ plain login over TCP
acc0=$(rlb_stat connections.accepted)
out=$(tcp_radclient "$TCP_AUTH" auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" "radclient -P tcp: plain login accepted"
srv=$(served_by "$out")
t_assert_match '^mfa[12]$' "$srv" "served by a farm server ($srv)"
t_assert_eq "tunnel-secret-$srv" "$(attr Tunnel-Password:0 "$out")" "Tunnel-Password re-encrypted for the TCP client"
t_assert_eq 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "$(attr MS-MPPE-Send-Key "$out")" \
	"MS-MPPE-Send-Key re-encrypted for the TCP client"
t_assert_contains "pass_hex=$(t_hex plain-pw) " "$(tail -n 1 "$T_DIR/$srv/requests.log")" \
	"the password reached the server intact"
t_assert_eq $((acc0 + 1)) "$(rlb_stat connections.accepted)" "connections.accepted counts the connection"

# ------------------------------------------------------------ SMS-OTP over TCP
hits0=$(rlb_stat sticky.hits)
tcp_otp_login "$TCP_AUTH" alice 'correct horse battery' || t_fail "alice over TCP: no challenge: $LOGIN_REPLY"
t_assert_contains "Welcome alice ($LOGIN_ISSUER)" "$LOGIN_REPLY" "SMS-OTP over TCP: alice accepted by $LOGIN_ISSUER, the issuer"
t_assert_eq 2 "$(grep -c ' user=alice$' "$T_DIR/$LOGIN_ISSUER/requests.log")" "both legs reached $LOGIN_ISSUER"
t_assert_eq $((hits0 + 1)) "$(rlb_stat sticky.hits)" "the answer was routed by its State"

# Both legs on ONE connection.
for u in 1 2 3 4; do
	out=$(stream -k "$CLIENT_SECRET" "127.0.0.1:$TCP_AUTH" otp "user$u" "pw-user$u" "$T_DIR")
	issuer=$(printf '%s\n' "$out" | sed -n 's/^issuer //p')
	t_assert_contains "Welcome user$u ($issuer)" "$out" "SMS-OTP, both legs on one connection: user$u accepted by $issuer"
done

# ------------------------------------------------------------ accounting over TCP
out=$(tcp_radclient "$TCP_ACCT" acct 'User-Name = "alice", Acct-Status-Type = Start, Acct-Session-Id = "tcp-0001", Proxy-State = 0x5151')
t_assert_contains 'Received Accounting-Response' "$out" "Accounting-Request over TCP answered"
t_assert_eq 0x5151 "$(attr Proxy-State "$out")" "with its Proxy-State"
t_assert_eq 1 "$(cat "$T_DIR"/mfa*/accounting.log | grep -c 'session=tcp-0001')" "the record reached one server"
# An Access-Request on the acct-only listener is dropped; over TCP "silently
# discard" means "discard and close the connection" (RFC 6613 2.6.4).
unexp0=$(rlb_stat drop.unexpected_code)
out=$(stream -k "$CLIENT_SECRET" -t 3 "127.0.0.1:$TCP_ACCT" auth plain plain-pw)
closed "$out" || t_fail "an Access-Request on the acct listener: the connection was not closed ($out)"
t_pass "an Access-Request on a TCP acct listener is dropped and its connection closed ($out)"
t_assert_eq $((unexp0 + 1)) "$(rlb_stat drop.unexpected_code)" "counted in drop.unexpected_code"

# ------------------------------------------------------------ type "any": both on one port
out=$(tcp_radclient "$TCP_ANY" auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" "a TCP listener of the default type takes Access-Requests"
out=$(tcp_radclient "$TCP_ANY" acct 'User-Name = "alice", Acct-Status-Type = Stop, Acct-Session-Id = "tcp-0001"')
t_assert_contains 'Received Accounting-Response' "$out" "and Accounting-Requests"
# Status-Server is answered by radlb itself; Identifier 0 without
# Proxy-State once made radlb loop for ever (collect_proxy_state walked the
# header as attributes when the request had no Proxy-State).
for id in 0 1 77; do
	out=$(stream -k "$CLIENT_SECRET" --id "$id" "127.0.0.1:$TCP_ANY" status)
	t_assert_contains "Received Access-Accept Id $id" "$out" "and Status-Server (Identifier $id), answered by radlb"
done

# ------------------------------------------------------------ many requests, one connection
: >"$T_DIR/many.txt"
for u in $(seq 101 120); do
	printf 'User-Name = "user%s", User-Password = "pw-user%s"\n\n' "$u" "$u" >>"$T_DIR/many.txt"
done
acc0=$(rlb_stat connections.accepted)
out=$(t_radclient -P tcp -f "$T_DIR/many.txt" -x "127.0.0.1:$TCP_AUTH" auth "$CLIENT_SECRET" 2>&1)
t_assert_eq 20 "$(printf '%s\n' "$out" | grep -c '^Received Access-Challenge')" "radclient -f: 20 requests over TCP answered"
t_assert_eq $((acc0 + 1)) "$(rlb_stat connections.accepted)" "over one connection"
t_assert_eq 20 "$(cat "$T_DIR"/mfa*/sms.log | grep -c 'user=user1[012][0-9] ')" "20 SMS sent"

acc0=$(rlb_stat connections.accepted)
out=$(stream -k "$CLIENT_SECRET" -t 10 "127.0.0.1:$TCP_AUTH" many 200)
t_assert_eq "sent 200 replies 200 accepts 200 challenges 0 rejects 0" "$out" "200 requests pipelined in one write, all answered"
t_assert_eq $((acc0 + 1)) "$(rlb_stat connections.accepted)" "on one connection"
out=$(stream -k "$CLIENT_SECRET" "127.0.0.1:$TCP_AUTH" pair)
t_assert_eq 2 "$(printf '%s\n' "$out" | grep -c '^Received Access-Accept')" "two packets in one segment: both answered"
out=$(stream -k "$CLIENT_SECRET" "127.0.0.1:$TCP_AUTH" trickle)
t_assert_contains 'Received Access-Accept' "$out" "a packet written one octet at a time is answered"

# ------------------------------------------------------------ malformed input
# A login in progress on its own connection (a 2 s push) while three other
# connections send garbage: theirs are closed, it completes.
for i in 1 2; do echo 2 >"$T_DIR/mfa$i/push_delay"; done
mal0=$(rlb_stat connections.closed_malformed)
stream -k "$CLIENT_SECRET" -t 10 "127.0.0.1:$TCP_AUTH" auth push push-pw >"$T_DIR/push.out" 2>&1 &
push=$!
t_wait_until 5 eval "cat '$T_DIR'/mfa*/requests.log | grep -q ' user=push$'" || t_fail "the push did not reach a server"
for len in 10 5000; do
	out=$(stream -k "$CLIENT_SECRET" -t 5 "127.0.0.1:$TCP_AUTH" malformed "$len")
	closed "$out" || t_fail "Length $len: the connection was not closed ($out)"
	t_pass "a header with Length $len: radlb closes that connection ($out)"
done
out=$(stream -k "$CLIENT_SECRET" -t 5 "127.0.0.1:$TCP_AUTH" badattr)
closed "$out" || t_fail "an attribute of length 1: the connection was not closed ($out)"
t_pass "a packet failing validation (attribute length 1): connection closed ($out)"
wait "$push"
t_assert_contains 'Received Access-Accept' "$(cat "$T_DIR/push.out")" "the push on another connection completed meanwhile"
t_assert_eq $((mal0 + 3)) "$(rlb_stat connections.closed_malformed)" "connections.closed_malformed counts the three"
out=$(tcp_radclient "$TCP_AUTH" auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" "the listener still takes new connections"
kill -0 "$RLB_PID" || t_fail "radlb died"

# ------------------------------------------------------------ idle connections
idle0=$(rlb_stat connections.closed_idle)
out=$(stream -k "$CLIENT_SECRET" -t $((IDLE + 5)) "127.0.0.1:$TCP_AUTH" idle)
t_log "silent connection: $out"
[[ $out =~ ^(eof|reset)\ after\ ([0-9]+)\.[0-9]+\ s$ ]] || t_fail "a silent connection was not closed ($out)"
secs=${BASH_REMATCH[2]}
[ "$secs" -ge $((IDLE - 1)) ] && [ "$secs" -le $((IDLE + 2)) ] ||
	t_fail "a silent connection was closed after $secs s, idle_timeout is $IDLE s"
t_pass "a silent connection is closed after idle_timeout ($out)"
t_assert_eq $((idle0 + 1)) "$(rlb_stat connections.closed_idle)" "counted in connections.closed_idle"
t_wait_until 3 stat_is connections.open 0 ||
	t_fail "connections.open is $(rlb_stat connections.open) once every client has gone"
t_pass "connections.open is back to 0 once the clients have gone"
rlb_stop

# ------------------------------------------------------------ connections.max
TCP_AUTH=$(t_free_port tcp) || t_fail "no free port"
RLB_EXTRA='connections = { max = 3; };'
rlb_config
rlb_add_listen "$(listen_entry auth "$TCP_AUTH")"
rlb_check_config
rlb_start radlb-max
holders=""
for i in 1 2 3; do
	stream -k "$CLIENT_SECRET" "127.0.0.1:$TCP_AUTH" hold 4 >/dev/null &
	holders="$holders $!"
done
t_wait_until 3 stat_is connections.open 3 || t_fail "three held connections are not open: $(rlb_stat connections.open)"
ref0=$(rlb_stat connections.refused)
out=$(stream -k "$CLIENT_SECRET" -t 3 "127.0.0.1:$TCP_AUTH" auth plain plain-pw)
t_assert_match '^(eof|reset|connect-error)' "$out" "a fourth connection beyond max = 3 is refused"
t_assert_eq $((ref0 + 1)) "$(rlb_stat connections.refused)" "connections.refused counts it"
# shellcheck disable=SC2086
wait $holders
t_wait_until 3 stat_is connections.open 0 || t_fail "the held connections are still counted"
out=$(stream -k "$CLIENT_SECRET" "127.0.0.1:$TCP_AUTH" auth plain plain-pw)
t_assert_contains 'Received Access-Accept' "$out" "once they are closed, a new connection is served"
rlb_stop

# ==================================================================== TCP toward the server
M3_AUTH=$(t_free_port tcp) && M3_ACCT=$(t_free_port tcp) || t_fail "no free port"
M3_SECRET=$(server_secret mfa3)
mfa_tcp_start mfa3 "$M3_AUTH" "$M3_ACCT" "$M3_SECRET"
RLB_EXTRA='health = { interval = 1.0; timeout = 0.5; rise = 1; fall = 2; };
connections = { backoff_min = 0.2; backoff_max = 1.0; };'
rlb_config
rlb_set_servers "{ name = \"mfa3\"; address = \"127.0.0.1\"; proto = \"tcp\"; auth_port = $M3_AUTH; acct_port = $M3_ACCT; secret = \"$M3_SECRET\"; role = \"master\"; }"
rlb_check_config
rlb_start radlb-tcpsrv
t_wait_until 5 is_state mfa3 up || t_fail "the TCP server mfa3 is not up: $(state_of mfa3)"
t_pass "a TCP server is up"
t_wait_until 5 eval '[ "$(rlb_stat server.mfa3.probes)" -ge 2 ]' || t_fail "mfa3 is not probed"
t_assert_eq 0 "$(rlb_stat server.mfa3.probe_failures)" "Status-Server probes over TCP are answered (mfa3 has no UDP port radlb knows)"

out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Welcome plain (mfa3)' "$out" "UDP client -> TCP server: plain login accepted"
t_assert_eq "tunnel-secret-mfa3" "$(attr Tunnel-Password:0 "$out")" "Tunnel-Password re-encrypted from the TCP server to the UDP client"
t_assert_match "pid=$RLB_PID," "$(ss -Htnp state established "( dport = :$M3_AUTH )")" \
	"radlb holds a TCP connection to the server's auth port"
rlb_otp_login user7 pw-user7 || t_fail "user7 via the TCP server: no challenge: $LOGIN_REPLY"
t_assert_contains 'Welcome user7 (mfa3)' "$LOGIN_REPLY" "SMS-OTP through the TCP server"
out=$(rlb_acct 'User-Name = "user7", Acct-Status-Type = Start, Acct-Session-Id = "tcpsrv-1"')
t_assert_contains 'Received Accounting-Response' "$out" "accounting through the TCP server"
t_assert_contains 'session=tcpsrv-1' "$(cat "$T_DIR/mfa3/accounting.log")" "the record reached mfa3"
t_assert_match "pid=$RLB_PID," "$(ss -Htnp state established "( dport = :$M3_ACCT )")" \
	"over a TCP connection to its acct port"

# The NAS retransmits a slow push: over TCP nothing is lost, so radlb does
# not forward the retransmissions (FreeRADIUS would count each as a new
# request: it dedups only UDP).
echo 2.5 >"$T_DIR/mfa3/push_delay"
out=$(rlb_auth 'User-Name = "push", User-Password = "push-pw"' -t 1 -r 4)
t_assert_contains 'Push approved (mfa3)' "$out" "a slow push through the TCP server is approved"
sent=$(printf '%s\n' "$out" | grep -c '^Sent Access-Request')
[ "$sent" -ge 2 ] || t_fail "radclient did not retransmit"
t_pass "radclient sent it $sent times meanwhile"
t_assert_eq 1 "$(grep -c ' user=push$' "$T_DIR/mfa3/requests.log")" "the TCP server saw the request once"
t_assert_eq 0 "$(rlb_stat_sum '^server\\.mfa3\\..*retransmi')" "no retransmission was sent to it"

# A stopped TCP server: the connection is closed and reconnecting is
# refused, so it is down at once (no probe timeout to wait for).
bc0=$(rlb_stat connections.backend_connects)
"$MFA" stop --dir "$T_DIR/mfa3" || t_fail "cannot stop mfa3"
t0=${EPOCHREALTIME/./}
t_wait_until 4 is_state mfa3 down || t_fail "a stopped TCP server is not marked down: $(state_of mfa3)"
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
[ "$ms" -le 2000 ] || t_fail "a stopped TCP server was marked down after $ms ms (connection refused: at once)"
t_pass "a stopped TCP server is down after $ms ms"
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Reject' "$out" "meanwhile a login is rejected (no server)"
mfa_tcp_start mfa3 "$M3_AUTH" "$M3_ACCT" "$M3_SECRET"
t_wait_until 10 is_state mfa3 up || t_fail "mfa3 is not up again after its restart: $(state_of mfa3)"
t_pass "restarted, the TCP server is up again"
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Welcome plain (mfa3)' "$out" "and logins go through it again"
bc=$(rlb_stat connections.backend_connects)
[ "$bc" -gt "$bc0" ] 2>/dev/null || t_fail "connections.backend_connects did not move ($bc0 -> $bc)"
t_pass "over new connections (connections.backend_connects $bc0 -> $bc)"
rlb_stop
"$MFA" stop --dir "$T_DIR/mfa3"

# ==================================================================== TCP client, slow UDP server
# radlb itself retransmits toward the UDP server (same ID, same
# authenticator: FreeRADIUS logs each as a duplicate), until the reply or
# until the client's connection goes.
TCP_AUTH=$(t_free_port tcp) || t_fail "no free port"
RLB_NSERVERS=1
RLB_PROXY='retransmit_interval = 1.0; response_timeout = 20.0;'
RLB_EXTRA=''
rlb_config
rlb_add_listen "$(listen_entry auth "$TCP_AUTH")"
rlb_check_config
rlb_start radlb-retx
dups() { grep -c 'Ignoring duplicate packet' "$T_DIR/mfa1/radiusd.log"; }
retx() { rlb_stat_sum '^server\\.mfa1\\..*retransmi'; }

echo 3.5 >"$T_DIR/mfa1/push_delay"
pushes0=$(grep -c ' user=push$' "$T_DIR/mfa1/requests.log")
d0=$(dups) r0=$(retx) own0=$(rlb_stat connections.retransmitted)
out=$(stream -k "$CLIENT_SECRET" -t 10 "127.0.0.1:$TCP_AUTH" auth push push-pw)
t_assert_contains 'Push approved (mfa1)' "$out" "TCP client -> slow UDP server: the push is approved"
t_assert_eq $((pushes0 + 1)) "$(grep -c ' user=push$' "$T_DIR/mfa1/requests.log")" "one request for the server"
d1=$(dups) r1=$(retx)
t_log "while waiting 3.5 s: $((r1 - r0)) retransmissions counted by radlb, $((d1 - d0)) duplicates logged by mfa1"
[ $((r1 - r0)) -ge 2 ] && [ $((r1 - r0)) -le 4 ] || t_fail "radlb counted $((r1 - r0)) retransmissions in 3.5 s at 1 s intervals"
t_pass "radlb retransmitted to the UDP server every second ($((r1 - r0)))"
t_assert_eq $((r1 - r0)) $(($(rlb_stat connections.retransmitted) - own0)) "connections.retransmitted counts them"
[ $((d1 - d0)) -ge 2 ] || t_fail "mfa1 logged $((d1 - d0)) duplicates"
t_pass "the server received them as retransmissions (same ID and authenticator: $((d1 - d0)) duplicates logged)"

# The client gives up and closes its connection after 2.5 s: no more
# retransmissions after that.
echo 6 >"$T_DIR/mfa1/push_delay"
d0=$(dups) r0=$(retx) lost0=$(rlb_stat connections.replies_lost)
out=$(stream -k "$CLIENT_SECRET" "127.0.0.1:$TCP_AUTH" hold 2.5 push push-pw)
sleep 0.4
d1=$(dups) r1=$(retx)
[ $((r1 - r0)) -ge 1 ] || t_fail "no retransmission while the connection was open"
t_pass "retransmitted while the client's connection was open ($((r1 - r0)))"
sleep 3
d2=$(dups) r2=$(retx)
t_assert_eq "$r1" "$r2" "no retransmission after the client's connection closed (radlb's counter)"
t_assert_eq "$d1" "$d2" "none reached the server either"
# The push's late answer has nowhere to go; radlb drops it and goes on.
t_wait_until 4 stat_is connections.replies_lost $((lost0 + 1)) ||
	t_fail "connections.replies_lost is $(rlb_stat connections.replies_lost), not $((lost0 + 1))"
t_pass "the late answer is counted in connections.replies_lost"
kill -0 "$RLB_PID" || t_fail "radlb died"
out=$(stream -k "$CLIENT_SECRET" "127.0.0.1:$TCP_AUTH" auth plain plain-pw)
t_assert_contains 'Welcome plain (mfa1)' "$out" "radlb goes on after the orphaned answer"
