#!/bin/bash
# aeogate-sync's downlink plumbing: what arrives on the enrolment and
# command topics goes to aeogated verbatim (sync.apply, sync.command), a
# command always gets an acknowledgement on the acks topic, and the uplink
# keeps forwarding whatever the downlink brings. Against an aeogated
# without those ops (before the fleet-apply change), each topic's messages
# are dropped with one log line, never a flood and never an exit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mqtt_lib.sh"
. "$(dirname "$0")/sync_lib.sh"

sync_test_start
mqtt_sub_start "aeogate/$SYNC_SITE/#" "$T/sub.out"
sync_start
wait_cursor "$(last_seq)"

HAS_OPS=1
OUT=$(sock_op sync.state 2>&1) || { expect_contains "$OUT" unknown_op; HAS_OPS=0; }

ENV='{"body":"{\"type\":\"command\",\"id\":\"00112233445566778899aabbccddeeff\"}","signature":"00","key_id":"0000000000000000"}'
for i in 1 2 3; do
	mqtt_pub "aeogate/$SYNC_SITE/commands/$SYNC_ID" "$ENV"
	mqtt_pub "aeogate/$SYNC_SITE/enrolment" '{"body":"{}","signature":"00","key_id":"00"}'
	mqtt_pub "aeogate/$SYNC_SITE/enrolment/$SYNC_ID" 'not json at all'
	# Another controller's commands are not ours: never passed on.
	mqtt_pub "aeogate/$SYNC_SITE/commands/ctl-2" "$ENV"
done

if [ $HAS_OPS = 0 ]; then
	wait_for 20 grep -q "aeogated has no sync.command" "$T/sync.log" || fail "no word on the missing sync.command: $(cat "$T/sync.log")"
	wait_for 20 grep -q "aeogated has no sync.apply" "$T/sync.log" || fail "no word on the missing sync.apply"
	# All nine messages were taken before the reads below are forwarded.
else
	deadline=$((SECONDS + 20))
	until [ "$(grep -c "^aeogate/$SYNC_SITE/acks/$SYNC_ID " "$T/sub.out")" -ge 3 ]; do
		[ $SECONDS -lt $deadline ] || fail "no acknowledgement for the refused commands: $(cat "$T/sub.out")"
		sleep 0.2
	done
	ACK=$(grep -m1 "^aeogate/$SYNC_SITE/acks/$SYNC_ID " "$T/sub.out")
	ev_check "${ACK#* }" 'e["ok"] is False and e["id"] == "00112233445566778899aabbccddeeff" and e["error"]["code"]'
	grep -q "^aeogate/$SYNC_SITE/acks/ctl-2 " "$T/sub.out" && fail "another controller's command was acknowledged"
fi

# The uplink went on meanwhile.
ctl sim present dock-1-in --uid 04cafe01 >/dev/null || true
N=$(last_seq)
wait_seqs "$T/sub.out" "$N" 60
wait_cursor "$N"
if [ $HAS_OPS = 0 ]; then
	[ "$(grep -c "aeogated has no sync.command" "$T/sync.log")" -eq 1 ] || fail "the missing op was logged more than once"
	[ "$(grep -c "aeogated has no sync.apply" "$T/sync.log")" -eq 1 ] || fail "the missing op was logged more than once"
	grep -q "^aeogate/$SYNC_SITE/acks/" "$T/sub.out" && fail "a command was acknowledged without an aeogated to apply it"
	pass "without sync.apply and sync.command in aeogated: dropped, said once each, the uplink goes on"
else
	pass "a refused command is acknowledged with its id and the controller's error; the uplink goes on"
fi

sync_stop
mqtt_sub_stop
mqtt_stop
stop_daemon
