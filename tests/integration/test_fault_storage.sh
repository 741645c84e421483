#!/bin/bash
# Storage faults (issue 6 fault test 2, issue 10.2): the state directory on
# a small tmpfs that is then filled to the last byte.
#
#  A. With the storage reserve (a preallocated file given back the moment a
#     commit fails for lack of space): every read is still decided and
#     stored, alarm.storage is stored and in `alarm list`, the log says so,
#     status shows the reserve released and the free space; once room is
#     made the reserve is held again.
#  B. Without a reserve and storage_failure = grant: decisions go on; the
#     alarm reaches guards at once (alarm list, the follow stream, stderr),
#     every event is published live with detail.stored false; alarm.storage
#     is stored once space returns, ahead of the buffered events, in order;
#     reads beyond the buffer are counted and events_lost is exact; the
#     chain verifies.
#  C. The default storage_failure = deny: a grant that cannot be recorded is
#     refused (storage_failure) and the lock stays locked, the exit button
#     still opens; after kill -9 with events unstored, the next start
#     records system.unclean_stop with the count lost.
# Needs root for the mount; anyone else gets CTest's skip (exit 77).
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "skip: mounting a tmpfs needs root"
	exit 77
fi

EXTRA=300 # reads beyond the buffer, to overflow it
STATE="$T/small"
mkdir -p "$STATE"
mount -t tmpfs -o size=8m,mode=0750 aeogate-fault "$STATE" || fail "cannot mount a tmpfs"
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

cat >"$T/storage.py" <<'PY'
import hashlib, json, socket, sys

class Ctl:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.f = self.s.makefile("rb")
        self.i = 0
    def call(self, op, args=None):
        self.i += 1
        m = {"id": self.i, "op": op}
        if args is not None:
            m["args"] = args
        self.s.sendall((json.dumps(m) + "\n").encode())
        r = json.loads(self.f.readline())
        if not r.get("ok"):
            raise SystemExit("%s refused: %r" % (op, r))
        return r["result"]

def h10301(fc, cn):
    b = [0] + [int(x) for x in format(fc, "08b") + format(cn, "016b")] + [0]
    b[0] = sum(b[1:13]) % 2
    b[25] = 1 - sum(b[13:25]) % 2
    return "".join(map(str, b))

def present(c, n):
    """Read n: every 4th is E1001's badge (granted), the others unknown cards
    numbered n, so the stored order can be checked card by card."""
    known = n % 4 == 0
    cred = "h10301:12:1001" if known else "h10301:13:%d" % n
    r = c.call("sim.present", {"reader": "dock-1-in",
                               "bits": h10301(12, 1001) if known else h10301(13, n)})
    if r["granted"] != known or r["credential"] != cred:
        raise SystemExit("wrong decision while storage fails, read %d: %r" % (n, r))
    return r, cred

def events(c):
    since, out = 0, []
    while True:
        page = c.call("events.list", {"since": since, "limit": 1000})
        if not page:
            return out
        out.extend(page)
        since = page[-1]["seq"]

def chain_ok(evs):
    prev = "0" * 64
    for k, e in enumerate(evs):
        assert e["seq"] == k + 1, "seq gap at %d" % (k + 1)
        assert e["prev"] == prev, "chain broken at %d" % e["seq"]
        body = {x: v for x, v in e.items() if x not in ("prev", "hash")}
        canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(bytes.fromhex(prev) + canon.encode()).hexdigest() == e["hash"], \
            "hash mismatch at %d" % e["seq"]
        prev = e["hash"]

cmd, path = sys.argv[1], sys.argv[2]
c = Ctl(path)
if cmd == "fill":
    # Reads until storage has failed, then queue_max + extra more; prints state.
    n, failing = 0, []
    while not failing or len(failing) < int(sys.argv[3]):
        n += 1
        r, cred = present(c, n)
        if failing or r["event"] is None:
            failing.append(cred)
        if n > 200000:
            raise SystemExit("storage never failed after %d reads" % n)
    st = c.call("system.status")
    json.dump({"last_stored_read": n - len(failing), "failing": failing, "status": st},
              open(sys.argv[4], "w"))
    print(len(failing), st["events_queued"], st["events_lost"])
elif cmd == "stored":
    # n reads of the known badge while the disk is full: each granted AND stored.
    for n in range(int(sys.argv[3])):
        r = c.call("sim.present", {"reader": "dock-1-in", "bits": h10301(12, 1001)})
        if not r["granted"] or r["event"] is None:
            raise SystemExit("read %d with the reserve: %r" % (n, r))
    print(r["seq"] if "seq" in r else r["event"])
elif cmd == "check":
    state = json.load(open(sys.argv[3]))
    queue_max = int(sys.argv[4])
    failing = state["failing"]
    evs = events(c)
    chain_ok(evs)
    # Only what followed the scenario's start counts (earlier ones had their own alarm).
    since = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    evs = [e for e in evs if e["seq"] > since]
    kinds = [e["kind"] for e in evs]
    a = kinds.index("alarm.storage")
    assert kinds.count("alarm.storage") == 1, "alarm.storage stored %d times" % kinds.count("alarm.storage")
    assert evs[a]["reason"] == "disk_full", "alarm.storage reason %r" % evs[a]["reason"]
    kept = queue_max - 1  # the alarm takes one slot of the buffer
    stored = [e["credential"] for e in evs[a + 1:a + 1 + kept]]
    assert stored == failing[:kept], "buffered reads not stored in order"
    rec = evs[a + 1 + kept]
    assert rec["kind"] == "system.storage_recovered", "after the buffer: %r" % rec
    lost = json.loads(json.dumps(rec.get("detail") or {})).get("lost")
    want = len(failing) + 1 - queue_max
    assert lost == want, "storage_recovered says lost=%r, expected %d" % (lost, want)
    st = c.call("system.status")
    assert st["events_lost"] == want and st["events_queued"] == 0, "status after recovery: %r" % st
    # None of the lost reads (the newest ones) was stored as if it had been.
    lost_creds = set(failing[kept:]) - set(failing[:kept]) - {"h10301:12:1001"}
    assert not lost_creds & {e["credential"] for e in evs}, "a lost read is in the database"
    print(len(evs), lost)
PY

# status_field NAME: one field of `status --json`.
status_field() {
	ctl status --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# fill_disk: every byte taken (dd stops at ENOSPC).
fill_disk() {
	dd if=/dev/zero of="$STATE/ballast" bs=64k 2>/dev/null || true
	sync
}

write_sim_config
cp "$T/sim.ini" "$T/base.ini"
with_controller() {
	{ cat "$T/base.ini"; } >"$T/sim.ini"
	sed -i "/^\[controller\]/a $1" "$T/sim.ini"
	shift
	for line in "$@"; do sed -i "/^\[controller\]/a $line" "$T/sim.ini"; done
}

# ---- A. the reserve ----
with_controller "storage_reserve = 2M"
start_daemon "$T/sim.ini"
[ "$(stat -c %s "$STATE/reserve")" -eq $((2 << 20)) ] || fail "no 2 MiB reserve file in the state directory"
[ "$(status_field storage_reserve_held)" -eq $((2 << 20)) ] || fail "status does not show the reserve held"
ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1001 --wiegand h10301:12:1001 >/dev/null
expect_exit 0 ctl sim present dock-1-in --bits 00000110000000011111010010
pass "the controller runs with its state on an 8 MiB tmpfs and a 2 MiB reserve"

fill_disk
before=$(last_seq)
python3 "$T/storage.py" stored "$SOCK" 60 >/dev/null || fail "reads were not stored with the reserve released"
[ "$(status_field storage_reserve_held)" -eq 0 ] || fail "the reserve was not released"
[ "$(status_field storage_failing)" = False ] || fail "storage failing although the reserve was released"
free=$(status_field free_bytes)
[ "$free" -ge 0 ] || fail "status free_bytes: $free"
alarm=$(events_after "$before" | grep -E "$(kind_re alarm.storage)" || true)
[ "$(printf '%s\n' "$alarm" | grep -c .)" -eq 1 ] || fail "expected one stored alarm.storage, got: $alarm"
expect_contains "$alarm" "reserve_released"
expect_contains "$(ctl alarm list --open)" "alarm.storage"
grep -q "released the 2097152-byte storage reserve" "$T/aeogated.log" || fail "the log does not say the reserve was released"
pass "disk full: the reserve is given back, 60 reads granted and stored, alarm.storage stored, listed and logged"

rm -f "$STATE/ballast"
deadline=$((SECONDS + 30))
until [ "$(status_field storage_reserve_held)" -eq $((2 << 20)) ]; do
	[ $SECONDS -lt $deadline ] || fail "the reserve was not taken back within 30 s of room returning"
	sleep 0.2
done
wait_event "$before" system.storage_reserve_restored
stop_daemon
pass "room back: the reserve is held again (system.storage_reserve_restored)"

# ---- B. no reserve, storage_failure = grant: the buffer ----
with_controller "storage_reserve = 0" "storage_failure = grant"
: >"$T/aeogated.log"
start_daemon "$T/sim.ini"
[ ! -e "$STATE/reserve" ] || fail "storage_reserve = 0 left a reserve file"
QUEUE_MAX=$(status_field events_queue_max)
B_START=$(last_seq)
ctl events --follow --json --since "$(last_seq)" >"$T/follow.out" 2>&1 &
BG_PIDS+=($!)
sleep 0.3 # the follower subscribes; what it misses it reads from the store
fill_disk
out=$(python3 "$T/storage.py" fill "$SOCK" $((QUEUE_MAX + EXTRA)) "$T/fill.json") || fail "$out"
read -r n_failing queued lost <<<"$out"
[ "$queued" -eq "$QUEUE_MAX" ] || fail "events_queued is $queued with storage failing, expected $QUEUE_MAX"
[ "$lost" -eq $((n_failing + 1 - QUEUE_MAX)) ] ||
	fail "events_lost is $lost after $n_failing unstored reads (+1 alarm), expected $((n_failing + 1 - QUEUE_MAX))"
pass "disk full: $n_failing reads decided correctly, $queued events buffered, events_lost=$lost exact"

expect_exit 0 ctl alarm list --open --json
echo "$OUT" | python3 -c '
import json, sys
a = [x for x in json.load(sys.stdin) if x["kind"] == "alarm.storage" and x.get("stored") is False]
assert len(a) == 1 and a[0]["state"] == "open" and a[0]["id"] is None, a
' || fail "alarm list does not show the unstored storage alarm: $OUT"
grep -q "storage failing" "$T/aeogated.log" || fail "the failure was not logged at once"
deadline=$((SECONDS + 20))
until python3 - "$T/follow.out" "$n_failing" <<'PY'; do
import json, sys
n, alarm = 0, False
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("seq") is None and (e.get("detail") or {}).get("stored") is False:
        n += e["kind"].startswith("access.")
        alarm |= e["kind"] == "alarm.storage"
sys.exit(0 if alarm and n >= int(sys.argv[2]) else 1)
PY
	[ $SECONDS -lt $deadline ] || fail "the follower did not get the alarm and every read unstored: $(tail -n 3 "$T/follow.out")"
	sleep 0.2
done
pass "guards hear at once: alarm list, the log, and every event live on the stream with stored=false"

expect_exit 0 ctl status --json
pass "status answers while storage fails"

rm -f "$STATE/ballast"
# The controller retries once a second on its own; wait for the queue to drain.
deadline=$((SECONDS + 90))
until ctl status --json | matches -E '"events_queued": ?0[,}]'; do
	[ $SECONDS -lt $deadline ] ||
		fail "the buffer was not written within 90 s of space returning: $(ctl status --json | grep -oE '"(events_queued|events_lost|storage_failing|free_bytes)": ?[^,}]*' | tr '\n' ' ')"
	sleep 0.2
done
out=$(python3 "$T/storage.py" check "$SOCK" "$T/fill.json" "$QUEUE_MAX" "$B_START") || fail "$out"
read -r n_events lost_rec <<<"$out"
pass "space back: alarm.storage stored once, $((QUEUE_MAX - 1)) buffered reads stored in order, storage_recovered lost=$lost_rec, chain of $n_events verifies"

expect_exit 0 ctl sim present dock-1-in --bits 00000110000000011111010010
expect_contains "$OUT" "granted"
stop_daemon
pass "decisions are stored again and aeogated stops cleanly"

# ---- C. the default, storage_failure = deny; a crash with events unstored ----
with_controller "storage_reserve = 0"
start_daemon "$T/sim.ini"
fill_disk
expect_exit 1 ctl sim present dock-1-in --bits 00000110000000011111010010
expect_contains "$OUT" "storage_failure"
ctl door list --json | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin) if x["name"] == "dock-1"][0]
assert d["lock"] == "locked", d
' || fail "the lock moved for a grant that could not be recorded: $(ctl door list --json)"
pass "a grant that cannot be recorded is refused (storage_failure), the lock stays locked"

expect_exit 0 ctl sim rex dock-1
ctl door list --json | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin) if x["name"] == "dock-1"][0]
assert d["lock"] == "released", d
' || fail "the exit button did not release the lock while storage fails: $(ctl door list --json)"
pass "the exit button still opens"

expect_exit 1 ctl sim present dock-1-in --bits 00000110000000011111010011
owed=$(($(status_field events_queued) + $(status_field events_lost)))
[ "$owed" -ge 4 ] || fail "expected at least 4 events waiting, status says $owed"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=""
rm -f "$STATE/ballast"
before_restart=$(sqlite3 "$STATE/aeogate.db" 'select max(seq) from events')
start_daemon "$T/sim.ini"
wait_event "$before_restart" system.unclean_stop
echo "$EV" | grep -qE "\"lost\": ?$owed[,}]" || fail "system.unclean_stop does not count $owed lost: $EV"
grep -q "lost $owed events" "$T/aeogated.log" || fail "the start did not log the loss"
stop_daemon
start_daemon "$T/sim.ini"
[ "$(events_after "$before_restart" | grep -cE "$(kind_re system.unclean_stop)")" -eq 1 ] ||
	fail "system.unclean_stop recorded again at a later start"
expect_exit 0 ctl audit verify --live
stop_daemon
pass "after kill -9 with $owed events unstored, the next start records system.unclean_stop lost=$owed, once"
