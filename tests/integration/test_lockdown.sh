#!/bin/bash
# Issue 14.6 (lockdown and threat levels), through aeogatectl on the
# simulated board: site lockdown locks every door at once (an unlocked
# door's lock included) and denies every badge door_locked_down except a
# responder's, while the exit button still opens; a lockdown of one zone
# leaves the other doors alone; release gives every door its mode back;
# a lockdown and the threat level survive kill -9 and a restart; while the
# threat level is L, a person cleared below L is denied threat_level.
# Events site.lockdown, site.release, site.threat carry the operator and
# comment; status shows both. Bad input and the wrong role change nothing.
source "$(dirname "$0")/lib.sh"

write_sim_config
# Strike times long enough that a release cannot run out between two
# commands on a loaded machine (cage-1 has the default, 5 s).
sed -i 's/^strike_time = 5s$/strike_time = 20s/; s/^lock_type = maglock$/lock_type = maglock\nstrike_time = 20s/' "$T/sim.ini"
[ "$(grep -c '^strike_time = 20s$' "$T/sim.ini")" -eq 2 ] || fail "the sim config changed: $(cat "$T/sim.ini")"
start_daemon "$T/sim.ini"
ctl level add all --zone dock --zone bonded-cage >/dev/null
ctl person add E1001 --name "Ann Worker" --level all >/dev/null
ctl badge issue E1001 --wiegand h10301:12:1001 >/dev/null
ctl person add R2001 --name "Rob Responder" --level all >/dev/null
ctl badge issue R2001 --wiegand h10301:12:2001 >/dev/null
ANN=$(h10301_bits 12 1001)
ROB=$(h10301_bits 12 2001)

door_field() {
	ctl door list --json | python3 -c '
import json, sys
d = {x["name"]: x for x in json.load(sys.stdin)}[sys.argv[1]]
v = d[sys.argv[2]]
print("null" if v is None else json.dumps(v) if not isinstance(v, str) else v)' "$1" "$2"
}

status_field() {
	ctl status --json | python3 -c '
import json, sys
v = json.load(sys.stdin)[sys.argv[1]]
print(json.dumps(v))' "$1"
}

ev_check() {
	python3 -c '
import json, sys
e = json.loads(sys.argv[1])
d = e.get("detail") or {}
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" || fail "event does not match $2: $1"
}

[ "$(status_field lockdown)" = null ] && [ "$(status_field threat_level)" = 0 ] ||
	fail "status does not start without lockdown at threat level 0: $(ctl status --json)"
expect_exit 0 ctl status
expect_contains "$OUT" "lockdown"
expect_contains "$OUT" "threat level"
pass "status: no lockdown, threat level 0 by default"

# ---- person set --responder ----
before=$(last_seq)
expect_exit 0 ctl person set R2001 --responder yes
wait_event "$before" person.updated
ev_check "$EV" 'e["person"] == "R2001" and d["before"] == {"responder": False} and d["after"] == {"responder": True} and d["operator"]'
expect_exit 0 ctl person show R2001 --json
expect_contains "$OUT" '"responder": true'
expect_exit 2 ctl person set R2001 --responder maybe
pass "person set --responder yes: person.updated with before/after; person show has it"

# ---- site lockdown: an unlocked door goes locked at once ----
expect_exit 0 ctl door mode cage-1 unlocked --comment "loading"
[ "$(door_field cage-1 lock)" = released ] || fail "unlocked did not release"
expect_exit 2 ctl site lockdown
before=$(last_seq)
expect_exit 0 ctl site lockdown --comment "intruder reported at the fence"
wait_event "$before" site.lockdown
ev_check "$EV" 'd["comment"] == "intruder reported at the fence" and d["operator"] and d["zones"] is None and d["after"] == "site" and d["before"] is None'
[ "$(door_field cage-1 lock)" = locked ] || fail "lockdown left an unlocked door released: $(ctl door list --json)"
[ "$(door_field dock-1 locked_down)" = true ] && [ "$(door_field cage-1 locked_down)" = true ] ||
	fail "door list does not show the lockdown"
[ "$(status_field lockdown)" = '"site"' ] || fail "status lockdown: $(ctl status --json)"
expect_exit 0 ctl status
expect_contains "$OUT" "site"
pass "site lockdown: site.lockdown with operator and comment; every door locked, an unlocked one at once; status says site"

expect_exit 1 ctl sim present dock-1-in --bits "$ANN"
expect_contains "$OUT" "door_locked_down"
expect_exit 1 ctl sim present cage-1-in --bits "$ANN"
expect_contains "$OUT" "door_locked_down"
[ "$(door_field cage-1 lock)" = locked ] || fail "a denied badge moved the lock"
expect_exit 0 ctl sim present dock-1-in --bits "$ROB"
[ "$(door_field dock-1 lock)" = released ] || fail "a responder's grant did not release"
ctl sim door dock-1 open >/dev/null
ctl sim door dock-1 close >/dev/null
[ "$(door_field dock-1 lock)" = locked ] || fail "did not relock after the responder passed"
pass "under lockdown every badge is denied door_locked_down except a responder's"

before=$(last_seq)
expect_exit 0 ctl sim rex cage-1
wait_event "$before" door.rex
[ "$(door_field cage-1 lock)" = released ] || fail "REX did not open under lockdown"
ctl sim door cage-1 open >/dev/null
ctl sim door cage-1 close >/dev/null
wait_event "$before" door.closed
[ "$(count_after "$before" 'door\.forced')" -eq 0 ] || fail "REX exit was forced: $(events_after "$before")"
[ "$(door_field cage-1 lock)" = locked ] || fail "the lock did not relock after the exit"
pass "REX still opens a locked-down door (life safety)"

# ---- kill -9 and restart: the lockdown holds ----
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=""
start_daemon "$T/sim.ini"
[ "$(status_field lockdown)" = '"site"' ] || fail "lockdown lost by kill -9: $(ctl status --json)"
[ "$(door_field cage-1 lock)" = locked ] || fail "an unlocked door came up released under lockdown"
expect_exit 1 ctl sim present dock-1-in --bits "$ANN"
expect_contains "$OUT" "door_locked_down"
pass "a lockdown survives kill -9: doors come up locked, badges still denied"

# ---- release: doors take their modes again ----
expect_exit 2 ctl site release
expect_exit 1 ctl site release --zone dock --comment "zones of a site lockdown"
expect_contains "$ERR" "without --zone"
before=$(last_seq)
expect_exit 0 ctl site release --comment "police cleared the site"
wait_event "$before" site.release
ev_check "$EV" 'd["comment"] == "police cleared the site" and d["operator"] and d["before"] == "site" and d["after"] is None'
[ "$(status_field lockdown)" = null ] || fail "status after release: $(ctl status --json)"
[ "$(door_field cage-1 lock)" = released ] || fail "an unlocked door did not release again after the lockdown"
expect_exit 0 ctl sim present dock-1-in --bits "$ANN"
expect_exit 1 ctl site release --comment "twice"
expect_contains "$ERR" "no lockdown"
pass "site release: site.release; doors back to their modes (unlocked released again), badges granted"

# ---- lockdown of one zone ----
expect_exit 0 ctl door mode cage-1 card
expect_exit 1 ctl site lockdown --zone nowhere --comment "no such zone"
expect_contains "$ERR" "nowhere"
[ "$(status_field lockdown)" = null ] || fail "a refused lockdown changed the state"
before=$(last_seq)
expect_exit 0 ctl site lockdown --zone bonded-cage --comment "seal broken on container 7"
wait_event "$before" site.lockdown
ev_check "$EV" 'd["zones"] == ["bonded-cage"] and d["after"] == ["bonded-cage"]'
[ "$(status_field lockdown)" = '["bonded-cage"]' ] || fail "status lockdown of one zone: $(ctl status --json)"
expect_exit 1 ctl sim present cage-1-in --bits "$ANN"
expect_contains "$OUT" "door_locked_down"
expect_exit 0 ctl sim present dock-1-in --bits "$ANN"
[ "$(door_field dock-1 locked_down)" = false ] || fail "the dock is shown locked down"
pass "lockdown of one zone: only its doors deny door_locked_down; status lists the zone"

stop_daemon
start_daemon "$T/sim.ini"
[ "$(status_field lockdown)" = '["bonded-cage"]' ] || fail "a zone lockdown lost by a restart"
expect_exit 1 ctl sim present cage-1-in --bits "$ANN"
expect_contains "$OUT" "door_locked_down"
before=$(last_seq)
expect_exit 0 ctl site release --zone bonded-cage --comment "seal checked, customs informed"
wait_event "$before" site.release
ev_check "$EV" 'd["zones"] == ["bonded-cage"] and d["after"] is None'
expect_exit 0 ctl sim present cage-1-in --bits "$ANN"
pass "a zone lockdown survives a restart; releasing the zone ends it"

# Several zones, one named twice: one lockdown of both, listed in name order.
expect_exit 0 ctl site lockdown --zone dock --zone bonded-cage --zone dock --comment "two zones"
[ "$(status_field lockdown)" = '["bonded-cage", "dock"]' ] || fail "status lockdown of two zones: $(ctl status --json)"
expect_exit 1 ctl site lockdown --zone dock --comment "again"
expect_contains "$ERR" "already"
expect_exit 0 ctl site release --zone dock --zone dock --comment "dock clear"
[ "$(status_field lockdown)" = '["bonded-cage"]' ] || fail "after releasing the dock: $(ctl status --json)"
expect_exit 0 ctl site release --comment "all clear"
[ "$(status_field lockdown)" = null ] || fail "release without --zone left zones: $(ctl status --json)"
pass "zones named twice count once; zones listed in name order; release without --zone ends every zone's lockdown"

# ---- threat level ----
ctl person add C3003 --name "Cleared Three" --level all >/dev/null
ctl badge issue C3003 --wiegand h10301:12:3003 >/dev/null
ctl person add C5005 --name "Cleared Five" --level all >/dev/null
ctl badge issue C5005 --wiegand h10301:12:5005 >/dev/null
C3=$(h10301_bits 12 3003)
C5=$(h10301_bits 12 5005)
before=$(last_seq)
expect_exit 0 ctl person set C3003 --clearance 3
wait_event "$before" person.updated
ev_check "$EV" 'd["before"] == {"clearance": 0} and d["after"] == {"clearance": 3}'
expect_exit 0 ctl person set C5005 --clearance 5
expect_exit 1 ctl person set C5005 --clearance 6
expect_exit 2 ctl person set C5005 --clearance high
expect_exit 2 ctl site threat 3
expect_exit 1 ctl site threat 6 --comment "too high"
pass "person set --clearance: person.updated before/after; out-of-range values refused"

before=$(last_seq)
expect_exit 0 ctl site threat 3 --comment "credible threat against the site"
wait_event "$before" site.threat
ev_check "$EV" 'd["before"] == {"threat_level": 0} and d["after"] == {"threat_level": 3} and d["comment"] == "credible threat against the site" and d["operator"]'
[ "$(status_field threat_level)" = 3 ] || fail "status threat level: $(ctl status --json)"
expect_exit 1 ctl sim present dock-1-in --bits "$ANN"
expect_contains "$OUT" "threat_level"
expect_exit 0 ctl sim present dock-1-in --bits "$C3"
expect_exit 0 ctl sim present cage-1-in --bits "$C5"
pass "threat level 3: clearance 0 denied threat_level, clearance 3 (at) and 5 (above) granted"

kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=""
start_daemon "$T/sim.ini"
[ "$(status_field threat_level)" = 3 ] || fail "threat level lost by kill -9"
expect_exit 1 ctl sim present cage-1-in --bits "$ANN"
expect_contains "$OUT" "threat_level"
before=$(last_seq)
expect_exit 0 ctl site threat 0 --comment "threat over"
wait_event "$before" site.threat
expect_exit 0 ctl sim present cage-1-in --bits "$ANN"
pass "the threat level survives kill -9; back at 0 everyone cleared by level is admitted"

# ---- bad input changes nothing ----
before=$(last_seq)
expect_exit 1 ctl site threat 6 --comment "too high"
expect_exit 2 ctl site threat high --comment "not a number"
expect_exit 1 ctl site threat 2 --comment ""
expect_exit 1 ctl site lockdown --zone nowhere --comment "no such zone"
expect_exit 1 ctl site lockdown --comment "$(printf 'bad\tcomment')"
expect_exit 1 ctl site release --comment "nothing to release"
expect_exit 1 ctl person set E1001 --clearance 6
expect_exit 1 ctl person set NOBODY --responder yes
[ "$(last_seq)" -eq "$before" ] || fail "refused changes wrote events: $(events_after "$before")"
[ "$(status_field lockdown)" = null ] && [ "$(status_field threat_level)" = 0 ] ||
	fail "refused changes moved the state: $(ctl status --json)"
pass "bad input (level out of range, empty or bad comment, unknown zone, nothing to release, unknown person) is refused and changes nothing"

# ---- roles: a guard sees the lockdown but cannot set it ----
echo "correct horse battery staple" | ctl user add guard1 --role guard >/dev/null
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

r = call("auth.login", {"username": "guard1", "password": "correct horse battery staple"})
assert r["ok"], r
guard = r["result"]["token"]
for op, args in (("site.lockdown", {"comment": "x"}), ("site.threat", {"level": 2, "comment": "x"})):
    r = call(op, args, guard)
    assert not r["ok"] and r["error"]["code"] == "permission_denied", r
r = call("system.status", {}, guard)
assert r["ok"] and r["result"]["lockdown"] is None and r["result"]["threat_level"] == 0, r
PY
[ "$(count_after "$before" 'site\.[a-z]+')" -eq 0 ] || fail "a guard changed the site: $(events_after "$before")"
pass "a guard reads the lockdown and threat level in status but cannot change them"
