#!/bin/bash
# Auditor reports on a seeded scenario: alarms (with the acknowledgement
# limit both ways), entitlements (with a signed review), leavers,
# validity, access points, admin and devices. Each is read back with
# Python's csv module (or json) and compared row by row with what the
# scenario must give; each verifies offline against the device key.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"

write_sim_config
cp "$T/sim.ini" "$T/base.ini"
# A limit no acknowledgement can meet: every alarm is late.
printf '\n[audit]\nalarm_ack_limit = 1ms\n' >>"$T/sim.ini"
start_daemon "$T/sim.ini"
seed_audit_scenario

# report NAME ARGS...: writes $T/NAME.csv and .jsonl and verifies both with the pinned key.
report() {
	local name=$1
	shift
	expect_exit 0 ctl report "$name" "$@" --format csv -o "$T/$name.csv"
	expect_exit 0 ctl audit verify "$T/$name.csv" --pubkey "$STATE/device.pub"
	expect_contains "$OUT" "ok: $name report"
	expect_exit 0 ctl report "$name" "$@" --format jsonl -o "$T/$name.jsonl"
	expect_exit 0 ctl audit verify "$T/$name.jsonl" --pubkey "$STATE/device.pub"
}

# compare NAME EXPECTED_PY [CTX_FILE]: the CSV rows (apostrophes undone,
# empty = None) and the JSONL rows, as lists of dicts of strings, must equal
# the Python expression EXPECTED_PY, evaluated with `ctx` (the JSON in
# CTX_FILE) in scope.
compare() {
	py "$T/$1.csv" "$T/$1.jsonl" "$2" "${3:-/dev/null}" <<'PY'
import csv, json, sys
ctx = json.loads(open(sys.argv[4]).read() or "{}")
def undo(c):
    return None if c == "" else (c[1:] if c.startswith("'") else c)
reader = csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8"))
rows = [{k: undo(v) for k, v in r.items()} for r in reader]
def text(v):
    return None if v is None or v == "" else ("true" if v is True else "false" if v is False else str(v))
jrows = [{k: text(v) for k, v in json.loads(l).items()} for l in open(sys.argv[2], encoding="utf-8")]
want = eval(sys.argv[3])
# Columns a row leaves out are empty (None).
assert all(set(w) <= set(reader.fieldnames) for w in want), "unknown column in the expectation"
want = [{k: text(w.get(k)) for k in reader.fieldnames} for w in want]
assert rows == jrows, ("csv and jsonl differ", rows, jrows)
if rows != want:
    for i, (a, b) in enumerate(zip(rows, want)):
        if a != b:
            print("row", i, {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}, file=sys.stderr)
    sys.exit("got %d rows, expected %d:\n%s" % (len(rows), len(want), rows))
PY
}

# ---- alarms: raised, acknowledged (late), closed; and one left open ----
ctl sim door cage-1 open >/dev/null
ctl sim door cage-1 close >/dev/null
expect_exit 0 ctl alarm ack 1 --comment "pallet hit the door"
expect_exit 0 ctl alarm close 1
ctl alarm list --json >"$T/alarms.json"
report alarms
alarm_rows='[{"alarm": a["id"], "kind": a["kind"], "door": a["door"], "zone": a["zone"],
  "raised_seq": a["raised_seq"], "raised": a["raised"], "acknowledged": a["acknowledged"],
  "acknowledged_by": a["acknowledged_by"], "comment": a["comment"],
  "ack_elapsed_ms": ms(a["acknowledged"]) - ms(a["raised"]) if a["acknowledged"] else None,
  "closed": a["closed"], "closed_by": a["closed_by"], "state": a["state"], "ack_late": LATE}
  for a in ctx]'
ms_py='(lambda ms: '"$alarm_rows"')(lambda t: int(__import__("datetime").datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=__import__("datetime").timezone.utc).timestamp() * 1000 + 0.5))'
compare alarms "${ms_py//LATE/True}" "$T/alarms.json"
n=$(py "$T/alarms.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
assert [x["state"] for x in a] == ["closed", "open"] and a[0]["acknowledged_by"] == "uid:0", a
print(len(a))
PY
)
[ "$n" = 2 ] || fail "expected two alarms"
pass "alarms report: raised/acknowledged/closed with operators; all late against a 1 ms limit"

# The same alarms against a 24 hour limit: none is late.
stop_daemon
cp "$T/base.ini" "$T/sim.ini"
printf '\n[audit]\nalarm_ack_limit = 1440m\n' >>"$T/sim.ini"
start_daemon "$T/sim.ini"
report alarms
compare alarms "${ms_py//LATE/False}" "$T/alarms.json"
grep -q '"alarm_ack_limit_ms": 86400000' "$T/alarms.csv.manifest.json" || fail "limit not in the manifest"
pass "alarms report against a 24 h limit flags nothing and signs the limit it used"

# ---- entitlements, leavers, validity: the personnel scenario ----
ctl level add cage-staff --zone bonded-cage --zone dock >/dev/null
ctl person add E2 --name "Bob Builder" --valid-until 2030-01-15 --level dock-staff --level cage-staff >/dev/null
ctl badge issue E2 --uid 04b20002 --valid-until 2029-12-01 >/dev/null
ctl person add E3 --name "Cy Suspended" --level cage-staff >/dev/null
ctl badge issue E3 --uid 04c30003 >/dev/null
ctl person suspend E3 >/dev/null
ctl person add E4 --name "Di Leaver" --level dock-staff >/dev/null
ctl badge issue E4 --uid 04d40004 --valid-until 2029-01-01 >/dev/null
expect_exit 0 ctl sim present dock-1-in --uid 04d40004
ctl person terminate E4 >/dev/null
expect_exit 1 ctl sim present dock-1-in --uid 04d40004 --json
a1=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["event"]["seq"])' <<<"$OUT")
expect_exit 1 ctl sim present cage-1-in --uid 04d40004 --json
a2=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["event"]["seq"])' <<<"$OUT")
ctl person add E5 --name "Ed Noboard" >/dev/null
ctl person terminate E5 >/dev/null
ctl person add E6 --name "Fay Later" --valid-until 2031-01-01 --level dock-staff >/dev/null

expect_exit 0 ctl review sign --reviewer "Carol Chief" --comment "Q4 access review: all correct" --json
review_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$OUT")
wait_event 0 review.signed
expect_contains "$EV" '"operator":"uid:0"'
expect_contains "$EV" '"reviewer":"Carol Chief"'

report entitlements --at 2029-06-01
compare entitlements '[
 dict(person="-X1", name="=HYPERLINK(\"x\",\"y\"), \"quoted\"", status="active", valid_from=None, valid_until=None, level="dock-staff", zone="dock", active_badges=1, entitled=True),
 dict(person="E1", name="Ann Example", status="active", valid_from=None, valid_until=None, level="dock-staff", zone="dock", active_badges=1, entitled=True),
 dict(person="E2", name="Bob Builder", status="active", valid_from=None, valid_until="2030-01-15T00:00:00.000Z", level="cage-staff", zone="bonded-cage", active_badges=1, entitled=True),
 dict(person="E2", name="Bob Builder", status="active", valid_from=None, valid_until="2030-01-15T00:00:00.000Z", level="cage-staff", zone="dock", active_badges=1, entitled=True),
 dict(person="E2", name="Bob Builder", status="active", valid_from=None, valid_until="2030-01-15T00:00:00.000Z", level="dock-staff", zone="dock", active_badges=1, entitled=True),
 dict(person="E3", name="Cy Suspended", status="suspended", valid_from=None, valid_until=None, level="cage-staff", zone="bonded-cage", active_badges=1, entitled=False),
 dict(person="E3", name="Cy Suspended", status="suspended", valid_from=None, valid_until=None, level="cage-staff", zone="dock", active_badges=1, entitled=False),
 dict(person="E6", name="Fay Later", status="active", valid_from=None, valid_until="2031-01-01T00:00:00.000Z", level="dock-staff", zone="dock", active_badges=0, entitled=False),
]'
py "$T/entitlements.csv.manifest.json" "$review_id" <<'PY' || fail "the review is not in the entitlements manifest"
import json, sys
st = json.load(open(sys.argv[1]))["statement"]
assert st["report"] == "entitlements" and st["params"]["at"] == "2029-06-01T00:00:00.000Z", st
rv = st["review"]
assert rv["id"] == int(sys.argv[2]) and rv["reviewer"] == "Carol Chief" and rv["comment"] == "Q4 access review: all correct" and rv["operator"] == "uid:0", rv
PY
# A year later E2's badge has expired: E2 holds the levels but cannot enter.
report entitlements --at 2030-01-01
[ "$(grep -c '^E2,.*,0,false' "$T/entitlements.csv")" = 3 ] || fail "E2 still entitled at 2030-01-01: $(cat "$T/entitlements.csv")"
pass "entitlements as of a date: zones by level, usable badges, the latest review signed in the manifest"

ctl person show E4 --json >"$T/e4.json"
ctl person show E5 --json >"$T/e5.json"
ctl events --json >"$T/events.jsonl"
report leavers
py "$T/e4.json" "$T/e5.json" "$T/events.jsonl" "$a1" "$a2" >"$T/leavers.want" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p5 = json.load(open(sys.argv[2]))
ev = {e["seq"]: e for e in map(json.loads, open(sys.argv[3]))}
a1, a2 = int(sys.argv[4]), int(sys.argv[5])
cred = p["credentials"][0]
assert cred["status"] == "revoked" and cred["revoked"] == p["terminated"], p
print(json.dumps({"t": p["terminated"], "t5": p5["terminated"], "first": ev[a1]["ts"], "last": ev[a2]["ts"], "seqs": "%d %d" % (a1, a2)}))
PY
compare leavers '[
 dict(person="E4", name="Di Leaver", terminated=ctx["t"], revoked=ctx["t"], gap_ms=0, open_badges=0, attempts_after=2, first_attempt=ctx["first"], last_attempt=ctx["last"], attempt_seqs=ctx["seqs"]),
 dict(person="E5", name="Ed Noboard", terminated=ctx["t5"], revoked=None, gap_ms=None, open_badges=0, attempts_after=0, first_attempt=None, last_attempt=None, attempt_seqs=None),
]' "$T/leavers.want"
pass "leavers: termination and revocation time, the gap, and the badge attempts after termination by seq"

ctl badge list E2 --json | python3 -c 'import json,sys; print(json.dumps({"cred": json.load(sys.stdin)[0]["id"]}))' >"$T/cred.json"
report validity --at 2030-01-01 --within 30
compare validity '[
 dict(valid_until="2029-12-01T00:00:00.000Z", state="expired", days_left=-31, type="credential", id=ctx["cred"], person="E2", name="Bob Builder", status="active", valid_from=None),
 dict(valid_until="2030-01-15T00:00:00.000Z", state="expiring", days_left=14, type="person", id="E2", person="E2", name="Bob Builder", status="active", valid_from=None),
]' "$T/cred.json"
report validity --at 2030-01-01
ids=$(py "$T/validity.csv" <<'PY'
import csv, sys
print(",".join(r["id"] + ":" + r["days_left"].lstrip("'") for r in csv.DictReader(open(sys.argv[1], newline=""))))
PY
)
[ "${ids#*,*,}" = "E6:365" ] || fail "validity without --within: $ids"
expect_exit 1 ctl report validity --from 2029-01-01 --format csv -o "$T/x.csv"
expect_contains "$ERR" "do not apply"
pass "validity: expired and expiring persons and badges, soonest first; --within bounds it; leavers and revoked badges left out"

report access-points
compare access-points '[
 dict(type="zone", name="dock", zone="dock"),
 dict(type="zone", name="bonded-cage", zone="bonded-cage"),
 dict(type="door", name="dock-1", zone="dock", door="dock-1", backend="sim", lock_type="strike", strike_time_ms=5000, held_time_ms=30000),
 dict(type="door", name="cage-1", zone="bonded-cage", door="cage-1", backend="sim", lock_type="maglock", strike_time_ms=5000, held_time_ms=30000),
 dict(type="reader", name="dock-1-in", zone="dock", door="dock-1", reader_type="sim", direction="in", formats="h10301 h10302 h10304 h10306 c1k35 c1k48"),
 dict(type="reader", name="cage-1-in", zone="bonded-cage", door="cage-1", reader_type="sim", direction="in", formats="h10301 h10302 h10304"),
]'
pass "access-points: zones, doors and readers as configured"

# ---- admin and devices: event reports ----
report admin
py "$T/admin.csv" <<'PY' || fail "admin report rows"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
undo = lambda c: c[1:] if c.startswith("'") else c
got = [(r["kind"], undo(r["person"]) or None, json.loads(r["detail"]).get("operator")) for r in rows]
want = [("level.added", None, "uid:0"), ("person.added", "E1", "uid:0"), ("person.added", "-X1", "uid:0"),
        ("badge.issued", "E1", "uid:0"), ("badge.issued", "-X1", "uid:0"),
        ("alarm.acknowledged", None, "uid:0"), ("alarm.closed", None, "uid:0"),
        ("level.added", None, "uid:0"), ("person.added", "E2", "uid:0"), ("badge.issued", "E2", "uid:0"),
        ("person.added", "E3", "uid:0"), ("badge.issued", "E3", "uid:0"), ("person.suspended", "E3", "uid:0"),
        ("person.added", "E4", "uid:0"), ("badge.issued", "E4", "uid:0"), ("person.terminated", "E4", "uid:0"),
        ("person.added", "E5", "uid:0"), ("person.terminated", "E5", "uid:0"), ("person.added", "E6", "uid:0"),
        ("review.signed", None, "uid:0")]
assert got == want, "\n".join(map(str, got))
for r in rows:
    d = json.loads(r["detail"])
    if r["kind"] in ("person.suspended", "person.terminated"):
        assert "before" in d and "after" in d, r
PY
pass "admin report: every change in order, each naming its operator, with before/after"

report devices
py "$T/devices.csv" <<'PY' || fail "devices report rows"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
kinds = [r["kind"] for r in rows]
assert kinds == ["system.start", "system.stop", "system.start"], kinds
for r in rows:
    if r["kind"] == "system.start":
        assert json.loads(r["detail"])["clock_synced"] in (True, False), r
PY
pass "devices report: the controller's starts (each saying whether the clock was synchronized) and its stop"

stop_daemon
pass "aeogated stops cleanly"
