#!/bin/sh
# usage: push-wait.sh DELAY_FILE -- sleep for the delay in DELAY_FILE (default 3 s)
d=$(cat "$1" 2>/dev/null | tr -cd '0-9.')
[ -n "$d" ] || d=3
exec sleep "$d"
