# Helpers of the office-side tests (test_hub_*.sh): aeogate-hub against the
# test broker of mqtt_lib.sh. Source after lib.sh and mqtt_lib.sh.
#
#   hub_config [SITES]     writes $T/hub.ini ([hub]: the broker with TLS and
#                          password, the store $T/hub.db, the office key in
#                          $T/office) and makes the office key pair
#   hub ARGS...            aeogate-hub -c $T/hub.ini ARGS...
#   hub_start / hub_stop   aeogate-hub run in the background ($T/hub.log)
#   hub_sql SQL            a query on the hub's store (sqlite3)
#   hub_wait_stored SITE CONTROLLER SEQ   until the store's chain reaches SEQ
#   ctl_feed SITE CONTROLLER [SINCE]      publishes the controller's events
#                          after SINCE (aeogatectl events --json: the real
#                          chain) on aeogate/SITE/CONTROLLER/events
#   ctl_status SITE CONTROLLER            its retained status, as aeogate-sync
#                          publishes it
#   ctl_checkpoint SITE CONTROLLER        signs a checkpoint now and publishes it

AEOGATE_HUB="$BUILD_DIR/controller/hub/aeogate-hub"
HUB_PID=""

hub_config() {
	local sites=${1:-s1}
	mkdir -p "$T/office"
	"$AEOGATE_HUB" keygen --dir "$T/office" >"$T/office.hex" 2>/dev/null ||
		fail "aeogate-hub keygen failed"
	cat >"$T/hub.ini" <<INI
[hub]
broker = $MQTT_URL
ca_file = $MQTT_CA
cert_file = $MQTT_CERT
key_file = $MQTT_KEY
username = $MQTT_USER
password_file = $MQTT_PASSFILE
client_id = hub-test
sites = $sites
db = $T/hub.db
key_dir = $T/office
name = hq
INI
}

hub() {
	"$AEOGATE_HUB" -c "$T/hub.ini" "$@"
}

hub_start() {
	local n
	n=$(grep -c "collecting from" "$T/hub.log" 2>/dev/null || true)
	"$AEOGATE_HUB" run -c "$T/hub.ini" >>"$T/hub.log" 2>&1 &
	HUB_PID=$!
	BG_PIDS+=("$HUB_PID")
	local deadline=$((SECONDS + 30))
	until [ "$(grep -c "collecting from" "$T/hub.log" 2>/dev/null || true)" -gt "${n:-0}" ]; do
		kill -0 "$HUB_PID" 2>/dev/null || {
			cat "$T/hub.log" >&2
			fail "aeogate-hub run exited at start"
		}
		[ $SECONDS -lt $deadline ] || fail "aeogate-hub run did not subscribe"
		sleep 0.1
	done
}

hub_stop() {
	[ -n "$HUB_PID" ] || return 0
	kill -TERM "$HUB_PID" 2>/dev/null || true
	local rc=0
	wait "$HUB_PID" || rc=$?
	_bg_forget "$HUB_PID"
	HUB_PID=""
	[ $rc -eq 0 ] || fail "aeogate-hub run exited $rc on SIGTERM"
}

hub_sql() {
	sqlite3 -cmd ".timeout 30000" "$T/hub.db" "$1"
}

# Polls the store (not a timer): the broker delivers at its pace.
hub_wait_stored() {
	local deadline=$((SECONDS + 60)) got
	while :; do
		got=$(hub_sql "SELECT verified_seq FROM controllers WHERE site='$1' AND controller='$2'" 2>/dev/null || true)
		[ "${got:-0}" -ge "$3" ] && return 0
		[ $SECONDS -lt $deadline ] || fail "the hub stored $1/$2 up to seq ${got:-0}, not $3"
		sleep 0.1
	done
}

ctl_feed() {
	ctl events --json --since "${3:-0}" >"$T/feed.jsonl"
	mosquitto_pub "${MQTT_CLIENT_ARGS[@]}" -q 1 -t "aeogate/$1/$2/events" -l <"$T/feed.jsonl" ||
		fail "mosquitto_pub of the events failed"
}

ctl_status() {
	local pk
	pk=$(ctl audit pubkey --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
	mqtt_pub "aeogate/$1/$2/status" "$(python3 - "$pk" "$(last_seq)" <<'PY'
import hashlib, json, sys
pk, last = sys.argv[1], int(sys.argv[2])
print(json.dumps({"state": "online", "version": "test", "last_seq": last, "forwarded_seq": last,
                  "applied_version": 0, "public_key": pk,
                  "key_id": hashlib.sha256(bytes.fromhex(pk)).hexdigest()[:16],
                  "doors": 2, "alarms": 0}))
PY
)" -r
}

ctl_checkpoint() {
	local pk cp
	pk=$(ctl audit pubkey --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
	cp=$(ctl audit checkpoint --json)
	CHECKPOINT=$(python3 -c 'import json,sys; c=json.loads(sys.argv[1]); c["public_key"]=sys.argv[2]; print(json.dumps(c))' "$cp" "$pk")
	mqtt_pub "aeogate/$1/$2/checkpoints" "$CHECKPOINT"
}

# Controller I of a fleet test, whose control socket is $T/cI.sock: aeogatectl
# (c_ctl I ARGS...), one control-socket op (c_op I OP [ARGS]), and the last
# change set version it applied (c_applied I).
c_ctl() {
	local i=$1
	shift
	"$AEOGATECTL" --socket "$T/c$i.sock" "$@"
}
c_op() { SOCK="$T/c$1.sock" sock_op "${@:2}"; }
c_applied() {
	c_op "$1" sync.state | python3 -c 'import json,sys; print(json.load(sys.stdin)["applied_version"] or 0)'
}
