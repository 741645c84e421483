#!/bin/bash
# Scheduled backups ([backup] dir, every, keep): aeogated writes them
# itself, records system.backup, keeps the newest `keep`, each verifies
# offline; a backup that cannot be written raises alarm.backup. Bounded by
# events (the backups counted), never by how long they take.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"

write_sim_config
cp "$T/sim.ini" "$T/base.ini"
mkdir -m 750 "$T/backups"
cat >>"$T/sim.ini" <<INI

[backup]
dir = $T/backups
every = 1s
keep = 2
INI
start_daemon "$T/sim.ini"
seed_audit_scenario
since=0
for i in 1 2 3; do
	wait_event "$since" system.backup 60
	since=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seq"])' "$EV")
	ev_check "$EV" "d['to'].startswith('$T/backups/aeogate-') and d['bytes'] > 0 and d['seq'] > 0"
	# A decision between two backups: each one has something new to copy.
	ctl sim present dock-1-in --uid 04a1b2c3 >/dev/null
done
stop_daemon
n=$(ls "$T/backups" | grep -c '^aeogate-.*\.db$' || true)
[ "$n" -le 2 ] && [ "$n" -ge 1 ] || fail "keep = 2, but $n backups are kept: $(ls "$T/backups")"
ls "$T/backups" | matches '\.tmp$' && fail "a temporary file was left in the backup directory"
for f in "$T"/backups/aeogate-*.db; do
	expect_exit 0 "$AEOGATECTL" audit verify --db "$f" --pubkey "$STATE/device.pub"
done
pass "three scheduled backups recorded by system.backup; $n kept (keep = 2), each verifies"

# A directory that cannot be written (under a regular file: even root cannot).
cp "$T/base.ini" "$T/sim.ini"
: >"$T/not-a-dir"
cat >>"$T/sim.ini" <<INI

[backup]
dir = $T/not-a-dir/backups
every = 1s
INI
start_daemon "$T/sim.ini"
# Raised from the start (aeogated checks the directory then), so from seq 0:
# the first run above raised none.
s0=0
wait_event "$s0" alarm.backup 60
ev_check "$EV" "d['dir'] == '$T/not-a-dir/backups' and d['error']"
expect_exit 0 ctl alarm list --open
expect_contains "$OUT" "alarm.backup"
# Failing again and again raises it once: the next backups wait for it and count.
a=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seq"])' "$EV")
ctl sim present dock-1-in --uid 04a1b2c3 >/dev/null
ctl sim present dock-1-in --uid 04a1b2c3 >/dev/null
ctl sim present dock-1-in --uid 04a1b2c3 >/dev/null
sleep 2.5
[ "$(events_after "$a" | grep -cE "$(kind_re alarm.backup)" || true)" = 0 ] ||
	fail "alarm.backup raised again while it was failing already"
pass "a backup that cannot be written raises alarm.backup, once: $EV"

# A bad [backup] key is refused at start, with its line.
cp "$T/base.ini" "$T/bad.ini"
printf '\n[backup]\ndir = relative/path\n' >>"$T/bad.ini"
expect_exit 1 "$AEOGATED" -c "$T/bad.ini" --check-config
expect_contains "$ERR" "absolute path"
pass "[backup] dir must be absolute: $ERR"
