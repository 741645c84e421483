#!/bin/bash
# aeogate-hub run: a real controller's events (aeogatectl events --json, so
# the chain is real) reach the hub's store through a TLS + password broker
# exactly once, whatever the order and however often they arrive; the
# chain and the checkpoints are verified as they come, a tampered event, a
# forged checkpoint and a changed device key are alarms; the hub's export
# of the controller verifies with aeogatectl's offline verifier.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"
source "$(dirname "$0")/mqtt_lib.sh"
source "$(dirname "$0")/hub_lib.sh"

mqtt_start
hub_config s1
write_sim_config
start_daemon "$T/sim.ini"
seed_audit_scenario
expect_exit 0 ctl audit pubkey --json
PK=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["public_key"])' "$OUT")
printf '%s\n' "$PK" >"$T/device.pub"

hub_start
ctl_status s1 gate-1
ctl_checkpoint s1 gate-1
N=$(last_seq)
[ "$N" -ge 10 ] || fail "the scenario made only $N events"

# Delivered out of order and twice: 1-3, then N..4 backwards, then all again.
ctl events --json >"$T/all.jsonl"
python3 - "$T/all.jsonl" "$T/mixed.jsonl" <<'PY'
import sys
rows = open(sys.argv[1]).read().splitlines()
mixed = rows[:3] + rows[3:][::-1] + rows
open(sys.argv[2], "w").write("\n".join(mixed) + "\n")
PY
mosquitto_pub "${MQTT_CLIENT_ARGS[@]}" -q 1 -t aeogate/s1/gate-1/events -l <"$T/mixed.jsonl"
hub_wait_stored s1 gate-1 "$N"
[ "$(hub_sql "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM events WHERE controller='gate-1'")" = "$N|$N|1|$N" ] ||
	fail "the store does not hold seq 1-$N once each: $(hub_sql "SELECT count(*), min(seq), max(seq) FROM events")"
# Every duplicate is dropped and counted: the second copy of each, plus the held ones.
DUPS=$(hub_sql "SELECT duplicates FROM controllers WHERE controller='gate-1'")
[ "$DUPS" -ge "$N" ] || fail "only $DUPS duplicates counted for $N re-sent events"
[ "$(hub_sql "SELECT count(*) FROM pending")" = 0 ] || fail "events are still held"
[ "$(hub_sql "SELECT count(*) FROM alarms")" = 0 ] || fail "alarms on a clean chain: $(hub_sql "SELECT * FROM alarms")"
pass "$N events stored exactly once from ${N}x2 out-of-order deliveries ($DUPS duplicates dropped)"

# The stored rows are the controller's, byte for byte in meaning.
hub_sql "SELECT json FROM events WHERE controller='gate-1' ORDER BY seq" >"$T/stored.jsonl"
python3 - "$T/all.jsonl" "$T/stored.jsonl" <<'PY' || fail "the stored events differ from the controller's"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert a == b, (len(a), len(b))
PY
pass "the stored events are the controller's events"

expect_exit 0 hub status
expect_contains "$OUT" "gate-1"
expect_contains "$OUT" "online"
expect_contains "$OUT" "alarms: none"
KEYID=$(hub_sql "SELECT key_id FROM controllers WHERE controller='gate-1'")
expect_contains "$OUT" "$KEYID"
expect_exit 0 hub status --json
python3 - "$OUT" "$N" <<'PY' || fail "status --json: $OUT"
import json, sys
s = json.loads(sys.argv[1]); n = int(sys.argv[2])
c = [c for c in s["controllers"] if c["controller"] == "gate-1"][0]
assert c["site"] == "s1" and c["state"] == "online", c
assert c["stored_seq"] == n and c["checkpoint_seq"] >= 1 and c["lag"] >= 0, c
assert c["key_id"] and c["held"] == 0, c
PY
pass "status shows the controller online, its stored seq, lag and pinned key $KEYID"

# ---- the export verifies with aeogatectl's offline verifier ----
ctl_checkpoint s1 gate-1
CPSEQ=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seq"])' "$CHECKPOINT")
deadline=$((SECONDS + 30))
until [ "$(hub_sql "SELECT checkpoint_seq FROM controllers WHERE controller='gate-1'")" -ge "$CPSEQ" ]; do
	[ $SECONDS -lt $deadline ] || fail "the checkpoint at $CPSEQ did not reach the store"
	sleep 0.1
done
expect_exit 0 hub export -o "$T/exp"
expect_contains "$OUT" "s1/gate-1: $CPSEQ rows of seq 1-$CPSEQ"
[ -s "$T/exp/fleet.json" ] || fail "no fleet.json"
expect_exit 0 "$AEOGATECTL" audit verify "$T/exp/s1-gate-1.jsonl" --pubkey "$T/device.pub"
expect_contains "$OUT" "ok: $CPSEQ rows"
expect_contains "$OUT" "sealed by the device's checkpoint"
expect_exit 0 hub export --format csv -o "$T/exp-csv"
expect_exit 0 "$AEOGATECTL" audit verify "$T/exp-csv/s1-gate-1.csv" --pubkey "$T/device.pub"
pass "the hub's export (JSONL and CSV) verifies offline: $OUT"

# Altered, shortened, or pinned to another key: refused.
python3 - "$T/exp/s1-gate-1.jsonl" <<'PY'
import json, sys
p = sys.argv[1]
rows = open(p).read().splitlines()
r = json.loads(rows[4]); r["person"] = "E999"; rows[4] = json.dumps(r)
open(p, "w").write("\n".join(rows) + "\n")
PY
expect_exit 1 "$AEOGATECTL" audit verify "$T/exp/s1-gate-1.jsonl" --pubkey "$T/device.pub"
expect_contains "$ERR" "seq 5:"
head -n 3 "$T/exp-csv/s1-gate-1.csv" >"$T/short.csv"
cp "$T/exp-csv/s1-gate-1.csv.manifest.json" "$T/short.csv.manifest.json"
expect_exit 1 "$AEOGATECTL" audit verify "$T/short.csv" --pubkey "$T/device.pub"
expect_contains "$ERR" "missing"
python3 -c 'import os; print(os.urandom(32).hex())' >"$T/other.pub"
expect_exit 1 "$AEOGATECTL" audit verify "$T/exp-csv/s1-gate-1.csv" --pubkey "$T/other.pub"
expect_contains "$ERR" "not the trusted key"
pass "an altered row, a truncated file and another key are refused"

# ---- a tampered event is an alarm, and is not stored ----
FROM=$(last_seq)
ctl sim present dock-1-in --uid 04a1b2c3 >/dev/null
ctl sim present dock-1-in --uid 04deadbe >/dev/null || true
TO=$(last_seq)
ctl events --json --since "$FROM" >"$T/new.jsonl"
python3 - "$T/new.jsonl" "$T/forged.jsonl" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
r["person"] = "E-intruder"
open(sys.argv[2], "w").write(json.dumps(r) + "\n")
PY
mosquitto_pub "${MQTT_CLIENT_ARGS[@]}" -q 1 -t aeogate/s1/gate-1/events -l <"$T/forged.jsonl"
mosquitto_pub "${MQTT_CLIENT_ARGS[@]}" -q 1 -t aeogate/s1/gate-1/events -l <"$T/new.jsonl"
hub_wait_stored s1 gate-1 "$TO"
[ "$(hub_sql "SELECT count(*) FROM alarms WHERE kind='chain_broken' AND seq=$((FROM + 1))")" = 1 ] ||
	fail "no chain_broken alarm at seq $((FROM + 1)): $(hub_sql "SELECT * FROM alarms")"
[ "$(hub_sql "SELECT count(*) FROM events WHERE json LIKE '%E-intruder%'")" = 0 ] || fail "the forged event was stored"
[ "$(hub_sql "SELECT count(*) FROM events WHERE controller='gate-1'")" = "$TO" ] || fail "not every genuine event stored"
grep -q "ALARM chain_broken site=s1 controller=gate-1 seq=$((FROM + 1))" "$T/hub.log" || fail "no alarm log line"
expect_exit 0 hub status
expect_contains "$OUT" "chain_broken"
pass "a forged event is a chain_broken alarm (logged, in status), the genuine one is stored"

# ---- a forged checkpoint, and a different device key, are alarms ----
BADCP=$(python3 -c 'import json,sys; c=json.loads(sys.argv[1]); s=c["signature"]; c["signature"]=("0" if s[0]!="0" else "1")+s[1:]; print(json.dumps(c))' "$CHECKPOINT")
mqtt_pub aeogate/s1/gate-1/checkpoints "$BADCP"
OTHER=$(python3 -c 'import os; print(os.urandom(32).hex())')
mqtt_pub aeogate/s1/gate-1/status "{\"state\":\"online\",\"last_seq\":$TO,\"forwarded_seq\":$TO,\"public_key\":\"$OTHER\",\"key_id\":\"x\",\"doors\":2,\"alarms\":0}" -r
deadline=$((SECONDS + 30))
until [ "$(hub_sql "SELECT count(DISTINCT kind) FROM alarms WHERE kind IN ('bad_checkpoint','key_changed')")" = 2 ]; do
	[ $SECONDS -lt $deadline ] || fail "alarms: $(hub_sql "SELECT kind, message FROM alarms")"
	sleep 0.1
done
[ "$(hub_sql "SELECT public_key FROM controllers WHERE controller='gate-1'")" = "$PK" ] || fail "the pinned key changed"
expect_exit 0 hub status
expect_contains "$OUT" "key_changed"
expect_contains "$OUT" "bad_checkpoint"
pass "a checkpoint whose signature fails and a status naming another key are alarms; the pin holds"

# ---- the offline will, and a restart of the hub keeps everything ----
mqtt_pub aeogate/s1/gate-1/status offline -r
deadline=$((SECONDS + 30))
until [ "$(hub_sql "SELECT online FROM controllers WHERE controller='gate-1'")" = 0 ]; do
	[ $SECONDS -lt $deadline ] || fail "offline did not reach the store"
	sleep 0.1
done
hub_stop
# Published while the hub is down: the broker keeps them for its persistent session.
FROM=$(last_seq)
ctl sim present dock-1-in --uid 04a1b2c3 >/dev/null
TO=$(last_seq)
ctl_feed s1 gate-1 "$FROM"
hub_start
hub_wait_stored s1 gate-1 "$TO"
expect_exit 0 hub status
expect_contains "$OUT" "offline"
pass "events published while the hub was down arrive after its restart (persistent session)"

# Malformed messages change nothing.
mqtt_pub aeogate/s1/gate-1/events 'not json'
mqtt_pub aeogate/s1/gate-1/events '{"seq":"x"}'
mqtt_pub aeogate/s1/gate-1/checkpoints '{"seq":1}'
ctl_feed s1 gate-1 0
hub_wait_stored s1 gate-1 "$TO"
grep -q "malformed message" "$T/hub.log" || fail "malformed messages were not logged"
[ "$(hub_sql "SELECT count(*) FROM events")" = "$TO" ] || fail "the store changed"
pass "malformed messages are logged and change nothing"

# ---- the export's range: --from and --to choose seqs, a checkpoint ends it ----
# No checkpoint since seq $CPSEQ: an export ends there, whatever came after.
expect_exit 0 hub export -o "$T/exp2"
expect_contains "$OUT" "s1/gate-1: $CPSEQ rows of seq 1-$CPSEQ"
ctl_checkpoint s1 gate-1
deadline=$((SECONDS + 30))
until [ "$(hub_sql "SELECT checkpoint_seq FROM controllers WHERE controller='gate-1'")" -ge "$TO" ]; do
	[ $SECONDS -lt $deadline ] || fail "the checkpoint at $TO did not reach the store"
	sleep 0.1
done
ts_of() { hub_sql "SELECT json FROM events WHERE controller='gate-1' AND seq=$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ts"])'; }
expect_exit 0 hub export --from "$(ts_of 5)" --format csv -o "$T/exp3"
expect_exit 0 "$AEOGATECTL" audit verify "$T/exp3/s1-gate-1.csv" --pubkey "$T/device.pub"
expect_contains "$OUT" "of range 5-$TO"
# --to just after seq $((CPSEQ + 1)): the last checkpoint at or before it is $CPSEQ's.
expect_exit 0 hub export --to "$(ts_of $((CPSEQ + 2)))" -o "$T/exp4"
expect_contains "$OUT" "seq 1-$CPSEQ"
expect_exit 0 "$AEOGATECTL" audit verify "$T/exp4/s1-gate-1.jsonl" --pubkey "$T/device.pub"
expect_exit 2 hub export --from 2026-12-31 --to 2026-01-01 -o "$T/exp5"
expect_exit 2 hub export --kind access.granted -o "$T/exp5"
hub_stop
pass "exports end at the latest checkpoint in range; --from and --to choose the seqs; each verifies"
