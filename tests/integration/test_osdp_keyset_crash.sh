#!/bin/bash
# A crash between the reader's KEYSET ACK and the rename of "<scbk>.new"
# over the key file leaves the reader with the new key and the file with
# the old one (or none, in install mode). At start aeogated tries the key
# in "<scbk>.new" first and the old one after it, keeps whichever the
# reader accepts, finishes (or undoes) the rename and records reader.keyset.
# The crash is staged by leaving the files as the kill -9 would.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/osdp_lib.sh"

OLD=00112233445566778899aabbccddeeff
NEW=f0e1d2c3b4a5968778695a4b3c2d1e0f
umask 077
mkdir -p "$T/keys"

# 1. The reader ACKed KEYSET (it holds NEW); the rename never happened.
printf '%s\n' "$OLD" >"$T/keys/dock.key"
printf '%s\n' "$NEW" >"$T/keys/dock.key.new"
write_osdp_config "scbk = $T/keys/dock.key"
OSDP_SCBK=$NEW osdp_start bus 0
start_daemon "$T/osdp.ini"
wait_event 0 reader.keyset 15
ev_check "$EV" 'd["state"] == "recovered"'
wait_event 0 reader.online 15
s=$(events_after 0 | grep -E "$(kind_re reader.secure_channel)" | sed -n 1p)
ev_check "$s" 'd["state"] == "established" and d["key"] == "scbk"'
[ "$(cat "$T/keys/dock.key")" = "$NEW" ] || fail "the key file does not hold the reader's key: $(cat "$T/keys/dock.key")"
[ ! -e "$T/keys/dock.key.new" ] || fail "<scbk>.new was left behind"
[ "$(stat -c %a "$T/keys/dock.key")" = 600 ] || fail "key file mode $(stat -c %a "$T/keys/dock.key")"
ev=$(events_after 0 | grep -E "$(kind_re reader.secure_channel)" | grep -c '"failed"' || true)
[ "$ev" -eq 0 ] || fail "a failed session was reported on the way: $(events_after 0)"
pass "the reader took the new key before the crash: <scbk>.new is kept, renamed, reader.keyset recovered"

ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1001 --wiegand h10301:12:3456 >/dev/null
s=$(last_seq)
osdp bus card 0 "$(h10301_bits 12 3456)"
wait_event "$s" access.granted 10
pass "a card is decided over the session with the recovered key"
s=$(last_seq)
stop_daemon
osdp_kill bus

# 2. The crash came before the reader's ACK: it kept OLD; <scbk>.new goes.
printf '%s\n' "$OLD" >"$T/keys/dock.key"
printf '%s\n' "$NEW" >"$T/keys/dock.key.new"
OSDP_SCBK=$OLD osdp_start bus 0
start_daemon "$T/osdp.ini"
wait_event "$s" reader.keyset 15
ev_check "$EV" 'd["state"] == "discarded"'
wait_event "$s" reader.online 15
[ "$(cat "$T/keys/dock.key")" = "$OLD" ] || fail "the key file changed: $(cat "$T/keys/dock.key")"
[ ! -e "$T/keys/dock.key.new" ] || fail "<scbk>.new was left behind"
pass "the reader never took the new key: the old key is kept, <scbk>.new removed, reader.keyset discarded"
s=$(last_seq)
stop_daemon
osdp_kill bus

# 3. Install mode: no key file yet, the crash left only <scbk>.new, the reader holds it.
rm -f "$T/keys/dock.key"
printf '%s\n' "$NEW" >"$T/keys/dock.key.new"
write_osdp_config "scbk = $T/keys/dock.key
install = yes"
OSDP_SCBK=$NEW osdp_start bus 0
start_daemon "$T/osdp.ini"
wait_event "$s" reader.keyset 15
ev_check "$EV" 'd["state"] == "recovered"'
wait_event "$s" reader.online 15
[ "$(cat "$T/keys/dock.key")" = "$NEW" ] || fail "install mode: the key file does not hold the reader's key"
n=$(count_after "$s" 'reader\.keyset')
[ "$n" -eq 1 ] || fail "install mode: another KEYSET after the recovery ($n reader.keyset events)"
pass "install mode: the interrupted KEYSET is finished, not repeated"
stop_daemon
pass "aeogated stops cleanly"
