#!/bin/bash
# aeogatectl site plan set FILE | show | remove, site marker DOOR (X Y |
# --remove): a PNG goes to the controller in pieces and comes back whole;
# SVG, truncated, oversize and too-large-sided images are refused with the
# reason and store nothing; markers take fractions 0..1 of a configured
# door; each change is one site.plan or site.marker event (the image's
# hash, never its bytes); a dropped upload connection leaves nothing staged.
source "$(dirname "$0")/lib.sh"

write_sim_config
start_daemon "$T/sim.ini"

# A PNG of W×H (+ PAD bytes in a tEXt chunk) written by Python's zlib.
png() {
	python3 - "$@" <<'PY'
import struct, sys, zlib
out, w, h, pad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
raw = b"".join(b"\0" + bytes([200, 210, 220]) * w for _ in range(h))
data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
data += chunk(b"IDAT", zlib.compress(raw))
if pad:
    data += chunk(b"tEXt", b"pad\0" + b"a" * pad)
data += chunk(b"IEND", b"")
open(out, "wb").write(data)
PY
}

png "$T/plan.png" 640 400 100000 # > 3 pieces of 32 KiB
png "$T/wide.png" 9000 2 0
png "$T/big.png" 10 10 1100000
head -c -12 "$T/plan.png" >"$T/cut.png"
printf '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' >"$T/plan.svg"
: >"$T/empty.png"
before=$(last_seq)

expect_exit 1 ctl site plan set "$T/plan.svg"
expect_contains "$ERR" "not a PNG or JPEG image"
expect_exit 1 ctl site plan set "$T/cut.png"
expect_contains "$ERR" "malformed or truncated"
expect_exit 1 ctl site plan set "$T/wide.png"
expect_contains "$ERR" "width or height"
expect_exit 1 ctl site plan set "$T/big.png"
expect_contains "$ERR" "larger than 1 MiB"
expect_exit 1 ctl site plan set "$T/empty.png"
expect_exit 1 ctl site plan set "$T/missing.png"
expect_exit 2 ctl site plan
expect_exit 2 ctl site plan set
expect_exit 1 ctl site plan remove
expect_contains "$ERR" "site plan does not exist"
expect_exit 0 ctl site plan show --json
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s == {"plan": None, "markers": []}, s' "$OUT" ||
	fail "something stored: $OUT"
[ "$(last_seq)" = "$before" ] || fail "a refused image recorded an event"
pass "SVG, truncated, too wide, too large, empty and missing images are refused with the reason; nothing stored"

expect_exit 0 ctl site plan set "$T/plan.png" --json
sha=$(sha256sum "$T/plan.png" | cut -d' ' -f1)
python3 - "$OUT" "$sha" "$(stat -c %s "$T/plan.png")" <<'PY' || fail "site plan set: $OUT"
import json, sys
p = json.loads(sys.argv[1])
assert p["type"] == "image/png" and p["width"] == 640 and p["height"] == 400, p
assert p["sha256"] == sys.argv[2] and p["bytes"] == int(sys.argv[3]), p
assert p["updated_by"].startswith("uid:"), p
PY
ev=$(events_after "$before")
python3 - "$ev" "$sha" <<'PY' || fail "site.plan event: $ev"
import json, sys
evs = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
assert [e["kind"] for e in evs] == ["site.plan"], evs
d = evs[0]["detail"]
assert d["action"] == "uploaded" and d["before"] is None and d["after"]["sha256"] == sys.argv[2], d
assert len(sys.argv[1]) < 2000, "the image is not in the chain"
PY
pass "a 100 KiB PNG goes up in pieces, is stored with its hash and size, and site.plan records the hash"

expect_exit 2 ctl site marker dock-1 1.5 0.2
expect_exit 2 ctl site marker dock-1 0.5
expect_exit 1 ctl site marker nowhere 0.5 0.2
expect_contains "$ERR" "no door 'nowhere'"
expect_exit 0 ctl site marker dock-1 0.25 0.75
expect_exit 0 ctl site marker dock-1 0.3 0.7
expect_exit 0 ctl site marker cage-1 1 0
expect_exit 0 ctl site plan show --json
python3 -c '
import json,sys
s = json.loads(sys.argv[1]); m = {x["door"]: (x["x"], x["y"]) for x in s["markers"]}
assert m == {"dock-1": (0.3, 0.7), "cage-1": (1, 0)}, m' "$OUT" || fail "markers: $OUT"
expect_exit 0 ctl site marker cage-1 --remove
expect_exit 1 ctl site marker cage-1 --remove
n=$(events_after "$before" | grep -c '"kind":"site.marker"')
[ "$n" = 4 ] || fail "expected 4 site.marker events, got $n"
pass "markers take fractions 0..1 of a configured door, move, are removed, each one site.marker event"

# Staged uploads: at most 4 at once, each released with its connection;
# pieces past the announced size and a set without a complete upload refused.
python3 - "$SOCK" <<'PY' || fail "staged uploads"
import json, socket, sys
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    return s, s.makefile("r")
def call(c, op, args):
    c[0].sendall((json.dumps({"id": 1, "op": op, "args": args}) + "\n").encode())
    return json.loads(c[1].readline())
cs = [conn() for _ in range(5)]
for c in cs[:4]:
    assert call(c, "blob.begin", {"bytes": 1000})["ok"]
r = call(cs[4], "blob.begin", {"bytes": 1000})
assert not r["ok"] and r["error"]["code"] == "unavailable", r
r = call(cs[0], "blob.begin", {"bytes": 10})
assert not r["ok"] and "staged" in r["error"]["message"], r
r = call(cs[0], "blob.data", {"data": "QUFB" * 300})  # 900 bytes of 1000: fits
assert r["ok"] and r["result"]["received"] == 900, r
r = call(cs[0], "blob.data", {"data": "QUFB" * 100})  # 300 more: past 1000
assert not r["ok"] and r["error"]["code"] == "invalid_argument", r
r = call(cs[0], "site.plan_set", {})
assert not r["ok"] and "incomplete" in r["error"]["message"], r
r = call(cs[0], "site.plan_set", {})  # the refused upload was dropped
assert not r["ok"] and "blob.begin first" in r["error"]["message"], r
r = call(cs[1], "blob.begin", {"bytes": 2 * 1024 * 1024})
assert not r["ok"] and r["error"]["code"] == "invalid_argument", r
for c in cs[1:4]:
    c[0].close()
import time
for _ in range(100):  # the controller notices the closes on its next turns
    r = call(cs[4], "blob.begin", {"bytes": 1000})
    if r["ok"]:
        break
    time.sleep(0.05)
assert r["ok"], r
PY
pass "at most 4 uploads staged at once, released with their connections; an overlong or incomplete upload is refused"

# Restarted: the plan and the markers are the controller's.
stop_daemon
start_daemon "$T/sim.ini"
expect_exit 0 ctl site plan show
expect_contains "$OUT" "$sha"
expect_contains "$OUT" "dock-1"
expect_exit 0 ctl site plan remove
expect_exit 0 ctl site plan show --json
expect_contains "$OUT" '"plan": null'
pass "the plan and markers survive a restart; remove takes the plan and keeps the markers"
