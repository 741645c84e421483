#!/bin/bash
# Formatted card data (an OSDP reader's FMT reply) is a card read like a
# RAW one: decided against the badge issued with --fmt, malformed records
# are noise. The reader's LED shows the door: its permanent colour is red
# while the door is locked and green while it is released; a grant's and a
# denial's temporary colour runs on top with its timer and the permanent
# colour comes back by itself.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/osdp_lib.sh"

KEY=0f1e2d3c4b5a69788796a5b4c3d2e1f0
printf '%s\n' "$KEY" >"$T/dock.key"
chmod 600 "$T/dock.key"
write_osdp_config "scbk = $T/dock.key"
OSDP_SCBK=$KEY osdp_start bus 0
start_daemon "$T/osdp.ini"
wait_event 0 reader.online 15

led_is() { osdp bus stats 0 && case "$OSDP_OUT" in *"led_perm=$1 led_now=$2 "*) ;; *) return 1 ;; esac; }
wait_for 10 led_is red red || fail "the LED is not steady red on a locked door: $OSDP_OUT"
pass "LED permanent state: red while the door is locked"

ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
expect_exit 0 ctl badge issue E1001 --fmt 0012345678
expect_exit 2 ctl badge issue E1001 --fmt 12345 --uid 04a1b2c3
expect_exit 1 ctl badge issue E1001 --fmt "12 34"
expect_contains "$ERR" "fmt:TEXT"
pass "badge issue --fmt enrols formatted card data (fmt:TEXT); a malformed one is refused"

s=$(last_seq)
osdp bus fmt 0 0012345678
wait_event "$s" access.granted 15
ev_check "$EV" 'e["person"] == "E1001" and e["credential"] == "fmt:0012345678" and e["reader"] == "dock-1-in"'
pass "an FMT reply is a card read: granted"

wait_for 10 led_is green green || fail "the LED is not green while the door is released: $OSDP_OUT"
wait_for 20 led_is red red || fail "the LED did not go back to red after the door relocked: $OSDP_OUT"
pass "LED permanent state follows the door: green while released, red again once relocked"

s=$(last_seq)
osdp bus fmt 0 99999
wait_event "$s" access.denied 15
ev_check "$EV" 'e["credential"] == "fmt:99999"'
pass "an unknown FMT card is denied"

s=$(last_seq)
expect_exit 0 ctl door unlock dock-1 --for 30s --comment "delivery"
wait_for 10 led_is green green || fail "the LED is not green on a remote unlock: $OSDP_OUT"
# The remote unlock flashed green (its own temporary state): the denial's is the red one.
led_temp_is() { [ "$(osdp_stat bus 0 led_temp)" = "$1" ]; }
osdp bus card 0 "$(h10301_bits 12 9999)"
wait_event "$s" access.denied 15
wait_for 10 led_temp_is red:1000 || fail "no red temporary state for 1 s after the denial: $OSDP_OUT"
[ "$(osdp_stat bus 0 led_perm)" = green ] || fail "the denial changed the permanent colour: $OSDP_OUT"
wait_for 10 led_is green green || fail "the denial flash did not end by its timer: $OSDP_OUT"
pass "a denial's temporary red (1 s) runs on top of the permanent green and ends by its own timer"
stop_daemon
pass "aeogated stops cleanly"
