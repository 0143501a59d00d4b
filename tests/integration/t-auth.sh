#!/bin/bash
# Access-Request through radlb to three MFA-like FreeRADIUS servers, with
# different secrets on each side: Accept/Reject/Challenge verified by
# radclient, passwords arriving intact, Tunnel-Password and MS-MPPE keys
# decrypting at the client, State/Class/Proxy-State unchanged,
# Message-Authenticator first, Status-Server answered by radlb itself.
# Checklist items 1, 2, 3, 5, 6, 8, 10, 32.
set -u
. "$(dirname "$0")/rlb.sh"

rlb_farm 3
rlb_config
rlb_start

# ------------------------------------------------------------ Access-Accept
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" "plain: Access-Accept through radlb"
srv=$(served_by "$out")
t_assert_match '^mfa[123]$' "$srv" "the Accept names the server that answered ($srv)"
t_assert_eq "Message-Authenticator" "$(first_attr "$out")" "Message-Authenticator is the reply's first attribute (BlastRADIUS)"
t_assert_eq "tunnel-secret-$srv" "$(attr 'Tunnel-Password:0' "$out")" "Tunnel-Password decrypts at the client with the client secret"
t_assert_eq "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" \
	"$(attr MS-MPPE-Send-Key "$out")" "MS-MPPE-Send-Key decrypts at the client"
t_assert_eq "0xf0e0d0c0b0a090807060504030201000ffeeddccbbaa99887766554433221100" \
	"$(attr MS-MPPE-Recv-Key "$out")" "MS-MPPE-Recv-Key decrypts at the client"
t_assert_eq "0x$(t_hex "class-$srv")" "$(attr Class "$out")" "Class passes byte for byte"

# ------------------------------------------------------------ Access-Reject
start=${EPOCHREALTIME/./}
out=$(rlb_auth 'User-Name = "plain", User-Password = "not-the-password"')
ms=$(((${EPOCHREALTIME/./} - start) / 1000))
t_assert_match '^[0-9]{1,3}$' "$ms" "the Reject comes back at once: radlb adds no delay (${ms} ms)"
t_assert_contains 'Received Access-Reject' "$out" "wrong password: Access-Reject"
t_assert_match 'Reply-Message = "Wrong password \(mfa[123]\)"' "$out" "the Reject's Reply-Message comes through"
t_assert_eq "Message-Authenticator" "$(first_attr "$out")" "Message-Authenticator first in the Reject"

# ------------------------------------------------------------ Access-Challenge
out=$(rlb_auth 'User-Name = "alice", User-Password = "correct horse battery"')
t_assert_contains 'Received Access-Challenge' "$out" "alice: Access-Challenge"
srv=$(served_by "$out")
state=$(attr State "$out")
t_assert_match "^0x$(t_hex "$srv:")[0-9a-f]+\$" "$state" "State passes byte for byte (issued by $srv)"
t_assert_eq "Message-Authenticator" "$(first_attr "$out")" "Message-Authenticator first in the Challenge"

# ------------------------------------------------------------ passwords intact
# Every length from 1 to 128 octets class: the server logs the hex of what it
# decrypted with its own secret; it must equal what the client typed.
i=0
for pw in 'a' 'fifteen-chars!!' 'sixteen-chars!!!' 'seventeen-chars!!' \
	'with spaces and $ymbols %&*()[]{}<>=+~^|;:,.?/' \
	"$(printf 'x%.0s' {1..64})" "$(printf '0123456789%.0s' {1..12})ABCDEFGH"; do
	i=$((i + 1))
	rlb_auth "User-Name = \"pwcheck$i\", User-Password = \"$pw\"" >/dev/null
	logged=$(cat "$T_DIR"/mfa*/requests.log | sed -n "s/.*pass_hex=\([0-9a-f]*\) .* user=pwcheck$i\$/\1/p")
	t_assert_eq "$(t_hex "$pw")" "$logged" "a ${#pw}-octet password arrives intact at the server"
done

# ------------------------------------------------------------ CHAP (checklist 7)
# CHAP-Password was computed over the client's Request Authenticator; radlb
# sends a new one, so it must add CHAP-Challenge for the server to verify.
out=$(rlb_auth 'User-Name = "chapuser", CHAP-Password = "chap-pw"')
t_assert_contains 'Received Access-Accept' "$out" "CHAP login accepted through radlb (CHAP-Challenge added)"
out=$(rlb_auth 'User-Name = "chapuser", CHAP-Password = "wrong"')
t_assert_contains 'Received Access-Reject' "$out" "a wrong CHAP password is still rejected"

# ------------------------------------------------------------ unknown attributes (checklist 11)
out=$(rlb_auth 'Attr-222 = 0x0102, User-Name = "plain", Vendor-31337-Attr-7 = 0xdeadbeef, User-Password = "plain-pw", Attr-200 = 0x00')
t_assert_contains 'Received Access-Accept' "$out" "unknown attributes and an unknown vendor's VSA, in odd order, are forwarded"

# ------------------------------------------------------------ Proxy-State
out=$(rlb_auth "User-Name = \"plain\", User-Password = \"plain-pw\", Proxy-State = 0x01020304, Proxy-State = 0xaabbccddee, $MA")
t_assert_eq "$(printf '0x01020304\n0xaabbccddee')" "$(printf '%s\n' "$out" | sed -n '/^Received/,$p' | sed -n 's/^[[:space:]]*Proxy-State = //p')" \
	"both Proxy-State attributes come back unchanged and in order"
t_assert_contains 'Received Access-Accept' "$out" "Access-Request with Proxy-State and Message-Authenticator accepted"

# ------------------------------------------------------------ Identifiers
# The client's Identifier comes back, whatever the proxied one was.
for id in 0 77 255; do
	name=$(t_hex "idtest$id")
	pkt=$(printf '01%02x0000' "$id")00112233445566778899aabbccddeeff01$(printf '%02x' $((${#name} / 2 + 2)))$name
	reply=$("$UDPSEND" -k "$CLIENT_SECRET" -w 5 127.0.0.1 "$RLB_AUTH" "$pkt")
	t_assert_eq "$(printf '%02x' "$id")" "${reply:2:2}" "the reply carries the client's Identifier $id"
done

# ------------------------------------------------------------ Status-Server
before=$(cat "$T_DIR"/mfa*/requests.log | wc -l)
fwd_before=$(rlb_ctl show stats | awk '$1 ~ /^server\..*\.requests$/ { s += $2 } END { print s }')
out=$(printf '%s\n' "$MA" | t_radclient -x "127.0.0.1:$RLB_AUTH" status "$CLIENT_SECRET" 2>&1)
t_assert_contains 'Received Access-Accept' "$out" "Status-Server on the auth port: Access-Accept from radlb"
out=$(printf '%s\n' "$MA" | t_radclient -x "127.0.0.1:$RLB_ACCT" status "$CLIENT_SECRET" 2>&1)
t_assert_contains 'Received Accounting-Response' "$out" "Status-Server on the acct port: Accounting-Response from radlb"
fwd_after=$(rlb_ctl show stats | awk '$1 ~ /^server\..*\.requests$/ { s += $2 } END { print s }')
t_assert_eq "$fwd_before" "$fwd_after" "Status-Server is never forwarded to a server"
t_assert_eq "$before" "$(cat "$T_DIR"/mfa*/requests.log | wc -l)" "no server saw the Status-Server"
t_assert_eq 2 "$(rlb_stat client.nas.status_server)" "Status-Server answers counted"
# Identifier 0 and no Proxy-State: once an endless loop (the Proxy-State
# walk started at offset 0, the header, and read the Identifier as a length).
ss0="0c000026$(printf '11%.0s' {1..16})5012$(printf '00%.0s' {1..16})"
out=$("$UDPSEND" -k "$CLIENT_SECRET" -w 2 127.0.0.1 "$RLB_AUTH" "$ss0")
t_assert_match '^0200' "$out" "Status-Server with Identifier 0 answered (Access-Accept, Identifier 0)"
t_assert_eq 3 "$(rlb_stat client.nas.status_server)" "and counted: radlb is still serving"
out=$(printf 'User-Name = "x"\n' | t_radclient -x -t 1 "127.0.0.1:$RLB_AUTH" status "$CLIENT_SECRET" 2>&1)
t_assert_contains 'No reply' "$out" "Status-Server without Message-Authenticator is dropped"

# ------------------------------------------------------------ server flagged
t_assert_contains "without Message-Authenticator" "$(cat "$T_DIR/radlb.log")" \
	"a server whose replies lack Message-Authenticator is flagged in the log"
n=$(rlb_ctl show stats | awk '$1 ~ /replies_without_ma$/ { s += $2 } END { print s }')
t_assert_match '^[1-9][0-9]*$' "$n" "and counted (replies_without_ma = $n)"
