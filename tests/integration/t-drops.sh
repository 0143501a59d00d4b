#!/bin/bash
# Bad input is dropped, counted by reason and logged with a rate limit,
# while good traffic keeps flowing: unknown clients (checklist 12),
# malformed packets (27, 28, 31), bad authenticators (4, 9), BlastRADIUS
# Proxy-State and Message-Authenticator rules (33).
set -u
. "$(dirname "$0")/rlb.sh"

STRICT_SECRET='strict-nas-secret-51c0'
RLB_CLIENTS="clients = (
  { name = \"nas\"; network = \"127.0.0.1/32\"; secret = \"$CLIENT_SECRET\"; },
  { name = \"strict\"; network = \"127.0.0.3/32\"; secret = \"$STRICT_SECRET\"; require_message_authenticator = true; }
);"
rlb_farm 2
rlb_config
rlb_start

AUTH16=000102030405060708090a0b0c0d0e0f
# a TYPE HEXVALUE: one attribute
a() { printf '%02x%02x%s' "$1" $((${#2} / 2 + 2)) "$2"; }
# pkt CODE ID ATTRS [LENGTH]: a packet, Length computed unless given
pkt() {
	local len=${4:-$((20 + ${#3} / 2))}
	printf '%02x%02x%04x%s%s' "$1" "$2" "$len" "$AUTH16" "$3"
}
UNAME=$(a 1 "$(t_hex probe)")
MA0=$(a 80 00000000000000000000000000000000)

# expect_drop REASON DESCRIPTION HEX [udpsend options]
expect_drop() {
	local reason=$1 what=$2 hex=$3 before reply
	shift 3
	before=$(rlb_stat "drop.$reason")
	reply=$("$UDPSEND" -w 0.5 "$@" 127.0.0.1 "$RLB_AUTH" "$hex")
	t_assert_eq "none" "$reply" "$what: no reply"
	t_assert_eq $((before + 1)) "$(rlb_stat "drop.$reason")" "$what: counted as $reason"
}

# Good traffic in the background during all of the below.
(
	for ((i = 0; i < 20; i++)); do
		rlb_auth 'User-Name = "plain", User-Password = "plain-pw"' | grep -c 'Received Access-Accept'
	done >"$T_DIR/good.out"
) &
good=$!

# ------------------------------------------------------------ unknown client
expect_drop unknown_client "request from an unknown address (127.0.0.2)" "$(pkt 1 1 "$UNAME")" -s 127.0.0.2
t_assert_contains "no client matches this address" "$(cat "$T_DIR/radlb.log")" "the unknown client is logged"

# ------------------------------------------------------------ malformed (27, 28, 31)
expect_drop too_short "a 10-octet datagram" "01020003000000000000"
expect_drop too_short "a Length field of 16" "$(pkt 1 2 "" 16)"
expect_drop length_mismatch "a datagram shorter than its Length field" "$(pkt 1 3 "$UNAME" 200)"
expect_drop too_long "a 4100-octet datagram" "$(pkt 1 4 "$(printf '1aff%0508d' 0)" 4096)$(printf '%08200d' 0)"
expect_drop malformed_attributes "an attribute of length 0" "$(pkt 1 5 "${UNAME}0100")"
expect_drop malformed_attributes "an attribute of length 1" "$(pkt 1 6 "${UNAME}0101")"
expect_drop malformed_attributes "an attribute overflowing the packet" "$(pkt 1 7 "${UNAME}0120616263")"
expect_drop malformed_attributes "attributes that do not fill the packet" "$(pkt 1 8 "${UNAME}01")"
expect_drop malformed_attributes "attribute type 0" "$(pkt 1 9 "${UNAME}0003aa")"
expect_drop ma_invalid_length "a 12-octet Message-Authenticator" "$(pkt 1 10 "${UNAME}$(a 80 00000000000000000000)")"
expect_drop ma_duplicate "two Message-Authenticators" "$(pkt 1 11 "${UNAME}${MA0}${MA0}")" -k "$CLIENT_SECRET"
expect_drop ma_missing "EAP-Message without Message-Authenticator" "$(pkt 1 12 "${UNAME}$(a 79 0201000501)")"
many=""
for ((i = 0; i < 201; i++)); do many="$many$(a 26 00000009)"; done
expect_drop too_many_attributes "201 attributes" "$(pkt 1 13 "$many")"
expect_drop eap_and_password "EAP-Message with User-Password" \
	"$(pkt 1 14 "${MA0}${UNAME}$(a 79 0201000501)$(a 2 00112233445566778899aabbccddeeff)")" -k "$CLIENT_SECRET"
expect_drop bad_attribute "a User-Password of 10 octets" "$(pkt 1 15 "${UNAME}$(a 2 00112233445566778899)")"
expect_drop bad_attribute "a Tunnel-Password without a full block" "$(pkt 1 16 "${UNAME}$(a 69 0080011122)")"

# Bytes past the Length field are padding: ignored, the request is served.
reply=$("$UDPSEND" -w 5 127.0.0.1 "$RLB_AUTH" "$(pkt 1 17 "$UNAME")0000000000000000")
t_assert_match '^03' "$reply" "a datagram longer than its Length field is served (padding ignored)"

# ------------------------------------------------------------ authenticators (4, 33)
before=$(rlb_stat drop.bad_message_authenticator)
out=$(printf 'User-Name = "plain", User-Password = "x", %s\n' "$MA" |
	t_radclient -x -t 1 "127.0.0.1:$RLB_AUTH" auth "wrong-secret-123456" 2>&1)
t_assert_contains 'No reply' "$out" "a bad Message-Authenticator (wrong secret) gets no reply"
t_assert_eq $((before + 1)) "$(rlb_stat drop.bad_message_authenticator)" "counted as bad_message_authenticator"
t_assert_contains "does the NAS use the same shared secret" "$(cat "$T_DIR/radlb.log")" \
	"the log line tells the admin what to check"

expect_drop proxy_state_without_ma "Proxy-State without Message-Authenticator (limit_proxy_state)" \
	"$(pkt 1 20 "${UNAME}$(a 33 abcd)")"

before=$(rlb_stat drop.ma_missing)
reply=$("$UDPSEND" -s 127.0.0.3 -k "$STRICT_SECRET" -w 0.5 127.0.0.1 "$RLB_AUTH" "$(pkt 1 21 "$UNAME")")
t_assert_eq none "$reply" "require_message_authenticator: a request without it is dropped"
t_assert_eq $((before + 1)) "$(rlb_stat drop.ma_missing)" "counted as ma_missing"
reply=$("$UDPSEND" -s 127.0.0.3 -k "$STRICT_SECRET" -w 5 127.0.0.1 "$RLB_AUTH" "$(pkt 1 22 "${MA0}${UNAME}")")
t_assert_match '^03' "$reply" "require_message_authenticator: a signed request is served"

# ------------------------------------------------------------ rate-limited logs
# 300 datagrams from the unknown 127.0.0.2, sent by one process. The
# "unknown client" line is rate limited to one per 10 s (RLB_LOG_INTERVAL):
# over the E seconds from the first datagram to radlb's having counted the
# last one, at most E / 10 + 1 new lines (none if the line above was
# printed less than 10 s ago), however slow the machine (a busy one
# stretches E, and the bound with it), and always far fewer than 300.
before=$(rlb_stat drop.unknown_client)
lines_before=$(grep -c "no client matches" "$T_DIR/radlb.log")
t0=${EPOCHREALTIME/./}
/usr/bin/python3 "$TOP_SRCDIR/tests/tools/rlb-flood.py" -m unknown -n 300 -r 300 -a 1 -s 127.0.0.2 \
	"127.0.0.1:$RLB_AUTH" >"$T_DIR/flood.out" 2>&1 || t_fail "rlb-flood.py: $(cat "$T_DIR/flood.out")"
unknown_at_least() { [ "$(rlb_stat drop.unknown_client)" -ge "$1" ]; }
t_wait_for unknown_at_least $((before + 300)) ||
	t_fail "radlb counted $(($(rlb_stat drop.unknown_client) - before)) of the 300 datagrams"
now=${EPOCHREALTIME/./}
elapsed=$(((now - t0) / 1000000 + 1))
lines=$(($(grep -c "no client matches" "$T_DIR/radlb.log") - lines_before))
bound=$((elapsed / 10 + 1))
[ "$lines" -le "$bound" ] ||
	t_fail "300 datagrams from an unknown client in ${elapsed} s: $lines log line(s), more than $bound"
t_pass "300 datagrams from an unknown client in ${elapsed} s: $lines log line(s) (at most $bound), not 300"
t_assert_eq 301 "$(rlb_stat drop.unknown_client)" "every one of them counted"

wait "$good"
t_assert_eq 20 "$(grep -c '^1$' "$T_DIR/good.out")" "good traffic from the same NAS was served throughout (20/20)"
