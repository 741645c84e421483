# aeogate-sync in the integration tests. Source it after lib.sh and
# mqtt_lib.sh, and call mqtt_start first.
#
#   write_sync_config [FILE] [CLIENT_ID]  a [sync] section for the test's broker
#                          (mutual TLS and the password file), site "site-a"
#   sync_test_start        aeogated on write_sim_config's config, the broker,
#                          and the [sync] file for them ($T/sync.ini)
#   sync_start [FILE]      starts aeogate-sync on the test's socket ($SYNC_PID)
#   sync_stop              SIGTERM; it must exit 0
#   sync_kill              SIGKILL
#   sock_op OP [ARGS_JSON] one control-socket request, its result on stdout
#   cursor                 sync.cursor's forwarded_seq
#   wait_cursor SEQ [TIMEOUT_S]  until the cursor reaches SEQ
#   wait_seqs FILE N [TIMEOUT_S] [CLIENT_ID]  until FILE (mqtt_sub_start's)
#                          holds every event seq 1..N on that controller's
#                          events topic
#   check_events FILE      the events in FILE are the controller's own (seq,
#                          hash and prev as events --json has them) and came
#                          in seq order, a resend only ever going back to
#                          what was not yet confirmed

SYNC_BIN="$BUILD_DIR/controller/sync/aeogate-sync"
SYNC_PID=""
SYNC_SITE=site-a
SYNC_ID=ctl-1

sync_test_start() {
	write_sim_config
	start_daemon "$T/sim.ini"
	mqtt_start
	write_sync_config
}

write_sync_config() {
	local file=${1:-$T/sync.ini} id=${2:-$SYNC_ID}
	cat >"$file" <<INI
[sync]
broker = $MQTT_URL
ca_file = $MQTT_CA
cert_file = $MQTT_CERT
key_file = $MQTT_KEY
username = $MQTT_USER
password_file = $MQTT_PASSFILE
client_id = $id
site = $SYNC_SITE
INI
}

sync_start() {
	local file=${1:-$T/sync.ini}
	"$SYNC_BIN" -c "$file" --socket "$SOCK" >>"$T/sync.log" 2>&1 &
	SYNC_PID=$!
	BG_PIDS+=("$SYNC_PID")
}

_sync_end() {
	local sig=$1 rc=0
	[ -n "$SYNC_PID" ] || return 0
	kill "-$sig" "$SYNC_PID" 2>/dev/null || true
	wait "$SYNC_PID" 2>/dev/null || rc=$?
	_bg_forget "$SYNC_PID"
	SYNC_PID=""
	if [ "$sig" = TERM ] && [ $rc -ne 0 ]; then
		tail -n 30 "$T/sync.log" >&2
		fail "aeogate-sync exited $rc on SIGTERM"
	fi
	if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/sync.log" >&2; then
		fail "aeogate-sync's log has a sanitizer report (above)"
	fi
}

sync_stop() { _sync_end TERM; }
sync_kill() { _sync_end KILL; }

sock_op() {
	python3 - "$SOCK" "$1" "${2:-{\}}" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((json.dumps({"id": 1, "op": sys.argv[2], "args": json.loads(sys.argv[3])}) + "\n").encode())
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
rep = json.loads(buf)
if not rep.get("ok"):
    print(json.dumps(rep["error"]))
    sys.exit(1)
print(json.dumps(rep["result"]))
PY
}

cursor() {
	sock_op sync.cursor | python3 -c 'import json,sys; print(json.load(sys.stdin)["forwarded_seq"])'
}

cursor_at_least() { [ "$(cursor)" -ge "$1" ]; }

wait_cursor() {
	wait_for "${2:-60}" cursor_at_least "$1" || {
		tail -n 30 "$T/sync.log" >&2
		fail "the cursor stayed at $(cursor), expected $1"
	}
}

# The seqs of FILE's events topic lines, one per line as received. An
# event's JSON opens with its seq (chain.c's order), so sed takes it, cheap
# enough to poll with.
event_seqs() {
	local topic="aeogate/$SYNC_SITE/${2:-$SYNC_ID}/events"
	sed -n "s|^${topic//./\\.} {\"seq\":\([0-9]*\)[,}].*|\1|p" "$1"
}

# How many of the seqs 1..N FILE holds for CLIENT_ID.
seqs_held() {
	event_seqs "$1" "$3" | sort -un | awk -v n="$2" '$1 >= 1 && $1 <= n' | wc -l
}
seqs_complete() { [ "$(seqs_held "$1" "$2" "$3")" -eq "$2" ]; }

wait_seqs() {
	local id=${4:-$SYNC_ID}
	wait_for "${3:-60}" seqs_complete "$1" "$2" "$id" || {
		tail -n 30 "$T/sync.log" >&2
		fail "the subscriber has $(seqs_held "$1" "$2" "$id") of the events 1..$2"
	}
}

check_events() {
	ctl events --json >"$T/events.json"
	python3 - "$1" "aeogate/$SYNC_SITE/${2:-$SYNC_ID}/events" "$T/events.json" <<'PY' || fail "the events published differ from the controller's (above)"
import json, sys
mine = {}
for line in open(sys.argv[3]):
    line = line.strip()
    if line.startswith("{"):
        e = json.loads(line)
        mine[e["seq"]] = e
newest = 0
for line in open(sys.argv[1], errors="replace"):
    topic, _, payload = line.rstrip("\n").partition(" ")
    if topic != sys.argv[2]:
        continue
    e = json.loads(payload)
    m = mine.get(e["seq"])
    if m is None or m["hash"] != e["hash"] or m["prev"] != e["prev"] or m["kind"] != e["kind"]:
        print("published event not in the controller's log:", payload, file=sys.stderr)
        sys.exit(1)
    if e["seq"] > newest + 1:
        print("seq %d came before %d" % (e["seq"], newest + 1), file=sys.stderr)
        sys.exit(1)
    newest = max(newest, e["seq"])
PY
}
