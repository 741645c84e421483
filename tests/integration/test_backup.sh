#!/bin/bash
# aeogatectl backup FILE while aeogated runs (badges keep being decided),
# and aeogatectl audit verify --db FILE offline: the copy is at one seq,
# signed by a checkpoint of that seq, verifies with the key it records (not
# pinned) and with the device's public key (pinned), and a wrong key or an
# altered event fails. The copy holds no secret key.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
seed_audit_scenario

before=$(last_seq)
expect_exit 0 ctl backup "$T/quiet.db"
expect_contains "$OUT" "backup at seq $before,"
[ "$(stat -c %a "$T/quiet.db")" = 640 ] || fail "the backup is not 0640"
ls "$T"/quiet.db.tmp-* >/dev/null 2>&1 && fail "a temporary file was left beside the backup"
ls "$STATE"/*.backup-* >/dev/null 2>&1 && fail "a temporary copy was left in the state directory"
wait_event "$before" system.backup
ev_check "$EV" "d['seq'] == $before and d['bytes'] > 0 and len(d['key_id']) == 16"
pass "a backup of a quiet controller is at its last seq ($before) and recorded by system.backup"

# Decisions go on during a backup: the copy is still one consistent snapshot.
(for i in $(seq 1 40); do ctl sim present dock-1-in --uid 04a1b2c3 >/dev/null || true; done) &
busy=$!
expect_exit 0 ctl backup "$T/busy.db"
wait "$busy"
seq_busy=$(printf '%s\n' "$OUT" | sed -n 's/.*backup at seq \([0-9]*\),.*/\1/p')
[ -n "$seq_busy" ] && [ "$seq_busy" -gt "$before" ] || fail "backup during decisions: $OUT"
pass "a backup taken while badges are decided completes (seq $seq_busy)"

KEYID=$(ctl audit pubkey | awk '$1 == "key_id" {print $2}')
cp "$STATE/device.pub" "$T/device.pub"
stop_daemon

for db in quiet busy; do
	expect_exit 0 "$AEOGATECTL" --socket /nonexistent audit verify --db "$T/$db.db"
	expect_contains "$OUT" "ok:"
	expect_contains "$OUT" "not pinned"
	expect_contains "$OUT" "by key $KEYID"
done
expect_contains "$OUT" "seq 1-$seq_busy"
expect_contains "$OUT" "signed at seq $seq_busy"
pass "both copies verify offline with the key they record, and say it is not pinned"

expect_exit 0 "$AEOGATECTL" audit verify --db "$T/busy.db" --pubkey "$T/device.pub"
expect_contains "$OUT" "(pinned)"
other=$(python3 -c 'import os; print(os.urandom(32).hex())')
expect_exit 1 "$AEOGATECTL" audit verify --db "$T/busy.db" --pubkey "$other"
expect_contains "$ERR" "not the key given"
pass "pinned to the device key it verifies; pinned to another key it fails: $ERR"

# The copy is the database only: no secret key anywhere in it.
python3 - "$T/busy.db" "$STATE/device.key" <<'PY' || fail "the backup holds the device's secret key"
import sys
db = open(sys.argv[1], "rb").read()
sk = open(sys.argv[2], "rb").read()
sys.exit(1 if sk[:32] in db or sk.hex()[:64].encode() in db else 0)
PY
pass "the backup holds no part of the device's secret key"

# One altered event: the verification names its seq.
cp "$T/busy.db" "$T/altered.db"
python3 - "$T/altered.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for (name,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
    c.execute(f'DROP TRIGGER "{name}"')
c.execute("UPDATE events SET ts_ms = ts_ms + 1 WHERE seq = 3")
c.commit()
PY
expect_exit 1 "$AEOGATECTL" audit verify --db "$T/altered.db"
expect_contains "$ERR" "seq 3:"
pass "an altered event fails verification with its seq: $ERR"
