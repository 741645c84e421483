#!/bin/bash
# SIGHUP reloads the config: door timings and reader formats take effect
# (config.reloaded, detail.changed), an event follower keeps its stream; a
# file that fails validation, or adds a door, is refused (config.rejected
# with the reason) and the running config stays.
source "$(dirname "$0")/lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
expect_exit 0 ctl reader list --json
expect_contains "$OUT" "h10304"

ctl events --follow --json >"$T/follow.txt" 2>&1 &
FOLLOW=$!
BG_PIDS=("$FOLLOW")
s0=$(last_seq)

sed -i 's/^strike_time = 5s$/strike_time = 7s/; s/^formats = h10301,h10304,h10302$/formats = h10301/' "$T/sim.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s0" config.reloaded 20
ev_check "$EV" "sorted(d['changed']) == ['door dock-1: strike_time', 'reader cage-1-in: formats']"
expect_exit 0 ctl reader list --json
python3 -c '
import json, sys
r = {x["name"]: x for x in json.loads(sys.argv[1])}
sys.exit(0 if r["cage-1-in"]["formats"] == ["h10301"] else 1)' "$OUT" || fail "formats not applied: $OUT"
pass "SIGHUP applies door timings and reader formats: $EV"

# A file that does not validate: refused, the running one stays.
s1=$(last_seq)
cp "$T/sim.ini" "$T/good.ini"
sed -i 's/^strike_time = 7s$/strike_time = banana/' "$T/sim.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s1" config.rejected 20
ev_check "$EV" "'strike_time' in d['reason']"
expect_exit 0 ctl reader list --json
expect_contains "$OUT" '"h10301"'
pass "a file that fails validation is refused with its reason: $EV"

# A door added needs a restart: refused, said so.
s2=$(last_seq)
cp "$T/good.ini" "$T/sim.ini"
printf '\n[door extra-1]\nzone = dock\nlock = sim\n' >>"$T/sim.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s2" config.rejected 20
ev_check "$EV" "'restart' in d['reason']"
pass "adding a door by reload is refused (needs a restart): $EV"

# The follower saw all of it on the stream it had from the start.
for k in config.reloaded config.rejected; do
	for _ in $(seq 1 100); do grep -q "\"$k\"" "$T/follow.txt" && break; sleep 0.05; done
	grep -q "\"$k\"" "$T/follow.txt" || fail "the follower missed $k: $(cat "$T/follow.txt")"
done
kill -0 "$FOLLOW" || fail "the event follower was dropped by a reload"
kill "$FOLLOW"; wait "$FOLLOW" 2>/dev/null || true
BG_PIDS=()
pass "an event follower keeps its stream across reloads"
