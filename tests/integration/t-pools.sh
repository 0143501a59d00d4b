#!/bin/bash
# Pools and routes (issue 14, the frozen interface of doc/pools.md): several
# MFA farms behind one radlb, picked by ordered rules. With real FreeRADIUS
# farms (vpn: vpn1 vpn2; wifi: wifi1; old: old1 old2; new: new1 new2), no
# top-level servers and no default rule:
#   - a realm rule with strip: plain@vpn.example.com (and VPN\plain, and the
#     realm in capitals) reaches only the vpn farm, as User-Name "plain",
#     and the NAS gets the Access-Accept;
#   - a client rule: the same "plain" from a second NAS (127.0.0.2) goes to
#     wifi, and from the first NAS it is unroutable; first match wins;
#   - an unroutable Access-Request gets an immediate Access-Reject with
#     proxy.unroutable_reply_message and reaches no server; an unroutable
#     Accounting-Request gets no answer and is counted as a drop;
#   - a 20% migration of 1,000 users: 150..250 of them reach the new pool,
#     the same 1,000 again land each in the same pool, "radlbctl route N
#     share 30" only moves users from old to new; the counters of show
#     routes, show pools and /metrics agree with the servers' logs;
#   - a challenge chain never changes pool: its answer still reaches the
#     issuing server after "radlbctl route N share 100" and after a reload
#     that points its rule at the other pool;
#   - a share set by radlbctl survives a reload that leaves the file's share
#     unchanged;
#   - per-pool promotion (radlbctl promote vpn/vpn2): show master has one
#     line per pool, the other pools' masters are unchanged, accounting of
#     vpn goes to vpn2;
#   - per-pool spool: accounting of vpn while its master is down is answered,
#     kept in spool.directory/vpn, and replayed to vpn's master once it is
#     back; the other pools' accounting is not held up;
#   - reloads that change the routes under SMS-OTP load: 0 failed logins,
#     and the load really moved between the pools;
#   - /metrics: pool="..." on the per-server series, radlb_pool_* per pool;
#   - the text forms (show master's "master of pool POOL: NAME (epoch N)",
#     radlb_pool_rejects_total{pool}, radlb_unroutable_auth_total),
#     from snapshots taken along the way and checked at the end, so that a
#     difference of form does not hide the behaviour checked before;
#   - a missing spool.directory is created (radlb.conf(5)), also with pools.
set -u
. "$(dirname "$0")/rlb.sh"

# ------------------------------------------------------------ helpers
# The farms, as pool_entry and load_count read them (${!v}).
# shellcheck disable=SC2034
POOL_vpn="vpn1 vpn2" POOL_wifi="wifi1" POOL_old="old1 old2" POOL_new="new1 new2"
ALL_SERVERS="vpn1 vpn2 wifi1 old1 old2 new1 new2"
UNROUTABLE_MSG='No MFA farm serves this account (t-pools).'

# pool_farm NAME...: one MFA server per NAME, in $T_DIR/NAME, on free ports
# (AUTH_NAME, ACCT_NAME). The server's name is in each of its replies.
pool_farm() {
	local s auth acct
	for s in "$@"; do
		auth=$(t_free_port udp) && acct=$(t_free_port udp) || t_fail "no free port"
		"$MFA" start --name "$s" --dir "$T_DIR/$s" --auth-port "$auth" --acct-port "$acct" \
			--secret "$(server_secret "$s")" >/dev/null || t_fail "MFA server $s did not start"
		t_register_daemon "$s" "$(cat "$T_DIR/$s/pid")" "$T_DIR/$s/radiusd.log"
		printf -v "AUTH_$s" %s "$auth"
		printf -v "ACCT_$s" %s "$acct"
	done
}

# server_entry NAME ROLE: one entry of a servers list.
server_entry() {
	local a=AUTH_$1 c=ACCT_$1
	printf '{ name = "%s"; address = "127.0.0.1"; auth_port = %s; acct_port = %s; secret = "%s"; role = "%s"; }' \
		"$1" "${!a}" "${!c}" "$(server_secret "$1")" "$2"
}

# pool_entry POOL: a pools entry, its first server the master.
pool_entry() {
	local v=POOL_$1 s role=master sep=""
	printf '  { name = "%s";\n    servers = ( ' "$1"
	for s in ${!v}; do
		printf '%s%s' "$sep" "$(server_entry "$s" "$role")"
		role=subordinate
		sep=$',\n                '
	done
	printf ' ); }'
}

# The routes, numbered as show routes and "radlbctl route N" number them.
# shellcheck disable=SC2034 # every rule named, some unused
R_VPN=1 R_WIFI=2 R_PORTAL=3 R_DESK=4 R_LOAD=5 R_MIGRATE=6
SHARE=20.0   # the file's share of rule 6
DESK_POOL=old # the pool of rule 4 (NAS-Identifier "otp-desk")
LOAD_POOL=old # the pool of rule 5 (User-Name userN, no realm)

# pools_conf: writes $T_DIR/radlb.conf (atomically) from the variables above.
pools_conf() {
	local p sep=""
	{
		printf 'listen = (\n  { type = "auth"; proto = "udp"; address = "127.0.0.1"; port = %s; },\n' "$RLB_AUTH"
		printf '  { type = "acct"; proto = "udp"; address = "127.0.0.1"; port = %s; }\n);\n' "$RLB_ACCT"
		printf 'clients = (\n  { name = "nas"; network = "127.0.0.1/32"; secret = "%s"; },\n' "$CLIENT_SECRET"
		printf '  { name = "portal"; network = "127.0.0.2/32"; secret = "%s"; }\n);\n' "$CLIENT_SECRET"
		printf 'pools = (\n'
		for p in vpn wifi old new; do
			printf '%s%s' "$sep" "$(pool_entry "$p")"
			sep=$',\n'
		done
		printf '\n);\n'
		printf 'routes_seed = "";\n'
		cat <<-EOF
		routes = (
		  { realm = [ "vpn.example.com", "VPN" ]; strip = true; pool = "vpn"; },
		  { realm = [ "wifi.example.com" ]; strip = true; pool = "wifi"; },
		  { client = [ "portal" ]; pool = "wifi"; },
		  { attribute = "NAS-Identifier"; equals = "otp-desk"; pool = "$DESK_POOL"; },
		  { attribute = "User-Name"; regex = "^user[0-9]+\$"; pool = "$LOAD_POOL"; },
		  { realm = [ "example.com" ]; strip = true; pool = "old";
		    migrate = { to = "new"; share = $SHARE; }; }
		);
		EOF
		printf 'proxy = { unroutable_reply_message = "%s"; };\n' "$UNROUTABLE_MSG"
		printf 'health = { interval = 0.5; timeout = 0.4; rise = 2; fall = 2; };\n'
		printf 'spool = { directory = "%s"; max_bytes = 10000000; };\n' "$SPOOL_DIR"
		printf 'state_file = "%s";\n' "$T_DIR/state/radlb.state"
		printf 'log = { level = "info"; destination = "stderr"; };\n'
		printf 'control = { socket = "%s"; mode = "0660"; };\n' "$RLB_SOCK"
		printf 'stats = { port = %s; };\n' "$RLB_HTTP"
	} >"$T_DIR/radlb.conf.new" && mv "$T_DIR/radlb.conf.new" "$T_DIR/radlb.conf"
}

# who OUTPUT: the server named "(NAME)" at the end of the reply's Reply-Message.
who() {
	printf '%s\n' "$1" | sed -n 's/.*Reply-Message = ".*(\([A-Za-z0-9._-]*\))".*/\1/p' | tail -n 1
}

# pool_of SERVER
pool_of() {
	case $1 in vpn*) echo vpn ;; wifi*) echo wifi ;; old*) echo old ;; new*) echo new ;; *) echo "?" ;; esac
}

# lines USER SERVER...: requests.log lines for User-Name USER on the servers.
lines() {
	local u=$1 s n=0 c
	shift
	for s in "$@"; do
		c=$(grep -c " user=$u\$" "$T_DIR/$s/requests.log" 2>/dev/null)
		n=$((n + ${c:-0}))
	done
	echo "$n"
}

# total_lines SERVER...: all requests.log lines of the servers.
total_lines() {
	local s
	for s in "$@"; do cat "$T_DIR/$s/requests.log"; done | wc -l
}

# metric NAME LABEL...: the value of the sample of NAME carrying every LABEL
# (e.g. 'pool="vpn"'), whatever the order of the labels; "missing" if none.
# From /metrics, or from the file METRICS_FROM (a snapshot).
metric() {
	local name=$1
	shift
	if [ -n "${METRICS_FROM-}" ]; then cat "$METRICS_FROM"; else curl -s "$RLB_URL/metrics"; fi | awk -v n="$name" -v labels="$*" '
		BEGIN { k = split(labels, want, " ") }
		index($1, n "{") == 1 || (k == 0 && $1 == n) {
			ok = 1
			for (i = 1; i <= k; i++) if (index($1, want[i]) == 0) ok = 0
			if (ok) { print $2; found = 1; exit }
		}
		END { if (!found) print "missing" }'
}

# route_line N: rule N's line of "radlbctl show routes".
route_line() {
	rlb_ctl show routes | grep -E "^$1: " | head -n 1
}

# master_line POOL [FILE]: the pool's line of "radlbctl show master" (or of
# FILE, a snapshot of it), "master of pool POOL: NAME (epoch N), ...",
# as "POOL: NAME epoch N".
master_line() {
	if [ -n "${2-}" ]; then cat "$2"; else rlb_ctl show master; fi |
		sed -n "s/^master of pool \($1\): \([A-Za-z0-9._-]*\) (epoch \([0-9]*\)).*/\1: \2 epoch \3/p" | head -n 1
}

state_of() { rlb_ctl --json show servers | jq -r ".servers[] | select(.name == \"$1\") | .state"; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
detail_ids() { # SERVER...: the Acct-Session-Ids in their detail files
	local s
	for s in "$@"; do
		sed -n 's/^[[:space:]]*Acct-Session-Id = "\(.*\)"$/\1/p' "$T_DIR/$s/detail" 2>/dev/null
	done | sort -u
}
acct() { # SESSION-ID USER-NAME: an Accounting-Request (Start) through radlb
	rlb_acct "Acct-Status-Type = Start, Acct-Session-Id = \"$1\", User-Name = \"$2\", NAS-Identifier = \"nas\""
}

# Raw packets from another source address (radclient cannot choose it).
a() { printf '%02x%02x%s' "$1" $((${#2} / 2 + 2)) "$2"; }
MA_ATTR=5012$(printf "00%.0s" {1..16})
# udp_auth SRC USER PASSWORD: an Access-Request from SRC; prints the reply as hex ("none": no reply).
udp_auth() {
	local id=$((RANDOM % 256)) auth
	auth=$(printf '%04x' $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM)
	"$UDPSEND" -s "$1" -k "$CLIENT_SECRET" -p "$3" -w 5 127.0.0.1 "$RLB_AUTH" \
		"$(printf '01%02x0000%s%s%s' "$id" "$auth" "$MA_ATTR" "$(a 1 "$(t_hex "$2")")")" 2>/dev/null | tail -n 1
}
# hex_code HEX / hex_reply_message HEX: the code and the Reply-Message of a reply in hex.
hex_code() { printf '%d' "0x${1:0:2}" 2>/dev/null; }
hex_reply_message() {
	local h=$1 off=40 t l msg=""
	while [ $((off + 4)) -le ${#h} ]; do
		t=$((16#${h:off:2}))
		l=$((16#${h:off+2:2}))
		[ "$l" -ge 2 ] || break
		[ "$t" = 18 ] && msg=$(t_unhex "${h:off+4:(l-2)*2}")
		off=$((off + l * 2))
	done
	printf '%s\n' "$msg"
}

# ------------------------------------------------------------ farms and radlb
pool_farm $ALL_SERVERS
RLB_AUTH=$(t_free_port udp) && RLB_ACCT=$(t_free_port udp) && RLB_HTTP=$(t_free_port tcp) || t_fail "no free port"
RLB_URL=http://127.0.0.1:$RLB_HTTP
RLB_SOCK=$T_DIR/radlb.sock
# The spool directory exists beforehand here; the end of the test checks
# that radlb creates a missing one, as radlb.conf(5) says, also with pools.
mkdir -p "$T_DIR/state" "$T_DIR/spool"
SPOOL_DIR=$T_DIR/spool
pools_conf
t_pass "seven MFA servers in four farms, radlb.conf written with pools and routes"
rlb_start
t_wait_until 10 eval '[ "$(rlb_ctl --json show servers | jq "[.servers[] | select(.state == \"up\")] | length")" = 7 ]' ||
	t_fail "not all seven servers are up: $(rlb_ctl show servers)"
t_pass "radlb runs with four pools, all seven servers up"

out=$(rlb_ctl show pools)
t_assert_eq "new old vpn wifi" "$(printf '%s\n' "$out" | awk '{ print $1 }' | sed 's/:$//' | grep -xE 'vpn|wifi|old|new' | sort | tr '\n' ' ' | sed 's/ $//')" \
	"show pools: one line per pool"
out=$(rlb_ctl show routes)
t_assert_eq 6 "$(printf '%s\n' "$out" | grep -cE '^[1-6]: ')" "show routes: one line per rule"
t_assert_match "^$R_VPN: realm=vpn.example.com,VPN strip pool=vpn matched=0" "$(route_line $R_VPN)" \
	"show routes: the realm rule, its realms, strip, pool and count"
t_assert_match "^$R_MIGRATE: realm=example.com strip pool=old matched=0 migrate=new share=20.00% users=0 migrated=0" \
	"$(route_line $R_MIGRATE)" "show routes: the migration rule with its share"

# ------------------------------------------------------------ 1. realm with strip
for i in 1 2 3 4; do
	out=$(rlb_auth 'User-Name = "plain@vpn.example.com", User-Password = "plain-pw"')
	[[ $out == *'Received Access-Accept'* ]] || t_fail "plain@vpn.example.com: no Access-Accept: $out"
	[ "$(pool_of "$(who "$out")")" = vpn ] || t_fail "plain@vpn.example.com answered by $(who "$out"), not the vpn farm"
done
t_pass "plain@vpn.example.com: Access-Accept from the vpn farm, 4 of 4"
t_assert_eq "vpn=4 others=0" "vpn=$(lines plain vpn1 vpn2) others=$(lines plain wifi1 old1 old2 new1 new2)" \
	"the vpn farm, and no other, got User-Name \"plain\" (stripped) 4 times"
t_assert_eq 0 "$(cat "$T_DIR"/*/requests.log | grep -c ' user=plain@')" "no server saw the realm"
t_assert_eq "$(t_hex plain)" "$(grep -h ' user=plain$' "$T_DIR/vpn1/requests.log" | tail -n 1 | sed 's/.*user_hex=\([0-9a-f]*\).*/\1/')" \
	"the User-Name toward the server is exactly \"plain\""
t_assert_contains 'Tunnel-Password:0 = "tunnel-secret-vpn' "$out" "the reply is the server's, re-encrypted for the NAS"
out=$(rlb_auth 'User-Name = "VPN\\plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" 'VPN\plain (realm\user, second realm of the rule): Access-Accept'
t_assert_eq vpn "$(pool_of "$(who "$out")")" 'VPN\plain: from the vpn farm'
out=$(rlb_auth 'User-Name = "plain@VPN.Example.COM", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" "plain@VPN.Example.COM: the realm is compared without case"
t_assert_eq vpn "$(pool_of "$(who "$out")")" "plain@VPN.Example.COM: from the vpn farm"
t_assert_eq 6 "$(lines plain vpn1 vpn2)" "both reached the vpn farm as \"plain\""
out=$(rlb_auth 'User-Name = "plain@wifi.example.com", User-Password = "plain-pw"')
t_assert_contains 'Welcome plain (wifi1)' "$out" "plain@wifi.example.com: accepted by the wifi farm"
t_assert_eq "vpn=6 wifi=1 others=0" "vpn=$(lines plain vpn1 vpn2) wifi=$(lines plain wifi1) others=$(lines plain old1 old2 new1 new2)" \
	"each realm reached its farm only"

# ------------------------------------------------------------ 2. routing by client
UNROUTABLE_AUTH=0
reply=$(udp_auth 127.0.0.2 plain plain-pw)
t_assert_eq 2 "$(hex_code "$reply")" "plain from the second NAS (127.0.0.2, client portal): Access-Accept"
t_assert_eq "Welcome plain (wifi1)" "$(hex_reply_message "$reply")" "the client rule sent it to the wifi farm"
reply=$(udp_auth 127.0.0.2 plain@vpn.example.com plain-pw)
t_assert_eq vpn "$(pool_of "$(hex_reply_message "$reply" | sed -n 's/.*(\(.*\))$/\1/p')")" \
	"plain@vpn.example.com from the same NAS: the realm rule comes first and wins"
before=$(total_lines $ALL_SERVERS)
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
UNROUTABLE_AUTH=$((UNROUTABLE_AUTH + 1))
t_assert_contains 'Received Access-Reject' "$out" "the same plain from the first NAS (no rule for it): Access-Reject"
t_assert_eq "$before" "$(total_lines $ALL_SERVERS)" "and no server got it"

# ------------------------------------------------------------ 5. unroutable
before=$(total_lines $ALL_SERVERS)
out=$(rlb_auth 'User-Name = "plain@nowhere.invalid", User-Password = "plain-pw"')
UNROUTABLE_AUTH=$((UNROUTABLE_AUTH + 1))
t_assert_contains 'Received Access-Reject' "$out" "an unknown realm with no default rule: Access-Reject"
t_assert_eq "$UNROUTABLE_MSG" "$(attr Reply-Message "$out")" "carrying proxy.unroutable_reply_message"
t_assert_eq "$before" "$(total_lines $ALL_SERVERS)" "no MFA server received it"
t_assert_eq 0 "$(cat "$T_DIR"/*/requests.log | grep -c 'nowhere')" "(nor any earlier)"
acct_before=$(cat "$T_DIR"/*/accounting.log | wc -l)
drops=$(rlb_stat drop.unroutable)
out=$(rlb_acct 'Acct-Status-Type = Start, Acct-Session-Id = "unroutable-1", User-Name = "bob@nowhere.invalid"' -t 1 -r 1)
t_assert_eq 0 "$(printf '%s\n' "$out" | grep -c '^Received')" "an unroutable Accounting-Request gets no answer"
t_assert_eq "$acct_before" "$(cat "$T_DIR"/*/accounting.log | wc -l)" "and reaches no server"
t_wait_until 3 eval '[ "$(rlb_stat drop.unroutable)" = "$((${drops/missing/0} + 1))" ]' ||
	t_fail "show stats drop.unroutable: $(rlb_stat drop.unroutable), expected $((${drops/missing/0} + 1))"
t_pass "it is counted as drop reason unroutable"

# ------------------------------------------------------------ 3. staged migration
# The servers see the stripped user0000 ... user0999 with a wrong password:
# an Access-Reject naming the server, and a requests.log line with the pass
# in NAS-Identifier. pass_map PASS: "user pool" per user of that pass.
migration_file() { # PASS
	local i
	for ((i = 0; i < 1000; i++)); do
		printf 'User-Name = "user%04d@example.com", User-Password = "nope", NAS-Identifier = "%s"\n\n' "$i" "$1"
	done >"$T_DIR/$1.req"
}
migration_pass() { # PASS
	migration_file "$1"
	t_radclient -f "$T_DIR/$1.req" -p 50 -t 5 -r 1 -s "127.0.0.1:$RLB_AUTH" auth "$CLIENT_SECRET" >"$T_DIR/$1.out" 2>&1
	grep -qE 'Rejected[[:space:]]*:[[:space:]]*1000' "$T_DIR/$1.out" ||
		t_fail "$1: not 1000 Access-Rejects: $(grep -E 'Accepted|Rejected|Lost' "$T_DIR/$1.out" | tr -s ' \n' ' ')"
}
pass_map() { # PASS
	local s
	for s in old1 old2 new1 new2; do
		awk -v p="nas_id=$1" -v pool="$(pool_of "$s")" '
			$0 ~ (" " p " ") { for (i = 1; i <= NF; i++) if (substr($i, 1, 5) == "user=") u = substr($i, 6); print u, pool }' \
			"$T_DIR/$s/requests.log"
	done | sort -u
}
new_users() { awk '$2 == "new" { print $1 }' "$1"; }

migration_pass pass1
pass_map pass1 >"$T_DIR/pass1.map"
t_assert_eq 1000 "$(awk '{ print $1 }' "$T_DIR/pass1.map" | sort -u | wc -l)" "20%: all 1,000 users reached a server"
t_assert_eq 1000 "$(wc -l <"$T_DIR/pass1.map")" "each in exactly one pool"
t_assert_eq 0 "$(grep -c '@' "$T_DIR/pass1.map")" "the migration rule strips the realm too"
N1=$(new_users "$T_DIR/pass1.map" | wc -l)
[ "$N1" -ge 150 ] && [ "$N1" -le 250 ] || t_fail "share 20: $N1 of 1,000 users in the new pool, not 150..250"
t_pass "share 20: $N1 of 1,000 users reach the new pool (150..250)"
t_assert_eq 0 "$(cat "$T_DIR"/vpn1/requests.log "$T_DIR"/vpn2/requests.log "$T_DIR"/wifi1/requests.log | grep -c ' nas_id=pass1 ')" \
	"none reaches the other farms"
t_assert_match "^$R_MIGRATE: realm=example.com strip pool=old matched=1000 migrate=new share=20.00% users=0 migrated=$N1\$" \
	"$(route_line $R_MIGRATE)" "show routes: rule $R_MIGRATE matched 1000, migrated $N1"

migration_pass pass2
pass_map pass2 >"$T_DIR/pass2.map"
t_assert_eq "" "$(diff "$T_DIR/pass1.map" "$T_DIR/pass2.map" | head -n 5)" \
	"the same 1,000 users again: every user in the same pool as the first time"
t_assert_eq "$((2 * N1))" "$(total_lines new1 new2)" "the new pool's requests doubled exactly ($((2 * N1)))"
t_assert_eq "$((2 * (1000 - N1)))" "$(total_lines old1 old2)" "and so did the old pool's"

rlb_ctl route $R_MIGRATE share 150 >/dev/null 2>&1 && t_fail "radlbctl route $R_MIGRATE share 150 (over 100) exits 0"
t_pass "radlbctl route $R_MIGRATE share 150 (over 100) is refused"
rlb_ctl route 99 share 30 >/dev/null 2>&1 && t_fail "radlbctl route 99 (no such rule) exits 0"
t_pass "radlbctl route 99 (no such rule) is refused"
t_assert_match " share=20.00% " "$(route_line $R_MIGRATE)" "neither changed the share"
out=$(rlb_ctl route $R_MIGRATE share 30)
t_assert_eq 0 $? "radlbctl route $R_MIGRATE share 30"
t_assert_match " share=30.00% " "$(route_line $R_MIGRATE)" "show routes: the share is 30.00%"
migration_pass pass3
pass_map pass3 >"$T_DIR/pass3.map"
t_assert_eq 1000 "$(wc -l <"$T_DIR/pass3.map")" "30%: each of the 1,000 users in exactly one pool"
N3=$(new_users "$T_DIR/pass3.map" | wc -l)
[ "$N3" -ge 250 ] && [ "$N3" -le 350 ] || t_fail "share 30: $N3 of 1,000 users in the new pool, not 250..350"
t_pass "share 30: $N3 of 1,000 users reach the new pool (250..350)"
t_assert_eq "" "$(comm -23 <(new_users "$T_DIR/pass1.map") <(new_users "$T_DIR/pass3.map") | head -n 5)" \
	"raising the share moved no user back from new to old"
moved=$(comm -13 <(new_users "$T_DIR/pass1.map") <(new_users "$T_DIR/pass3.map") | wc -l)
t_assert_eq "$((N3 - N1))" "$moved" "it moved $moved users, all from old to new"

# The counters agree with the servers' logs (the old and new pools have had
# the migration's requests only so far).
NEW_LINES=$(total_lines new1 new2)
OLD_LINES=$(total_lines old1 old2)
t_assert_eq "$((2 * N1 + N3))" "$NEW_LINES" "the new pool got $((2 * N1 + N3)) requests in the three passes"
t_assert_match " migrated=$NEW_LINES\$" "$(route_line $R_MIGRATE)" "show routes: rule $R_MIGRATE migrated $NEW_LINES"
t_assert_eq "$NEW_LINES" "$(metric radlb_pool_requests_total 'pool="new"')" "radlb_pool_requests_total{pool=\"new\"}"
t_assert_eq "$OLD_LINES" "$(metric radlb_pool_requests_total 'pool="old"')" "radlb_pool_requests_total{pool=\"old\"}"
t_assert_eq "$NEW_LINES" "$(metric radlb_pool_migrated_total 'pool="new"')" "radlb_pool_migrated_total{pool=\"new\"}"
t_assert_eq 3000 "$(metric radlb_route_matched_total "rule=\"$R_MIGRATE\"")" "radlb_route_matched_total{rule=\"$R_MIGRATE\"}"
t_assert_eq "$NEW_LINES" "$(metric radlb_route_migrated_total "rule=\"$R_MIGRATE\"")" "radlb_route_migrated_total{rule=\"$R_MIGRATE\"}"
# a snapshot for the names and labels checked at the end
curl -s "$RLB_URL/metrics" >"$T_DIR/metrics.migration"
t_assert_match "^new[: ].*[^0-9]$NEW_LINES([^0-9]|\$)" "$(rlb_ctl show pools | grep -E '^new[: ]')" "show pools: the new pool's requests"

# ------------------------------------------------------------ 4. a challenge chain never changes pool
# (a) share raised to 100 between the two legs: a user of the old pool at 30%.
U=$(awk '$2 == "old" { print $1; exit }' "$T_DIR/pass3.map")
[ -n "$U" ] || t_fail "no user of the old pool"
out=$(rlb_auth "User-Name = \"$U@example.com\", User-Password = \"pw-$U\"")
issuer=$(who "$out")
state=$(attr State "$out")
t_assert_contains 'Received Access-Challenge' "$out" "$U@example.com: leg 1 challenged"
t_assert_eq old "$(pool_of "$issuer")" "by the old pool ($issuer)"
out=$(rlb_ctl route $R_MIGRATE share 100)
t_assert_eq 0 $? "radlbctl route $R_MIGRATE share 100: every user of the rule to new"
code=$("$MFA" code --dir "$T_DIR/$issuer" --user "$U" --state "$state") || t_fail "no SMS code for $U"
out=$(rlb_auth "User-Name = \"$U@example.com\", User-Password = \"$code\", State = $state")
t_assert_eq "$issuer" "$(who "$out")" "the answer still reaches the issuing server $issuer"
t_assert_contains "Welcome $U ($issuer)" "$out" "and is accepted (stripped like leg 1)"
t_assert_contains 'Received Access-Accept' "$out" "Access-Accept for the NAS"
out=$(rlb_auth "User-Name = \"$U@example.com\", User-Password = \"pw-$U\"")
t_assert_eq new "$(pool_of "$(who "$out")")" "a new login of $U@example.com now goes to the new pool"

# (b) a reload pointing the rule at the other pool between the two legs.
out=$(rlb_auth 'User-Name = "user42", User-Password = "pw-user42", NAS-Identifier = "otp-desk"')
issuer=$(who "$out")
state=$(attr State "$out")
t_assert_contains 'Received Access-Challenge' "$out" "user42 from the otp-desk NAS-Identifier: leg 1 challenged"
t_assert_eq old "$(pool_of "$issuer")" "by the old pool ($issuer)"
DESK_POOL=new
pools_conf
out=$(rlb_ctl reload 2>&1)
t_assert_eq 0 $? "radlbctl reload: the NAS-Identifier rule now names the new pool"
t_assert_match "^$R_DESK: .*pool=new " "$(route_line $R_DESK)" "show routes says so"
t_assert_match " share=100.00% " "$(route_line $R_MIGRATE)" \
	"the share set by radlbctl (100) survives a reload that leaves the file's share (20) unchanged"
code=$("$MFA" code --dir "$T_DIR/$issuer" --user user42 --state "$state") || t_fail "no SMS code for user42"
out=$(rlb_auth "User-Name = \"user42\", User-Password = \"$code\", State = $state, NAS-Identifier = \"otp-desk\"")
t_assert_contains "Welcome user42 ($issuer)" "$out" "after the reload, the answer completes on the issuing server $issuer"
t_assert_contains 'Received Access-Accept' "$out" "Access-Accept"
out=$(rlb_auth 'User-Name = "user43", User-Password = "pw-user43", NAS-Identifier = "otp-desk"')
t_assert_eq new "$(pool_of "$(who "$out")")" "a new login from otp-desk goes to the new pool"

# ------------------------------------------------------------ 6. per-pool promotion
# The roles from show servers here; show master's lines, snapshots taken
# now, are checked at the end.
role_of() { rlb_ctl show servers | awk -v s="$1" '$1 == s { print $2 }'; }
roles() { local s o=""; for s in $ALL_SERVERS; do o="$o $s=$(role_of "$s")"; done; echo "${o# }"; }
rlb_ctl show master >"$T_DIR/master.start"
t_assert_eq "vpn1=master vpn2=subordinate wifi1=master old1=master old2=subordinate new1=master new2=subordinate" \
	"$(roles)" "each pool has its own master (the file's roles)"
acct pv-1 "bob@vpn.example.com" >/dev/null
t_wait_until 3 eval '[ "$(detail_ids vpn1 | grep -c "^pv-1$")" = 1 ]' || t_fail "pv-1 is not in vpn1's detail"
t_pass "accounting of the vpn realm goes to vpn's master vpn1"
t_assert_eq '"bob"' "$(awk 'BEGIN { RS = "" } /Acct-Session-Id = "pv-1"/ { if (match($0, /User-Name = "[^"]*"/)) print substr($0, RSTART + 12, RLENGTH - 12) }' "$T_DIR/vpn1/detail")" \
	"accounting is stripped like authentication"
out=$(rlb_ctl promote vpn/vpn2)
t_assert_eq 0 $? "radlbctl promote vpn/vpn2 exits 0"
t_assert_contains 'vpn2' "$out" "and names vpn2"
rlb_ctl show master >"$T_DIR/master.promoted"
t_assert_eq "vpn1=subordinate vpn2=master wifi1=master old1=master old2=subordinate new1=master new2=subordinate" \
	"$(roles)" "vpn2 is vpn's master; the other pools' masters are unchanged"
out=$(rlb_ctl reload 2>&1)
t_assert_eq 0 $? "a reload (the file still says vpn1 is vpn's master)"
t_assert_eq "vpn1=subordinate vpn2=master" "$(roles | cut -d' ' -f1-2)" "keeps the promotion: vpn2 is vpn's master"
for i in 2 3 4; do acct "pv-$i" "bob@vpn.example.com" >/dev/null; done
acct pw-1 "dan@wifi.example.com" >/dev/null
t_assert_eq "pv-2 pv-3 pv-4" "$(detail_ids vpn2 | grep '^pv-' | tr '\n' ' ' | sed 's/ $//')" \
	"vpn's accounting (writes) now reaches vpn2"
t_assert_eq "pv-1" "$(detail_ids vpn1 | grep '^pv-' | tr '\n' ' ' | sed 's/ $//')" "and no longer vpn1"
t_assert_eq "pw-1" "$(detail_ids wifi1 | grep '^pw-')" "wifi's accounting still reaches wifi1"
t_assert_eq "" "$(detail_ids old1 old2 new1 new2 | grep '^p[vw]-')" "and no other pool's servers"
t_assert_match 'vpn2' "$(cat "$T_DIR/state/radlb.state")" "the state file names vpn2"

# ------------------------------------------------------------ 7. per-pool spool
kill -STOP "$(cat "$T_DIR/vpn2/pid")"
t_wait_until 5 is_state vpn2 down || t_fail "the stopped vpn2 is not marked down"
for i in 1 2 3 4 5; do
	out=$(acct "sp-$i" "carol@vpn.example.com")
	[[ $out == *'Received Accounting-Response'* ]] || t_fail "sp-$i: no Accounting-Response while vpn's master is down: $out"
done
t_pass "vpn's master down: its accounting is still answered (5 of 5)"
spooled=$(grep -rla 'sp-3' "$T_DIR/spool/vpn" 2>/dev/null | wc -l)
[ "$spooled" -ge 1 ] || t_fail "sp-3 is not in $T_DIR/spool/vpn: $(ls -R "$T_DIR/spool" 2>&1 | tr '\n' ' ')"
t_pass "and kept in spool.directory/vpn"
t_assert_eq "" "$(find "$T_DIR/spool" -maxdepth 1 -type f -exec grep -la 'sp-3' {} + 2>/dev/null)" \
	"not in the directory itself (the default pool's)"
t_assert_eq "" "$(detail_ids vpn1 | grep '^sp-')" "not sent to vpn1, which is not vpn's master"
out=$(acct pw-2 "dan@wifi.example.com")
t_assert_contains 'Received Accounting-Response' "$out" "wifi's accounting is answered meanwhile"
t_wait_until 3 eval '[ "$(detail_ids wifi1 | grep -c "^pw-2$")" = 1 ]' || t_fail "pw-2 did not reach wifi1 while vpn2 was down"
t_pass "and reaches wifi's master at once"
kill -CONT "$(cat "$T_DIR/vpn2/pid")"
t_wait_until 20 eval '[ "$(detail_ids vpn2 | grep -c "^sp-")" = 5 ]' ||
	t_fail "the spooled records did not reach vpn2: $(detail_ids vpn2 | grep '^sp-' | tr '\n' ' ')"
t_pass "vpn2 back: the 5 spooled records are replayed to vpn's master"
t_assert_eq "" "$(detail_ids vpn1 wifi1 old1 old2 new1 new2 | grep '^sp-')" "to no other server"
out=$(rlb_ctl promote vpn1)
t_assert_eq 0 $? "radlbctl promote vpn1 (a bare name) still works"
rlb_ctl show master >"$T_DIR/master.back"
t_assert_eq "vpn1=master vpn2=subordinate wifi1=master old1=master old2=subordinate new1=master new2=subordinate" \
	"$(roles)" "vpn1 is vpn's master again"

# ------------------------------------------------------------ 8. reloads changing the routes under load
# SMS-OTP logins userN (rule 5) back to back while 20 reloads move rule 5
# between old and new and change rule 6's share; after each reload, the
# next one waits until first legs reach rule 5's new pool.
LOAD_RE=' user=user[0-9]{6,}$'
load_count() { # POOL: load requests its servers got
	local v=POOL_$1 s
	for s in ${!v}; do cat "$T_DIR/$s/requests.log"; done | grep -cE "$LOAD_RE"
}
: >"$T_DIR/traffic.out"
(
	first=100000
	while [ ! -e "$T_DIR/stop" ]; do
		"$OTPLOGIN" -k "$CLIENT_SECRET" -d "$T_DIR" -n 100 -c 8 -f "$first" -t 2 -r 5 \
			"127.0.0.1:$RLB_AUTH" >>"$T_DIR/traffic.out" 2>&1
		first=$((first + 100))
	done
) &
TRAFFIC=$!
t_wait_until 15 grep -q '^logins' "$T_DIR/traffic.out" || t_fail "no traffic: $(cat "$T_DIR/traffic.out")"
reloads=$(rlb_stat reloads)
fails=0 stalls=0
for i in $(seq 1 20); do
	if [ $((i % 2)) = 1 ]; then LOAD_POOL=new; else LOAD_POOL=old; fi
	SHARE=$((20 + i)).0
	n=$(load_count "$LOAD_POOL")
	pools_conf
	rlb_ctl reload >/dev/null 2>>"$T_DIR/reload.err" || fails=$((fails + 1))
	t_wait_until 10 eval '[ "$(load_count "$LOAD_POOL")" -gt "$n" ]' || stalls=$((stalls + 1))
done
# one more batch after the last reload
n=$(grep -c '^logins' "$T_DIR/traffic.out")
t_wait_until 30 eval '[ "$(grep -c "^logins" "$T_DIR/traffic.out")" -gt "$n" ]' || t_fail "the traffic stopped"
touch "$T_DIR/stop"
wait "$TRAFFIC"
t_assert_eq 0 "$fails" "20 reloads changing the routes, all applied"
t_assert_eq 0 "$stalls" "after each reload, logins reached rule $R_LOAD's new pool"
t_assert_eq "$((reloads + 20))" "$(rlb_stat reloads)" "reloads counts them"
logins=$(awk '/^logins/ { n += $2 } END { print n + 0 }' "$T_DIR/traffic.out")
accepted=$(awk '/^logins/ { n += $4 } END { print n + 0 }' "$T_DIR/traffic.out")
grep '^login ' "$T_DIR/traffic.out" | head -n 20 | while IFS= read -r l; do t_log "$l"; done
t_assert_eq "$logins" "$accepted" "$accepted of $logins SMS-OTP logins accepted while the routes changed"
t_assert_eq 0 "$(awk '/^logins/ { n += $6 } END { print n + 0 }' "$T_DIR/traffic.out")" "0 failed logins"
old_load=$(load_count old)
new_load=$(load_count new)
[ "$old_load" -gt 0 ] && [ "$new_load" -gt 0 ] || t_fail "the load did not move between the pools: old $old_load, new $new_load"
t_pass "the load moved between the pools with the reloads (old $old_load, new $new_load requests)"
t_assert_eq 0 "$(cat "$T_DIR"/vpn*/requests.log "$T_DIR"/wifi1/requests.log | grep -cE "$LOAD_RE")" \
	"and never reached the other farms"
t_assert_match " share=40.00% " "$(route_line $R_MIGRATE)" "the file's new share replaced the one set by radlbctl"
rlb_ctl show master >"$T_DIR/master.reloaded"
t_assert_eq "vpn1=master vpn2=subordinate wifi1=master old1=master old2=subordinate new1=master new2=subordinate" \
	"$(roles)" "the reloads changed no master"

# ------------------------------------------------------------ 9. metrics per pool
m=$(curl -s "$RLB_URL/metrics")
for s in $ALL_SERVERS; do
	printf '%s\n' "$m" | grep -E '^radlb_server_up\{' | grep -F "server=\"$s\"" | grep -qF "pool=\"$(pool_of "$s")\"" ||
		t_fail "radlb_server_up of $s has no pool=\"$(pool_of "$s")\" label: $(printf '%s\n' "$m" | grep -E '^radlb_server_up\{' | tr '\n' ' ')"
done
t_pass "per-server series carry pool=\"...\" (radlb_server_up of all seven servers)"
t_assert_eq 0 "$(printf '%s\n' "$m" | grep -E '^radlb_server_[a-z_]+(\{| )' | grep -vc 'pool="')" \
	"every per-server sample carries a pool label"
for p in vpn wifi old new; do
	v=$(metric radlb_pool_requests_total "pool=\"$p\"")
	[[ $v =~ ^[0-9]+$ ]] && [ "$v" -gt 0 ] || t_fail "radlb_pool_requests_total{pool=\"$p\"} is $v"
done
t_pass "radlb_pool_requests_total for each of the four pools"

# ------------------------------------------------------------ the text interface of the spec
# show master: "master of pool POOL: NAME (epoch N), ..." per pool, at each step above.
t_assert_eq 4 "$(grep -cE '^master of pool (vpn|wifi|old|new): [A-Za-z0-9._-]+ \(epoch [0-9]+\)' "$T_DIR/master.start")" \
	"show master: one line per pool, master of pool POOL: NAME (epoch N)"
t_assert_eq "vpn: vpn1 epoch 0|wifi: wifi1 epoch 0|old: old1 epoch 0|new: new1 epoch 0" \
	"$(for p in vpn wifi old new; do master_line "$p" "$T_DIR/master.start"; done | paste -sd '|')" \
	"show master at start: the file's masters, epoch 0"
t_assert_eq "vpn: vpn2 epoch 1|wifi: wifi1 epoch 0|old: old1 epoch 0|new: new1 epoch 0" \
	"$(for p in vpn wifi old new; do master_line "$p" "$T_DIR/master.promoted"; done | paste -sd '|')" \
	"show master after promote vpn/vpn2: vpn2 epoch 1, the other pools unchanged"
t_assert_eq "vpn: vpn1 epoch 2" "$(master_line vpn "$T_DIR/master.back")" "show master after promote vpn1: epoch 2"
t_assert_eq "vpn: vpn1 epoch 2" "$(master_line vpn "$T_DIR/master.reloaded")" "and after the 20 reloads"
# /metrics as of the end of the migration (section 3).
METRICS_FROM=$T_DIR/metrics.migration
t_assert_eq "$NEW_LINES" "$(metric radlb_pool_rejects_total 'pool="new"')" \
	"radlb_pool_rejects_total{pool=\"new\"}: every request of the new pool"
t_assert_eq 0 "$(metric radlb_pool_accepts_total 'pool="new"')" \
	"radlb_pool_accepts_total{pool=\"new\"}: none"
t_assert_eq "$UNROUTABLE_AUTH" "$(metric radlb_unroutable_auth_total)" "radlb_unroutable_auth_total"
t_assert_eq 1 "$(metric radlb_unroutable_acct_total)" "radlb_unroutable_acct_total"
unset METRICS_FROM

# ------------------------------------------------------------ a missing spool directory
rlb_stop
SPOOL_DIR=$T_DIR/spool-new
pools_conf
rlb_start radlb-new-spool
t_pass "radlb starts with pools and a spool.directory that does not exist yet"
[ -d "$SPOOL_DIR" ] || t_fail "$SPOOL_DIR was not created"
t_pass "and creates it"
