#!/bin/bash
# Started by hand as root (no systemd), aeogated opens its devices and its
# control socket, then runs as [controller] user/group: /proc/PID/status
# shows the user's uid and gid (real, effective, saved, filesystem) and no
# capability, and it still decides and records (the database became the
# user's). Without allow_root and without such a user it refuses to start;
# allow_root = true keeps it root. Needs root: skipped (77) otherwise.
source "$(dirname "$0")/lib.sh"
needs_other_uids

write_sim_config
uid=$(id -u nobody)
gid=$(getent group nogroup | cut -d: -f3)
[ -n "$gid" ] || {
	echo "SKIP: needs the group nogroup"
	exit 77
}
chmod 0755 "$STATE"

# Field N of a /proc/PID/status line: all four ids must be the same one.
status_ids() { awk -v k="$2:" '$1 == k {print $2, $3, $4, $5}' "/proc/$1/status"; }

# ---- refused: root, no allow_root, no such user ----
sed 's/^allow_root = true$/user = aeogate-no-such-user/' "$T/sim.ini" >"$T/nouser.ini"
expect_exit 1 "$AEOGATED" -c "$T/nouser.ini" --state-dir "$STATE" --socket "$SOCK"
expect_contains "$ERR" "user 'aeogate-no-such-user' ([controller] user) does not exist"
expect_contains "$ERR" "allow_root = true"
[ ! -e "$STATE/aeogate.db" ] || fail "a refused start created the database"
sed 's/^allow_root = true$/user = root\ngroup = root/' "$T/sim.ini" >"$T/root.ini"
expect_exit 1 "$AEOGATED" -c "$T/root.ini" --state-dir "$STATE" --socket "$SOCK"
expect_contains "$ERR" "set allow_root = true to run as root"
pass "as root without allow_root: refused when the user is missing or is root"

# ---- dropped to nobody:nogroup ----
sed 's/^allow_root = true$/user = nobody\ngroup = nogroup/' "$T/sim.ini" >"$T/drop.ini"
start_daemon "$T/drop.ini"
[ "$(status_ids "$DAEMON_PID" Uid)" = "$uid $uid $uid $uid" ] ||
	fail "Uid: $(status_ids "$DAEMON_PID" Uid), want $uid x4"
[ "$(status_ids "$DAEMON_PID" Gid)" = "$gid $gid $gid $gid" ] ||
	fail "Gid: $(status_ids "$DAEMON_PID" Gid), want $gid x4"
for cap in CapInh CapPrm CapEff CapAmb; do
	v=$(awk -v k="$cap:" '$1 == k {print $2}' "/proc/$DAEMON_PID/status")
	[ "$v" = 0000000000000000 ] || fail "$cap is $v after the drop"
done
grep -q "running as nobody (uid $uid, gid $gid)" "$T/aeogated.log" || fail "no 'running as' line"
[ "$(stat -c %u "$STATE/aeogate.db")" = "$uid" ] || fail "the database is not nobody's"
pass "dropped: Uid and Gid of nobody:nogroup x4, no capabilities, state is the user's"

# It still decides and commits after the drop.
expect_exit 0 ctl level add dock-staff --zone dock
expect_exit 0 ctl person add E1 --name "Ana" --level dock-staff
expect_exit 0 ctl badge issue E1 --uid 04A1B2C3
expect_exit 0 ctl sim present dock-1-in --uid 04a1b2c3
expect_contains "$OUT" granted
expect_exit 0 ctl events --json
expect_contains "$OUT" access.granted
stop_daemon
pass "after the drop: enrolment and a granted decision are recorded; clean stop"

# A second start as root on the user's files drops again.
start_daemon "$T/drop.ini"
[ "$(status_ids "$DAEMON_PID" Uid)" = "$uid $uid $uid $uid" ] || fail "second start: not dropped"
stop_daemon
pass "restarted by root on the same state: dropped again"

# ---- the backup dir is checked as the user that writes it ----
# Root could write a root-owned 0750 directory; nobody cannot: said at start.
mkdir -m 0750 "$T/root-backups"
cp "$T/drop.ini" "$T/backup.ini"
printf '\n[backup]\ndir = %s\nevery = 1d\n' "$T/root-backups" >>"$T/backup.ini"
: >"$T/aeogated.log"
start_daemon "$T/backup.ini"
[ "$(status_ids "$DAEMON_PID" Uid)" = "$uid $uid $uid $uid" ] || fail "backup run: not dropped"
wait_for 10 grep -q "scheduled backups will fail: $T/root-backups: not writable by uid $uid: Permission denied" \
	"$T/aeogated.log" || fail "no warning for a backup dir nobody cannot write: $(cat "$T/aeogated.log")"
wait_event 0 alarm.backup 10
ev_check "$EV" "'Permission denied' in d['what']"
stop_daemon
pass "a backup dir root could write but the dropped user cannot: warned at start, alarm.backup"

# ---- allow_root = true: stays root, says so ----
start_daemon "$T/sim.ini"
[ "$(status_ids "$DAEMON_PID" Uid)" = "0 0 0 0" ] || fail "allow_root: Uid $(status_ids "$DAEMON_PID" Uid)"
grep -q "running as root: allow_root = true" "$T/aeogated.log" || fail "no allow_root warning"
stop_daemon
pass "allow_root = true: stays root with a warning"

echo "all $PASSED passed"
