#!/bin/bash
# Streamed exports (audit.export_stream) at their edges: a client that
# stops reading is cut off at the socket timeout while doors are still
# decided and other requests answered; at most AEOGATE_EXPORT_STREAMS_MAX
# (2) stream at once, a third is refused as unavailable; a client that goes
# away stops its stream; bad filters and formats are refused before any
# byte; an export whose rows are pruned while it streams fails with a
# clear error instead of a signature; each failure is one journal line,
# and a later export still verifies.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"

SEED="$BUILD_DIR/tests/tools/aeogate-test-seed"
[ -x "$SEED" ] || fail "no $SEED"
# 8000 events 40 days old: megabytes of rows, more than the socket buffers
# hold, and all of them past the retention below.
echo "40 access.granted x8000" | "$SEED" --db "$STATE/aeogate.db" >/dev/null || fail "seeding"
write_sim_config
cat >>"$T/sim.ini" <<INI

[audit]
retention = *:30d, door.*:60d, alarm.*:60d, audit.*:60d
INI
cp "$T/sim.ini" "$T/sim-default.ini"
sed -i 's/^\[controller\]$/[controller]\nsocket_timeout = 2s/' "$T/sim.ini"
start_daemon "$T/sim.ini"
ctl level add dock-staff --zone dock >/dev/null
ctl person add E1 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1 --uid 04a1b2c3 >/dev/null

# A client of the stream op, in Python; prints what it saw, one line each.
cat >"$T/stream.py" <<'PY'
import json, os, socket, sys, time
sock_path, mode = sys.argv[1], sys.argv[2]

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.settimeout(60)
    return s

def request(s, args, op="audit.export_stream"):
    s.sendall((json.dumps({"id": 7, "op": op, "args": args}) + "\n").encode())

def line(s, buf):
    while b"\n" not in buf[0]:
        d = s.recv(65536)
        if not d:
            raise EOFError
        buf[0] += d
    l, buf[0] = buf[0].split(b"\n", 1)
    return json.loads(l)

def frames(s, buf):
    """Reads the frames to their end: the data's length, or None at EOF mid-stream."""
    n = 0
    while True:
        while b"\n" not in buf[0]:
            d = s.recv(65536)
            if not d:
                return None
            buf[0] += d
        head, buf[0] = buf[0].split(b"\n", 1)
        k = int(head)
        if k == 0:
            return n
        while len(buf[0]) < k:
            d = s.recv(1 << 20)
            if not d:
                return None
            buf[0] += d
        buf[0] = buf[0][k:]
        n += k

ALL = {"filter": {}, "format": "csv"}
if mode == "bad":
    s, buf = connect(), [b""]
    for args in [{"filter": {"from": "2026-02-01", "to": "2026-01-01"}, "format": "csv"},
                 {"filter": {}, "format": "xml"}, {"filter": {}},
                 {"filter": {"kinds": ["Not A Kind"]}, "format": "jsonl"},
                 {"filter": "everything", "format": "csv"}]:
        request(s, args)
        r = line(s, buf)
        print(r["ok"], r["error"]["code"], r["error"]["message"])
    request(s, {}, op="system.status")
    print("status after:", line(s, buf)["ok"])
elif mode == "stall":
    # Starts an export, reads its reply, then reads nothing.
    s, buf = connect(), [b""]
    request(s, ALL)
    r = line(s, buf)
    print("reply", r["ok"], r.get("result", {}).get("range_last"), flush=True)
    time.sleep(float(sys.argv[3]))
    s.settimeout(30)
    print("after the stall:", "cut off" if frames(s, buf) is None else "completed")
elif mode == "refused":
    s, buf = connect(), [b""]
    request(s, ALL)
    r = line(s, buf)
    print(r["ok"], r.get("error", {}).get("code"), r.get("error", {}).get("message"))
elif mode == "leave":
    s, buf = connect(), [b""]
    request(s, ALL)
    line(s, buf)
    s.recv(4096)
    s.close()
    print("left")
elif mode == "pause":
    # Reads the reply and a little, waits for the file argv[3], then reads it all.
    s, buf = connect(), [b""]
    request(s, ALL)
    r = line(s, buf)
    open(sys.argv[3] + ".started", "w").close()
    deadline = time.time() + 60
    while not os.path.exists(sys.argv[3]) and time.time() < deadline:
        time.sleep(0.05)
    n = frames(s, buf)
    t = line(s, buf)
    print("data", n, "trailer", json.dumps(t))
PY

# ---- a client that stops reading (socket_timeout 2 s here) ----
python3 "$T/stream.py" "$SOCK" stall 6 >"$T/stall" &
S1=$!
wait_for 20 grep -q reply "$T/stall" || fail "the stream did not start"
expect_contains "$(cat "$T/stall")" "reply True 8"
# The loop is not the stream's: a badge read is decided and answered meanwhile.
expect_exit 0 ctl sim present dock-1-in --uid 04a1b2c3
expect_exit 0 ctl status
pass "badge reads and requests are answered while an export stalls"
wait "$S1" || fail "the stalled client failed"
expect_contains "$(cat "$T/stall")" "after the stall: cut off"
grep -q "audit.export_stream by uid:[0-9]* failed after [0-9]* bytes: the client read nothing for the socket timeout" \
	"$T/aeogated.log" || fail "no journal line for the stalled stream"
pass "a client that reads nothing for socket_timeout is cut off, with a journal line"

stop_daemon
start_daemon "$T/sim-default.ini"

# ---- the limit on streams (socket_timeout 30 s: they wait for us) ----
python3 "$T/stream.py" "$SOCK" pause "$T/goA" >"$T/held1" &
H1=$!
python3 "$T/stream.py" "$SOCK" pause "$T/goB" >"$T/held2" &
H2=$!
# Each has its reply (its stream runs) once its marker exists.
wait_for 20 test -e "$T/goA.started" || fail "held stream A did not start"
wait_for 20 test -e "$T/goB.started" || fail "held stream B did not start"
out=$(python3 "$T/stream.py" "$SOCK" refused)
expect_contains "$out" "False unavailable 2 exports are streaming already"
pass "a third export while two stream is refused: $out"
touch "$T/goA" "$T/goB"
wait "$H1" || fail "held client 1 failed"
wait "$H2" || fail "held client 2 failed"
expect_contains "$(cat "$T/held1")" '"ok": true'
expect_contains "$(cat "$T/held2")" '"ok": true'
pass "the two held exports then complete, signed"

# ---- bad requests ----
out=$(python3 "$T/stream.py" "$SOCK" bad)
expect_contains "$out" "False invalid_argument filter: 'from' must be before 'to'"
expect_contains "$out" "False invalid_argument 'format' must be \"csv\" or \"jsonl\""
expect_contains "$out" "False invalid_argument 'format'"
expect_contains "$out" "False invalid_argument filter: kind 1 is not a kind"
expect_contains "$out" "False invalid_argument filter: not an object"
expect_contains "$out" "status after: True"
pass "bad filters and formats are refused before any byte, the connection goes on"
expect_exit 2 ctl audit export --from 2026-02-01 --to 2026-01-01 --format csv -o "$T/bad.csv"
[ ! -e "$T/bad.csv" ] || fail "a refused export left a file"
pass "aeogatectl leaves no file for a refused export: $ERR"

# ---- a client that goes away ----
expect_contains "$(python3 "$T/stream.py" "$SOCK" leave)" "left"
wait_for 20 grep -q "failed after [0-9]* bytes: the client went away" "$T/aeogated.log" ||
	fail "no journal line for the client that went away"
expect_exit 0 ctl status
pass "a client that goes away stops its stream, with a journal line"

# ---- rows pruned while the export streams ----
python3 "$T/stream.py" "$SOCK" pause "$T/go" >"$T/paused" &
P=$!
wait_for 20 test -e "$T/go.started" || fail "the paused stream did not start"
expect_exit 0 ctl audit prune
expect_contains "$OUT" "pruned seq 1-"
touch "$T/go"
wait "$P" || fail "the paused client failed"
out=$(cat "$T/paused")
expect_contains "$out" '"code": "failed_precondition"'
expect_contains "$out" "pruned during the export); export again"
pass "an export whose rows were pruned under it fails clearly, unsigned: ${out:0:160}"

expect_exit 0 ctl audit export --format jsonl -o "$T/after.jsonl"
expect_exit 0 ctl audit verify "$T/after.jsonl" --pubkey "$STATE/device.pub"
pass "a later export streams and verifies: $OUT"

stop_daemon
pass "aeogated stops cleanly"
