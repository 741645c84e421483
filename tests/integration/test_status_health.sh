#!/bin/bash
# aeogatectl status: uptime, doors with state and mode, readers online and
# offline, open alarms, last event, database size, free space, clock
# synchronization and last backup, in the table and in --json.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
seed_audit_scenario   # leaves a forced door: one open alarm
ctl door mode cage-1 locked --comment "health test" >/dev/null

expect_exit 0 ctl status --json
python3 - "$OUT" "$(last_seq)" <<'PY' || fail "status --json: $OUT"
import json, sys
s = json.loads(sys.argv[1]); last = int(sys.argv[2])
assert isinstance(s["uptime_s"], int) and s["uptime_s"] >= 0, s["uptime_s"]
assert isinstance(s["db_bytes"], int) and s["db_bytes"] > 0
assert s["free_bytes"] is None or s["free_bytes"] > 0
assert s["clock_synced"] in (True, False, None)
assert s["last_backup"] is None
doors = {d["name"]: d for d in s["doors"]}
assert doors["cage-1"]["mode"] == "locked" and doors["dock-1"]["mode"] == "card", doors
assert all(d["state"] for d in doors.values())
assert s["readers_online"] == 2 and s["readers_offline"] == []
assert s["alarms_open"] >= 1, s["alarms_open"]
assert s["last_event"]["seq"] == last and s["last_event"]["kind"] == "door.mode", s["last_event"]
PY
pass "status --json has uptime_s, doors, readers, alarms_open, last_event, db_bytes, free_bytes, clock_synced, last_backup (null)"

expect_exit 0 ctl backup "$T/b.db"
seq=$(printf '%s\n' "$OUT" | sed -n 's/.*backup at seq \([0-9]*\),.*/\1/p')
expect_exit 0 ctl status --json
python3 - "$OUT" "$seq" <<'PY' || fail "last_backup after a backup: $OUT"
import json, sys
b = json.loads(sys.argv[1])["last_backup"]
assert b["seq"] == int(sys.argv[2]) and b["to"] == "client" and b["bytes"] > 0 and b["ts"], b
PY
expect_exit 0 ctl status
for word in "uptime (s)" "readers online" "open alarms" "database bytes" "free bytes" \
	"clock synchronized" "last event" "last backup" "cage-1"; do
	expect_contains "$OUT" "$word"
done
expect_contains "$OUT" "mode locked"
pass "status prints the same, and last backup names the backup just made (seq $seq)"
