#!/bin/bash
# Alarms as a workflow (issue 17): priority per kind in alarm list; an
# alarm left unacknowledged past [audit] alarm_ack_limit records
# alarm.escalated once (a controller timer, state in the database, so a
# restart neither repeats nor forgets it); close --outcome records how it
# ended; alarm history returns raised, acknowledged, escalated, closed.
source "$(dirname "$0")/lib.sh"

write_sim_config
cat >>"$T/sim.ini" <<INI

[audit]
alarm_ack_limit = 2s
INI
start_daemon "$T/sim.ini"

# alarm_id N: the id of the Nth alarm in alarm list --json (1-based).
alarm_field() {
	ctl alarm list --json | python3 -c '
import json, sys
a = {str(x["id"]): x for x in json.load(sys.stdin)}[sys.argv[1]]
v = a[sys.argv[2]]
print("null" if v is None else v)' "$1" "$2"
}

# Two forced doors: the first is left alone, the second acknowledged at once.
s0=$(last_seq)
ctl sim door cage-1 open >/dev/null
ctl sim door cage-1 close >/dev/null
ctl sim door dock-1 open >/dev/null
ctl sim door dock-1 close >/dev/null
expect_exit 0 ctl alarm list --open --json
ids=$(python3 -c 'import json,sys; a=json.load(sys.stdin); assert [x["kind"] for x in a]==["door.forced"]*2, a; assert all(x["priority"]==2 and x["escalated"] is None for x in a), a; print(" ".join(str(x["id"]) for x in a))' <<<"$OUT") ||
	fail "expected two open door.forced alarms of priority 2, not escalated: $OUT"
read -r id1 id2 <<<"$ids"
expect_exit 0 ctl alarm ack "$id2" --comment "checked, door closed"
pass "alarm list gives each alarm its kind's priority (door.forced: 2)"

wait_event "$s0" alarm.escalated 60
ev_check "$EV" "d['alarm'] == $id1 and d['alarm_kind'] == 'door.forced' and d['limit_ms'] == 2000 and d['elapsed_ms'] >= 2000 and e['door'] == 'cage-1'"
[ "$(alarm_field "$id1" escalated)" != null ] || fail "alarm $id1 is not marked escalated"
[ "$(alarm_field "$id2" escalated)" = null ] || fail "acknowledged alarm $id2 was escalated"
pass "an alarm unacknowledged past alarm_ack_limit records alarm.escalated; an acknowledged one does not"

# A restart: the escalation is not repeated. A third alarm raised after it
# escalates (the timer runs again), and by then alarm 1 would have repeated.
stop_daemon
start_daemon "$T/sim.ini"
s1=$(last_seq)
ctl sim door cage-1 open >/dev/null
ctl sim door cage-1 close >/dev/null
wait_event "$s1" alarm.escalated 60
id3=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["detail"]["alarm"])' "$EV")
[ "$id3" != "$id1" ] && [ "$id3" != "$id2" ] || fail "the escalation after restart is of alarm $id3"
n=$(events_after "$s0" | grep -E "$(kind_re alarm.escalated)" | grep -cE "\"alarm\": ?$id1[,}]" || true)
[ "$n" = 1 ] || fail "alarm $id1 escalated $n times"
pass "escalation survives a restart: once per alarm, and the timer runs again"

# Close with an outcome.
expect_exit 2 ctl alarm close "$id1" --outcome ""
expect_exit 2 ctl alarm ack "$id3" --comment seen --outcome "wrong command"
[ "$(alarm_field "$id1" state)" = open ] || fail "a refused close changed alarm $id1"
s2=$(last_seq)
expect_exit 0 ctl alarm close "$id1" --outcome "false alarm: forklift bumped the door"
wait_event "$s2" alarm.closed
ev_check "$EV" "d['alarm'] == $id1 and d['outcome'] == 'false alarm: forklift bumped the door' and d['operator']"
expect_exit 0 ctl alarm close "$id2"
pass "alarm close --outcome records the outcome in alarm.closed; an empty outcome is refused (exit 2)"

# History: the raising event, then every step, in order.
expect_exit 0 ctl alarm history "$id1" --json
python3 -c '
import json, sys
h = json.loads(sys.argv[1])
kinds = [e["kind"] for e in h["history"]]
assert kinds == ["door.forced", "alarm.escalated", "alarm.closed"], kinds
assert h["alarm"]["state"] == "closed" and h["alarm"]["escalated"]
assert h["history"][2]["detail"]["outcome"].startswith("false alarm")' "$OUT" ||
	fail "alarm $id1 history: $OUT"
expect_exit 0 ctl alarm history "$id2" --json
python3 -c '
import json, sys
h = json.loads(sys.argv[1])
kinds = [e["kind"] for e in h["history"]]
assert kinds == ["door.forced", "alarm.acknowledged", "alarm.closed"], kinds
assert h["history"][1]["detail"]["comment"] == "checked, door closed"' "$OUT" ||
	fail "alarm $id2 history: $OUT"
expect_exit 0 ctl alarm history "$id1"
expect_contains "$OUT" "outcome: false alarm"
expect_exit 1 ctl alarm history 999999
expect_contains "$ERR" "no alarm 999999"
expect_exit 2 ctl alarm history nope
pass "alarm history: raised, acknowledged (comment), escalated, closed (outcome), by whom"

stop_daemon
