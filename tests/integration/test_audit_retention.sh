#!/bin/bash
# Retention: [audit] retention rules with their floors (--check-config),
# audit prune --dry-run and audit prune on a chain seeded with events from
# months ago (tests/tools/aeogate-test-seed writes them through the real
# chain), the prefix stopping before an open alarm's event, verify --live
# anchored by the checkpoint at the pruning point, exports after it, and
# tampering with the anchor or the rows kept.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"

SEED="$BUILD_DIR/tests/tools/aeogate-test-seed"

# sim_config_with RETENTION FILE: the sim config plus an [audit] section.
sim_config_with() {
	write_sim_config
	{
		cat "$T/sim.ini"
		printf '\n[audit]\ncheckpoint_minutes = 10\nretention = %s\n' "$1"
	} >"$2"
}

# ---- floors: --check-config refuses a rule below one, with file:line ----
check_refused() {
	sim_config_with "$1" "$T/r.ini"
	local line
	line=$(grep -n '^retention' "$T/r.ini" | cut -d: -f1)
	expect_exit 1 "$AEOGATED" -c "$T/r.ini" --check-config
	expect_contains "$ERR" "$T/r.ini:$line: retention: $2"
}
check_refused '*:20d' '*:20d is below the floor: no event is kept less than 30 days'
check_refused 'access.*:365d, door.*:45d' 'door.*:45d would keep door.forced 45 days: alarm records'
check_refused 'alarm.tamper:59d, *:365d' 'alarm.tamper:59d would keep alarm.tamper 59 days'
check_refused '*:45d, door.*:60d' '*:45d would keep alarm.* 45 days'
check_refused '*:45d, door.*:60d, alarm.*:60d' '*:45d would keep audit.truncated 45 days'
check_refused 'audit.*:59d, *:365d' 'audit.*:59d would keep audit.truncated 59 days'
check_refused 'access.*:10x' "access.*: '10x' is not a number of days"
check_refused 'Access:30d' "'Access' is not a kind"
check_refused 'access.*:60d, access.*:90d' "'access.*' is given twice"
sim_config_with '*:45d, door.*:60d, alarm.*:60d, audit.*:60d, person.*:forever' "$T/ok.ini"
expect_exit 0 "$AEOGATED" -c "$T/ok.ini" --check-config
pass "retention below a floor (30 days; 60 for door.forced, door.held, alarm.*, audit.truncated, audit.head_invalid) is refused as file:line; a narrower rule may lift a kind above it"

# ---- no retention configured: nothing is pruned ----
write_sim_config
start_daemon "$T/sim.ini"
expect_exit 1 ctl audit prune --dry-run
expect_contains "$ERR" "no retention is configured"
stop_daemon
rm -rf "$STATE"
mkdir -p "$STATE"
pass "without [audit] retention, audit prune refuses and keeps everything"

# ---- a chain from months ago ----
"$SEED" --db "$STATE/aeogate.db" >"$T/seeded" <<'SEED'
200 person.added
150 access.granted x12000
150 reader.noise
120 door.forced closed
120 access.denied
110 access.granted
90 door.forced open
80 access.granted
10 access.granted
SEED
[ "$(tail -n 1 "$T/seeded")" = "12008 access.granted" ] || fail "seeding: $(cat "$T/seeded")"
sim_config_with 'access.*:60d, reader.noise:30d, door.*:60d, person.*:60d, *:730d' "$T/ret.ini"
start_daemon "$T/ret.ini"
expect_exit 0 ctl audit verify --live
expect_contains "$OUT" "seq 1-12009"

# first_seq: the oldest seq kept.
first_seq() {
	ctl events --limit 1 --json | grep -oE '"seq": ?[0-9]+' | sed -n 1p | grep -oE '[0-9]+$'
}

expect_exit 0 ctl audit prune --dry-run
expect_contains "$OUT" "would prune seq 1-12005 (12005 events)"
expect_contains "$OUT" "access.granted           12001"
expect_contains "$OUT" "kept from seq 12006 (door.forced): it raised alarm 2, still open"
[ "$(first_seq)" = 1 ] || fail "a dry run deleted events"
expect_exit 0 ctl audit prune --dry-run --json
expect_contains "$OUT" '"dry_run": true'
pass "audit prune --dry-run lists the prefix (1-12005) and why it stops (an open alarm's event), deleting nothing"

s0=12009 # system.start follows the seeded events
expect_exit 0 ctl audit prune
expect_contains "$OUT" "pruned seq 1-12005 (12005 events)"
expect_contains "$OUT" "kept from seq 12006 (door.forced)"
expect_contains "$OUT" "deleted 12005 events, 1 closed alarms"
[ "$(first_seq)" = 12006 ] || fail "after pruning the oldest event is $(first_seq), expected 12006"
# lib.sh's wait_event reads seqs with grep, and this detail holds another "seq".
EV=$(ctl events --since "$s0" --json | python3 -c '
import json, sys
print([l for l in sys.stdin if json.loads(l)["kind"] == "audit.pruned"][-1].strip())')
py "$EV" <<'PY'
import json, sys
d = json.loads(sys.argv[1])["detail"]
assert (d["first"], d["last"], d["count"]) == (1, 12005, 12005), d
assert d["anchor"]["seq"] == 12005 and len(d["anchor"]["key_id"]) == 16, d
assert d["retention"] == "access.*:60d, reader.noise:30d, door.*:60d, person.*:60d, *:730d", d
assert d["operator"].startswith("uid:"), d
assert d["kinds"]["access.granted"] == 12001, d
PY
PRUNED_SEQ=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seq"])' "$EV")
expect_exit 0 ctl alarm list --json
py "$OUT" <<'PY'
import json, sys
a = json.loads(sys.argv[1])
# The alarm closed 120 days ago went with its event; the open one stays.
assert [x["raised_seq"] for x in a] == [12006] and a[0]["state"] == "open", a
PY
pass "audit prune deletes exactly seq 1-12005 in steps, records audit.pruned (range, count, anchor, rules, operator) and drops the old closed alarm"

expect_exit 0 ctl audit verify --live
expect_contains "$OUT" "ok: live chain intact"
expect_contains "$OUT" "verified from seq 12006 (anchored by checkpoint"
expect_contains "$OUT" "at seq 12005"
expect_contains "$OUT" "audit.pruned seq $PRUNED_SEQ"
n_cp=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM checkpoints WHERE seq < 12005").fetchone()[0])' "$STATE/aeogate.db")
[ "$n_cp" = 0 ] || fail "checkpoints of pruned rows are left: $n_cp"
pass "verify --live passes after pruning: it starts at seq 12006, anchored by the signed checkpoint at 12005"

expect_exit 0 ctl audit export --format jsonl -o "$T/after.jsonl"
expect_contains "$OUT" "seq 12006-"
expect_exit 0 ctl audit verify "$T/after.jsonl" --pubkey "$STATE/device.pub"
pass "an export of what is kept verifies offline"

# Closing the alarm lets the prefix move on; it stops at an event younger than its retention.
expect_exit 0 ctl alarm ack 2 --comment "seen"
expect_exit 0 ctl alarm close 2
expect_exit 0 ctl audit prune
expect_contains "$OUT" "pruned seq 12006-12007 (2 events)"
expect_contains "$OUT" "kept from seq 12008 (access.granted): access.granted is kept 60d (access.*:60d)"
expect_exit 0 ctl alarm list --json
expect_contains "$OUT" '"raised_seq": 12006'
expect_exit 0 ctl audit prune
expect_contains "$OUT" "nothing is past its retention"
expect_exit 0 ctl audit verify --live
expect_contains "$OUT" "verified from seq 12008"
pass "once the alarm is closed its event may go (the alarm, closed today, stays); a second run finds nothing"

# A checkpoint at the head, and one more event after it, for the tampering below.
expect_exit 0 ctl audit checkpoint --json
HEAD_CP=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seq"])' "$OUT")
stop_daemon
S=12007
F=12008

# tamper_db as in test_audit_live.sh: a copy, changed with Python's sqlite3.
tamper_db() {
	local name=$1 code=$2 dir="$T/db-$1"
	cp -a "$STATE" "$dir"
	py "$dir/aeogate.db" "$code" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
# The append-only triggers (schema 6) stop casual edits; an attacker with the file drops them.
for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
    db.execute("DROP TRIGGER " + t)
exec(sys.argv[2])
db.commit()
db.close()
PY
	"$AEOGATED" -c "$T/ret.ini" --state-dir "$dir" --socket "$T/$name.sock" >>"$T/other.log" 2>&1 &
	OTHER_PID=$!
	# A daemon on a tampered copy must not outlive a failed check.
	BG_PIDS+=("$OTHER_PID")
	wait_for 10 "$AEOGATECTL" --socket "$T/$name.sock" status || fail "aeogated on $dir did not come up"
	expect_exit 1 "$AEOGATECTL" --socket "$T/$name.sock" audit verify --live
	local err=$ERR
	# Pruning refuses to start from a start that is not vouched for.
	if [ "${3:-}" = prune ]; then
		expect_exit 1 "$AEOGATECTL" --socket "$T/$name.sock" audit prune --dry-run
		PRUNE_ERR=$ERR
	fi
	ERR=$err
	daemon_off
}

tamper_db anchor-hash "db.execute(\"UPDATE checkpoints SET hash = ? WHERE seq = $S\", ('ab' * 32,))" prune
expect_contains "$ERR" "seq $F: the log starts here, but checkpoint"
expect_contains "$ERR" "does not carry this device's signature"
expect_contains "$PRUNE_ERR" "seq $F:"
pass "an altered anchor checkpoint fails verify --live (and pruning) at seq $F: ${ERR#*: }"

tamper_db anchor-gone "db.execute('DELETE FROM checkpoints WHERE seq = $S')"
expect_contains "$ERR" "seq $F: the log starts here, but no signed checkpoint at seq $S"
pass "a missing anchor fails at seq $F: ${ERR#*: }"

tamper_db middle "db.execute('DELETE FROM events WHERE seq = $((F + 2))')"
expect_contains "$ERR" "seq $((F + 2)):"
pass "a row deleted from the middle of what is kept fails naming it: ${ERR#*: }"

tamper_db more-prefix "db.execute('DELETE FROM events WHERE seq = $F')"
expect_contains "$ERR" "seq $((F + 1)): the log starts here, but no signed checkpoint"
pass "one more row deleted from the front fails at the new first seq: ${ERR#*: }"

# Rows deleted up to a genuine checkpoint past the last pruning point: the
# start is anchored, but the newest audit.pruned did not declare it.
MID_CP=$(python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT max(seq) FROM checkpoints WHERE seq > ? AND seq < (SELECT max(seq) FROM events WHERE kind = ?)", (int(sys.argv[2]), "audit.pruned")).fetchone()[0])' "$STATE/aeogate.db" "$S")
[ "$MID_CP" != None ] || fail "no checkpoint between the pruning point and the audit.pruned event"
tamper_db undeclared "db.execute('DELETE FROM events WHERE seq <= $MID_CP')"
expect_contains "$ERR" "seq $((MID_CP + 1)): the log starts here, but the last pruning (audit.pruned, seq"
expect_contains "$ERR" "declared only seq $S and before pruned: events were deleted"
pass "rows deleted up to a genuine checkpoint beyond what audit.pruned declared fail: ${ERR#*: }"

# Everything up to the head checkpoint deleted, the audit.pruned events with it.
tamper_db all-gone "db.execute('DELETE FROM events WHERE seq <= $HEAD_CP')"
expect_contains "$ERR" "seq $((HEAD_CP + 1)): the log starts here, but no audit.pruned event records"
pass "a log truncated at the front without any audit.pruned fails: ${ERR#*: }"

# ---- a run cut short (SIGKILL while deleting) is finished by the next ----
stop_daemon_hard() {
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=""
}
rm -rf "$STATE"
mkdir -p "$STATE"
"$SEED" --db "$STATE/aeogate.db" >/dev/null <<'SEED'
150 access.granted x100000
10 access.granted
SEED
start_daemon "$T/ret.ini"
ctl audit prune >"$T/cut.out" 2>&1 &
BG_PIDS+=("$!")
# Wait for the first delete step to commit, then pull the plug.
py "$STATE/aeogate.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
deadline = time.time() + 30
while db.execute("SELECT min(seq) FROM events").fetchone()[0] == 1:
    assert time.time() < deadline, "pruning did not start deleting"
    time.sleep(0.002)
PY
stop_daemon_hard
wait || true
cut=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT min(seq) FROM events").fetchone()[0])' "$STATE/aeogate.db")
[ "$cut" -gt 1 ] && [ "$cut" -lt 100001 ] || fail "the run was not cut short while deleting (oldest seq $cut)"
start_daemon "$T/ret.ini"
expect_exit 0 ctl audit verify --live
expect_contains "$OUT" "verified from seq $cut (anchored by checkpoint"
expect_exit 0 ctl audit prune
expect_contains "$OUT" "deleted seq $cut-100000 ($((100001 - cut)) events): finishing the pruning audit.pruned seq"
[ "$(first_seq)" = 100001 ] || fail "after resuming the oldest event is $(first_seq)"
expect_exit 0 ctl audit verify --live
expect_contains "$OUT" "verified from seq 100001"
stop_daemon
pass "a run killed while deleting leaves an anchored chain (verify passes from seq $cut) and the next run finishes it"
