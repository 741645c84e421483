#!/bin/bash
# Garbage storm from an NFC reader (issue 6, fault tests 5): the PN532
# emulator answers libnfc with junk many times over — random bytes of
# random length (1-4096) instead of a reply, and replies cut short — back
# to back, each injected as soon as the previous one was consumed. No card
# is in the field, so any decision would have come from junk. Then:
# aeogated is up, nothing was decided, the reader is (back) online, and a
# real card is granted. The offline/online flaps the junk caused are
# reported. Bounded: AEOGATE_NFC_GARBAGE injections (default 20, which keeps the ASan pass in CI well under its timeout), each
# consumed within 20 s (the reconnect back-off tops out at 5 s).
source "$(dirname "$0")/lib.sh"

K=${AEOGATE_NFC_GARBAGE:-20}

emu_stat() { # emu_stat KEY: a counter from the emulator's stats line
	"$PN532_EMU" --send "$T/pn532.ctl" stats | tr ' ' '\n' | sed -n "s/^$1=//p"
}
consumed() {
	[ "$(emu_stat pending_garbage)" = 0 ] && [ "$(emu_stat pending_truncate)" = 0 ]
}
# last_status READER: "online" or "offline", from the newest reader.* status event.
last_status() {
	events_after 0 | grep -E "$(kind_re reader.online)|$(kind_re reader.offline)" | tail -n 1 |
		grep -oE 'reader\.(online|offline)' | cut -d. -f2
}
is_online() { [ "$(last_status)" = online ]; }

pn532_start pn532
write_nfc_config 300
start_daemon "$T/nfc.ini"
wait_event 0 reader.online 10
ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1001 --uid 04a1b2c3 >/dev/null
s=$(last_seq)
bad0=$(emu_stat bad)
frames0=$(emu_stat frames)

RANDOM=${AEOGATE_NFC_GARBAGE_SEED:-532}
junk_bytes=0
for i in $(seq 1 "$K"); do
	if [ $((i % 3)) -eq 0 ]; then
		pn532 pn532 truncate
	else
		n=$((1 + (RANDOM * 32768 + RANDOM) % 4096))
		junk_bytes=$((junk_bytes + n))
		pn532 pn532 garbage "$n"
	fi
	wait_for 20 consumed || fail "injection $i was not consumed: $("$PN532_EMU" --send "$T/pn532.ctl" stats)"
	kill -0 "$DAEMON_PID" || fail "aeogated died after $i junk replies"
done
pass "$K junk replies ($junk_bytes random bytes, $((K / 3)) truncated frames) consumed by libnfc; aeogated up"

n=$(count_after "$s" 'access\.[a-z]+')
[ "$n" -eq 0 ] || fail "junk from the reader gave $n decisions: $(events_after "$s" | grep access | sed -n 1,3p)"
offline=$(count_after "$s" 'reader\.offline')
online=$(count_after "$s" 'reader\.online')
pass "no decision from junk; the reader flapped offline $offline and online $online times"

wait_for 30 is_online || fail "the reader did not come back online"
s2=$(last_seq)
pn532 pn532 present 04a1b2c3
wait_event "$s2" access.granted 10
pn532 pn532 remove
expect_contains "$EV" 'uid:04a1b2c3'
pass "the reader recovers: a real card afterwards is granted"
echo "# emulator: $(($(emu_stat frames) - frames0)) host frames, $(($(emu_stat bad) - bad0)) bad host frames"

stop_daemon
pass "aeogated stops cleanly"
