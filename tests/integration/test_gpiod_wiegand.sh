#!/bin/bash
# Wiegand readers on the gpiod backend against the libgpiod double: every
# format bit by bit with realistic timing (50 us pulses 2 ms apart), noise,
# truncated frames and two readers' frames interleaved.
. "$(dirname "$0")/lib.sh"

write_gpiod_config
start_daemon_gpiod "$T/gpiod.ini"

expect_exit 0 ctl level add all-areas --zone dock --zone bonded-cage

# One person per format, each with a badge in that format.
creds="h10301:12:3456 h10302:0:123456789 h10304:1000:300000 h10306:500:60000 c1k35:100:500000 c1k48:1000000:4000000"
i=0
for cred in $creds; do
	i=$((i + 1))
	expect_exit 0 ctl person add "P$i" --name "Person $i" --level all-areas
	expect_exit 0 ctl badge issue "P$i" --wiegand "$cred"
done

i=0
for cred in $creds; do
	i=$((i + 1))
	bits=$("$FAKE_GPIO" encode "$cred")
	seq=$(last_seq)
	fgpio wiegand gpiochip0 10 11 "$bits" --interval-us 2000 --width-us 50
	wait_event "$seq" access.granted
	expect_contains "$EV" "\"credential\":\"$cred\""
	expect_contains "$EV" "\"person\":\"P$i\""
	expect_contains "$EV" '"reader":"dock-1-in"'
	pass "${cred%%:*}: ${#bits}-bit frame decoded and granted"
done

# Noise: a whole frame with pulses 100 us apart (minimum is 200 us).
seq=$(last_seq)
fgpio wiegand gpiochip0 10 11 "$("$FAKE_GPIO" encode h10301:12:3456)" --interval-us 100
wait_event "$seq" reader.noise
expect_contains "$EV" '"reason":"pulse_too_close"'
expect_contains "$EV" '"reader":"dock-1-in"'
expect_not_contains "$(events_after "$seq")" '"kind":"access.'
pass "pulses too close: reader.noise pulse_too_close, no decision"

# A truncated frame: the first 20 bits of a 26-bit card.
seq=$(last_seq)
full=$("$FAKE_GPIO" encode h10301:12:3456)
fgpio wiegand gpiochip0 10 11 "${full:0:20}"
wait_event "$seq" reader.noise
expect_contains "$EV" '"reason":"short_frame"'
expect_not_contains "$(events_after "$seq")" '"kind":"access.'
pass "truncated frame: reader.noise short_frame, no decision"

# A lone pulse on D1.
seq=$(last_seq)
fgpio pulse gpiochip0 11
wait_event "$seq" reader.noise
expect_contains "$EV" '"reason":"lone_pulse"'
pass "lone pulse: reader.noise lone_pulse"

# Two readers at once: cage-1-in's frame starts 1 ms after dock-1-in's, so
# their pulses alternate on the wire; each reader decodes its own.
seq=$(last_seq)
a=$("$FAKE_GPIO" encode h10301:12:3456)
b=$("$FAKE_GPIO" encode c1k35:100:500000)
fgpio interleave gpiochip0 10 11 "$a" 12 13 "$b" --interval-us 2000 --offset-us 1000
wait_event "$seq" access.granted
deadline=$((SECONDS + 5))
until [ "$(events_after "$seq" | grep -cE "$(kind_re access.granted)")" -ge 2 ]; do
	[ $SECONDS -lt $deadline ] || fail "expected two grants: $(events_after "$seq")"
	sleep 0.05
done
got=$(events_after "$seq")
expect_contains "$(echo "$got" | grep '"reader":"dock-1-in"')" '"credential":"h10301:12:3456"'
expect_contains "$(echo "$got" | grep '"reader":"cage-1-in"')" '"credential":"c1k35:100:500000"'
expect_not_contains "$got" '"kind":"reader.noise"'
pass "interleaved frames on two readers decode independently"

# An unknown badge is a decision too: denied, not noise.
seq=$(last_seq)
fgpio wiegand gpiochip0 12 13 "$("$FAKE_GPIO" encode h10301:99:1)"
wait_event "$seq" access.denied
expect_contains "$EV" '"reason":"unknown_credential"'
pass "unknown badge on a gpiod reader is denied"
