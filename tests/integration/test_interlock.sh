#!/bin/bash
# Issue 14.5 (interlock, man-trap), through aeogatectl on the simulated
# board: two doors of one interlock group. While one is open (its contact)
# or released (its lock), the other stays locked: its badges are denied
# interlock and its exit button waits; once the first is closed and
# locked, the waiting exit button opens the other (door.rex with
# detail.interlock_wait_ms) and its badges work again. An exit button held
# past the bound is dropped (door.rex_dropped). door list shows the group,
# the door holding it and the waiting button. --check-config refuses a
# group of one door.
source "$(dirname "$0")/lib.sh"

write_sim_config
# Strike times long enough that a release cannot run out between two
# commands on a loaded machine (cage-1 has the default, 5 s).
sed -i 's/^strike_time = 5s$/strike_time = 20s/; s/^lock_type = maglock$/lock_type = maglock\nstrike_time = 20s/' "$T/sim.ini"
[ "$(grep -c '^strike_time = 20s$' "$T/sim.ini")" -eq 2 ] || fail "the sim config changed: $(cat "$T/sim.ini")"
sed -i 's/^zone = dock$/zone = dock\ninterlock = trap/; s/^zone = bonded-cage$/zone = bonded-cage\ninterlock = trap/' "$T/sim.ini"
[ "$(grep -c '^interlock = trap$' "$T/sim.ini")" -eq 2 ] || fail "the sim config changed: $(cat "$T/sim.ini")"

# ---- check-config ----
expect_exit 0 "$AEOGATED" -c "$T/sim.ini" --check-config
sed '0,/^interlock = trap$/s//interlock = trapp/' "$T/sim.ini" >"$T/one.ini"
expect_exit 1 "$AEOGATED" -c "$T/one.ini" --check-config
line=$(grep -n '^interlock = trapp$' "$T/one.ini" | cut -d: -f1)
expect_contains "$ERR" "$T/one.ini:$line: interlock: door 'dock-1' is the only door of interlock group 'trapp'"
sed 's/^interlock = trap$/interlock = bad group/' "$T/sim.ini" >"$T/bad.ini"
expect_exit 1 "$AEOGATED" -c "$T/bad.ini" --check-config
expect_contains "$ERR" "interlock: 'bad group' is not a valid interlock group name"
pass "check-config: a two-door group passes; a group of one door and a bad name are refused at their line"

start_daemon "$T/sim.ini"
ctl level add all --zone dock --zone bonded-cage >/dev/null
ctl person add E1001 --name "Ann Worker" --level all >/dev/null
ctl badge issue E1001 --wiegand h10301:12:1001 >/dev/null
ANN=$(h10301_bits 12 1001)

door_field() {
	ctl door list --json | python3 -c '
import json, sys
d = {x["name"]: x for x in json.load(sys.stdin)}[sys.argv[1]]
v = d[sys.argv[2]]
print("null" if v is None else json.dumps(v) if not isinstance(v, str) else v)' "$1" "$2"
}

ev_check() {
	python3 -c '
import json, sys
e = json.loads(sys.argv[1])
d = e.get("detail") or {}
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" || fail "event does not match $2: $1"
}

[ "$(door_field dock-1 interlock)" = trap ] && [ "$(door_field cage-1 interlock)" = trap ] ||
	fail "door list does not show the group: $(ctl door list --json)"
[ "$(door_field cage-1 interlock_held_by)" = null ] || fail "held with both doors closed"
expect_exit 0 ctl door list
expect_contains "$OUT" "INTERLOCK"
expect_contains "$OUT" "REX-WAITING"
# Every row holds its 13 columns at their own widths (a table wider than
# the printer's bound once overran its arrays and padded a column with
# hundreds of blanks).
echo "$OUT" | awk 'NF != 13 || length($0) > 200 { bad = 1 } END { exit bad }' ||
	fail "door list table is malformed: $OUT"
pass "door list shows each door's interlock group, none held while both are closed and locked"

# The outer door opens for a badge: the inner one is held.
expect_exit 0 ctl sim present dock-1-in --bits "$ANN"
[ "$(door_field cage-1 interlock_held_by)" = dock-1 ] || fail "a released door does not hold its partner"
expect_exit 1 ctl sim present cage-1-in --bits "$ANN"
expect_contains "$OUT" "interlock"
ctl sim door dock-1 open >/dev/null
expect_exit 1 ctl sim present cage-1-in --bits "$ANN"
expect_contains "$OUT" "interlock"
[ "$(door_field cage-1 lock)" = locked ] || fail "the held door's lock moved"
pass "while one door is released or open, the other's badges are denied interlock"

before=$(last_seq)
expect_exit 0 ctl sim rex cage-1
[ "$(door_field cage-1 rex_waiting)" = true ] || fail "door list does not show the waiting exit: $(ctl door list --json)"
[ "$(door_field cage-1 lock)" = locked ] || fail "REX opened a held door"
[ "$(count_after "$before" 'door\.rex')" -eq 0 ] || fail "a waiting REX was recorded as an exit: $(events_after "$before")"
pass "the held door's exit button waits (door list rex_waiting), its lock stays locked"

ctl sim door dock-1 close >/dev/null
wait_event "$before" door.rex 10
ev_check "$EV" 'e["door"] == "cage-1" and d["interlock_wait_ms"] >= 0'
[ "$(door_field dock-1 lock)" = locked ] || fail "the outer door did not relock on close"
[ "$(door_field cage-1 lock)" = released ] || fail "the waiting exit did not open once the other door closed"
[ "$(door_field cage-1 rex_waiting)" = false ] || fail "still waiting after it opened"
# Now the inner door is released: the outer one is held in turn.
[ "$(door_field dock-1 interlock_held_by)" = cage-1 ] || fail "the released inner door does not hold the outer"
expect_exit 1 ctl sim present dock-1-in --bits "$ANN"
expect_contains "$OUT" "interlock"
pass "closing the other door lets the waiting exit open (door.rex, interlock_wait_ms); the outer door is held in turn"

ctl sim door cage-1 open >/dev/null
ctl sim door cage-1 close >/dev/null
[ "$(door_field cage-1 lock)" = locked ] || fail "the inner door did not relock on close"
[ "$(door_field dock-1 interlock_held_by)" = null ] || fail "still held with both closed and locked"
expect_exit 0 ctl sim present dock-1-in --bits "$ANN"
ctl sim door dock-1 open >/dev/null
ctl sim door dock-1 close >/dev/null
expect_exit 0 ctl sim present cage-1-in --bits "$ANN"
ctl sim door cage-1 open >/dev/null
ctl sim door cage-1 close >/dev/null
pass "with both doors closed and locked, each door's badge works again, one after the other"

# An exit button held past the bound is dropped, not kept for later.
ctl sim door dock-1 open >/dev/null # forced: no grant, but open is open
before=$(last_seq)
expect_exit 0 ctl sim rex cage-1
wait_event "$before" door.rex_dropped 90
ev_check "$EV" 'e["door"] == "cage-1" and d["reason"] == "interlock" and d["held_by"] == "dock-1" and d["waited_ms"] >= 30000'
[ "$(door_field cage-1 rex_waiting)" = false ] || fail "a dropped exit still waits"
ctl sim door dock-1 close >/dev/null
[ "$(door_field cage-1 lock)" = locked ] || fail "a dropped exit opened the door later"
[ "$(count_after "$before" 'door\.rex')" -eq 0 ] || fail "a dropped exit was recorded as door.rex"
pass "an exit held longer than 30 s is dropped (door.rex_dropped: held_by, waited_ms) and never opens later"
