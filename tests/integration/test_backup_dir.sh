#!/bin/bash
# [backup] dir and the hardened unit: a [backup] section without dir writes
# to /var/backups/aeogate, which aeogated.service lists in ReadWritePaths=
# and tmpfiles.d creates for the aeogate user; a directory the controller
# cannot write is said at start (the journal line, alarm.backup at once,
# not a day later at the first run) and by --check-config, and the doors
# run all the same.
source "$(dirname "$0")/lib.sh"

# The unit lets the controller write there, and tmpfiles.d makes the directory.
u="$SOURCE_DIR/systemd/aeogated.service"
grep -qx 'ReadWritePaths=-/var/backups/aeogate' "$u" || fail "aeogated.service: no ReadWritePaths= for the backups"
grep -qE '^d /var/backups/aeogate 0750 aeogate aeogate' "$SOURCE_DIR/systemd/aeogate.tmpfiles.conf" ||
	fail "tmpfiles.d does not create /var/backups/aeogate"
pass "the unit's ReadWritePaths= and tmpfiles.d name /var/backups/aeogate"

# The default: a [backup] section without dir means /var/backups/aeogate.
write_sim_config
cp "$T/sim.ini" "$T/base.ini"
printf '\n[backup]\nevery = 1d\n' >>"$T/sim.ini"
expect_exit 0 "$AEOGATED" -c "$T/sim.ini" --check-config
if [ -d /var/backups/aeogate ] && [ -w /var/backups/aeogate ]; then
	expect_not_contains "$ERR" "scheduled backups will fail"
else
	expect_contains "$ERR" "scheduled backups will fail: /var/backups/aeogate"
fi
pass "a [backup] section without dir backs up to /var/backups/aeogate (--check-config: ${ERR:-no warning})"

# A directory that cannot be written: said at start, alarm.backup at once, doors decide.
: >"$T/not-a-dir"
cp "$T/base.ini" "$T/sim.ini"
printf '\n[backup]\ndir = %s\nevery = 1d\n' "$T/not-a-dir/backups" >>"$T/sim.ini"
expect_exit 0 "$AEOGATED" -c "$T/sim.ini" --check-config
expect_contains "$ERR" "scheduled backups will fail: $T/not-a-dir/backups: Not a directory"
start_daemon "$T/sim.ini"
wait_event 0 alarm.backup 20
ev_check "$EV" "d['dir'] == '$T/not-a-dir/backups' and 'Not a directory' in d['what']"
grep -q "scheduled backups will fail: $T/not-a-dir/backups" "$T/aeogated.log" ||
	fail "no journal line at start: $(cat "$T/aeogated.log")"
grep -q "ReadWritePaths=" "$T/aeogated.log" || fail "the journal line does not say how to fix it"
expect_exit 0 ctl alarm list --open
expect_contains "$OUT" "alarm.backup"
expect_exit 0 ctl level add staff --zone dock
expect_exit 0 ctl person add E1 --name "Erin One" --level staff
expect_exit 0 ctl badge issue E1 --uid 04a1b2c3
expect_exit 0 ctl sim present dock-1-in --uid 04a1b2c3
expect_contains "$OUT" granted
stop_daemon
pass "an unwritable backup dir is said at start (journal, alarm.backup before any run) and the doors run: $EV"

# A writable one: not a word.
mkdir -m 750 "$T/backups"
cp "$T/base.ini" "$T/sim.ini"
printf '\n[backup]\ndir = %s\nevery = 1d\n' "$T/backups" >>"$T/sim.ini"
expect_exit 0 "$AEOGATED" -c "$T/sim.ini" --check-config
expect_not_contains "$ERR" "scheduled backups"
: >"$T/aeogated.log"
start_daemon "$T/sim.ini"
# The one alarm.backup is the last run's; let the loop run a turn first.
expect_exit 0 ctl sim present dock-1-in --uid 04a1b2c3
[ "$(count_after 0 'alarm\.backup')" -eq 1 ] || fail "alarm.backup raised for a writable dir: $(events_after 0)"
stop_daemon
grep -q "scheduled backups will fail" "$T/aeogated.log" && fail "a warning for a writable dir: $(cat "$T/aeogated.log")"
pass "a writable backup dir: no warning, no alarm"
