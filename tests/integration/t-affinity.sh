#!/bin/bash
# Affinity for NAS that do not echo State (sticky.affinity_attributes): the
# code comes back as a new Access-Request without State; with affinity on,
# radlb sends it to the server that issued the challenge because its
# User-Name and Calling-Station-Id match. Off by default: without it the
# answers go wherever the balancer says, and fail.
set -u
. "$(dirname "$0")/rlb.sh"

rlb_farm 3
RLB_PROXY='balance = "round-robin";'

# login_nostate USER STATION: both legs, the second without State; sets
# LAST_ISSUER and LOGIN_OUT (the answer's radclient output)
login_nostate() {
	local out code
	out=$(rlb_auth "User-Name = \"$1\", User-Password = \"pw-$1\", Calling-Station-Id = \"$2\"")
	LAST_ISSUER=$(served_by "$out")
	LOGIN_OUT=$out
	[ -n "$LAST_ISSUER" ] || return 1
	code=$("$MFA" code --dir "$T_DIR/$LAST_ISSUER" --user "$1") || return 1
	LOGIN_OUT=$(rlb_auth "User-Name = \"$1\", User-Password = \"$code\", Calling-Station-Id = \"$2\"")
}

# ------------------------------------------------------------ affinity off (default)
rlb_config
rlb_start radlb-off
fails=0
for i in 1 2 3 4 5 6; do
	login_nostate "nostate$i" "00-11-22-33-44-0$i"
	[[ $LOGIN_OUT == *"Received Access-Accept"* ]] || fails=$((fails + 1))
done
t_assert_eq 6 "$fails" "without affinity, answers without State land on another server and fail (6/6)"
rlb_stop

# ------------------------------------------------------------ affinity on
RLB_EXTRA='sticky = { affinity_attributes = [ "User-Name", "Calling-Station-Id" ]; affinity_ttl = 60; };'
rlb_config
rlb_start radlb-on
ok=0
declare -A issuers=()
for i in $(seq 11 22); do
	login_nostate "nostate$i" "00-11-22-33-44-$i" || t_fail "nostate$i: no challenge"
	issuers[$LAST_ISSUER]=1
	[[ $LOGIN_OUT == *"Welcome nostate$i ($LAST_ISSUER)"* ]] && ok=$((ok + 1))
done
t_assert_eq 12 "$ok" "with affinity, 12 logins without State accepted, each by its issuer"
t_assert_eq 3 "${#issuers[@]}" "first legs still spread over the three servers"
t_assert_eq 12 "$(rlb_stat affinity.hits)" "12 answers routed by affinity"
t_assert_eq 0 "$(rlb_stat affinity.entries)" "each entry forgotten once its login ended"

# Another station (another device of the same user) is not the same key.
out=$(rlb_auth 'User-Name = "nostate30", User-Password = "pw-nostate30", Calling-Station-Id = "aa-aa"')
srv=$(served_by "$out")
code=$("$MFA" code --dir "$T_DIR/$srv" --user nostate30)
out=$(rlb_auth "User-Name = \"nostate30\", User-Password = \"$code\", Calling-Station-Id = \"bb-bb\"")
t_assert_contains 'Wrong password' "$out" "an answer from another Calling-Station-Id does not follow the affinity"

# A request missing one of the attributes has no affinity key.
hits=$(rlb_stat affinity.hits)
rlb_auth 'User-Name = "plain", User-Password = "plain-pw"' >/dev/null
t_assert_eq "$hits" "$(rlb_stat affinity.hits)" "a request without Calling-Station-Id is balanced"

# radlb -C names a misspelt attribute.
printf '%s\n' 'listen = ( { type = "auth"; address = "127.0.0.1"; port = 11812; } );' \
	'clients = ( { name = "c"; network = "127.0.0.1"; secret = "a-long-enough-secret"; } );' \
	'servers = ( { name = "s"; address = "127.0.0.1"; secret = "a-long-enough-secret"; role = "master"; } );' \
	'control = { socket = ""; };' \
	'sticky = { affinity_attributes = [ "User-Name", "Caling-Station-Id" ]; };' >"$T_DIR/bad.conf"
out=$("$RADLB" -C -f "$T_DIR/bad.conf" 2>&1)
t_assert_contains '"Caling-Station-Id" is not an attribute of the RADIUS dictionary' "$out" "a misspelt attribute is refused with the name"
