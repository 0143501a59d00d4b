#!/bin/bash
# Logs people can use: text lines with an RFC 3339 time stamp and its
# offset; under systemd's journal ($JOURNAL_STREAM) the sd-daemon priority
# prefix instead; log.format = "json" gives one JSON object per line; every
# message is one line, even one that carries a multi-line text (a refused
# reload repeats the file's errors), with its control characters escaped.
set -u
. "$(dirname "$0")/rlb.sh"

rlb_farm 1
rlb_config
rlb_start
first=$(grep -m1 ' radlb info: ' "$T_DIR/radlb.log")
t_assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{2}:[0-9]{2} radlb info: ' \
	"$first" "text lines start with an RFC 3339 time stamp and its offset"
printf 'clients = oops\n' >>"$T_DIR/radlb.conf"
kill -HUP "$RLB_PID"
t_wait_until 10 grep -q 'reload (SIGHUP) refused' "$T_DIR/radlb.log" || t_fail "no refused reload in the log"
refused=$(grep 'reload (SIGHUP) refused' "$T_DIR/radlb.log")
t_assert_eq 1 "$(printf '%s\n' "$refused" | wc -l)" "a refused reload is one line"
t_assert_match 'unchanged:\\n.*radlb.conf:[0-9]+' "$refused" "its file errors follow as \\n, not new lines"
bad=$(grep -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+-][0-9]{2}:[0-9]{2} radlb (error|warning|info|debug): ' \
	"$T_DIR/radlb.log" | head -3)
t_assert_eq "" "$bad" "every line of the log has the time stamp and the level"
rlb_stop

# Under the journal: the priority prefix, no time stamp.
: >"$T_DIR/journal.log"
sed -i '$d' "$T_DIR/radlb.conf"
JS=$(stat -c '%d:%i' "$T_DIR/journal.log")
RLB_WRAPPER="env JOURNAL_STREAM=$JS" rlb_start journal
# rlb_start appends stderr to $T_DIR/journal.log: the same file
t_assert_match '^<6>radlb info: ' "$(grep -m1 'radlb info' "$T_DIR/journal.log")" \
	"stderr that is the journal: <6> for info, no time stamp"
rlb_ctl drain mfa1 >/dev/null
t_wait_until 5 grep -q '^<4>radlb warning: server mfa1' "$T_DIR/journal.log" ||
	t_fail "no <4> warning line: $(tail -3 "$T_DIR/journal.log")"
t_pass "<4> for a warning (drained)"
rlb_stop

# JSON lines.
printf 'log = { level = "info"; format = "json"; };\n' >>"$T_DIR/radlb.conf"
sed -i '0,/^log = { level = "info"; destination = "stderr"; };$/s///' "$T_DIR/radlb.conf"
: >"$T_DIR/json.log"
rlb_start json
rlb_ctl drain mfa1 >/dev/null
t_wait_until 5 grep -q '"level":"warning"' "$T_DIR/json.log" || t_fail "no JSON warning line"
lines=$(grep -c . "$T_DIR/json.log")
good=$(jq -c 'select(.time and .level and .msg)' "$T_DIR/json.log" 2>/dev/null | wc -l)
t_assert_eq "$lines" "$good" "log.format = json: all $lines lines are JSON objects with time, level, msg"
t_assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+-][0-9]{2}:[0-9]{2}$' \
	"$(jq -r 'select(.level == "warning") | .time' "$T_DIR/json.log" | head -1)" "with an RFC 3339 time"
t_assert_contains "server mfa1" "$(jq -r 'select(.level == "warning") | .msg' "$T_DIR/json.log")" \
	"and the message as text"
