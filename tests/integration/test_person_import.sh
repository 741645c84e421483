#!/bin/bash
# Issue 13.5 (bulk enrolment): `aeogatectl person import FILE.csv` is all or
# nothing. Every bad row is reported as FILE:LINE: column: reason (unknown
# level, malformed date, an id or a badge twice in the file, a badge held
# by another person or the same frame as one, bad UTF-8, too many columns)
# and then nothing is committed (exit 1); the fixed file commits every row
# with its events (operator, before/after); --dry-run says what would
# change and commits nothing; export -> import is unchanged and writes no
# event; RFC 4180 quoting (commas, quotes, line breaks) keeps line numbers
# right; an empty file, a header alone and a header without id are refused
# clearly; an import cut off before its commit leaves nothing behind. The
# rows are applied in slices: a badge read and an exit button during a big
# import are decided before it ends, changes to people meanwhile are
# refused, an import whose client leaves after the commit is applied all
# the same, and one that aeogated's stop cuts short says how far it got.
source "$(dirname "$0")/lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
ctl level add cage --zone bonded-cage >/dev/null
ctl level add dock --zone dock >/dev/null
# Already enrolled: the HR file updates him, and two of his badges are not the file's to give.
ctl person add E9000 --name "Old Name" --level dock >/dev/null
ctl badge issue E9000 --wiegand h10301:12:9000 >/dev/null
ctl badge issue E9000 --wiegand h10302:0:524290 >/dev/null
HEADER=id,name,valid_from,valid_until,levels,credentials,vetting_status,vetting_checked,vetting_recheck_due,vetting_reference

# ---- a file with bad rows: each reported, nothing committed ----
{
	echo "$HEADER"
	echo 'E1001,Ann Able,2026-01-01,2030-12-31,cage;dock,h10301:12:1001,cleared,2026-01-05,2099-01-05,CASE-1'
	echo 'E1002,Bo Bad Level,,,nowhere,,,,,'
	echo 'E1003,Cy Bad Date,,2026-02-30,dock,,,,,'
	echo 'E1001,Ann Twice,,,,,,,,'
	echo 'E1004,Dee Taken,,,dock,h10301:12:9000,,,,'
	printf 'E1005,Eve \xff Bytes,,,,,,,,\n'
	echo 'E1006,Fay Wide,,,,,,,,,extra'
	echo 'E1007,Gus Twin,,,cage,h10304:1:2,,,,'
	echo 'E1008,Hal Frame,,,cage,h10302:0:524291,,,,'
	echo 'E1009,Ida Frame,,,cage,h10304:1:3,,,,'
	echo 'E9000,New Name,,,dock,h10301:12:9001,,,,'
} >"$T/bad.csv"
before=$(last_seq)
expect_exit 1 ctl person import "$T/bad.csv"
B="$T/bad.csv"
expect_contains "$ERR" "$B:3: levels: no level 'nowhere'"
expect_contains "$ERR" "$B:4: valid_until: '2026-02-30' is not a date"
expect_contains "$ERR" "$B:5: id: 'E1001' is also on line 2"
expect_contains "$ERR" "$B:6: credentials: h10301:12:9000 is held by another person, 'E9000'"
expect_contains "$ERR" "$B:7: name: not valid UTF-8"
expect_contains "$ERR" "$B:8: row: too many columns: 11, the header has 10"
expect_contains "$ERR" "$B:9: credentials: h10304:1:2 is the same frame as h10302:0:524290, issued to 'E9000'"
expect_contains "$ERR" "$B:11: credentials: h10304:1:3 is the same frame as h10302:0:524291 (person 'E1008'"
expect_contains "$ERR" "8 of 11 rows are bad; nothing committed"
expect_not_contains "$ERR" "$B:2:"
expect_not_contains "$ERR" "$B:12:"
[ "$(last_seq)" -eq "$before" ] || fail "a refused import wrote events: $(events_after "$before")"
expect_exit 1 ctl person show E1001
expect_contains "$(ctl person show E9000)" "Old Name"
pass "every bad row is reported as FILE:LINE: column: reason; nothing is committed, exit 1"

expect_exit 1 ctl person import "$T/bad.csv" --dry-run
expect_contains "$OUT" "added 2, updated 1, unchanged 0, badges 3 (dry run: nothing committed)"
expect_contains "$ERR" "$B:3: levels: no level 'nowhere'"
[ "$(last_seq)" -eq "$before" ] || fail "a dry run wrote events"
pass "--dry-run reports the same errors and the good rows' changes, commits nothing"

# ---- the fixed file: every row committed, each change an event ----
{
	echo "$HEADER"
	echo 'E1001,Ann Able,2026-01-01,2030-12-31,cage;dock,h10301:12:1001,cleared,2026-01-05,2099-01-05,CASE-1'
	echo 'E1002,Bo Level,,,dock,,,,,'
	echo 'E1003,Cy Date,,2026-02-28,dock,,,,,'
	echo 'E1004,Dee Badge,,,dock,h10301:12:1004;uid:04A1B2C3,,,,'
	echo 'E1005,Eve Bytes é,,,,,,,,'
	echo 'E9000,New Name,,2031-01-01,cage;dock,h10301:12:9000;h10301:12:9001,pending,2026-03-01,2026-09-01,'
} >"$T/good.csv"
expect_exit 0 ctl person import "$T/good.csv" --dry-run
expect_contains "$OUT" "added 5, updated 1, unchanged 0, badges 4 (dry run: nothing committed)"
[ "$(last_seq)" -eq "$before" ] || fail "a dry run wrote events"
expect_exit 1 ctl person show E1002
pass "--dry-run of a good file: what would change, nothing committed"

expect_exit 0 ctl person import "$T/good.csv"
expect_contains "$OUT" "added 5, updated 1, unchanged 0, badges 4"
ev=$(events_after "$before")
[ "$(grep -cE "$(kind_re person.added)" <<<"$ev")" -eq 5 ] || fail "person.added events: $ev"
[ "$(grep -cE "$(kind_re person.updated)" <<<"$ev")" -eq 1 ] || fail "person.updated events: $ev"
[ "$(grep -cE "$(kind_re badge.issued)" <<<"$ev")" -eq 4 ] || fail "badge.issued events: $ev"
[ "$(grep -cE "$(kind_re person.vetted)" <<<"$ev")" -eq 2 ] || fail "person.vetted events: $ev"
upd=$(grep -E "$(kind_re person.updated)" <<<"$ev")
echo "$upd" | grep -qE '"before": ?\{[^}]*"name": ?"Old Name"' || fail "person.updated before: $upd"
echo "$upd" | grep -qE '"after": ?\{[^}]*"name": ?"New Name"' || fail "person.updated after: $upd"
echo "$upd" | grep -qE '"after": ?\{[^}]*"levels": ?\["cage", ?"dock"\]' || fail "person.updated levels: $upd"
expect_contains "$upd" '"operator"'
vet=$(grep -E "$(kind_re person.vetted)" <<<"$ev" | grep E9000)
echo "$vet" | grep -qE '"before": ?null' || fail "person.vetted before: $vet"
echo "$vet" | grep -qE '"status": ?"pending"' || fail "person.vetted after: $vet"
expect_contains "$(grep -E "$(kind_re badge.issued)" <<<"$ev")" 'uid:04a1b2c3'
expect_contains "$(ctl person show E1001)" "cage"
expect_contains "$(ctl person show E1005 --json)" 'Eve Bytes é'
expect_contains "$(ctl badge list E9000)" "h10301:12:9001"
pass "the fixed file commits every row: person.added/updated (before/after), badge.issued, person.vetted, with operator"

# The imported badge opens the cage at once (levels and vetting as the file says).
expect_exit 0 ctl sim present cage-1-in --bits "$(h10301_bits 12 1001)"
pass "an imported person's badge is granted on the next read"

# ---- export -> import: unchanged, no event ----
expect_exit 0 ctl person export "$T/export.csv"
expect_contains "$OUT" "6 persons"
head -n 1 "$T/export.csv" | tr -d '\r' | matches -x "$HEADER" || fail "export header: $(head -n 1 "$T/export.csv")"
grep -q '^E9000,New Name,,2031-01-01,cage;dock,' "$T/export.csv" || fail "export row: $(cat "$T/export.csv")"
before=$(last_seq)
expect_exit 0 ctl person import "$T/export.csv"
expect_contains "$OUT" "added 0, updated 0, unchanged 6, badges 0"
[ "$(last_seq)" -eq "$before" ] || fail "an unchanged import wrote events: $(events_after "$before")"
pass "export -> import reports unchanged 6 and writes no event"

# An edit round-trips: a level taken away in the file is taken away, recorded.
sed -i 's/^E1001,Ann Able,\(.*\),cage;dock,/E1001,Ann Able,\1,dock,/' "$T/export.csv"
expect_exit 0 ctl person import "$T/export.csv"
expect_contains "$OUT" "added 0, updated 1, unchanged 5, badges 0"
upd=$(events_after "$before" | grep -E "$(kind_re person.updated)")
echo "$upd" | grep -qE '"after": ?\{"levels": ?\["dock"\]\}' || fail "level removal: $upd"
pass "export -> edit -> import applies the edit as one person.updated"

# ---- RFC 4180 quoting: commas, quotes, line breaks; line numbers stay right ----
printf 'name,id,levels\r\n"Smith, ""Jo""",Q1,"cage;\r\ndock"\r\n"Broken\r\nName",Q2,dock\r\n\r\nLast,Q3,"no such"\r\n' >"$T/quoted.csv"
expect_exit 1 ctl person import "$T/quoted.csv"
expect_contains "$ERR" "$T/quoted.csv:4: name: contains control characters"
expect_contains "$ERR" "$T/quoted.csv:7: levels: 'no such' is not a level name"
expect_not_contains "$ERR" "quoted.csv:2:"
printf 'name,id,levels\r\n"Smith, ""Jo""",Q1,"cage;\r\ndock"\r\n' >"$T/quoted.csv"
expect_exit 0 ctl person import "$T/quoted.csv"
expect_contains "$(ctl person show Q1 --json)" '"name": "Smith, \"Jo\""'
expect_contains "$(ctl person show Q1)" "cage"
# A column the file does not have is left alone: Q1's levels stay, its name changes.
printf 'id,name\nQ1,Jo Smith\n' >"$T/names.csv"
expect_exit 0 ctl person import "$T/names.csv"
expect_contains "$OUT" "updated 1"
expect_contains "$(ctl person show Q1 --json)" '"levels": ['
expect_contains "$(ctl person show Q1)" "dock"
pass "quoted fields with commas, quotes and line breaks; line numbers count the file's lines"

# ---- the file's shape ----
: >"$T/empty.csv"
expect_exit 1 ctl person import "$T/empty.csv"
expect_contains "$ERR" "empty file: a header row is required"
echo "$HEADER" >"$T/header.csv"
expect_exit 1 ctl person import "$T/header.csv"
expect_contains "$ERR" "no rows after the header"
printf 'name,levels\nAnn,dock\n' >"$T/noid.csv"
expect_exit 1 ctl person import "$T/noid.csv"
expect_contains "$ERR" "$T/noid.csv:1: id: required column missing"
printf 'id,name,colour\nX1,Ann,red\n' >"$T/unknown.csv"
expect_exit 1 ctl person import "$T/unknown.csv"
expect_contains "$ERR" "$T/unknown.csv:1: header: 'colour' is not a column"
printf 'id,name\nX1,Ann "Q" Lee\n' >"$T/stray.csv"
expect_exit 1 ctl person import "$T/stray.csv"
expect_contains "$ERR" "$T/stray.csv:2: row: not RFC 4180 CSV"
expect_exit 1 ctl person import "$T/does-not-exist.csv"
expect_contains "$ERR" "cannot open"
expect_exit 2 ctl person import
expect_exit 2 ctl person import a.csv b.csv
expect_exit 2 ctl person export
expect_exit 1 ctl person show X1
pass "empty file, header only, no id column, unknown column, stray quote: clear errors, exit 1"

# ---- an import cut off half-way leaves nothing ----
before=$(last_seq)
python3 - "$SOCK" <<'PY' || fail "the raw import session failed"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
def call(i, op, args):
    f.write(json.dumps({"id": i, "op": op, "args": args}) + "\n"); f.flush()
    r = json.loads(f.readline())
    assert r["ok"], r
    return r["result"]
call(1, "person.import_begin", {"columns": ["id", "name"]})
r = call(2, "person.import_rows", {"rows": [{"line": 2, "id": "CUT1", "name": "Cut Off"}]})
assert r["bad"] == 0, r
s.close()  # gone before the commit
PY
expect_exit 1 ctl person show CUT1
[ "$(last_seq)" -eq "$before" ] || fail "a cut-off import wrote events"
pass "an import whose connection closes before the commit commits nothing"
# ---- the records change between the check and the commit ----
# A change meanwhile that does not touch the file's rows: committed, checked again.
# One that makes a row wrong (its badge issued to someone else): refused, nothing committed.
python3 - "$SOCK" "$AEOGATECTL" <<'PY' || fail "import across a concurrent change"
import json, socket, subprocess, sys
sock, ctl = sys.argv[1], sys.argv[2]
def session():
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    f = s.makefile("rw")
    n = [0]
    def call(op, args=None):
        n[0] += 1
        f.write(json.dumps({"id": n[0], "op": op, "args": args or {}}) + "\n"); f.flush()
        return json.loads(f.readline())
    return s, call
def run(*args):
    subprocess.run([ctl, "--socket", sock] + list(args), check=True, stdout=subprocess.DEVNULL)
s, call = session()
assert call("person.import_begin", {"columns": ["id", "name", "levels"]})["ok"]
r = call("person.import_rows", {"rows": [{"line": 2, "id": "C1", "name": "Cee One", "levels": "dock"},
                                         {"line": 3, "id": "C2", "name": "Cee Two", "levels": "dock"}]})
assert r["ok"] and r["result"]["bad"] == 0, r
run("person", "add", "OTHER", "--name", "Someone Else")
r = call("person.import_commit")
assert r["ok"] and r["result"]["added"] == 2, r
s.close()
s, call = session()
assert call("person.import_begin", {"columns": ["id", "name", "credentials"]})["ok"]
r = call("person.import_rows", {"rows": [{"line": 2, "id": "C3", "name": "Cee Three", "credentials": ""},
                                         {"line": 3, "id": "C4", "name": "Cee Four",
                                          "credentials": "h10301:12:4444"}]})
assert r["ok"] and r["result"]["bad"] == 0, r
run("badge", "issue", "OTHER", "--wiegand", "h10301:12:4444")
r = call("person.import_commit")
assert not r["ok"] and r["error"]["code"] == "failed_precondition", r
assert "line 3: credentials: h10301:12:4444 is held by another person, 'OTHER'" in r["error"]["message"], r
s.close()
PY
expect_contains "$(ctl person show C2)" "Cee Two"
expect_exit 1 ctl person show C3
expect_exit 1 ctl person show C4
pass "rows are checked again at the commit: a change meanwhile is kept, a conflicting one refuses the import"

# ---- a big import: badge reads are decided while its rows are applied ----
# The rows are applied in slices with the loop deciding in between: a read
# presented once the import's first slice is published is decided (and
# stored) before the import's last row is, an exit button is handled too,
# a change to people meanwhile is refused naming the import, and the
# import is still complete. Order, not time: the event chain says which
# came first.
ctl person add PROBE --name "Probe" --level dock >/dev/null
ctl badge issue PROBE --wiegand h10301:200:1 >/dev/null
BIG=20000
python3 - "$T/big.csv" "$BIG" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("id,name,levels,credentials\n")
    for i in range(int(sys.argv[2])):
        f.write("BIG%05d,Big Person %d,dock,h10301:201:%d\n" % (i, i, i))
PY
before=$(last_seq)
python3 - "$SOCK" "$AEOGATECTL" "$T/big.csv" "$BIG" "$before" <<'PY' || fail "a badge read during a big import"
import json, socket, subprocess, sys
sock, ctl, path, n, before = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
class Conn:
    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(sock)
        self.f = self.s.makefile("r")
        self.i = 0
    def call(self, op, args=None):
        self.i += 1
        self.s.sendall((json.dumps({"id": self.i, "op": op, "args": args or {}}) + "\n").encode())
        return json.loads(self.f.readline())
def h10301(fc, cn):
    b = [0] + [int(x) for x in format(fc, "08b") + format(cn, "016b")] + [0]
    b[0] = sum(b[1:13]) % 2
    b[25] = 1 - sum(b[13:25]) % 2
    return "".join(map(str, b))
follow, probe, other = Conn(), Conn(), Conn()
assert follow.call("events.follow", {"since": before})["ok"]
imp = subprocess.Popen([ctl, "--socket", sock, "person", "import", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
# The import's first slice is applied once its first event is published.
while True:
    line = follow.f.readline()
    if not line:
        raise SystemExit("the event stream ended before the import applied a row")
    e = json.loads(line).get("event") or {}
    if e.get("kind") == "person.added" and (e.get("person") or "").startswith("BIG"):
        break
follow.s.close()
read = probe.call("sim.present", {"reader": "dock-1-in", "bits": h10301(200, 1)})
rex = probe.call("sim.rex", {"door": "dock-1"})
refused = other.call("person.add", {"id": "LATE", "name": "Late Comer"})
out, err = imp.communicate(timeout=280)
assert imp.returncode == 0, (imp.returncode, err)
assert "added %d, updated 0, unchanged 0, badges %d" % (n, n) in out, out
assert read["ok"] and read["result"]["granted"] and read["result"]["person"] == "PROBE", read
assert rex["ok"], rex
assert not refused["ok"] and refused["error"]["code"] == "unavailable", refused
assert "a person import is applying its rows" in refused["error"]["message"], refused
# The chain: the read and the exit button fall between the import's first and last events.
seqs, since = {}, before
added, issued, order = set(), set(), []
while True:
    r = other.call("events.list", {"since": since, "limit": 1000})
    assert r["ok"], r
    if not r["result"]:
        break
    for e in r["result"]:
        since = e["seq"]
        p = e.get("person") or ""
        if p.startswith("BIG"):
            order.append(e["seq"])
            (added if e["kind"] == "person.added" else issued).add(p)
        elif e["kind"] == "access.granted" and p == "PROBE":
            seqs["read"] = e["seq"]
        elif e["kind"] == "door.rex":
            seqs["rex"] = e["seq"]
assert len(added) == n and len(issued) == n, (len(added), len(issued))
assert read["result"]["seq"] == seqs["read"], (read, seqs)
for what in ("read", "rex"):
    assert order[0] < seqs[what] < order[-1], \
        "the %s (seq %d) was not decided while the import applied (%d..%d)" % (what, seqs[what], order[0], order[-1])
PY
expect_exit 0 ctl person add LATE --name "Late Comer"
expect_contains "$(ctl badge list BIG19999)" "h10301:201:19999"
pass "a badge read and an exit button during a $BIG-row import are decided before it ends; changes meanwhile are refused; the import is complete"

# ---- the site's lists come a page at a time, and aeogatectl walks every page ----
count_rows() {
	python3 -c 'import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(db.execute("SELECT count(*) FROM " + sys.argv[2]).fetchone()[0])' "$STATE/aeogate.db" "$1"
}
all_badges=$(count_rows credentials)
all_persons=$(count_rows persons)
[ "$all_badges" -gt 1000 ] || fail "the import left too few badges for two pages: $all_badges"
[ "$(ctl badge list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "$all_badges" ] ||
	fail "badge list did not list every badge ($all_badges)"
[ "$(ctl person list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "$all_persons" ] ||
	fail "person list did not list every person ($all_persons)"
python3 - "$SOCK" <<'PY' || fail "badge.list is not paged"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("r")
def call(i, op, args):
    s.sendall((json.dumps({"id": i, "op": op, "args": args}) + "\n").encode())
    r = json.loads(f.readline())
    assert r["ok"], r
    return r["result"]
first = call(1, "badge.list", {})
assert len(first) == 1000, len(first)
ids = [b["id"] for b in first]
assert ids == sorted(ids), "not by id"
nxt = call(2, "badge.list", {"after": ids[-1], "limit": 3})
assert len(nxt) == 3 and nxt[0]["id"] > ids[-1], nxt
PY
pass "badge list and person list walk every page; badge.list gives 1000 by id, then the page after"

# ---- the client leaves during the commit: the checked rows are applied all the same ----
python3 - "$SOCK" <<'PY' || fail "the raw import session that leaves at the commit failed"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("r")
def send(i, op, args):
    s.sendall((json.dumps({"id": i, "op": op, "args": args}) + "\n").encode())
def call(i, op, args):
    send(i, op, args)
    r = json.loads(f.readline())
    assert r["ok"], r
    return r["result"]
call(1, "person.import_begin", {"columns": ["id", "name"]})
for b in range(6):
    rows = [{"line": 2 + i, "id": "GONE%04d" % i, "name": "Gone %d" % i} for i in range(b * 500, b * 500 + 500)]
    assert call(2 + b, "person.import_rows", {"rows": rows})["bad"] == 0
send(9, "person.import_commit", {})
s.close()  # gone before the reply
PY
wait_for 120 ctl person show GONE2999 || fail "the rows of an import whose client left at the commit were not applied"
[ "$(events_after "$before" | grep -E "$(kind_re person.added)" | grep -c '"GONE')" -eq 3000 ] ||
	fail "not every row of the import whose client left was applied"
pass "an import whose client leaves after the commit is applied to its last row"

# ---- aeogated stops while an import applies: it ends between two slices ----
STOP=20000
python3 - "$T/stop.csv" "$STOP" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("id,name,levels,credentials\n")
    for i in range(int(sys.argv[2])):
        f.write("STOP%05d,Stop Person %d,dock,h10301:203:%d\n" % (i, i, i))
PY
before=$(last_seq)
python3 - "$SOCK" "$AEOGATECTL" "$T/stop.csv" "$before" "$DAEMON_PID" >"$T/stop.out" <<'PY' ||
import json, os, signal, socket, subprocess, sys
sock, ctl, path, before, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
f = s.makefile("r")
s.sendall((json.dumps({"id": 1, "op": "events.follow", "args": {"since": before}}) + "\n").encode())
assert json.loads(f.readline())["ok"]
imp = subprocess.Popen([ctl, "--socket", sock, "person", "import", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
while True:
    line = f.readline()
    if not line:
        raise SystemExit("the event stream ended before the import applied a row")
    if (json.loads(line).get("event") or {}).get("kind") == "person.added":
        break
os.kill(pid, signal.SIGTERM)
out, err = imp.communicate(timeout=280)
assert imp.returncode == 1, (imp.returncode, out, err)
print(err.strip())
PY
	fail "an import when aeogated stops: $(cat "$T/stop.out")"
rc=0
wait "$DAEMON_PID" || rc=$?
DAEMON_PID=""
[ $rc -eq 0 ] || fail "aeogated exited $rc on SIGTERM during an import"
err=$(cat "$T/stop.out")
expect_contains "$err" "unavailable: aeogated is stopping"
[[ "$err" =~ ([0-9]+)\ of\ $STOP\ rows\ applied\ \(to\ line\ ([0-9]+), ]] ||
	fail "the error does not say how many rows are applied: $err"
APPLIED=${BASH_REMATCH[1]}
[ "${BASH_REMATCH[2]}" -eq $((APPLIED + 1)) ] || fail "$APPLIED rows applied, but to line ${BASH_REMATCH[2]}"
start_daemon "$T/sim.ini"
[ "$(events_after "$before" | grep -cE "$(kind_re person.added)")" -eq "$APPLIED" ] ||
	fail "the trail does not hold the $APPLIED rows applied before the stop"
expect_exit 0 ctl person import "$T/stop.csv"
expect_contains "$OUT" "added $((STOP - APPLIED)), updated 0, unchanged $APPLIED, badges $((STOP - APPLIED))"
pass "aeogated stopping while an import applies: $APPLIED rows applied and said so; the same file again applies the rest"
stop_daemon
