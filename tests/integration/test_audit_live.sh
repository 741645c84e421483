#!/bin/bash
# audit verify --live walks the database chain through the control socket.
# On copies of the database, each kind of tampering fails naming the seq;
# a chain rewritten with every hash recomputed is caught by a signed
# checkpoint. Also: alarms (raise, ack, close) and the badge lifecycle.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
seed_audit_scenario

# ---- alarms ----
expect_exit 0 ctl alarm list --open --json
id=$(python3 -c 'import json,sys; a=json.load(sys.stdin); assert len(a)==1 and a[0]["kind"]=="door.forced", a; print(a[0]["id"])' <<<"$OUT") ||
	fail "expected one open door.forced alarm: $OUT"
expect_exit 2 ctl alarm ack "$id"
expect_exit 0 ctl alarm ack "$id" --comment "checked: pallet hit the door"
expect_contains "$OUT" "acknowledged"
expect_exit 1 ctl alarm ack "$id" --comment "again"
expect_contains "$ERR" "acknowledged"
expect_exit 0 ctl alarm close "$id"
expect_exit 0 ctl alarm list --open --json
[ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$OUT")" = 0 ] || fail "still open: $OUT"
wait_event 0 alarm.acknowledged
expect_contains "$EV" '"operator"'
expect_contains "$EV" "pallet hit the door"
wait_event 0 alarm.closed
pass "a forced door raises an alarm; ack (with comment) and close are events naming the operator"

# ---- badge lifecycle ----
s=$(last_seq)
expect_exit 0 ctl badge suspend "$CRED1"
expect_exit 1 ctl sim present dock-1-in --uid 04a1b2c3
expect_contains "$OUT" credential_suspended
expect_exit 0 ctl badge reinstate "$CRED1"
expect_exit 0 ctl sim present dock-1-in --uid 04a1b2c3
expect_exit 0 ctl badge lost "$CRED1" --stolen
expect_exit 1 ctl sim present dock-1-in --uid 04a1b2c3
expect_contains "$OUT" credential_lost
expect_exit 0 ctl badge return "$CRED1"
expect_exit 1 ctl badge reinstate "$CRED1"
for k in badge.suspended badge.reinstated badge.lost badge.returned; do
	wait_event "$s" "$k"
	expect_contains "$EV" '"operator"'
done
expect_contains "$(events_after "$s" | grep badge.lost)" '"reason":"stolen"'
pass "badge suspend, reinstate, lost (stolen), return: each an event with before/after and operator"

# ---- reports ----
expect_exit 0 ctl report access --format csv -o "$T/access.csv"
expect_exit 0 ctl audit verify "$T/access.csv" --pubkey "$STATE/device.pub"
n=$(py "$T/access.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert all(r["kind"] in ("access.granted", "access.denied") for r in rows), rows
print(len(rows))
PY
)
[ "$n" -eq 7 ] || fail "7 badge reads were made, the access report has $n"
expect_exit 0 ctl report exceptions --format jsonl -o "$T/exc.jsonl"
expect_exit 0 ctl audit verify "$T/exc.jsonl" --pubkey "$STATE/device.pub"
kinds=$(py "$T/exc.jsonl" <<'PY'
import json, sys
print(" ".join(sorted({json.loads(l)["kind"] for l in open(sys.argv[1])})))
PY
)
[ "$kinds" = "access.denied door.forced" ] || fail "exceptions report kinds: $kinds"
expect_exit 0 ctl report alarms --format csv -o "$T/alarms.csv"
expect_exit 0 ctl audit verify "$T/alarms.csv" --pubkey "$STATE/device.pub"
expect_contains "$(cat "$T/alarms.csv")" "pallet hit the door"
expect_exit 2 ctl report nosuch --format csv -o "$T/x.csv"
pass "access, exceptions and alarms reports hold the seeded rows and verify"

# ---- live verification and tampering with copies of the database ----
expect_exit 0 ctl audit verify --live
expect_contains "$OUT" "ok: live chain intact"
expect_exit 0 ctl audit checkpoint
CP=$(last_seq)
stop_daemon
pass "verify --live passes on the untouched chain (checkpoint at seq $CP)"

# tamper_db NAME SQL-or-PYTHON: copies the state directory, changes its
# database with Python's sqlite3 (db is the connection), starts a daemon on
# the copy and leaves verify --live's stderr in $ERR (it must fail).
tamper_db() {
	local name=$1 code=$2 dir="$T/db-$1"
	cp -a "$STATE" "$dir"
	py "$dir/aeogate.db" "$code" <<'PY'
import sqlite3, sys, json, hashlib
db = sqlite3.connect(sys.argv[1])
# The append-only triggers (schema 6) stop casual edits; an attacker with the file drops them.
for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
    db.execute("DROP TRIGGER " + t)
exec(sys.argv[2])
db.commit()
db.close()
PY
	daemon_on "$dir" "$T/$name.sock"
	expect_exit 1 "$AEOGATECTL" --socket "$T/$name.sock" audit verify --live
	daemon_off
}

expect_db_bad() {
	expect_contains "$ERR" "seq $2:"
	pass "database tampering ($1) fails at seq $2: ${ERR#*: }"
}

tamper_db alter 'db.execute("UPDATE events SET reason = ? WHERE seq = 8", ("no_access",))'
expect_db_bad alter 8
tamper_db delete 'db.execute("DELETE FROM events WHERE seq = 6")'
expect_db_bad delete 6
tamper_db insert '
db.execute("UPDATE events SET seq = -seq - 1 WHERE seq >= 5")
db.execute("UPDATE events SET seq = -seq WHERE seq < 0")
prev = db.execute("SELECT hash FROM events WHERE seq = 4").fetchone()[0]
db.execute("INSERT INTO events(seq, ts_ms, kind, door, prev, hash) VALUES (5, 1, ?, ?, ?, ?)",
           ("access.granted", "cage-1", prev, bytes.fromhex("ab" * 32)))'
expect_db_bad insert 5
tamper_db swap '
a = db.execute("SELECT ts_ms, kind, door, reader, zone, person, credential, reason, detail, prev, hash FROM events WHERE seq = 9").fetchone()
b = db.execute("SELECT ts_ms, kind, door, reader, zone, person, credential, reason, detail, prev, hash FROM events WHERE seq = 10").fetchone()
cols = "ts_ms = ?, kind = ?, door = ?, reader = ?, zone = ?, person = ?, credential = ?, reason = ?, detail = ?, prev = ?, hash = ?"
db.execute("UPDATE events SET " + cols + " WHERE seq = 9", b)
db.execute("UPDATE events SET " + cols + " WHERE seq = 10", a)'
expect_db_bad swap 9
# The newest events deleted (the checkpoints kept): the start finds the log
# behind the signed head record (at the clean stop's system.stop, CP + 1)
# and records it; verify names the range (test_audit_truncate.sh has more).
tamper_db truncate "db.execute('DELETE FROM events WHERE seq > $((CP - 4))')"
expect_contains "$ERR" "seq $((CP - 3))-$((CP + 1)): missing at the end of the log"
expect_contains "$ERR" "recorded by audit.truncated at seq $((CP + 2))"
pass "database tampering (truncate) is named as a range: ${ERR%%$'\n'*}"
# The whole chain rewritten from seq 3 on, every hash recomputed as the
# README documents: only the signed checkpoint can tell.
tamper_db rewrite '
def iso(ms):
    import datetime
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)
db.execute("UPDATE events SET person = ? WHERE seq = 3", ("E9",))
prev = db.execute("SELECT hash FROM events WHERE seq = 2").fetchone()[0]
for row in db.execute("SELECT seq, ts_ms, kind, door, reader, zone, person, credential, reason, detail FROM events WHERE seq >= 3 ORDER BY seq").fetchall():
    seq, ts, kind, door, reader, zone, person, cred, reason, detail = row
    o = dict(seq=seq, ts=iso(ts), kind=kind, door=door, reader=reader, zone=zone, person=person, credential=cred, reason=reason)
    if detail is not None:
        o["detail"] = json.loads(detail)
    canon = json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # prev and hash are stored as 32-byte blobs (schema 8).
    h = hashlib.sha256(prev + canon.encode()).digest()
    db.execute("UPDATE events SET prev = ?, hash = ? WHERE seq = ?", (prev, h, seq))
    prev = h'
expect_contains "$ERR" "checkpoint"
pass "a chain rewritten with recomputed hashes is caught by the signed checkpoint: ${ERR#*: }"
