#!/bin/bash
# An OSDP reader (the PD emulator on a pty) through the real aeogated: it
# comes online after good replies, a card read over it is decided like a
# Wiegand read, a silent reader goes offline and comes back, and junk on
# the line (garbage, bad CRCs, wrong sequence numbers, BUSY) never crashes
# the controller or decides anything.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/osdp_lib.sh"

write_osdp_config
expect_exit 0 "$AEOGATED" -c "$T/osdp.ini" --check-config
pass "an osdp reader config passes --check-config"

start_daemon "$T/osdp.ini" # the bus is not there yet
wait_event 0 reader.offline 10
pass "the controller starts with its osdp bus missing; reader.offline"

s=$(last_seq)
osdp_start bus 0
wait_event "$s" reader.online 15
ev_check "$EV" 'e["reader"] == "dock-1-in"'
pass "the reader answers ID, CAP and polls: reader.online"

ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1001 --wiegand h10301:12:3456 >/dev/null
s=$(last_seq)
osdp bus card 0 "$(h10301_bits 12 3456)"
wait_event "$s" access.granted 10
ev_check "$EV" 'e["credential"] == "h10301:12:3456" and e["reader"] == "dock-1-in"'
pass "a card read over OSDP (RAW) is granted like a Wiegand read"

s=$(last_seq)
osdp bus card 0 "$(h10301_bits 12 9999)"
wait_event "$s" access.denied 10
pass "an unknown card over OSDP is denied"

# Junk: random bytes, replies with a bad CRC, with a wrong sequence number,
# and BUSY. The link recovers (resends, starting over) and nothing is decided.
s=$(last_seq)
polls=$(osdp_stat bus 0 polls)
osdp bus garbage 300
osdp bus badcrc 0 3
osdp bus badseq 0 3
osdp bus busy 0 3
osdp bus garbage 64
wait_for 20 osdp_stat_above bus 0 polls $((polls + 20)) || fail "polls stopped after junk"
kill -0 "$DAEMON_PID" || fail "aeogated died on junk from the bus"
n=$(count_after "$s" 'access\.[a-z]+')
[ "$n" -eq 0 ] || fail "junk on the bus gave $n decisions: $(events_after "$s")"
resends=$(osdp_stat bus 0 resends)
[ "$resends" -gt 0 ] || fail "a reply lost to a bad CRC was never asked for again (resends=$resends)"
pass "garbage, bad CRCs, wrong sequence numbers and BUSY: no crash, no decision, resends"

osdp bus card 0 "$(h10301_bits 12 3456)"
wait_event "$s" access.granted 10
pass "the reader reads again after the junk"

s=$(last_seq)
osdp bus silent 0 on
wait_event "$s" reader.offline 10
pass "a reader that stops answering: reader.offline"
s=$(last_seq)
osdp bus silent 0 off
wait_event "$s" reader.online 15
pass "it answers again: reader.online"

s=$(last_seq)
osdp_kill bus
wait_event "$s" reader.offline 10
pass "bus unplugged: reader.offline"
s=$(last_seq)
osdp_start bus 0
wait_event "$s" reader.online 15
s=$(last_seq)
osdp bus card 0 "$(h10301_bits 12 3456)"
wait_event "$s" access.granted 10
pass "bus back: reader.online, and a card is granted"

stop_daemon
pass "aeogated stops cleanly"
