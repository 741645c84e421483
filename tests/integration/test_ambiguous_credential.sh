#!/bin/bash
# Issue 10.1: one frame, two people. cage-1-in accepts both H10302 and
# H10304, whose 37-bit frames share length and parity layout, so
# h10302:0:524290 and h10304:1:2 are the same bits on the wire. The
# controller must never attribute such a read to one of them:
#  - badge issue refuses the second credential (already_exists), naming the
#    badge it collides with and the readers that accept both;
#  - if a colliding pair exists anyway (enrolled while no reader accepted
#    both formats, then the config changed), a read is denied
#    ambiguous_credential with both candidates named, and --check-config and
#    the start warn about the pair.
source "$(dirname "$0")/lib.sh"

# bits37 VALUE35: a 37-bit H10302/H10304 frame, computed here independently
# of hal/wiegand.c: bit 0 even parity over bits 1-18, bit 36 odd over 18-35.
bits37() {
	python3 - "$1" <<'PY'
import sys
v = int(sys.argv[1])
data = [int(c) for c in format(v, "035b")]
b = [0] + data + [0]
b[0] = sum(b[1:19]) % 2
b[36] = 1 - sum(b[18:36]) % 2
print("".join(map(str, b)))
PY
}

FRAME=$(bits37 524290) # h10302:0:524290 == h10304:1:2
[ "${#FRAME}" -eq 37 ] || fail "bits37 gave ${#FRAME} bits"

# dock-1-in accepts only H10302 at first: the pair can be enrolled there.
write_sim_config
sed -i 's/^formats = all$/formats = h10302/' "$T/sim.ini"
start_daemon "$T/sim.ini"
ctl level add cage --zone bonded-cage --zone dock >/dev/null
ctl person add ALICE --name "Alice Adams" --level cage >/dev/null
ctl person add BOB --name "Bob Brown" --level cage >/dev/null
ctl badge issue ALICE --wiegand h10302:0:524290 >/dev/null

# 1. cage-1-in accepts both formats: issuing Bob's colliding badge is refused.
before=$(last_seq)
expect_exit 1 ctl badge issue BOB --wiegand h10304:1:2
expect_contains "$ERR" "h10302:0:524290"
expect_contains "$ERR" "cage-1-in"
expect_not_contains "$ERR" "dock-1-in"
[ "$(last_seq)" -eq "$before" ] || fail "a refused badge issue wrote an event"
ctl badge list BOB --json | matches 'h10304' && fail "the colliding badge was stored"
pass "badge issue refuses a credential whose frame equals an enrolled badge's"

# The same with the formats the other way round, and through the JSON error code.
expect_exit 1 ctl badge issue BOB --wiegand h10304:1:2
expect_contains "$ERR" "already"
pass "the refusal is already_exists"

# A credential of a format no reader pairs with another is fine.
expect_exit 0 ctl badge issue BOB --wiegand h10304:1:3
pass "a non-colliding H10304 badge is issued"

# 2. Force a colliding pair in: stop, remove cage-1-in's H10304 (no reader
# accepts both), issue Bob's badge, then restore the config.
stop_daemon
cp "$T/sim.ini" "$T/both.ini"
sed -i 's/^formats = h10301,h10304,h10302$/formats = h10301,h10302/' "$T/sim.ini"
sed -i 's/^formats = h10302$/formats = h10304/' "$T/sim.ini"
start_daemon "$T/sim.ini"
expect_exit 0 ctl badge issue BOB --wiegand h10304:1:2
stop_daemon

# --check-config warns about the pair (config valid: exit 0) once the DB holds it.
expect_exit 0 "$AEOGATED" -c "$T/both.ini" --state-dir "$STATE" --check-config
expect_contains "$ERR" "h10302:0:524290"
expect_contains "$ERR" "h10304:1:2"
expect_contains "$ERR" "cage-1-in"
pass "--check-config warns about a colliding pair"

: >"$T/aeogated.log"
start_daemon "$T/both.ini"
grep -q "h10304:1:2" "$T/aeogated.log" || fail "the start did not warn about the pair: $(cat "$T/aeogated.log")"
pass "the start warns about a colliding pair"

before=$(last_seq)
expect_exit 1 ctl sim present cage-1-in --bits "$FRAME"
expect_contains "$OUT" "ambiguous_credential"
ev=$(events_after "$before" | grep -E "$(kind_re access.denied)" | sed -n 1p)
[ -n "$ev" ] || fail "no access.denied event"
echo "$ev" | grep -qE '"reason": ?"ambiguous_credential"' || fail "reason: $ev"
expect_contains "$ev" "h10302:0:524290"
expect_contains "$ev" "h10304:1:2"
echo "$ev" | grep -qE '"person": ?null' || fail "person: $ev"
expect_not_contains "$(events_after "$before")" "access.granted"
pass "a read that matches two enrolled badges is denied ambiguous_credential, attributed to no one"

# dock-1-in accepts only H10302: there the frame is Alice's badge alone.
expect_exit 0 ctl sim present dock-1-in --bits "$FRAME"
expect_contains "$OUT" "ALICE"
pass "a reader accepting one of the formats decides the read for its holder"
stop_daemon
