#!/bin/bash
# A change set that arrives while aeogated cannot take it (its storage full:
# sync.apply answers "unavailable" and records nothing) is kept by
# aeogate-sync and handed in again, about once a second, until aeogated
# takes it; it used to be logged and dropped, and the controller only
# caught up when a later version came out of order. Needs root for the
# tmpfs the state directory lives on (else CTest's skip, 77).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt_lib.sh"
source "$(dirname "$0")/sync_lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "skip: mounting a tmpfs needs root"
	exit 77
fi

STATE="$T/small"
mkdir -p "$STATE"
mount -t tmpfs -o size=8m,mode=0750 aeogate-busy "$STATE" || fail "cannot mount a tmpfs"
umount_state() {
	local rc=$?
	set +e
	sync_kill
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=""
	fi
	umount "$STATE" 2>/dev/null || umount -l "$STATE" 2>/dev/null
	(exit $rc)
	cleanup
}
trap umount_state EXIT

SIGN="$BUILD_DIR/tests/tools/aeogate-test-sign"
mkdir -p "$T/office"
"$SIGN" keygen "$T/office" >/dev/null
mqtt_start
write_sim_config
sed -i 's/^\[controller\]$/[controller]\nstorage_reserve = 0/' "$T/sim.ini"
write_sync_config "$T/sync.ini"
{
	cat "$T/sync.ini"
	echo "office_pubkey = $T/office/office.pub"
} >>"$T/sim.ini"
start_daemon "$T/sim.ini"
sync_start "$T/sim.ini"
wait_for 30 grep -q "connected to aeogated" "$T/sync.log" || fail "aeogate-sync did not connect"

applied() {
	sock_op sync.state | python3 -c 'import json,sys; print(json.load(sys.stdin)["applied_version"] or 0)'
}
python3 - >"$T/body.json" <<'PY'
import datetime, json
t = datetime.datetime.now(datetime.timezone.utc)
print(json.dumps({"type": "changeset", "site": "site-a", "version": 1,
                  "issued": t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000),
                  "signer": "office:hq",
                  "ops": [{"op": "person.add", "args": {"id": "E9", "name": "Busy Test"}}]}))
PY
"$SIGN" sign "$T/office/office.key" <"$T/body.json" >"$T/envelope.json" || fail "signing failed"

# Every byte of the state directory taken: commits fail, sync.apply answers unavailable.
dd if=/dev/zero of="$STATE/ballast" bs=64k 2>/dev/null || true
mqtt_pub "aeogate/$SYNC_SITE/enrolment" "$(cat "$T/envelope.json")"
wait_for 60 grep -q "tried again" "$T/sync.log" || {
	tail -n 20 "$T/sync.log" >&2
	fail "aeogate-sync did not keep the change set aeogated could not take"
}
[ "$(applied)" = 0 ] || fail "applied $(applied) with the storage full"
pass "storage full: sync.apply answers unavailable, nothing applied, aeogate-sync keeps the change set"

rm -f "$STATE/ballast"
applied_is() { [ "$(applied)" = "$1" ]; }
wait_for 60 applied_is 1 || {
	tail -n 20 "$T/sync.log" >&2
	fail "the change set was not applied once storage came back (applied $(applied))"
}
ctl person show E9 >/dev/null || fail "E9 is not enrolled"
pass "room again: the kept change set is applied (version 1, E9 enrolled), without a later version to trigger it"
sync_stop
stop_daemon
