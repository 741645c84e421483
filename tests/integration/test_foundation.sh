#!/bin/bash
# The foundation end to end, driven only through aeogatectl: enrol a person
# and a badge, present it (granted), present frames that each rule denies
# with its own reason, open a door without a grant (forced), check the
# event log is a gap-free hash chain, survive a SIGTERM and a restart with
# the chain continuing, follow events live, and refuse bad input without
# writing an event.
source "$(dirname "$0")/lib.sh"

# jq-free JSON access: jget EXPR reads one document on stdin as d.
jget() {
	python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# check_chain FILE: every line is one event with exactly the contract's
# fields (plus an optional detail), seqs consecutive from 1, each prev the
# hash of the event before. Prints "COUNT LAST_SEQ LAST_HASH".
check_chain() {
	python3 - "$1" <<'PY' || fail "event chain in $1 is broken"
import json, re, sys

want = {"seq", "ts", "kind", "door", "reader", "zone", "person", "credential",
        "reason", "prev", "hash"}
ts_re = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
hex_re = re.compile(r"^[0-9a-f]{64}$")
last, last_hash, n = 0, None, 0
for i, line in enumerate(open(sys.argv[1]), 1):
    e = json.loads(line)
    keys = set(e) - {"detail"}
    if keys != want:
        sys.exit(f"line {i}: fields {sorted(keys)}")
    if e["seq"] != last + 1:
        sys.exit(f"line {i}: seq {e['seq']} after {last}")
    if last_hash is not None and e["prev"] != last_hash:
        sys.exit(f"line {i}: prev {e['prev']} is not the previous hash {last_hash}")
    if not hex_re.match(e["hash"]) or not hex_re.match(e["prev"]):
        sys.exit(f"line {i}: hash or prev is not 64 hex digits")
    if not ts_re.match(e["ts"]):
        sys.exit(f"line {i}: ts {e['ts']!r}")
    last, last_hash, n = e["seq"], e["hash"], n + 1
print(n, last, last_hash)
PY
}

# present_denied REASON READER ARGS...: one denial with that reason.
present_denied() {
	local reason=$1
	shift
	expect_exit 1 ctl sim present "$@"
	expect_contains "$OUT" denied
	expect_contains "$OUT" "$reason"
}

# no_new_event SEQ: the log still ends at SEQ.
no_new_event() {
	local now
	now=$(last_seq)
	[ "$now" -eq "$1" ] || fail "bad input wrote events: seq $1 -> $now"
}

# bad_present EXIT_CODES ARGS...: sim present refused with one of the exit
# codes (e.g. "1" or "1 2"), one error line, and no event.
bad_present() {
	local codes=$1 before rc=0
	shift
	before=$(last_seq)
	ctl sim present "$@" >"$T/out" 2>"$T/err" || rc=$?
	case " $codes " in
	*" $rc "*) ;;
	*) fail "sim present $* exited $rc, expected one of $codes; $(cat "$T/out" "$T/err")" ;;
	esac
	[ -s "$T/err" ] || fail "sim present $* gave no error message"
	[ "$(wc -l <"$T/err")" -le 2 ] || fail "sim present $* error is not short: $(cat "$T/err")"
	no_new_event "$before"
}

GOOD=$(h10301_bits 12 3456)
[ "${#GOOD}" -eq 26 ] || fail "h10301_bits gave ${#GOOD} bits"

write_sim_config
start_daemon "$T/sim.ini"

# ---- a door opened without a grant is forced ----
seq0=$(last_seq)
expect_exit 0 ctl sim door dock-1 open
wait_event "$seq0" door.forced
expect_contains "$EV" '"door":"dock-1"'
expect_exit 0 ctl sim door dock-1 close
pass "door opened without a grant raises door.forced"

# ---- enrolment ----
expect_exit 0 ctl level add dock-staff --zone dock
expect_contains "$OUT" dock-staff
expect_exit 1 ctl level add nowhere --zone no-such-zone
expect_contains "$ERR" "aeogatectl: not_found"
expect_exit 0 ctl person add E1001 --name "Ana Ruiz" --level dock-staff
expect_contains "$OUT" E1001
expect_exit 0 ctl badge issue E1001 --wiegand H10301:012:3456
expect_contains "$OUT" h10301:12:3456
expect_exit 0 ctl badge issue E1001 --uid 04A1B2C3
expect_contains "$OUT" uid:04a1b2c3
expect_exit 1 ctl badge issue E1001 --wiegand h10301:12:3456
expect_contains "$ERR" already_exists
expect_exit 1 ctl badge issue nobody --wiegand h10301:12:9999
expect_contains "$ERR" not_found
pass "level, person and badges enrolled; credentials normalized"

# ---- decisions ----
expect_exit 0 ctl sim present dock-1-in --bits "$GOOD"
expect_contains "$OUT" granted
expect_contains "$OUT" E1001
expect_contains "$OUT" h10301:12:3456
expect_exit 0 ctl sim present dock-1-in --uid 04a1b2c3 --json
[ "$(jget 'd["granted"]' <<<"$OUT")" = True ] || fail "uid not granted: $OUT"
[ "$(jget 'd["event"]["kind"]' <<<"$OUT")" = access.granted ] || fail "no access.granted: $OUT"
pass "enrolled badge granted (wiegand and uid)"

present_denied unknown_credential dock-1-in --bits "$(h10301_bits 99 1)"
expect_contains "$OUT" h10301:99:1
pass "unknown card denied: unknown_credential"

flip() { # flip BITS INDEX
	local b=$1 i=$2
	echo "${b:0:i}$((1 - ${b:i:1}))${b:i+1}"
}
present_denied bad_parity dock-1-in --bits "$(flip "$GOOD" 0)"
present_denied bad_parity dock-1-in --bits "$(flip "$GOOD" 25)"
pass "flipped parity bit (leading and trailing) denied: bad_parity"

present_denied unknown_format dock-1-in --bits "${GOOD}0"
pass "27-bit frame denied: unknown_format"

expect_exit 0 ctl person add E1002 --name "Old Contract" --valid-from 2020-01-01 \
	--valid-until 2020-12-31 --level dock-staff
expect_exit 0 ctl badge issue E1002 --wiegand h10301:12:1002
present_denied expired dock-1-in --bits "$(h10301_bits 12 1002)"
expect_exit 0 ctl person add E1004 --name "Starts Later" --valid-from 2999-01-01 --level dock-staff
expect_exit 0 ctl badge issue E1004 --wiegand h10301:12:1004
present_denied not_yet_valid dock-1-in --bits "$(h10301_bits 12 1004)"
pass "validity windows: expired, not_yet_valid"

expect_exit 0 ctl person add E1003 --name "No Levels"
expect_exit 0 ctl badge issue E1003 --wiegand h10301:12:1003
present_denied no_access dock-1-in --bits "$(h10301_bits 12 1003)"
present_denied no_access cage-1-in --bits "$GOOD"
pass "zone not in the person's levels: no_access"

expect_exit 0 ctl person suspend E1001
expect_contains "$OUT" suspended
present_denied person_inactive dock-1-in --bits "$GOOD"
expect_exit 0 ctl person reinstate E1001
expect_exit 0 ctl sim present dock-1-in --bits "$GOOD"
pass "suspended person denied: person_inactive; reinstated granted"

expect_exit 0 ctl badge revoke h10301:12:3456
expect_contains "$OUT" revoked
present_denied credential_revoked dock-1-in --bits "$GOOD"
expect_exit 0 ctl badge list E1001 --json
[ "$(jget '[b["status"] for b in d if b["id"] == "h10301:12:3456"][0]' <<<"$OUT")" = revoked ] ||
	fail "badge list does not show the revocation: $OUT"
expect_exit 0 ctl person terminate E1002 --json
[ "$(jget 'd["revoked"]' <<<"$OUT")" = 1 ] || fail "terminate did not revoke one badge: $OUT"
present_denied credential_revoked dock-1-in --bits "$(h10301_bits 12 1002)"
pass "revoked badge denied: credential_revoked; terminate revokes badges"

# ---- lists: tables and --json with relations ----
expect_exit 0 ctl reader list --json
[ "$(jget '[(r["door"], r["zone"], r["type"]) for r in d if r["name"] == "dock-1-in"][0]' <<<"$OUT")" = \
	"('dock-1', 'dock', 'sim')" ] || fail "reader list: $OUT"
expect_exit 0 ctl reader list
expect_contains "$OUT" "cage-1-in"
expect_exit 0 ctl door list --json
[ "$(jget 'sorted(x["name"] for x in d)' <<<"$OUT")" = "['cage-1', 'dock-1']" ] || fail "door list: $OUT"
expect_exit 0 ctl door list
expect_contains "$OUT" CONTACT
expect_exit 0 ctl zone list --json
[ "$(jget '[z["doors"] for z in d if z["name"] == "bonded-cage"][0]' <<<"$OUT")" = "['cage-1']" ] ||
	fail "zone list: $OUT"
expect_exit 0 ctl level list --json
expect_contains "$OUT" '"dock-staff"'
expect_exit 0 ctl person list --json
[ "$(jget 'len(d)' <<<"$OUT")" -eq 4 ] || fail "person list: $OUT"
expect_exit 0 ctl person list
expect_contains "$OUT" "Ana Ruiz"
expect_exit 0 ctl person show E1001 --json
[ "$(jget 'sorted(c["id"] for c in d["credentials"])' <<<"$OUT")" = \
	"['h10301:12:3456', 'uid:04a1b2c3']" ] || fail "person show: $OUT"
expect_exit 1 ctl person show nobody
expect_contains "$ERR" "aeogatectl: not_found:"
[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "error is not one line: $ERR"
expect_exit 0 ctl status --json
[ "$(jget 'd["site"]' <<<"$OUT")" = "Integration test site" ] || fail "status: $OUT"
pass "lists and show print tables and JSON with relations"

# ---- bad input: a clear error and no event ----
bad_present 1 no-such-reader --bits "$GOOD"
expect_contains "$(cat "$T/err")" not_found
bad_present "1 2" dock-1-in --bits 0120000000000000000000001
bad_present "1 2" dock-1-in --bits ""
bad_present 1 dock-1-in --bits "$(printf '1%.0s' $(seq 65))"
bad_present 1 dock-1-in --uid zz
bad_present 1 dock-1-in --uid abc
bad_present 1 dock-1-in --uid 00112233445566778899aa
s=$(last_seq)
expect_exit 1 ctl sim door no-such-door open
expect_exit 1 ctl sim rex no-such-door
expect_exit 1 ctl person add E1009 --name X --valid-until not-a-time
expect_contains "$ERR" invalid_argument
no_new_event "$s"
pass "unknown reader/door, non-binary, empty and 65-bit frames, bad UIDs: refused, no event"

# The bounds from the accepted side: a 64-bit frame and a 10-byte UID are
# decided (and denied), each with its event.
s=$(last_seq)
present_denied unknown_format dock-1-in --bits "$(printf '1%.0s' $(seq 64))"
present_denied unknown_credential dock-1-in --uid 00112233445566778899
[ "$(last_seq)" -eq $((s + 2)) ] || fail "64-bit frame and 10-byte uid did not write two events"
pass "64-bit frame and 10-byte UID are decided"

# ---- the event log ----
ctl events --json >"$T/events.jsonl"
read -r n last last_hash <<<"$(check_chain "$T/events.jsonl")"
[ "$n" -gt 20 ] || fail "only $n events"
grep -q '"kind":"door.forced"' "$T/events.jsonl" || fail "no door.forced event"
for r in unknown_credential bad_parity unknown_format expired not_yet_valid no_access \
	person_inactive credential_revoked; do
	grep -q "\"reason\":\"$r\"" "$T/events.jsonl" || fail "no event with reason $r"
done
expect_exit 0 ctl events
expect_contains "$OUT" "door.forced"
expect_contains "$OUT" "reason=unknown_credential"
expect_not_contains "$OUT" "=null"
expect_exit 0 ctl events --since 3 --limit 2 --json
[ "$(printf '%s\n' "$OUT" | grep -oE '"seq":[0-9]+' | tr '\n' ' ')" = '"seq":4 "seq":5 ' ] ||
	fail "events --since 3 --limit 2: $OUT"
pass "events: $n events, consecutive seqs, prev chain intact, all reasons present"

# ---- follow ----
expect_exit 0 ctl events --follow --since $((last - 1)) --limit 1 --json
[ "$(jget 'd["seq"]' <<<"$OUT")" -eq "$last" ] || fail "follow --since: $OUT"

# Not through ctl(): $! must be aeogatectl itself, not a subshell around it.
"$AEOGATECTL" --socket "$SOCK" events --follow --json >"$T/follow.jsonl" 2>"$T/follow.err" &
FPID=$!
# Wait for the follower to catch up with the stored log before the new read.
lines_ge() { [ "$(wc -l <"$1")" -ge "$2" ]; }
wait_for 60 lines_ge "$T/follow.jsonl" "$n" || fail "follower did not catch up: $(wc -l <"$T/follow.jsonl") of $n lines"
expect_exit 0 ctl sim present dock-1-in --uid 04a1b2c3 --json
new_seq=$(jget 'd["event"]["seq"]' <<<"$OUT")
wait_for 60 grep -q "\"seq\":$new_seq," "$T/follow.jsonl" ||
	fail "follower did not receive seq $new_seq: $(tail -n 2 "$T/follow.jsonl")"
kill -TERM "$FPID"
rc=0
wait "$FPID" || rc=$?
[ "$rc" -eq 0 ] || fail "events --follow exited $rc on SIGTERM: $(cat "$T/follow.err")"
check_chain "$T/follow.jsonl" >/dev/null
grep "\"seq\":$new_seq," "$T/follow.jsonl" | matches '"kind":"access.granted"' ||
	fail "followed event is not the grant"
pass "events --follow receives a new decision live, no gap or duplicate, exits 0 on SIGTERM"

# ---- SIGTERM and restart: the log survives and the chain continues ----
ctl events --json >"$T/before.jsonl"
stop_daemon
start_daemon "$T/sim.ini"
ctl events --json >"$T/after.jsonl"
nb=$(wc -l <"$T/before.jsonl")
head -n "$nb" "$T/after.jsonl" | cmp -s - "$T/before.jsonl" ||
	fail "events before the restart changed"
read -r n last last_hash <<<"$(check_chain "$T/after.jsonl")"
expect_exit 0 ctl sim present dock-1-in --uid 04a1b2c3 --json
[ "$(jget 'd["event"]["seq"]' <<<"$OUT")" -eq $((last + 1)) ] || fail "seq did not continue: $OUT"
[ "$(jget 'd["event"]["prev"]' <<<"$OUT")" = "$last_hash" ] || fail "prev is not the last hash: $OUT"
ctl events --json >"$T/final.jsonl"
check_chain "$T/final.jsonl" >/dev/null
pass "after SIGTERM and restart: $nb events kept, seq continues at $((last + 1)), chain intact"

# ---- a follower that falls behind is cut off and resumes without a gap ----
"$AEOGATECTL" --socket "$SOCK" events --follow --json >"$T/slow.jsonl" 2>"$T/slow.err" &
FPID=$!
wait_for 60 lines_ge "$T/slow.jsonl" "$((last + 1))" || fail "slow follower did not catch up: $(wc -l <"$T/slow.jsonl") lines"
kill -STOP "$FPID"
# Well over AEOGATE_FOLLOW_BACKLOG_MAX (1 MiB) of event lines while it sleeps.
python3 - "$SOCK" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rwb")
for i in range(6000):
    f.write(json.dumps({"id": i, "op": "sim.present",
                        "args": {"reader": "dock-1-in", "bits": "0" * 26}}).encode() + b"\n")
    f.flush()
    rep = json.loads(f.readline())
    assert rep["ok"], rep
PY
kill -CONT "$FPID"
final=$(last_seq)
wait_for 120 grep -q "\"seq\":$final," "$T/slow.jsonl" || fail "slow follower stopped at $(tail -c 300 "$T/slow.jsonl")"
kill -TERM "$FPID"
rc=0
wait "$FPID" || rc=$?
[ "$rc" -eq 0 ] || fail "slow follower exited $rc: $(cat "$T/slow.err")"
grep -q "fell behind the controller; resuming after seq" "$T/slow.err" ||
	fail "the follower was never cut off (raise the event count?): $(cat "$T/slow.err")"
read -r n _ _ <<<"$(check_chain "$T/slow.jsonl")"
[ "$n" -eq "$final" ] || fail "slow follower printed $n events, expected $final"
pass "a follower cut off for falling behind resumes after its last seq: $n events, no gap"

echo "all $PASSED foundation checks passed"
