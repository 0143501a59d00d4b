#!/bin/bash
# Addresses: radlb over IPv6 on both sides, and wildcard listeners that
# answer from the address the client wrote to (IP_PKTINFO /
# IPV6_RECVPKTINFO): radclient only accepts a reply from the address it sent
# the request to.
set -u
. "$(dirname "$0")/rlb.sh"

# ------------------------------------------------------------ IPv6 everywhere
for i in 1 2; do
	auth=$(t_free_port udp) && acct=$(t_free_port udp) || t_fail "no free port"
	"$MFA" start --name "mfa$i" --dir "$T_DIR/mfa$i" --auth-port "$auth" --acct-port "$acct" \
		--secret "$(server_secret "mfa$i")" --address ::1 >/dev/null || t_fail "mfa$i (IPv6) did not start"
	t_register_daemon "mfa$i" "$(cat "$T_DIR/mfa$i/pid")" "$T_DIR/mfa$i/radiusd.log"
	printf -v "MFA${i}_AUTH" %s "$auth"
	printf -v "MFA${i}_ACCT" %s "$acct"
done
RLB_NSERVERS=2
RLB_CLIENTS="clients = ( { name = \"nas6\"; network = \"::1/128\"; secret = \"$CLIENT_SECRET\"; } );"
rlb_config
sed -i -e 's/address = "127.0.0.1"; port/address = "::1"; port/' \
	-e 's/address = "127.0.0.1"; auth_port/address = "::1"; auth_port/' "$T_DIR/radlb.conf"
rlb_start radlb6

out=$(printf 'User-Name = "plain", User-Password = "plain-pw"\n' |
	t_radclient -x "[::1]:$RLB_AUTH" auth "$CLIENT_SECRET" 2>&1)
t_assert_contains 'Received Access-Accept' "$out" "IPv6 client -> radlb -> IPv6 server: Access-Accept"
t_assert_match 'tunnel-secret-mfa[12]' "$out" "with its Tunnel-Password decrypted"
rlb_otp_login_v6() {
	local out state code srv
	out=$(printf 'User-Name = "%s", User-Password = "%s"\n' "$1" "$2" |
		t_radclient -x "[::1]:$RLB_AUTH" auth "$CLIENT_SECRET" 2>&1)
	srv=$(served_by "$out")
	state=$(attr State "$out")
	code=$("$MFA" code --dir "$T_DIR/$srv" --user "$1" --state "$state") || return 1
	printf 'User-Name = "%s", User-Password = "%s", State = %s\n' "$1" "$code" "$state" |
		t_radclient -x "[::1]:$RLB_AUTH" auth "$CLIENT_SECRET" 2>&1
}
t_assert_contains 'Received Access-Accept' "$(rlb_otp_login_v6 alice 'correct horse battery')" \
	"an SMS-OTP login over IPv6"
out=$(printf 'Acct-Status-Type = Start, Acct-Session-Id = "v6"\n' |
	t_radclient -x "[::1]:$RLB_ACCT" acct "$CLIENT_SECRET" 2>&1)
t_assert_contains 'Received Accounting-Response' "$out" "accounting over IPv6"
rlb_stop
"$MFA" stop --dir "$T_DIR/mfa1" >/dev/null
"$MFA" stop --dir "$T_DIR/mfa2" >/dev/null

# ------------------------------------------------------------ wildcard listeners
RLB_NSERVERS=0
rlb_farm 1
RLB_CLIENTS="clients = ( { name = \"any\"; network = \"127.0.0.0/8\"; secret = \"$CLIENT_SECRET\"; },
                        { name = \"any6\"; network = \"::1/128\"; secret = \"$CLIENT_SECRET\"; } );"
rlb_config
V6_AUTH=$(t_free_port udp)
sed -i -e 's/address = "127.0.0.1"; port = \([0-9]*\); },/address = "0.0.0.0"; port = \1; },\n  { type = "auth"; proto = "udp"; address = "::"; port = '"$V6_AUTH"'; },/' \
	"$T_DIR/radlb.conf"
rlb_start radlb-any
for dst in 127.0.0.1 127.0.0.2 127.0.0.53; do
	out=$(printf 'User-Name = "plain", User-Password = "plain-pw"\n' |
		t_radclient -x "$dst:$RLB_AUTH" auth "$CLIENT_SECRET" 2>&1)
	t_assert_contains "Received Access-Accept Id" "$out" "listener on 0.0.0.0: a request to $dst is answered"
	t_assert_contains "from $dst:$RLB_AUTH" "$out" "from $dst, the address the client wrote to"
done
out=$(printf 'User-Name = "plain", User-Password = "plain-pw"\n' |
	t_radclient -x "[::1]:$V6_AUTH" auth "$CLIENT_SECRET" 2>&1)
t_assert_contains 'Received Access-Accept' "$out" "listener on ::: a request to ::1 is answered from ::1"
