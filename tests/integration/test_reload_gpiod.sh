#!/bin/bash
# SIGHUP on the gpiod backend (libgpiod double): a door added is claimed
# with its lock at the locked level before its Wiegand reader's lines, and
# a badge there releases it; a door removed is driven locked while its
# lock is released by a grant, then its lines are given back, and frames
# on its old reader lines decide nothing. The other door never moves.
. "$(dirname "$0")/lib.sh"

write_gpiod_config
start_daemon_gpiod "$T/gpiod.ini"
cp "$T/gpiod.ini" "$T/base.ini"
bits=$("$FAKE_GPIO" encode h10301:12:3456)

# A maglock door on line 19 with a Wiegand reader on 14/15.
s0=$(last_seq)
cat >>"$T/gpiod.ini" <<'INI'

[door gate-1]
zone = gate
lock = gpiochip0:19
lock_type = maglock
strike_time = 3s

[reader gate-1-in]
type = wiegand
door = gate-1
formats = all
d0 = gpiochip0:14
d1 = gpiochip0:15
INI
kill -HUP "$DAEMON_PID"
wait_event "$s0" config.reloaded 20
ev_check "$EV" "sorted(d['changed']) == ['door gate-1: added', 'reader gate-1-in: added']"
[ "$(fgpio get gpiochip0 19)" = 1 ] || fail "the new maglock is not energized (locked)"
fgpio log >"$T/gpio.log"
lock_at=$(grep -n 'request gpiochip0 19 output value=1 level=1' "$T/gpio.log" | sed -n 1p | cut -d: -f1)
d0_at=$(grep -n 'request gpiochip0 14 ' "$T/gpio.log" | sed -n 1p | cut -d: -f1)
[ -n "$lock_at" ] && [ -n "$d0_at" ] || fail "new lines not claimed: $(cat "$T/gpio.log")"
[ "$lock_at" -lt "$d0_at" ] || fail "the reader was opened before its door's lock: $(cat "$T/gpio.log")"
pass "a door added by SIGHUP: its lock claimed locked (maglock energized) before its reader's lines"

expect_exit 0 ctl level add staff --zone dock --zone bonded-cage --zone gate
expect_exit 0 ctl person add E1 --name "Erin One" --level staff
expect_exit 0 ctl badge issue E1 --wiegand h10301:12:3456
s1=$(last_seq)
fgpio wiegand gpiochip0 14 15 "$bits"
wait_event "$s1" access.granted
ev_check "$EV" "e['door'] == 'gate-1' and e['reader'] == 'gate-1-in'"
wait_level gpiochip0 19 0
pass "a badge at the added door's reader releases its maglock: $EV"

# Removed while released by a second grant: locked first, then released lines.
wait_level gpiochip0 19 1 10
s2=$(last_seq)
fgpio wiegand gpiochip0 14 15 "$bits"
wait_event "$s2" access.granted
wait_level gpiochip0 19 0
mark=$(fgpio log | grep -cE '^[0-9]+ ' || true)
cp "$T/base.ini" "$T/gpiod.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s2" config.reloaded 20
ev_check "$EV" "sorted(d['changed']) == ['door gate-1: removed', 'reader gate-1-in: removed']"
fgpio log | tail -n +"$((mark + 1))" >"$T/after.log"
lock19=$(grep -nE ' set gpiochip0 19 ' "$T/after.log" | sed -n 1p | cut -d: -f1)
rel19=$(grep -n 'release gpiochip0 19' "$T/after.log" | sed -n 1p | cut -d: -f1)
[ -n "$lock19" ] && [ -n "$rel19" ] || fail "gate-1's lock not locked then released: $(cat "$T/after.log")"
[ "$lock19" -lt "$rel19" ] || fail "gate-1's line released before it was locked: $(cat "$T/after.log")"
expect_contains "$(sed -n "${lock19}p" "$T/after.log")" "value=1 level=1"
grep -E ' (set|request) gpiochip0 19 ' "$T/after.log" | grep -v 'level=1' &&
	fail "gate-1's lock was driven released after its removal: $(cat "$T/after.log")"
expect_contains "$(cat "$T/after.log")" "release gpiochip0 14"
expect_contains "$(cat "$T/after.log")" "release gpiochip0 15"
[ "$(fgpio get gpiochip0 19)" = 1 ] || fail "the removed maglock does not stay energized (locked)"
grep -E ' gpiochip0 (17|18) ' "$T/after.log" && fail "a kept door's lock moved on reload: $(cat "$T/after.log")"
pass "a door removed while released: its maglock driven locked, then its lines released (lock stays locked)"

# Frames on the removed reader's lines decide nothing; the kept doors still do.
s3=$(last_seq)
fgpio wiegand gpiochip0 14 15 "$bits" >/dev/null 2>&1 || true
fgpio wiegand gpiochip0 10 11 "$bits"
wait_event "$s3" access.granted
ev_check "$EV" "e['door'] == 'dock-1'"
[ "$(count_after "$s3" 'access\.[a-z]+')" -eq 1 ] || fail "a frame on the removed reader was decided: $(events_after "$s3")"
expect_exit 0 ctl door list --json
expect_not_contains "$OUT" '"gate-1"'
pass "frames on a removed reader's lines decide nothing; the kept door grants"

# A door whose lock line another door holds cannot be opened: it and its
# reader stay out, said in detail.changed; the running doors are untouched.
wait_level gpiochip0 17 0 10 # the grant above has ended
s4=$(last_seq)
cat >>"$T/gpiod.ini" <<'INI'

[door busy-1]
zone = gate
lock = gpiochip0:22

[reader busy-1-in]
type = wiegand
door = busy-1
d0 = gpiochip0:14
d1 = gpiochip0:15
INI
kill -HUP "$DAEMON_PID"
wait_event "$s4" config.reloaded 20
ev_check "$EV" "any(c.startswith('door busy-1: not added: ') for c in d['changed']) and 'reader busy-1-in: not added: its door was not' in d['changed']"
expect_exit 0 ctl door list --json
expect_not_contains "$OUT" '"busy-1"'
[ "$(fgpio get gpiochip0 17)" = 0 ] || fail "dock-1's strike moved"
s5=$(last_seq)
fgpio wiegand gpiochip0 10 11 "$bits"
wait_event "$s5" access.granted
ev_check "$EV" "e['door'] == 'dock-1'"
pass "a door whose line is busy is not added (said in config.reloaded); the others run: $EV"

stop_daemon
pass "aeogated stops cleanly after the reloads (exit 0)"
