#!/bin/bash
# SIGHUP reloads the config: door timings and reader formats take effect,
# doors and readers are added and removed (config.reloaded, detail.changed);
# an event follower keeps its stream; a file that fails validation, or
# rewires a running door, is refused (config.rejected with the reason) and
# the running config stays.
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

# A door with its reader, to add.
yard9() {
	printf '\n[door yard-9]\nzone = yard\nlock = sim\ncontact = sim\n'
	printf '\n[reader yard-9-in]\ntype = sim\ndoor = yard-9\nformats = all\n'
}

# A door and its reader added: listed, recorded, and a badge there is decided.
s2=$(last_seq)
cp "$T/good.ini" "$T/sim.ini"
yard9 >>"$T/sim.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s2" config.reloaded 20
ev_check "$EV" "sorted(d['changed']) == ['door yard-9: added', 'reader yard-9-in: added']"
expect_exit 0 ctl door list --json
expect_contains "$OUT" '"yard-9"'
# Its zone is one from now on: a level can name it.
expect_exit 0 ctl level add staff --zone dock --zone bonded-cage --zone yard
expect_exit 0 ctl person add E1 --name "Erin One" --level staff
expect_exit 0 ctl badge issue E1 --uid 04a1b2c3
[ "$(door_field yard-9 lock)" = locked ] || fail "the new door did not start locked: $OUT"
expect_exit 0 ctl reader list --json
expect_contains "$OUT" '"yard-9-in"'
s3=$(last_seq)
expect_exit 0 ctl sim present yard-9-in --uid 04a1b2c3
expect_contains "$OUT" granted
wait_event "$s3" access.granted
ev_check "$EV" "e['door'] == 'yard-9' and e['reader'] == 'yard-9-in' and e['zone'] == 'yard' and e['person'] == 'E1'"
[ "$(door_field yard-9 lock)" = released ] || fail "the grant at the new door did not release it"
pass "a door and reader added by SIGHUP: listed, started locked, a badge there granted: $EV"

# The same door removed while its lock is released by that grant: it is
# locked and gone; a read on its reader is refused, never decided at
# another door; the other doors go on.
s4=$(last_seq)
cp "$T/good.ini" "$T/sim.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s4" config.reloaded 20
ev_check "$EV" "sorted(d['changed']) == ['door yard-9: removed', 'reader yard-9-in: removed']"
expect_exit 0 ctl door list --json
expect_not_contains "$OUT" '"yard-9"'
expect_exit 0 ctl reader list --json
expect_not_contains "$OUT" '"yard-9-in"'
s5=$(last_seq)
expect_exit 1 ctl sim present yard-9-in --uid 04a1b2c3
expect_contains "$ERR" "not_found"
[ "$(count_after "$s5" 'access\.[a-z]+')" -eq 0 ] || fail "a read on a removed reader was decided: $(events_after "$s5")"
expect_exit 0 ctl sim present dock-1-in --uid 04a1b2c3
expect_contains "$OUT" granted
pass "a door and reader removed by SIGHUP: gone from the lists, a read there refused, the others decide"

# Added back (its slot reused): it works again under its name.
s6=$(last_seq)
yard9 >>"$T/sim.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s6" config.reloaded 20
expect_exit 0 ctl sim present yard-9-in --uid 04a1b2c3
expect_contains "$OUT" granted
pass "a door removed and added back by later reloads decides again"

# A badge waiting for its PIN at a reader that is removed: denied with its
# event (pin_required) at that door, not left waiting or moved elsewhere.
PIN=482916
expect_exit 0 ctl person pin E1 <<<"$PIN"
expect_exit 0 ctl door mode yard-9 card_and_pin
s7=$(last_seq)
expect_exit 3 ctl sim present yard-9-in --uid 04a1b2c3
cp "$T/good.ini" "$T/sim.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s7" config.reloaded 20
wait_event "$s7" access.denied
ev_check "$EV" "e['door'] == 'yard-9' and e['reader'] == 'yard-9-in' and e['reason'] == 'pin_required'"
pass "a badge waiting for its PIN on a removed reader is denied there: $EV"

# Rewiring a running door needs a restart: refused, named, nothing changes.
s8=$(last_seq)
sed -i '0,/^zone = dock$/s//zone = yard/' "$T/sim.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s8" config.rejected 20
ev_check "$EV" "'door dock-1: zone' in d['reason'] and 'restart' in d['reason']"
[ "$(door_field dock-1 zone)" = dock ] || fail "a refused file changed the door"
pass "rewiring a running door is refused (needs a restart): $EV"

# The follower saw all of it on the stream it had from the start.
for k in config.reloaded config.rejected; do
	for _ in $(seq 1 100); do grep -q "\"$k\"" "$T/follow.txt" && break; sleep 0.05; done
	grep -q "\"$k\"" "$T/follow.txt" || fail "the follower missed $k: $(cat "$T/follow.txt")"
done
grep -q "door yard-9: added" "$T/follow.txt" || fail "the follower missed the door added: $(cat "$T/follow.txt")"
kill -0 "$FOLLOW" || fail "the event follower was dropped by a reload"
kill "$FOLLOW"; wait "$FOLLOW" 2>/dev/null || true
BG_PIDS=()
pass "an event follower keeps its stream across reloads"

stop_daemon
pass "aeogated stops cleanly after the reloads (exit 0)"
