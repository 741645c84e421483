#!/bin/bash
# The office's downlink, end to end: aeogate-hub signs change sets and
# commands, aeogate-sync hands them to aeogated (sync.apply, sync.command),
# which applies each through its usual ops with operator office:hq. Two
# controllers: an enrolment reaches both, a revocation reaches both (the
# time it took is printed), a lockdown command is acknowledged with the seq
# of the event it recorded, a controller that missed a change set asks for
# it and the hub republishes it, a replayed or unsigned change set is refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt_lib.sh"
source "$(dirname "$0")/sync_lib.sh"
source "$(dirname "$0")/hub_lib.sh"

mqtt_start
hub_config "$SYNC_SITE"
hub_start
write_sim_config
declare -A SPID

s_start() {
	"$SYNC_BIN" -c "$T/c$1.ini" --socket "$T/c$1.sock" >>"$T/sync-$1.log" 2>&1 &
	SPID[$1]=$!
	BG_PIDS+=("$!")
}
s_stop() {
	kill -TERM "${SPID[$1]}"
	wait "${SPID[$1]}" || fail "aeogate-sync $1 exited $? on SIGTERM"
	_bg_forget "${SPID[$1]}"
}
# wait_applied VERSION I...: until each controller applied VERSION.
wait_applied() {
	local v=$1 i deadline=$((SECONDS + 60))
	shift
	for i in "$@"; do
		until [ "$(c_applied "$i")" -ge "$v" ]; do
			[ $SECONDS -lt $deadline ] || {
				tail -n 20 "$T/sync-$i.log" >&2
				fail "controller $i applied $(c_applied "$i"), not $v"
			}
			sleep 0.05
		done
	done
}

for i in 1 2; do
	cp "$T/sim.ini" "$T/c$i.ini"
	write_sync_config "$T/s$i.ini" "ctl-$i"
	{
		cat "$T/s$i.ini"
		echo "office_pubkey = $T/office/office.pub"
	} >>"$T/c$i.ini"
	mkdir -p "$T/c$i"
	"$AEOGATED" -c "$T/c$i.ini" --state-dir "$T/c$i" --socket "$T/c$i.sock" >>"$T/aeogated-$i.log" 2>&1 &
	BG_PIDS+=("$!")
	wait_for 10 c_ctl "$i" status || fail "aeogated $i did not come up"
	s_start "$i"
done

# Enrolment from the office: a level, a person, a badge.
expect_exit 0 hub level add dock-staff --zone dock
expect_exit 0 hub person add E1 --name "Ann Example" --level dock-staff
expect_exit 0 hub badge issue E1 --uid 04a1b2c3
expect_contains "$OUT" "change set 3 published (badge.issue"
wait_applied 3 1 2
for i in 1 2; do
	expect_exit 0 c_ctl "$i" sim present dock-1-in --uid 04a1b2c3
	c_ctl "$i" events --json >"$T/ev$i.jsonl"
	python3 - "$T/ev$i.jsonl" <<'PY' || fail "controller $i: the office's changes are not recorded as its own"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
added = [e for e in ev if e["kind"] == "person.added"]
assert added and added[0]["person"] == "E1", added
assert json.dumps(added[0]).count("office:hq"), added[0]
applied = [e["detail"]["version"] for e in ev if e["kind"] == "sync.applied"]
assert applied == [1, 2, 3], applied
PY
done
pass "level, person and badge from the hub are applied on both controllers (operator office:hq); the badge opens"

# A revocation reaches every online controller; the time is measured, not asserted.
T0=$(date +%s%N)
expect_exit 0 hub badge revoke uid:04a1b2c3
wait_applied 4 1 2
MS=$((($(date +%s%N) - T0) / 1000000))
for i in 1 2; do
	expect_exit 1 c_ctl "$i" sim present dock-1-in --uid 04a1b2c3
done
pass "a revocation reached both controllers in ${MS} ms (publish to applied); the badge is refused"

# Commands: lockdown acknowledged with the seq it recorded, then release; an unlock.
expect_exit 0 hub command ctl-1 lockdown --comment "fire drill"
expect_contains "$OUT" "ctl-1: lockdown applied"
SEQ=$(printf '%s\n' "$OUT" | sed -n 's/.*recorded as seq \([0-9]*\).*/\1/p')
[ -n "$SEQ" ] && [ "$SEQ" -gt 0 ] || fail "no seq in: $OUT"
c_ctl 1 events --json --since $((SEQ - 1)) | sed -n 1p >"$T/lock.json"
python3 - "$T/lock.json" "$SEQ" <<'PY' || fail "the lockdown event is not at seq $SEQ: $(cat "$T/lock.json")"
import json, sys
e = json.loads(open(sys.argv[1]).read())
assert e["seq"] == int(sys.argv[2]) and e["kind"] == "site.lockdown", e
assert "office:hq" in json.dumps(e) and "fire drill" in json.dumps(e), e
PY
expect_exit 0 c_ctl 1 status --json
expect_contains "$OUT" '"lockdown"'
expect_exit 0 hub command ctl-1 release --comment "drill over"
expect_contains "$OUT" "ctl-1: release applied"
expect_exit 0 hub command ctl-2 unlock dock-1 --comment "delivery"
expect_contains "$OUT" "ctl-2: unlock applied"
expect_exit 1 hub command ctl-2 unlock no-such-door --comment "x"
expect_contains "$ERR" "ctl-2 refused unlock"
pass "lockdown, release and unlock are applied and acknowledged with their seq; a bad door is refused"

# A controller that missed a change set asks for it; the hub republishes from its store.
s_stop 2
expect_exit 0 hub person suspend E1
# Its broker session (and the queued change set 5) is thrown away: a clean
# connection with its client id replaces it.
mosquitto_sub "${MQTT_CLIENT_ARGS[@]}" -i ctl-2 -t none -W 1 >/dev/null 2>&1 || true
N=$(grep -c "connected to 127.0.0.1" "$T/sync-2.log" || true)
s_start 2
deadline=$((SECONDS + 30))
until [ "$(grep -c "connected to 127.0.0.1" "$T/sync-2.log" || true)" -gt "$N" ]; do
	[ $SECONDS -lt $deadline ] || fail "aeogate-sync 2 did not reconnect"
	sleep 0.05
done
expect_exit 0 hub person reinstate E1
wait_applied 6 1 2
c_ctl 2 events --json >"$T/ev2.jsonl"
python3 - "$T/ev2.jsonl" <<'PY' || fail "controller 2 did not fill the gap through a request"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
rej = [e["detail"] for e in ev if e["kind"] == "sync.rejected"]
assert any(d["reason"] == "out_of_order" and d.get("version") == 6 for d in rej), rej
applied = [e["detail"]["version"] for e in ev if e["kind"] == "sync.applied"]
assert applied == [1, 2, 3, 4, 5, 6], applied
assert [e["kind"] for e in ev if e["person"] == "E1" and e["kind"].startswith("person.")][-2:] == ["person.suspended", "person.reinstated"]
PY
pass "controller 2 missed change set 5, refused 6 as out of order, asked, and applied 5 and 6 in order"

# A replayed change set and an unsigned one are refused, with an event each.
PAYLOAD=$(hub_sql "SELECT payload FROM changesets WHERE site='$SYNC_SITE' AND version=4")
mqtt_pub "aeogate/$SYNC_SITE/enrolment" "$PAYLOAD"
BODY=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["body"].replace("\"version\":4", "\"version\":7"))' "$PAYLOAD")
mqtt_pub "aeogate/$SYNC_SITE/enrolment" "$(python3 -c 'import json,sys; print(json.dumps({"body": sys.argv[1]}))' "$BODY")"
deadline=$((SECONDS + 30))
until c_ctl 1 events --json | matches '"unsigned"'; do
	[ $SECONDS -lt $deadline ] || fail "no sync.rejected unsigned on controller 1"
	sleep 0.1
done
c_ctl 1 events --json | grep '"sync.rejected"' >"$T/rej.jsonl"
grep -q '"replay"' "$T/rej.jsonl" || fail "the replay was not refused: $(cat "$T/rej.jsonl")"
[ "$(c_applied 1)" = 6 ] || fail "controller 1 applied $(c_applied 1) after a replay and an unsigned set"
pass "a replayed and an unsigned change set are refused with sync.rejected events; nothing applied"

# The last change set lost after its delivery, with none after it to show
# the gap: aeogate-sync's broker session is thrown away with change set 7
# queued in it (as when aeogate-sync acknowledged it and went away before
# aeogated applied it). The hub sees, in the controller's statuses, a
# version it stored long before still not applied, and sends it again to
# that controller.
s_stop 2
expect_exit 0 hub person suspend E1
expect_contains "$OUT" "change set 7 published"
mosquitto_sub "${MQTT_CLIENT_ARGS[@]}" -i ctl-2 -t none -W 1 >/dev/null 2>&1 || true
s_start 2
wait_applied 7 1
# Reads on controller 2 make events, and so its statuses (one a second at most).
deadline=$((SECONDS + 90))
until [ "$(c_applied 2)" -ge 7 ]; do
	[ $SECONDS -lt $deadline ] || {
		tail -n 20 "$T/sync-2.log" >&2
		fail "controller 2 applied $(c_applied 2), not 7: the hub did not send it again"
	}
	c_ctl 2 sim present dock-1-in --uid 04a1b2ff >/dev/null 2>&1 || true
	sleep 0.5
done
c_ctl 2 events --json >"$T/ev2.jsonl"
python3 - "$T/ev2.jsonl" <<'PY' || fail "controller 2 did not apply change set 7 once, in order"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
applied = [e["detail"]["version"] for e in ev if e["kind"] == "sync.applied"]
assert applied == [1, 2, 3, 4, 5, 6, 7], applied
PY
pass "controller 2 lost the last change set after its delivery; the hub saw it in its statuses and sent it again"

expect_exit 0 hub status --json
python3 - "$OUT" <<'PY' || fail "status: $OUT"
import json, sys
s = json.loads(sys.argv[1])
assert sorted(c["controller"] for c in s["controllers"]) == ["ctl-1", "ctl-2"], s
assert all(c["applied_version"] == 6 or c["applied_version"] >= 4 for c in s["controllers"]), s
assert s["alarms"] == [], s["alarms"]
PY
s_stop 1
s_stop 2
hub_stop
pass "the hub's status lists both controllers with their applied versions and no alarm"
