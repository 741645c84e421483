#!/bin/bash
# Installing an OSDP reader: a reader fresh from its box has the default key
# SCBK-D; with install = yes aeogated sets up a session with it, gives the
# reader a fresh random key (KEYSET, inside the session), replaces the key
# file (0600) and from then on uses the reader's own key. After a restart
# the key file is used, whatever install says.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/osdp_lib.sh"

mkdir -p "$T/keys"
write_osdp_config "scbk = $T/keys/dock.key
install = yes"
expect_exit 0 "$AEOGATED" -c "$T/osdp.ini" --check-config
pass "install = yes with a key file still to come passes --check-config"

osdp_start bus 0 # no --scbk: the reader has SCBK-D
start_daemon "$T/osdp.ini"
wait_event 0 reader.secure_channel 15
ev_check "$EV" 'd["state"] == "established" and d["key"] == "scbk-d"'
pass "install mode: a session with the default key (scbk-d)"

wait_event 0 reader.keyset 15
ev_check "$EV" 'd["state"] == "done"'
s=$(events_after 0 | grep -E "$(kind_re reader.keyset)" | grep -oE '"seq": ?[0-9]+' | grep -oE '[0-9]+')
wait_event "$s" reader.secure_channel 15
ev_check "$EV" 'd["state"] == "established" and d["key"] == "scbk"'
[ -f "$T/keys/dock.key" ] || fail "no key file after KEYSET"
[ "$(stat -c %a "$T/keys/dock.key")" = 600 ] || fail "key file mode $(stat -c %a "$T/keys/dock.key")"
[ ! -e "$T/keys/dock.key.new" ] || fail "the temporary key file was left behind"
key=$(cat "$T/keys/dock.key")
[[ "$key" =~ ^[0-9a-f]{32}$ ]] || fail "key file does not hold 32 hex digits: $key"
[ "$key" != 303132333435363738393a3b3c3d3e3f ] || fail "the new key is the default key"
osdp bus stats 0
case "$OSDP_OUT" in *"key=$key"*) ;; *) fail "the reader's key is not the file's: $OSDP_OUT" ;; esac
pass "KEYSET: a fresh key in the reader and in the key file (0600), reader.keyset, then a session with it"

ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1001 --wiegand h10301:12:3456 >/dev/null
s=$(last_seq)
osdp bus card 0 "$(h10301_bits 12 3456)"
wait_event "$s" access.granted 10
pass "a card is granted over the session with the new key"

s=$(last_seq)
stop_daemon
start_daemon "$T/osdp.ini"
wait_event "$s" reader.secure_channel 15
ev_check "$EV" 'd["state"] == "established" and d["key"] == "scbk"'
n=$(count_after "$s" 'reader\.keyset')
[ "$n" -eq 0 ] || fail "a second KEYSET after the restart"
pass "after a restart the key file is used; no second KEYSET"
stop_daemon
pass "aeogated stops cleanly"
