#!/bin/bash
# tests/mfa/selftest.sh -- checks the MFA-like FreeRADIUS fixture directly with
# radclient (no proxy involved).  Exit 0 only if everything passes.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
MFA=$HERE/mfa-server.sh

t_tmpdir
SECRET='s3cret "with" spaces\and$tuff'

start_mfa() { # NAME VARPREFIX [extra launcher args...]
	local name=$1 var=$2 auth acct
	shift 2
	auth=$(t_free_port udp) && acct=$(t_free_port udp) || t_fail "no free port"
	"$MFA" start --name "$name" --dir "$T_DIR/$name" --auth-port "$auth" --acct-port "$acct" \
		--secret "$SECRET" "$@" || t_fail "start $name"
	t_register_daemon "$name" "$(cat "$T_DIR/$name/pid")" "$T_DIR/$name/radiusd.log"
	printf -v "${var}_AUTH" %s "$auth"
	printf -v "${var}_ACCT" %s "$acct"
	printf -v "${var}_DIR" %s "$T_DIR/$name"
	t_pass "$name started (auth $auth, acct $acct)"
}

# rc PORT TYPE ATTRS [RADCLIENT_OPTS...]: send one packet, print radclient -x
# output (never fails; the caller checks the output)
rc() {
	local port=$1 type=$2 attrs=$3
	shift 3
	printf '%s\n' "$attrs" | t_radclient -x "$@" "127.0.0.1:$port" "$type" "$SECRET" 2>&1
	return 0
}

# attribute value from radclient output: last "Name = value" line, quotes removed
attr() { # NAME OUTPUT
	printf '%s\n' "$2" | sed -n "s/^[[:space:]]*$1 = //p" | tail -n 1 | sed 's/^"\(.*\)"$/\1/'
}

start_mfa mfa-a A
start_mfa mfa-b B --require-ma
start_mfa mfa-c C --no-status-server

MA='Message-Authenticator = 0x00'

# ---------------------------------------------------------------- Status-Server
out=$(rc "$A_AUTH" status "$MA")
t_assert_contains 'Received Access-Accept' "$out" "Status-Server (auth port) answered"
t_assert_contains 'Reply-Message = "MFA server mfa-a alive"' "$out" "Status-Server reply names the server"
out=$(rc "$A_ACCT" status "$MA")
t_assert_contains 'Received Accounting-Response' "$out" "Status-Server (acct port) answered"
out=$(rc "$B_AUTH" status "$MA")
t_assert_contains 'Reply-Message = "MFA server mfa-b alive"' "$out" "Status-Server answered by mfa-b"
out=$(rc "$C_AUTH" status "$MA" -t 1)
t_assert_contains 'No reply from server' "$out" "--no-status-server: Status-Server ignored"

# ---------------------------------------------------------------- plain
out=$(rc "$A_AUTH" auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" "plain: Access-Accept"
t_assert_contains 'Reply-Message = "Welcome plain (mfa-a)"' "$out" "plain: Reply-Message"
t_assert_match 'Tunnel-Password:[01] = "tunnel-secret-mfa-a"' "$out" "plain: Tunnel-Password decrypted"
t_assert_contains 'MS-MPPE-Send-Key = 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' "$out" "plain: MS-MPPE-Send-Key decrypted"
t_assert_contains 'MS-MPPE-Recv-Key = 0xf0e0d0c0b0a090807060504030201000ffeeddccbbaa99887766554433221100' "$out" "plain: MS-MPPE-Recv-Key decrypted"
t_assert_eq "class-mfa-a" "$(t_unhex "$(attr Class "$out")")" "plain: Class"

out=$(rc "$C_AUTH" auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Reply-Message = "Welcome plain (mfa-c)"' "$out" "plain: accepted by mfa-c too"

out=$(rc "$A_AUTH" auth 'User-Name = "plain", User-Password = "wrong"')
t_assert_contains 'Received Access-Reject' "$out" "plain wrong password: Access-Reject"
t_assert_contains 'Reply-Message = "Wrong password (mfa-a)"' "$out" "plain wrong password: Reply-Message"

out=$(rc "$A_AUTH" auth 'User-Name = "nobody", User-Password = "x"')
t_assert_contains 'Received Access-Reject' "$out" "unknown user: Access-Reject"

# ---------------------------------------------------------------- require-ma
out=$(rc "$B_AUTH" auth 'User-Name = "plain", User-Password = "plain-pw", NAS-Identifier = "no-ma-probe"' -t 1)
t_assert_contains 'No reply from server' "$out" "--require-ma: request without Message-Authenticator dropped"
t_assert_eq 0 "$(grep -c 'nas_id=no-ma-probe ' "$B_DIR/requests.log")" "--require-ma: dropped request not processed"
out=$(rc "$B_AUTH" auth "User-Name = \"plain\", User-Password = \"plain-pw\", $MA")
t_assert_contains 'Reply-Message = "Welcome plain (mfa-b)"' "$out" "--require-ma: request with Message-Authenticator accepted"

# ---------------------------------------------------------------- SMS-OTP: alice
out=$(rc "$A_AUTH" auth 'User-Name = "alice", User-Password = "correct horse battery"')
t_assert_contains 'Received Access-Challenge' "$out" "alice: Access-Challenge"
t_assert_contains 'Reply-Message = "Enter the code sent by SMS (mfa-a)"' "$out" "alice: challenge Reply-Message"
state=$(attr State "$out")
state_str=$(t_unhex "$state")
t_assert_match '^mfa-a:alice:[0-9a-f]{32}$' "$state_str" "alice: State issued by mfa-a ($state_str)"
code=$("$HERE/mfa-server.sh" code --dir "$A_DIR" --user alice) || t_fail "no SMS code"
t_assert_match '^[0-9]{6}$' "$code" "alice: 6-digit SMS code"
t_assert_eq "$code" "$("$HERE/mfa-server.sh" code --dir "$A_DIR" --user alice --state "$state")" "code lookup by State"
t_assert_contains "user=alice code=$code state=$state_str server=mfa-a" "$(cat "$A_DIR/sms.log")" "sms.log line"

out=$(rc "$B_AUTH" auth "User-Name = \"alice\", User-Password = \"$code\", State = $state, $MA")
t_assert_contains 'Received Access-Reject' "$out" "State presented to the other server: Access-Reject"
t_assert_contains 'Reply-Message = "Unknown session (mfa-b)"' "$out" "State presented to the other server: Unknown session"

out=$(rc "$A_AUTH" auth "User-Name = \"alice\", User-Password = \"wrong1\", State = $state")
t_assert_contains 'Reply-Message = "Wrong code (mfa-a)"' "$out" "wrong code: Wrong code"
t_assert_contains 'Received Access-Reject' "$out" "wrong code: Access-Reject"

out=$(rc "$A_AUTH" auth "User-Name = \"alice\", User-Password = \"$code\", State = $state, Proxy-State = 0xaa01, Proxy-State = 0xbb02")
t_assert_contains 'Received Access-Accept' "$out" "right code: Access-Accept"
t_assert_contains 'Reply-Message = "Welcome alice (mfa-a)"' "$out" "right code: Reply-Message"
t_assert_eq "class-mfa-a" "$(t_unhex "$(attr Class "$out")")" "right code: Class"
t_assert_eq "0xaa01 0xbb02" "$(printf '%s\n' "$out" | sed -n '/^Received/,$s/^[[:space:]]*Proxy-State = //p' | xargs)" \
	"Proxy-State echoed in order (Access-Accept)"

out=$(rc "$A_AUTH" auth "User-Name = \"alice\", User-Password = \"$code\", State = $state")
t_assert_contains 'Reply-Message = "Unknown session (mfa-a)"' "$out" "replayed answer: Unknown session"

out=$(rc "$A_AUTH" auth 'User-Name = "alice", User-Password = "correct horse"')
t_assert_contains 'Reply-Message = "Wrong password (mfa-a)"' "$out" "alice wrong password"

out=$(rc "$A_AUTH" auth 'User-Name = "alice", User-Password = "correct horse battery", Proxy-State = 0x01, Proxy-State = 0x0203')
t_assert_eq "0x01 0x0203" "$(printf '%s\n' "$out" | sed -n '/^Received/,$s/^[[:space:]]*Proxy-State = //p' | xargs)" \
	"Proxy-State echoed in order (Access-Challenge)"

# ---------------------------------------------------------------- SMS-OTP: userNNN, in bulk
N=50
: >"$T_DIR/leg1"
for ((i = 1; i <= N; i++)); do
	printf 'User-Name = "user%d", User-Password = "pw-user%d", %s\n\n' "$i" "$i" "$MA" >>"$T_DIR/leg1"
done
out=$(t_radclient -x -p "$N" -f "$T_DIR/leg1" "127.0.0.1:$B_AUTH" auth "$SECRET" 2>&1)
t_assert_eq "$N" "$(grep -c '^Received Access-Challenge' <<<"$out")" "user1..user$N: $N challenges"
: >"$T_DIR/leg2"
for ((i = 1; i <= N; i++)); do
	line=$(grep "^user=user$i " "$B_DIR/sms.log" | tail -n 1)
	c=$(sed 's/.* code=\([0-9]*\) .*/\1/' <<<"$line")
	s=$(sed 's/.* state=\([^ ]*\) .*/\1/' <<<"$line")
	printf 'User-Name = "user%d", User-Password = "%s", State = 0x%s, %s\n\n' "$i" "$c" "$(t_hex "$s")" "$MA" >>"$T_DIR/leg2"
done
out=$(t_radclient -x -p "$N" -f "$T_DIR/leg2" "127.0.0.1:$B_AUTH" auth "$SECRET" 2>&1)
t_assert_eq "$N" "$(grep -c '^Received Access-Accept' <<<"$out")" "user1..user$N: $N accepts"
t_assert_contains 'Reply-Message = "Welcome user7 (mfa-b)"' "$out" "userN: Reply-Message"
out=$(rc "$A_AUTH" auth 'User-Name = "user12", User-Password = "pw-user13"')
t_assert_contains 'Reply-Message = "Wrong password (mfa-a)"' "$out" "userN wrong password"

# ---------------------------------------------------------------- requests.log
# An odd, long password with quotes, backslash, spaces and UTF-8 (radclient
# input syntax: \" and \\ are escapes).
pw='p@ss "quoted" back\slash  two  spaces ünïcödé €uro tab-less 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ'
pw_in=${pw//\\/\\\\}
pw_in=${pw_in//\"/\\\"}
out=$(rc "$A_AUTH" auth "User-Name = \"plain\", User-Password = \"$pw_in\", NAS-Identifier = \"selftest-odd\", Proxy-State = 0x01, Proxy-State = 0x02")
t_assert_contains 'Reply-Message = "Wrong password (mfa-a)"' "$out" "odd password rejected"
line=$(grep 'nas_id=selftest-odd ' "$A_DIR/requests.log")
t_assert_eq 1 "$(grep -c . <<<"$line")" "requests.log: exactly one line for the request"
t_assert_contains " pass_hex=$(t_hex "$pw") " "$line" "requests.log: password arrived intact (${#pw} chars)"
t_assert_contains " proxy_state=2 " "$line" "requests.log: Proxy-State count"
t_assert_match ' user=plain$' "$line" "requests.log: user"
t_assert_contains " state=$state " "$(grep ' user=alice$' "$A_DIR/requests.log" | sed -n 2p)" "requests.log: State of the answer leg"

# ---------------------------------------------------------------- push
echo 2 >"$A_DIR/push_delay"
t0=${EPOCHREALTIME/./}
rc "$A_AUTH" auth 'User-Name = "push", User-Password = "push-pw"' -t 10 >"$T_DIR/push.out" &
push_pid=$!
t_wait_for grep -q ' user=push$' "$A_DIR/requests.log" || t_fail "push request not seen"
t1=${EPOCHREALTIME/./}
out=$(rc "$A_AUTH" auth 'User-Name = "plain", User-Password = "plain-pw"')
t2=${EPOCHREALTIME/./}
t_assert_contains 'Received Access-Accept' "$out" "other requests served while a push is pending"
[ $((t2 - t1)) -lt 1000000 ] || t_fail "plain took $(((t2 - t1) / 1000)) ms during a push"
t_pass "... and quickly ($(((t2 - t1) / 1000)) ms)"
wait "$push_pid"
t3=${EPOCHREALTIME/./}
out=$(cat "$T_DIR/push.out")
t_assert_contains 'Received Access-Accept' "$out" "push: Access-Accept"
t_assert_contains 'Reply-Message = "Push approved (mfa-a)"' "$out" "push: Reply-Message"
[ $((t3 - t0)) -ge 2000000 ] || t_fail "push answered after $(((t3 - t0) / 1000)) ms, expected >= 2000"
t_pass "push: delayed by push_delay ($(((t3 - t0) / 1000)) ms)"

# ---------------------------------------------------------------- accounting
out=$(rc "$A_ACCT" acct 'User-Name = "plain", Acct-Status-Type = Start, Acct-Session-Id = "selftest-sess-1", NAS-Identifier = "nas-acct", Proxy-State = 0x11, Proxy-State = 0x22')
t_assert_contains 'Received Accounting-Response' "$out" "accounting: Accounting-Response"
t_assert_eq "0x11 0x22" "$(printf '%s\n' "$out" | sed -n '/^Received/,$s/^[[:space:]]*Proxy-State = //p' | xargs)" \
	"Proxy-State echoed in order (Accounting-Response)"
t_assert_contains 'Acct-Session-Id = "selftest-sess-1"' "$(cat "$A_DIR/detail")" "accounting: in the detail file"
t_assert_contains 'session=selftest-sess-1' "$(cat "$A_DIR/accounting.log")" "accounting: in accounting.log"
t_assert_eq 0 "$(grep -c 'selftest-sess-1' "$B_DIR/detail")" "accounting: not in the other server's detail"

# ---------------------------------------------------------------- stop
"$MFA" stop --dir "$C_DIR" || t_fail "stop mfa-c"
t_assert_eq "" "$(cat "$C_DIR/pid" 2>/dev/null)" "stop: pid file removed"
out=$(rc "$C_AUTH" auth 'User-Name = "plain", User-Password = "plain-pw"' -t 1)
t_assert_contains 'No reply' "$out" "stop: server gone"
