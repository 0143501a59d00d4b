#!/bin/bash
# Giving up root (user, group): radlb started as root binds a privileged
# port, opens its spool and state file, then runs as the configured user
# (nobody:nogroup here) with no way back to root; the control socket and
# the spool are the user's; a promotion is still kept in the state file.
# Bad settings are refused by radlb -C with file and line, and a radlb
# started as another user refuses a user it cannot become.
set -u
. "$(dirname "$0")/rlb.sh"

[ "$(id -u)" = 0 ] || t_fail "t-privs.sh needs root (CI and scripts/quickstart run the suite as root)"
NOBODY_UID=$(id -u nobody) && NOGROUP_GID=$(getent group nogroup | cut -d: -f3) ||
	t_fail "no user nobody or group nogroup on this machine"

# A free UDP port below 1024: only root may bind it.
LOW=""
for p in $(seq 900 1000); do
	if mkdir "$T_PORT_CLAIMS/$p" 2>/dev/null; then
		echo "$T_MAIN_PID" >"$T_PORT_CLAIMS/$p/owner"
		t__port_in_use "$p" || { LOW=$p; break; }
	fi
done
[ -n "$LOW" ] || t_fail "no free UDP port between 900 and 1000"

# nobody must reach the test's directory (its files stay root's).
chmod 711 "$T_DIR"
mkdir -p "$T_DIR/state" "$T_DIR/spool"
chown nobody:nogroup "$T_DIR/state"

rlb_farm 2
RLB_EXTRA="user = \"nobody\"; group = \"nogroup\";
spool = { directory = \"$T_DIR/spool\"; };
state_file = \"$T_DIR/state/radlb.state\";"
rlb_config
sed -i "s|^listen = (|listen = (\n  { type = \"auth\"; proto = \"udp\"; address = \"127.0.0.1\"; port = $LOW; },|" \
	"$T_DIR/radlb.conf"
out=$("$RADLB" -C -f "$T_DIR/radlb.conf" 2>&1)
t_assert_eq 0 $? "radlb -C accepts user and group ($out)"
rlb_start

status=/proc/$RLB_PID/status
t_assert_eq "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID" "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$status")" \
	"radlb runs as nobody: real, effective, saved and filesystem uid"
t_assert_eq "$NOGROUP_GID $NOGROUP_GID $NOGROUP_GID $NOGROUP_GID" "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "$status")" \
	"and as group nogroup"
t_assert_eq "$NOGROUP_GID" "$(awk '/^Groups:/ { $1 = ""; print substr($0, 2) }' "$status")" \
	"with no other group (root's are gone)"
t_assert_eq 0000000000000000 "$(awk '/^CapEff:/ { print $2 }' "$status")" "and no capability left"
t_assert_contains "running as user nobody (uid $NOBODY_UID)" "$(cat "$T_DIR/radlb.log")" "and says so in its log"

out=$(rlb_auth 'User-Name = "plain", User-Password = "plain-pw"')
t_assert_match 'Received Access-Accept' "$out" "a login is served on the usual port"
out=$(printf 'User-Name = "plain", User-Password = "plain-pw"\n' |
	t_radclient -x "127.0.0.1:$LOW" auth "$CLIENT_SECRET" 2>&1)
t_assert_match 'Received Access-Accept' "$out" "and on port $LOW, bound while radlb was root"

t_assert_eq nobody "$(stat -c %U "$RLB_SOCK")" "the control socket is the user's"
t_assert_eq 660 "$(stat -c %a "$RLB_SOCK")" "and keeps its mode"
t_assert_eq nobody:nogroup "$(stat -c %U:%G "$T_DIR/spool")" "the spool directory is the user's"
bad=$(find "$T_DIR/spool" ! -user nobody | head -3)
t_assert_eq "" "$bad" "and so is every file in it"

out=$(rlb_ctl promote mfa2 2>&1)
t_assert_eq 0 $? "a promotion works as nobody ($out)"
t_assert_contains mfa2 "$(cat "$T_DIR/state/radlb.state")" "and is kept in the state file"
t_assert_eq nobody "$(stat -c %U "$T_DIR/state/radlb.state")" "written by the user"
rlb_stop

# A state file in a directory the user cannot write: refused at start.
chown root:root "$T_DIR/state"
chmod 755 "$T_DIR/state"
: >"$T_DIR/refused.log"
"$RADLB" -f "$T_DIR/radlb.conf" 2>"$T_DIR/refused.log" &
pid=$!
t_wait_until 20 sh -c "! kill -0 $pid 2>/dev/null" || { kill "$pid"; t_fail "radlb kept running"; }
wait "$pid"
t_assert_eq 1 $? "a state_file directory the user cannot write stops radlb at start"
t_assert_contains "user nobody cannot write in $T_DIR/state" "$(cat "$T_DIR/refused.log")" \
	"naming the directory and the user"
t_assert_contains "chown nobody $T_DIR/state" "$(cat "$T_DIR/refused.log")" "and what to do"
chown nobody:nogroup "$T_DIR/state"

# Not root, and not that user: refused.
sed -i "s|^user = \"nobody\";|user = \"daemon\";|; s|group = \"nogroup\";||" "$T_DIR/radlb.conf"
sed -i "/port = $LOW; },/d" "$T_DIR/radlb.conf"
chmod 644 "$T_DIR/radlb.conf"
out=$(setpriv --reuid nobody --regid nogroup --clear-groups "$RADLB" -f "$T_DIR/radlb.conf" 2>&1)
t_assert_eq 1 $? "started as nobody with user = daemon: radlb stops"
t_assert_contains "user = \"daemon\" is set, but radlb runs as uid $NOBODY_UID, not root" "$out" \
	"and says why"

# Bad settings: radlb -C names the file and line.
printf 'user = "no-such-user-rlb";\n' >>"$T_DIR/radlb.conf"
sed -i 's|^user = "daemon";||' "$T_DIR/radlb.conf"
out=$("$RADLB" -C -f "$T_DIR/radlb.conf" 2>&1)
t_assert_eq 1 $? "radlb -C refuses an unknown user"
t_assert_match "radlb.conf:[0-9]+: .*user.*no such user \"no-such-user-rlb\"" "$out" \
	"with file, line and what to do ($out)"
printf 'group = "no-such-group-rlb";\n' >>"$T_DIR/radlb.conf"
sed -i 's|^user = "no-such-user-rlb";|user = "nobody";|' "$T_DIR/radlb.conf"
out=$("$RADLB" -C -f "$T_DIR/radlb.conf" 2>&1)
t_assert_match "radlb.conf:[0-9]+: .*group.*no such group \"no-such-group-rlb\"" "$out" \
	"and an unknown group"
