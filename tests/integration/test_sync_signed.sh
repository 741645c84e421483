#!/bin/bash
# The downlink end to end: signed change sets and commands published on the
# broker reach aeogated through aeogate-sync and are applied exactly once,
# in version order; a gap is asked for on the requests topic, a command is
# acknowledged on the acks topic, unsigned and replayed sets are refused
# with an event each, and the status reports the applied version. One
# config file serves both programs. The office's Ed25519 key is made with
# openssl here, independently of the product's own signing code. Skips
# (77) against an aeogated without sync.apply.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mqtt_lib.sh"
. "$(dirname "$0")/sync_lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
OUT=$(sock_op sync.state 2>&1) || {
	expect_contains "$OUT" unknown_op
	echo "SKIP: this aeogated has no sync.apply (the controller side of issue 18)"
	exit 77
}
stop_daemon

# The office key: its public half as 64 hex digits for aeogated.
openssl genpkey -algorithm ed25519 -out "$T/office.pem" 2>/dev/null || fail "openssl cannot make an Ed25519 key"
openssl pkey -in "$T/office.pem" -pubout -outform DER 2>/dev/null |
	python3 -c 'import sys; print(sys.stdin.buffer.read()[-32:].hex())' >"$T/office.pub"

mqtt_start
write_sync_config "$T/sync-part.ini"
{
	cat "$T/sim.ini"
	echo
	cat "$T/sync-part.ini"
	echo "office_pubkey = $T/office.pub"
} >"$T/fleet.ini"
start_daemon "$T/fleet.ini"
mqtt_sub_start "aeogate/$SYNC_SITE/#" "$T/sub.out"
sync_start "$T/fleet.ini"
wait_cursor "$(last_seq)"

# envelope BODY_JSON: the signed envelope of BODY (the body's exact bytes).
envelope() {
	printf '%s' "$1" >"$T/body"
	openssl pkeyutl -sign -inkey "$T/office.pem" -rawin -in "$T/body" -out "$T/sig" 2>/dev/null ||
		fail "openssl cannot sign"
	python3 - "$T/body" "$T/sig" "$T/office.pub" <<'PY'
import hashlib, json, sys
body = open(sys.argv[1], "rb").read().decode()
sig = open(sys.argv[2], "rb").read().hex()
pk = bytes.fromhex(open(sys.argv[3]).read().strip())
print(json.dumps({"body": body, "signature": sig, "key_id": hashlib.sha256(pk).digest()[:8].hex()}))
PY
}
now() { python3 -c 'import datetime; print(datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")'; }
# changeset VERSION OPS_JSON: a change set's body for the test's site.
changeset() {
	printf '{"type":"changeset","site":"%s","version":%s,"issued":"%s","signer":"office:hq","ops":%s}' \
		"$SYNC_SITE" "$1" "$(now)" "$2"
}
ENROL="aeogate/$SYNC_SITE/enrolment"

S=$(last_seq)
mqtt_pub "$ENROL" "$(envelope "$(changeset 1 '[{"op":"person.add","args":{"id":"E1","name":"Ann Office"}},{"op":"badge.issue","args":{"person":"E1","credential":"h10301:12:1001"}}]')")"
wait_event "$S" sync.applied 30
ev_check "$EV" 'd["version"] == 1'
wait_event "$S" person.added
ev_check "$EV" 'd.get("operator") == "office:hq"'
pass "a signed change set on the enrolment topic is applied, its ops recorded as the office's"

# Version 3 before 2: refused, and the missing versions asked for.
S=$(last_seq)
V3=$(envelope "$(changeset 3 '[{"op":"person.suspend","args":{"id":"E1"}}]')")
mqtt_pub "$ENROL" "$V3"
wait_event "$S" sync.rejected 30
ev_check "$EV" 'd["reason"] == "out_of_order" and d["version"] == 3'
wait_for 30 grep -q "^aeogate/$SYNC_SITE/$SYNC_ID/requests {\"from\":2}" "$T/sub.out" ||
	fail "no request for version 2: $(grep requests "$T/sub.out")"
pass "a change set out of order is refused with an event, and {\"from\":2} is asked for"

# The missing version, then 3 again (as the hub republishes on the controller's own topic).
S=$(last_seq)
mqtt_pub "$ENROL/$SYNC_ID" "$(envelope "$(changeset 2 '[{"op":"badge.revoke","args":{"credential":"h10301:12:1001"}}]')")"
wait_event "$S" badge.revoked 30
mqtt_pub "$ENROL/$SYNC_ID" "$V3"
wait_event "$S" person.suspended 30
[ "$(events_after "$S" | grep -cE "$(kind_re sync.applied)")" -eq 2 ] || fail "versions 2 and 3 were not applied once each"
pass "versions 2 and 3 apply in order from the controller's own topic"

# Replayed and unsigned: refused, an event each, nothing applied.
S=$(last_seq)
mqtt_pub "$ENROL" "$V3"
wait_event "$S" sync.rejected 30
ev_check "$EV" 'd["reason"] == "replay"'
S=$(last_seq)
mqtt_pub "$ENROL" "$(printf '{"body":%s}' "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$(changeset 4 '[]')")")"
wait_event "$S" sync.rejected 30
ev_check "$EV" 'd["reason"] == "unsigned"'
[ "$(events_after "$S" | grep -cE "$(kind_re sync.applied)")" -eq 0 ] || fail "a refused set was applied"
pass "a replayed and an unsigned change set are refused, an event each"

# A signed command: applied, recorded like the local one, acknowledged with its event's seq.
ID=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
S=$(last_seq)
mqtt_pub "aeogate/$SYNC_SITE/commands/$SYNC_ID" "$(envelope "$(printf '{"type":"command","site":"%s","controller":"%s","id":"%s","issued":"%s","signer":"office:hq","command":"lockdown","args":{"comment":"drill from the office"}}' "$SYNC_SITE" "$SYNC_ID" "$ID" "$(now)")")"
wait_event "$S" site.lockdown 30
LSEQ=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seq"])' "$EV")
wait_for 30 grep -q "^aeogate/$SYNC_SITE/acks/$SYNC_ID .*\"$ID\"" "$T/sub.out" || fail "no ack for command $ID"
ACK=$(grep -m1 "^aeogate/$SYNC_SITE/acks/$SYNC_ID .*\"$ID\"" "$T/sub.out")
ev_check "${ACK#* }" 'e["ok"] is True and e["seq"] == '"$LSEQ"
pass "a signed lockdown is applied and acknowledged with the seq of its event"

# The status reports the version applied.
deadline=$((SECONDS + 40))
until mosquitto_sub "${MQTT_CLIENT_ARGS[@]}" -t "aeogate/$SYNC_SITE/$SYNC_ID/status" -C 1 -W 5 2>/dev/null | matches '"applied_version":3'; do
	[ $SECONDS -lt $deadline ] || fail "the status never reported applied_version 3"
	sleep 0.5
done
pass "the retained status reports applied_version 3"

sync_stop
mqtt_sub_stop
mqtt_stop
stop_daemon
