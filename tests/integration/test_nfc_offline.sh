#!/bin/bash
# An NFC reader whose device is missing, unplugged, garbled or silent: the
# controller keeps running, reports reader.offline/online, and never decides
# on junk.
source "$(dirname "$0")/lib.sh"

write_nfc_config 300
start_daemon "$T/nfc.ini" # the emulator is not there yet
wait_event 0 reader.offline 5
expect_exit 0 ctl reader list --json
printf '%s' "$OUT" | grep -qE '"online": ?false' || fail "reader list: $OUT"
pass "the controller starts with its nfc reader missing; reader.offline"

s=$(last_seq)
pn532_start pn532
wait_event "$s" reader.online 15
pass "the device appears: reader.online"

ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1001 --uid 04a1b2c3 >/dev/null
s=$(last_seq)
pn532 pn532 present 04a1b2c3
wait_event "$s" access.granted 5
pn532 pn532 remove
pass "a card is granted"

s=$(last_seq)
pn532 pn532 garbage 40
sleep 1
pn532 pn532 truncate
sleep 1.5
pn532 pn532 garbage 3
sleep 1
kill -0 "$DAEMON_PID" || fail "aeogated died on junk from the reader"
n=$(count_after "$s" 'access\.[a-z]+')
[ "$n" -eq 0 ] || fail "junk from the reader gave $n decisions: $(events_after "$s")"
pass "garbage and truncated frames: no crash, no decision"
pn532 pn532 present 04a1b2c3
wait_event "$s" access.granted 5
pn532 pn532 remove
pass "the reader recovers from bad frames and reads again"

s=$(last_seq)
pn532_kill pn532
wait_event "$s" reader.offline 10
pass "emulator killed: reader.offline"

s=$(last_seq)
pn532_start pn532 # a new /dev/pts/N behind the same link
wait_event "$s" reader.online 15
pass "emulator restarted: reader.online"
s=$(last_seq)
pn532 pn532 present 04a1b2c3
wait_event "$s" access.granted 5
pn532 pn532 remove
pass "a card is granted after the reconnect"

s=$(last_seq)
pn532 pn532 silent on
wait_event "$s" reader.offline 10
pass "a device that stops answering: reader.offline"
s=$(last_seq)
pn532 pn532 silent off
wait_event "$s" reader.online 15
pass "the device answers again: reader.online"

stop_daemon
pass "aeogated stops cleanly"
