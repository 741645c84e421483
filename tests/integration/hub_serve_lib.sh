# The fleet page's server for tests (test_hub_serve.sh; tests/e2e/hub.test.mjs
# starts it the same way). Source after hub_lib.sh.
#
#   hub_fleet_fill        a hub store as test_hub_collect.sh fills it, through
#                         the broker: s1/gate-1 complete, online, with a
#                         checkpoint; s2/dock-2 on the same chain but stored
#                         only to seq 3 (lag), gone offline, with a forged
#                         checkpoint (a bad_checkpoint alarm). Sets FLEET_N.
#   ctl_checkpoint_forged SITE CONTROLLER   a fresh checkpoint of the controller
#                         with one signature digit changed (a bad_checkpoint alarm)
#   serve_start           aeogate-hub serve on a free loopback port, the source
#                         ui/; exports SERVE_URL ($T/serve.log)
#   serve_stop            SIGTERM, expects exit 0

SERVE_PID=""

hub_fleet_fill() {
	write_sim_config
	start_daemon "$T/sim.ini"
	seed_audit_scenario
	hub_start
	ctl_status s1 gate-1
	ctl_checkpoint s1 gate-1
	FLEET_N=$(last_seq)
	ctl_feed s1 gate-1
	hub_wait_stored s1 gate-1 "$FLEET_N"
	ctl_status s2 dock-2
	# Whole, then cut: head closing the pipe early would SIGPIPE aeogatectl (pipefail).
	ctl events --json >"$T/events.jsonl"
	head -n 3 "$T/events.jsonl" >"$T/first3.jsonl"
	mosquitto_pub "${MQTT_CLIENT_ARGS[@]}" -q 1 -t aeogate/s2/dock-2/events -l <"$T/first3.jsonl"
	hub_wait_stored s2 dock-2 3
	ctl_checkpoint_forged s2 dock-2
	mqtt_pub aeogate/s2/dock-2/status offline -r
	local deadline=$((SECONDS + 30))
	until [ "$(hub_sql "SELECT count(*) FROM alarms WHERE controller='dock-2' AND kind='bad_checkpoint'")" = 1 ] &&
		[ "$(hub_sql "SELECT online FROM controllers WHERE controller='dock-2'")" = 0 ]; do
		[ $SECONDS -lt $deadline ] || fail "the hub did not store dock-2's alarm and offline: $(hub_sql "SELECT * FROM alarms")"
		sleep 0.1
	done
}

ctl_checkpoint_forged() {
	local pk cp
	pk=$(ctl audit pubkey --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
	cp=$(ctl audit checkpoint --json)
	mqtt_pub "aeogate/$1/$2/checkpoints" "$(python3 -c 'import json,sys; c=json.loads(sys.argv[1]); c["public_key"]=sys.argv[2]; s=c["signature"]; c["signature"]=("0" if s[0]!="0" else "1")+s[1:]; print(json.dumps(c))' "$cp" "$pk")"
}

serve_start() {
	local port deadline
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	"$AEOGATE_HUB" serve -c "$T/hub.ini" --listen "127.0.0.1:$port" --ui "$SOURCE_DIR/ui" \
		>>"$T/serve.log" 2>&1 &
	SERVE_PID=$!
	BG_PIDS+=("$SERVE_PID")
	SERVE_URL="http://127.0.0.1:$port"
	deadline=$((SECONDS + 30))
	until grep -q "serving http://127.0.0.1:$port/" "$T/serve.log" 2>/dev/null; do
		kill -0 "$SERVE_PID" 2>/dev/null || {
			cat "$T/serve.log" >&2
			fail "aeogate-hub serve exited at start"
		}
		[ $SECONDS -lt $deadline ] || fail "aeogate-hub serve did not listen"
		sleep 0.1
	done
	export SERVE_URL
}

serve_stop() {
	[ -n "$SERVE_PID" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null || true
	local rc=0
	wait "$SERVE_PID" || rc=$?
	_bg_forget "$SERVE_PID"
	SERVE_PID=""
	[ $rc -eq 0 ] || fail "aeogate-hub serve exited $rc on SIGTERM"
}
