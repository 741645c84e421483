#!/bin/bash
# A lockdown on real lock lines (the libgpiod double): a door in mode
# unlocked locks when the site is locked down, comes up after a restart
# without its lock ever being released (not even for an instant, for its
# stored unlocked mode), and releases again once the lockdown ends.
source "$(dirname "$0")/lib.sh"

write_gpiod_config
start_daemon_gpiod "$T/gpiod.ini"

# dock-1's strike is gpiochip0:17: 1 released, 0 locked.
expect_exit 0 ctl door mode dock-1 unlocked --comment "open day"
wait_level gpiochip0 17 1
expect_exit 0 ctl site lockdown --comment "intruder"
wait_level gpiochip0 17 0
pass "lockdown locks an unlocked door's strike at once"

stop_daemon
start_daemon_gpiod "$T/gpiod.ini"
[ "$(fgpio get gpiochip0 17)" = 0 ] || fail "the strike came up released under lockdown"
# The double's log of this process: its entries are numbered from 1 again.
this_run=$(awk '$1 == 1 { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$FAKE_GPIO_DIR/log")
expect_contains "$this_run" "request gpiochip0 17 output value=0"
released=$(echo "$this_run" | grep -E ' (set|request) gpiochip0 17 ' | grep 'value=1' || true)
[ -z "$released" ] || fail "the strike was released during the start under lockdown: $released"
pass "a restart under lockdown never releases the strike of a door whose stored mode is unlocked"

expect_exit 0 ctl site release --comment "all clear"
wait_level gpiochip0 17 1
pass "release: the door takes its unlocked mode again"
