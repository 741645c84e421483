#!/bin/bash
# Issue 14.3 (two-person rule), through aeogatectl on the simulated board:
# zone set --two-person on is recorded and shown by zone list; at a door
# into the zone a lone badge waits (sim present exits 3, "pending
# second_person", access.pending with detail.awaiting) and the lock stays;
# a different person's badge inside the window grants both (two
# access.granted, each naming the other in detail.with, one release); a
# badge whose window runs out is access.denied two_person_timeout; the same
# person twice is not a second person; a badge waiting when aeogated stops
# is denied two_person_timeout; on a card + PIN door the wait begins once
# the PIN was right; other zones are untouched; bad values are refused and
# change nothing.
source "$(dirname "$0")/lib.sh"

write_sim_config
sed -i 's/^strike_time = 5s$/strike_time = 20s/' "$T/sim.ini"
grep -q '^strike_time = 20s$' "$T/sim.ini" || fail "the sim config changed: no strike_time = 5s"
start_daemon "$T/sim.ini"
ctl level add all --zone dock --zone bonded-cage >/dev/null
for p in 1001 1002 1003; do
	ctl person add "E$p" --name "Person $p" --level all >/dev/null
	ctl badge issue "E$p" --wiegand "h10301:12:$p" >/dev/null
done
ctl person add E1009 --name "No Access" >/dev/null
ctl badge issue E1009 --wiegand h10301:12:1009 >/dev/null
ANN=$(h10301_bits 12 1001)
BOB=$(h10301_bits 12 1002)
CAT=$(h10301_bits 12 1003)
NOBODY=$(h10301_bits 12 1009)

# ev_check EVENT_JSON PYTHON_EXPR: the expression over e (the event) holds.
ev_check() {
	python3 -c '
import json, sys
e = json.loads(sys.argv[1])
d = e.get("detail") or {}
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" || fail "event does not match $2: $1"
}

zone_field() {
	ctl zone list --json | python3 -c '
import json, sys
print({z["name"]: z for z in json.load(sys.stdin)}[sys.argv[1]][sys.argv[2]])' "$1" "$2"
}

door_lock() {
	ctl door list --json | python3 -c '
import json, sys
print({x["name"]: x for x in json.load(sys.stdin)}[sys.argv[1]]["lock"])' "$1"
}

# wait_count SEQ KIND_RE N: waits (bounded) until N events matching KIND_RE follow SEQ.
wait_count() {
	local deadline=$((SECONDS + 60))
	until [ "$(count_after "$1" "$2")" -ge "$3" ]; do
		[ $SECONDS -lt $deadline ] || fail "expected $3 events $2 after seq $1: $(events_after "$1")"
		sleep 0.1
	done
}

# ---- settings: off by default, recorded, shown, bad values refused ----
[ "$(zone_field bonded-cage two_person)" = off ] || fail "two_person is not off by default"
[ "$(zone_field bonded-cage two_person_window)" = 10 ] || fail "the default window is not 10 s"
before=$(last_seq)
expect_exit 1 ctl zone set bonded-cage --two-person maybe
expect_contains "$ERR" "two_person"
expect_exit 1 ctl zone set bonded-cage --two-person on --two-person-window 0s
expect_exit 1 ctl zone set bonded-cage --two-person on --two-person-window soon
expect_exit 2 ctl zone set bonded-cage
[ "$(zone_field bonded-cage two_person)" = off ] || fail "a refused zone set changed the zone"
[ "$(count_after "$before" 'zone\.updated')" -eq 0 ] || fail "a refused zone set was recorded"
# A generous window: a loaded machine runs the second command late.
expect_exit 0 ctl zone set bonded-cage --two-person on --two-person-window 60s
wait_event "$before" zone.updated
ev_check "$EV" 'd["before"]["two_person"] == "off" and d["after"]["two_person"] == "on" and d["after"]["two_person_window"] == 60 and d.get("operator")'
[ "$(zone_field bonded-cage two_person)" = on ] || fail "zone list does not show two_person on"
[ "$(zone_field bonded-cage two_person_window)" = 60 ] || fail "zone list does not show the window"
[ "$(zone_field dock two_person)" = off ] || fail "another zone changed"
pass "zone set --two-person is recorded with operator and before/after, and shown by zone list"

# ---- a second person inside the window: both granted, one release ----
before=$(last_seq)
expect_exit 3 ctl sim present cage-1-in --bits "$ANN"
expect_contains "$OUT" "pending  second_person"
wait_event "$before" access.pending
ev_check "$EV" 'e["person"] == "E1001" and d["awaiting"] == "second_person" and e["door"] == "cage-1"'
[ "$(door_lock cage-1)" = locked ] || fail "one badge released a two-person door"
[ "$(count_after "$before" 'access\.granted')" -eq 0 ] || fail "a lone badge was granted"
# Someone without access to the zone is no second person: denied as ever, Ann still waits.
expect_exit 1 ctl sim present cage-1-in --bits "$NOBODY"
expect_contains "$OUT" "no_access"
expect_exit 0 ctl sim present cage-1-in --bits "$BOB"
expect_contains "$OUT" "granted"
wait_count "$before" 'access\.granted' 2
granted=$(events_after "$before" | grep -E "$(kind_re access.granted)")
ev_check "$(echo "$granted" | sed -n 1p)" 'e["person"] == "E1001" and d["with"] == "E1002"'
ev_check "$(echo "$granted" | sed -n 2p)" 'e["person"] == "E1002" and d["with"] == "E1001"'
[ "$(door_lock cage-1)" = released ] || fail "the pair did not release the lock"
# The pair walks through on the one release: no forced door.
ctl sim door cage-1 open >/dev/null
ctl sim door cage-1 close >/dev/null
wait_event "$before" door.closed
[ "$(count_after "$before" 'door\.forced')" -eq 0 ] || fail "the pair's entry was a forced door"
pass "a second person inside the window grants both, each naming the other, one release"

# The zone's other doors and other zones are untouched.
expect_exit 0 ctl sim present dock-1-in --bits "$CAT"
pass "a zone without the rule grants a lone badge"

# ---- outside the window: the lone badge times out two_person_timeout ----
expect_exit 0 ctl zone set bonded-cage --two-person-window 1s
[ "$(zone_field bonded-cage two_person)" = on ] || fail "setting the window alone turned the rule off"
before=$(last_seq)
expect_exit 3 ctl sim present cage-1-in --bits "$ANN"
wait_event "$before" access.denied 30
ev_check "$EV" 'e["person"] == "E1001" and e["reason"] == "two_person_timeout"'
# Bob comes after the window: he is a first person again, and times out too.
mid=$(last_seq)
expect_exit 3 ctl sim present cage-1-in --bits "$BOB"
expect_contains "$OUT" "pending  second_person"
wait_event "$mid" access.denied 30
ev_check "$EV" 'e["person"] == "E1002" and e["reason"] == "two_person_timeout"'
[ "$(count_after "$before" 'access\.granted')" -eq 0 ] || fail "a badge after the window was granted"
pass "a lone badge times out two_person_timeout; a second badge after the window is a first again"

# ---- the same person twice is not a second person ----
expect_exit 0 ctl zone set bonded-cage --two-person-window 60s
before=$(last_seq)
expect_exit 3 ctl sim present cage-1-in --bits "$ANN"
expect_exit 3 ctl sim present cage-1-in --bits "$ANN"
expect_contains "$OUT" "pending  second_person"
wait_event "$before" access.denied
ev_check "$EV" 'e["person"] == "E1001" and e["reason"] == "two_person_timeout"'
[ "$(count_after "$before" 'access\.granted')" -eq 0 ] || fail "the same person twice was granted"
[ "$(door_lock cage-1)" = locked ] || fail "the same person twice released the lock"
pass "the same person twice is not a second person"

# ---- a badge waiting at stop is denied two_person_timeout; the setting survives ----
stop_daemon
start_daemon "$T/sim.ini"
ev=$(events_after "$before" | grep -E "$(kind_re access.denied)" | tail -n 1)
ev_check "$ev" 'e["person"] == "E1001" and e["reason"] == "two_person_timeout"'
[ "$(count_after "$before" 'access\.denied')" -eq 2 ] || fail "expected two denials: $(events_after "$before")"
[ "$(zone_field bonded-cage two_person)" = on ] || fail "two_person did not survive a restart"
[ "$(zone_field bonded-cage two_person_window)" = 60 ] || fail "the window did not survive a restart"
pass "a badge waiting at stop is denied two_person_timeout; the setting survives a restart"

# ---- card + PIN and two-person: the wait for a second person follows a right PIN ----
ctl person pin E1001 <<<"4711" >/dev/null
ctl person pin E1002 <<<"5822" >/dev/null
expect_exit 0 ctl door mode cage-1 card_and_pin
before=$(last_seq)
expect_exit 3 ctl sim present cage-1-in --bits "$ANN"
expect_contains "$OUT" "pending  pin"
expect_exit 0 ctl sim keys cage-1-in "4711#"
wait_event "$before" access.pending
ev_check "$EV" 'e["person"] == "E1001" and d["awaiting"] == "second_person"'
[ "$(door_lock cage-1)" = locked ] || fail "a right PIN alone released a two-person door"
expect_exit 3 ctl sim present cage-1-in --bits "$BOB"
expect_contains "$OUT" "pending  pin"
expect_exit 0 ctl sim keys cage-1-in "5822#"
wait_count "$before" 'access\.granted' 2
granted=$(events_after "$before" | grep -E "$(kind_re access.granted)")
ev_check "$(echo "$granted" | sed -n 1p)" 'e["person"] == "E1001" and d["with"] == "E1002"'
ev_check "$(echo "$granted" | sed -n 2p)" 'e["person"] == "E1002" and d["with"] == "E1001"'
[ "$(door_lock cage-1)" = released ] || fail "the pair with PINs did not release the lock"
expect_exit 0 ctl door mode cage-1 --clear
pass "on a card + PIN door the two-person wait begins once the PIN was right"

# ---- off again: a lone badge opens ----
expect_exit 0 ctl zone set bonded-cage --two-person off
expect_exit 0 ctl sim present cage-1-in --bits "$ANN"
pass "--two-person off lets a lone badge in again"
