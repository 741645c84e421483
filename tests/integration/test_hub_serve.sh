#!/bin/bash
# aeogate-hub serve: GET /api/fleet shows what the hub stored (the same
# figures as aeogate-hub status --json: controllers per site, online or
# offline, stored seq, lag, pinned key, checkpoint, alarms, totals), the
# page and its shared files are served, and nothing else: a bad path is
# 404, any other method 405, an oversize request is refused, a foreign
# Host is 421; the store is never written.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"
source "$(dirname "$0")/mqtt_lib.sh"
source "$(dirname "$0")/hub_lib.sh"
source "$(dirname "$0")/hub_serve_lib.sh"

command -v curl >/dev/null || { echo "curl missing: skipped"; exit 77; }

mqtt_start
hub_config "s1 s2"

# Before the collector ever ran: a clear 503, and nothing created.
serve_start
CODE=$(curl -s -o "$T/body" -w '%{http_code}' "$SERVE_URL/api/fleet")
[ "$CODE" = 503 ] || fail "no store: HTTP $CODE $(cat "$T/body")"
expect_contains "$(cat "$T/body")" "aeogate-hub run"
[ ! -e "$T/hub.db" ] || fail "serve created the store"
serve_stop
pass "without a store, /api/fleet says 503 and how to start the collector; no file is made"

hub_fleet_fill
N=$FLEET_N
serve_start
CODE=$(curl -s -D "$T/headers" -o "$T/fleet.json" -w '%{http_code}' "$SERVE_URL/api/fleet")
[ "$CODE" = 200 ] || fail "/api/fleet: HTTP $CODE"
grep -qi '^content-type: application/json' "$T/headers" || fail "not JSON: $(cat "$T/headers")"
grep -qi '^cache-control: no-store' "$T/headers" || fail "cacheable: $(cat "$T/headers")"
grep -qi '^content-security-policy:' "$T/headers" || fail "no CSP: $(cat "$T/headers")"
expect_exit 0 hub status --json
printf '%s' "$OUT" >"$T/status.json"
KEYID=$(hub_sql "SELECT key_id FROM controllers WHERE controller='gate-1'")
CPSEQ=$(hub_sql "SELECT checkpoint_seq FROM controllers WHERE controller='gate-1'")
python3 - "$T/fleet.json" "$T/status.json" "$N" "$KEYID" "$CPSEQ" <<'PY' || fail "/api/fleet: $(cat "$T/fleet.json")"
import json, sys
f = json.load(open(sys.argv[1])); st = json.load(open(sys.argv[2]))
n, keyid, cpseq = int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
c = {(x["site"], x["controller"]): x for x in f["controllers"]}
assert set(c) == {("s1", "gate-1"), ("s2", "dock-2")}, c.keys()
assert f["sites"] == ["s1", "s2"], f["sites"]
g = c[("s1", "gate-1")]
assert g["online"] is True and g["state"] == "online", g
assert g["verified_seq"] == n and g["last_seq"] == n and g["forwarded_seq"] == n and g["lag"] == 0, g
assert g["key_id"] == keyid and g["checkpoint_seq"] == cpseq >= 1, g
assert g["open_alarms"] == 0 and g["applied_version"] == 0, g
assert isinstance(g["status_age_s"], int) and 0 <= g["status_age_s"] < 600, g
d = c[("s2", "dock-2")]
assert d["online"] is False and d["state"] == "offline", d
assert d["verified_seq"] == 3 and d["last_seq"] == n and d["lag"] == n - 3, d
assert d["key_id"] == keyid and d["open_alarms"] == 1, d
assert len(f["alarms"]) == 1, f["alarms"]
a = f["alarms"][0]
assert (a["site"], a["controller"], a["kind"]) == ("s2", "dock-2", "bad_checkpoint"), a
assert a["message"] and a["ts"].endswith("Z") and a["seq"] >= 1, a
assert f["totals"] == {"controllers": 2, "online": 1, "events": n + 3, "alarms": 1}, f["totals"]
assert f["generated"].endswith("Z"), f
# The same facts as aeogate-hub status --json.
s = {(x["site"], x["controller"]): x for x in st["controllers"]}
for k, x in c.items():
    y = s[k]
    assert (x["verified_seq"], x["last_seq"], x["forwarded_seq"], x["lag"], x["applied_version"],
            x["key_id"], x["checkpoint_seq"], x["open_alarms"], x["state"]) == \
           (y["stored_seq"], y["last_seq"], y["forwarded_seq"], y["lag"], y["applied_version"],
            y["key_id"], y["checkpoint_seq"], y["alarms"], y["state"]), (x, y)
assert [(a["kind"], a["seq"], a["message"]) for a in f["alarms"]] == \
       [(a["kind"], a["seq"], a["message"]) for a in st["alarms"]]
# No secrets: no public key material, no config.
text = open(sys.argv[1]).read()
assert "public_key" not in text and "password" not in text, text
PY
pass "/api/fleet: 2 controllers at 2 sites, online/offline, lag $((N - 3)), key $KEYID, 1 alarm, the figures of status --json"

# A new event reaches the page without a restart (the store is read per request).
FROM=$(last_seq)
ctl sim present dock-1-in --uid 04a1b2c3 >/dev/null
TO=$(last_seq)
ctl_feed s1 gate-1 "$FROM"
hub_wait_stored s1 gate-1 "$TO"
curl -sf "$SERVE_URL/api/fleet" >"$T/fleet2.json" || fail "second /api/fleet failed"
python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); g=[c for c in f["controllers"] if c["controller"]=="gate-1"][0]; assert g["verified_seq"]==int(sys.argv[2]), g' \
	"$T/fleet2.json" "$TO" || fail "the page's figures did not follow the store: $(cat "$T/fleet2.json")"
pass "a newly stored event shows at the next poll (seq $TO)"

# The page and its shared files.
for p in / /hub/index.html /hub/hub.js /hub/hub.css /style.css /format.js; do
	CODE=$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL$p")
	[ "$CODE" = 200 ] || fail "GET $p: HTTP $CODE"
done
curl -s "$SERVE_URL/" | matches 'site-select' || fail "/ is not the fleet page"
curl -s -D - -o /dev/null "$SERVE_URL/hub/hub.js" | matches -i '^content-type: text/javascript' ||
	fail "hub.js is not served as JavaScript"
pass "/ is the fleet page; hub.js, hub.css and the dashboard's style.css and format.js are served"

# Bad paths: 404, JSON error, nothing outside ui/hub and the shared files.
for p in /nope /api/nope /api /index.html /app.js /hub/../app.js /hub/%2e%2e/app.js /hub/.hidden /hub/ '/hub/index.html?x=1/../..'; do
	CODE=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' "$SERVE_URL$p")
	case "$p" in
	'/hub/index.html?x=1/../..') [ "$CODE" = 200 ] || fail "GET $p: HTTP $CODE" ;;
	*) [ "$CODE" = 404 ] || fail "GET $p: HTTP $CODE, not 404" ;;
	esac
done
CODE=$(curl -s -o "$T/body" -w '%{http_code}' "$SERVE_URL/nope")
expect_contains "$(cat "$T/body")" '"not_found"'
pass "unknown paths, dashboard files outside the page's set and traversals are 404"

# Only GET: POST (with a body), PUT, DELETE are 405 with Allow: GET.
CODE=$(curl -s -D "$T/headers" -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data '{"revoke":"all"}' "$SERVE_URL/api/fleet")
[ "$CODE" = 405 ] || fail "POST /api/fleet: HTTP $CODE"
grep -qi '^allow: GET' "$T/headers" || fail "no Allow header: $(cat "$T/headers")"
expect_contains "$(cat "$T/body")" '"method_not_allowed"'
for m in PUT DELETE; do
	CODE=$(curl -s -o /dev/null -w '%{http_code}' -X "$m" "$SERVE_URL/api/fleet")
	[ "$CODE" = 405 ] || fail "$m /api/fleet: HTTP $CODE"
done
CODE=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data x "$SERVE_URL/")
[ "$CODE" = 405 ] || fail "POST /: HTTP $CODE"
pass "POST, PUT and DELETE are 405 (Allow: GET): the page has no actions"

# Oversize headers: refused by lws's header limit, never answered 200.
BIG=$(head -c 8000 /dev/zero | tr '\0' a)
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $BIG" "$SERVE_URL/api/fleet" || true)
[ "$CODE" != 200 ] || fail "an 8 KB header was answered 200"
CODE=$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/$(head -c 5000 /dev/zero | tr '\0' b).js" || true)
[ "$CODE" != 200 ] || fail "a 5 KB path was answered 200"
# DNS rebinding: another Host is refused.
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: attacker.example' "$SERVE_URL/api/fleet")
[ "$CODE" = 421 ] || fail "a foreign Host: HTTP $CODE, not 421"
CODE=$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/api/fleet")
[ "$CODE" = 200 ] || fail "the server did not survive the refused requests: HTTP $CODE"
pass "oversize requests are refused, a foreign Host is 421, and the server goes on"

# Read-only: the store is byte for byte what the collector left.
hub_stop
SUM1=$(sha256sum <"$T/hub.db")
for _ in 1 2 3; do curl -sf "$SERVE_URL/api/fleet" >/dev/null || fail "/api/fleet failed"; done
SUM2=$(sha256sum <"$T/hub.db")
[ "$SUM1" = "$SUM2" ] || fail "the store's file changed under serve"
serve_stop
grep -q "serve stopped:" "$T/serve.log" || fail "no stop line: $(cat "$T/serve.log")"
pass "serve reads the store only and stops cleanly on SIGTERM ($(grep 'serve stopped' "$T/serve.log" | tail -n 1))"

# Usage errors.
expect_exit 2 hub serve --listen nonsense
expect_contains "$ERR" "ADDR:PORT"
expect_exit 2 hub serve extra
expect_exit 1 hub serve --ui "$T/no-such-dir" --listen 127.0.0.1:1
expect_contains "$ERR" "no-such-dir"
pass "a bad --listen, a stray argument and a missing --ui are refused with why"
