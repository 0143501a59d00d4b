#!/bin/bash
# The auth log (log.auth, on by default): one line per finished exchange,
# with client, user, server, result and latency; the legs of an SMS-OTP
# login share one login id, the answer's line counts the challenges and
# the whole login's time, on the same instance or (through Redis) on
# another; a timeout, radlb's own reject and accounting have their lines;
# no password, code or secret ever appears; a hostile User-Name stays on
# one line; JSON lines for a SIEM; "off" writes none; "syslog" sends them
# to syslog's authpriv whatever log.destination says.
set -u
. "$(dirname "$0")/rlb.sh"

rlb_farm 3
RLB_PROXY='response_timeout = 2.0;'
rlb_config
rlb_start
LOG=$T_DIR/radlb.log

# auth_lines PATTERN: the auth lines of the log that match PATTERN.
auth_lines() { grep ' radlb info: auth: ' "$LOG" | grep -e "$1"; }
# field NAME LINE: one key=value field of a text line.
field() { printf '%s\n' "$2" | sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p"; }

# ---- an SMS-OTP login: two legs, one login id
rlb_otp_login alice 'correct horse battery' || t_fail "alice: no challenge"
t_assert_contains "Received Access-Accept" "$LOGIN_REPLY" "alice's SMS-OTP login is accepted by $LOGIN_ISSUER"
t_wait_for sh -c "grep -q 'auth: .*user=\"alice\".*result=accept' '$LOG'" || t_fail "no accept line for alice"
leg1=$(auth_lines 'user="alice"' | grep 'result=challenge' | tail -n 1)
leg2=$(auth_lines 'user="alice"' | grep 'result=accept' | tail -n 1)
t_assert_match "auth: login=[0-9a-f]{16} leg=1 client=nas from=127\.0\.0\.1:[0-9]+ user=\"alice\" server=$LOGIN_ISSUER result=challenge ms=[0-9]+$" \
	"$leg1" "the first leg's line: login id, leg 1, client, address, user, the issuer, challenge, latency"
t_assert_match "auth: login=[0-9a-f]{16} leg=2 client=nas from=127\.0\.0\.1:[0-9]+ user=\"alice\" server=$LOGIN_ISSUER result=accept ms=[0-9]+ challenges=1 login_ms=[0-9]+$" \
	"$leg2" "the answer's line: leg 2, accepted by the issuer, one challenge, the whole login's time"
t_assert_eq "$(field login "$leg1")" "$(field login "$leg2")" "both legs carry the same login id"
t_assert_eq 1 "$([ "$(field login_ms "$leg2")" -ge "$(field ms "$leg2")" ] && echo 1)" \
	"the login's time covers its last leg's"

# Two logins of the same user are two login ids.
rlb_otp_login alice 'correct horse battery' || t_fail "alice: no second challenge"
ids=$(auth_lines 'user="alice"' | sed -n 's/.* login=\([0-9a-f]*\) .*/\1/p' | sort -u | wc -l)
t_assert_eq 2 "$ids" "a second login of alice has its own login id"

# ---- one-leg logins
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains "Received Access-Accept" "$out" "a PAP login is accepted"
out=$(rlb_auth 'User-Name = "plain", User-Password = "wrong-guess-42"')
t_assert_contains "Received Access-Reject" "$out" "a wrong password is rejected"
t_wait_for sh -c "grep -q 'user=\"plain\".*result=reject' '$LOG'" || t_fail "no reject line"
t_assert_match "leg=1 client=nas .* user=\"plain\" server=mfa[123] result=accept ms=[0-9]+ challenges=0 login_ms=[0-9]+$" \
	"$(auth_lines 'user="plain"' | grep result=accept)" "an accepted one-leg login: no challenge"
t_assert_match "user=\"plain\" server=mfa[123] result=reject ms=[0-9]+ challenges=0" \
	"$(auth_lines 'user="plain"' | grep result=reject)" "the rejected one names its server"

# ---- a server that never answers in time: radlb's reject, one line
for i in 1 2 3; do echo 6 >"$T_DIR/mfa$i/push_delay"; done
out=$(rlb_auth 'User-Name = "push", User-Password = "push-pw"' -t 8)
t_assert_contains "Received Access-Reject" "$out" "a push that outlives response_timeout gets radlb's Access-Reject"
t_wait_for sh -c "grep -q 'user=\"push\".*result=timeout' '$LOG'" || t_fail "no timeout line"
t_assert_match "user=\"push\" server=mfa[123] result=timeout ms=[0-9]+ challenges=0 login_ms=[0-9]+ reason=\"Access-Reject sent\"$" \
	"$(auth_lines 'user="push"')" "the timeout names the server that did not answer"
t_assert_eq 1 "$(auth_lines 'user="push"' | wc -l)" "one line for it, not a second for radlb's reject"

# ---- accounting
out=$(rlb_acct 'User-Name = "alice", Acct-Status-Type = Start, Acct-Session-Id = "as-1"')
t_assert_contains "Received Accounting-Response" "$out" "accounting is answered"
t_wait_for sh -c "grep -q 'acct: .*user=\"alice\"' '$LOG'" || t_fail "no acct line"
t_assert_match "acct: client=nas from=127\.0\.0\.1:[0-9]+ user=\"alice\" status=Start server=mfa1 result=answered ms=[0-9]+$" \
	"$(grep ' radlb info: acct: ' "$LOG" | tail -n 1)" "an accounting line: status, the master, answered"

# ---- a hostile User-Name stays one line, quoted
out=$(rlb_auth 'User-Name = "eve\"x\nresult=accept", User-Password = "nope-nope-1"')
t_wait_for sh -c "grep -q 'user=\"eve' '$LOG'" || t_fail "no line for eve"
line=$(grep 'user="eve' "$LOG")
t_assert_contains 'user="eve\"x\x0aresult=accept"' "$line" "a quote and a newline in User-Name are escaped"
t_assert_eq 0 "$(grep -c '^result=accept' "$LOG")" "no forged line from User-Name"

# ---- nothing secret in the log
for s in 'correct horse battery' "$CLIENT_SECRET" "$(server_secret mfa1)" push-pw plain-pw wrong-guess-42; do
	grep -qF -- "$s" "$LOG" && t_fail "the log holds a secret or password: $s"
done
codes=$(sed -n 's/.*code=\([0-9]*\).*/\1/p' "$T_DIR"/mfa*/sms.log)
[ -n "$codes" ] || t_fail "no SMS code to look for"
for c in $codes; do
	grep -q "=$c\b\|\"$c\"" "$LOG" && t_fail "the log holds the SMS code $c"
done
t_pass "no password, SMS code or shared secret in the log"

# ---- JSON lines
rlb_stop
sed -i 's/^log = .*/log = { level = "info"; destination = "stderr"; format = "json"; };/' "$T_DIR/radlb.conf"
: >"$T_DIR/radlb-json.log"
LOG=$T_DIR/radlb-json.log
rlb_start radlb-json
rlb_otp_login user7 pw-user7 || t_fail "user7: no challenge"
t_wait_for sh -c "grep -q '\"result\":\"accept\"' '$LOG'" || t_fail "no JSON accept line"
j=$(grep '"event":"auth"' "$LOG" | jq -c 'select(.user == "user7")')
t_assert_eq 2 "$(printf '%s\n' "$j" | wc -l)" "two JSON auth lines for user7's login"
t_assert_eq 1 "$(printf '%s\n' "$j" | jq -r .login | sort -u | wc -l)" "with one login id"
t_assert_eq "challenge accept" "$(printf '%s\n' "$j" | jq -r .result | tr '\n' ' ' | sed 's/ $//')" "challenge, then accept"
t_assert_eq 1 "$(printf '%s\n' "$j" | jq -r 'select(.result == "accept") | .challenges')" "challenges is a number"
t_assert_eq "info nas" "$(printf '%s\n' "$j" | jq -r 'select(.result == "accept") | "\(.level) \(.client)"')" "level and client as members"

# ---- off
rlb_stop
sed -i 's/^log = .*/log = { level = "info"; destination = "stderr"; auth = "off"; };/' "$T_DIR/radlb.conf"
LOG=$T_DIR/radlb-off.log
rlb_start radlb-off
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains "Received Access-Accept" "$out" "log.auth off: logins go on"
t_assert_eq 0 "$(grep -c 'auth: \|acct: ' "$LOG")" "log.auth = \"off\" writes no auth line"

# ---- syslog: radlb in a mount namespace whose /dev/log is a socket of ours
rlb_stop
sed -i 's/^log = .*/log = { level = "info"; destination = "stderr"; auth = "syslog"; };/' "$T_DIR/radlb.conf"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536) + b"\n")
' "$T_DIR/devlog.sock" "$T_DIR/syslog.txt" &
t_register_daemon syslog $! "$T_DIR/syslog.txt"
t_wait_for test -S "$T_DIR/devlog.sock" || t_fail "no syslog socket"
mkdir -p "$T_DIR/dev"
unshare --mount --propagation private sh -c '
	mount --rbind /dev "$1/dev" && mount -t tmpfs -o size=1m tmpfs /dev &&
	for d in null zero urandom random; do touch "/dev/$d" && mount --bind "$1/dev/$d" "/dev/$d"; done &&
	touch /dev/log && mount --bind "$1/devlog.sock" /dev/log &&
	exec "$2" -f "$1/radlb.conf"' sh "$T_DIR" "$RADLB" 2>>"$T_DIR/radlb-syslog.log" &
RLB_PID=$!
t_register_daemon radlb-syslog "$RLB_PID" "$T_DIR/radlb-syslog.log"
t_wait_until 20 rlb_ctl help || t_fail "radlb (syslog) did not come up"
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains "Received Access-Accept" "$out" "log.auth syslog: logins go on"
t_wait_for grep -q 'user="plain"' "$T_DIR/syslog.txt" || t_fail "no auth line reached syslog"
# <PRI>: authpriv (10) * 8 + info (6) = 86.
t_assert_match '^<86>.*radlb\[[0-9]+\]: auth: login=[0-9a-f]{16} leg=1 client=nas .*user="plain" server=mfa[123] result=accept' \
	"$(grep 'user="plain"' "$T_DIR/syslog.txt" | head -n 1)" "the line reaches syslog at authpriv.info"
t_assert_eq 0 "$(grep -c 'auth: ' "$T_DIR/radlb-syslog.log")" "and not radlb's own log on stderr"
rlb_stop

