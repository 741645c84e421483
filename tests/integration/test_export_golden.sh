#!/bin/bash
# Exports are byte for byte what the paged exporter wrote before streaming
# (issue 12): the same database (tests/vectors/export/make_events.py:
# nulls, quotes, commas, line breaks, formula-leading cells, unicode,
# control characters, invalid UTF-8, details that are not canonical JSON or
# not JSON, and thousands of rows across every page and chunk boundary)
# exported with the same filters gives the files kept in
# tests/vectors/export/expected, and manifests that differ only in what
# changes with every run (times, signatures, the key, the operator). Every
# file verifies offline, except those holding seq 20 or 21: seq 20's person
# is not UTF-8, which no JSON string carries, and seq 21's cells are empty
# strings, which a CSV cell cannot tell from null, so neither row can show
# what was hashed (the export still writes them, as it always did).
#
# UPDATE_GOLDEN=1 writes the expected files instead (only ever from a tree
# whose exporter is known good).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"

SEED="$BUILD_DIR/tests/tools/aeogate-test-seed"
VEC="$SOURCE_DIR/tests/vectors/export"
EXP="$VEC/expected"
[ -x "$SEED" ] || fail "no $SEED"

# The hand-picked rows alone, kept as whole files, and the whole set.
python3 "$VEC/make_events.py" >"$T/events.jsonl"
"$SEED" --db "$STATE/aeogate.db" --json <"$T/events.jsonl" >"$T/seeded" || fail "seeding failed"
rows=$(wc -l <"$T/seeded")
[ "$rows" -gt 6000 ] || fail "seeded only $rows events"
write_sim_config
start_daemon "$T/sim.ini"
pass "seeded $rows events of every shape and started aeogated on them"

# The seeded rows are in January 2026; aeogated's own (system.start) are now.
TO=2026-02-01T00:00:00Z
# NAME VERIFY ARGS...: one export, its file in $T/files/NAME; verify exits
# 0 when VERIFY is ok, else 1 naming seq 20 (see above; seq 21 never comes first).
export_as() {
	local name=$1 verify=$2
	shift 2
	expect_exit 0 ctl "$@" -o "$T/files/$name"
	if [ "$verify" = ok ]; then
		expect_exit 0 ctl audit verify "$T/files/$name" --pubkey "$STATE/device.pub"
	else
		expect_exit 1 ctl audit verify "$T/files/$name" --pubkey "$STATE/device.pub"
		expect_contains "$ERR" "seq 20: content does not match its hash"
	fi
}
mkdir -p "$T/files"
export_as picked.csv seq20 audit export --to 2026-01-05T08:04:00Z --format csv
export_as picked.jsonl seq20 audit export --to 2026-01-05T08:04:00Z --format jsonl
export_as all.csv seq20 audit export --to $TO --format csv
export_as all.jsonl seq20 audit export --to $TO --format jsonl
export_as person.csv ok audit export --person E1 --to $TO --format csv
export_as person.jsonl ok audit export --person -X1 --to $TO --format jsonl
export_as zone.csv seq20 audit export --zone dock --to $TO --format csv
export_as zone.jsonl ok audit export --zone bonded-cage --to $TO --format jsonl
export_as kinds.csv ok audit export --kind 'access.*' --kind door.forced \
	--from 2026-01-05T09:00:00Z --to 2026-01-05T15:00:00Z --format csv
export_as kinds.jsonl ok audit export --kind 'system.*' --kind person.updated --to $TO --format jsonl
export_as after21.csv ok audit export --from 2026-01-05T08:02:28Z --to $TO --format csv
export_as after21.jsonl ok audit export --from 2026-01-05T08:02:28Z --to $TO --format jsonl
export_as empty.csv ok audit export --from 2025-01-01 --to 2025-01-02 --format csv
export_as empty.jsonl ok audit export --from 2025-01-01 --to 2025-01-02 --format jsonl
export_as nomatch.csv ok audit export --person nobody --to $TO --format csv
export_as exceptions.csv ok report exceptions --from 2026-01-05 --to $TO --format csv
export_as access.jsonl seq20 report access --from 2026-01-05 --to $TO --format jsonl
pass "17 exports and reports written, each verifies offline or fails at seq 20 or 21 as it must"

# What changes with every run is blanked in the manifests' own text, so
# their layout is compared byte for byte too.
for m in "$T"/files/*.manifest.json; do
	sed -E -i 's/"(generated_at|ts|signature|public_key|key_id|operator)": "[^"]*"/"\1": "-"/' "$m"
done
# An empty range is vouched for by a checkpoint of the head, which moves.
sed -E -i 's/"(hash)": "[^"]*"/"\1": "-"/; s/"seq": [0-9]+/"seq": "-"/' "$T"/files/empty.*.manifest.json

if [ -n "${UPDATE_GOLDEN:-}" ]; then
	mkdir -p "$EXP"
	rm -f "$EXP"/*
	cp "$T"/files/picked.csv "$T"/files/picked.jsonl "$T"/files/*.manifest.json "$EXP/"
	(cd "$T/files" && sha256sum $(ls | grep -v manifest)) >"$EXP/SHA256SUMS"
	pass "UPDATE_GOLDEN: expected files written to $EXP"
	exit 0
fi

[ -s "$EXP/SHA256SUMS" ] || fail "no expected files in $EXP"
(cd "$T/files" && sha256sum --quiet -c "$EXP/SHA256SUMS") ||
	fail "an export differs from the expected bytes (see above)"
for f in "$EXP"/picked.csv "$EXP"/picked.jsonl "$EXP"/*.manifest.json; do
	cmp "$f" "$T/files/$(basename "$f")" || fail "$(basename "$f") differs from $f"
done
pass "every export is byte for byte the expected file, every manifest the expected one"

# aeogate-web's export (POST /api/exports, then the file's download) is
# the same bytes as aeogatectl's, and its manifest the same statement.
WEB="$BUILD_DIR/controller/web/aeogate-web"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$WEB" --socket "$SOCK" --listen "127.0.0.1:$PORT" --ui "$SOURCE_DIR/ui" >>"$T/web.log" 2>&1 &
BG_PIDS=($!)
wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$PORT/" || fail "aeogate-web did not come up"
PW="auditor-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$PW" | ctl user add golden --role auditor >/dev/null || fail "user add"
py "$PORT" "$PW" "$T/files" <<'PY' || fail "the dashboard's exports differ from aeogatectl's"
import json, sys, urllib.request
port, pw, files = int(sys.argv[1]), sys.argv[2], sys.argv[3]
base = "http://127.0.0.1:%d" % port
def call(method, path, body=None, cookie=None, csrf=None):
    h = {"Content-Type": "application/json"}
    if cookie:
        h["Cookie"] = cookie
    if csrf:
        h["X-CSRF-Token"] = csrf
    req = urllib.request.Request(base + path, method=method, headers=h,
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.headers, r.read()
h, b = call("POST", "/api/login", {"username": "golden", "password": pw})
cookie, csrf = h["Set-Cookie"].split(";")[0], json.loads(b)["csrf"]
for name, body in [("all.csv", {"format": "csv", "to": "2026-02-01T00:00:00Z"}),
                   ("kinds.jsonl", {"format": "jsonl", "kinds": ["system.*", "person.updated"],
                                    "to": "2026-02-01T00:00:00Z"}),
                   ("exceptions.csv", {"report": "exceptions", "format": "csv",
                                       "from": "2026-01-05", "to": "2026-02-01T00:00:00Z"})]:
    _, b = call("POST", "/api/exports", body, cookie, csrf)
    summary = json.loads(b)
    _, data = call("GET", summary["url"], None, cookie, csrf)
    want = open("%s/%s" % (files, name), "rb").read()
    assert data == want, (name, len(data), len(want))
    _, man = call("GET", summary["manifest_url"], None, cookie, csrf)
    got, ref = json.loads(man)["statement"], json.load(open("%s/%s.manifest.json" % (files, name)))["statement"]
    for k in ("filter", "report", "range_first", "range_last", "first_prev", "last_hash",
              "rows", "export_chain"):
        assert got[k] == ref[k], (name, k, got[k], ref[k])
    print(name, len(data), "bytes as aeogatectl wrote them")
PY
pass "aeogate-web's exports are aeogatectl's bytes and statements"

stop_daemon
pass "aeogated stops cleanly"
