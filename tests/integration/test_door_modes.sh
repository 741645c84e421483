#!/bin/bash
# Issue 13.3 (door modes and remote unlock), through aeogatectl on the
# simulated board: a locked door denies every badge (door_locked) while its
# exit button still opens it; an unlocked door keeps its lock released and
# opening it is no forced-door alarm; a mode with --until goes back on its
# own (door.mode, cause expired), also when it ran out while aeogated was
# stopped; modes survive a restart; a card_and_pin door refuses a badge
# alone (pin_required: its holder has no PIN; the PIN flow itself is
# test_card_pin.sh); a guard's remote unlock
# is recorded (door.remote_unlock, operator and comment) and the opening
# that follows is authorized. Bad input and the wrong role change nothing.
source "$(dirname "$0")/lib.sh"

write_sim_config
# A strike time long enough that an exit or a remote unlock cannot run out
# between two commands on a loaded machine.
sed -i 's/^strike_time = 5s$/strike_time = 20s/' "$T/sim.ini"
grep -q '^strike_time = 20s$' "$T/sim.ini" || fail "the sim config changed: no strike_time = 5s"
start_daemon "$T/sim.ini"
ctl level add all --zone dock --zone bonded-cage >/dev/null
ctl person add E1001 --name "Ann Example" --level all >/dev/null
ctl badge issue E1001 --wiegand h10301:12:1001 >/dev/null
BITS=$(h10301_bits 12 1001)

# wait_expired SEQ DOOR: waits (bounded, for a loaded machine) for the
# controller's own door.mode of DOOR with cause expired after SEQ; in $EV.
wait_expired() {
	local deadline=$((SECONDS + 60))
	while :; do
		EV=$(events_after "$1" | grep -E "$(kind_re door.mode)" |
			grep -E "\"door\": ?\"$2\"" | grep -E '"cause": ?"expired"' | sed -n 1p || true)
		[ -n "$EV" ] && return 0
		[ $SECONDS -lt $deadline ] || fail "no expired door.mode of $2 after seq $1: $(events_after "$1")"
		sleep 0.1
	done
}

# A UTC time N seconds from now, as the CLI takes times.
utc_in() {
	date -u -d "+$1 sec" +%Y-%m-%dT%H:%M:%SZ
}

[ "$(door_field dock-1 mode)" = card ] && [ "$(door_field cage-1 mode)" = card ] ||
	fail "doors do not start in card mode: $(ctl door list --json)"
[ "$(door_field dock-1 until)" = null ] || fail "until without a manual mode"
expect_exit 0 ctl door list
expect_contains "$OUT" "MODE"
pass "door list shows every door in its default mode, card"

# ---- locked ----
before=$(last_seq)
expect_exit 0 ctl door mode dock-1 locked --comment "stock take in bay 1"
expect_contains "$OUT" "locked"
wait_event "$before" door.mode
ev_check "$EV" 'e["door"] == "dock-1" and d["mode"] == "locked" and d["was"] == "card" and d["cause"] == "manual" and d["comment"] == "stock take in bay 1" and d["operator"] and d["until"] is None'
[ "$(door_field dock-1 mode)" = locked ] || fail "door list mode: $(ctl door list --json)"
pass "door mode locked: door.mode with mode, was, cause manual, operator and comment; door list shows it"

expect_exit 1 ctl sim present dock-1-in --bits "$BITS"
expect_contains "$OUT" "door_locked"
expect_exit 0 ctl sim present cage-1-in --bits "$BITS"
[ "$(door_field dock-1 lock)" = locked ] || fail "a denied badge moved the lock"
pass "a locked door denies the badge door_locked; the other door still grants it"

before=$(last_seq)
expect_exit 0 ctl sim rex dock-1
[ "$(door_field dock-1 lock)" = released ] || fail "REX did not release a locked-mode door"
ctl sim door dock-1 open >/dev/null
ctl sim door dock-1 close >/dev/null
wait_event "$before" door.closed
[ "$(count_after "$before" 'door\.forced')" -eq 0 ] || fail "REX exit was forced: $(events_after "$before")"
[ "$(count_after "$before" 'door\.opened')" -eq 1 ] || fail "no door.opened: $(events_after "$before")"
[ "$(door_field dock-1 lock)" = locked ] || fail "the lock did not relock after the exit"
pass "REX still opens a locked door (life safety), without a forced alarm"

# ---- unlocked ----
before=$(last_seq)
expect_exit 0 ctl door mode cage-1 unlocked
[ "$(door_field cage-1 lock)" = released ] || fail "unlocked did not release: $(ctl door list --json)"
[ "$(door_field cage-1 mode)" = unlocked ] || fail "door list mode after unlocked"
ctl sim door cage-1 open >/dev/null
ctl sim door cage-1 close >/dev/null
wait_event "$before" door.closed
[ "$(count_after "$before" 'door\.forced')" -eq 0 ] || fail "an unlocked door was forced: $(events_after "$before")"
[ "$(door_field cage-1 lock)" = released ] || fail "closing relocked an unlocked door"
expect_exit 0 ctl sim present cage-1-in --bits "$BITS"
[ "$(door_field cage-1 lock)" = released ] || fail "a grant's strike time relocked an unlocked door"
pass "unlocked: the lock stays released through an opening, a close and a grant; no forced alarm"

before=$(last_seq)
expect_exit 0 ctl door mode cage-1 card
wait_event "$before" door.mode
ev_check "$EV" 'd["mode"] == "card" and d["was"] == "unlocked" and d["cause"] == "manual"'
[ "$(door_field cage-1 lock)" = locked ] || fail "leaving unlocked did not lock"
ctl sim door cage-1 open >/dev/null
wait_event "$before" door.forced
ctl sim door cage-1 close >/dev/null
pass "back to card: the lock locks at once and an opening without a badge is forced again"

# ---- card_and_pin ----
expect_exit 0 ctl door mode dock-1 card_and_pin
expect_exit 1 ctl sim present dock-1-in --bits "$BITS"
expect_contains "$OUT" "pin_required"
[ "$(door_field dock-1 mode)" = card_and_pin ] || fail "door list mode after card_and_pin"
[ "$(door_field dock-1 lock)" = locked ] || fail "a card_and_pin door opened for a badge alone"
pass "card_and_pin is stored and shown; a badge without a PIN enrolled is denied pin_required"

# ---- --until: back on a timer of the loop ----
until=$(utc_in 6)
before=$(last_seq)
expect_exit 0 ctl door mode cage-1 unlocked --until "$until"
list=$(ctl door list --json)
wait_event "$before" door.mode
ev_check "$EV" "d['until'].startswith('${until%Z}') and d['mode'] == 'unlocked'"
expect_contains "$list" "${until%Z}"
expect_contains "$list" '"lock": "released"'
expect_contains "$(ctl door list)" "${until%Z}"
# The revert is the controller's own timer; the wait is only bounded.
wait_expired "$before" cage-1
ev_check "$EV" 'e["door"] == "cage-1" and d["cause"] == "expired" and d["mode"] == "card" and d["was"] == "unlocked" and "operator" not in d'
[ "$(door_field cage-1 lock)" = locked ] || fail "the lock stayed released after until"
[ "$(door_field cage-1 mode)" = card ] && [ "$(door_field cage-1 until)" = null ] ||
	fail "door list after expiry: $(ctl door list --json)"
pass "--until: at that time the door goes back to card by itself (door.mode, cause expired) and locks"

# ---- restart ----
expect_exit 0 ctl door mode dock-1 locked
expect_exit 0 ctl door mode cage-1 unlocked --until "$(utc_in 3600)"
stop_daemon
start_daemon "$T/sim.ini"
[ "$(door_field dock-1 mode)" = locked ] || fail "locked did not survive a restart"
[ "$(door_field cage-1 mode)" = unlocked ] && [ "$(door_field cage-1 until)" != null ] ||
	fail "unlocked --until did not survive a restart: $(ctl door list --json)"
[ "$(door_field cage-1 lock)" = released ] || fail "an unlocked door came up locked"
expect_exit 1 ctl sim present dock-1-in --bits "$BITS"
expect_contains "$OUT" "door_locked"
pass "modes survive a restart: a locked door still denies, an unlocked one is released again"

# A mode whose until passes while aeogated is stopped is recorded as expired at the next start.
until=$(utc_in 2)
expect_exit 0 ctl door mode cage-1 locked --until "$until"
stop_daemon
until_s=$(date -u -d "$until" +%s)
while [ "$(date -u +%s)" -le "$until_s" ]; do sleep 0.2; done
start_daemon "$T/sim.ini"
start_seq=$(events_after 0 | grep -E "$(kind_re system.start)" | tail -n 1 | grep -oE '^\{"seq": ?[0-9]+' | grep -oE '[0-9]+$')
wait_expired "$start_seq" cage-1
ev_check "$EV" 'e["door"] == "cage-1" and d["cause"] == "expired" and d["was"] == "locked" and d["mode"] == "card"'
[ "$(door_field cage-1 mode)" = card ] || fail "an expired mode came back at start"
expect_exit 0 ctl sim present cage-1-in --bits "$BITS"
pass "a mode that ran out while stopped is not applied at start and is recorded as expired"

# ---- remote unlock ----
expect_exit 0 ctl door mode dock-1 card
before=$(last_seq)
expect_exit 0 ctl door unlock dock-1 --for 30s --comment "truck NL-42 for bay 3"
wait_event "$before" door.remote_unlock
ev_check "$EV" 'e["door"] == "dock-1" and d["comment"] == "truck NL-42 for bay 3" and d["for_ms"] == 30000 and d["operator"]'
[ "$(door_field dock-1 lock)" = released ] || fail "remote unlock did not release"
ctl sim door dock-1 open >/dev/null
ctl sim door dock-1 close >/dev/null
wait_event "$before" door.closed
[ "$(count_after "$before" 'door\.forced')" -eq 0 ] || fail "the opening after a remote unlock was forced"
[ "$(count_after "$before" 'door\.opened')" -eq 1 ] || fail "no door.opened after remote unlock"
[ "$(door_field dock-1 lock)" = locked ] || fail "closing did not relock after the remote unlock"
before=$(last_seq)
expect_exit 0 ctl door unlock dock-1 --comment "courier"
wait_event "$before" door.remote_unlock
ev_check "$EV" 'd["for_ms"] == 20000'
[ "$(door_field dock-1 lock)" = released ] || fail "the default remote unlock did not release"
expect_exit 0 ctl door mode dock-1 locked
[ "$(door_field dock-1 lock)" = locked ] || fail "locked left a remote unlock's window open"
pass "remote unlock: door.remote_unlock with operator, comment and duration (default strike_time); the opening is authorized; locked closes its window"

# ---- bad input changes nothing ----
ctl door mode cage-1 locked >/dev/null
# The grant above may still hold the lock open: an opening and a close end that window.
ctl sim door cage-1 open >/dev/null
ctl sim door cage-1 close >/dev/null
[ "$(door_field cage-1 lock)" = locked ] || fail "cage-1 did not relock on close"
before=$(last_seq)
expect_exit 1 ctl door mode nowhere locked
expect_contains "$ERR" "no door"
expect_exit 1 ctl door mode cage-1 open
expect_contains "$ERR" "card, card_and_pin, unlocked or locked"
expect_exit 1 ctl door mode cage-1 unlocked --until 2026-02-30T10:00:00Z
expect_exit 1 ctl door mode cage-1 unlocked --until 2020-01-01T00:00:00Z
expect_contains "$ERR" "future"
expect_exit 1 ctl door mode cage-1 unlocked --comment "$(printf 'x%.0s' $(seq 1 257))"
expect_exit 2 ctl door mode cage-1
expect_exit 2 ctl door unlock cage-1
expect_contains "$ERR" "--comment is required"
expect_exit 1 ctl door unlock cage-1 --comment ""
expect_exit 1 ctl door unlock nowhere --comment "x"
expect_exit 1 ctl door unlock cage-1 --for 11m --comment "x"
expect_exit 1 ctl door unlock cage-1 --for soon --comment "x"
[ "$(last_seq)" -eq "$before" ] || fail "refused changes wrote events: $(events_after "$before")"
[ "$(door_field cage-1 mode)" = locked ] && [ "$(door_field cage-1 lock)" = locked ] ||
	fail "refused changes moved the door: $(ctl door list --json)"
pass "bad input (unknown door, bad mode, bad or past until, long comment, missing comment, bad duration) is refused and changes nothing"

# Roles: a guard may unlock a door but not change its mode; an auditor neither.
echo "correct horse battery staple" | ctl user add guard1 --role guard >/dev/null
echo "correct horse battery staple" | ctl user add audit1 --role auditor >/dev/null
before=$(last_seq)
python3 - "$SOCK" <<'PY' || fail "role checks"
import json, socket, sys

def call(op, args, token=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    req = {"id": 1, "op": op, "args": args}
    if token:
        req["token"] = token
    s.sendall((json.dumps(req) + "\n").encode())
    buf = b""
    while b"\n" not in buf:
        chunk = s.recv(65536)
        assert chunk, "connection closed"
        buf += chunk
    s.close()
    return json.loads(buf.split(b"\n")[0])

def login(user):
    r = call("auth.login", {"username": user, "password": "correct horse battery staple"})
    assert r["ok"], r
    return r["result"]["token"]

guard, auditor = login("guard1"), login("audit1")
r = call("door.mode", {"door": "cage-1", "mode": "unlocked"}, guard)
assert not r["ok"] and r["error"]["code"] == "permission_denied", r
r = call("door.unlock", {"door": "cage-1", "comment": "x"}, auditor)
assert not r["ok"] and r["error"]["code"] == "permission_denied", r
r = call("door.unlock", {"door": "cage-1", "comment": "driver at gate 2"}, guard)
assert r["ok"] and r["result"]["lock"] == "released", r
PY
events_after "$before" | grep -E "$(kind_re door.mode)" && fail "a guard changed a door mode"
wait_event "$before" door.remote_unlock
ev_check "$EV" 'd["operator"] == "user:guard1" and d["comment"] == "driver at gate 2"'
[ "$(door_field cage-1 mode)" = locked ] || fail "the guard's refused door.mode changed the mode"
pass "a guard may unlock a door (recorded as guard1), not change its mode; an auditor may do neither"

stop_daemon
