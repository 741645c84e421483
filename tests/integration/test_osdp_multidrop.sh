#!/bin/bash
# Two OSDP readers on one RS-485 port (multidrop), at addresses 1 and 2:
# both come online, each read is attributed to the reader that made it, and
# one reader falling silent takes only that reader offline.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/osdp_lib.sh"

cat >"$T/multi.ini" <<INI
[controller]
site_name = OSDP multidrop site
timezone = UTC
# CI runs the tests as root, without an aeogate user: stay root.
allow_root = true

[door dock-1]
zone = dock
lock = sim
contact = sim

[door cage-1]
zone = bonded-cage
lock = sim
contact = sim

[reader dock-1-in]
type = osdp
door = dock-1
port = $T/bus
address = 1
secure = off

[reader cage-1-in]
type = osdp
door = cage-1
port = $T/bus
address = 2
secure = off
INI

osdp_start bus 1 2
start_daemon "$T/multi.ini"
both_online() {
	[ "$(count_after 0 'reader\.online')" -ge 2 ]
}
wait_for 15 both_online ||
	fail "both readers did not come online: $(events_after 0)"
n1=$(events_after 0 | grep -E "$(kind_re reader.online)" | grep -c '"reader": \?"dock-1-in"' || true)
n2=$(events_after 0 | grep -E "$(kind_re reader.online)" | grep -c '"reader": \?"cage-1-in"' || true)
[ "$n1" -eq 1 ] && [ "$n2" -eq 1 ] || fail "online events: dock-1-in $n1, cage-1-in $n2"
expect_exit 0 ctl reader list --json
printf '%s' "$OUT" | python3 -c '
import json, sys
rs = {r["name"]: r for r in json.load(sys.stdin)}
assert rs["dock-1-in"]["online"] and rs["cage-1-in"]["online"], rs
assert rs["dock-1-in"]["type"] == "osdp", rs' || fail "reader list: $OUT"
pass "two readers on one port, polled in turn: both online"

ctl level add cage-staff --zone bonded-cage --zone dock >/dev/null
ctl person add E2001 --name "Bo Example" --level cage-staff >/dev/null
ctl badge issue E2001 --wiegand h10301:7:2001 >/dev/null
s=$(last_seq)
osdp bus card 2 "$(h10301_bits 7 2001)"
wait_event "$s" access.granted 10
ev_check "$EV" 'e["reader"] == "cage-1-in" and e["door"] == "cage-1"'
s=$(last_seq)
osdp bus card 1 "$(h10301_bits 7 2001)"
wait_event "$s" access.granted 10
ev_check "$EV" 'e["reader"] == "dock-1-in" and e["door"] == "dock-1"'
pass "each read is decided for the reader (address) that made it"

s=$(last_seq)
osdp bus silent 2 on
wait_event "$s" reader.offline 10
ev_check "$EV" 'e["reader"] == "cage-1-in"'
osdp bus card 1 "$(h10301_bits 7 2001)"
wait_event "$s" access.granted 10
ev_check "$EV" 'e["reader"] == "dock-1-in"'
n=$(events_after "$s" | grep -E "$(kind_re reader.offline)" | grep -c '"reader": \?"dock-1-in"' || true)
[ "$n" -eq 0 ] || fail "the reader that kept answering went offline: $(events_after "$s")"
pass "one silent reader goes offline; the other keeps reading"

s=$(last_seq)
osdp bus silent 2 off
wait_event "$s" reader.online 15
ev_check "$EV" 'e["reader"] == "cage-1-in"'
pass "it answers again: reader.online"

stop_daemon
pass "aeogated stops cleanly"
