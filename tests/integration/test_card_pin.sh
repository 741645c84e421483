#!/bin/bash
# Issue 13.4 (card + PIN, wrong PINs, duress), through aeogatectl on the
# simulated board, then a Wiegand keypad through the libgpiod double: a
# PIN set from stdin (bad input refused, nothing stored); on a card_and_pin
# door a badge waits (sim present exits 3, pending pin) and sim keys ends
# it in one access event: granted, wrong_pin, or, after 5 wrong PINs in a
# row, pin_locked until person pin-unlock or a new PIN, also across a
# restart; a duress PIN grants like the PIN and raises alarm.duress in the
# same transaction; a second badge replaces the first; keys typed with no
# badge waiting are counted in reader list; no PIN enrolled and a wait that
# runs out ([policy] pin_timeout = 1s after a restart) are pin_required; and
# the PIN is nowhere in the database files or the log.
source "$(dirname "$0")/lib.sh"

write_sim_config
# A grant's release outlasts the commands that look at it on a loaded machine.
sed -i 's/^strike_time = 5s$/strike_time = 20s/' "$T/sim.ini"
grep -q '^strike_time = 20s$' "$T/sim.ini" || fail "the sim config changed: no strike_time = 5s"
# A wait long enough for a loaded machine to type the PIN in; the timeout
# itself is tested after a restart with pin_timeout = 1s.
printf '\n[policy]\npin_timeout = 60s\n' >>"$T/sim.ini"
start_daemon "$T/sim.ini"
ctl level add all --zone dock --zone bonded-cage >/dev/null
ctl person add E1001 --name "Ann Example" --level all >/dev/null
ctl badge issue E1001 --wiegand h10301:12:1001 >/dev/null
ctl person add E1002 --name "Bob Example" --level all >/dev/null
ctl badge issue E1002 --wiegand h10301:12:1002 >/dev/null
ANN=$(h10301_bits 12 1001)
BOB=$(h10301_bits 12 1002)
# Distinctive, so that finding it in a file means it was stored.
PIN=73914825
DURESS=73914826

# json_get CMD... -- PYTHON_EXPR over j (the command's --json output).
json_get() {
	local expr=${*: -1}
	"${@:1:$#-1}" --json | python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$expr"
}

person_pin() {
	json_get ctl person show "$1" 'j["pin"]'
}

door_lock() {
	ctl door list --json | python3 -c '
import json, sys
print({x["name"]: x for x in json.load(sys.stdin)}[sys.argv[1]]["lock"])' "$1"
}

keys_dropped() {
	ctl reader list --json | python3 -c '
import json, sys
print({x["name"]: x for x in json.load(sys.stdin)}[sys.argv[1]]["keys_dropped"])' "$1"
}

# wait_count SEQ KIND_RE N: waits (bounded) until N events matching KIND_RE follow SEQ.
wait_count() {
	local deadline=$((SECONDS + 30))
	until [ "$(count_after "$1" "$2")" -ge "$3" ]; do
		[ $SECONDS -lt $deadline ] || fail "expected $3 events $2 after seq $1: $(events_after "$1")"
		sleep 0.05
	done
}

# badge_pending READER BITS: presents a badge that waits for its PIN.
badge_pending() {
	expect_exit 3 ctl sim present "$1" --bits "$2"
	expect_contains "$OUT" "pending  pin"
}

# ---- person pin: bad input is refused and changes nothing ----
before=$(last_seq)
for bad in 123 12a4 "" 123456789 " 1234" "12 34"; do
	expect_exit 1 ctl person pin E1001 <<<"$bad"
	expect_contains "$ERR" "'pin' must be 4 to 8 digits"
	[ -z "$bad" ] || expect_not_contains "$ERR" "$bad"
done
expect_exit 1 ctl person pin E1001 </dev/null
expect_contains "$ERR" "no PIN given on stdin"
expect_exit 1 ctl person pin NOBODY <<<"$PIN"
expect_contains "$ERR" "no person 'NOBODY'"
expect_exit 2 ctl person pin
expect_exit 1 ctl person pin-unlock E1001
expect_contains "$ERR" "has no PIN"
[ "$(person_pin E1001)" = none ] || fail "a refused PIN was stored"
[ "$(count_after "$before" 'person\.pin_[a-z]+')" -eq 0 ] || fail "a refused PIN was recorded"
pass "person pin: 3 digits, letters, empty, 9 digits, spaces, no input, unknown person: one clear error, nothing stored"

# ---- a PIN from stdin ----
before=$(last_seq)
expect_exit 0 ctl person pin E1001 <<<"$PIN"
expect_contains "$OUT" "set"
wait_event "$before" person.pin_set
ev_check "$EV" 'e["person"] == "E1001" and d["action"] == "set" and d["before"]["pin"] == "none" and d["after"] == {"pin": "set", "wrong_pins": 0, "locked": False} and d["operator"]'
expect_not_contains "$EV" "$PIN"
expect_not_contains "$EV" "argon2"
[ "$(person_pin E1001)" = set ] || fail "person show: $(ctl person show E1001 --json)"
pass "person pin from stdin: person.pin_set (action set, before/after, operator), no PIN material"

# ---- no PIN enrolled: pin_required at once ----
expect_exit 0 ctl door mode dock-1 card_and_pin
before=$(last_seq)
expect_exit 1 ctl sim present dock-1-in --bits "$BOB"
expect_contains "$OUT" "pin_required"
[ "$(count_after "$before" 'access\.denied')" -eq 1 ] || fail "$(events_after "$before")"
pass "a badge whose holder has no PIN is denied pin_required at once"

# ---- the PIN opens the door ----
before=$(last_seq)
badge_pending dock-1-in "$ANN"
expect_contains "$OUT" "E1001"
[ "$(count_after "$before" 'access\.[a-z]+')" -eq 0 ] || fail "an access event before the PIN: $(events_after "$before")"
[ "$(door_lock dock-1)" = locked ] || fail "the badge alone released the lock"
expect_exit 0 ctl sim keys dock-1-in "${PIN}#"
expect_contains "$OUT" "sent 9 keys to dock-1-in"
wait_event "$before" access.granted 30
ev_check "$EV" 'e["person"] == "E1001" and e["door"] == "dock-1" and e["reader"] == "dock-1-in" and e["credential"] == "h10301:12:1001" and e["reason"] is None'
GRANT_DETAIL=$(python3 -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1]).get("detail"), sort_keys=True))' "$EV")
[ "$(count_after "$before" 'access\.[a-z]+')" -eq 1 ] || fail "not one access event: $(events_after "$before")"
[ "$(door_lock dock-1)" = released ] || fail "the lock did not release on the PIN"
pass "card_and_pin: sim present exits 3 pending pin, no event; sim keys PIN# grants: one access.granted, the lock released"

before=$(last_seq)
badge_pending dock-1-in "$ANN"
expect_exit 0 ctl sim keys dock-1-in "99*${PIN}#"
wait_event "$before" access.granted 30
pass "* clears what was typed"

# ---- wrong PINs ----
before=$(last_seq)
badge_pending dock-1-in "$ANN"
expect_exit 0 ctl sim keys dock-1-in "1111#"
wait_event "$before" access.denied 30
ev_check "$EV" 'e["reason"] == "wrong_pin" and e["person"] == "E1001" and d["wrong_pins"] == 1'
pass "a wrong PIN is denied wrong_pin (detail.wrong_pins 1)"

# The right one sets the count back: then five wrong in a row.
before=$(last_seq)
badge_pending dock-1-in "$ANN"
ctl sim keys dock-1-in "${PIN}#" >/dev/null
wait_event "$before" access.granted 30
for i in 1 2 3 4 5; do
	before=$(last_seq)
	badge_pending dock-1-in "$ANN"
	ctl sim keys dock-1-in "000${i}#" >/dev/null
	wait_event "$before" access.denied 30
	ev_check "$EV" "e['reason'] == 'wrong_pin' and d['wrong_pins'] == $i"
done
[ "$(person_pin E1001)" = locked ] || fail "five wrong PINs did not lock: $(ctl person show E1001 --json)"
before=$(last_seq)
expect_exit 1 ctl sim present dock-1-in --bits "$ANN"
expect_contains "$OUT" "pin_locked"
ev_check "$(events_after "$before" | grep -E "$(kind_re access.denied)" | sed -n 1p)" 'e["reason"] == "pin_locked"'
pass "a correct PIN resets the count; the 5th wrong PIN in a row is wrong_pin, then every badge is pin_locked at once"

# ---- the lock survives a restart; pin-unlock lifts it ----
stop_daemon
start_daemon "$T/sim.ini"
expect_exit 1 ctl sim present dock-1-in --bits "$ANN"
expect_contains "$OUT" "pin_locked"
pass "the PIN lock survives a restart (kept in the database)"

before=$(last_seq)
expect_exit 0 ctl person pin-unlock E1001
wait_event "$before" person.pin_unlocked
ev_check "$EV" 'e["person"] == "E1001" and d["before"] == {"pin": "locked", "wrong_pins": 5, "locked": True} and d["after"]["locked"] is False and d["after"]["wrong_pins"] == 0 and d["operator"]'
badge_pending dock-1-in "$ANN"
ctl sim keys dock-1-in "${PIN}#" >/dev/null
wait_event "$before" access.granted 30
pass "person pin-unlock: person.pin_unlocked (before/after, operator), and the PIN works again"

# A new PIN unlocks too: lock it again, then set one.
for i in 1 2 3 4 5; do
	before=$(last_seq)
	badge_pending dock-1-in "$ANN"
	ctl sim keys dock-1-in "0000#" >/dev/null
	wait_event "$before" access.denied 30
done
[ "$(person_pin E1001)" = locked ] || fail "not locked again"
before=$(last_seq)
expect_exit 0 ctl person pin E1001 <<<"$PIN"
wait_event "$before" person.pin_set
ev_check "$EV" 'd["before"]["pin"] == "locked" and d["after"] == {"pin": "set", "wrong_pins": 0, "locked": False}'
badge_pending dock-1-in "$ANN"
ctl sim keys dock-1-in "${PIN}#" >/dev/null
wait_event "$before" access.granted 30
pass "setting a new PIN unlocks it and resets the count"

# ---- duress ----
before=$(last_seq)
badge_pending dock-1-in "$ANN"
expect_exit 0 ctl sim keys dock-1-in "${DURESS}#"
wait_event "$before" alarm.duress 30
ALARM=$EV
wait_event "$before" access.granted
GRANT=$EV
ev_check "$ALARM" 'e["person"] == "E1001" and e["door"] == "dock-1" and e["ts"]'
ev_check "$GRANT" 'e["person"] == "E1001" and e["reason"] is None'
python3 -c '
import json, sys
g, a = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert a["seq"] == g["seq"] + 1, (g["seq"], a["seq"])
assert a["ts"] == g["ts"]
assert json.dumps(g.get("detail"), sort_keys=True) == sys.argv[3], (g.get("detail"), sys.argv[3])
assert "duress" not in sys.argv[1]' "$GRANT" "$ALARM" "$GRANT_DETAIL" ||
	fail "the duress grant is not the PIN's grant plus a separate alarm: $GRANT / $ALARM"
[ "$(count_after "$before" 'access\.[a-z]+')" -eq 1 ] || fail "$(events_after "$before")"
expect_exit 0 ctl alarm list --open --json
python3 -c '
import json, sys
a = [x for x in json.loads(sys.argv[1]) if x["kind"] == "alarm.duress"]
assert len(a) == 1 and a[0]["person"] == "E1001" and a[0]["door"] == "dock-1" and a[0]["state"] == "open", a' "$OUT" ||
	fail "alarm list: no open alarm.duress naming E1001 at dock-1: $OUT"
pass "duress PIN: the same access.granted as the PIN's, and alarm.duress (person, door, time) in the same transaction, an open alarm naming the person"

# ---- a second badge replaces the first ----
before=$(last_seq)
badge_pending dock-1-in "$ANN"
ctl sim keys dock-1-in "73" >/dev/null
badge_pending dock-1-in "$ANN"
wait_event "$before" access.denied
ev_check "$EV" 'e["reason"] == "pin_required" and e["person"] == "E1001"'
ctl sim keys dock-1-in "${PIN}#" >/dev/null
wait_event "$before" access.granted 30
[ "$(count_after "$before" 'access\.[a-z]+')" -eq 2 ] || fail "$(events_after "$before")"
pass "a second badge while one waits: the first is denied pin_required, the second takes the PIN"

# ---- keys with no badge waiting ----
n0=$(keys_dropped dock-1-in)
before=$(last_seq)
expect_exit 0 ctl sim keys dock-1-in "12#"
expect_contains "$OUT" "3 dropped"
[ "$(keys_dropped dock-1-in)" -eq $((n0 + 3)) ] || fail "reader list: $(ctl reader list --json)"
expect_exit 0 ctl sim keys cage-1-in "4"
[ "$(keys_dropped cage-1-in)" -eq 1 ] || fail "reader list: $(ctl reader list --json)"
[ "$(count_after "$before" 'access\.[a-z]+')" -eq 0 ] || fail "$(events_after "$before")"
expect_exit 0 ctl reader list
expect_contains "$OUT" "KEYS-DROPPED"
pass "keys with no badge waiting are dropped and counted per reader (reader list, --json keys_dropped)"

expect_exit 1 ctl sim keys dock-1-in "12x#"
expect_contains "$ERR" "keypad keys"
expect_exit 1 ctl sim keys no-such-reader "1#"
expect_exit 2 ctl sim keys dock-1-in
pass "sim keys refuses other characters and unknown readers"

# ---- the wait runs out ----
stop_daemon
sed -i 's/^pin_timeout = 60s$/pin_timeout = 1s/' "$T/sim.ini"
grep -q '^pin_timeout = 1s$' "$T/sim.ini" || fail "pin_timeout not set to 1s"
start_daemon "$T/sim.ini"
before=$(last_seq)
badge_pending dock-1-in "$ANN"
wait_event "$before" access.denied 30
ev_check "$EV" 'e["reason"] == "pin_required" and e["person"] == "E1001"'
[ "$(door_lock dock-1)" = locked ] || fail "a timed-out badge released the lock"
pass "no PIN within pin_timeout: access.denied pin_required"

# ---- clear ----
before=$(last_seq)
expect_exit 0 ctl person pin E1001 --clear
wait_event "$before" person.pin_set
ev_check "$EV" 'd["action"] == "clear" and d["before"]["pin"] == "set" and d["after"]["pin"] == "none" and d["operator"]'
expect_exit 1 ctl sim present dock-1-in --bits "$ANN"
expect_contains "$OUT" "pin_required"
expect_exit 1 ctl person pin E1001 --clear
expect_contains "$ERR" "has no PIN"
pass "person pin --clear: person.pin_set (action clear); then the badge is pin_required at once"

# ---- a Wiegand keypad on the gpiod backend ----
stop_daemon
write_gpiod_config
printf '\n[policy]\npin_timeout = 60s\n' >>"$T/gpiod.ini"
start_daemon_gpiod "$T/gpiod.ini"
ctl person pin E1001 <<<"$PIN" >/dev/null

# key4 K / key8 K: a keypad key (0-9, 10 *, 11 #) as a 4-bit burst, or an
# 8-bit one (the high nibble the complement of the low one).
nibble() {
	local v=$1 i out=""
	for ((i = 3; i >= 0; i--)); do out+=$(((v >> i) & 1)); done
	echo "$out"
}
key4() { nibble "$1"; }
key8() { echo "$(nibble $((~$1 & 15)))$(nibble "$1")"; }

# Frames end on 25 ms of silence on the wire (frame_gap_ms), as a person's
# keystrokes are apart: the pauses below are that silence, not a wait for
# the controller, which reads each frame's own timestamps.
before=$(last_seq)
fgpio wiegand gpiochip0 10 11 "$("$FAKE_GPIO" encode h10301:12:1001)"
i=0
for d in $(echo "$PIN" | grep -o .) 11; do
	sleep 0.1
	if [ $((i % 2)) -eq 0 ]; then bits=$(key4 "$d"); else bits=$(key8 "$d"); fi
	fgpio wiegand gpiochip0 10 11 "$bits"
	i=$((i + 1))
done
wait_event "$before" access.granted 30
ev_check "$EV" 'e["person"] == "E1001" and e["reader"] == "dock-1-in" and e["credential"] == "h10301:12:1001"'
[ "$(count_after "$before" 'access\.[a-z]+')" -eq 1 ] || fail "$(events_after "$before")"
[ "$(count_after "$before" 'reader\.noise')" -eq 0 ] || fail "keypad bursts read as noise: $(events_after "$before")"
pass "Wiegand keypad (4-bit and 8-bit bursts) through the libgpiod double: badge, PIN, # grants"

sleep 0.1
fgpio wiegand gpiochip0 10 11 "$(key8 5)"
deadline=$((SECONDS + 30))
until [ "$(keys_dropped dock-1-in)" -eq 1 ]; do
	[ $SECONDS -lt $deadline ] || fail "a keypad key with no badge waiting was not counted: $(ctl reader list --json)"
	sleep 0.05
done
pass "a keypad key with no badge waiting is dropped and counted"

# ---- the PIN is stored nowhere ----
expect_not_contains "$(ctl events --json)" "$PIN"
stop_daemon
python3 - "$STATE" "$PIN" "$DURESS" "$T/aeogated.log" <<'PY' || fail "the PIN was found in a file"
import glob, sys
state, pins, log = sys.argv[1], sys.argv[2:4], sys.argv[4]
files = glob.glob(state + "/aeogate.db*") + [log]
found_hash = False
for path in files:
    data = open(path, "rb").read()
    for pin in pins:
        if pin.encode() in data:
            sys.exit("%s holds %s" % (path, pin))
    found_hash |= b"$argon2id$" in data
if not found_hash:
    sys.exit("no $argon2id$ hash in %s: the search would not find anything" % files)
PY
pass "the database files (db, wal) and the log hold the PIN's argon2id hash, never the PIN or its duress PIN"
