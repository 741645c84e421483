#!/bin/bash
# The admin trail: person set, level set and level remove are each one
# event naming the operator with exactly the values before and after;
# user changes name their operator too.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
ctl level add dock-staff --zone dock >/dev/null
ctl level add cage-staff --zone bonded-cage >/dev/null
ctl person add E1 --name "Ann Example" --valid-until 2030-01-01 --level dock-staff >/dev/null

# detail_of KIND: the detail of the newest event of KIND, as canonical JSON.
detail_of() {
	ctl events --json >"$T/events.jsonl"
	py "$1" "$T/events.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
d = [e for e in ev if e["kind"] == sys.argv[1]][-1]["detail"]
print(json.dumps(d, sort_keys=True))
PY
}

expect_exit 0 ctl person set E1 --name "Ann Other" --valid-from 2026-01-01 --valid-until none \
	--add-level cage-staff --remove-level dock-staff --json
expect_contains "$OUT" '"Ann Other"'
[ "$(detail_of person.updated)" = '{"after": {"levels": ["cage-staff"], "name": "Ann Other", "valid_from": "2026-01-01T00:00:00.000Z", "valid_until": null}, "before": {"levels": ["dock-staff"], "name": "Ann Example", "valid_from": null, "valid_until": "2030-01-01T00:00:00.000Z"}, "operator": "uid:0"}' ] ||
	fail "person.updated detail: $(detail_of person.updated)"
# Only what changed is recorded.
expect_exit 0 ctl person set E1 --valid-until 2031-01-01
[ "$(detail_of person.updated)" = '{"after": {"valid_until": "2031-01-01T00:00:00.000Z"}, "before": {"valid_until": null}, "operator": "uid:0"}' ] ||
	fail "person.updated detail: $(detail_of person.updated)"
expect_exit 2 ctl person set E1
expect_exit 1 ctl person set E1 --remove-level dock-staff
expect_contains "$ERR" "does not hold"
expect_exit 1 ctl person set E1 --add-level nosuch
expect_exit 1 ctl person set E1 --valid-from 2032-01-01
expect_contains "$ERR" "valid_from must be before valid_until"
pass "person set: name, validity and levels in one event with before/after and operator"

expect_exit 0 ctl level set cage-staff --add-zone dock
[ "$(detail_of level.updated)" = '{"after": {"zones": ["bonded-cage", "dock"]}, "before": {"zones": ["bonded-cage"]}, "level": "cage-staff", "operator": "uid:0"}' ] ||
	fail "level.updated detail: $(detail_of level.updated)"
expect_exit 1 ctl level set cage-staff --remove-zone office
expect_exit 1 ctl level set cage-staff --remove-zone dock --remove-zone bonded-cage
expect_contains "$ERR" "remove the level instead"
expect_exit 1 ctl level remove cage-staff
expect_contains "$ERR" "held by 1 person"
expect_exit 0 ctl level remove dock-staff
[ "$(detail_of level.removed)" = '{"after": null, "before": {"name": "dock-staff", "zones": ["dock"]}, "level": "dock-staff", "operator": "uid:0"}' ] ||
	fail "level.removed detail: $(detail_of level.removed)"
expect_exit 0 ctl level list --json
expect_not_contains "$OUT" dock-staff
pass "level set and level remove: before/after zones and the operator; a held level is not removed"

printf 'correct horse battery staple\n' | ctl user add alice --role manager >/dev/null
ctl user disable alice >/dev/null
d=$(detail_of user.added)
expect_contains "$d" '"operator": "uid:0"'
expect_contains "$d" '"after": {"disabled": false, "name": "alice", "role": "manager"}'
d=$(detail_of user.disabled)
expect_contains "$d" '"before": {"disabled": false}'
expect_contains "$d" '"after": {"disabled": true}'
expect_contains "$d" '"operator": "uid:0"'
pass "user.added and user.disabled name the operator with before/after"

expect_exit 0 ctl audit verify --live
stop_daemon
pass "the chain verifies and aeogated stops cleanly"
