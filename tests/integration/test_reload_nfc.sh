#!/bin/bash
# SIGHUP and an NFC reader (real libnfc pn532_uart driver, PN532 emulator):
# added to a running site it comes online and its reads are decided for its
# door; removed, its thread stops and the emulator's tty is let go, and a
# card shown there is decided nowhere.
source "$(dirname "$0")/lib.sh"

pn532_start pn532
write_sim_config
cp "$T/sim.ini" "$T/base.ini"
start_daemon "$T/sim.ini"
ctl level add staff --zone dock --zone bonded-cage >/dev/null
ctl person add E1 --name "Ann Example" --level staff >/dev/null
ctl badge issue E1 --uid 04a1b2c3 >/dev/null

s0=$(last_seq)
cat >>"$T/sim.ini" <<INI

[reader cage-1-nfc]
type = nfc
door = cage-1
connstring = pn532_uart:$T/pn532
hold_off_ms = 300
INI
kill -HUP "$DAEMON_PID"
wait_event "$s0" config.reloaded 20
ev_check "$EV" "d['changed'] == ['reader cage-1-nfc: added']"
wait_event "$s0" reader.online 15
ev_check "$EV" 'e["reader"] == "cage-1-nfc" and e["door"] == "cage-1"'
s1=$(last_seq)
pn532 pn532 present 04a1b2c3
wait_event "$s1" access.granted 10
ev_check "$EV" 'e["reader"] == "cage-1-nfc" and e["door"] == "cage-1" and e["credential"] == "uid:04a1b2c3"'
pn532 pn532 remove
pass "an NFC reader added by SIGHUP comes online and decides for its door: $EV"

tty=$(cat "$T/pn532.pts")
holds_open "$tty" || fail "the NFC reader's tty is not open while it reads"
s2=$(last_seq)
cp "$T/base.ini" "$T/sim.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s2" config.reloaded 20
ev_check "$EV" "d['changed'] == ['reader cage-1-nfc: removed']"
wait_for 10 holds_closed "$tty" || fail "the removed NFC reader's tty stayed open"
s3=$(last_seq)
pn532 pn532 present 04a1b2c3
expect_exit 0 ctl sim present dock-1-in --uid 04a1b2c3
wait_event "$s3" access.granted 5
ev_check "$EV" 'e["reader"] == "dock-1-in"'
[ "$(count_after "$s3" 'access\.[a-z]+')" -eq 1 ] || fail "a card on the removed NFC reader was decided: $(events_after "$s3")"
expect_exit 0 ctl reader list --json
expect_not_contains "$OUT" cage-1-nfc
pass "an NFC reader removed by SIGHUP: its tty let go, a card there decided nowhere"

stop_daemon
pass "aeogated stops cleanly after the reloads (exit 0)"
