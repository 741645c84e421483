#!/bin/bash
# An OSDP reader's own inputs, outputs and attached reader: aeogated asks
# their state at start (ISTAT, OSTAT, RSTAT) and shows it in reader list
# --json; a change the reader reports (ISTATR, OSTATR, RSTATR to a POLL)
# is an event. aeogatectl reader output drives an output (OUT), for a while
# with --for; aeogatectl reader comset moves the reader to a new address
# and speed (COMSET) and aeogated follows it. All inside the secure channel.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/osdp_lib.sh"

KEY=0f1e2d3c4b5a69788796a5b4c3d2e1f0
printf '%s\n' "$KEY" >"$T/dock.key"
chmod 600 "$T/dock.key"
write_osdp_config "scbk = $T/dock.key"
OSDP_SCBK=$KEY osdp_start bus 0
osdp bus input 0 1 on
start_daemon "$T/osdp.ini"
wait_event 0 reader.online 15

# osdp_json PYTHON_EXPR: holds for o, the reader's osdp object in reader list --json.
osdp_json() {
	ctl reader list --json | python3 -c '
import json, sys
o = {x["name"]: x for x in json.load(sys.stdin)}["dock-1-in"]["osdp"]
sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"
}
wait_for 10 osdp_json 'o["inputs"] == [False, True] and o["outputs"] == [False, False] and o["readers"] == ["normal"]' ||
	fail "reader list does not show the reader's inputs, outputs and attached reader: $(ctl reader list --json)"
osdp_json 'o["secure"] is True and o["baud"] == 115200' || fail "not secure or no baud: $(ctl reader list --json)"
pass "ISTAT, OSTAT, RSTAT at start: reader list --json shows inputs, outputs, readers"
[ "$(osdp_stat bus 0 ids_secure)" -ge 1 ] || fail "secure = required: PDID was not read again inside the session: $OSDP_OUT"
pass "secure = required: ID and CAP, asked in clear before the handshake, are asked again inside the session"

s=$(last_seq)
osdp bus input 0 0 on
wait_event "$s" reader.input 10
ev_check "$EV" 'e["reader"] == "dock-1-in" and d["input"] == 0 and d["active"] is True'
wait_for 10 osdp_json 'o["inputs"] == [True, True]' || fail "inputs not updated: $(ctl reader list --json)"
s=$(last_seq)
osdp bus rstat 0 tamper
wait_event "$s" reader.remote_status 10
ev_check "$EV" 'd["reader"] == 0 and d["status"] == "tamper"'
pass "an input change (ISTATR) is reader.input; the attached reader's status (RSTATR) is reader.remote_status"

s=$(last_seq)
expect_exit 0 ctl reader output dock-1-in 1 on
wait_event "$s" reader.output 10
ev_check "$EV" 'd["output"] == 1 and d["active"] is True'
[ "$(osdp_stat bus 0 outputs)" = 01 ] || fail "the reader's output 1 is not on: $(osdp bus stats 0; echo "$OSDP_OUT")"
wait_for 10 osdp_json 'o["outputs"] == [False, True]' || fail "outputs not updated: $(ctl reader list --json)"
s=$(last_seq)
expect_exit 0 ctl reader output dock-1-in 1 off
wait_event "$s" reader.output 10
ev_check "$EV" 'd["output"] == 1 and d["active"] is False'
pass "aeogatectl reader output drives an output (OUT); the reader's OSTATR is reader.output"

s=$(last_seq)
expect_exit 0 ctl reader output dock-1-in 0 on --for 1s
wait_event "$s" reader.output 10
ev_check "$EV" 'd["output"] == 0 and d["active"] is True'
# The timer may have run out already: wait for the event after this one, not after now.
s=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["seq"])' "$EV")
wait_event "$s" reader.output 10
ev_check "$EV" 'd["output"] == 0 and d["active"] is False'
pass "reader output --for: a timed OUT, the reader turns it off itself and reports it"

expect_exit 1 ctl reader output dock-1-in 5 on
expect_contains "$OUT$ERR" "no output 5"
expect_exit 2 ctl reader output dock-1-in 0 maybe
expect_exit 1 ctl reader output dock-1-in 0 on --for forever
expect_contains "$OUT$ERR" "not a duration"
pass "an output the reader does not have, a bad state or duration are refused"

s=$(last_seq)
expect_exit 0 ctl reader comset dock-1-in --address 5 --baud 38400
expect_contains "$OUT" "update the config"
wait_event "$s" reader.comset 10
ev_check "$EV" 'd["state"] == "done" and d["address"] == 5 and d["baud"] == 38400'
osdp bus stats 5 # the emulator answers at the new address now
[ "$(osdp_stat bus 5 baud)" = 38400 ] || fail "the reader is not at 38400: $OSDP_OUT"
polls=$(osdp_stat bus 5 polls)
wait_for 10 osdp_stat_above bus 5 polls "$((polls + 5))" || fail "aeogated does not poll the reader at its new address and speed"
wait_for 10 osdp_json 'o["address"] == 5 and o["baud"] == 38400 and o["secure"] is True' ||
	fail "reader list does not show the new address and speed: $(ctl reader list --json)"
n=$(count_after "$s" 'reader\.offline')
[ "$n" -eq 0 ] || fail "the reader went offline across COMSET"
ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1001 --wiegand h10301:12:3456 >/dev/null
s=$(last_seq)
osdp bus card 5 "$(h10301_bits 12 3456)"
wait_event "$s" access.granted 10
pass "reader comset: the reader moves to address 5 at 38400 (COMSET/COM), aeogated follows, reads still decided"

expect_exit 1 ctl reader comset dock-1-in --baud 12345
expect_exit 2 ctl reader comset dock-1-in --address 200
expect_exit 2 ctl reader comset dock-1-in
pass "bad COMSET requests are refused"
stop_daemon
pass "aeogated stops cleanly"
