#!/bin/bash
# Issue 13.1 (clearance): a manager marks a zone vetting-required; a person
# without a cleared record is denied vetting_required, one whose re-check
# date has passed vetting_overdue, a cleared one is granted; the zone
# setting and every vetting record are in the admin trail with operator
# and before/after, and take effect on the next read without a restart.
source "$(dirname "$0")/lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
ctl level add cage --zone bonded-cage --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level cage >/dev/null
ctl badge issue E1001 --wiegand h10301:12:1001 >/dev/null
BITS=$(h10301_bits 12 1001)

expect_exit 0 ctl sim present cage-1-in --bits "$BITS"
pass "before any zone setting the badge opens the cage"

before=$(last_seq)
expect_exit 0 ctl zone set bonded-cage --vetting required
expect_contains "$OUT" "required"
ev=$(events_after "$before" | grep -E "$(kind_re zone.updated)")
echo "$ev" | grep -qE '"before": ?\{"vetting": ?"none"\}' || fail "zone.updated before: $ev"
echo "$ev" | grep -qE '"after": ?\{"vetting": ?"required"\}' || fail "zone.updated after: $ev"
expect_contains "$ev" '"operator"'
expect_contains "$(ctl zone list)" "required"
expect_contains "$(ctl zone show bonded-cage --json)" '"vetting": "required"'
pass "zone set is recorded with operator and before/after, and shown by zone list and show"

expect_exit 1 ctl sim present cage-1-in --bits "$BITS"
expect_contains "$OUT" "vetting_required"
expect_exit 0 ctl sim present dock-1-in --bits "$BITS"
pass "no vetting record: denied vetting_required at the cage, the dock still opens"

expect_exit 0 ctl person vet E1001 --status pending --checked 2026-01-05 --recheck-due 2099-01-05
expect_exit 1 ctl sim present cage-1-in --bits "$BITS"
expect_contains "$OUT" "vetting_required"
pass "a pending check is not a clearance"

before=$(last_seq)
expect_exit 0 ctl person vet E1001 --status cleared --checked 2026-01-05 --recheck-due 2099-01-05 --reference CASE-2026-17
ev=$(events_after "$before" | grep -E "$(kind_re person.vetted)")
echo "$ev" | grep -qE '"before": ?\{[^}]*"status": ?"pending"' || fail "person.vetted before: $ev"
echo "$ev" | grep -qE '"after": ?\{[^}]*"status": ?"cleared"' || fail "person.vetted after: $ev"
expect_contains "$ev" "CASE-2026-17"
expect_exit 0 ctl sim present cage-1-in --bits "$BITS"
pass "cleared: granted on the next read, the record in the trail with before/after"

expect_exit 0 ctl person vet E1001 --status cleared --checked 2020-01-05 --recheck-due 2021-01-05
expect_exit 1 ctl sim present cage-1-in --bits "$BITS"
expect_contains "$OUT" "vetting_overdue"
pass "a re-check date in the past: denied vetting_overdue"

# Bad input changes nothing.
before=$(last_seq)
expect_exit 1 ctl person vet E1001 --status maybe --checked 2026-01-05 --recheck-due 2099-01-05
expect_contains "$ERR" "cleared, pending or failed"
expect_exit 1 ctl person vet E1001 --status cleared --checked 2026-02-30 --recheck-due 2099-01-05
expect_exit 1 ctl person vet E1001 --status cleared --checked 2026-01-05 --recheck-due 2025-01-05
expect_contains "$ERR" "after the check"
expect_exit 1 ctl person vet E1001 --status cleared --checked 2026-01-05 --recheck-due 2099-01-05 \
	--reference "$(printf 'x%.0s' $(seq 1 65))"
expect_exit 2 ctl person vet E1001 --status cleared
expect_exit 1 ctl zone set nowhere --vetting required
expect_contains "$ERR" "no zone"
expect_exit 1 ctl zone set bonded-cage --vetting sometimes
[ "$(last_seq)" -eq "$before" ] || fail "refused changes wrote events"
pass "bad input is refused with a clear error and changes nothing"

# The auditor's report: everyone who may enter a vetting-required zone, overdue first.
ctl person add E1002 --name "Bo Cleared" --level cage >/dev/null
ctl person add E1003 --name "Cy Dockonly" >/dev/null
ctl person vet E1002 --status cleared --checked 2026-01-05 --recheck-due 2099-01-05 >/dev/null
ctl person add E1000 --name "Al Unvetted" --level cage >/dev/null
expect_exit 0 ctl report vetting --format csv -o "$T/vetting.csv"
expect_exit 0 ctl audit verify "$T/vetting.csv"
python3 - "$T/vetting.csv" <<'PY' || fail "vetting report rows: $(cat "$T/vetting.csv")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert [r["person"] for r in rows] == ["E1001", "E1000", "E1002"], [r["person"] for r in rows]
assert list(rows[0])[:7] == ["person", "name", "status", "checked", "recheck_due", "reference", "overdue"], list(rows[0])
assert rows[0]["overdue"] == "true" and rows[0]["status"] == "cleared", rows[0]
assert rows[1]["status"] == "" and rows[1]["overdue"] == "false", rows[1]
assert rows[2]["overdue"] == "false" and rows[2]["name"] == "Bo Cleared", rows[2]
PY
pass "report vetting: signed, verifies, overdue first, then by person, the unvetted holder included"

stop_daemon
start_daemon "$T/sim.ini"
expect_exit 1 ctl sim present cage-1-in --bits "$BITS"
expect_contains "$OUT" "vetting_overdue"
expect_exit 0 ctl zone set bonded-cage --vetting none
expect_exit 0 ctl sim present cage-1-in --bits "$BITS"
stop_daemon
pass "settings survive a restart; vetting none lifts the rule"
