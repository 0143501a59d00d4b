#!/bin/bash
# What radlb accepts from servers (checklist 4, 29, 33): replies under the
# wrong secret, malformed replies (attribute overflow, encrypted attributes
# of impossible length, a bad Ascend filter, a broken WiMAX continuation,
# an empty EAP-Message, a reply code that does not fit, an oversize
# datagram) and unsigned replies from a server that must sign are dropped,
# counted by reason and never forwarded: the client gets radlb's timeout
# answer instead.
set -u
. "$(dirname "$0")/rlb.sh"

# ------------------------------------------------------------ a real server that must sign
rlb_farm 2
RLB_PROXY='balance = "round-robin"; response_timeout = 1.0;'
rlb_config
sed -i 's/\(name = "mfa2";.*\) }/\1 require_message_authenticator = true; }/' "$T_DIR/radlb.conf"
rlb_start
out1=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"' -t 4 -r 1)
out2=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"' -t 4 -r 1)
t_assert_contains 'Welcome plain (mfa1)' "$out1" "mfa1's Accept is forwarded"
t_assert_contains 'did not answer in time' "$out2" "mfa2's unsigned Accept is not: the client gets the timeout Reject"
t_assert_eq 1 "$(rlb_stat drop.ma_missing)" "counted as ma_missing"
t_assert_eq 1 "$(rlb_stat server.mfa2.dropped)" "against mfa2"
t_assert_contains 'server mfa2: dropped a reply: Message-Authenticator required but absent' \
	"$(cat "$T_DIR/radlb.log")" "and logged"
rlb_stop

# ------------------------------------------------------------ a scripted server
FAKE_SECRET='fake-server-secret-0123456789abcdef'
FAKE_PORT=$(t_free_port udp)
FAKE_ACCT=$(t_free_port udp)
RLB_NSERVERS=0
RLB_EXTRA='health = { probe = "none"; };'   # the scripted server answers one request, not probes
rlb_config
sed -i "s|^servers = (|servers = (\n  { name = \"fake\"; address = \"127.0.0.1\"; auth_port = $FAKE_PORT; acct_port = $FAKE_ACCT; secret = \"$FAKE_SECRET\"; role = \"master\"; }|" \
	"$T_DIR/radlb.conf"
rlb_start radlb-fake

a() { printf '%02x%02x%s' "$1" $((${#2} / 2 + 2)) "$2"; }
vsa() { # VENDOR TYPE HEXVALUE
	local sub
	sub=$(printf '%02x%02x%s' "$2" $((${#3} / 2 + 2)) "$3")
	a 26 "$(printf '%08x' "$1")$sub"
}
Z16=00000000000000000000000000000000
accept() { printf '0200%04x%s%s' $((20 + ${#1} / 2)) "$Z16" "$1"; }
REQ_ID=0
port_bound() { ss -Hlnu "sport = :$1" | grep -q .; }
# fake_start HEX [options]: the scripted server, answering one request, ready
fake_start() {
	local hex=$1
	shift
	timeout 15 "$UDPSEND" -R "$@" 127.0.0.1 "$FAKE_PORT" "$hex" >"$T_DIR/fake.out" &
	fake=$!
	t_wait_for port_bound "$FAKE_PORT" || t_fail "the scripted server did not bind"
}
# case REASON DESCRIPTION REPLY-HEX [responder options]
case_drop() {
	local reason=$1 what=$2 hex=$3 before fake reply
	shift 3
	before=$(rlb_stat "drop.$reason")
	fake_start "$hex" "$@"
	REQ_ID=$((REQ_ID + 1))
	reply=$("$UDPSEND" -k "$CLIENT_SECRET" -p x -w 3 127.0.0.1 "$RLB_AUTH" \
		"$(printf '01%02x0000' "$REQ_ID")a0a1a2a3a4a5a6a7a8a9aaabacadaeaf$(a 1 "$(t_hex probe)")")
	wait "$fake" || t_fail "$what: the scripted server got no request"
	t_assert_eq $((before + 1)) "$(rlb_stat "drop.$reason")" "$what: dropped as $reason"
	t_assert_match '^03' "$reply" "$what: not forwarded (the client gets the timeout Reject)"
}

case_drop bad_response_authenticator "a reply signed with the wrong secret" \
	"$(accept "$(a 18 "$(t_hex fake)")")" -k "wrong-secret-for-the-fake-server"
case_drop malformed_attributes "an attribute overflowing the reply" "02000019${Z16}12ff616263"
case_drop bad_attribute "a Tunnel-Password of impossible length (CVE-2017-10978 shape)" \
	"$(accept "$(a 69 00801122334455)")" -k "$FAKE_SECRET"
case_drop bad_attribute "an MS-MPPE-Send-Key of impossible length" \
	"$(accept "$(vsa 311 16 8001aabbccdd)")" -k "$FAKE_SECRET"
case_drop bad_attribute "a 10-octet Ascend-Data-Filter (CVE-2022-41861 shape)" \
	"$(accept "$(vsa 529 242 01010000000000000000)")" -k "$FAKE_SECRET"
case_drop bad_attribute "a WiMAX continuation with nothing to continue (CVE-2017-10984 shape)" \
	"$(accept "$(a 26 "$(printf '%08x' 24757)0105800102")")" -k "$FAKE_SECRET"
case_drop bad_attribute "an empty EAP-Message (CVE-2017-10985 shape)" \
	"$(accept "$(a 80 "$Z16")4f02")" -k "$FAKE_SECRET"
case_drop unexpected_reply_code "an Accounting-Response to an Access-Request" \
	"$(printf '0500%04x%s' 20 "$Z16")" -k "$FAKE_SECRET"
case_drop too_long "a 4200-octet reply" "$(printf '02001068%s' "$Z16")$(printf '%08360d' 0)"

# The scripted server works: a correct reply is forwarded.
fake_start "$(accept "$(a 18 "$(t_hex "fake ok")")")" -k "$FAKE_SECRET"
reply=$("$UDPSEND" -k "$CLIENT_SECRET" -p x -w 3 127.0.0.1 "$RLB_AUTH" \
	"0163000000112233445566778899aabbccddeeff$(a 1 "$(t_hex probe)")")
wait "$fake" || t_fail "the scripted server got no request"
t_assert_match "^0263" "$reply" "a well-signed reply from the same server is forwarded"
t_assert_contains "$(t_hex "fake ok")" "$reply" "with its Reply-Message"
t_assert_eq 9 "$(rlb_stat server.fake.dropped)" "nine bad replies counted against the server"
