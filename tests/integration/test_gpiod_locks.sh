#!/bin/bash
# Lock outputs on the gpiod backend against the libgpiod double: the locked
# level for a strike (low) and a maglock (high), locks driven before anything
# else (boot order), a grant releasing the lock, and SIGTERM locking again.
. "$(dirname "$0")/lib.sh"

write_gpiod_config
start_daemon_gpiod "$T/gpiod.ini"

# Locked at start: a fail-secure strike de-energized, a fail-safe maglock energized.
[ "$(fgpio get gpiochip0 17)" = 0 ] || fail "strike lock not low at start"
[ "$(fgpio get gpiochip0 18)" = 1 ] || fail "maglock not high at start"
for l in 22 23 24; do
	[ "$(fgpio get gpiochip0 $l)" = 0 ] || fail "output $l not inactive at start"
done
pass "locked levels at start: strike low, maglock high, LEDs and buzzer off"

# Boot order: the very first line operation claims the first door's lock at
# its locked level, before the state directory held anything (no database);
# every output, both locks included, is claimed before any input.
fgpio log >"$T/gpio.log"
first=$(head -n 1 "$T/gpio.log")
expect_contains "$first" "1 request gpiochip0 17 output value=0 level=0"
expect_contains "$first" "consumer=aeogate watch=0"
expect_contains "$(cat "$T/gpio.log")" "request gpiochip0 18 output value=1 level=1"
last_output=$(grep -n ' output ' "$T/gpio.log" | tail -n 1 | cut -d: -f1)
first_input=$(grep -n ' events=' "$T/gpio.log" | sed -n 1p | cut -d: -f1)
[ -n "$first_input" ] || fail "no input was claimed: $(cat "$T/gpio.log")"
[ "$last_output" -lt "$first_input" ] || fail "an output was claimed after an input: $(cat "$T/gpio.log")"
grep ' output ' "$T/gpio.log" | matches -v 'watch=0' &&
	fail "an output was claimed after the state directory was written: $(cat "$T/gpio.log")"
grep ' events=' "$T/gpio.log" | sed -n 1p | matches 'watch=1' ||
	fail "inputs were claimed before the database existed: $(cat "$T/gpio.log")"
expect_contains "$(cat "$T/gpio.log")" "request gpiochip0 10 events=falling"
expect_contains "$(cat "$T/gpio.log")" "request gpiochip0 5 events=both active_low=1"
pass "locks first, then outputs, then the database, then inputs and readers"

# A grant releases each lock with its own polarity.
expect_exit 0 ctl level add dock-staff --zone dock --zone bonded-cage
expect_exit 0 ctl person add E1 --name "Erin One" --level dock-staff
expect_exit 0 ctl badge issue E1 --wiegand h10301:12:3456
bits=$("$FAKE_GPIO" encode h10301:12:3456)

seq=$(last_seq)
fgpio wiegand gpiochip0 10 11 "$bits"
wait_event "$seq" access.granted
expect_contains "$EV" '"reader":"dock-1-in"'
wait_level gpiochip0 17 1
pass "grant on the strike door energizes its lock"

seq=$(last_seq)
fgpio wiegand gpiochip0 12 13 "$bits"
wait_event "$seq" access.granted
expect_contains "$EV" '"reader":"cage-1-in"'
wait_level gpiochip0 18 0
pass "grant on the maglock door de-energizes its lock"

# The strike time (3 s) ends: both locks go back to locked.
wait_level gpiochip0 17 0 10
wait_level gpiochip0 18 1 10
pass "locks relock after the strike time"

# Release the strike with REX, then stop: the last thing done is locking.
seq=$(last_seq)
fgpio edge gpiochip0 5 falling
wait_event "$seq" door.rex
wait_level gpiochip0 17 1
stop_daemon
log=$(cat "$FAKE_GPIO_DIR/log")
last17=$(grep -E ' (set|request) gpiochip0 17 ' "$FAKE_GPIO_DIR/log" | tail -n 1)
expect_contains "$last17" "value=0 level=0"
last18=$(grep -E ' (set|request) gpiochip0 18 ' "$FAKE_GPIO_DIR/log" | tail -n 1)
expect_contains "$last18" "value=1 level=1"
expect_contains "$log" "release gpiochip0 17"
expect_contains "$log" "release gpiochip0 18"
pass "SIGTERM drives both locks to locked, then releases the lines"
