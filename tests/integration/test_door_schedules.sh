#!/bin/bash
# Issue 13.3 (door schedules), through aeogatectl on the simulated board:
# `door schedule DOOR --mode MODE --schedule S [--first-person-in]` makes a
# door take MODE inside a schedule — at a real minute boundary a little
# ahead (the product's clock is never faked), or, with first-person-in,
# only after the first badge granted inside the interval. Every setting is
# recorded (door.updated, before/after, operator), every change of the
# effective mode is door.mode with its cause (schedule, first_person,
# expired); a manual mode wins until its --until passes; the setting
# survives a restart; a schedule a door uses is not removed; bad input
# changes nothing.
source "$(dirname "$0")/lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
ctl level add all --zone dock --zone bonded-cage >/dev/null
ctl person add E1001 --name "Ann Example" --level all >/dev/null
ctl badge issue E1001 --wiegand h10301:12:1001 >/dev/null
BITS=$(h10301_bits 12 1001)

# wait_mode SEQ DOOR CAUSE: the controller's own door.mode of DOOR with CAUSE after SEQ; in $EV.
wait_mode() {
	local deadline=$((SECONDS + 120))
	while :; do
		EV=$(events_after "$1" | grep -E "$(kind_re door.mode)" | grep -E "\"door\": ?\"$2\"" |
			grep -E "\"cause\": ?\"$3\"" | sed -n 1p || true)
		[ -n "$EV" ] && return 0
		[ $SECONDS -lt $deadline ] || fail "no door.mode ($3) of $2 after seq $1: $(events_after "$1")"
		sleep 0.2
	done
}

# A whole minute at least 40 s ahead (UTC, the site's timezone here): room
# for the checks before it on a loaded machine.
now=$(date +%s)
start=$((((now + 40) / 60 + 1) * 60))
START=$(date -u -d "@$start" +%H:%M)
DAY=$(date -u -d "@$start" +%a | tr 'A-Z' 'a-z')
END=$(date -u -d "@$((start + 3600))" +%H:%M)
ctl schedule add soon --interval "$DAY $START-$END" >/dev/null
ctl schedule add always --interval "all 00:00-24:00" >/dev/null

# ---- bad input changes nothing ----
before=$(last_seq)
expect_exit 1 ctl door schedule dock-1 --mode open --schedule soon
expect_contains "$ERR" "'mode' must be card, card_and_pin, unlocked or locked"
expect_exit 1 ctl door schedule dock-1 --mode unlocked --schedule nope
expect_contains "$ERR" "no such schedule: nope"
expect_exit 1 ctl door schedule gate-9 --mode unlocked --schedule soon
expect_exit 2 ctl door schedule dock-1 --mode unlocked
expect_exit 2 ctl door schedule dock-1 --clear --mode unlocked
expect_exit 2 ctl door schedule dock-1
[ "$(last_seq)" = "$before" ] || fail "refused door schedules wrote events: $(events_after "$before")"
[ "$(door_field dock-1 schedule)" = null ] || fail "a refused door schedule was kept"
pass "bad door schedules (mode, schedule, door, missing or mixed options) are refused; nothing changes"

# ---- set: recorded with before/after; outside the interval the door keeps card ----
before=$(last_seq)
expect_exit 0 ctl door schedule dock-1 --mode unlocked --schedule soon
expect_contains "$OUT" "unlocked inside soon"
wait_event "$before" door.updated
ev_check "$EV" 'd["before"] == {"schedule": None} and d["after"] == {"schedule": {"schedule": "soon", "mode": "unlocked", "first_person_in": False}} and d["operator"] == "uid:0"'
[ "$(door_field dock-1 mode)" = card ] || fail "dock-1 took its mode before the schedule: $(ctl door list --json)"
[ "$(date +%s)" -lt "$start" ] || fail "the checks before $START came after it: the machine is too slow for this test"
[ "$(door_field dock-1 schedule.active)" = False ] || fail "door list schedule: $(ctl door list --json)"
expect_exit 1 ctl schedule remove soon
expect_contains "$ERR" "dock-1"
pass "door schedule is recorded (door.updated, before/after, operator); before its interval the door stays card; its schedule cannot be removed"

# ---- first person in: the mode waits for the first granted badge ----
before=$(last_seq)
expect_exit 0 ctl door schedule cage-1 --mode unlocked --schedule always --first-person-in
sleep 1
[ "$(door_field cage-1 mode)" = card ] || fail "first-person-in unlocked before anyone came: $(ctl door list --json)"
events_after "$before" | matches -E "$(kind_re door.mode)" && fail "door.mode before the first person: $(events_after "$before")"
expect_exit 1 ctl sim present cage-1-in --bits "$(h10301_bits 12 999)"
sleep 1
[ "$(door_field cage-1 mode)" = card ] || fail "a denied badge counted as the first person in"
expect_exit 0 ctl sim present cage-1-in --bits "$BITS"
wait_mode "$before" cage-1 first_person
ev_check "$EV" 'd["mode"] == "unlocked" and d["was"] == "card"'
[ "$(door_field cage-1 mode)" = unlocked ] && [ "$(door_field cage-1 lock)" = released ] ||
	fail "cage-1 after the first person: $(ctl door list --json)"
pass "first-person-in: a denied badge changes nothing, the first granted badge unlocks (door.mode first_person)"

# ---- the boundary ----
before=$(last_seq)
deadline=$((SECONDS + 150))
while [ "$(date +%s)" -lt "$start" ]; do
	[ $SECONDS -lt $deadline ] || fail "the boundary $start never came"
	sleep 0.5
done
wait_mode "$before" dock-1 schedule
ev_check "$EV" 'd["mode"] == "unlocked" and d["was"] == "card"'
[ "$(door_field dock-1 lock)" = released ] || fail "dock-1 inside its schedule: $(ctl door list --json)"
expect_exit 0 ctl sim door dock-1 open
expect_exit 0 ctl sim door dock-1 close
events_after "$before" | matches -E "$(kind_re door.forced)" && fail "an opening inside the unlocked schedule was forced"
pass "at $DAY $START UTC dock-1 unlocks by itself (door.mode schedule); opening it is not forced"

# ---- a manual mode wins until its until passes ----
before=$(last_seq)
until=$(date -u -d "@$(($(date +%s) + 10))" +%Y-%m-%dT%H:%M:%SZ)
expect_exit 0 ctl door mode dock-1 locked --until "$until" --comment "inventory"
[ "$(door_field dock-1 mode)" = locked ] || fail "manual mode did not win: $(ctl door list --json)"
wait_mode "$before" dock-1 expired
ev_check "$EV" 'd["mode"] == "unlocked" and d["was"] == "locked"'
before=$(last_seq)
expect_exit 0 ctl door mode dock-1 card
[ "$(door_field dock-1 mode)" = card ] || fail "manual card did not win: $(ctl door list --json)"
expect_exit 2 ctl door mode dock-1 card --clear
expect_exit 0 ctl door mode dock-1 --clear --comment "back to the gate's schedule"
[ "$(door_field dock-1 mode)" = unlocked ] || fail "--clear did not go back to the schedule: $(ctl door list --json)"
ev=$(events_after "$before" | grep -E "$(kind_re door.mode)" | tail -n 1)
ev_check "$ev" 'd["cause"] == "manual" and d["cleared"] is True and d["mode"] == "unlocked" and d["was"] == "card" and d["operator"] == "uid:0"'
pass "a manual mode wins over the schedule; when its until passes, or it is cleared (door mode --clear), the door takes the schedule's mode"

# ---- restart: the setting is kept; the mode is taken again ----
stop_daemon

start_daemon "$T/sim.ini"
sys=$(events_after 0 | grep -E "$(kind_re system.start)" | tail -n 1 | grep -oE '^\{"seq": ?[0-9]+' | grep -oE '[0-9]+$')
wait_mode "$sys" dock-1 schedule
ev_check "$EV" 'd["mode"] == "unlocked" and d["was"] == "card"'
[ "$(door_field dock-1 lock)" = released ] || fail "dock-1 after restart: $(ctl door list --json)"
[ "$(door_field cage-1 mode)" = card ] || fail "first-person-in survived a restart without anyone: $(ctl door list --json)"
[ "$(door_field cage-1 schedule.first_person_in)" = True ] || fail "cage-1 schedule lost: $(ctl door list --json)"
pass "after a restart the locks lock, then dock-1 takes its scheduled mode again (door.mode schedule); cage-1 waits for a first person again"

# ---- clear ----
before=$(last_seq)
expect_exit 0 ctl door schedule dock-1 --clear
wait_event "$before" door.updated
ev_check "$EV" 'd["after"] == {"schedule": None} and d["before"]["schedule"]["schedule"] == "soon"'
wait_mode "$before" dock-1 schedule
ev_check "$EV" 'd["mode"] == "card" and d["was"] == "unlocked"'
[ "$(door_field dock-1 lock)" = locked ] || fail "dock-1 after clear: $(ctl door list --json)"
expect_exit 0 ctl door schedule cage-1 --clear
expect_exit 0 ctl schedule remove soon
pass "door schedule --clear: recorded, the door goes back to card and locks; the schedule can then be removed"
