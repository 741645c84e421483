#!/bin/bash
# Several controllers on one broker, each with its own aeogate-sync
# (separate state directories, sockets, client ids and persistent
# sessions): each one's events arrive complete under its own topic, none
# mixed with another's, and each status names its own device key. Bounded
# by counts of reads.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mqtt_lib.sh"
. "$(dirname "$0")/sync_lib.sh"

CONTROLLERS=5
READS=30
write_sim_config
mqtt_start
mqtt_sub_start "aeogate/$SYNC_SITE/+/events" "$T/sub.out"

declare -a SOCKS SYNC_PIDS
for i in $(seq 1 $CONTROLLERS); do
	SOCKS[$i]="$T/c$i.sock"
	mkdir -p "$T/state$i"
	"$AEOGATED" -c "$T/sim.ini" --state-dir "$T/state$i" --socket "${SOCKS[$i]}" >>"$T/aeogated$i.log" 2>&1 &
	BG_PIDS+=("$!")
done
for i in $(seq 1 $CONTROLLERS); do
	wait_for 20 "$AEOGATECTL" --socket "${SOCKS[$i]}" status || fail "aeogated $i did not come up"
	write_sync_config "$T/sync$i.ini" "gw-$i"
	"$SYNC_BIN" -c "$T/sync$i.ini" --socket "${SOCKS[$i]}" >>"$T/sync$i.log" 2>&1 &
	SYNC_PIDS[$i]=$!
	BG_PIDS+=("$!")
done

# Reads on every controller, interleaved.
for r in $(seq 1 $READS); do
	for i in $(seq 1 $CONTROLLERS); do
		"$AEOGATECTL" --socket "${SOCKS[$i]}" sim present dock-1-in --uid "$(printf '%02x%06x' "$i" "$r")" >/dev/null || true
	done
done

for i in $(seq 1 $CONTROLLERS); do
	N=$("$AEOGATECTL" --socket "${SOCKS[$i]}" events --json | grep -oE '^\{"seq": ?[0-9]+' | grep -oE '[0-9]+$' | tail -n 1)
	wait_seqs "$T/sub.out" "$N" 120 "gw-$i"
	"$AEOGATECTL" --socket "${SOCKS[$i]}" events --json >"$T/events$i.json"
done
python3 - "$T/sub.out" "$SYNC_SITE" "$CONTROLLERS" "$T" <<'PY' || fail "a controller's events are not its own (above)"
import json, sys
sub, site, n, t = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
mine = {}
for i in range(1, n + 1):
    mine["gw-%d" % i] = {e["seq"]: e for e in (json.loads(l) for l in open("%s/events%d.json" % (t, i)) if l.startswith("{"))}
seen = {k: set() for k in mine}
for line in open(sub):
    topic, _, payload = line.rstrip("\n").partition(" ")
    ctl = topic.split("/")[2]
    e = json.loads(payload)
    m = mine[ctl].get(e["seq"])
    assert m and m["hash"] == e["hash"], "%s seq %d is not that controller's" % (ctl, e["seq"])
    seen[ctl].add(e["seq"])
for k, s in seen.items():
    assert s == set(mine[k]), "%s: published %d of %d" % (k, len(s), len(mine[k]))
PY
pass "$CONTROLLERS controllers, one broker: each one's events complete under its own topic, none mixed"

KEYS=""
for i in $(seq 1 $CONTROLLERS); do
	deadline=$((SECONDS + 30))
	while :; do
		ST=$(mosquitto_sub "${MQTT_CLIENT_ARGS[@]}" -t "aeogate/$SYNC_SITE/gw-$i/status" -C 1 -W 5 2>/dev/null || true)
		K=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["key_id"])' "$ST" 2>/dev/null || true)
		[ -n "$K" ] && [ "$K" != None ] && break
		[ $SECONDS -lt $deadline ] || fail "no status with a key for gw-$i: $ST"
		sleep 0.5
	done
	PUB=$(SOCK="${SOCKS[$i]}" sock_op audit.pubkey)
	expect_contains "$PUB" "\"key_id\": \"$K\""
	KEYS+="$K "
done
[ "$(echo $KEYS | tr ' ' '\n' | sort -u | wc -l)" -eq $CONTROLLERS ] || fail "two controllers share a key: $KEYS"
pass "each controller's retained status names its own device key"

for i in $(seq 1 $CONTROLLERS); do
	kill -TERM "${SYNC_PIDS[$i]}"
	wait "${SYNC_PIDS[$i]}" || fail "aeogate-sync gw-$i did not stop cleanly: $(tail -n 5 "$T/sync$i.log")"
	_bg_forget "${SYNC_PIDS[$i]}"
	if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/sync$i.log" >&2; then
		fail "aeogate-sync gw-$i's log has a sanitizer report (above)"
	fi
done
pass "every aeogate-sync stops cleanly on SIGTERM"
