#!/bin/bash
# aeogate-sync's uplink through a real broker (mutual TLS, password file):
# every event published in seq order as the controller chained it, the
# cursor stored once the broker acknowledged, checkpoints after the events
# they sign, the retained status and the "offline" last will, and the
# sync.cursor op's rules.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mqtt_lib.sh"
. "$(dirname "$0")/sync_lib.sh"

sync_test_start

# sync.cursor: starts at 0, never goes back, never past the newest event.
OUT=$(sock_op sync.cursor)
ev_check "$OUT" 'e["forwarded_seq"] == 0 and e["checkpoint_seq"] == 0 and e["last_seq"] >= 1'
LAST=$(last_seq)
OUT=$(sock_op sync.cursor "{\"forwarded_seq\": $((LAST + 1))}") && fail "a cursor past the newest event was taken: $OUT"
expect_contains "$OUT" invalid_argument
pass "sync.cursor refuses a seq past the newest event"

mqtt_sub_start "aeogate/$SYNC_SITE/$SYNC_ID/#" "$T/sub.out"
sync_start
for i in $(seq 1 40); do
	ctl sim present dock-1-in --uid "04a1b2$(printf %02x "$i")" >/dev/null || true
done
# A checkpoint signed now covers the head: it is published after the events up to it.
CP=$(sock_op audit.checkpoint)
N=$(last_seq)
wait_seqs "$T/sub.out" "$N"
check_events "$T/sub.out"
pass "every event 1..$N reached the subscriber, in seq order, as the controller chained it"

wait_cursor "$N"
pass "the cursor reached the newest event once the broker acknowledged"

CPSEQ=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seq"])' "$CP")
deadline=$((SECONDS + 30))
until grep -q "^aeogate/$SYNC_SITE/$SYNC_ID/checkpoints .*\"seq\": *$CPSEQ[,}]" "$T/sub.out"; do
	[ $SECONDS -lt $deadline ] || fail "no checkpoint at seq $CPSEQ published; got: $(grep checkpoints "$T/sub.out")"
	sleep 0.2
done
PUB=$(sock_op audit.pubkey)
LINE=$(grep "^aeogate/$SYNC_SITE/$SYNC_ID/checkpoints .*\"seq\": *$CPSEQ[,}]" "$T/sub.out" | sed -n 1p)
python3 - "${LINE#* }" "$CP" "$PUB" <<'PY' || fail "the published checkpoint is not the controller's"
import json, sys
got, cp, pub = (json.loads(a) for a in sys.argv[1:4])
for k in ("seq", "hash", "ts", "key_id", "signature"):
    assert got[k] == cp[k], (k, got[k], cp[k])
assert got["public_key"] == pub["public_key"] and got["key_id"] == pub["key_id"]
PY
# The checkpoint comes after the event it signs.
awk -v cp="$CPSEQ" '/\/events / && $0 ~ "\"seq\": *"cp"[,}]" {e=NR} /\/checkpoints / && $0 ~ "\"seq\": *"cp"[,}]" && !c {c=NR} END {exit !(e && c && e < c)}' "$T/sub.out" ||
	fail "the checkpoint at $CPSEQ was published before its event"
pass "the signed checkpoint at seq $CPSEQ was published after its event, with the device key"

# The retained status, as a subscriber arriving later reads it.
status_now() {
	mosquitto_sub "${MQTT_CLIENT_ARGS[@]}" -t "aeogate/$SYNC_SITE/$SYNC_ID/status" -C 1 -W 5 2>/dev/null || true
}
deadline=$((SECONDS + 40))
while :; do
	ST=$(status_now)
	python3 -c '
import json, sys
s = json.loads(sys.argv[1])
sys.exit(0 if s.get("forwarded_seq", 0) >= int(sys.argv[2]) else 1)' "$ST" "$N" 2>/dev/null && break
	[ $SECONDS -lt $deadline ] || fail "the retained status never showed forwarded_seq $N: $ST"
	sleep 0.5
done
ev_check "$ST" 'e["state"] == "online" and e["last_seq"] >= '"$N"' and e["doors"] == 2 and isinstance(e["alarms"], int) and len(e["public_key"]) == 64 and len(e["key_id"]) == 16 and e["version"] and "applied_version" in e'
python3 -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); sys.exit(a["key_id"] != b["key_id"])' "$ST" "$PUB" ||
	fail "the status names another key than audit.pubkey"
pass "the retained status says online, the seqs, the doors, the alarms and the device key"

# Killed, it cannot say goodbye: the broker publishes the last will.
sync_kill
deadline=$((SECONDS + 90))
until [ "$(status_now)" = offline ]; do
	[ $SECONDS -lt $deadline ] || fail "the status never became offline after kill -9"
	sleep 0.5
done
pass "after kill -9 the retained status is the last will, offline"

# Started again, it is online again; stopped cleanly, it says offline itself.
sync_start
deadline=$((SECONDS + 30))
until status_now | matches '"online"'; do
	[ $SECONDS -lt $deadline ] || fail "the status did not come back online"
	sleep 0.2
done
sync_stop
[ "$(status_now)" = offline ] || fail "a clean stop left the status $(status_now)"
pass "a restart is online again, a clean stop leaves offline"

mqtt_sub_stop
mqtt_stop
stop_daemon
