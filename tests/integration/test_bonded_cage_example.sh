#!/bin/bash
# Issue 14, "done when": the README's worked example of a bonded cage is
# true. The config excerpt and the aeogatectl lines are taken from the
# README between their marker comments (so the README and this test cannot
# drift) and run on the simulated board; then the story the README tells:
# a pair with card + PIN is granted together (each naming the other), a
# second `in` while inside and an `out` while outside are antipassback, the
# exit reader takes a person off the muster list, a lone badge times out
# two_person_timeout, no cleared vetting is vetting_required, and the
# shifts are in force (outside_schedule outside them).
source "$(dirname "$0")/lib.sh"

README="$SOURCE_DIR/README.md"

# readme_block MARKER: the fenced block between <!-- MARKER --> and <!-- /MARKER -->.
readme_block() {
	python3 - "$README" "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"<!-- %s -->\n```[a-z]*\n(.*?)```\n<!-- /%s -->" % (re.escape(sys.argv[2]), re.escape(sys.argv[2])), text, re.S)
if not m:
    sys.exit("README.md has no block between <!-- %s --> markers" % sys.argv[2])
sys.stdout.write(m.group(1))
PY
}

CONFIG_EXCERPT=$(readme_block bonded-cage-config) || fail "no config excerpt in the README"
COMMANDS=$(readme_block bonded-cage-example) || fail "no command block in the README"
[ "$(grep -c '^aeogatectl \|| aeogatectl ' <<<"$COMMANDS")" -ge 10 ] || fail "the README's example is too short: $COMMANDS"

cat >"$T/cage.ini" <<INI
[controller]
site_name = Bonded cage example
timezone = UTC
# CI runs the tests as root, without an aeogate user: stay root.
allow_root = true

$CONFIG_EXCERPT
INI
expect_exit 0 "$AEOGATED" -c "$T/cage.ini" --check-config
start_daemon "$T/cage.ini"

# ---- the README's lines, as written ----
aeogatectl() { ctl "$@"; }
n=0
while IFS= read -r line; do
	[ -n "$line" ] || continue
	rc=0
	eval "$line" >"$T/out" 2>"$T/err" || rc=$?
	[ $rc -eq 0 ] || fail "README line exited $rc: $line: $(cat "$T/err")"
	n=$((n + 1))
done <<<"$COMMANDS"
pass "the README's config excerpt passes --check-config and its $n aeogatectl lines all succeed"

zone_json=$(ctl zone show bonded-cage --json)
python3 -c '
import json, sys
z = json.loads(sys.argv[1])
assert z["vetting"] == "required" and z["two_person"] == "on" and z["apb"] == "hard", z' "$zone_json" ||
	fail "zone show does not show the example's settings: $zone_json"
[ "$(door_field cage-1 mode)" = card_and_pin ] || fail "cage-1 is not card_and_pin: $(ctl door list --json)"
expect_exit 0 ctl person show E1042 --json
expect_contains "$OUT" '"pin": "set"'
pass "zone show: vetting required, two-person on, apb hard; cage-1 card_and_pin; E1042 has a PIN"

ANN=$(h10301_bits 12 1042)
BOB=$(h10301_bits 12 1043)

# wait_count SEQ KIND_RE N: waits (bounded) until N events matching KIND_RE follow SEQ.
wait_count() {
	local deadline=$((SECONDS + 30))
	until [ "$(count_after "$1" "$2")" -ge "$3" ]; do
		[ $SECONDS -lt $deadline ] || fail "expected $3 events $2 after seq $1: $(events_after "$1")"
		sleep 0.05
	done
}

muster_people() {
	ctl muster bonded-cage --json | python3 -c 'import json, sys; print(" ".join(sorted(m["person"] for m in json.load(sys.stdin))))'
}

# ---- the shifts: in force now or not (the product's clock is never faked) ----
# in_shift: 0 inside mon-fri 06:00-22:00 / sat 06:00-14:00 (UTC, the site's
# zone here), 1 outside, 2 within two minutes of a boundary (not judged).
shift_now() {
	python3 - <<'PY'
import datetime, sys
now = datetime.datetime.now(datetime.timezone.utc)
m = now.hour * 60 + now.minute
wd = now.weekday()
end = 22 * 60 if wd < 5 else 14 * 60 if wd == 5 else None
if end is None:
    sys.exit(1)
if min(abs(m - 6 * 60), abs(m - end)) <= 2:
    sys.exit(2)
sys.exit(0 if 6 * 60 <= m < end else 1)
PY
}
rc=0
shift_now || rc=$?
if [ $rc -eq 1 ]; then
	expect_exit 1 ctl sim present cage-1-in --bits "$ANN"
	expect_contains "$OUT" outside_schedule
	pass "outside the README's shifts a vetted person with a PIN is denied outside_schedule"
fi
if [ $rc -ne 0 ]; then
	# The rest of the story needs the shift open: a schedule around the clock.
	ctl schedule set cage-shifts --add-interval 'all 00:00-24:00' >/dev/null
fi

# ---- no cleared vetting ----
ctl person add E1044 --name "Not Vetted" --level cage >/dev/null
ctl badge issue E1044 --wiegand h10301:12:1044 >/dev/null
ctl person pin E1044 <<<"6933" >/dev/null
expect_exit 1 ctl sim present cage-1-in --bits "$(h10301_bits 12 1044)"
expect_contains "$OUT" vetting_required
pass "a person with the level and a PIN but no vetting record is denied vetting_required"

# ---- the pair: card + PIN each, granted together ----
before=$(last_seq)
expect_exit 3 ctl sim present cage-1-in --bits "$ANN"
expect_contains "$OUT" "pending  pin"
expect_exit 0 ctl sim keys cage-1-in "4711#"
wait_event "$before" access.pending 30
ev_check "$EV" 'e["person"] == "E1042" and d["awaiting"] == "second_person" and e["door"] == "cage-1"'
[ "$(door_field cage-1 lock)" = locked ] || fail "Ann alone released the cage"
expect_exit 3 ctl sim present cage-1-in --bits "$BOB"
expect_contains "$OUT" "pending  pin"
expect_exit 0 ctl sim keys cage-1-in "5822#"
wait_count "$before" 'access\.granted' 2
granted=$(events_after "$before" | grep -E "$(kind_re access.granted)")
ev_check "$(sed -n 1p <<<"$granted")" 'e["person"] == "E1042" and d["with"] == "E1043" and e["reader"] == "cage-1-in"'
ev_check "$(sed -n 2p <<<"$granted")" 'e["person"] == "E1043" and d["with"] == "E1042" and e["reader"] == "cage-1-in"'
[ "$(count_after "$before" 'access\.denied')" -eq 0 ] || fail "a denial in the pair: $(events_after "$before")"
[ "$(muster_people)" = "E1042 E1043" ] || fail "muster does not list the pair: $(ctl muster bonded-cage --json)"
expect_exit 0 ctl muster bonded-cage
expect_contains "$OUT" "Ann Example"
expect_contains "$OUT" "Bob Example"
pass "badge + PIN, then a second person's badge + PIN: both granted, each naming the other; muster lists both"

# ---- hard anti-passback, and the exit reader ----
expect_exit 1 ctl sim present cage-1-in --bits "$ANN"
expect_contains "$OUT" antipassback
before=$(last_seq)
expect_exit 3 ctl sim present cage-1-out --bits "$ANN"
expect_contains "$OUT" "pending  pin"
expect_exit 0 ctl sim keys cage-1-out "4711#"
wait_event "$before" access.granted 30
ev_check "$EV" 'e["person"] == "E1042" and e["reader"] == "cage-1-out" and "with" not in d'
[ "$(muster_people)" = "E1043" ] || fail "Ann is still on the muster list: $(ctl muster bonded-cage --json)"
expect_exit 1 ctl sim present cage-1-out --bits "$ANN"
expect_contains "$OUT" antipassback
pass "a second in while inside is antipassback; out (badge + PIN, no second person) takes Ann off the muster; out again is antipassback"

# ---- alone: two_person_timeout (a short window, not to wait 20 s) ----
ctl zone set bonded-cage --two-person-window 1s >/dev/null
before=$(last_seq)
expect_exit 3 ctl sim present cage-1-in --bits "$ANN"
expect_contains "$OUT" "pending  pin"
expect_exit 0 ctl sim keys cage-1-in "4711#"
wait_event "$before" access.denied 30
ev_check "$EV" 'e["person"] == "E1042" and e["reason"] == "two_person_timeout"'
[ "$(count_after "$before" 'access\.granted')" -eq 0 ] || fail "a lone badge was granted: $(events_after "$before")"
[ "$(muster_people)" = "E1043" ] || fail "a timed-out badge moved someone: $(ctl muster bonded-cage --json)"
pass "alone with the right PIN: access.denied two_person_timeout, and the muster list is unchanged"
