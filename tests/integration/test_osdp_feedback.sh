#!/bin/bash
# An OSDP reader is more than a card reader: its keypad gives the PIN of a
# card + PIN door, grants and denials light its LED and sound its buzzer
# (LED/BUZ, inside the secure channel), aeogatectl reader text shows a line
# on its display, its tamper switch raises reader.tamper and alarm.tamper,
# and reader list shows its identity, session and link counters.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/osdp_lib.sh"

KEY=0f1e2d3c4b5a69788796a5b4c3d2e1f0
printf '%s\n' "$KEY" >"$T/dock.key"
chmod 600 "$T/dock.key"
write_osdp_config "scbk = $T/dock.key"
printf '\n[policy]\npin_timeout = 60s\n' >>"$T/osdp.ini"
OSDP_SCBK=$KEY osdp_start bus 0
start_daemon "$T/osdp.ini"
wait_event 0 reader.online 15

ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1001 --wiegand h10301:12:3456 >/dev/null
ctl person pin E1001 <<<"482913" >/dev/null
expect_exit 0 ctl door mode dock-1 card_and_pin

s=$(last_seq)
osdp bus card 0 "$(h10301_bits 12 3456)"
osdp bus keys 0 "482913#"
wait_event "$s" access.granted 15
ev_check "$EV" 'e["person"] == "E1001" and e["reader"] == "dock-1-in"'
pass "card + PIN on an OSDP reader: the card, then the PIN on its keypad (KEYPAD), granted"

osdp_leds_above() { osdp_stat_above bus 0 leds "$1"; }
osdp_buzz_above() { osdp_stat_above bus 0 buzz "$1"; }
wait_for 10 osdp_leds_above 0 || fail "no LED command after the grant: $(osdp bus stats 0; echo "$OSDP_OUT")"
wait_for 10 osdp_buzz_above 0 || fail "no BUZ command after the grant"
leds=$(osdp_stat bus 0 leds)
s=$(last_seq)
osdp bus card 0 "$(h10301_bits 12 9999)"
wait_event "$s" access.denied 15
wait_for 10 osdp_leds_above "$leds" || fail "no LED command after the denial"
pass "grant and denial drive the reader's LED and buzzer (LED, BUZ)"

expect_exit 0 ctl reader text dock-1-in "Welcome, dock 1"
wait_for 10 sh -c "'$OSDP_PD' --send '$T/bus.ctl' stats 0 | grep -q 'text=Welcome, dock 1'" ||
	fail "the display does not show the text: $(osdp bus stats 0; echo "$OSDP_OUT")"
expect_exit 1 ctl reader text dock-1-in "$(printf 'x%.0s' {1..33})"
expect_contains "$OUT$ERR" "longer than 32"
pass "aeogatectl reader text shows a line on the display (TEXT); too long is refused"

s=$(last_seq)
osdp bus tamper 0 on
wait_event "$s" alarm.tamper 10
ev_check "$EV" 'e["reader"] == "dock-1-in" and d["tamper"] is True'
wait_event "$s" reader.tamper 10
s=$(last_seq)
osdp bus tamper 0 off
wait_event "$s" alarm.tamper_restored 10
pass "the reader's tamper switch (LSTATR): reader.tamper, alarm.tamper, alarm.tamper_restored"

expect_exit 0 ctl reader list --json
printf '%s' "$OUT" | python3 -c '
import json, sys
r = {x["name"]: x for x in json.load(sys.stdin)}["dock-1-in"]
o = r["osdp"]
assert r["type"] == "osdp" and r["online"], r
assert o["address"] == 0 and o["secure"] is True, o
assert o["vendor"] == "23265c" and o["model"] == 7 and o["serial"] == "12345678", o
assert o["firmware"] == "2.5.17", o
assert len(o["capabilities"]) == 9 and o["capabilities"][0] == {"function": 1, "compliance": 2, "count": 2}, o
assert o["polls"] > 0 and o["naks"] >= 0 and o["crc_errors"] >= 0, o' || fail "reader list --json: $OUT"
expect_exit 0 ctl reader list
expect_contains "$OUT" "CRC-ERRORS"
expect_contains "$OUT" "23265c"
pass "reader list shows PDID (vendor, model, serial, firmware), PDCAP, the session and link counters"

stop_daemon
pass "aeogated stops cleanly"
