#!/bin/bash
# Dashboards and alerts (issue 13, item 6): conf/prometheus/radlb.rules.yml
# passes promtool check rules and promtool test rules (the alerts fire on
# the series they watch); every radlb_* and process_* name that the rules
# and conf/grafana/radlb-dashboard.json use is on a running radlb's
# /metrics (a histogram's _bucket, _sum and _count under its family); the
# dashboard has its variables and the panels an operator looks for;
# promtool check metrics finds nothing to say about /metrics; and
# radlb_build_info, the start and since timestamps and the process figures
# hold what they say.
set -u
. "$(dirname "$0")/rlb.sh"
PY=/usr/bin/python3        # Debian's, with python3-yaml
RULES=$TOP_SRCDIR/conf/prometheus/radlb.rules.yml
DASH=$TOP_SRCDIR/conf/grafana/radlb-dashboard.json
for tool in curl promtool "$PY"; do
	command -v "$tool" >/dev/null || t_fail "$tool is missing (scripts/quickstart deps installs it)"
done

# ------------------------------------------------------------ the rules alone
out=$(promtool check rules "$RULES" 2>&1)
t_assert_eq 0 $? "promtool check rules passes: $(printf '%s' "$out" | grep -o '[0-9]* rules found')"
# The unit tests compare labels (the annotations' templates are checked
# above): a copy without them.
"$PY" -c '
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for g in doc["groups"]:
    for r in g["rules"]:
        r.pop("annotations", None)
yaml.safe_dump(doc, open(sys.argv[2], "w"))
' "$RULES" "$T_DIR/radlb.rules.yml" || t_fail "cannot read $RULES"
cat >"$T_DIR/rules-test.yml" <<'YML'
rule_files: [ radlb.rules.yml ]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'up{job="radlb", instance="a:9812"}'
        values: '1 1 0 0 0 0'
      - series: 'radlb_master_takes_writes{job="radlb", instance="a:9812"}'
        values: '1 0 0 0 0 0'
      - series: 'radlb_server_state{job="radlb", instance="a:9812", server="mfa2", state="down"}'
        values: '0 1 1 1 1 1'
      - series: 'radlb_server_up{job="radlb", instance="a:9812", server="mfa2"}'
        values: '1 0 0 0 0 0'
      - series: 'radlb_server_up{job="radlb", instance="a:9812", server="mfa1"}'
        values: '1 1 1 1 1 1'
      - series: 'radlb_redis_up{job="radlb", instance="a:9812"}'
        values: '1 0 0 0 0 0'
      - series: 'radlb_redis_state{job="radlb", instance="a:9812", state="off"}'
        values: '0 0 0 0 0 0'
      - series: 'radlb_reload_failures_total{job="radlb", instance="a:9812"}'
        values: '0 0 1 1 1 1'
    alert_rule_test:
      - eval_time: 5m
        alertname: RadlbDown
        exp_alerts:
          - exp_labels: { severity: critical, job: radlb, instance: "a:9812" }
      - eval_time: 5m
        alertname: RadlbNoMaster
        exp_alerts:
          - exp_labels: { severity: critical, job: radlb, instance: "a:9812" }
      - eval_time: 5m
        alertname: RadlbServerDown
        exp_alerts:
          - exp_labels: { severity: warning, job: radlb, instance: "a:9812", server: mfa2,
                          state: down }
      - eval_time: 5m
        alertname: RadlbAllServersDown
      - eval_time: 5m
        alertname: RadlbRedisDown
        exp_alerts:
          - exp_labels: { severity: critical, job: radlb, instance: "a:9812" }
      - eval_time: 5m
        alertname: RadlbReloadFailed
        exp_alerts:
          - exp_labels: { severity: warning, job: radlb, instance: "a:9812" }
  # Redis not configured (state off): no RadlbRedisDown.
  - interval: 1m
    input_series:
      - series: 'radlb_redis_up{job="radlb", instance="b:9812"}'
        values: '0 0 0 0 0 0'
      - series: 'radlb_redis_state{job="radlb", instance="b:9812", state="off"}'
        values: '1 1 1 1 1 1'
    alert_rule_test:
      - eval_time: 5m
        alertname: RadlbRedisDown
YML
out=$(cd "$T_DIR" && promtool test rules rules-test.yml 2>&1)
rc=$?
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
t_assert_eq 0 "$rc" "promtool test rules: the alerts fire on what they watch, RadlbRedisDown not without Redis"

# ------------------------------------------------------------ a running radlb
rlb_farm 2
RLB_EXTRA="spool = { directory = \"$T_DIR/spool\"; };"
rlb_config
rlb_start
rlb_otp_login user1 pw-user1 || t_fail "a login through radlb failed: $LOGIN_REPLY"
curl -sf "$RLB_URL/metrics" >"$T_DIR/metrics.txt" || t_fail "GET /metrics failed"

# Every name the rules' and the dashboard's expressions use, checked against
# the families of /metrics.
out=$("$PY" - "$RULES" "$DASH" "$T_DIR/metrics.txt" <<'EOF'
import json, re, sys
import yaml
rules, dash, metrics = sys.argv[1:]
NAME = re.compile(r'(?<![A-Za-z0-9_:])((?:radlb|process)_[A-Za-z0-9_]+)')
types = dict(re.findall(r'^# TYPE (\S+) (\S+)$', open(metrics).read(), re.M))
exprs = []
for g in yaml.safe_load(open(rules))['groups']:
    exprs += [('rule ' + r['alert'], r['expr']) for r in g['rules']]
def walk(o, where):
    """Every expr (panel targets, annotations) and variable query."""
    if isinstance(o, dict):
        where = o.get('title') or o.get('name') or where
        for k, v in o.items():
            if k in ('expr', 'definition') and isinstance(v, str):
                exprs.append((where, v))
            elif k == 'query' and isinstance(v, str) and 'label_values' in v:
                exprs.append((where, v))
            else:
                walk(v, where)
    elif isinstance(o, list):
        for v in o:
            walk(v, where)
walk(json.load(open(dash)), 'dashboard')
def family(name):
    if name in types:
        return name
    for suffix in ('_bucket', '_sum', '_count'):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) in ('histogram', 'summary'):
            return base
    return None
names, missing = set(), []
for where, e in exprs:
    for n in NAME.findall(e):
        names.add(n)
        if not family(n):
            missing.append('%s: %s is not on /metrics' % (where, n))
for m in missing:
    print('# ' + m)
print('%d expressions, %d names' % (len(exprs), len(names)))
sys.exit(1 if missing or len(names) < 20 else 0)
EOF
)
t_assert_eq 0 $? "every radlb_*/process_* name of the rules and the dashboard is on /metrics: $out"

# ------------------------------------------------------------ the dashboard
out=$("$PY" - "$DASH" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
v = {x['name']: x for x in d['templating']['list']}
assert v['datasource']['type'] == 'datasource' and v['datasource']['query'] == 'prometheus', \
    'no Prometheus datasource variable'
assert v['instance']['type'] == 'query' and 'instance' in v['instance']['definition'], \
    'no instance variable'
panels = [p for p in d['panels'] if p['type'] != 'row']
ids = [p['id'] for p in d['panels']]
assert len(ids) == len(set(ids)), 'two panels with one id'
for p in panels:
    assert p['datasource']['uid'] == '${datasource}', p['title'] + ': not on $datasource'
    assert p['targets'], p['title'] + ': no query'
    for t in p['targets']:
        assert 'instance=~"$instance"' in t['expr'], p['title'] + ': not filtered on $instance'
def panel(what, test):
    found = [p['title'] for p in panels if any(test(t['expr']) for t in p['targets'])]
    assert found, 'no panel shows ' + what
    return found[0]
shown = [
    panel('the servers up', lambda e: 'radlb_server_up' in e),
    panel('the master', lambda e: 'radlb_master_info' in e),
    panel('requests by type', lambda e: 'radlb_client_access_requests_total' in e),
    panel('replies by type', lambda e: 'radlb_server_access_challenges_total' in e),
    panel('latency quantiles',
          lambda e: 'histogram_quantile(0.99' in e and 'radlb_server_response_seconds_bucket' in e
          and 'le' in e),
    panel('the spool', lambda e: 'radlb_spool_records' in e),
    panel('Redis', lambda e: 'radlb_redis_up' in e),
    panel('drops by reason', lambda e: 'radlb_drops_total' in e and 'by (reason)' in e),
]
grid = {}
for p in d['panels']:
    g = p['gridPos']
    assert g['x'] + g['w'] <= 24, p['title'] + ': wider than the grid'
    for x in range(g['x'], g['x'] + g['w']):
        for y in range(g['y'], g['y'] + g['h']):
            assert (x, y) not in grid, '%s overlaps %s' % (p['title'], grid[(x, y)])
            grid[(x, y)] = p['title']
print('%d panels; %s' % (len(panels), ', '.join(shown)))
EOF
)
t_assert_eq 0 $? "the dashboard is JSON with \$datasource and \$instance and the panels: $out"

# ------------------------------------------------------------ promtool check metrics
# promtool lints names, units, HELP and TYPE; it reads the text on stdin and
# exits 1 when it has something to say.
out=$(promtool check metrics <"$T_DIR/metrics.txt" 2>&1)
t_assert_eq 0 $? "promtool check metrics has nothing to say about /metrics${out:+: $out}"

# ------------------------------------------------------------ the figures
metric() {
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }' "$T_DIR/metrics.txt"
}
# num_ok V LO HI: V is a number in [LO, HI]
num_ok() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v + 0 == v && v >= lo && v <= hi) }'; }
version=$("$RADLB" --version | sed -n '1s/^radlb //p')
t_assert_eq 1 "$(metric "radlb_build_info{version=\"$version\"}")" "radlb_build_info has the version ($version)"
# date +%s truncates: the start at 12.17 s is before a "now" of 12 s rounded up.
now=$(($(date +%s) + 1))
rss=$(metric process_resident_memory_bytes)
fds=$(metric process_open_fds)
max=$(metric process_max_fds)
cpu=$(metric process_cpu_seconds_total)
num_ok "$rss" 1000000 4000000000 || t_fail "process_resident_memory_bytes is $rss"
num_ok "$fds" 5 "$max" || t_fail "process_open_fds is $fds (process_max_fds $max)"
num_ok "$cpu" 0 60 || t_fail "process_cpu_seconds_total is $cpu"
t_pass "process_resident_memory_bytes $rss, process_open_fds $fds, process_cpu_seconds_total $cpu"
t_assert_eq "$(awk '$1 == "Max" && $3 == "files" { print $4 }' "/proc/$RLB_PID/limits")" "$max" \
	"process_max_fds is radlb's soft RLIMIT_NOFILE"
start=$(metric radlb_start_time_seconds)
num_ok "$start" $((now - 120)) "$now" || t_fail "radlb_start_time_seconds $start is not in the last 2 minutes"
pstart=$(metric process_start_time_seconds)
# (the process starts, then reads the dictionary and its configuration:
# seconds on a loaded machine)
num_ok "$pstart" "$(awk -v s="$start" 'BEGIN { printf "%.3f", s - 30 }')" "$start" ||
	t_fail "process_start_time_seconds $pstart is not shortly before radlb's start $start"
ps_start=$(date -d "$(ps -o lstart= -p "$RLB_PID")" +%s)
num_ok "$pstart" $((ps_start - 1)) $((ps_start + 1)) ||
	t_fail "process_start_time_seconds $pstart is not the kernel's start time of radlb ($ps_start, ps)"
t_pass "radlb_start_time_seconds $start, just after process_start_time_seconds $pstart"
since=$(metric 'radlb_server_state_since_timestamp_seconds{server="mfa2",pool="default"}')
num_ok "$since" "$start" "$now" || t_fail "mfa2's state since $since is not after radlb's start"
t_assert_eq 0 "$(metric radlb_master_lost_timestamp_seconds)" "radlb_master_lost_timestamp_seconds is 0 with a master"
t_assert_eq 0 "$(metric radlb_spool_oldest_timestamp_seconds)" \
	"radlb_spool_oldest_timestamp_seconds is 0 with an empty spool"

# No master: the timestamp is when writes lost it, and stays put while the age grows.
lost_at() { curl -sf "$RLB_URL/metrics" | awk '$1 == "radlb_master_lost_timestamp_seconds" { print $2 }'; }
before=$(date +%s)
rlb_ctl maintenance mfa1 >/dev/null || t_fail "radlbctl maintenance mfa1 failed"
t_wait_until 5 eval '[ "$(lost_at)" != 0 ]' || t_fail "radlb_master_lost_timestamp_seconds stays 0 without a master"
lost=$(lost_at)
num_ok "$lost" $((before - 1)) $(($(date +%s) + 1)) || t_fail "radlb_master_lost_timestamp_seconds $lost is not now"
sleep 1.2
t_assert_eq "$lost" "$(lost_at)" "radlb_master_lost_timestamp_seconds holds the moment writes lost their master"

# Accounting without a master is spooled: the oldest record's timestamp is
# when it came, and stays put while radlb_spool_oldest_seconds grows.
spooled_at() {
	curl -sf "$RLB_URL/metrics" | awk '$1 == "radlb_spool_oldest_timestamp_seconds" { print $2 }'
}
before=$(date +%s)
rlb_acct 'Acct-Status-Type = Start, Acct-Session-Id = "d-1", User-Name = "plain"' >/dev/null
t_wait_until 5 eval '[ "$(spooled_at)" != 0 ]' || t_fail "nothing spooled: $(rlb_ctl show spool)"
at=$(spooled_at)
num_ok "$at" $((before - 1)) $(($(date +%s) + 1)) || t_fail "radlb_spool_oldest_timestamp_seconds $at is not now"
sleep 1.2
t_assert_eq "$at" "$(spooled_at)" "radlb_spool_oldest_timestamp_seconds is when the oldest record came"
rlb_ctl enable mfa1 >/dev/null || t_fail "radlbctl enable mfa1 failed"
t_wait_until 5 eval '[ "$(lost_at)" = 0 ]' || t_fail "radlb_master_lost_timestamp_seconds is not 0 again"
t_wait_until 20 eval '[ "$(spooled_at)" = 0 ]' || t_fail "the spool did not drain: $(rlb_ctl show spool)"
t_pass "both are 0 again once the master is back and the spool replayed"
