#!/bin/bash
# An NFC reader through the real libnfc pn532_uart driver and the PN532
# emulator: one decision per presentation, every UID size, unknown cards.
source "$(dirname "$0")/lib.sh"

json_re() { # json_re KEY VALUE: a grep -E pattern for "KEY":"VALUE"
	printf '"%s": ?"%s"' "$1" "$2"
}

pn532_start pn532
write_nfc_config 300
start_daemon "$T/nfc.ini"
wait_event 0 reader.online 10
pass "the nfc reader comes online"

expect_exit 0 ctl reader list --json
expect_contains "$OUT" '"type": "nfc"'
printf '%s' "$OUT" | grep -qE '"online": ?true' || fail "reader list does not show online: $OUT"
pass "reader list --json shows the nfc reader online"

ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1001 --uid 04a1b2c3 >/dev/null
ctl badge issue E1001 --uid 04112233445566 >/dev/null
ctl badge issue E1001 --uid 04112233445566778899 >/dev/null

s=$(last_seq)
pn532 pn532 present 04a1b2c3
wait_event "$s" access.granted 5
printf '%s' "$EV" | grep -qE "$(json_re credential uid:04a1b2c3)" || fail "credential: $EV"
printf '%s' "$EV" | grep -qE "$(json_re reader dock-1-nfc)" || fail "reader: $EV"
pass "a presented card is granted with credential uid:04a1b2c3"

# The card stays on the reader: libnfc keeps finding it, we keep quiet.
sleep 2
n=$(count_after "$s" 'access\.[a-z]+')
[ "$n" -eq 1 ] || fail "a card held for 2 s gave $n decisions: $(events_after "$s")"
pass "a card held on the reader gives one read"

pn532 pn532 remove
sleep 1 # past the 300 ms hold-off, with room for a slow machine
s=$(last_seq)
pn532 pn532 present 04a1b2c3
wait_event "$s" access.granted 5
pass "removed and presented again: a second read"

s=$(last_seq)
pn532 pn532 present 04112233445566
wait_event "$s" access.granted 5
printf '%s' "$EV" | grep -qE "$(json_re credential uid:04112233445566)" || fail "7-byte: $EV"
pass "a 7-byte UID is read and granted (a different card at once)"

s=$(last_seq)
pn532 pn532 present 04112233445566778899
wait_event "$s" access.granted 5
printf '%s' "$EV" | grep -qE "$(json_re credential uid:04112233445566778899)" || fail "10-byte: $EV"
pass "a 10-byte UID is read and granted"

s=$(last_seq)
pn532 pn532 present deadbeef
wait_event "$s" access.denied 5
printf '%s' "$EV" | grep -qE "$(json_re reason unknown_credential)" || fail "reason: $EV"
printf '%s' "$EV" | grep -qE "$(json_re credential uid:deadbeef)" || fail "credential: $EV"
pass "an unknown UID is denied with unknown_credential"

# Within the hold-off the same card coming back is the same presentation.
s=$(last_seq)
pn532 pn532 present 04a1b2c3
wait_event "$s" access.granted 5
s=$(last_seq)
pn532 pn532 remove
pn532 pn532 present 04a1b2c3
sleep 1.5
n=$(count_after "$s" 'access\.[a-z]+')
[ "$n" -eq 0 ] || fail "the same card back within the hold-off gave $n decisions"
pass "the same card back within hold_off_ms gives no second read"

stop_daemon
pass "aeogated stops cleanly with an nfc reader"
