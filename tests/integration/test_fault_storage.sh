#!/bin/bash
# Storage faults (issue 6, fault tests 2): the state directory on a small
# tmpfs that is then filled to the last byte. Decisions go on (sim.present
# still answers granted/denied correctly); an alarm.storage event is stored
# once space returns, ahead of the buffered events, which are stored in the
# order they happened; reads beyond the 4096-event buffer are counted, and
# events_lost in system.status is exact. The whole chain verifies after.
# Needs root for the mount; anyone else gets a skip (exit 0, said so).
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "skip: mounting a tmpfs needs root"
	exit 0
fi

QUEUE_MAX=4096 # AEOGATE_EVENT_QUEUE_MAX, include/aeogate/limits.h
EXTRA=300      # reads beyond the buffer, to overflow it
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
elif cmd == "check":
    state = json.load(open(sys.argv[3]))
    queue_max = int(sys.argv[4])
    failing = state["failing"]
    evs = events(c)
    chain_ok(evs)
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

write_sim_config
start_daemon "$T/sim.ini"
ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1001 --wiegand h10301:12:1001 >/dev/null
expect_exit 0 ctl sim present dock-1-in --bits 00000110000000011111010010
pass "the controller runs with its state on an 8 MiB tmpfs"

# Every byte taken: dd stops at ENOSPC.
dd if=/dev/zero of="$STATE/ballast" bs=64k 2>/dev/null || true
sync
out=$(python3 "$T/storage.py" fill "$SOCK" $((QUEUE_MAX + EXTRA)) "$T/fill.json") || fail "$out"
read -r n_failing queued lost <<<"$out"
[ "$queued" -eq "$QUEUE_MAX" ] || fail "events_queued is $queued with storage failing, expected $QUEUE_MAX"
[ "$lost" -eq $((n_failing + 1 - QUEUE_MAX)) ] ||
	fail "events_lost is $lost after $n_failing unstored reads (+1 alarm), expected $((n_failing + 1 - QUEUE_MAX))"
pass "disk full: $n_failing reads decided correctly, $queued events buffered, events_lost=$lost exact"

expect_exit 0 ctl status --json
pass "status answers while storage fails"

rm -f "$STATE/ballast"
# The controller retries once a second on its own; wait for the queue to drain.
deadline=$((SECONDS + 20))
until ctl status --json | grep -qE '"events_queued": ?0[,}]'; do
	[ $SECONDS -lt $deadline ] || fail "the buffer was not written within 20 s of space returning"
	sleep 0.2
done
out=$(python3 "$T/storage.py" check "$SOCK" "$T/fill.json" "$QUEUE_MAX") || fail "$out"
read -r n_events lost_rec <<<"$out"
pass "space back: alarm.storage stored once, $((QUEUE_MAX - 1)) buffered reads stored in order, storage_recovered lost=$lost_rec, chain of $n_events verifies"

expect_exit 0 ctl sim present dock-1-in --bits 00000110000000011111010010
expect_contains "$OUT" "granted"
stop_daemon
pass "decisions are stored again and aeogated stops cleanly"
