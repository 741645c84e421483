#!/bin/bash
# Issue 13.2 (schedules and holidays), through aeogatectl on the simulated
# board: schedule and holiday CRUD refuse bad input and change nothing; a
# schedule in use is not removed; a level with a schedule grants only
# inside it, judged on the site's local clock ([controller] timezone), with
# the start minute inside and the end minute outside (a real boundary a
# minute or so from now: the product's clock is never faked); on a holiday
# only hol intervals apply; every change is in the admin trail with the
# operator and before/after, and takes effect on the next read.
source "$(dirname "$0")/lib.sh"

SITE_TZ=Europe/Amsterdam
[ -f "/usr/share/zoneinfo/$SITE_TZ" ] || {
	echo "SKIP: no tzdata for $SITE_TZ"
	exit 77
}

write_sim_config
sed -i "s|^timezone = UTC$|timezone = $SITE_TZ|" "$T/sim.ini"
grep -q "^timezone = $SITE_TZ$" "$T/sim.ini" || fail "could not set the site's timezone"

# ---- the site's timezone is checked against the system's tzdata ----
sed "s|^timezone = .*|timezone = Mars/Olympus_Mons|" "$T/sim.ini" >"$T/badtz.ini"
expect_exit 1 "$AEOGATED" -c "$T/badtz.ini" --check-config
expect_contains "$ERR" "$T/badtz.ini:3: timezone: 'Mars/Olympus_Mons'"
expect_contains "$ERR" "tzdata"
expect_exit 1 "$AEOGATED" -c "$T/badtz.ini" --state-dir "$T/badtz-state" --socket "$T/badtz.sock"
expect_contains "$ERR" "timezone"
sed "s|^timezone = .*|timezone = ../../../etc/passwd|" "$T/sim.ini" >"$T/badtz2.ini"
expect_exit 1 "$AEOGATED" -c "$T/badtz2.ini" --check-config
expect_contains "$ERR" "not an IANA zone name"
sed "s|^timezone = .*|timezone = leapseconds|" "$T/sim.ini" >"$T/badtz3.ini"
if [ -f /usr/share/zoneinfo/leapseconds ]; then
	expect_exit 1 "$AEOGATED" -c "$T/badtz3.ini" --check-config
	expect_contains "$ERR" "not a zone file"
fi
expect_exit 0 "$AEOGATED" -c "$T/sim.ini" --check-config
pass "an unknown timezone is refused at start and by --check-config, naming file, line and key"

start_daemon "$T/sim.ini"

# ---- CRUD and bad input ----
before=$(last_seq)
expect_exit 1 ctl schedule add night --interval "mon-fri 22:00-6:00"
expect_contains "$ERR" "invalid_argument"
expect_contains "$ERR" "mon-fri 22:00-6:00"
expect_exit 1 ctl schedule add night --interval "mon-fry 22:00-06:00"
expect_contains "$ERR" "unknown day"
expect_exit 1 ctl schedule add night --interval "mon 22:00-24:01"
expect_exit 1 ctl schedule add night --interval "mon 07:00-17:00" --interval "xyz 07:00-17:00"
expect_exit 1 ctl schedule add "bad name" --interval "mon 07:00-17:00"
expect_exit 1 ctl schedule add none --interval "mon 07:00-17:00"
expect_contains "$ERR" "not a schedule name"
expect_exit 2 ctl schedule add night
expect_contains "$ERR" "at least one --interval"
expect_exit 2 ctl schedule add
expect_exit 1 ctl schedule show night
expect_contains "$ERR" "no schedule 'night'"
expect_exit 1 ctl schedule remove night
expect_exit 1 ctl holiday add 2026-02-30 --name "Not a day"
expect_contains "$ERR" "is not a date"
expect_exit 1 ctl holiday add 25-12-2026 --name "Christmas"
expect_exit 1 ctl holiday add 2026-12-25 --name ""
expect_exit 1 ctl holiday add 2026-12-25 --name "$(printf 'x%.0s' $(seq 1 257))"
expect_exit 2 ctl holiday add 2026-12-25
expect_exit 1 ctl holiday remove 2026-12-25
expect_contains "$ERR" "no holiday on 2026-12-25"
[ "$(last_seq)" -eq "$before" ] || fail "refused changes wrote events: $(events_after "$before")"
expect_exit 0 ctl schedule list --json
[ "$OUT" = "[]" ] || fail "refused schedules were stored: $OUT"
pass "malformed specs, unknown days, bad dates and names are refused with a clear error; nothing changes"

before=$(last_seq)
expect_exit 0 ctl schedule add night --interval "mon-fri 22:00-06:00" --interval "sat,sun 20:00-24:00"
expect_contains "$OUT" "mon-fri 22:00-06:00"
expect_exit 0 ctl schedule set night --add-interval "hol 00:00-24:00" --remove-interval "sat,sun 20:00-24:00"
expect_exit 1 ctl schedule set night --remove-interval "sun 01:00-02:00"
expect_contains "$ERR" "has no interval 'sun 01:00-02:00'"
expect_exit 1 ctl schedule set night --remove-interval "mon-fri 22:00-06:00" --remove-interval "hol 00:00-24:00"
expect_contains "$ERR" "remove the schedule instead"
expect_exit 2 ctl schedule set night
expect_exit 1 ctl schedule add night --interval "mon 07:00-17:00"
expect_contains "$ERR" "already exists"
expect_exit 0 ctl schedule show night --json
python3 - "$OUT" <<'PY' || fail "schedule show: $OUT"
import json, sys
s = json.loads(sys.argv[1])
assert s == {"name": "night", "intervals": ["mon-fri 22:00-06:00", "hol 00:00-24:00"], "levels": []}, s
PY
expect_exit 0 ctl holiday add 2026-12-25 --name "Christmas Day"
expect_exit 1 ctl holiday add 2026-12-25 --name "Christmas again"
expect_contains "$ERR" "already a holiday"
expect_exit 0 ctl holiday list
expect_contains "$OUT" "2026-12-25  Christmas Day"
expect_exit 0 ctl holiday remove 2026-12-25
expect_exit 0 ctl holiday list --json
[ "$OUT" = "[]" ] || fail "holiday list after remove: $OUT"
ctl events --json --since "$before" >"$T/crud.jsonl"
python3 - "$T/crud.jsonl" <<'PY' || fail "admin trail of schedules and holidays: $(cat "$T/crud.jsonl")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kinds = [e["kind"] for e in ev]
assert kinds == ["schedule.added", "schedule.updated", "holiday.added", "holiday.removed"], kinds
for e in ev:
    assert e["detail"]["operator"] == "uid:0", e
a, u, ha, hr = ev
assert a["detail"]["schedule"] == "night"
assert a["detail"]["after"] == {"name": "night", "intervals": ["mon-fri 22:00-06:00", "sat,sun 20:00-24:00"]}, a
assert u["detail"]["before"] == {"intervals": ["mon-fri 22:00-06:00", "sat,sun 20:00-24:00"]}, u
assert u["detail"]["after"] == {"intervals": ["mon-fri 22:00-06:00", "hol 00:00-24:00"]}, u
assert ha["detail"]["after"] == {"date": "2026-12-25", "name": "Christmas Day"}, ha
assert hr["detail"]["before"] == {"date": "2026-12-25", "name": "Christmas Day"} and hr["detail"]["after"] is None, hr
PY
expect_exit 0 ctl report admin --format jsonl -o "$T/admin.jsonl"
for k in schedule.added schedule.updated holiday.added holiday.removed; do
	grep -qE "$(kind_re "$k")" "$T/admin.jsonl" || fail "the admin report lacks $k: $(cat "$T/admin.jsonl")"
done
pass "schedule add/set/show and holiday add/list/remove work, each change one event with operator and before/after"

# ---- a level's schedule ----
expect_exit 1 ctl level add nights --zone dock --schedule nosuch
expect_contains "$ERR" "no schedule 'nosuch'"
expect_exit 0 ctl level add nights --zone dock --schedule night
expect_exit 0 ctl level list
expect_contains "$OUT" "SCHEDULE"
echo "$OUT" | grep -qE '^nights +dock +night *$' || fail "level list does not show the schedule: $OUT"
before=$(last_seq)
expect_exit 1 ctl schedule remove night
expect_contains "$ERR" "in use by level 'nights'"
[ "$(last_seq)" -eq "$before" ] || fail "a refused schedule remove wrote events"
expect_contains "$(ctl schedule show night)" "nights"
pass "a schedule a level uses is not removed (nothing changed); level list shows the schedule"

# ---- the boundary: a real minute a little ahead, on the site's clock ----
# start: the first whole minute at least 20 s from now, so that a read
# before it is possible even on a loaded machine; START as local HH:MM and
# its local weekday.
now=$(date +%s)
start=$((((now + 20) / 60 + 1) * 60))
START=$(TZ=$SITE_TZ date -d "@$start" +%H:%M)
DAY=$(TZ=$SITE_TZ date -d "@$start" +%a | tr 'A-Z' 'a-z')
END=$(TZ=$SITE_TZ date -d "@$((start + 3600))" +%H:%M)
BEFORE=$(TZ=$SITE_TZ date -d "@$((start - 1800))" +%H:%M)

ctl schedule add soon --interval "$DAY $START-$END" >/dev/null
ctl schedule add until-now --interval "all $BEFORE-$START" >/dev/null
ctl level add soon-dock --zone dock --schedule night >/dev/null
before=$(last_seq)
expect_exit 0 ctl level set soon-dock --schedule soon
ctl events --json --since "$before" >"$T/lset.jsonl"
python3 - "$T/lset.jsonl" <<'PY' || fail "level.updated: $(cat "$T/lset.jsonl")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert [e["kind"] for e in ev] == ["level.updated"], ev
d = ev[0]["detail"]
assert d["level"] == "soon-dock" and d["operator"] == "uid:0", d
assert d["before"] == {"zones": ["dock"], "schedule": "night"}, d
assert d["after"] == {"zones": ["dock"], "schedule": "soon"}, d
PY
ctl level add until-dock --zone dock --schedule until-now >/dev/null
ctl level add cage-only --zone bonded-cage >/dev/null
ctl person add S1 --name "Sam Starts" --level soon-dock --level cage-only >/dev/null
ctl person add S2 --name "Una Ends" --level until-dock >/dev/null
ctl person add S3 --name "Cy Cage" --level cage-only >/dev/null
ctl badge issue S1 --wiegand h10301:20:1 >/dev/null
ctl badge issue S2 --wiegand h10301:20:2 >/dev/null
ctl badge issue S3 --wiegand h10301:20:3 >/dev/null
B1=$(h10301_bits 20 1)
B2=$(h10301_bits 20 2)
B3=$(h10301_bits 20 3)

# ts_of_last: the UTC ms of the newest event (the read just made).
ts_ms_of() {
	python3 -c 'import json,sys,datetime
e=json.loads(sys.argv[1])["event"]
t=datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
print(int(round(t.timestamp()*1000)))' "$1"
}

expect_exit 1 ctl sim present dock-1-in --bits "$B1" --json
expect_contains "$OUT" '"outside_schedule"'
t1=$(ts_ms_of "$OUT")
expect_exit 0 ctl sim present dock-1-in --bits "$B2" --json
t2=$(ts_ms_of "$OUT")
expect_exit 1 ctl sim present dock-1-in --bits "$B3"
expect_contains "$OUT" "no_access"
expect_exit 0 ctl sim present cage-1-in --bits "$B1"
[ "$t1" -lt $((start * 1000)) ] && [ "$t2" -lt $((start * 1000)) ] ||
	fail "the reads before $START ($SITE_TZ) came after it (ts $t1, $t2): the machine is too slow for this test"
pass "before $DAY $START ($SITE_TZ): denied outside_schedule, the interval ending then grants; no level: no_access; another level's zone opens"

# Wait for the boundary with a bounded loop (the test's clock, not the product's).
deadline=$((SECONDS + 150))
while [ "$(date +%s)" -lt $((start + 1)) ]; do
	[ $SECONDS -lt $deadline ] || fail "the boundary $start never came"
	sleep 0.5
done
expect_exit 0 ctl sim present dock-1-in --bits "$B1" --json
t1=$(ts_ms_of "$OUT")
expect_exit 1 ctl sim present dock-1-in --bits "$B2" --json
expect_contains "$OUT" '"outside_schedule"'
[ "$t1" -ge $((start * 1000)) ] || fail "the read after the boundary is stamped before it: $t1"
pass "from $START ($SITE_TZ) on: the start minute is inside, the end minute outside"

# ---- holidays: only hol intervals apply ----
# Yesterday and tomorrow too: the test may cross midnight, and an interval
# that started on a weekday evening runs on past midnight.
today=$(TZ=$SITE_TZ date +%F)
yesterday=$(TZ=$SITE_TZ date -d "@$(($(date +%s) - 86400))" +%F)
tomorrow=$(TZ=$SITE_TZ date -d "@$(($(date +%s) + 86400))" +%F)
before=$(last_seq)
expect_exit 0 ctl holiday add "$today" --name "Inventory day"
ctl holiday add "$yesterday" --name "Inventory eve" >/dev/null
ctl holiday add "$tomorrow" --name "Inventory day 2" >/dev/null
expect_exit 1 ctl sim present dock-1-in --bits "$B1"
expect_contains "$OUT" "outside_schedule"
expect_exit 0 ctl schedule set soon --add-interval "hol 00:00-24:00"
expect_exit 0 ctl sim present dock-1-in --bits "$B1"
expect_exit 1 ctl sim present dock-1-in --bits "$B2"
expect_contains "$OUT" "outside_schedule"
expect_exit 0 ctl schedule set soon --remove-interval "hol 00:00-24:00"
expect_exit 1 ctl sim present dock-1-in --bits "$B1"
expect_contains "$OUT" "outside_schedule"
expect_exit 0 ctl holiday remove "$today"
ctl holiday remove "$yesterday" >/dev/null
ctl holiday remove "$tomorrow" >/dev/null
expect_exit 0 ctl sim present dock-1-in --bits "$B1"
kinds=$(events_after "$before" | grep -oE '"kind": ?"(holiday|schedule)\.[a-z]+"' | grep -oE '[a-z]+\.[a-z]+' | tr '\n' ' ')
[ "$kinds" = "holiday.added holiday.added holiday.added schedule.updated schedule.updated holiday.removed holiday.removed holiday.removed " ] ||
	fail "holiday events: $kinds"
pass "on a holiday (local date) weekday intervals do not apply, hol intervals do; each change on the next read"

# ---- removal once unused, and the calendar after a restart ----
expect_exit 0 ctl level set nights --schedule none
expect_exit 0 ctl schedule remove night
expect_contains "$OUT" "night  removed"
ev=$(events_after "$(($(last_seq) - 1))" | grep -E "$(kind_re schedule.removed)")
echo "$ev" | grep -qE '"before": ?\{"intervals": ?\["mon-fri 22:00-06:00", ?"hol 00:00-24:00"\], ?"name": ?"night"\}' ||
	fail "schedule.removed before: $ev"
echo "$ev" | grep -qE '"after": ?null' || fail "schedule.removed after: $ev"
expect_contains "$ev" '"operator"'
stop_daemon
start_daemon "$T/sim.ini"
expect_exit 0 ctl sim present dock-1-in --bits "$B1"
expect_exit 1 ctl sim present dock-1-in --bits "$B2"
expect_contains "$OUT" "outside_schedule"
expect_exit 1 ctl schedule show night
expect_exit 0 ctl level set soon-dock --schedule none
expect_exit 0 ctl level set until-dock --schedule none
expect_exit 0 ctl sim present dock-1-in --bits "$B2"
stop_daemon
pass "an unused schedule is removed (before in the trail); schedules survive a restart; schedule none lifts the rule"

# ---- no timezone: the system's zone, and the daemon starts ----
sed "/^timezone = /d" "$T/sim.ini" >"$T/notz.ini"
expect_exit 0 "$AEOGATED" -c "$T/notz.ini" --check-config
start_daemon "$T/notz.ini"
expect_exit 0 ctl status
stop_daemon
# An empty value is refused like every key's (README, Configuration).
sed "s|^timezone = .*|timezone =|" "$T/sim.ini" >"$T/emptytz.ini"
expect_exit 1 "$AEOGATED" -c "$T/emptytz.ini" --check-config
expect_contains "$ERR" "timezone: empty value"
pass "without a timezone key the system's zone applies and aeogated starts; an empty one is refused"
