# tests/lib/fault.sh -- helpers for the fault-injection tests
# (tests/integration/t-fault-*.sh). Source it after rlb.sh:
#
#     . "$(dirname "$0")/rlb.sh"
#     . "$TOP_SRCDIR/tests/lib/fault.sh"
#
# It replaces the EXIT trap with one that first undoes what the helpers below
# set up (network namespaces, veth pairs, tmpfs mounts, in reverse order),
# then runs t_cleanup as usual (daemons, logs on failure, T_DIR).
#
# Figures:
#   f_figure NAME VALUE           "# figure: NAME VALUE" on stdout; also one
#                                 line "TEST NAME VALUE" in $FAULT_FIGURES when
#                                 that is set (to collect a run's figures)
#   f_assert_le VALUE BOUND MSG   t_pass when VALUE <= BOUND, else t_fail
#   f_assert_ge VALUE BOUND MSG
#   f_us                          now, in microseconds (EPOCHREALTIME)
#   f_ms_since US                 milliseconds since f_us gave US
#
# Cleanup:
#   f_cleanup_add CMD             run CMD at exit (before t_cleanup), e.g.
#                                 "kill -CONT PID" for a stopped server
#
# Hosts (network namespaces joined to this one by a veth pair, each with its
# own /24 in 10.77.0.0/16, claimed across parallel tests like ports):
#   f_host VAR                    makes one; sets VAR_NS (namespace), VAR_IP
#                                 (its address), VAR_GW (this side's address),
#                                 VAR_NET (the /24), VAR_IF / VAR_PEER (the veth
#                                 ends, here and there)
#   f_host_unplug VAR / f_host_plug VAR
#                                 the host's end of the cable down / up: its
#                                 address stops answering at all (no ICMP)
#   f_mfa_on_host VAR I [mfa-server.sh options]
#                                 MFA server mfaI inside host VAR (like
#                                 rlb_farm's); sets MFAI_AUTH, MFAI_ACCT, MFAI_ADDR
#   f_server_address NAME ADDR    after rlb_config: server NAME at ADDR
#   f_server_port NAME AUTH ACCT  after rlb_config: server NAME on these ports
#
# Disks:
#   f_tmpfs DIR SIZE              a tmpfs of SIZE (e.g. 512k) mounted on DIR
#
# Daemons and load:
#   f_rss_kb PID                  VmRSS of PID in kB
#   f_state NAME [SOCKET]         a server's state (up, down, ...)
#   f_mfa_restart I               starts mfaI again where it was (same dir,
#                                 ports, namespace); registers it
#   f_load_start NAME FIRST CONC ADDR [ADDR2]
#                                 SMS-OTP logins (rlb-otplogin batches of 20,
#                                 users userFIRST, userFIRST+20, ...) in the
#                                 background until f_load_stop NAME
#   f_load_stop NAME              stops them, waits; sets LOAD_LOGINS,
#                                 LOAD_ACCEPTED, LOAD_FAILED
#   f_impair VAR TARGET_ADDR TARGET_AUTH TARGET_ACCT [rlb-impair.py options]
#                                 the impairment relay (tests/tools/rlb-impair.py)
#                                 in front of a server; sets VAR_AUTH, VAR_ACCT
#                                 (its ports on 127.0.0.1), VAR_PID, VAR_STATS

PY=/usr/bin/python3
IMPAIR=$TOP_SRCDIR/tests/tools/rlb-impair.py
STORM=$TOP_SRCDIR/tests/tools/rlb-storm.py
FLOOD=$TOP_SRCDIR/tests/tools/rlb-flood.py
ACCTSTREAM=${ACCTSTREAM:-$TOP_SRCDIR/tests/tools/rlb-acctstream}
F_TEST=$(basename "$0" .sh)
F_CLEANUPS=()

f__exit() {
	local rc=$? i
	for ((i = ${#F_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${F_CLEANUPS[$i]}" >/dev/null 2>&1
	done
	F_CLEANUPS=()
	(exit "$rc")
	t_cleanup
}
trap f__exit EXIT

f_cleanup_add() {
	F_CLEANUPS+=("$1")
}

f_us() { echo "${EPOCHREALTIME/./}"; }
f_ms_since() { echo $((($(f_us) - $1) / 1000)); }

f_figure() {
	printf '# figure: %s %s\n' "$1" "$2"
	[ -n "${FAULT_FIGURES:-}" ] && printf '%s %s %s\n' "$F_TEST" "$1" "$2" >>"$FAULT_FIGURES"
	return 0
}

f_assert_le() {
	if [[ $1 =~ ^-?[0-9]+$ ]] && [ "$1" -le "$2" ]; then
		t_pass "$3 ($1 <= $2)"
	else
		t_fail "$3 ($1, bound $2)"
	fi
}

f_assert_ge() {
	if [[ $1 =~ ^-?[0-9]+$ ]] && [ "$1" -ge "$2" ]; then
		t_pass "$3 ($1 >= $2)"
	else
		t_fail "$3 ($1, bound $2)"
	fi
}

f_rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"
}

f_state() {
	"$RADLBCTL" -s "${2:-$RLB_SOCK}" --json show servers | jq -r ".servers[] | select(.name == \"$1\") | .state"
}
f_is_state() { [ "$(f_state "$1" "${3:-$RLB_SOCK}")" = "$2" ]; }

# ---------------------------------------------------------------- hosts

# f__claim_net: prints a free N for 10.77.N.0/24 (claimed like a port).
f__claim_net() {
	local n i owner
	[ -d "$T_PORT_CLAIMS" ] || mkdir -m 1777 "$T_PORT_CLAIMS" 2>/dev/null
	for ((i = 0; i < 500; i++)); do
		n=$((RANDOM % 254 + 1))
		if ! mkdir "$T_PORT_CLAIMS/net-$n" 2>/dev/null; then
			owner=$(cat "$T_PORT_CLAIMS/net-$n/owner" 2>/dev/null) || continue
			t__alive "$owner" && continue
			rm -rf "${T_PORT_CLAIMS:?}/net-$n"
			mkdir "$T_PORT_CLAIMS/net-$n" 2>/dev/null || continue
		fi
		echo "$T_MAIN_PID" >"$T_PORT_CLAIMS/net-$n/owner"
		# The claim files are per /tmp, the interfaces per kernel: an
		# interface or a route of that N belongs to another test run (one
		# in a chroot, with its own /tmp) or was left by a killed test;
		# either way, not ours to take.
		if ip link show "rlbf${n}h" >/dev/null 2>&1 || ip -4 route show | grep -q "^10\.77\.$n\."; then
			continue
		fi
		echo "$n"
		return 0
	done
	return 1
}

f_host() {
	local var=$1 n ns
	n=$(f__claim_net) || t_fail "no free 10.77.N.0/24 for a test host"
	ns=rlbf-$T_MAIN_PID-$n
	ip netns add "$ns" || t_fail "ip netns add $ns"
	f_cleanup_add "ip netns del $ns"
	ip link add "rlbf${n}h" type veth peer name "rlbf${n}n" || t_fail "ip link add (veth)"
	f_cleanup_add "ip link del rlbf${n}h"
	ip link set "rlbf${n}n" netns "$ns" &&
		ip addr add "10.77.$n.1/24" dev "rlbf${n}h" &&
		ip link set "rlbf${n}h" up &&
		ip -n "$ns" addr add "10.77.$n.2/24" dev "rlbf${n}n" &&
		ip -n "$ns" link set "rlbf${n}n" up &&
		ip -n "$ns" link set lo up || t_fail "cannot set up the veth pair of $ns"
	printf -v "${var}_NS" %s "$ns"
	printf -v "${var}_IP" %s "10.77.$n.2"
	printf -v "${var}_GW" %s "10.77.$n.1"
	printf -v "${var}_NET" %s "10.77.$n.0/24"
	printf -v "${var}_IF" %s "rlbf${n}h"
	printf -v "${var}_PEER" %s "rlbf${n}n"
	t_log "host $var: namespace $ns, 10.77.$n.2 (here 10.77.$n.1 on rlbf${n}h)"
}

f_host_unplug() {
	local ns=${1}_NS peer=${1}_PEER
	ip -n "${!ns}" link set "${!peer}" down
}
f_host_plug() {
	local ns=${1}_NS peer=${1}_PEER
	ip -n "${!ns}" link set "${!peer}" up
}

f_mfa_on_host() {
	local var=$1 i=$2 auth acct ns ip net
	shift 2
	ns=${var}_NS ip=${var}_IP net=${var}_NET
	auth=$(t_free_port udp) && acct=$(t_free_port udp) || t_fail "no free port"
	ip netns exec "${!ns}" "$MFA" start --name "mfa$i" --dir "$T_DIR/mfa$i" --address "${!ip}" \
		--clients "${!net}" --auth-port "$auth" --acct-port "$acct" \
		--secret "$(server_secret "mfa$i")" "$@" >/dev/null || t_fail "MFA server mfa$i did not start in ${!ns}"
	t_register_daemon "mfa$i" "$(cat "$T_DIR/mfa$i/pid")" "$T_DIR/mfa$i/radiusd.log"
	printf -v "MFA${i}_AUTH" %s "$auth"
	printf -v "MFA${i}_ACCT" %s "$acct"
	printf -v "MFA${i}_ADDR" %s "${!ip}"
	printf -v "MFA${i}_NS" %s "${!ns}"
	[ "$i" -gt "$RLB_NSERVERS" ] && RLB_NSERVERS=$i
	return 0
}

f_server_address() {
	sed -i "s/{ name = \"$1\"; address = \"[^\"]*\";/{ name = \"$1\"; address = \"$2\";/" "$T_DIR/radlb.conf"
	grep -q "name = \"$1\"; address = \"$2\";" "$T_DIR/radlb.conf" || t_fail "f_server_address $1 $2"
}

f_server_port() {
	sed -i "s/\(name = \"$1\"; address = \"[^\"]*\"; auth_port = \)[0-9]*; acct_port = [0-9]*;/\1$2; acct_port = $3;/" \
		"$T_DIR/radlb.conf"
	grep -q "name = \"$1\"; address = \"[^\"]*\"; auth_port = $2; acct_port = $3;" "$T_DIR/radlb.conf" ||
		t_fail "f_server_port $1 $2 $3"
}

# f_mfa_restart I: mfaI again, same directory, ports, address (and namespace).
f_mfa_restart() {
	local i=$1 d=$T_DIR/mfa$1 auth acct addr clients ns=MFA${1}_NS
	auth=$(sed -n 's/^mfa_auth_port = //p' "$d/raddb/instance.conf")
	acct=$(sed -n 's/^mfa_acct_port = //p' "$d/raddb/instance.conf")
	addr=$(sed -n 's/^mfa_address = //p' "$d/raddb/instance.conf")
	clients=$(sed -n 's/^[[:space:]]*ipaddr = //p' "$d/raddb/clients.conf" | paste -sd, -)
	${!ns:+ip netns exec "${!ns}"} "$MFA" start --name "mfa$i" --dir "$d" --address "$addr" --clients "$clients" \
		--auth-port "$auth" --acct-port "$acct" --secret "$(server_secret "mfa$i")" >/dev/null ||
		t_fail "mfa$i did not start again"
	t_register_daemon "mfa$i-again" "$(cat "$d/pid")" "$d/radiusd.log"
}

# ---------------------------------------------------------------- disks

f_tmpfs() {
	mkdir -p "$1" || t_fail "mkdir $1"
	mount -t tmpfs -o "size=$2,mode=0700" tmpfs "$1" || t_fail "cannot mount a tmpfs on $1"
	# lazily: radlb may still hold files there; t_cleanup kills it afterwards
	f_cleanup_add "umount -l '$1'"
}

# ---------------------------------------------------------------- load

f_load_start() {
	local name=$1 first=$2 conc=$3
	shift 3
	rm -f "$T_DIR/$name.stop"
	: >"$T_DIR/$name.out"
	(
		f=$first
		while [ ! -e "$T_DIR/$name.stop" ]; do
			"$OTPLOGIN" -k "$CLIENT_SECRET" -d "$T_DIR" -n 20 -c "$conc" -u user -f "$f" -t 1 -r 5 "$@" 2>&1 |
				sed -n "s/^logins /$(date +%s%3N) logins /p" >>"$T_DIR/$name.out"
			f=$((f + 20))
			sleep 0.1 # pacing: about 150 logins a second, not a benchmark
		done
	) &
	t_register_daemon "load-$name" $! ""
	printf -v "LOAD_PID_$name" %s $!
}

f_load_stop() {
	local pid=LOAD_PID_$1
	touch "$T_DIR/$1.stop"
	wait "${!pid}" 2>/dev/null
	read -r LOAD_LOGINS LOAD_ACCEPTED LOAD_FAILED < <(awk '{ n += $3; a += $5; f += $7 } END { print n + 0, a + 0, f + 0 }' \
		"$T_DIR/$1.out" 2>/dev/null)
}

# ---------------------------------------------------------------- impairment relay

f_impair() {
	local var=$1 addr=$2 auth=$3 acct=$4 la lc
	shift 4
	la=$(t_free_port udp) && lc=$(t_free_port udp) || t_fail "no free port"
	"$PY" "$IMPAIR" --stats "$T_DIR/$var.json" "$@" \
		"127.0.0.1:$la=$addr:$auth" "127.0.0.1:$lc=$addr:$acct" 2>"$T_DIR/$var.log" &
	t_register_daemon "$var" $! "$T_DIR/$var.log"
	printf -v "${var}_PID" %s $!
	printf -v "${var}_AUTH" %s "$la"
	printf -v "${var}_ACCT" %s "$lc"
	printf -v "${var}_STATS" %s "$T_DIR/$var.json"
	t_wait_for test -s "$T_DIR/$var.json" || t_fail "the impairment relay $var did not start"
}
