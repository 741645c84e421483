#!/bin/bash
# Exports show the person's name beside the id (issue 17, part 3): a
# person_name column after export_chain, read from the people table when the
# file is written and never part of an event. The files verify with
# aeogatectl, the JSONL chain recomputes with Python following the README's
# recipe (person_name and export_chain left out), a rename shows in the next
# export without touching the chain, an edited name does not break
# verification (it is outside the signed content, as documented), and a file
# without the column (written before it existed) verifies as before.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
seed_audit_scenario
expect_exit 0 ctl audit pubkey
printf '%s\n' "$OUT" >"$T/key.pub"

expect_exit 0 ctl audit export --format csv -o "$T/a.csv"
expect_exit 0 ctl audit export --format jsonl -o "$T/a.jsonl"
expect_exit 0 ctl audit verify "$T/a.csv" --pubkey "$T/key.pub"
expect_exit 0 ctl audit verify "$T/a.jsonl" --pubkey "$T/key.pub"
pass "CSV and JSONL exports with names verify"

py "$T/a.csv" "$T/a.jsonl" <<'PY' || fail "person_name is not what the people table holds"
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head = rows[0]
assert head[-2:] == ["export_chain", "person_name"], head
byid = {}
for r in rows[1:]:
    d = dict(zip(head, r))
    if d["person"]:
        byid.setdefault(d["person"], set()).add(d["person_name"])
    else:
        assert d["person_name"] == "", d
# E1's rows name Ann; -X1's name (a formula, quoted) is escaped like any cell.
assert byid["E1"] == {"Ann Example"}, byid
assert byid["'-X1"] == {"'=HYPERLINK(\"x\",\"y\"), \"quoted\""}, byid
lines = [json.loads(l) for l in open(sys.argv[2])]
named = [l for l in lines if l.get("person") == "E1"]
assert named and all(l["person_name"] == "Ann Example" for l in named), named
assert all("person_name" not in l for l in lines if not l.get("person"))
PY
pass "person_name holds each row's name (CSV escaped, JSONL only where a person is named)"

# The README's recipe: hash = SHA-256(prev || canonical JSON without prev,
# hash, export_chain and person_name).
chain_py() {
	py "$1" <<'PY'
import hashlib, json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines
for o in lines:
    body = {k: v for k, v in o.items() if k not in ("prev", "hash", "export_chain", "person_name")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    h = hashlib.sha256(bytes.fromhex(o["prev"]) + text.encode()).hexdigest()
    assert h == o["hash"], (o["seq"], h, o["hash"])
for a, b in zip(lines, lines[1:]):
    assert b["prev"] == a["hash"] and b["seq"] == a["seq"] + 1
PY
}
chain_py "$T/a.jsonl" || fail "the JSONL export does not verify with Python"
pass "Python recomputes every hash of the named JSONL export"

# Names are read when the file is written: a rename shows in the next export.
expect_exit 0 ctl person set E1 --name "Ann Renamed"
expect_exit 0 ctl audit export --person E1 --kind 'access.*' --format csv -o "$T/e1.csv"
expect_exit 0 ctl audit verify "$T/e1.csv" --pubkey "$T/key.pub"
n=$(py "$T/e1.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert rows and all(r["person_name"] == "Ann Renamed" for r in rows), rows
print(len(rows))
PY
) || fail "the filtered export does not show the new name"
pass "after a rename, a filtered export of E1's $n access rows shows the new name and verifies"

# The column is outside the signed content: editing it leaves the file
# verifying (the reader is told so in the README), editing a signed cell does not.
py "$T/a.csv" "$T/edited.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
for r in rows[1:]:
    if r[-1]:
        r[-1] = "Someone Else"
csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\r\n").writerows(rows)
PY
cp "$T/a.csv.manifest.json" "$T/edited.csv.manifest.json"
expect_exit 0 ctl audit verify "$T/edited.csv" --pubkey "$T/key.pub"
py "$T/a.csv" "$T/person.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
for r in rows[1:]:
    if r[6] == "E1":
        r[6] = "E9"
        break
csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\r\n").writerows(rows)
PY
cp "$T/a.csv.manifest.json" "$T/person.csv.manifest.json"
expect_exit 1 ctl audit verify "$T/person.csv" --pubkey "$T/key.pub"
expect_contains "$OUT$ERR" "content does not match its hash"
pass "person_name is outside the hash; the person id inside it is still protected"

# A file written before person_name (13 columns) verifies as before; a row
# with a cell too few or too many is refused.
py "$T/a.csv" "$T/old.csv" "$T/ragged.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
w = lambda p, rs: csv.writer(open(p, "w", newline=""), lineterminator="\r\n").writerows(rs)
w(sys.argv[2], [r[:-1] for r in rows])
rows[3] = rows[3][:-1]
w(sys.argv[3], rows)
PY
cp "$T/a.csv.manifest.json" "$T/old.csv.manifest.json"
cp "$T/a.csv.manifest.json" "$T/ragged.csv.manifest.json"
expect_exit 0 ctl audit verify "$T/old.csv" --pubkey "$T/key.pub"
expect_exit 1 ctl audit verify "$T/ragged.csv" --pubkey "$T/key.pub"
expect_contains "$OUT$ERR" "is malformed: 13 cells"
pass "a 13-column export verifies; a ragged row is refused"

# The History page's door filter, as a signed export: only that door's rows,
# the door named in the signed filter, verifying offline; the verifier
# re-checks each row against it.
expect_exit 0 ctl audit export --door cage-1 --format csv -o "$T/door.csv"
expect_exit 0 ctl audit verify "$T/door.csv" --pubkey "$T/key.pub"
py "$T/door.csv" <<'PY' || fail "the door export holds other doors' rows"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert rows and all(r["door"] == "cage-1" for r in rows), rows
m = json.load(open(sys.argv[1] + ".manifest.json"))
assert m["statement"]["filter"]["door"] == "cage-1", m["statement"]["filter"]
PY
py "$T/a.csv.manifest.json" <<'PY' || fail "a filter without a door names one"
import json, sys
assert "door" not in json.load(open(sys.argv[1]))["statement"]["filter"]
PY
expect_exit 2 ctl audit export --door 'no such' --format csv -o "$T/bad.csv"
expect_contains "$ERR" "'door' is not an identifier"
pass "an export by door holds that door's rows only, signed with the door in its filter"

stop_daemon
pass "done"
