#!/bin/bash
# Issue 10.8: started by hand with a permissive umask, aeogated still keeps
# its state private: the state directory 0750, the database, its WAL and
# SHM, the device key and every other file it creates 0640 or tighter; and
# it refuses to start on a database that others can read.
source "$(dirname "$0")/lib.sh"

write_sim_config
rm -rf "$STATE"
umask 000
start_daemon "$T/sim.ini"
umask 027
ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null

mode() { stat -c %a "$1"; }
[ "$(mode "$STATE")" = 750 ] || fail "state directory is $(mode "$STATE"), expected 750"
for f in aeogate.db aeogate.db-wal aeogate.db-shm device.key; do
	[ -e "$STATE/$f" ] || fail "$f was not created"
done
for f in "$STATE"/*; do
	m=$(mode "$f")
	[ $((8#$m & 8#027)) -eq 0 ] || fail "$(basename "$f") is $m: group may not write, others may not read"
done
pass "under umask 000 the state directory is 750 and every file in it 640 or tighter"
stop_daemon

chmod 644 "$STATE/aeogate.db"
expect_exit 1 "$AEOGATED" -c "$T/sim.ini" --state-dir "$STATE" --socket "$SOCK"
expect_contains "$ERR" "aeogate.db"
expect_contains "$ERR" "chmod"
pass "a database readable by others is refused with a clear message"

chmod 640 "$STATE/aeogate.db"
start_daemon "$T/sim.ini"
stop_daemon
pass "with the mode fixed it starts again"
