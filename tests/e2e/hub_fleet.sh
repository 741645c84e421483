#!/bin/bash
# The fleet behind tests/e2e/hub.test.mjs, made with the integration
# helpers: a TLS + password broker, aeogate-hub run collecting a real
# controller's chain as s1/gate-1 (online) and s2/dock-2 (behind, offline,
# a bad_checkpoint alarm), and aeogate-hub serve on a free port.
# Prints "SERVE_URL=..." on stdout when ready, then reads commands:
#   offline SITE CONTROLLER   its last will arrives; "done" once stored
#   forge SITE CONTROLLER     a checkpoint with a broken signature; "done" once alarmed
# and stops everything at the end of its input. Exits 77 without mosquitto.
INTEGRATION="$SOURCE_DIR/tests/integration"
source "$INTEGRATION/lib.sh"
source "$INTEGRATION/audit_lib.sh"
source "$INTEGRATION/mqtt_lib.sh"
source "$INTEGRATION/hub_lib.sh"
source "$INTEGRATION/hub_serve_lib.sh"

# Only the protocol lines on stdout; the helpers' chatter goes to stderr.
exec 3>&1 1>&2

wait_sql() {
	local deadline=$((SECONDS + 30))
	until [ "$(hub_sql "$1")" = "$2" ]; do
		[ $SECONDS -lt $deadline ] || fail "timed out: $1"
		sleep 0.1
	done
}

mqtt_start
hub_config "s1 s2"
hub_fleet_fill
serve_start
echo "SERVE_URL=$SERVE_URL" >&3
while read -r cmd site controller; do
	case "$cmd" in
	offline)
		mqtt_pub "aeogate/$site/$controller/status" offline -r
		wait_sql "SELECT online FROM controllers WHERE site='$site' AND controller='$controller'" 0
		;;
	forge)
		n=$(hub_sql "SELECT count(*) FROM alarms")
		ctl_checkpoint_forged "$site" "$controller"
		wait_sql "SELECT count(*) > $n FROM alarms" 1
		;;
	*) fail "unknown command '$cmd'" ;;
	esac
	echo done >&3
done
serve_stop
hub_stop
