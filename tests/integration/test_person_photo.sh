#!/bin/bash
# aeogatectl person photo ID set FILE | show | remove (README "Person
# photos"): a PNG or JPEG of at most 512 KiB goes to the controller in
# pieces and comes back whole; GIF, SVG, truncated PNG and JPEG, oversize
# images and a person who does not exist are refused with the reason and
# store nothing; each change is one person.photo event with the hash and
# never the bytes; the photo survives a restart; an access event of a
# person with a photo carries person_has_photo on the stream and in
# events.list with names.
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
raw = b"".join(b"\0" + bytes([180, 140, 120]) * w for _ in range(h))
data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
data += chunk(b"IDAT", zlib.compress(raw))
if pad:
    data += chunk(b"tEXt", b"pad\0" + b"a" * pad)
data += chunk(b"IEND", b"")
open(out, "wb").write(data)
PY
}

# A JPEG's frame (SOI, APP0, SOF0 of W×H, EOI): enough for image_probe.
jpeg() {
	python3 - "$@" <<'PY'
import struct, sys
out, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
app0 = b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
sof = bytes([8]) + struct.pack(">HH", h, w) + bytes([1, 1, 0x11, 0])
data = b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
data += b"\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof + b"\xff\xd9"
open(out, "wb").write(data)
PY
}

png "$T/face.png" 240 300 70000 # > 2 pieces of 32 KiB
jpeg "$T/face.jpg" 320 400
png "$T/big.png" 10 10 600000   # over 512 KiB, under the site plan's 1 MiB
png "$T/wide.png" 9000 2 0
head -c -12 "$T/face.png" >"$T/cut.png"
head -c -2 "$T/face.jpg" >"$T/cut.jpg"
printf 'GIF89a\001\000\001\000\000\000\000;' >"$T/face.gif"
printf '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' >"$T/face.svg"

expect_exit 0 ctl level add dock-staff --zone dock
expect_exit 0 ctl person add E1042 --name "Dana Whitfield" --level dock-staff
expect_exit 0 ctl person add E2001 --name "Lee Okafor"
expect_exit 0 ctl badge issue E1042 --wiegand h10301:12:3456
before=$(last_seq)

expect_exit 1 ctl person photo E1042 set "$T/face.gif"
expect_contains "$ERR" "not a PNG or JPEG image"
expect_exit 1 ctl person photo E1042 set "$T/face.svg"
expect_contains "$ERR" "not a PNG or JPEG image"
expect_exit 1 ctl person photo E1042 set "$T/cut.png"
expect_contains "$ERR" "malformed or truncated"
expect_exit 1 ctl person photo E1042 set "$T/cut.jpg"
expect_contains "$ERR" "malformed or truncated"
expect_exit 1 ctl person photo E1042 set "$T/wide.png"
expect_contains "$ERR" "width or height"
expect_exit 1 ctl person photo E1042 set "$T/big.png"
expect_contains "$ERR" "larger than 512 KiB"
expect_exit 1 ctl person photo nobody set "$T/face.png"
expect_contains "$ERR" "no person 'nobody'"
expect_exit 1 ctl person photo E1042 set "$T/missing.png"
expect_exit 2 ctl person photo E1042
expect_exit 2 ctl person photo E1042 set
expect_exit 2 ctl person photo E1042 frame "$T/face.png"
expect_exit 1 ctl person photo E1042 remove
expect_contains "$ERR" "E1042 has no photo"
expect_exit 1 ctl person photo nobody show
expect_contains "$ERR" "no person 'nobody'"
expect_exit 0 ctl person photo E1042 show --json
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s == {"person": "E1042", "photo": None}, s' "$OUT" ||
	fail "something stored: $OUT"
expect_exit 0 ctl person photo E1042 show
expect_contains "$OUT" "E1042 has no photo"
[ "$(last_seq)" = "$before" ] || fail "a refused photo recorded an event"
pass "GIF, SVG, truncated PNG and JPEG, too wide, over 512 KiB, nobody's, missing: refused with the reason; nothing stored"

# The controller's own bound, past the client's: 600 KiB staged by hand.
python3 - "$SOCK" "$T/big.png" <<'PY' || fail "the controller took an oversize photo"
import base64, json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("r")
def call(op, args):
    s.sendall((json.dumps({"id": 1, "op": op, "args": args}) + "\n").encode())
    return json.loads(f.readline())
data = open(sys.argv[2], "rb").read()
assert call("blob.begin", {"bytes": len(data)})["ok"]
for i in range(0, len(data), 32768):
    r = call("blob.data", {"data": base64.b64encode(data[i:i + 32768]).decode()})
    assert r["ok"], r
r = call("person.photo_set", {"id": "E1042"})
assert not r["ok"] and r["error"]["code"] == "invalid_argument", r
assert "larger than 512 KiB" in r["error"]["message"], r
r = call("person.photo_show", {"id": "E1042"})
assert r["ok"] and r["result"]["photo"] is None, r
PY
[ "$(last_seq)" = "$before" ] || fail "a refused photo recorded an event"
pass "the controller refuses a staged photo over 512 KiB itself (a client that skips its check)"

expect_exit 0 ctl person photo E1042 set "$T/face.png" --json
sha=$(sha256sum "$T/face.png" | cut -d' ' -f1)
python3 - "$OUT" "$sha" "$(stat -c %s "$T/face.png")" <<'PY' || fail "person photo set: $OUT"
import json, sys
p = json.loads(sys.argv[1])
assert p["person"] == "E1042" and p["type"] == "image/png", p
assert p["width"] == 240 and p["height"] == 300, p
assert p["sha256"] == sys.argv[2] and p["bytes"] == int(sys.argv[3]), p
assert p["updated_by"].startswith("uid:"), p
PY
expect_exit 0 ctl person photo E2001 set "$T/face.jpg"
expect_contains "$OUT" "image/jpeg"
ev=$(events_after "$before")
python3 - "$ev" "$sha" <<'PY' || fail "person.photo event: $ev"
import json, sys
evs = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
assert [e["kind"] for e in evs] == ["person.photo", "person.photo"], evs
e = evs[0]
d = e["detail"]
assert e["person"] == "E1042", e
assert d["action"] == "set" and d["sha256"] == sys.argv[2], d
assert d["operator"].startswith("uid:"), d
assert evs[1]["person"] == "E2001" and evs[1]["detail"]["type"] == "image/jpeg", evs[1]
assert len(sys.argv[1]) < 2000, "the image is not in the chain"
PY
pass "a PNG of 70 KiB goes up in pieces, a JPEG too; person.photo records the hash and who, never the bytes"

# The bytes come back whole (person.photo_image), and access events carry the flag.
after_set=$(last_seq)
expect_exit 0 ctl sim present dock-1-in --credential h10301:12:3456
wait_event "$after_set" access.granted
python3 - "$SOCK" "$T/face.png" "$after_set" <<'PY' || fail "photo image or person_has_photo"
import base64, json, socket, sys
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.settimeout(10)
    return s, s.makefile("r")
def call(c, op, args):
    c[0].sendall((json.dumps({"id": 1, "op": op, "args": args}) + "\n").encode())
    return json.loads(c[1].readline())
c = conn()
r = call(c, "person.photo_image", {"id": "E1042"})
assert r["ok"] and r["result"]["type"] == "image/png", r
assert base64.b64decode(r["result"]["data"]) == open(sys.argv[2], "rb").read()
r = call(c, "person.photo_image", {"id": "E2001x"})
assert not r["ok"] and r["error"]["code"] == "not_found", r
r = call(c, "events.list", {"since": int(sys.argv[3]), "names": True})
acc = [e for e in r["result"] if e["kind"] == "access.granted"]
assert acc and acc[0]["person_name"] == "Dana Whitfield" and acc[0]["person_has_photo"] is True, acc
f = conn()
f[0].sendall((json.dumps({"id": 1, "op": "events.follow", "args": {"since": int(sys.argv[3])}}) + "\n").encode())
while True:
    m = json.loads(f[1].readline())
    if m.get("event", {}).get("kind") == "access.granted":
        break
assert m.get("person_name") == "Dana Whitfield" and m.get("person_has_photo") is True, m
PY
pass "the photo comes back byte for byte; an access event of a person with a photo carries person_has_photo (list and stream)"

# Restarted: the photo is the controller's.
stop_daemon
start_daemon "$T/sim.ini"
expect_exit 0 ctl person photo E1042 show
expect_contains "$OUT" "$sha"
before=$(last_seq)
expect_exit 0 ctl person photo E1042 remove
expect_exit 0 ctl person photo E1042 show --json
expect_contains "$OUT" '"photo": null'
ev=$(events_after "$before")
ev_check "$ev" 'e["kind"] == "person.photo" and d["action"] == "removed" and d["sha256"] == "'"$sha"'" and e["person"] == "E1042"'
expect_exit 0 ctl person photo E2001 show
expect_contains "$OUT" "image/jpeg"
pass "the photo survives a restart; remove takes it and records the hash it had"
