#!/bin/bash
# Balancing among the servers: least-outstanding (default) spreads idle
# load, round-robin takes turns, weighted follows the weights.
set -u
. "$(dirname "$0")/rlb.sh"

rlb_farm 3

# run_algo ALGO N: N plain logins, prints "a b c" Accept counts per server
run_algo() {
	local i
	for ((i = 0; i < $2; i++)); do
		rlb_auth 'User-Name = "plain", User-Password = "plain-pw"' >/dev/null
	done
	rlb_ctl show stats | awk '/^server\.mfa[123]\.access_accepts / { printf "%s ", $2 }' | sed 's/ $//'
}

RLB_PROXY='balance = "round-robin";'
rlb_config
rlb_start rr
t_assert_eq "10 10 10" "$(run_algo round-robin 30)" "round-robin: 30 requests, 10 per server"
rlb_stop

RLB_PROXY='balance = "least-outstanding";'
rlb_config
rlb_start lo
t_assert_eq "10 10 10" "$(run_algo least-outstanding 30)" "least-outstanding with idle servers rotates: 10 each"
rlb_stop

RLB_PROXY='balance = "weighted";'
RLB_SERVER_EXTRA=''
rlb_config
# weights 4, 1, 1
sed -i 's/name = "mfa1";/name = "mfa1"; weight = 4;/' "$T_DIR/radlb.conf"
rlb_start w
t_assert_eq "20 5 5" "$(run_algo weighted 30)" "weighted 4:1:1: 20, 5, 5"
