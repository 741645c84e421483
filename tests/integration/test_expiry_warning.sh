#!/bin/bash
# Issue 13.1 (expiry warnings): at start and once a day, one expiry.warning
# per person or badge whose validity, or vetting re-check, falls due within
# [policy] expiry_warning_days (default 14; 0 = off): `person` names the
# person, `credential` the badge, detail `what` (person|badge|vetting) and
# `due`. At most once per item and due date, also across restarts; a new
# due date is warned of anew. The warnings are on the verifiable chain.
source "$(dirname "$0")/lib.sh"

day() { date -u -d "+$1 days" +%Y-%m-%d; }
warnings() { events_after "${1:-0}" | grep -E "$(kind_re expiry.warning)" || true; }

write_sim_config
start_daemon "$T/sim.ini"
ctl person add E3 --name "Due In Three" --valid-until "$(day 3)" >/dev/null
ctl person add E30 --name "Due In Thirty" --valid-until "$(day 30)" >/dev/null
ctl badge issue E30 --wiegand h10301:12:30 --valid-until "$(day 5)" >/dev/null
ctl badge issue E30 --wiegand h10301:12:31 --valid-until "$(day 40)" >/dev/null
ctl person vet E30 --status cleared --checked 2026-01-05 --recheck-due "$(day 10)" >/dev/null
ctl person add GONE --name "Left Us" --valid-until "$(day 2)" >/dev/null
ctl person terminate GONE >/dev/null
[ -z "$(warnings)" ] || fail "warnings before any run: $(warnings)"

# A restart runs the warnings at start.
stop_daemon
start_daemon "$T/sim.ini"
# One transaction holds a step's warnings: when one is there, all are.
wait_event 0 expiry.warning
w=$(warnings)
[ "$(grep -c . <<<"$w")" -eq 3 ] || fail "expected 3 warnings, got: $w"
p=$(grep '"person": \?"E3"' <<<"$w")
echo "$p" | grep -qE '"credential": ?null' || fail "person warning: $p"
echo "$p" | grep -qE "\"due\": ?\"$(day 3)T00:00:00.000Z\"" || fail "person warning due: $p"
echo "$p" | grep -qE '"what": ?"person"' || fail "person warning what: $p"
b=$(grep '"what": \?"badge"' <<<"$w")
echo "$b" | grep -qE '"person": ?"E30"' || fail "badge warning person: $b"
echo "$b" | grep -qE '"credential": ?"h10301:12:30"' || fail "badge warning credential: $b"
echo "$b" | grep -qE "\"due\": ?\"$(day 5)T00:00:00.000Z\"" || fail "badge warning due: $b"
v=$(grep '"what": \?"vetting"' <<<"$w")
echo "$v" | grep -qE '"person": ?"E30"' || fail "vetting warning: $v"
echo "$v" | grep -qE "\"due\": ?\"$(day 10)T00:00:00.000Z\"" || fail "vetting warning due: $v"
expect_not_contains "$w" '"GONE"'
expect_not_contains "$w" 'h10301:12:31'
pass "at start: one expiry.warning each for a person, a badge and a vetting re-check due within 14 days"

# The next run (a restart) warns of a newcomer, and of nothing it warned of before.
ctl person add E1 --name "Due Tomorrow" --valid-until "$(day 1)" >/dev/null
before=$(last_seq)
stop_daemon
start_daemon "$T/sim.ini"
wait_event "$before" expiry.warning
w=$(warnings "$before")
[ "$(grep -c . <<<"$w")" -eq 1 ] || fail "expected only the newcomer's warning, got: $w"
expect_contains "$w" '"E1"'
pass "no warning is repeated after a restart"

# A new due date is a new warning, once.
ctl person set E3 --valid-until "$(day 4)" >/dev/null
before=$(last_seq)
stop_daemon
start_daemon "$T/sim.ini"
wait_event "$before" expiry.warning
w=$(warnings "$before")
[ "$(grep -c . <<<"$w")" -eq 1 ] || fail "expected 1 warning for the new date, got: $w"
echo "$w" | grep -qE "\"due\": ?\"$(day 4)T00:00:00.000Z\"" || fail "new due date: $w"
expect_exit 0 ctl audit verify --live
pass "a validity moved to a new date is warned of once more; the chain verifies"

# expiry_warning_days = 0 turns them off; a bad value is refused.
printf '\n[policy]\nexpiry_warning_days = 0\n' >>"$T/sim.ini"
ctl person add E2 --name "Due In Two" --valid-until "$(day 2)" >/dev/null
before=$(last_seq)
stop_daemon
start_daemon "$T/sim.ini"
sleep 2 # no event tells that no run started; a run is done within milliseconds of the start
[ -z "$(warnings "$before")" ] || fail "warnings with expiry_warning_days = 0: $(warnings "$before")"
stop_daemon
sed -i 's/^expiry_warning_days = 0$/expiry_warning_days = 400/' "$T/sim.ini"
expect_exit 1 "$AEOGATED" -c "$T/sim.ini" --check-config
expect_contains "$ERR" "expiry_warning_days"
pass "expiry_warning_days = 0 gives no warning; 400 is refused by --check-config"
