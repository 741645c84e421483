#!/bin/bash
# Audit exports: CSV and JSONL agree field by field (read back with Python's
# csv module), verify offline in another directory with only the public key,
# and every kind of tampering fails verification naming the right seq.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
seed_audit_scenario

expect_exit 0 ctl audit pubkey
expect_contains "$OUT" "key_id"
printf '%s\n' "$OUT" >"$T/key.pub"
KEYID=$(printf '%s\n' "$OUT" | awk '$1 == "key_id" {print $2}')
[ "$(stat -c %a "$STATE/device.key")" = 600 ] || fail "device.key is not 0600"
pass "the device key exists (0600) and audit pubkey prints it with id $KEYID"

expect_exit 0 ctl audit export --format csv -o "$T/all.csv"
expect_exit 0 ctl audit export --format jsonl -o "$T/all.jsonl"
[ -s "$T/all.csv.manifest.json" ] && [ -s "$T/all.jsonl.manifest.json" ] || fail "no manifests"
expect_exit 0 ctl audit verify "$T/all.csv" --pubkey "$T/key.pub"
expect_contains "$OUT" "ok:"
expect_exit 0 ctl audit verify "$T/all.jsonl" --pubkey "$T/key.pub"
pass "unfiltered CSV and JSONL exports verify"

# Done when: copied elsewhere with the public key, it verifies there, offline.
mkdir "$T/auditor"
cp "$T/all.csv" "$T/all.csv.manifest.json" "$T/auditor/"
cp "$STATE/device.pub" "$T/auditor/device.pub"
stop_daemon
expect_exit 0 "$AEOGATECTL" --socket /nonexistent audit verify "$T/auditor/all.csv" \
	--pubkey "$T/auditor/device.pub"
expect_contains "$OUT" "key $KEYID"
pass "a copy verifies in another directory with the daemon stopped"

# Flip one byte inside row 5 (its kind): verification names seq 5.
py "$T/auditor/all.csv" <<'PY'
import sys
p = sys.argv[1]
data = bytearray(open(p, "rb").read())
lines = data.split(b"\r\n")
row = lines[5]                      # header is line 0, seq 5 is line 5
i = row.index(b",", row.index(b",") + 1) + 1   # first byte of the kind cell
row[i] ^= 0x01
lines[5] = row
open(p, "wb").write(b"\r\n".join(lines))
PY
expect_exit 1 "$AEOGATECTL" audit verify "$T/auditor/all.csv" --pubkey "$T/auditor/device.pub"
expect_contains "$ERR" "seq 5:"
pass "one flipped byte fails verification with its seq: $ERR"
start_daemon "$T/sim.ini"

# CSV and JSONL hold the same rows, field by field.
py "$T/all.csv" "$T/all.jsonl" <<'PY' || fail "CSV and JSONL differ"
import csv, json, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
with open(sys.argv[2], encoding="utf-8") as f:
    objs = [json.loads(l) for l in f]
assert len(rows) == len(objs) and rows, (len(rows), len(objs))
def undo(cell):
    # The exporter put one apostrophe before a cell starting with = + - @ TAB CR or '.
    return cell[1:] if cell.startswith("'") else cell
seen_neutralized = False
for r, o in zip(rows, objs):
    for k, v in r.items():
        if v.startswith("'"):
            seen_neutralized = True
            assert v[1] in "=+-@\t\r'", v
        v = undo(v)
        ov = o.get(k)
        if k == "seq":
            assert int(v) == ov, (k, v, ov)
        elif k == "detail":
            assert (json.loads(v) if v else None) == ov, (k, v, ov)
        else:
            assert (v if v != "" else None) == ov, (k, v, ov)
assert seen_neutralized, "the person -X1 should have been neutralized"
print("compared", len(rows), "rows")
PY
pass "CSV read back with Python's csv module equals the JSONL export field by field"

# A filtered export: only E1's access events, still proven genuine and complete.
expect_exit 0 ctl audit export --person E1 --kind 'access.*' --format csv -o "$T/e1.csv"
expect_exit 0 ctl audit verify "$T/e1.csv" --pubkey "$T/key.pub"
n=$(py "$T/e1.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert all(r["person"] == "E1" and r["kind"].startswith("access.") for r in rows), rows
print(len(rows))
PY
)
[ "$n" -eq 2 ] || fail "E1 made 2 access events, the export has $n"
pass "a filtered export verifies and holds exactly the matching rows"

# ---- tampering with exports ----
# tamper NAME SRC PYTHON: copies SRC (and its manifest) to $T/tamper/NAME.csv
# and runs PYTHON on the copy's rows (a list of csv rows, header first).
tamper() {
	local name=$1 src=$2 code=$3
	mkdir -p "$T/tamper"
	cp "$src" "$T/tamper/$name.csv"
	cp "$src.manifest.json" "$T/tamper/$name.csv.manifest.json"
	py "$T/tamper/$name.csv" "$code" <<'PY'
import csv, sys
p, code = sys.argv[1], sys.argv[2]
rows = list(csv.reader(open(p, newline="")))
exec(code)
with open(p, "w", newline="") as f:
    csv.writer(f, lineterminator="\r\n").writerows(rows)
PY
}

# expect_bad NAME SEQ: verification fails and names SEQ.
expect_bad() {
	expect_exit 1 ctl audit verify "$T/tamper/$1.csv" --pubkey "$T/key.pub"
	expect_contains "$ERR" "seq $2:"
	pass "tampered export ($1) fails at seq $2: ${ERR#*: }"
}

tamper untouched "$T/all.csv" 'pass'
expect_exit 0 ctl audit verify "$T/tamper/untouched.csv" --pubkey "$T/key.pub"
pass "rewriting the CSV with Python's csv writer keeps it verifiable"

tamper alter "$T/all.csv" 'rows[8][8] = "no_access"'            # seq 8: reason
expect_bad alter 8
tamper delete "$T/all.csv" 'del rows[6]'                         # seq 6 gone
expect_bad delete 6
tamper insert "$T/all.csv" 'rows.insert(7, list(rows[6]))'       # seq 6 twice
expect_bad insert 6
tamper swap "$T/all.csv" 'rows[4], rows[5] = rows[5], rows[4]'   # seq 4 and 5
expect_bad swap 4
last=$(($(wc -l <"$T/all.csv") - 1))
tamper truncate "$T/all.csv" 'del rows[-2:]'
expect_bad truncate $((last - 1))
tamper fdelete "$T/e1.csv" 'del rows[1]'                         # filtered: drop E1's first row
second=$(py "$T/e1.csv" <<'PY'
import csv, sys
print(list(csv.reader(open(sys.argv[1], newline="")))[2][0])
PY
)
expect_bad fdelete "$second"

tamper manifest "$T/all.csv" 'pass'
sed -i 's/"rows": [0-9]*/"rows": 3/' "$T/tamper/manifest.csv.manifest.json"
expect_exit 1 ctl audit verify "$T/tamper/manifest.csv" --pubkey "$T/key.pub"
expect_contains "$ERR" "manifest signature does not verify"
pass "an edited manifest fails its signature"

# Another device (its own key) signs an export of its own: not ours.
mkdir -p "$T/other"
daemon_on "$T/other" "$T/other.sock"
"$AEOGATECTL" --socket "$T/other.sock" audit export --format csv -o "$T/other.csv" >/dev/null
daemon_off
expect_exit 0 ctl audit verify "$T/other.csv" # consistent with the key it names...
expect_exit 1 ctl audit verify "$T/other.csv" --pubkey "$T/key.pub" # ...but not ours
expect_contains "$ERR" "signed by another device"
# Our manifest's signature spliced onto theirs fails too.
py "$T/other.csv.manifest.json" "$T/all.csv.manifest.json" <<'PY'
import json, sys
theirs, ours = (json.load(open(p)) for p in sys.argv[1:])
theirs["public_key"] = ours["public_key"]
json.dump(theirs, open(sys.argv[1], "w"))
PY
expect_exit 1 ctl audit verify "$T/other.csv" --pubkey "$T/key.pub"
expect_contains "$ERR" "signature does not verify"
pass "an export signed with another key fails against ours"

stop_daemon
pass "aeogated stops cleanly"
