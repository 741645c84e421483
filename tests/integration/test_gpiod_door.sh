#!/bin/bash
# Door inputs on the gpiod backend against the libgpiod double: a contact
# opening without a grant is forced, REX releases the lock and the door opens
# without an alarm, tamper raises alarm.tamper, glitches are debounced away.
. "$(dirname "$0")/lib.sh"

write_gpiod_config
start_daemon_gpiod "$T/gpiod.ini"

# Contact and tamper idle low (closed); REX idles high and is active_low.
seq=$(last_seq)
fgpio edge gpiochip0 4 rising
wait_event "$seq" door.forced
expect_contains "$EV" '"door":"dock-1"'
[ "$(fgpio get gpiochip0 17)" = 0 ] || fail "forcing the door moved the lock"
pass "contact opens without a grant: door.forced"

seq=$(last_seq)
fgpio edge gpiochip0 4 falling
wait_event "$seq" door.closed
pass "contact closes: door.closed"

# A 50 us glitch on the contact is shorter than the 7 ms debounce: no event.
seq=$(last_seq)
fgpio pulse gpiochip0 4 --width-us 50
fgpio pulse gpiochip0 4 --width-us 3000
# Settle past the debounce with a real edge on another door, then look.
fgpio edge gpiochip0 25 rising
wait_event "$seq" door.forced
expect_not_contains "$(events_after "$seq")" '"door":"dock-1"'
fgpio edge gpiochip0 25 falling
wait_event "$seq" door.closed
pass "a contact glitch shorter than the debounce is ignored"

# REX: the lock releases, the door opens without an alarm.
seq=$(last_seq)
fgpio edge gpiochip0 5 falling
wait_event "$seq" door.rex
wait_level gpiochip0 17 1
fgpio edge gpiochip0 5 rising
fgpio edge gpiochip0 4 rising
wait_event "$seq" door.opened
expect_not_contains "$(events_after "$seq")" '"kind":"door.forced"'
rex_seq=$(echo "$(events_after "$seq")" | grep -E "$(kind_re door.rex)" | grep -oE '"seq": ?[0-9]+' | grep -oE '[0-9]+$')
open_seq=$(echo "$EV" | grep -oE '"seq": ?[0-9]+' | grep -oE '[0-9]+$')
[ "$rex_seq" -lt "$open_seq" ] || fail "door.rex ($rex_seq) not before door.opened ($open_seq)"
fgpio edge gpiochip0 4 falling
wait_event "$seq" door.closed
wait_level gpiochip0 17 0
pass "REX: door.rex, lock released, door.opened without door.forced, relocked on close"

# REX on the maglock door drops its hold.
seq=$(last_seq)
fgpio edge gpiochip0 26 falling
wait_event "$seq" door.rex
expect_contains "$EV" '"door":"cage-1"'
wait_level gpiochip0 18 0
fgpio edge gpiochip0 26 rising
pass "REX on the maglock door de-energizes it"

# Tamper.
seq=$(last_seq)
fgpio edge gpiochip0 6 rising
wait_event "$seq" alarm.tamper
expect_contains "$EV" '"door":"dock-1"'
pass "tamper switch opens: alarm.tamper"
