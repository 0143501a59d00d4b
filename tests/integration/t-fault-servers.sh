#!/bin/bash
# Fault injection, servers (issue "fault-injection suite"): under a steady
# SMS-OTP login load (rlb-otplogin batches, 10 logins in flight), one MFA
# server in turn
#   - hangs (SIGSTOP; its sockets stay bound, nothing answers, no ICMP),
#   - dies (SIGKILL with requests in flight; ICMP port unreachable after),
#   - has its port closed (stopped cleanly while idle, then traffic comes),
#   - vanishes with its host: mfa3 runs in a network namespace of its own
#     (10.77.N.2, joined to this one by a veth pair made here); its end of
#     the cable goes down, so its address answers nothing, not even ICMP.
# Each with the figures it proves: logins lost, time to detect (fault to
# "down" in radlb), time to recover (server back to "up"). Bounds: detection
# within interval + fall x timeout + 1 s without ICMP and within interval + 1 s with
# it (the next probe or request meets the closed port); recovery within interval x rise + 1 s (+ 1 s for the kernel's
# linkwatch when a link comes back); logins lost at most the logins
# in flight (a challenge open on the failed server can only be rejected),
# none at all when the port was closed while idle.
#
# No first leg a server had received may reach a second server when that
# server is marked down by its probes (hang, host gone): only a refusal
# proves a request was never received (figure *.second_server, bound 0).
set -u
. "$(dirname "$0")/rlb.sh"
. "$TOP_SRCDIR/tests/lib/fault.sh"

INTERVAL=0.5 TIMEOUT=0.4 FALL=3 RISE=2 CONC=10
rlb_farm 2
f_host H
f_mfa_on_host H 3
RLB_PROXY='balance = "round-robin";'
RLB_EXTRA="health = { interval = $INTERVAL; timeout = $TIMEOUT; fall = $FALL; rise = $RISE; };"
rlb_config
f_server_address mfa3 "$H_IP"
rlb_start

NOICMP_MS=$(awk -v i=$INTERVAL -v f=$FALL -v t=$TIMEOUT 'BEGIN { print (i + f * t + 1) * 1000 }')
ICMP_MS=$(awk -v i=$INTERVAL 'BEGIN { print (i + 1) * 1000 }')
RISE_MS=$(awk -v i=$INTERVAL -v r=$RISE 'BEGIN { print (i * r + 1) * 1000 }')

t_wait_until 5 f_is_state mfa3 up || t_fail "mfa3 (in ${H_NS}) is not up"
out=$("$OTPLOGIN" -k "$CLIENT_SECRET" -d "$T_DIR" -n 60 -c "$CONC" -u user -f 900001 "127.0.0.1:$RLB_AUTH" 2>&1)
t_assert_contains "logins 60 accepted 60 failed 0" "$out" "before any fault: 60 logins accepted"
t_assert_match "mfa3=[1-9]" "$out" "the server on the other host ($H_IP) takes logins"

batches() { wc -l <"$T_DIR/$1.out" 2>/dev/null || echo 0; }
# wait_batches NAME N: until N more batches of NAME are done
wait_batches() {
	WB_NAME=$1 WB_WANT=$(($(batches "$1") + $2))
	t_wait_until 30 eval '[ "$(batches "$WB_NAME")" -ge "$WB_WANT" ]' || t_fail "load $1 stalled"
}
# second_server FIRST LAST: users userFIRST..userLAST whose first leg (no
# State) was processed by more than one server
second_server() {
	awk -v lo="$1" -v hi="$2" '
		/ state= / && match($0, / user=user[0-9]+$/) {
			n = substr($0, RSTART + 10) + 0
			if (n >= lo && n <= hi && !seen[n, FILENAME]++) servers[n]++
		}
		END { c = 0; for (n in servers) if (servers[n] > 1) c++; print c }' "$T_DIR"/mfa*/requests.log
}
# phase NAME FIRST: figures of one fault: logins, lost, second server
phase_figures() {
	f_figure "$1.logins" "$LOAD_LOGINS"
	f_figure "$1.logins_lost" "$LOAD_FAILED"
	f_figure "$1.second_server" "$(second_server "$2" $(($2 + LOAD_LOGINS + 40)))"
}

# ------------------------------------------------------------ hang (SIGSTOP)
f_load_start hang 100001 "$CONC" "127.0.0.1:$RLB_AUTH"
wait_batches hang 3
t0=$(f_us)
kill -STOP "$(cat "$T_DIR/mfa2/pid")"
f_cleanup_add "kill -CONT $(cat "$T_DIR/mfa2/pid")"
t_wait_until 10 f_is_state mfa2 down || t_fail "the hung mfa2 was not marked down"
detect=$(f_ms_since "$t0")
wait_batches hang 3
t0=$(f_us)
kill -CONT "$(cat "$T_DIR/mfa2/pid")"
t_wait_until 10 f_is_state mfa2 up || t_fail "mfa2 did not come back after SIGCONT"
recover=$(f_ms_since "$t0")
wait_batches hang 3
f_load_stop hang
f_figure hang.detect_ms "$detect"
f_figure hang.recover_ms "$recover"
phase_figures hang 100001
f_assert_le "$detect" "$NOICMP_MS" "hang: detected by the probes within interval + fall x timeout + 1 s"
f_assert_le "$recover" "$RISE_MS" "hang: up again within interval x rise + 1 s of SIGCONT"
f_assert_le "$LOAD_FAILED" "$CONC" "hang: logins lost at most those in flight"
t_assert_contains "server mfa2: up -> down ($FALL probes in a row failed: no answer within $TIMEOUT s)" \
	"$(cat "$T_DIR/radlb.log")" "hang: logged with its reason"
f_assert_le "$(second_server 100001 $((100001 + LOAD_LOGINS + 40)))" 0 \
	"hang: no first leg the hung server had received was processed by a second server"

# ------------------------------------------------------------ dies (SIGKILL)
f_load_start die 200001 "$CONC" "127.0.0.1:$RLB_AUTH"
wait_batches die 3
t0=$(f_us)
kill -KILL "$(cat "$T_DIR/mfa2/pid")"
t_wait_until 10 f_is_state mfa2 down || t_fail "the killed mfa2 was not marked down"
detect=$(f_ms_since "$t0")
wait_batches die 3
f_mfa_restart 2
t0=$(f_us)
t_wait_until 10 f_is_state mfa2 up || t_fail "mfa2 did not come back after its restart"
recover=$(f_ms_since "$t0")
wait_batches die 3
f_load_stop die
f_figure die.detect_ms "$detect"
f_figure die.recover_ms "$recover"
phase_figures die 200001
f_assert_le "$detect" "$ICMP_MS" "die: detected through ICMP within interval + 1 s"
f_assert_le "$recover" "$RISE_MS" "die: up again within interval x rise + 1 s of its restart"
f_assert_le "$LOAD_FAILED" "$CONC" "die: logins lost at most those in flight"
t_assert_contains "server mfa2: up -> down (port unreachable" "$(cat "$T_DIR/radlb.log")" "die: logged as port unreachable"

# ------------------------------------------------------------ port closed while idle
"$MFA" stop --dir "$T_DIR/mfa2" || t_fail "cannot stop mfa2"
t0=$(f_us)
f_load_start closed 300001 "$CONC" "127.0.0.1:$RLB_AUTH"
t_wait_until 10 f_is_state mfa2 down || t_fail "mfa2 with its port closed was not marked down"
detect=$(f_ms_since "$t0")
wait_batches closed 3
f_mfa_restart 2
t0=$(f_us)
t_wait_until 10 f_is_state mfa2 up || t_fail "mfa2 did not come back after its restart"
recover=$(f_ms_since "$t0")
wait_batches closed 3
f_load_stop closed
f_figure closed.detect_ms "$detect"
f_figure closed.recover_ms "$recover"
phase_figures closed 300001
f_assert_le "$detect" "$ICMP_MS" "port closed: detected within interval + 1 s"
f_assert_le "$recover" "$RISE_MS" "port closed: up again within interval x rise + 1 s of its restart"
t_assert_eq 0 "$LOAD_FAILED" "port closed while idle: no login lost ($LOAD_LOGINS logins)"
t_assert_eq 0 "$(second_server 300001 $((300001 + LOAD_LOGINS + 40)))" \
	"port closed: no first leg was processed by two servers"

# ------------------------------------------------------------ host gone (no ICMP)
f_load_start gone 400001 "$CONC" "127.0.0.1:$RLB_AUTH"
wait_batches gone 3
t0=$(f_us)
f_host_unplug H
t_wait_until 10 f_is_state mfa3 down || t_fail "mfa3, whose host is gone, was not marked down"
detect=$(f_ms_since "$t0")
wait_batches gone 3
t0=$(f_us)
f_host_plug H
t_wait_until 10 f_is_state mfa3 up || t_fail "mfa3 did not come back with its host"
recover=$(f_ms_since "$t0")
wait_batches gone 3
f_load_stop gone
f_figure gone.detect_ms "$detect"
f_figure gone.recover_ms "$recover"
phase_figures gone 400001
f_assert_le "$detect" "$NOICMP_MS" "host gone: detected by the probes within interval + fall x timeout + 1 s"
# the kernel's linkwatch may hold the carrier-up event of the veth up to 1 s
f_assert_le "$recover" $((RISE_MS + 1000)) "host gone: up again within interval x rise + 2 s of the link"
f_assert_le "$LOAD_FAILED" "$CONC" "host gone: logins lost at most those in flight"
t_assert_contains "server mfa3: up -> down ($FALL probes in a row failed" "$(cat "$T_DIR/radlb.log")" \
	"host gone: logged with its reason"
f_assert_le "$(second_server 400001 $((400001 + LOAD_LOGINS + 40)))" 0 \
	"host gone: no first leg processed by mfa3 before it vanished was processed by a second server"

# ------------------------------------------------------------ after it all
out=$("$OTPLOGIN" -k "$CLIENT_SECRET" -d "$T_DIR" -n 60 -c "$CONC" -u user -f 900101 "127.0.0.1:$RLB_AUTH" 2>&1)
t_assert_contains "logins 60 accepted 60 failed 0" "$out" "after the faults: 60 logins accepted"
t_assert_match "mfa1=[1-9][0-9]* mfa2=[1-9][0-9]* mfa3=[1-9]" "$(sed -n 's/^issuers//p' <<<"$out" | tr ' ' '\n' | sort | tr '\n' ' ')" \
	"on all three servers again"
