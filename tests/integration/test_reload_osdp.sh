#!/bin/bash
# SIGHUP and OSDP readers: a reader added at a new address on a port
# already polled joins that bus (multidrop) and reads for its own door; a
# reader on a new port opens that port, and removed, closes it again; the
# first reader keeps being polled and reading throughout.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/osdp_lib.sh"

base() {
	cat <<INI
[controller]
site_name = OSDP reload site
timezone = UTC
# CI runs the tests as root, without an aeogate user: stay root.
allow_root = true

[door dock-1]
zone = dock
lock = sim

[door cage-1]
zone = bonded-cage
lock = sim

[reader dock-1-in]
type = osdp
door = dock-1
port = $T/bus
address = 1
secure = off
INI
}
cage_reader() {
	cat <<INI

[reader cage-1-in]
type = osdp
door = cage-1
port = $T/bus
address = 2
secure = off
INI
}
gate() {
	cat <<INI

[door gate-1]
zone = gate
lock = sim

[reader gate-1-in]
type = osdp
door = gate-1
port = $T/bus2
address = 0
secure = off
INI
}
osdp_start bus 1 2
osdp_start bus2 0
base >"$T/osdp.ini"
start_daemon "$T/osdp.ini"
wait_event 0 reader.online 15
ev_check "$EV" 'e["reader"] == "dock-1-in"'
ctl level add staff --zone dock --zone bonded-cage >/dev/null
ctl person add E1 --name "Erin One" --level staff >/dev/null
ctl badge issue E1 --wiegand h10301:7:2001 >/dev/null
card=$(h10301_bits 7 2001)

# A second reader on the same port, at address 2.
s0=$(last_seq)
{ base; cage_reader; } >"$T/osdp.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s0" config.reloaded 20
ev_check "$EV" "d['changed'] == ['reader cage-1-in: added']"
wait_event "$s0" reader.online 15
ev_check "$EV" 'e["reader"] == "cage-1-in"'
s1=$(last_seq)
osdp bus card 2 "$card"
wait_event "$s1" access.granted 10
ev_check "$EV" 'e["reader"] == "cage-1-in" and e["door"] == "cage-1"'
s1=$(last_seq)
osdp bus card 1 "$card"
wait_event "$s1" access.granted 10
ev_check "$EV" 'e["reader"] == "dock-1-in" and e["door"] == "dock-1"'
pass "an OSDP reader added to a port already polled comes online and reads for its door"

# A door with a reader on a new port: the port is opened.
bus2=$(cat "$T/bus2.pts")
holds_closed "$bus2" || fail "bus2 open before any reader names it"
s2=$(last_seq)
{ base; cage_reader; gate; } >"$T/osdp.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s2" config.reloaded 20
ev_check "$EV" "sorted(d['changed']) == ['door gate-1: added', 'reader gate-1-in: added']"
wait_for 15 holds_open "$bus2" || fail "the new port was not opened"
wait_for 15 osdp_stat_above bus2 0 polls 0 || fail "the new port's reader is not polled"
pass "a reader on a new port: the port opened and its reader polled"

# Removed again: the port is closed; the multidrop pair goes on.
s3=$(last_seq)
{ base; cage_reader; } >"$T/osdp.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s3" config.reloaded 20
ev_check "$EV" "sorted(d['changed']) == ['door gate-1: removed', 'reader gate-1-in: removed']"
wait_for 10 holds_closed "$bus2" || fail "the removed reader's port stayed open"
s4=$(last_seq)
osdp bus2 card 0 "$card"
osdp bus card 2 "$card"
wait_event "$s4" access.granted 10
ev_check "$EV" 'e["reader"] == "cage-1-in"'
[ "$(count_after "$s4" 'access\.[a-z]+')" -eq 1 ] || fail "a read on the closed port was decided: $(events_after "$s4")"
pass "a removed reader's port is closed; the readers left keep reading"

# The second reader removed from the shared port: the port stays open for the first.
s5=$(last_seq)
base >"$T/osdp.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s5" config.reloaded 20
ev_check "$EV" "d['changed'] == ['reader cage-1-in: removed']"
# It was online: its going is on the record, as any reader going offline is.
events_after "$s5" | grep '"reader.offline"' | grep '"cage-1-in"' | matches 'removed' ||
	fail "the online reader removed by the reload left no reader.offline: $(events_after "$s5")"
holds_open "$(cat "$T/bus.pts")" || fail "the shared port closed with one of its readers"
s6=$(last_seq)
osdp bus card 1 "$card"
wait_event "$s6" access.granted 10
ev_check "$EV" 'e["reader"] == "dock-1-in"'
pass "a reader removed from a shared port: reader.offline (removed) recorded; the other on it keeps reading"

stop_daemon
pass "aeogated stops cleanly after the reloads (exit 0)"
