#!/bin/bash
# conf/keepalived/radlb-notify.sh: keepalived's notify script for the
# radlb VRRP pair (conf/keepalived/keepalived.conf). keepalived runs it on
# every transition as
#
#     radlb-notify.sh INSTANCE|GROUP NAME MASTER|BACKUP|FAULT|STOP PRIORITY
#
# It only records the transition in the system log (tag "radlb-vrrp"),
# with radlb's own state beside it. It changes nothing: radlb listens on
# the VIP on both nodes (freebind), so there is nothing to start, stop or
# reload when the VIP moves.
set -u

kind=${1:-?} name=${2:-?} state=${3:-?} prio=${4:-?}
health=$(curl -fsS --max-time 2 http://127.0.0.1:9812/healthz 2>&1 | head -c 200 | tr '\n' ' ')

case $state in
MASTER) level=notice msg="this node now holds the VIP" ;;
BACKUP) level=notice msg="this node is backup, the peer holds the VIP" ;;
FAULT) level=warning msg="this node is in fault (radlb check failing or interface down)" ;;
STOP) level=notice msg="keepalived stopped on this node" ;;
*) level=warning msg="unknown state" ;;
esac

logger -t radlb-vrrp -p "daemon.$level" -- \
	"$kind $name -> $state (priority $prio): $msg; radlb /healthz: ${health:-no answer}"
exit 0
