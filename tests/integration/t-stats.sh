#!/bin/bash
# The stats port (issue 5): /metrics in the Prometheus text format (parsed
# by the Prometheus Python client) with counters that move as the traffic
# says; /stats.json agrees with radlbctl; /healthz goes 503 when no server
# is up; the status page, loaded in headless Chromium through the DevTools
# protocol, shows a stopped server down and the master's name (screenshot
# kept in tests/artifacts/); localhost by default, an allow-list elsewhere.
set -u
. "$(dirname "$0")/rlb.sh"
PY=/usr/bin/python3        # Debian's, with python3-prometheus-client and python3-websocket
BROWSE=$TOP_SRCDIR/tests/tools/rlb-browse.py
ARTIFACTS=${ARTIFACTS:-$PWD/tests/artifacts}
for tool in curl "$PY" chromium; do
	command -v "$tool" >/dev/null || t_fail "$tool is missing (scripts/quickstart deps installs it)"
done

rlb_farm 3
RLB_EXTRA='health = { interval = 0.5; timeout = 0.4; rise = 2; fall = 2; };'
rlb_config
rlb_start

scrape() { curl -sf "$RLB_URL/metrics"; }
# metric SAMPLE: its value in a fresh scrape ("missing" when absent)
metric() { scrape | awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }'; }
sum_of() { scrape | awk -v k="$1" 'index($1, k "{") == 1 { s += $2 } END { print s + 0 }'; }
state_of() { rlb_ctl --json show servers | jq -r ".servers[] | select(.name == \"$1\") | .state"; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }

# ------------------------------------------------------------ bound to localhost
t_assert_match "127.0.0.1:$RLB_HTTP " "$(ss -Hltn "sport = :$RLB_HTTP")" "the stats port listens on 127.0.0.1 by default"

# ------------------------------------------------------------ the format
scrape >"$T_DIR/metrics.txt" || t_fail "GET /metrics failed"
t_assert_match '^text/plain; version=0.0.4' "$(curl -sf -o /dev/null -w '%{content_type}' "$RLB_URL/metrics")" \
	"/metrics has the Prometheus content type"
out=$("$PY" - "$T_DIR/metrics.txt" <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
fams = list(text_string_to_metric_families(text))
names = [f.name for f in fams]
assert len(names) == len(set(names)), "a metric family appears twice"
for f in fams:
    assert f.documentation, f.name + " has no HELP"
    # radlb's own names, and the process figures of the client libraries
    assert f.name.startswith("radlb_") or f.name.startswith("process_"), f.name
print(len(fams), sum(len(f.samples) for f in fams))
EOF
)
t_assert_eq 0 $? "/metrics parses with the Prometheus client ($out families and samples)"
for name in radlb_requests_total radlb_client_requests_total radlb_server_access_accepts_total \
	radlb_drops_total radlb_server_retransmissions_total radlb_server_timeouts_total \
	radlb_server_response_seconds radlb_server_outstanding radlb_sticky_sessions \
	radlb_sticky_orphans_total radlb_sticky_rejects_total radlb_server_state radlb_server_role \
	radlb_master_epoch radlb_seconds_without_master radlb_spool_records radlb_spool_bytes \
	radlb_redis_up radlb_redis_errors_total; do
	grep -q "^# TYPE $name " "$T_DIR/metrics.txt" || t_fail "/metrics has no $name"
done
t_pass "/metrics has the figures the issue lists"
t_assert_eq 1 "$(metric 'radlb_server_role{server="mfa1",pool="default",role="master"}')" "the master's role is a gauge"
t_assert_eq 1 "$(metric 'radlb_server_state{server="mfa2",pool="default",state="up"}')" "and so is each server's state"
t_assert_eq 1 "$(metric 'radlb_master_info{server="mfa1"}')" "the master's name is an info sample"

# doc/metrics.md is radlb -M, so every metric is documented.
t_assert_eq "" "$(diff <("$RADLB" -M) "$TOP_SRCDIR/doc/metrics.md")" "doc/metrics.md is up to date (radlb -M)"
for fam in $(sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$T_DIR/metrics.txt"); do
	grep -q "\`$fam\`" "$TOP_SRCDIR/doc/metrics.md" || t_fail "$fam is not in doc/metrics.md"
done
t_pass "every family on /metrics is documented in doc/metrics.md"

# ------------------------------------------------------------ counters follow the traffic
req0=$(metric radlb_requests_total)
nas0=$(metric 'radlb_client_requests_total{client="nas"}')
acc0=$(sum_of radlb_server_access_accepts_total)
cha0=$(sum_of radlb_server_access_challenges_total)
acct0=$(metric 'radlb_server_accounting_responses_total{server="mfa1",pool="default"}')
cnt0=$(sum_of radlb_server_response_seconds_count)
"$OTPLOGIN" -k "$CLIENT_SECRET" -d "$T_DIR" -n 2000 -c 20 -u user -f 100 "127.0.0.1:$RLB_AUTH" \
	>"$T_DIR/otp.out" 2>&1 &
load=$!
prev=$req0 moved=0
while kill -0 "$load" 2>/dev/null; do
	now=$(metric radlb_requests_total)
	[ "$now" -ge "$prev" ] || t_fail "radlb_requests_total went back from $prev to $now"
	[ "$now" -gt "$prev" ] && moved=$((moved + 1))
	prev=$now
	sleep 0.05
done
wait "$load" || t_fail "the logins failed: $(cat "$T_DIR/otp.out")"
[ "$moved" -ge 1 ] || t_fail "radlb_requests_total did not move while logins ran"
t_pass "scraped while 2,000 logins ran: radlb_requests_total only grew ($moved increases seen)"
for i in 1 2 3 4 5; do
	rlb_acct "Acct-Status-Type = Start, Acct-Session-Id = \"m-$i\", User-Name = \"plain\"" >/dev/null
done
t_assert_eq $((req0 + 4005)) "$(metric radlb_requests_total)" "4,000 login legs and 5 accounting requests: +4005 requests"
t_assert_eq $((nas0 + 4005)) "$(metric 'radlb_client_requests_total{client="nas"}')" "counted against client nas"
t_assert_eq $((cha0 + 2000)) "$(sum_of radlb_server_access_challenges_total)" "2,000 Access-Challenges, by server"
t_assert_eq $((acc0 + 2000)) "$(sum_of radlb_server_access_accepts_total)" "2,000 Access-Accepts, by server"
t_assert_eq $((acct0 + 5)) "$(metric 'radlb_server_accounting_responses_total{server="mfa1",pool="default"}')" \
	"5 Accounting-Responses from the master"
t_assert_eq $((cnt0 + 4005)) "$(sum_of radlb_server_response_seconds_count)" "4,005 response times in the histograms"
out=$(scrape | "$PY" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(sys.stdin.read()):
    if f.name != "radlb_server_response_seconds":
        continue
    by = {}
    for s in f.samples:
        by.setdefault(s.labels["server"], []).append(s)
    for server, ss in by.items():
        buckets = [s.value for s in ss if s.name.endswith("_bucket")]
        count = [s.value for s in ss if s.name.endswith("_count")][0]
        assert buckets == sorted(buckets), server + ": buckets not cumulative"
        assert buckets[-1] == count, server + ": +Inf bucket differs from _count"
print("ok")
')
t_assert_eq ok "$out" "the response-time histograms are cumulative and end at their count"
d0=$(metric 'radlb_drops_total{reason="unknown_client"}')
"$UDPSEND" -w 0.3 -s 127.0.0.2 127.0.0.1 "$RLB_AUTH" 01010018000102030405060708090a0b0c0d0e0f01046162 >/dev/null
t_assert_eq $((d0 + 1)) "$(metric 'radlb_drops_total{reason="unknown_client"}')" "a drop is counted by reason"

# ------------------------------------------------------------ /stats.json and radlbctl
json=$(curl -sf "$RLB_URL/stats.json") || t_fail "GET /stats.json failed"
t_assert_match '^application/json' "$(curl -sf -o /dev/null -w '%{content_type}' "$RLB_URL/stats.json")" \
	"/stats.json is JSON"
servers_http=$(printf '%s' "$json" | jq -c '[.servers[] | {name, role, state, outstanding, sessions}]')
servers_ctl=$(rlb_ctl --json show servers | jq -c '[.servers[] | {name, role, state, outstanding, sessions}]')
t_assert_eq "$servers_ctl" "$servers_http" "/stats.json's server table agrees with radlbctl show servers"
t_assert_eq "$(rlb_ctl --json show servers | jq -c '.master | {name, epoch, takes_writes}')" \
	"$(printf '%s' "$json" | jq -c '.master | {name, epoch, takes_writes}')" "and so does the master"
t_assert_eq "$(rlb_stat requests)" "$(printf '%s' "$json" | jq .metrics.requests)" \
	"/stats.json's figures are radlbctl show stats's"
# (but the figures that move by themselves: the uptime and the process's
# CPU time, memory and descriptors, which the two requests themselves use)
moving='del(.uptime_seconds) | with_entries(select(.key | startswith("process.") | not))'
t_assert_eq "$(rlb_ctl --json show stats | jq -c ".metrics | $moving")" \
	"$(curl -sf "$RLB_URL/stats.json" | jq -c ".metrics | $moving")" \
	"radlbctl --json show stats prints the same document"
t_assert_eq "$(metric radlb_requests_total)" "$(printf '%s' "$json" | jq .metrics.requests)" "and /metrics the same figures"

# ------------------------------------------------------------ HTTP details
t_assert_eq 405 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$RLB_URL/metrics")" "POST is refused (405)"
t_assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$RLB_URL/nothing")" "an unknown path is 404"
t_assert_match 'default-src .self.' "$(curl -sI "$RLB_URL/")" "the page is served with a Content-Security-Policy"
t_assert_match '<table id="servers"' "$(curl -sf "$RLB_URL/")" "/ is the status page"

# ------------------------------------------------------------ the page in a browser
kill -STOP "$(cat "$T_DIR/mfa2/pid")"
t_wait_until 5 is_state mfa2 down || t_fail "the stopped mfa2 is not marked down"
mkdir -p "$ARTIFACTS"
rows=$(timeout 90 "$PY" "$BROWSE" --url "$RLB_URL/" --timeout 30 --screenshot "$ARTIFACTS/status-page.png" \
	--wait 'document.querySelector("#servers tr[data-server=\"mfa2\"] .state")?.textContent.trim() === "down" && document.querySelector("#master-name")?.textContent.trim() === "mfa1"' \
	--eval '({ master: document.querySelector("#master-name").textContent.trim(), rows: [...document.querySelectorAll("#servers tbody tr")].map(r => ({ name: r.dataset.server, role: r.querySelector(".role").textContent.trim(), pool: r.querySelector(".pool").textContent.trim(), state: r.querySelector(".state").textContent.trim() })) })' \
	2>"$T_DIR/browse.err")
rc=$?
[ "$rc" = 0 ] || { cat "$T_DIR/browse.err" >&2; t_fail "the status page did not render in Chromium (exit $rc)"; }
t_log "rendered: $rows"
t_assert_eq mfa1 "$(printf '%s' "$rows" | jq -r .master)" "Chromium renders the page: the master is mfa1"
t_assert_eq down "$(printf '%s' "$rows" | jq -r '.rows[] | select(.name == "mfa2") | .state')" \
	"the stopped mfa2 is shown down"
t_assert_eq "up up" "$(printf '%s' "$rows" | jq -r '[.rows[] | select(.name != "mfa2") | .state] | join(" ")')" \
	"the others up"
t_assert_eq master "$(printf '%s' "$rows" | jq -r '.rows[] | select(.name == "mfa1") | .role')" "with their roles"
t_assert_eq "default default default" "$(printf '%s' "$rows" | jq -r '[.rows[].pool] | join(" ")')" \
	"and their pool"
[ -s "$ARTIFACTS/status-page.png" ] || t_fail "no screenshot"
t_pass "screenshot kept: $ARTIFACTS/status-page.png"
kill -CONT "$(cat "$T_DIR/mfa2/pid")"

# ------------------------------------------------------------ /healthz
t_assert_eq 200 "$(curl -s -o "$T_DIR/healthz" -w '%{http_code}' "$RLB_URL/healthz")" "/healthz is 200 while servers are up"
t_assert_match '^ok: [23] of 3 servers up' "$(cat "$T_DIR/healthz")" "and says how many"
for i in 1 2 3; do "$MFA" stop --dir "$T_DIR/mfa$i"; done
t_wait_until 10 eval '[ "$(curl -s -o /dev/null -w "%{http_code}" "$RLB_URL/healthz")" = 503 ]' ||
	t_fail "/healthz did not go 503 with every server stopped: $(curl -s "$RLB_URL/healthz")"
t_pass "/healthz goes 503 when every server is stopped"
t_assert_match 'none of 3 servers is up' "$(curl -s "$RLB_URL/healthz")" "and says so"
rlb_stop

# ------------------------------------------------------------ elsewhere than localhost
RLB_STATS='stats = { address = "0.0.0.0"; port = '"$(t_free_port tcp)"'; };'
rlb_config
out=$("$RADLB" -C -f "$T_DIR/radlb.conf" 2>&1)
t_assert_eq 1 $? "a stats port on 0.0.0.0 without an allow-list is refused"
t_assert_contains 'is not a loopback address: list the networks' "$out" "and says what to do"
port=$(t_free_port tcp)
RLB_STATS="stats = { address = \"0.0.0.0\"; port = $port; allow = [ \"127.0.0.2/32\" ]; };"
rlb_config
rlb_start radlb-allow
# /metrics, which is 200 whatever the servers' state (the servers are
# stopped above: /healthz answers 200 or 503 depending on whether the
# first probe has failed yet); the allow-list is checked at the connection.
t_assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 "http://127.0.0.1:$port/metrics")" \
	"a peer in stats.allow is served"
t_assert_match '^(000|52)$' "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$port/metrics")" \
	"a peer outside stats.allow is refused"
t_wait_until 3 grep -q 'stats port: refused a connection from 127.0.0.1' "$T_DIR/radlb-allow.log" ||
	t_fail "the refusal is not logged"
t_pass "and the refusal is logged"
