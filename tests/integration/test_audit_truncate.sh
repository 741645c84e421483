#!/bin/bash
# Deleting the newest events (issue #10, item 3). An attacker with the
# database file drops the append-only triggers and deletes the tail of the
# log and the checkpoints over it; the signed head record kept outside the
# database (state/head.sig) and the checkpoint lines in the journal still
# know how far the log went. The start records audit.truncated and raises
# an alarm, verify --live names the missing range, and no seq is reused.
# A deletion while aeogated runs is named by the next verify --live.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"

if ! command -v sqlite3 >/dev/null; then
	echo "SKIP: the sqlite3 shell is not installed (./scripts/deps installs it)"
	exit 77
fi

write_sim_config
cat >>"$T/sim.ini" <<INI

[audit]
checkpoint_events = 50
INI

# sql DB STATEMENTS: what an attacker with the file does, with the sqlite3 shell.
sql() {
	sqlite3 -bail -cmd ".timeout 5000" "$1" "$2"
}

# The attacker's first step: the triggers refuse deletes, so drop them.
drop_triggers() {
	local t
	for t in $(sql "$1" "SELECT name FROM sqlite_master WHERE type = 'trigger'"); do
		sql "$1" "DROP TRIGGER $t"
	done
}

# events_until N: denied reads (one event each) until the log holds seq N.
events_until() {
	local n=$1 i=0
	while [ "$(last_seq)" -lt "$n" ]; do
		ctl sim present dock-1-in --uid 04deadbe >/dev/null || true
		i=$((i + 1))
		[ $i -le $((n + 10)) ] || fail "no seq $n after $i reads (last $(last_seq))"
	done
}

# head_field NAME: a field of the signed head record file.
head_field() {
	sed -n "s/^$1 //p" "$STATE/head.sig"
}

# The head record is 0640 or tighter whatever the umask the daemon runs under.
OLD_UMASK=$(umask)
umask 000
start_daemon "$T/sim.ini"
umask "$OLD_UMASK"
events_until 151
expect_exit 0 ctl audit verify --live
expect_contains "$OUT" "ok: live chain intact"
stop_daemon
[ -f "$STATE/head.sig" ] || fail "no head record $STATE/head.sig after a clean stop"
mode=$(stat -c %a "$STATE/head.sig")
[ $((8#$mode & 8#137)) -eq 0 ] || fail "head.sig is mode $mode under umask 000, expected 0640 or tighter"
HEAD=$(head_field seq)
HEAD_SIG=$(head_field signature)
STOP=$(sql "$STATE/aeogate.db" "SELECT max(seq) FROM events WHERE kind = 'system.stop'")
[ "$HEAD" = "$STOP" ] || fail "the head record is at seq $HEAD, the clean stop's system.stop at $STOP"
grep -q "checkpoint seq=$HEAD hash=$(head_field hash) sig=" "$T/aeogated.log" ||
	fail "no journal line 'checkpoint seq=$HEAD hash=...': $(grep checkpoint "$T/aeogated.log" | tail -n 3)"
pass "a clean stop signs a head record at system.stop (seq $HEAD, mode $mode) and logs the checkpoint line"

# ---- the triggers refuse what is not a pruning ----
# sql_refused STATEMENT: the shell must fail with the triggers' message.
sql_refused() {
	local rc=0
	sql "$STATE/aeogate.db" "$1" >"$T/out" 2>"$T/err" || rc=$?
	[ $rc -ne 0 ] || fail "not refused: $1"
	expect_contains "$(cat "$T/err")" "append-only"
}
sql_refused "DELETE FROM events WHERE seq > 130"
sql_refused "UPDATE events SET reason = 'no_access' WHERE seq = 5"
sql_refused "DELETE FROM checkpoints"
sql_refused "UPDATE checkpoints SET seq = 1"
[ "$(sql "$STATE/aeogate.db" "SELECT max(seq) FROM events")" = "$HEAD" ] || fail "a refused delete deleted rows"
pass "triggers refuse UPDATE and DELETE on events and checkpoints outside pruning"

# ---- the attack: daemon stopped, tail deleted ----
cp -a "$STATE" "$T/pristine"
drop_triggers "$STATE/aeogate.db"
sql "$STATE/aeogate.db" "DELETE FROM checkpoints WHERE seq > 100; DELETE FROM events WHERE seq > 130"
start_daemon "$T/sim.ini"
expect_exit 1 ctl audit verify --live
expect_contains "$ERR" "seq 131-$HEAD: missing at the end of the log: the newest events were deleted (signed head record at seq $HEAD)"
expect_contains "$ERR" "audit.truncated at seq $((HEAD + 1))"
expect_not_contains "$OUT$ERR" "ok: live chain intact"
pass "verify --live names the deleted tail: ${ERR%%$'\n'*}"

EV=$(events_after 130 | sed -n 1p)
python3 - "$EV" "$HEAD" "$HEAD_SIG" <<'PY' || fail "the first event after the gap: $EV"
import json, sys
e, head, sig = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
assert e["kind"] == "audit.truncated", e
assert e["seq"] == head + 1, ("seq", e["seq"], head)
d = e["detail"]
assert d["first"] == 131 and d["last"] == head, d
assert d["signature"] == sig, d
PY
expect_exit 0 ctl alarm list --open --json
python3 -c 'import json,sys; a=json.load(sys.stdin); assert [x for x in a if x["kind"]=="audit.truncated" and x["state"]=="open"], a' <<<"$OUT" ||
	fail "no open audit.truncated alarm: $OUT"
grep -q "seq 131-$HEAD" "$T/aeogated.log" || fail "the start did not log the truncation"
pass "the start records audit.truncated at seq $((HEAD + 1)) (seq 131-$HEAD, the head's signature) and raises an alarm"

expect_exit 1 ctl sim present dock-1-in --uid 04deadbe
n=$(sql "$STATE/aeogate.db" "SELECT count(*) FROM events WHERE seq > 130 AND seq <= $HEAD")
[ "$n" = 0 ] || fail "$n new events reused a deleted seq"
NEXT=$(last_seq)
[ "$NEXT" -gt "$((HEAD + 1))" ] || fail "the read after the start is seq $NEXT"
expect_exit 1 ctl audit verify --live
expect_contains "$ERR" "seq 131-$HEAD: missing at the end of the log"
expect_contains "$ERR" "otherwise intact"
pass "new events continue after the signed head (seq $NEXT), and verify keeps naming the recorded gap"
stop_daemon

# The stopped attack again, but the head record deleted with the tail: the
# start reports the missing witness, and the checkpoints left in the
# database still bound the gap.
rm -rf "$STATE"
cp -a "$T/pristine" "$STATE"
drop_triggers "$STATE/aeogate.db"
sql "$STATE/aeogate.db" "DELETE FROM events WHERE seq > 130"
rm "$STATE/head.sig"
start_daemon "$T/sim.ini"
expect_exit 1 ctl audit verify --live
expect_contains "$ERR" "head record"
expect_contains "$ERR" "missing"
expect_contains "$ERR" "seq 131-$HEAD: missing at the end of the log"
expect_contains "$ERR" "(signed checkpoint at seq $HEAD)"
V_ERR=$ERR
expect_exit 0 ctl alarm list --open --json
expect_contains "$OUT" "audit.head_invalid"
stop_daemon
pass "a deleted head record is reported, the checkpoints left bound the gap: $(grep -m1 head.sig <<<"$V_ERR")"

# A head record whose signature does not verify is reported and not trusted.
rm -rf "$STATE"
cp -a "$T/pristine" "$STATE"
python3 - "$STATE/head.sig" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
lines = [("seq %d" % (int(l[4:]) + 1000)) if l.startswith("seq ") else l for l in lines]
open(p, "w").write("\n".join(lines))
PY
start_daemon "$T/sim.ini"
expect_exit 1 ctl audit verify --live
expect_contains "$ERR" "head record"
expect_contains "$ERR" "signature"
expect_not_contains "$ERR" "missing at the end of the log"
[ "$(sql "$STATE/aeogate.db" "SELECT count(*) FROM events WHERE kind = 'audit.truncated'")" = 0 ] ||
	fail "a forged head record was trusted"
stop_daemon
pass "a head record with a bad signature is reported and never trusted: ${ERR%%$'\n'*}"

# A database from before schema 6 (checkpoints, but never a head record) is
# not reported: the start writes the first head record instead.
rm -rf "$STATE"
cp -a "$T/pristine" "$STATE"
drop_triggers "$STATE/aeogate.db"
sql "$STATE/aeogate.db" "DROP TABLE audit_guard; PRAGMA user_version = 5"
rm "$STATE/head.sig"
start_daemon "$T/sim.ini"
expect_exit 0 ctl audit verify --live
expect_contains "$OUT" "ok: live chain intact"
[ -f "$STATE/head.sig" ] || fail "no head record after upgrading to schema 6"
[ "$(sql "$STATE/aeogate.db" "SELECT count(*) FROM events WHERE kind LIKE 'audit.%'")" = 0 ] ||
	fail "upgrading to schema 6 made an audit finding"
grep -q "no head record yet (database from before schema 6)" "$T/aeogated.log" ||
	fail "the upgrade was not logged"
stop_daemon
pass "a database from before schema 6 starts its head record without a finding"

# ---- deleting the tail while aeogated runs ----
rm -rf "$STATE"
mkdir -p "$STATE"
start_daemon "$T/sim.ini"
expect_exit 0 ctl audit verify --live
expect_contains "$OUT" "ok: live chain intact"
events_until 60
expect_exit 0 ctl audit checkpoint --json
CP=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seq"])' "$OUT")
[ "$(head_field seq)" = "$CP" ] || fail "audit checkpoint at seq $CP left the head record at $(head_field seq)"
drop_triggers "$STATE/aeogate.db"
sql "$STATE/aeogate.db" "DELETE FROM events WHERE seq > $((CP - 10))"
expect_exit 1 ctl audit verify --live
expect_contains "$ERR" "seq $((CP - 9))-$CP: missing at the end of the log: the newest events were deleted (signed head record at seq $CP)"
pass "a tail deleted while running is named by the next verify: ${ERR%%$'\n'*}"
expect_exit 1 ctl sim present dock-1-in --uid 04deadbe
[ "$(last_seq)" = $((CP + 1)) ] || fail "the next event is seq $(last_seq), expected $((CP + 1))"
expect_exit 1 ctl audit verify --live
expect_contains "$ERR" "seq $((CP - 9))-$CP: missing"
expect_contains "$ERR" "deleted"
pass "after the next event the gap is still named: ${ERR%%$'\n'*}"
stop_daemon

# ---- kill -9: the head record is never ahead of the database ----
rm -rf "$STATE"
mkdir -p "$STATE"
start_daemon "$T/sim.ini"
events_until 120
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=""
start_daemon "$T/sim.ini"
expect_exit 0 ctl audit verify --live
expect_contains "$OUT" "ok: live chain intact"
[ "$(sql "$STATE/aeogate.db" "SELECT count(*) FROM events WHERE kind LIKE 'audit.%'")" = 0 ] ||
	fail "kill -9 made a false audit finding"
expect_exit 0 ctl alarm list --open --json
expect_not_contains "$OUT" "audit."
stop_daemon
pass "kill -9 leaves no false truncation (head at seq $(head_field seq))"

# ---- retention prunes across a recorded truncation ----
# 150 old reads, then a tail the start finds deleted: pruning crosses the
# recorded gap (its signed witness anchors what is kept) and stops at the
# young audit.truncated, which verify --live keeps reporting.
rm -rf "$STATE"
mkdir -p "$STATE"
"$BUILD_DIR/tests/tools/aeogate-test-seed" --db "$STATE/aeogate.db" >/dev/null <<'SEED'
100 access.granted x150
SEED
write_sim_config
{
	cat "$T/sim.ini"
	printf '\n[audit]\nretention = access.*:60d, *:730d\n'
} >"$T/ret.ini"
start_daemon "$T/ret.ini"
events_until 160
stop_daemon
H=$(head_field seq)
drop_triggers "$STATE/aeogate.db"
sql "$STATE/aeogate.db" "DELETE FROM checkpoints WHERE seq > 150; DELETE FROM events WHERE seq > 150"
start_daemon "$T/ret.ini"
expect_exit 1 ctl audit verify --live
expect_contains "$ERR" "seq 151-$H: missing at the end of the log"
expect_exit 0 ctl audit prune
expect_contains "$OUT" "150 events"
[ "$(sql "$STATE/aeogate.db" "SELECT min(seq) FROM events")" = $((H + 1)) ] ||
	fail "after pruning the oldest event is $(sql "$STATE/aeogate.db" "SELECT min(seq) FROM events")"
expect_exit 1 ctl audit verify --live
expect_contains "$ERR" "seq $((H + 1)): audit.truncated: seq 151-$H were recorded missing at start"
expect_contains "$ERR" "otherwise intact"
expect_contains "$ERR" "verified from seq $((H + 1)) (anchored by checkpoint"
stop_daemon
pass "pruning crosses a recorded truncation, anchored by its witness: ${ERR##*$'\n'}"
