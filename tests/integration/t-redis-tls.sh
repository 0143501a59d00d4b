#!/bin/bash
# Redis over TLS (doc/redis-tls.md): Debian 12's hiredis 0.14 has no TLS,
# so radlb reaches a TLS-only Redis (tls-port, plain port off, client
# certificates required) through stunnel on its own host, as
# conf/stunnel/radlb-redis.conf shows. Two instances share their sessions
# that way: each login's challenge through one, its answer through the
# other. stunnel refuses a Redis whose certificate its CA did not sign,
# and radlb then carries on without Redis.
set -u
. "$(dirname "$0")/rlb.sh"
. "$TOP_SRCDIR/tests/lib/tls.sh"

command -v stunnel4 >/dev/null || t_fail "stunnel4 is missing (scripts/quickstart deps installs it)"
tls_pki
stat_of() { "$RADLBCTL" -s "$T_DIR/$1.sock" show stats | awk -v k="$2" '$1 == k { print $2 }'; }

# stunnel_conf NAME LOCAL_PORT REDIS_PORT CAFILE: the shipped example with
# this test's paths and ports, in the foreground.
stunnel_conf() {
	sed -e "s|^accept = .*|accept = 127.0.0.1:$2|" -e "s|^connect = .*|connect = 127.0.0.1:$3|" \
		-e "s|^CAfile = .*|CAfile = $4|" -e "s|^checkHost = .*|checkIP = 127.0.0.1|" \
		-e "s|^cert = .*|cert = $PKI/client.crt|" -e "s|^key = .*|key = $PKI/client.key|" \
		-e "s|^setuid = .*||" -e "s|^setgid = .*||" -e "s|^debug = .*|debug = info\noutput = $T_DIR/$1.log|" \
		"$TOP_SRCDIR/conf/stunnel/radlb-redis.conf" >"$T_DIR/$1.conf"
}
stunnel_start() {
	stunnel4 "$T_DIR/$1.conf" >>"$T_DIR/$1.out" 2>&1 &
	t_register_daemon "$1" $! "$T_DIR/$1.log"
	t_wait_for sh -c "ss -Hltn 'sport = :$2' | grep -q ." || t_fail "$1 did not listen on $2"
}

rlb_farm 3
R=$(t_free_port tcp)
REDIS_PW=redis-tls-pw-4b1d
redis-server --port 0 --tls-port "$R" --bind 127.0.0.1 --save '' --appendonly no --dir "$T_DIR" \
	--tls-cert-file "$PKI/radlb.crt" --tls-key-file "$PKI/radlb.key" --tls-ca-cert-file "$PKI/ca.crt" \
	--tls-auth-clients yes --requirepass "$REDIS_PW" >"$T_DIR/redis.log" 2>&1 &
t_register_daemon redis $! "$T_DIR/redis.log"
tls_cli() {
	redis-cli -p "$R" --tls --cacert "$PKI/ca.crt" --cert "$PKI/client.crt" --key "$PKI/client.key" \
		-a "$REDIS_PW" --no-auth-warning "$@"
}
t_wait_for sh -c "$(declare -f tls_cli); R=$R PKI=$PKI REDIS_PW=$REDIS_PW; tls_cli ping | grep -qx PONG" ||
	t_fail "the TLS Redis did not start"
t_assert_eq "" "$(redis-cli -p "$R" ping 2>/dev/null | grep -x PONG)" "Redis answers no plain RESP on its TLS port"

L=$(t_free_port tcp)
stunnel_conf stunnel "$L" "$R" "$PKI/ca.crt"
stunnel_start stunnel "$L"
for i in A B; do
	RLB_EXTRA="sticky = { store = \"redis\"; }; redis = { address = \"127.0.0.1\"; port = $L; password = \"$REDIS_PW\"; prefix = \"radlb:\"; };"
	rlb_instance "$i"
done
t_pass "both instances reach the TLS Redis through stunnel (redis.up 1)"

out=$("$OTPLOGIN" -k "$CLIENT_SECRET" -d "$T_DIR" -n 200 -c 20 "127.0.0.1:$A_AUTH" "127.0.0.1:$B_AUTH" 2>&1)
t_assert_contains "logins 200 accepted 200 failed 0" "$out" "200 logins, challenge through A and answer through B, over TLS, all accepted"
t_assert_eq 200 "$(stat_of B redis.hits)" "B found every session in Redis"
t_assert_match 'connected' "$(grep -i 'connected\|established' "$T_DIR/stunnel.log" | head -n 1)" \
	"stunnel carried the link over TLS (its log)"
clients=$(tls_cli client list | grep -c 'cmd=')
t_assert_eq 1 "$([ "$clients" -ge 3 ] && echo 1)" "Redis counts radlb's links among its TLS clients ($clients)"

# A Redis whose certificate another CA signed: stunnel refuses it; radlb
# counts an outage and logins through one instance go on.
L2=$(t_free_port tcp)
stunnel_conf stunnel-rogue "$L2" "$R" "$PKI/rogue-ca.crt"
stunnel_start stunnel-rogue "$L2"
RLB_EXTRA="sticky = { store = \"redis\"; }; redis = { address = \"127.0.0.1\"; port = $L2; password = \"$REDIS_PW\"; };"
rlb_config
sed -i "s#$T_DIR/radlb.sock#$T_DIR/C.sock#" "$T_DIR/radlb.conf"
cp "$T_DIR/radlb.conf" "$T_DIR/C.conf"
"$RADLB" -f "$T_DIR/C.conf" 2>>"$T_DIR/C.log" &
t_register_daemon C $! "$T_DIR/C.log"
t_wait_for "$RADLBCTL" -s "$T_DIR/C.sock" help || t_fail "C did not start"
t_wait_for grep -q 'certificate verify failed\|CERT_VERIFY\|verify' "$T_DIR/stunnel-rogue.log" ||
	t_fail "stunnel did not refuse the Redis certificate"
t_pass "stunnel refuses a Redis certificate its CA did not sign"
t_assert_eq 0 "$(stat_of C redis.up)" "C counts Redis as down"
RLB_AUTH=$(sed -n 's/.*type = "auth"; proto = "udp"; address = "127.0.0.1"; port = \([0-9]*\);.*/\1/p' "$T_DIR/C.conf")
rlb_otp_login alice 'correct horse battery' || t_fail "alice: no challenge through C"
t_assert_contains "Received Access-Accept" "$LOGIN_REPLY" "a login through C alone is accepted without Redis"
grep -q "$REDIS_PW" "$T_DIR"/A.log "$T_DIR"/B.log "$T_DIR"/C.log && t_fail "the Redis password is in a log"
t_pass "the Redis password is in no radlb log"
