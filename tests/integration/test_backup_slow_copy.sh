#!/bin/bash
# aeogatectl backup FILE waits for aeogated's copy however long it takes.
# aeogated answers backup.stream only once the copy of the database is
# complete (the reply names the checkpoint it was taken at); at 2M persons
# and 10M events that took 18-30 s on this machine, more on a board's
# card, and aeogatectl gave up after its ordinary 30 s reply timeout:
# "backup.stream: no reply from aeogated within 30 s", and no backup.
# A stand-in for aeogated's control socket (the documented protocol: reply
# line, frames, trailer) takes 35 s over the copy, bounded, then streams.
source "$(dirname "$0")/lib.sh"

python3 - "$SOCK" 35 >"$T/fake.log" 2>&1 <<'PY' &
import json, socket, sys, time
path, delay = sys.argv[1], float(sys.argv[2])
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(120)
conn, _ = srv.accept()
f = conn.makefile("rwb")
req = json.loads(f.readline())
assert req["op"] == "backup.stream", req
time.sleep(delay)  # the copy
key = "0123456789abcdef"
h = "ab" * 32
f.write((json.dumps({"id": req["id"], "ok": True,
                     "result": {"seq": 7, "hash": h, "key_id": key}}) + "\n").encode())
data = b"SQLite format 3\0" + b"x" * 1000
f.write(b"%d\n" % len(data) + data + b"0\n")
f.write((json.dumps({"id": req["id"], "ok": True,
                     "result": {"seq": 7, "bytes": len(data), "hash": h, "key_id": key,
                                "checkpoint_ts_ms": 1796600000000,
                                "signature": "cd" * 64}}) + "\n").encode())
f.flush()
time.sleep(1)
PY
BG_PIDS+=($!)
for _ in $(seq 1 100); do
	[ -S "$SOCK" ] && break
	sleep 0.1
done
[ -S "$SOCK" ] || fail "the stand-in socket did not come up: $(cat "$T/fake.log")"

expect_exit 0 ctl backup "$T/slow.db"
expect_contains "$OUT" "backup at seq 7, 1016 bytes"
[ "$(head -c 15 "$T/slow.db")" = "SQLite format 3" ] || fail "the backup file is not the streamed copy"
pass "a copy that takes 35 s, longer than a reply's 30 s timeout, is waited for and written"
