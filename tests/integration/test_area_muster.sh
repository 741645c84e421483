#!/bin/bash
# Issue 14.1 (where everyone is): a granted in read puts a person in the
# door's zone, a granted out read takes them out, REX moves no one; zone
# set --max-occupancy N denies the entry that would exceed N
# (occupancy_full) and zone list shows the count; muster lists who is in
# each zone since when by which door, and report muster --at T rebuilds the
# list as it was at T from the events.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/area_lib.sh"

write_area_config
start_daemon "$T/area.ini"
ctl level add cage --zone bonded-cage --zone dock >/dev/null
for i in 1 2 3 4 5; do enrol "E100$i" "Person $i" "100$i"; done

before=$(last_seq)
expect_exit 0 ctl zone set bonded-cage --max-occupancy 2
ev=$(events_after "$before" | grep -E "$(kind_re zone.updated)")
echo "$ev" | grep -qE '"before": ?\{"max_occupancy": ?null\}' || fail "zone.updated before: $ev"
echo "$ev" | grep -qE '"after": ?\{"max_occupancy": ?2\}' || fail "zone.updated after: $ev"
granted cage-1-in 1001
granted cage-1-in 1002
denied cage-1-in 1003 occupancy_full
expect_contains "$(ctl zone list)" "bonded-cage"
zl=$(ctl zone list --json)
python3 - "$zl" <<'PY' || fail "zone list --json: $zl"
import json, sys
z = {x["name"]: x for x in json.loads(sys.argv[1])}
assert z["bonded-cage"]["occupancy"] == 2 and z["bonded-cage"]["max_occupancy"] == 2, z
assert z["dock"]["occupancy"] == 0 and z["dock"]["max_occupancy"] is None, z
assert z["bonded-cage"]["apb"] == "off", z
PY
granted cage-1-in 1002
pass "max occupancy 2: the third entry is denied occupancy_full; one already inside is not counted twice"

granted cage-1-out 1001
granted cage-1-in 1003
denied cage-1-in 1004 occupancy_full
expect_exit 0 ctl zone set bonded-cage --max-occupancy none
granted cage-1-in 1004
pass "an exit makes room; --max-occupancy none lifts the limit"

# REX is anonymous: it opens the door and moves no one.
m1=$(ctl muster --json)
expect_exit 0 ctl sim rex cage-1
[ "$(ctl muster --json)" = "$m1" ] || fail "REX changed the muster list"
pass "REX moves no one"

granted dock-1-in 1005
granted dock-1-in 1001
granted dock-1-out 1001
granted cage-1-out 1004
ctl muster --json >"$T/m1.json"
python3 - "$T/m1.json" <<'PY' || fail "muster --json: $(cat "$T/m1.json")"
import json, sys
rows = json.load(open(sys.argv[1]))
got = [(r["zone"], r["person"], r["door"]) for r in rows]
assert got == [("bonded-cage", "E1002", "cage-1"), ("bonded-cage", "E1003", "cage-1"),
               ("dock", "E1005", "dock-1")], got
for r in rows:
    assert set(r) == {"zone", "person", "name", "since", "door"}, r
    assert r["name"].startswith("Person ") and r["since"].endswith("Z"), r
PY
expect_contains "$(ctl muster dock)" "E1005"
expect_not_contains "$(ctl muster dock)" "E1002"
expect_exit 1 ctl muster nowhere
pass "muster after mixed entries and exits: who is in each zone, since when, by which door"

# T: the moment of the last event so far; what happens after it is not in the report at T.
T1=$(ctl events --json | tail -n 1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["ts"])')
sleep 0.05
granted cage-1-out 1002
granted dock-1-in 1002
expect_exit 0 ctl apb forgive E1005

# check_report FILE JSON: the muster report's JSONL rows (by person) are
# the rows muster --json printed (by zone, time of entry, person).
check_report() {
	python3 - "$1" "$2" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if isinstance(r, dict) and "person" in r and "zone" in r]
want = json.load(open(sys.argv[2]))
key = lambda r: (r["zone"], r["person"], r["name"], r["since"], r["door"])
assert [r["person"] for r in rows] == sorted(r["person"] for r in rows), "not by person"
assert sorted(map(key, rows)) == sorted(map(key, want)), (rows, want)
PY
}
expect_exit 0 ctl report muster --at "$T1" --format jsonl -o "$T/muster-then.jsonl"
expect_exit 0 ctl audit verify "$T/muster-then.jsonl" --pubkey "$STATE/device.pub"
expect_contains "$OUT" "ok: muster report"
check_report "$T/muster-then.jsonl" "$T/m1.json" || fail "report muster --at $T1 differs from muster then: $(cat "$T/muster-then.jsonl")"
ctl muster --json >"$T/m2.json"
expect_exit 0 ctl report muster --format jsonl -o "$T/muster-now.jsonl"
check_report "$T/muster-now.jsonl" "$T/m2.json" || fail "report muster differs from muster now: $(cat "$T/muster-now.jsonl") vs $(cat "$T/m2.json")"
expect_exit 0 ctl report muster --at "$T1" --format csv -o "$T/muster.csv"
expect_exit 0 ctl audit verify "$T/muster.csv" --pubkey "$STATE/device.pub"
pass "report muster --at T matches the muster list at T, and now matches muster now; signed"

stop_daemon
start_daemon "$T/area.ini"
[ "$(ctl muster --json)" = "$(cat "$T/m2.json")" ] || fail "muster changed across a restart"
pass "the muster list survives a restart"
stop_daemon
