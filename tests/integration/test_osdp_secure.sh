#!/bin/bash
# The OSDP secure channel through the real aeogated: with the reader's key
# the session is established (reader.secure_channel established), the
# reader comes online and a card is decided; a reply with a bad MAC drops
# the session (lost) and it is set up again; a reader with another key
# gets no session (failed), never comes online, and its cards are never
# decided; a key file others can read is refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/osdp_lib.sh"

KEY=00112233445566778899aabbccddeeff
printf '%s\n' "$KEY" >"$T/dock.key"
chmod 600 "$T/dock.key"
write_osdp_config "scbk = $T/dock.key"
expect_exit 0 "$AEOGATED" -c "$T/osdp.ini" --check-config
pass "secure = required (the default) with a key file passes --check-config"

OSDP_SCBK=$KEY osdp_start bus 0
start_daemon "$T/osdp.ini"
wait_event 0 reader.secure_channel 15
ev_check "$EV" 'd["state"] == "established" and d["key"] == "scbk" and e["reader"] == "dock-1-in"'
wait_event 0 reader.online 15
osdp bus stats 0
case "$OSDP_OUT" in *secure=1*) ;; *) fail "the emulator has no session: $OSDP_OUT" ;; esac
pass "CHLNG/CCRYPT/SCRYPT/RMAC_I with the reader's key: established, reader.online"

ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1001 --wiegand h10301:12:3456 >/dev/null
s=$(last_seq)
osdp bus card 0 "$(h10301_bits 12 3456)"
wait_event "$s" access.granted 10
pass "a card read over the secure channel (SCS_18, MAC chained) is granted"

s=$(last_seq)
osdp bus badmac 0 1
wait_event "$s" reader.secure_channel 10
ev_check "$EV" 'd["state"] == "lost"'
wait_event "$s" reader.online 20
s2=$(last_seq)
osdp bus card 0 "$(h10301_bits 12 3456)"
wait_event "$s2" access.granted 15
n=$(events_after "$s" | grep -E "$(kind_re reader.secure_channel)" | grep -c '"established"' || true)
[ "$n" -ge 1 ] || fail "no new session after the MAC failure: $(events_after "$s")"
pass "a reply with a bad MAC drops the session (lost); a new one is set up and reads go on"

# The reader is replaced by one with another key.
s=$(last_seq)
osdp_kill bus
wait_event "$s" reader.offline 10
OSDP_SCBK=ffeeddccbbaa99887766554433221100 osdp_start bus 0
s=$(last_seq)
wait_event "$s" reader.secure_channel 15
ev_check "$EV" 'd["state"] == "failed" and d["key"] == "scbk"'
osdp bus card 0 "$(h10301_bits 12 3456)"
wait_for 20 osdp_stat_above bus 0 polls 30 || fail "the reader is not polled"
n=$(count_after "$s" 'access\.[a-z]+|reader\.online')
[ "$n" -eq 0 ] || fail "a reader with the wrong key was trusted: $(events_after "$s")"
pass "wrong key: no session (failed), never online, its card is never decided"

s=$(last_seq)
stop_daemon

chmod 644 "$T/dock.key"
osdp_kill bus
OSDP_SCBK=$KEY osdp_start bus 0
start_daemon "$T/osdp.ini"
wait_event "$s" reader.secure_channel 15
ev_check "$EV" 'd["state"] == "failed" and "0600" in d["why"]'
wait_for 20 osdp_stat_above bus 0 polls 30 || fail "the reader is not polled"
n=$(count_after "$s" 'reader\.online')
[ "$n" -eq 0 ] || fail "a reader came online with a readable key file"
pass "a key file others can read is refused: failed, offline"
stop_daemon
pass "aeogated stops cleanly"
