#!/bin/bash
# sim present READER --credential FORMAT:FACILITY:NUMBER (issue 17): the
# badge is encoded into the frame its reader would send (the product's one
# encoder, with parity) and presented; a reader that does not take the
# format refuses it as it would the real card; bad credential strings are a
# usage error (exit 2) and present nothing.
source "$(dirname "$0")/lib.sh"

write_sim_config
start_daemon "$T/sim.ini"

ctl level add all-doors --zone dock --zone bonded-cage >/dev/null
ctl person add E1 --name "Ann Example" --level all-doors >/dev/null
for c in h10301:12:3456 h10304:1200:52002 h10306:300:4000 c1k35:1001:500000 c1k48:2000000:4000000; do
	ctl badge issue E1 --wiegand "$c" >/dev/null
done
ctl badge issue E1 --uid 04a1b2c3 >/dev/null

# Every enrolled badge of every format opens the reader that takes them all.
for c in h10301:12:3456 h10304:1200:52002 h10306:300:4000 c1k35:1001:500000 c1k48:2000000:4000000 uid:04a1b2c3; do
	s=$(last_seq)
	expect_exit 0 ctl sim present dock-1-in --credential "$c"
	expect_contains "$OUT" "granted"
	expect_contains "$OUT" "$c"
	wait_event "$s" access.granted
	ev_check "$EV" "e['credential'] == '$c' and e['person'] == 'E1' and e['reader'] == 'dock-1-in'"
done
pass "each enrolled badge (h10301, h10304, h10306, c1k35, c1k48, uid) presented by --credential is granted as itself"

# Upper case and leading zeros are the same badge, normalized.
expect_exit 0 ctl sim present dock-1-in --credential H10301:012:3456 --json
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["granted"] and r["credential"]=="h10301:12:3456", r' "$OUT" ||
	fail "H10301:012:3456 was not read as h10301:12:3456: $OUT"

# The same frame as --bits gives the same answer: the encoder is the reader's.
expect_exit 0 ctl sim present dock-1-in --bits 00000110000001101100000001
expect_contains "$OUT" "h10301:12:3456"
pass "--credential is the frame --bits would be (H10301 12:3456 with its parity)"

# cage-1-in takes h10301, h10304, h10302 only: a c1k35 frame is no card to it.
s=$(last_seq)
expect_exit 1 ctl sim present cage-1-in --credential c1k35:1001:500000 --json
expect_contains "$OUT" '"reason": "unknown_format"'
expect_exit 0 ctl sim present cage-1-in --credential h10304:1200:52002
# An unknown badge is encoded and presented, and denied as unknown.
expect_exit 1 ctl sim present dock-1-in --credential h10301:12:3457
expect_contains "$OUT" "unknown_credential"
pass "a reader refuses a format it does not take; an unenrolled badge is denied"

# Bad credential strings: a usage error, nothing presented.
s=$(last_seq)
for bad in "" nope h10304 h10304:1200 h10304:1200:52002:1 x1234:1:2 h10304:70000:1 h10301:12:99999 \
	h10301:-1:5 h10301:a:5 uid:zz112233 uid:0102 raw:26:0123456; do
	expect_exit 2 ctl sim present dock-1-in --credential "$bad"
	expect_contains "$ERR" "--credential"
done
expect_exit 2 ctl sim present dock-1-in --credential h10301:12:3456 --uid 04a1b2c3
[ "$(last_seq)" = "$s" ] || fail "a refused --credential presented something: $(events_after "$s")"
pass "bad credential strings exit 2 with a clear message and present nothing"

stop_daemon
