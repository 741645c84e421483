#!/bin/bash
# Storage fails while a person import applies its rows (README "Bulk
# enrolment"): the state directory on a small tmpfs that a big import
# cannot fit. Checking is all or nothing, applying is in slices: the slice
# the disk filled up in is rolled back and the import stops there, exit 1,
# saying how many rows are applied and up to which line; exactly those
# rows are in the records, each with its events in the trail, and the
# chain verifies. Once there is room, importing the same file again
# applies the rest, and the rows applied before come out unchanged.
# Needs root for the mount; anyone else gets CTest's skip (exit 77).
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "skip: mounting a tmpfs needs root"
	exit 77
fi

STATE="$T/small"
mkdir -p "$STATE"
mount -t tmpfs -o size=8m,mode=0750 aeogate-import-fault "$STATE" || fail "cannot mount a tmpfs"
umount_state() {
	local rc=$?
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
		DAEMON_PID=""
	fi
	umount "$STATE" 2>/dev/null || umount -l "$STATE" 2>/dev/null || true
	(exit $rc)
	cleanup
}
trap umount_state EXIT

write_sim_config
# No reserve: the disk fills up for the import as it would for anything.
sed -i "/^\[controller\]/a storage_reserve = 0" "$T/sim.ini"
start_daemon "$T/sim.ini"
ctl level add dock --zone dock >/dev/null

# 20 000 people with a badge each: some 30 MB of records and events, on 8 MiB.
ROWS=20000
python3 - "$T/big.csv" "$ROWS" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("id,name,levels,credentials\n")
    for i in range(int(sys.argv[2])):
        f.write("FULL%05d,Full Person %d,dock,h10301:202:%d\n" % (i, i, i))
PY
before=$(last_seq)
expect_exit 1 ctl person import "$T/big.csv"
expect_contains "$ERR" "unavailable: storage is failing (No space left on device)"
expect_contains "$ERR" "import the same file again to apply the rest"
[[ "$ERR" =~ ([0-9]+)\ of\ $ROWS\ rows\ applied\ \(to\ line\ ([0-9]+), ]] ||
	fail "the error does not say how many rows are applied: $ERR"
APPLIED=${BASH_REMATCH[1]}
LINE=${BASH_REMATCH[2]}
[ "$APPLIED" -gt 0 ] && [ "$APPLIED" -lt "$ROWS" ] || fail "applied $APPLIED of $ROWS: the disk did not fill up half-way"
[ "$LINE" -eq $((APPLIED + 1)) ] || fail "$APPLIED rows applied, but to line $LINE"
pass "the disk fills up while applying: exit 1, $APPLIED of $ROWS rows applied, to line $LINE"

# Exactly the file up to that line: the last row applied is there, the next is not.
last=$(printf 'FULL%05d' $((APPLIED - 1)))
next=$(printf 'FULL%05d' "$APPLIED")
expect_exit 0 ctl person show "$last"
expect_exit 1 ctl person show "$next"
ev=$(events_after "$before")
[ "$(grep -cE "$(kind_re person.added)" <<<"$ev")" -eq "$APPLIED" ] ||
	fail "person.added events: $(grep -cE "$(kind_re person.added)" <<<"$ev"), rows applied: $APPLIED"
[ "$(grep -cE "$(kind_re badge.issued)" <<<"$ev")" -eq "$APPLIED" ] ||
	fail "badge.issued events: $(grep -cE "$(kind_re badge.issued)" <<<"$ev"), rows applied: $APPLIED"
pass "the rows applied are the file up to line $LINE, each with its person.added and badge.issued"

# Room again: the same file applies the rest; the rows applied before are unchanged.
mount -o remount,size=256m "$STATE" || fail "cannot grow the tmpfs"
expect_exit 0 ctl person import "$T/big.csv"
expect_contains "$OUT" "added $((ROWS - APPLIED)), updated 0, unchanged $APPLIED, badges $((ROWS - APPLIED))"
expect_exit 0 ctl person show "$next"
expect_exit 0 ctl person show "$(printf 'FULL%05d' $((ROWS - 1)))"
[ "$(events_after "$before" | grep -cE "$(kind_re person.added)")" -eq "$ROWS" ] ||
	fail "after the second import, not one person.added per row"
expect_exit 0 ctl audit verify --live
pass "the same file imported again applies the rest ($((ROWS - APPLIED)) added, $APPLIED unchanged); the chain verifies"
stop_daemon
