#!/bin/bash
# radlb -C: a valid file exits 0; every kind of mistake exits non-zero with
# "file:line: key "x": what is wrong", and radlb -f refuses to start.
set -u
. "$(dirname "$0")/rlb.sh"

out=$("$RADLB" -C -f "$TOP_SRCDIR/conf/radlb.conf" 2>&1)
t_assert_eq 0 $? "the shipped conf/radlb.conf is valid"
t_assert_contains "is valid" "$out" "and radlb says so"

good='listen = ( { type = "auth"; address = "127.0.0.1"; port = 11812; } );
clients = ( { name = "vpn"; network = "10.0.0.0/8"; secret = "a-long-enough-secret"; } );
servers = ( { name = "mfa1"; address = "127.0.0.1"; secret = "another-long-secret"; role = "master"; } );
control = { socket = ""; };'

# check NAME CONFIG EXPECTED-SUBSTRING: radlb -C must fail with that message
check() {
	local f=$T_DIR/$1.conf out rc
	printf '%s\n' "$2" >"$f"
	out=$("$RADLB" -C -f "$f" 2>&1)
	rc=$?
	t_assert_eq 1 "$rc" "$1: radlb -C exits 1"
	t_assert_contains "$f:$3" "$out" "$1: says $f:$3"
}

check unknown-key "$good
colour = \"blue\";" '5: key "colour": unknown key'
check unknown-in-section "${good/secret = \"a-long-enough-secret\";/secret = \"a-long-enough-secret\"; secert = \"x\";}" \
	'2: key "secert": unknown key in section "clients"'
check bad-address "${good/10.0.0.0\/8/10.0.0.0\/33}" '2: key "network": "10.0.0.0/33" is not a network'
check bad-server-address "${good/address = \"127.0.0.1\"; secret/address = \"mfa1.example\"; secret}" \
	'3: key "address": "mfa1.example" is not an IPv4 or IPv6 address'
check missing-secret "${good/secret = \"a-long-enough-secret\"; /}" '2: key "secret": is required'
check empty-secret "${good/a-long-enough-secret/}" '2: key "secret": the secret of client "vpn" is empty'
dup='servers = ( { name = "mfa1"; address = "127.0.0.2"; secret = "another-long-secret"; }, '
check duplicate-name "${good/servers = ( /$dup}" '3: key "name": server "mfa1" is already defined'
check no-master "${good/ role = \"master\";/}" '3: key "servers": no server has role = "master"'
check wrong-type "${good/port = 11812/port = \"11812\"}" '1: key "port": must be an integer, not a string'
check out-of-range "${good/port = 11812/port = 70000}" '1: key "port": 70000 is out of range'
check bad-enum "$good
proxy = { balance = \"random\"; };" '5: key "balance": "random" is not one of'
check syntax "$good
proxy = { balance = ; };" "5: syntax error"
check world-writable "${good/socket = \"\";/socket = \"\/tmp\/x.sock\"; mode = \"0666\";}" \
	'4: key "mode": "0666" gives every local user access'

out=$("$RADLB" -C -f "$T_DIR/does-not-exist.conf" 2>&1)
t_assert_eq 1 $? "an unreadable file: exit 1"
t_assert_contains "cannot read the configuration file" "$out" "an unreadable file: says why"

# A short secret is a warning, not an error.
printf '%s\n' "${good/a-long-enough-secret/short}" >"$T_DIR/short.conf"
out=$("$RADLB" -C -f "$T_DIR/short.conf" 2>&1)
t_assert_eq 0 $? "a 5-octet secret still loads"
t_assert_contains 'warning: key "secret": the secret of client "vpn" is only 5 octets' "$out" "with a warning"

# radlb -f on a bad file starts nothing.
printf '%s\n' "$good
colour = 1;" >"$T_DIR/bad.conf"
out=$(timeout 10 "$RADLB" -f "$T_DIR/bad.conf" 2>&1)
t_assert_eq 1 $? "radlb -f with a bad file exits 1"
t_assert_contains "has errors; nothing started" "$out" "and says nothing was started"
