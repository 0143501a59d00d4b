#!/bin/bash
# The VIP of a VRRP pair (doc/ha.md), in a network namespace of its own:
# a listener on an address no interface holds fails to start, clearly,
# without freebind; with freebind = true radlb starts and, once the address
# is added (what keepalived does on the node that becomes master), serves
# requests sent to it, over IPv4 and IPv6, without a restart. freebind is
# not reloadable. conf/keepalived/keepalived.conf passes keepalived's own
# check (with this namespace's values), its health check is the command
# that /healthz answers, and the notify script only logs.
set -u

# Everything below runs inside a fresh namespace: its loopback and its
# ports belong to this test alone, and the VIP exists nowhere else.
if [ -z "${RLB_VIP_NS:-}" ]; then
	ns=rlbvip-$$
	ip netns add "$ns" || { echo "not ok 1 - ip netns add $ns (needs root)"; exit 1; }
	ip netns exec "$ns" env RLB_VIP_NS="$ns" bash "$0" "$@"
	rc=$?
	ip netns del "$ns"
	exit "$rc"
fi

. "$(dirname "$0")/rlb.sh"

VIP=192.0.2.10
VIP6=2001:db8::10
ip link set lo up || t_fail "ip link set lo up"
# keepalived wants a real (non-loopback) interface for its instance
ip link add vip0 type veth peer name vip1 && ip link set vip0 up && ip link set vip1 up ||
	t_fail "cannot create the veth pair vip0/vip1"

# ------------------------------------------------------------ listeners on the VIP
rlb_farm 2
RLB_CLIENTS="clients = ( { name = \"nas\"; network = \"127.0.0.1/32\"; secret = \"$CLIENT_SECRET\"; },
                        { name = \"vipnet\"; network = \"192.0.2.0/24\"; secret = \"$CLIENT_SECRET\"; },
                        { name = \"vipnet6\"; network = \"2001:db8::/64\"; secret = \"$CLIENT_SECRET\"; } );"
# The stats port keepalived.conf's health check uses: free in this namespace.
RLB_STATS='stats = { port = 9812; };'
rlb_config
VIP_AUTH=$(t_free_port udp) && VIP_TCP=$(t_free_port tcp) && VIP6_AUTH=$(t_free_port udp) ||
	t_fail "no free port"
sed -i -e '/^listen = ($/a\
  { type = "auth"; proto = "udp"; address = "'"$VIP"'"; port = '"$VIP_AUTH"'; freebind = false; },\
  { proto = "tcp"; address = "'"$VIP"'"; port = '"$VIP_TCP"'; freebind = false; },\
  { type = "auth"; proto = "udp"; address = "'"$VIP6"'"; port = '"$VIP6_AUTH"'; freebind = false; },' \
	"$T_DIR/radlb.conf"

out=$("$RADLB" -C -f "$T_DIR/radlb.conf" 2>&1) || t_fail "radlb -C refuses the configuration: $out"
out=$(timeout 20 "$RADLB" -f "$T_DIR/radlb.conf" 2>&1)
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || t_fail "radlb started (or hung) on $VIP without freebind (rc $rc)"
t_pass "without freebind, radlb refuses to start on $VIP, which no interface holds"
t_assert_contains "listen $VIP:$VIP_AUTH (auth): bind: Cannot assign requested address" "$out" \
	"the error names the listener and the kernel's reason"
t_assert_contains "freebind = true or sysctl net.ipv4.ip_nonlocal_bind = 1" "$out" \
	"and says what to do about it"

sed -i 's/freebind = false/freebind = true/' "$T_DIR/radlb.conf"
rlb_start radlb-vip
t_pass "with freebind = true, radlb starts on $VIP and $VIP6 before they exist"
out=$(ss -Hlnt "src $VIP:$VIP_TCP")
t_assert_contains "$VIP:$VIP_TCP" "$out" "the TCP listener on the VIP is bound too"
out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_contains 'Received Access-Accept' "$out" "the listener on 127.0.0.1 serves meanwhile"

# What keepalived does on the node that becomes master.
ip addr add "$VIP/32" dev lo && ip addr add "$VIP6/128" dev lo nodad || t_fail "ip addr add"
out=$(printf 'User-Name = "plain", User-Password = "plain-pw"\n' |
	t_radclient -x "$VIP:$VIP_AUTH" auth "$CLIENT_SECRET" 2>&1)
t_assert_contains "Received Access-Accept Id" "$out" "once $VIP is added, a request to it is answered"
t_assert_contains "from $VIP:$VIP_AUTH" "$out" "from the VIP"
out=$(printf 'User-Name = "plain", User-Password = "plain-pw"\n' |
	t_radclient -x "[$VIP6]:$VIP6_AUTH" auth "$CLIENT_SECRET" 2>&1)
t_assert_contains "Received Access-Accept Id" "$out" "the same over IPv6 (IPV6_FREEBIND) on $VIP6"

sed -i '0,/freebind = true/s//freebind = false/' "$T_DIR/radlb.conf"
out=$(rlb_ctl reload 2>&1) && t_fail "a freebind change was applied live"
t_assert_contains "listen[0].freebind changed, which needs a restart" "$out" \
	"freebind is not reloadable, like the other listen keys"

# ------------------------------------------------------------ keepalived
KCONF=$TOP_SRCDIR/conf/keepalived/keepalived.conf
NOTIFY=$TOP_SRCDIR/conf/keepalived/radlb-notify.sh
bash -n "$NOTIFY" || t_fail "bash -n $NOTIFY"
t_pass "the notify script parses (bash -n)"

check=$(sed -n 's/^[[:space:]]*script "\(.*\)"$/\1/p' "$KCONF")
t_assert_contains "curl -fsS --max-time 2" "$check" "the vrrp_script runs curl with a 2 s limit"
t_wait_for sh -c "$check" || t_fail "the vrrp_script's check fails on a healthy radlb: $check"
t_pass "the vrrp_script's check passes against radlb's /healthz"

# keepalived with enable_script_security wants the scripts in a path only
# root can write; the test values: this namespace's interface, an existing
# user, the notify script where the test keeps it.
kd=$T_DIR/keepalived
mkdir -m 0755 "$kd" && chmod 0755 "$T_DIR" && install -m 0755 "$NOTIFY" "$kd/radlb-notify.sh" ||
	t_fail "cannot prepare $kd"
sed -e "s|/etc/keepalived/radlb-notify.sh|$kd/radlb-notify.sh|" -e 's/\beth0\b/vip0/g' \
	-e 's/script_user keepalived_script/script_user nobody/' "$KCONF" >"$kd/keepalived.conf"
# keepalived 2.2.7's --config-test ends by killing itself with SIGTERM even
# when the file is right: what it prints is the verdict, not its status.
out=$(keepalived --config-test -f "$kd/keepalived.conf" 2>&1)
t_assert_eq "" "$out" "keepalived --config-test accepts conf/keepalived/keepalived.conf"
sed 's/weight -30/weight -300/' "$kd/keepalived.conf" >"$kd/bad.conf"
out=$(keepalived --config-test -f "$kd/bad.conf" 2>&1)
t_assert_contains "weight -300 must be in" "$out" "and the check does catch a wrong value"

# The notify script: one log line through logger, exit 0, nothing else run.
mkdir "$kd/bin" && cat >"$kd/bin/logger" <<EOF || t_fail "cannot write a stand-in logger"
#!/bin/sh
printf '%s\n' "\$*" >>"$kd/logger.out"
EOF
chmod 0755 "$kd/bin/logger"
PATH=$kd/bin:$PATH "$NOTIFY" INSTANCE RADLB MASTER 100 || t_fail "the notify script failed"
out=$(cat "$kd/logger.out")
t_assert_contains "-t radlb-vrrp -p daemon.notice" "$out" "the notify script logs with logger"
t_assert_contains "INSTANCE RADLB -> MASTER (priority 100): this node now holds the VIP" "$out" \
	"the transition, in one line"
t_assert_match 'radlb /healthz: [^n]' "$out" "with radlb's own health beside it"
t_assert_eq 0 "$(rlb_ctl show stats >/dev/null 2>&1; echo $?)" "radlb still runs after the notify script"
