#!/bin/bash
# aeogatectl restore FILE [--state-dir DIR] [--other-device], aeogated
# stopped: a good backup replaces the database (the old one kept aside) and
# the next start records the restore; a corrupted or altered file, a
# running controller, and a backup of another device without
# --other-device are refused with nothing replaced. On a replacement board
# the first event after start names the previous device key.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
seed_audit_scenario
expect_exit 0 ctl backup "$T/b1.db"
N=$(printf '%s\n' "$OUT" | sed -n 's/.*backup at seq \([0-9]*\),.*/\1/p')
KEYID=$(ctl audit pubkey | awk '$1 == "key_id" {print $2}')
ctl person add LATE --name "Added after the backup" >/dev/null

# A running controller's database is never replaced.
expect_exit 1 ctl restore "$T/b1.db" --state-dir "$STATE"
expect_contains "$ERR" "stop aeogated first"
pass "restore refuses while aeogated runs: $ERR"
stop_daemon

sum() { sha256sum "$STATE/aeogate.db" | cut -d' ' -f1; }
before=$(sum)

# A corrupted file: the b-tree page header of every page after the first
# overwritten (the header page intact, so it still opens as a database).
cp "$T/b1.db" "$T/corrupt.db"
python3 - "$T/corrupt.db" <<'PY'
import sys
p = sys.argv[1]
data = bytearray(open(p, "rb").read())
size = int.from_bytes(data[16:18], "big") or 65536
for off in range(size, len(data), size):
    data[off:off + 12] = b"\xffgarbage!!\xff"
open(p, "wb").write(data)
PY
expect_exit 1 ctl restore "$T/corrupt.db" --state-dir "$STATE"
expect_contains "$ERR" "nothing was replaced"
[ "$(sum)" = "$before" ] || fail "the database changed after a refused restore"
ls "$STATE"/aeogate.db.replaced-* >/dev/null 2>&1 && fail "a refused restore moved the database aside"
pass "a corrupted backup is refused, nothing replaced: $(head -n 1 <<<"$ERR")"

# An altered event (hashes no longer match): refused too.
cp "$T/b1.db" "$T/altered.db"
python3 - "$T/altered.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for (name,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
    c.execute(f'DROP TRIGGER "{name}"')
c.execute("UPDATE events SET person = 'E9' WHERE seq = 4")
c.commit()
PY
expect_exit 1 ctl restore "$T/altered.db" --state-dir "$STATE"
expect_contains "$ERR" "seq 4:"
[ "$(sum)" = "$before" ] || fail "the database changed after a refused restore"
pass "an altered backup is refused, nothing replaced"

# The good one.
expect_exit 0 ctl restore "$T/b1.db" --state-dir "$STATE"
expect_contains "$OUT" "restored $T/b1.db (seq $N"
aside=$(ls "$STATE"/aeogate.db.replaced-* | grep -v -- '-wal$' | grep -v -- '-shm$' | sed -n 1p)
[ -n "$aside" ] || fail "the replaced database was not kept"
python3 - "$aside" <<'PY' || fail "the kept database does not hold what it held"
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
sys.exit(0 if c.execute("SELECT count(*) FROM persons WHERE id = 'LATE'").fetchone()[0] == 1 else 1)
PY
start_daemon "$T/sim.ini"
expect_exit 1 ctl person show LATE
EV=$(events_after "$N" | grep -E "$(kind_re system.start)" | sed -n 1p)
[ -n "$EV" ] || fail "no system.start after seq $N"
ev_check "$EV" "d['restored']['seq'] == $N and d['restored']['previous_key_id'] == '$KEYID' and d['restored']['other_device'] is False"
[ ! -e "$STATE/restored.json" ] || fail "the restore note was not consumed"
stop_daemon
pass "a good backup is restored, the old database kept ($(basename "$aside")), and system.start records it"

# A replacement board: an empty state directory, no device key.
mkdir -m 750 "$T/board2"
expect_exit 1 ctl restore "$T/b1.db" --state-dir "$T/board2"
expect_contains "$ERR" "needs --other-device"
[ ! -e "$T/board2/aeogate.db" ] || fail "a refused restore wrote a database"
pass "restoring onto a state directory without the device key needs --other-device"

expect_exit 0 ctl restore "$T/b1.db" --state-dir "$T/board2" --other-device
daemon_on "$T/board2" "$T/board2.sock"
FIRST=$("$AEOGATECTL" --socket "$T/board2.sock" events --json --since "$N" | sed -n 1p)
NEWKEY=$("$AEOGATECTL" --socket "$T/board2.sock" audit pubkey | awk '$1 == "key_id" {print $2}')
daemon_off
ev_check "$FIRST" "e['kind'] == 'system.start' and d['restored']['previous_key_id'] == '$KEYID' and d['restored']['other_device'] is True"
[ "$NEWKEY" != "$KEYID" ] || fail "the replacement board has the old key"
pass "on a replacement board the first event after start names the previous key $KEYID (new key $NEWKEY)"
