#!/bin/bash
# The containers (issue 13, item 4) without Docker, which does not run
# here: docker/compose.yaml's structure (tests/tools/rlb-compose.py: images
# or builds, contexts, Dockerfiles, bind mounts, depends_on, ports,
# addresses, every secret a demo value, the Prometheus targets and rule
# file, the Grafana provisioning); the Dockerfiles' FROM and COPY sources, the runtime
# stage's user, health check, entry point, volumes, ports and packages (no
# -dev, and one for every library radlb links); radlb -C on the radlb
# configuration files as compose mounts them; promtool check config on
# prometheus.yml as the container sees it. Then the same topology on
# 127.0.0.1: the three MFA servers with the arguments of their compose
# commands, Redis and Sentinel from docker/compose/, and radlb1 and radlb2
# from their compose files, rewritten in addresses, ports and the three
# directories only (rewrite() below says how); an SMS-OTP login whose
# challenge comes through radlb1 and whose code goes through radlb2 is
# accepted (the session is shared through Redis), /healthz answers 200 on
# both, their /metrics pass promtool check metrics, and a Prometheus on
# that prometheus.yml scrapes both and loads the rules.
set -u
. "$(dirname "$0")/rlb.sh"
PY=/usr/bin/python3        # Debian's, with python3-yaml
LINT=$TOP_SRCDIR/tests/tools/rlb-compose.py
COMPOSE=$TOP_SRCDIR/docker/compose
for tool in curl promtool prometheus redis-server redis-cli readelf "$PY"; do
	command -v "$tool" >/dev/null || t_fail "$tool is missing (scripts/quickstart deps installs it)"
done

# lint WHAT ARGS...: rlb-compose.py, its "# " lines shown on failure.
lint() {
	local what=$1 out rc
	shift
	out=$("$PY" "$LINT" "$@" 2>&1)
	rc=$?
	[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/# /' >&2
	t_assert_eq 0 "$rc" "$what: $(printf '%s\n' "$out" | tail -n 1)"
}

# ------------------------------------------------------------ the files
lint "compose.yaml holds together" compose "$TOP_SRCDIR"
lint "Dockerfile.runtime: sources, a non-root runtime stage with its libraries only" \
	dockerfile "$TOP_SRCDIR" "$TOP_SRCDIR/docker/Dockerfile.runtime" "$RADLB"
lint "Dockerfile.mfa: its sources are in its context" dockerfile "$TOP_SRCDIR" "$TOP_SRCDIR/docker/Dockerfile.mfa"
lint "Dockerfile (the demo): its sources exist" dockerfile "$TOP_SRCDIR" "$TOP_SRCDIR/docker/Dockerfile"

# The lint does catch mistakes: a copy of docker/ with three.
mut=$T_DIR/mutant
mkdir -p "$mut" && ln -s "$TOP_SRCDIR/conf" "$TOP_SRCDIR/tests" "$mut/" && cp -r "$TOP_SRCDIR/docker" "$mut/" &&
	chmod -R u+w "$mut/docker" ||
	t_fail "cannot copy docker/"
sed -i -e 's/depends_on: \[ redis \]/depends_on: [ rediss ]/' -e 's/172\.28\.0\.23/172.28.0.22/' \
	-e 's|\./compose/redis\.conf|./compose/nope.conf|' "$mut/docker/compose.yaml"
out=$("$PY" "$LINT" compose "$mut" 2>&1) && t_fail "the lint passed a broken compose.yaml"
for want in "depends_on rediss" "address 172.28.0.22 is mfa2's too" "nope.conf (at /usr/local/etc/redis/redis.conf) does not exist"; do
	t_assert_contains "$want" "$out" "a broken compose.yaml is refused: $want"
done
sed -i -e 's/^USER radlb:radlb/USER root/' -e 's/ libev4 / libev-dev /' "$mut/docker/Dockerfile.runtime"
out=$("$PY" "$LINT" dockerfile "$mut" "$mut/docker/Dockerfile.runtime" "$RADLB" 2>&1) &&
	t_fail "the lint passed a runtime stage as root with a -dev package"
t_assert_contains "runs as root" "$out" "a runtime stage running as root is refused"
t_assert_contains "libev.so.4 from libev4, which the runtime stage does not install" "$out" \
	"a library missing from the runtime stage is found"

# radlb -C on the files as mounted: every path in them is one of the image
# or of Debian 12 with freeradius-common.
for n in radlb1 radlb2; do
	out=$("$RADLB" -C -f "$COMPOSE/$n/radlb.conf" 2>&1)
	t_assert_eq 0 $? "radlb -C accepts docker/compose/$n/radlb.conf as it is${out:+: $out}"
done
t_assert_eq "" "$(diff <(grep -v '^#' "$COMPOSE/radlb1/radlb.conf") <(grep -v '^#' "$COMPOSE/radlb2/radlb.conf"))" \
	"radlb1 and radlb2 have the same configuration but for comments (doc/ha.md)"

# prometheus.yml where the container has it, beside the mounted rules.
"$PY" "$LINT" mounts "$TOP_SRCDIR" prometheus "$T_DIR/prom" || t_fail "cannot lay out /etc/prometheus"
chmod -R u+w "$T_DIR/prom"   # (a distcheck's source tree is read-only)
out=$(promtool check config "$T_DIR/prom/etc/prometheus/prometheus.yml" 2>&1)
rc=$?
t_assert_eq 0 "$rc" "promtool check config passes on prometheus.yml in its /etc/prometheus: $(printf '%s' "$out" |
	grep -o 'SUCCESS: [0-9]* rule files found' || printf '%s' "$out")"

# ------------------------------------------------------------ the topology on 127.0.0.1
# rewrite PREFIX: sed expressions from compose's addresses to 127.0.0.1
# (the network to 127.0.0.0/8, 0.0.0.0 too, so nothing leaves loopback),
# and, for a radlb, its directories to $T_DIR/PREFIX/ (each container has
# its own; two processes on one host cannot share a spool).
rewrite() {
	printf '%s\n' -e 's|172\.28\.0\.0/24|127.0.0.0/8|g' -e 's/172\.28\.0\.[0-9]*/127.0.0.1/g' \
		-e 's/0\.0\.0\.0/127.0.0.1/g' -e "s|/var/spool/radlb|$T_DIR/$1/spool|" \
		-e "s|/var/lib/radlb|$T_DIR/$1/lib|" -e "s|/run/radlb|$T_DIR/$1/run|"
}
mapfile -t ADDR < <(rewrite x)
same_but_numbers() { sed -E 's/[0-9]+(\.[0-9]+){3}(\/[0-9]+)?/ADDR/g; s/[0-9]+/N/g' "$@"; }

# The MFA servers: their compose commands with free ports and $T_DIR/mfaN.
for i in 1 2 3; do
	auth=$(t_free_port udp) && acct=$(t_free_port udp) || t_fail "no free port"
	mapfile -t argv < <("$PY" "$LINT" command "$TOP_SRCDIR" "mfa$i" | sed "${ADDR[@]}")
	for ((k = 1; k < ${#argv[@]}; k++)); do
		case ${argv[k - 1]} in
		--dir) argv[k]=$T_DIR/mfa$i ;;
		--auth-port) argv[k]=$auth ;;
		--acct-port) argv[k]=$acct ;;
		esac
	done
	"$MFA" start "${argv[@]}" >/dev/null || t_fail "mfa$i did not start with ${argv[*]}"
	t_register_daemon "mfa$i" "$(cat "$T_DIR/mfa$i/pid")" "$T_DIR/mfa$i/radiusd.log"
	printf -v "MFA${i}_AUTH" %s "$auth"
	printf -v "MFA${i}_ACCT" %s "$acct"
done
t_pass "three MFA servers run with the arguments of their compose commands"

# Redis on compose's redis.conf, its address and port given on the command line.
R=$(t_free_port tcp) && S=$(t_free_port tcp) || t_fail "no free port"
REDIS_AUTH=$(sed -n 's/^requirepass //p' "$COMPOSE/redis.conf")
redis-server "$COMPOSE/redis.conf" --port "$R" --bind 127.0.0.1 --dir "$T_DIR" >"$T_DIR/redis.log" 2>&1 &
t_register_daemon redis $! "$T_DIR/redis.log"
t_wait_for rlb_redis_pongs "$R" || t_fail "redis did not start on compose's redis.conf"
# Sentinel rewrites its file: a copy, as in compose.
sed "${ADDR[@]}" -e "s/^port 26379$/port $S/" -e "s/ 6379 1$/ $R 1/" "$COMPOSE/sentinel.conf" >"$T_DIR/sentinel.conf"
redis-server "$T_DIR/sentinel.conf" --sentinel >"$T_DIR/sentinel.log" 2>&1 &
t_register_daemon sentinel $! "$T_DIR/sentinel.log"
t_wait_for sh -c "redis-cli -p $S sentinel get-master-addr-by-name radlb-redis | grep -qx $R" ||
	t_fail "Sentinel does not name the Redis master"
t_pass "Redis and Sentinel run on docker/compose/'s files; Sentinel names the master"

# radlb1 and radlb2 on their compose files.
for n in radlb1 radlb2; do
	auth=$(t_free_port udp) && acct=$(t_free_port udp) && http=$(t_free_port tcp) || t_fail "no free port"
	mkdir -p "$T_DIR/$n/spool" "$T_DIR/$n/lib" "$T_DIR/$n/run"
	mapfile -t EXPR < <(rewrite "$n")
	sed "${EXPR[@]}" -e "s/\bport = 1812;/port = $auth;/" -e "s/\bport = 1813;/port = $acct;/" \
		-e "s/\bport = 9812;/port = $http;/" -e "s/:26379\"/:$S\"/" \
		-e "/name = \"mfa1\"/s/auth_port = 1812; acct_port = 1813;/auth_port = $MFA1_AUTH; acct_port = $MFA1_ACCT;/" \
		-e "/name = \"mfa2\"/s/auth_port = 1812; acct_port = 1813;/auth_port = $MFA2_AUTH; acct_port = $MFA2_ACCT;/" \
		-e "/name = \"mfa3\"/s/auth_port = 1812; acct_port = 1813;/auth_port = $MFA3_AUTH; acct_port = $MFA3_ACCT;/" \
		"$COMPOSE/$n/radlb.conf" >"$T_DIR/$n/radlb.conf"
	# (the check that nothing else changed: back to the directories, every
	# address and number one token)
	same=$(diff <(same_but_numbers "$COMPOSE/$n/radlb.conf") \
		<(sed -e "s|$T_DIR/$n/spool|/var/spool/radlb|" -e "s|$T_DIR/$n/lib|/var/lib/radlb|" \
			-e "s|$T_DIR/$n/run|/run/radlb|" "$T_DIR/$n/radlb.conf" | same_but_numbers))
	t_assert_eq "" "$same" "$n's file differs from docker/compose/$n/radlb.conf in addresses and ports only"
	"$RADLB" -f "$T_DIR/$n/radlb.conf" 2>>"$T_DIR/$n.log" &
	t_register_daemon "$n" $! "$T_DIR/$n.log"
	printf -v "${n}_AUTH" %s "$auth"
	printf -v "${n}_URL" %s "http://127.0.0.1:$http"
	t_wait_for "$RADLBCTL" -s "$T_DIR/$n/run/radlb.sock" help || t_fail "$n did not start"
	t_wait_until 10 sh -c "\"$RADLBCTL\" -s \"$T_DIR/$n/run/radlb.sock\" show stats | grep -q '^redis.up 1'" ||
		t_fail "$n did not connect to Redis"
	t_assert_contains "Redis ready at 127.0.0.1:$R" "$(cat "$T_DIR/$n.log")" "$n finds the Redis master through Sentinel"
done
for n in radlb1 radlb2; do
	url=${n}_URL
	t_wait_until 15 curl -fsS -o /dev/null "${!url}/healthz" || t_fail "$n: /healthz is not 200"
	t_assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "${!url}/healthz")" "$n: /healthz answers 200"
done

# The login: the challenge through radlb1, the code through radlb2.
CLIENT_SECRET=$(sed -n 's/.*name = "compose"; network = [^;]*; secret = "\([^"]*\)".*/\1/p' "$COMPOSE/radlb1/radlb.conf")
[ -n "$CLIENT_SECRET" ] || t_fail "no client secret in docker/compose/radlb1/radlb.conf"
RLB_AUTH=$radlb1_AUTH
out=$(rlb_auth "User-Name = \"alice\", User-Password = \"correct horse battery\", $MA")
t_assert_contains "Received Access-Challenge" "$out" "alice's password through radlb1: an Access-Challenge"
issuer=$(served_by "$out")
state=$(attr State "$out")
code=$("$MFA" code --dir "$T_DIR/$issuer" --user alice --state "$state") || t_fail "no SMS code from $issuer"
RLB_AUTH=$radlb2_AUTH
out=$(rlb_auth "User-Name = \"alice\", User-Password = \"$code\", State = $state, $MA")
t_assert_contains "Received Access-Accept" "$out" "the code through radlb2, with the State: Access-Accept"
t_assert_contains "Welcome alice ($issuer)" "$out" "from $issuer, the server that sent the SMS"
t_assert_eq 1 "$("$RADLBCTL" -s "$T_DIR/radlb2/run/radlb.sock" show stats | awk '$1 == "redis.hits" { print $2 }')" \
	"radlb2 found the session in Redis"

# /metrics of both, and a Prometheus on compose's prometheus.yml (targets
# rewritten to the two stats ports) that scrapes them and loads the rules.
for n in radlb1 radlb2; do
	url=${n}_URL
	curl -sf "${!url}/metrics" >"$T_DIR/$n.metrics" || t_fail "$n: GET /metrics failed"
	out=$(promtool check metrics <"$T_DIR/$n.metrics" 2>&1)
	t_assert_eq 0 $? "$n: /metrics passes promtool check metrics${out:+: $out}"
done
P=$(t_free_port tcp) || t_fail "no free port"
sed -i -e "s/\"radlb1:9812\"/\"${radlb1_URL#http://}\"/" -e "s/\"radlb2:9812\"/\"${radlb2_URL#http://}\"/" \
	"$T_DIR/prom/etc/prometheus/prometheus.yml"
prometheus --config.file="$T_DIR/prom/etc/prometheus/prometheus.yml" --storage.tsdb.path="$T_DIR/prom/data" \
	--web.listen-address="127.0.0.1:$P" >"$T_DIR/prometheus.log" 2>&1 &
t_register_daemon prometheus $! "$T_DIR/prometheus.log"
# The first scrape of each target comes within one scrape_interval (15 s).
up_both() {
	curl -sf "http://127.0.0.1:$P/api/v1/query?query=sum(up%7Bjob%3D%22radlb%22%7D)" |
		grep -q '"value":\[[0-9.]*,"2"\]'
}
t_wait_until 45 up_both || t_fail "Prometheus does not scrape both radlb: $(curl -s "http://127.0.0.1:$P/api/v1/targets")"
t_pass "Prometheus on compose's prometheus.yml scrapes radlb1 and radlb2 (up{job=\"radlb\"} = 1 for both)"
out=$(curl -sf "http://127.0.0.1:$P/api/v1/rules")
t_assert_contains '"name":"RadlbDown"' "$out" "and has loaded radlb's alert rules"
