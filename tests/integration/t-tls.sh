#!/bin/bash
# RADIUS over TLS (RadSec, RFC 6614), with radsecproxy 1.9 on either side:
#  0. the environment, without radlb: radclient -> radsecproxy (UDP in, TLS
#     out) -> radsecproxy (TLS in, UDP out) -> MFA server: plain and SMS-OTP
#     logins (State relayed), accounting;
#     then trust must be explicit: radlb -C refuses a TLS listener or server
#     without ca_file and without fingerprint pins;
#  1. RadSec client -> radlb's TLS listener -> UDP farm: logins, SMS-OTP,
#     accounting, auth and accounting on one connection; a client
#     certificate from another CA with the same names, a revoked one
#     (crl_file), none at all, plain TCP on the TLS port are refused,
#     logged ("certificate") and counted (connections.tls_failures), and
#     nothing reaches a server; malformed input closes the connection;
#     a pinned client fingerprint refuses another valid certificate (logged
#     with "fingerprint"); min_version "1.3" refuses TLS 1.2;
#  2. radlb -> TLS -> RadSec server -> MFA server: Status-Server probes,
#     logins, SMS-OTP, accounting over TLS; radlb presents its certificate;
#     a NAS's retransmissions are not forwarded; both ends at once;
#  3. the RadSec server killed (-9): down within a few seconds; restarted:
#     radlb reconnects (connections.backend_connects) and logins work again;
#  4. toward the server, a fingerprint pin that does not match is refused,
#     logged with "fingerprint" and both values, the server is down and
#     nothing is sent; the right pin works; a wrong tls_name and a server
#     certificate from another CA are refused;
set -u
. "$(dirname "$0")/rlb.sh"
. "$TOP_SRCDIR/tests/lib/tls.sh"

# RFC 6614: the shared secret over TLS is "radsec". radlb's clients entry
# (127.0.0.1) serves the RadSec client and radclient alike, so radclient
# talks to radlb with it too; radclient -> radsecproxy uses its own.
CLIENT_SECRET=radsec
NAS_SECRET='nas-to-radsecproxy-5b1e'
HEALTH='health = { interval = 1.0; timeout = 0.5; rise = 1; fall = 2; };'
BACKOFF='connections = { backoff_min = 0.2; backoff_max = 1.0; };'

# udp_auth PORT ATTRS [radclient options]: through a radsecproxy client.
udp_auth() {
	local port=$1 attrs=$2
	shift 2
	printf '%s\n' "$attrs" | t_radclient -x "$@" "127.0.0.1:$port" auth "$NAS_SECRET" 2>&1
	return 0
}

udp_acct() {
	printf '%s\n' "$2" | t_radclient -x "127.0.0.1:$1" acct "$NAS_SECRET" 2>&1
	return 0
}

# udp_otp_login PORT USER PASSWORD: rlb_otp_login through a radsecproxy client.
udp_otp_login() {
	local port=$1 out state code
	out=$(udp_auth "$port" "User-Name = \"$2\", User-Password = \"$3\"")
	LOGIN_ISSUER=$(served_by "$out")
	state=$(attr State "$out")
	LOGIN_REPLY=$out
	[ -n "$LOGIN_ISSUER" ] && [ -n "$state" ] || return 1
	code=$("$MFA" code --dir "$T_DIR/$LOGIN_ISSUER" --user "$2" --state "$state") || return 1
	LOGIN_REPLY=$(udp_auth "$port" "User-Name = \"$2\", User-Password = \"$code\", State = $state")
}

# tls_stream [--cert NAME] ARGS...: rlb-stream.py over TLS to radlb's listener
# with PKI/NAME.crt (default client; --cert none: no certificate).
tls_stream() {
	local cert=client
	if [ "${1-}" = --cert ]; then
		cert=$2
		shift 2
	fi
	local -a c=()
	[ "$cert" != none ] && c=(--cert "$PKI/$cert.crt" --key "$PKI/$cert.key")
	stream --tls --ca "$PKI/ca.crt" --sni 127.0.0.1 "${c[@]}" "$@"
}

# the requests that reached any MFA server (all users)
reached() { cat "$T_DIR"/mfa*/requests.log | wc -l; }
# log_count LOG WORD: lines of $T_DIR/LOG.log containing WORD (any case).
# Compared with a count taken before the event: a line about radlb's own
# certificate at start must not pass for a refusal.
log_count() { grep -ci -- "$2" "$T_DIR/$1.log"; }
log_grew() { [ "$(log_count "$1" "$2")" -gt "$3" ]; }
# fp_logged LOG SEEN EXPECTED: a line of LOG has "fingerprint" and the
# fingerprint SEEN (which radlb can only know from the handshake), and the
# log has EXPECTED, whatever the format (colons, case).
fp_logged() {
	local norm
	norm=$(grep -i fingerprint "$T_DIR/$1.log" | tr -d ':' | tr 'a-f' 'A-F')
	[[ $norm == *"$(tls_fp_norm "$2")"* ]] || { t_log "no \"fingerprint\" line with $2 in $1.log"; return 1; }
	tr -d ':' <"$T_DIR/$1.log" | tr 'a-f' 'A-F' | grep -qF "$(tls_fp_norm "$3")" ||
		{ t_log "the expected fingerprint $3 is not in $1.log"; return 1; }
}

tls_pki
FP_CLIENT=$(tls_fingerprint "$PKI/client.crt")
FP_CLIENT2=$(tls_fingerprint "$PKI/client2.crt")
FP_SERVER=$(tls_fingerprint "$PKI/server.crt")
t_assert_match '^sha256:([0-9A-F]{2}:){31}[0-9A-F]{2}$' "$FP_SERVER" "fingerprints in the sha256:AB:CD:... form"

# ==================================================================== 0. radsecproxy alone
rlb_farm 2
M3_AUTH=$(t_free_port udp) && M3_ACCT=$(t_free_port udp) && RSPS=$(t_free_port tcp) && RSPC0=$(t_free_port udp) ||
	t_fail "no free port"
"$MFA" start --name mfa3 --dir "$T_DIR/mfa3" --auth-port "$M3_AUTH" --acct-port "$M3_ACCT" \
	--secret "$(server_secret mfa3)" >/dev/null || t_fail "MFA server mfa3 did not start"
t_register_daemon mfa3 "$(cat "$T_DIR/mfa3/pid")" "$T_DIR/mfa3/radiusd.log"
rsp_server_conf rsps "$RSPS" "$M3_AUTH" "$M3_ACCT" "$(server_secret mfa3)"
rsp_start rsps
rsp_client_conf rspc0 "$RSPC0" "$NAS_SECRET" "$RSPS" --peer-name mfa1.test
rsp_start rspc0

out=$(udp_auth "$RSPC0" 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Welcome plain (mfa3)' "$out" "sanity: radclient -> radsecproxy -> TLS -> radsecproxy -> MFA server"
t_assert_eq tunnel-secret-mfa3 "$(attr Tunnel-Password:0 "$out")" "sanity: encrypted attributes survive both radsecproxies"
udp_otp_login "$RSPC0" alice 'correct horse battery' || t_fail "sanity: no SMS-OTP challenge through radsecproxy: $LOGIN_REPLY"
t_assert_contains 'Welcome alice (mfa3)' "$LOGIN_REPLY" "sanity: SMS-OTP login through the radsecproxy pair (State relayed)"
out=$(udp_acct "$RSPC0" 'User-Name = "alice", Acct-Status-Type = Start, Acct-Session-Id = "rsp-0001"')
t_assert_contains 'Received Accounting-Response' "$out" "sanity: accounting through the radsecproxy pair"
t_assert_contains 'session=rsp-0001' "$(cat "$T_DIR/mfa3/accounting.log")" "sanity: the record reached the MFA server"
rsp_kill rspc0

# ==================================================================== trust must be explicit
cfg_check() { # CONFIG TEXT -> radlb -C's status
	printf '%s\n' "$1" >"$T_DIR/check.conf"
	"$RADLB" -C -f "$T_DIR/check.conf" >"$T_DIR/check.out" 2>&1
}
P=$(t_free_port tcp) || t_fail "no free port"
BASE="clients = ( { name = \"nas\"; network = \"127.0.0.1/32\"; secret = \"radsec\"; } );
control = { socket = \"$T_DIR/check.sock\"; };"
UDP_SRV="servers = ( { name = \"a\"; address = \"127.0.0.1\"; auth_port = 11812; acct_port = 11813; secret = \"s\"; role = \"master\"; } );"
TLS_LISTEN="listen = ( { proto = \"tls\"; address = \"127.0.0.1\"; port = $P; } );"
UDP_LISTEN="listen = ( { type = \"auth\"; proto = \"udp\"; address = \"127.0.0.1\"; port = $P; } );"
NO_CA="tls = { certificate = \"$PKI/radlb.crt\"; private_key = \"$PKI/radlb.key\"; };"
cfg_check "$TLS_LISTEN
$BASE
$UDP_SRV
$(rlb_tls_section)" || { sed 's/^/# /' "$T_DIR/check.out" >&2; t_fail "radlb -C refuses a valid TLS listener configuration"; }
t_pass "radlb -C accepts a TLS listener with certificate, key and ca_file"
! cfg_check "$TLS_LISTEN
$BASE
$UDP_SRV" || t_fail "a TLS listener without a tls section is accepted"
t_pass "a TLS listener without a tls section is a configuration error"
! cfg_check "$TLS_LISTEN
$BASE
$UDP_SRV
$NO_CA" || t_fail "a TLS listener without ca_file and without client fingerprints is accepted"
t_pass "a TLS listener without ca_file and without any client fingerprint is a configuration error"
cfg_check "$TLS_LISTEN
clients = ( { name = \"nas\"; network = \"127.0.0.1/32\"; secret = \"radsec\"; fingerprint = \"$FP_CLIENT\"; } );
control = { socket = \"$T_DIR/check.sock\"; };
$UDP_SRV
$NO_CA" || { sed 's/^/# /' "$T_DIR/check.out" >&2; t_fail "pinned clients without ca_file are refused"; }
t_pass "without ca_file, pinned client fingerprints are explicit trust"
! cfg_check "$UDP_LISTEN
$BASE
servers = ( { name = \"a\"; address = \"127.0.0.1\"; proto = \"tls\"; auth_port = 2083; acct_port = 2083; secret = \"radsec\"; role = \"master\"; } );
$NO_CA" || t_fail "a TLS server without ca_file and without fingerprint is accepted"
t_pass "a TLS server without ca_file and without fingerprint is a configuration error"
cfg_check "$UDP_LISTEN
$BASE
servers = ( { name = \"a\"; address = \"127.0.0.1\"; proto = \"tls\"; auth_port = 2083; acct_port = 2083; secret = \"radsec\"; role = \"master\"; fingerprint = \"$FP_SERVER\"; } );
$NO_CA" || { sed 's/^/# /' "$T_DIR/check.out" >&2; t_fail "a pinned TLS server without ca_file is refused"; }
t_pass "a TLS server pinned by fingerprint needs no ca_file"
! cfg_check "$UDP_LISTEN
$BASE
servers = ( { name = \"a\"; address = \"127.0.0.1\"; proto = \"tls\"; auth_port = 2083; acct_port = 2083; secret = \"radsec\"; role = \"master\"; fingerprint = \"sha256:12:34\"; } );
$(rlb_tls_section)" || t_fail "a truncated fingerprint is accepted"
t_pass "a fingerprint that is not 32 octets is a configuration error"

# ==================================================================== 1. RadSec client -> radlb
# front NAME [CLIENTS] [MIN_VERSION]: radlb with UDP and TLS listeners and
# the UDP farm (mfa1, mfa2), crl_file set; then a radsecproxy client
# NAME-rspc in front of it. Sets RLB_TLS and RSPC (its UDP port).
front() {
	local name=$1
	RLB_CLIENTS=${2-}
	RLB_TLS=$(t_free_port tcp) && RSPC=$(t_free_port udp) || t_fail "no free port"
	RLB_EXTRA="$(rlb_tls_section "${3:-1.2}" "$PKI/ca.crl")"
	rlb_config
	rlb_add_listen "{ proto = \"tls\"; address = \"127.0.0.1\"; port = $RLB_TLS; }"
	rlb_check_config
	rlb_start "$name"
	rsp_client_conf "$name-rspc" "$RSPC" "$NAS_SECRET" "$RLB_TLS"
	rsp_start "$name-rspc"
}
front radlb-front
t_assert_match "LISTEN .*127\.0\.0\.1:$RLB_TLS " "$(ss -Hltnp "sport = :$RLB_TLS")" "radlb listens for TLS"

out=$(udp_auth "$RSPC" 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" "RadSec client -> radlb: plain login accepted"
srv=$(served_by "$out")
t_assert_match '^mfa[12]$' "$srv" "by a farm server ($srv)"
t_assert_eq "tunnel-secret-$srv" "$(attr Tunnel-Password:0 "$out")" "Tunnel-Password re-encrypted for the TLS client"
t_assert_contains "pass_hex=$(t_hex plain-pw) " "$(tail -n 1 "$T_DIR/$srv/requests.log")" "the password reached the server intact"
for u in 1 2 3; do
	udp_otp_login "$RSPC" "user$u" "pw-user$u" || t_fail "user$u through RadSec: no challenge: $LOGIN_REPLY"
	t_assert_contains "Welcome user$u ($LOGIN_ISSUER)" "$LOGIN_REPLY" "RadSec client -> radlb: SMS-OTP login of user$u accepted by $LOGIN_ISSUER"
done
out=$(udp_acct "$RSPC" 'User-Name = "user1", Acct-Status-Type = Start, Acct-Session-Id = "tls-0001"')
t_assert_contains 'Received Accounting-Response' "$out" "accounting over the same TLS listener"
t_assert_eq 1 "$(cat "$T_DIR"/mfa[12]/accounting.log | grep -c 'session=tls-0001')" "the record reached one farm server"
conns=$(ss -Htnp state established "( dport = :$RLB_TLS )" | grep -c "pid=${radlb_front_rspc_PID},")
t_assert_eq 1 "$conns" "radsecproxy carried auth and accounting over one TLS connection"
t_assert_eq 1 "$(rlb_stat connections.open)" "connections.open counts it"
t_assert_match '^[1-9]' "$(rlb_stat connections.accepted)" "connections.accepted counts it"

# ------------------------------------------------------------ refused clients
# (First: radlb logs closed connections at most once per 10 s, malformed
# ones included.)
hs0=$(rlb_stat connections.tls_failures)
n0=$(reached)
# A certificate of the rogue CA, with the same subject and names as the good one.
ROGUE=$(t_free_port udp) || t_fail "no free port"
c0=$(log_count radlb-front certificate)
rsp_client_conf rspc-rogue "$ROGUE" "$NAS_SECRET" "$RLB_TLS" --cert "$PKI/rogue-client.crt" --key "$PKI/rogue-client.key"
rsp_start rspc-rogue
out=$(udp_auth "$ROGUE" 'User-Name = "rogue1", User-Password = "x"' -t 2)
t_assert_contains 'No reply' "$out" "a RadSec client with a certificate of another CA gets nowhere"
t_wait_until 3 log_grew radlb-front certificate "$c0" || t_fail "radlb did not log the refused certificate"
t_pass "radlb logs the refused certificate"
rsp_kill rspc-rogue
out=$(tls_stream --cert rogue-client "127.0.0.1:$RLB_TLS" auth rogue2 x)
t_assert_match '^(eof|reset|tls-error)' "$out" "rlb-stream.py with the rogue certificate: refused ($out)"
out=$(tls_stream --cert revoked "127.0.0.1:$RLB_TLS" auth rogue3 x)
t_assert_match '^(eof|reset|tls-error)' "$out" "a revoked certificate (crl_file) is refused ($out)"
out=$(tls_stream --cert none "127.0.0.1:$RLB_TLS" auth rogue4 x)
t_assert_match '^(eof|reset|tls-error)' "$out" "no client certificate: refused (mutual TLS) ($out)"
out=$(stream -t 3 "127.0.0.1:$RLB_TLS" auth rogue5 x)
t_assert_match '^(eof|reset|timeout)' "$out" "plain RADIUS/TCP on the TLS port gets no answer ($out)"
t_assert_eq "$n0" "$(reached)" "none of them reached a server"
hs=$(rlb_stat connections.tls_failures)
[ "$hs" -ge $((hs0 + 5)) ] 2>/dev/null || t_fail "connections.tls_failures went from $hs0 to $hs for 5 failed handshakes"
t_pass "connections.tls_failures counts them ($hs0 -> $hs)"
out=$(udp_auth "$RSPC" 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" "the good RadSec client still gets through"

# rlb-stream.py over TLS: Status-Server, both legs on one connection, pipelining.
out=$(tls_stream "127.0.0.1:$RLB_TLS" status)
t_assert_contains 'Received Access-Accept' "$out" "Status-Server over TLS is answered by radlb"
out=$(tls_stream "127.0.0.1:$RLB_TLS" otp user4 pw-user4 "$T_DIR")
issuer=$(printf '%s\n' "$out" | sed -n 's/^issuer //p')
t_assert_contains "Welcome user4 ($issuer)" "$out" "SMS-OTP with both legs on one TLS connection"
out=$(tls_stream -t 10 "127.0.0.1:$RLB_TLS" many 100)
t_assert_eq "sent 100 replies 100 accepts 100 challenges 0 rejects 0" "$out" "100 requests pipelined on one TLS connection"
out=$(tls_stream --tls-max 1.2 "127.0.0.1:$RLB_TLS" auth plain plain-pw)
t_assert_contains 'Received Access-Accept' "$out" "TLS 1.2 is accepted with min_version 1.2"
mal0=$(rlb_stat connections.closed_malformed)
out=$(tls_stream "127.0.0.1:$RLB_TLS" malformed 10)
t_assert_match '^(eof|reset|tls-error)' "$out" "a TLS connection sending a Length of 10 is closed ($out)"
t_assert_eq $((mal0 + 1)) "$(rlb_stat connections.closed_malformed)" "and counted in connections.closed_malformed"
t_assert_eq 1 "$(ss -Htnp state established "( dport = :$RLB_TLS )" | grep -c "pid=${radlb_front_rspc_PID},")" \
	"radsecproxy's connection is untouched"

rsp_kill radlb-front-rspc
rlb_stop

# ------------------------------------------------------------ pinned client certificate
# The pin names client2.crt: client.crt, although signed by the CA, is refused.
front radlb-pin "clients = ( { name = \"nas\"; network = \"127.0.0.1/32\"; secret = \"radsec\"; fingerprint = \"$FP_CLIENT2\"; } );" 1.3
n0=$(reached)
out=$(udp_auth "$RSPC" 'User-Name = "pinned1", User-Password = "x"' -t 2)
t_assert_contains 'No reply' "$out" "a client certificate other than the pinned one is refused"
t_wait_until 3 fp_logged radlb-pin "$FP_CLIENT" "$FP_CLIENT2" ||
	t_fail "radlb did not log the mismatch (\"fingerprint\", the presented and the expected values)"
t_pass "the mismatch is logged with \"fingerprint\", the presented and the expected values"
t_assert_eq "$n0" "$(reached)" "nothing reached a server"
out=$(tls_stream --cert client2 "127.0.0.1:$RLB_TLS" auth plain plain-pw)
t_assert_contains 'Received Access-Accept' "$out" "the pinned certificate gets through"
out=$(tls_stream --cert client2 --tls-max 1.2 "127.0.0.1:$RLB_TLS" auth plain plain-pw)
t_assert_match '^(eof|reset|tls-error)' "$out" "min_version 1.3: a TLS 1.2 client is refused ($out)"
rsp_kill radlb-pin-rspc
rlb_stop
# The pin in lower case without colons names client.crt: radsecproxy is back.
fp=$(tls_fp_norm "$FP_CLIENT" | tr 'A-F' 'a-f')
front radlb-pin2 "clients = ( { name = \"nas\"; network = \"127.0.0.1/32\"; secret = \"radsec\"; fingerprint = \"sha256:$fp\"; } );"
udp_otp_login "$RSPC" user5 pw-user5 || t_fail "user5 with the right client pin: $LOGIN_REPLY"
t_assert_contains "Welcome user5 ($LOGIN_ISSUER)" "$LOGIN_REPLY" "pinned (lower case, no colons): the RadSec client logs in"
rsp_kill radlb-pin2-rspc
rlb_stop

# ==================================================================== 2. radlb -> RadSec server
# back NAME SERVER_EXTRA [PORT]: radlb with UDP and TLS listeners and one
# server, mfa3, over TLS through the radsecproxy server (port RSPS unless PORT).
back() {
	RLB_CLIENTS=''
	RLB_TLS=$(t_free_port tcp) || t_fail "no free port"
	RLB_EXTRA="$(rlb_tls_section)
$HEALTH
$BACKOFF
${BACK_EXTRA:-}"
	rlb_config
	rlb_add_listen "{ proto = \"tls\"; address = \"127.0.0.1\"; port = $RLB_TLS; }"
	rlb_set_servers "{ name = \"mfa3\"; address = \"127.0.0.1\"; proto = \"tls\"; auth_port = ${3:-$RSPS}; acct_port = ${3:-$RSPS}; secret = \"radsec\"; role = \"master\"; $2 }"
	rlb_check_config
	rlb_start "$1"
}
rsps_requests() { grep -c 'radsrv: got' "$T_DIR/rsps.log"; }

# The spool too works the same over TLS (section 3).
BACK_EXTRA="spool = { directory = \"$T_DIR/spool-back\"; };"
back radlb-back 'tls_name = "mfa1.test";'
BACK_EXTRA=
t_wait_until 5 is_state mfa3 up || t_fail "the TLS server mfa3 is not up: $(state_of mfa3)"
t_pass "a TLS server (radsecproxy) is up"
t_wait_until 5 eval '[ "$(rlb_stat server.mfa3.probes)" -ge 2 ]' || t_fail "mfa3 is not probed"
t_assert_eq 0 "$(rlb_stat server.mfa3.probe_failures)" "Status-Server probes over TLS are answered"
t_assert_contains 'subject CN=radlb.test' "$(cat "$T_DIR/rsps.log")" "radlb presented its certificate to the RadSec server"

out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Welcome plain (mfa3)' "$out" "UDP client -> radlb -> TLS: plain login accepted"
t_assert_eq tunnel-secret-mfa3 "$(attr Tunnel-Password:0 "$out")" "Tunnel-Password re-encrypted from the TLS server to the UDP client"
rlb_otp_login user6 pw-user6 || t_fail "user6 over TLS: no challenge: $LOGIN_REPLY"
t_assert_contains 'Welcome user6 (mfa3)' "$LOGIN_REPLY" "UDP client -> radlb -> TLS: SMS-OTP login accepted"
out=$(rlb_acct 'User-Name = "user6", Acct-Status-Type = Start, Acct-Session-Id = "tls-srv-1"')
t_assert_contains 'Received Accounting-Response' "$out" "accounting toward the TLS server"
t_assert_contains 'session=tls-srv-1' "$(cat "$T_DIR/mfa3/accounting.log")" "the record reached mfa3"
t_assert_match "pid=$RLB_PID," "$(ss -Htnp state established "( dport = :$RSPS )")" "over radlb's TLS connection"

# A NAS retransmitting a slow push: one request over TLS.
echo 2.5 >"$T_DIR/mfa3/push_delay"
out=$(rlb_auth 'User-Name = "push", User-Password = "push-pw"' -t 1 -r 4)
t_assert_contains 'Push approved (mfa3)' "$out" "a slow push over TLS is approved"
sent=$(printf '%s\n' "$out" | grep -c '^Sent Access-Request')
[ "$sent" -ge 2 ] || t_fail "radclient did not retransmit"
t_assert_eq 1 "$(grep -c ' user=push$' "$T_DIR/mfa3/requests.log")" "radclient sent it $sent times, the server saw it once"
t_assert_eq 0 "$(rlb_stat_sum '^server\\.mfa3\\..*retransmi')" "radlb sent no retransmission over TLS"

# Both ends: RadSec client -> radlb -> RadSec server.
RSPC=$(t_free_port udp) || t_fail "no free port"
rsp_client_conf radlb-back-rspc "$RSPC" "$NAS_SECRET" "$RLB_TLS"
rsp_start radlb-back-rspc
udp_otp_login "$RSPC" user8 pw-user8 || t_fail "user8, TLS on both sides: $LOGIN_REPLY"
t_assert_contains 'Welcome user8 (mfa3)' "$LOGIN_REPLY" "RadSec client -> radlb -> RadSec server: SMS-OTP login accepted"
out=$(udp_acct "$RSPC" 'User-Name = "user8", Acct-Status-Type = Start, Acct-Session-Id = "tls-both-1"')
t_assert_contains 'Received Accounting-Response' "$out" "and accounting"
t_assert_contains 'session=tls-both-1' "$(cat "$T_DIR/mfa3/accounting.log")" "reaching mfa3"

# ==================================================================== 3. the RadSec server killed
bc0=$(rlb_stat connections.backend_connects)
rsp_kill rsps KILL
t0=${EPOCHREALTIME/./}
t_wait_until 8 is_state mfa3 down || t_fail "the killed RadSec server is not marked down: $(state_of mfa3)"
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
[ "$ms" -le 4000 ] || t_fail "the killed server went down after $ms ms"
t_pass "the killed RadSec server is down after $ms ms"
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Reject' "$out" "meanwhile a login is rejected"
out=$(rlb_acct 'User-Name = "user9", Acct-Status-Type = Start, Acct-Session-Id = "tls-spool-1"')
t_assert_contains 'Received Accounting-Response' "$out" "meanwhile accounting for the TLS master is answered from the spool"
t_assert_eq 1 "$(rlb_stat spool.records)" "one record waits in the spool"
sleep 1.5 # a few refused reconnections
rsp_start rsps
t0=${EPOCHREALTIME/./}
t_wait_until 10 is_state mfa3 up || t_fail "the restarted RadSec server is not up again: $(state_of mfa3)"
t_pass "restarted, it is up again after $(((${EPOCHREALTIME/./} - t0) / 1000)) ms"
t_wait_until 10 grep -q 'session=tls-spool-1' "$T_DIR/mfa3/accounting.log" ||
	t_fail "the spooled record did not reach the TLS master"
t_pass "the spooled record is replayed to the master over TLS"
t_wait_until 5 eval '[ "$(rlb_stat spool.records)" = 0 ]' || t_fail "the spool did not empty"
rlb_otp_login user9 pw-user9 || t_fail "user9 after the restart: $LOGIN_REPLY"
t_assert_contains 'Welcome user9 (mfa3)' "$LOGIN_REPLY" "logins go through the reconnected TLS server"
bc=$(rlb_stat connections.backend_connects)
[ "$bc" -gt "$bc0" ] 2>/dev/null || t_fail "connections.backend_connects did not move ($bc0 -> $bc)"
t_pass "over new TLS connections (connections.backend_connects $bc0 -> $bc)"
udp_otp_login "$RSPC" user10 pw-user10 || t_fail "user10, TLS on both sides after the restart: $LOGIN_REPLY"
t_assert_contains 'Welcome user10 (mfa3)' "$LOGIN_REPLY" "and from the RadSec client too"
rsp_kill radlb-back-rspc
rlb_stop

# ==================================================================== 4. server pins and names
# A pin naming another certificate (client.crt's): refused, logged, down,
# nothing sent.
n0=$(grep -c . "$T_DIR/mfa3/requests.log") g0=$(rsps_requests)
back radlb-badpin "tls_name = \"mfa1.test\"; fingerprint = \"$FP_CLIENT\";"
t_wait_until 5 is_state mfa3 down || t_fail "a server whose certificate does not match the pin is not down: $(state_of mfa3)"
t_pass "a server certificate that does not match the pin: the server is down"
fp_logged radlb-badpin "$FP_SERVER" "$FP_CLIENT" ||
	t_fail "radlb did not log the mismatch (\"fingerprint\", the presented and the expected values)"
t_pass "the mismatch is logged with \"fingerprint\", the presented and the expected values"
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Reject' "$out" "a login is rejected (no server)"
t_assert_eq "$n0" "$(grep -c . "$T_DIR/mfa3/requests.log")" "nothing reached the MFA server"
t_assert_eq "$g0" "$(rsps_requests)" "nothing reached the RadSec server"
rlb_stop
# The right pin (and no ca_file needed for it, but it is there): works.
back radlb-goodpin "tls_name = \"mfa1.test\"; fingerprint = \"$FP_SERVER\";"
t_wait_until 5 is_state mfa3 up || t_fail "the pinned server is not up: $(state_of mfa3)"
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Welcome plain (mfa3)' "$out" "with the right pin, the TLS server is up and logins go through"
rlb_stop
# A tls_name the certificate does not carry.
n0=$(grep -c . "$T_DIR/mfa3/requests.log")
back radlb-badname 'tls_name = "mfa2.test";'
t_wait_until 5 is_state mfa3 down || t_fail "a server certificate without the tls_name is not refused: $(state_of mfa3)"
t_pass "a server certificate that does not carry tls_name: the server is down"
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Reject' "$out" "a login is rejected"
t_assert_eq "$n0" "$(grep -c . "$T_DIR/mfa3/requests.log")" "nothing reached the MFA server"
rlb_stop
# A server certificate of the rogue CA (same subject and names).
RSPS_ROGUE=$(t_free_port tcp) || t_fail "no free port"
rsp_server_conf rsps-rogue "$RSPS_ROGUE" "$M3_AUTH" "$M3_ACCT" "$(server_secret mfa3)" \
	"$PKI/rogue-server.crt" "$PKI/rogue-server.key"
rsp_start rsps-rogue
back radlb-rogue 'tls_name = "mfa1.test";' "$RSPS_ROGUE"
t_wait_until 5 is_state mfa3 down || t_fail "a server certificate of another CA is not refused: $(state_of mfa3)"
t_pass "a server certificate of another CA with the same names: the server is down"
grep mfa3 "$T_DIR/radlb-rogue.log" | grep -qi certificate || t_fail "radlb did not log the refused server certificate"
t_pass "radlb logs the refused certificate (a line naming mfa3 and \"certificate\")"
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Reject' "$out" "a login is rejected"
t_assert_eq "$n0" "$(grep -c . "$T_DIR/mfa3/requests.log")" "nothing reached the MFA server"
t_assert_eq 0 "$(grep -c 'radsrv: got' "$T_DIR/rsps-rogue.log")" "nothing reached the rogue RadSec server"
rlb_stop
