#!/bin/bash
# The office's signed change sets and commands, applied by the controller
# (issue #18; README "Signed change sets and commands"). The office side is
# tests/tools/aeogate-test-sign (controller/lib/changeset.c, as aeogate-hub
# signs); the messages go in as aeogate-sync hands them over, through ops
# sync.apply and sync.command on the control socket. Checked as a user
# sees it: the person and badge appear, the badge opens the door and, once
# revoked, no longer does; lockdown, release and unlock act, each with its
# event naming the office's signer as operator; every refusal is an event.
. "$SOURCE_DIR/tests/integration/lib.sh"

SIGN="$BUILD_DIR/tests/tools/aeogate-test-sign"
mkdir -p "$T/office" "$T/other"
"$SIGN" keygen "$T/office" >"$T/office.hex"
"$SIGN" keygen "$T/other" >/dev/null
KEY_ID=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(bytes.fromhex(open(sys.argv[1]).read().strip())).hexdigest()[:16])' "$T/office.hex")

write_sim_config
cp "$T/sim.ini" "$T/plain.ini"
cat >>"$T/sim.ini" <<INI

[sync]
broker = mqtts://127.0.0.1:8883
site = hq
client_id = gw-1
office_pubkey = $T/office/office.pub
INI

# req OP [FILE]: one request as aeogate-sync makes it, {"payload": FILE's text};
# prints the reply line.
req() {
	python3 - "$SOCK" "$1" "${2:-}" <<'PY'
import json, socket, sys
path, op, f = sys.argv[1:4]
args = {"payload": open(f).read().rstrip("\n")} if f else {}
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.sendall((json.dumps({"id": 1, "op": op, "args": args}) + "\n").encode())
buf = b""
while b"\n" not in buf:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
print(buf.decode().strip())
PY
}

# check JSON PYTHON_EXPR: the expression over r (the reply) holds.
check() {
	python3 -c '
import json, sys
r = json.loads(sys.argv[1])
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" || fail "reply does not match $2: $1"
}

iso() { # iso [OFFSET_S]: now (plus OFFSET_S seconds) as the office writes it
	python3 -c 'import datetime, sys
t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=int(sys.argv[1]))
print(t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000))' "${1:-0}"
}

# changeset VERSION OPS_JSON: a change set body for site hq.
changeset() {
	printf '{"type":"changeset","site":"hq","version":%s,"issued":"%s","signer":"office:hq","ops":%s}' \
		"$1" "$(iso)" "$2"
}

# command NAME ARGS_JSON [OFFSET_S] [CONTROLLER]: a command body with a fresh id.
command_body() {
	printf '{"type":"command","site":"hq","controller":"%s","id":"%s","issued":"%s","signer":"office:hq","command":"%s","args":%s}' \
		"${4:-gw-1}" "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" "$(iso "${3:-0}")" "$1" "$2"
}

sign() { "$SIGN" sign "${1:-$T/office/office.key}"; }

# rejected_with REPLY REASON SINCE: the reply is a rejection for REASON, and
# exactly one sync.rejected event with that reason follows SINCE.
rejected_with() {
	check "$1" "not r['ok'] and r['error']['code'] == 'rejected' and r['error']['reason'] == '$2'"
	wait_event "$3" sync.rejected
	ev_check "$EV" "d['reason'] == '$2' and e['seq'] == $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["error"]["seq"])' "$1")"
	[ "$(events_after "$3" | grep -cE "$(kind_re sync.rejected)")" -eq 1 ] ||
		fail "not exactly one sync.rejected after $3"
}

# ---- a bad office key file is a config error naming the file ----
sed "s|^office_pubkey = .*|office_pubkey = $T/bad.pub|" "$T/sim.ini" >"$T/badkey.ini"
echo "not a key" >"$T/bad.pub"
expect_exit 1 "$AEOGATED" -c "$T/badkey.ini" --check-config
expect_contains "$ERR" "$T/bad.pub"
expect_contains "$ERR" "office_pubkey"
pass "a bad office_pubkey file is refused at start, naming the file"

# ---- without office_pubkey: not_configured, nothing recorded ----
start_daemon "$T/plain.ini"
changeset 1 '[]' | sign >"$T/empty.env"
S=$(last_seq)
R=$(req sync.apply "$T/empty.env")
check "$R" "not r['ok'] and r['error']['code'] == 'not_configured'"
R=$(req sync.state)
check "$R" "r['ok'] and r['result']['office_key_id'] is None and r['result']['applied_version'] == 0"
[ "$(last_seq)" -eq "$S" ] || fail "a refusal without a key recorded events"
stop_daemon
pass "without [sync] office_pubkey sync.apply answers not_configured and records nothing"

start_daemon "$T/sim.ini"
R=$(req sync.state)
check "$R" "r['result'] == {'applied_version': 0, 'office_key_id': '$KEY_ID', 'site': 'hq', 'controller': 'gw-1'}"
pass "sync.state names the office key and applied version 0"

# A follower sees what is published: nothing of a set that rolled back.
ctl events --follow --json --since "$(last_seq)" >"$T/follow.jsonl" 2>&1 &
BG_PIDS+=($!)

# ---- version 1: a level, a person and a badge, as office:hq ----
S=$(last_seq)
changeset 1 '[{"op":"level.add","args":{"name":"dock-staff","zones":["dock"]}},
{"op":"person.add","args":{"id":"E2001","name":"Office Enrolled","levels":["dock-staff"]}},
{"op":"badge.issue","args":{"person":"E2001","credential":"h10301:12:2001"}}]' | tr -d '\n' | sign >"$T/v1.env"
R=$(req sync.apply "$T/v1.env")
check "$R" "r['ok'] and r['result']['applied_version'] == 1 and r['result']['result'] == 'applied'"
expect_exit 0 ctl person show E2001
expect_contains "$OUT" "Office Enrolled"
for kind in level.added person.added badge.issued sync.applied; do
	wait_event "$S" "$kind"
	ev_check "$EV" "d['operator'] == 'office:hq'"
done
ev_check "$EV" "d['version'] == 1 and d['ops'] == 3"
expect_exit 0 ctl sim present dock-1-in --credential h10301:12:2001
expect_contains "$OUT" granted
pass "version 1 applies through the local ops: person, badge and level appear, events by office:hq"

# ---- the same version again: replay ----
S=$(last_seq)
R=$(req sync.apply "$T/v1.env")
rejected_with "$R" replay "$S"
check "$R" "r['error']['applied_version'] == 1"
ev_check "$EV" "d['version'] == 1"
pass "version 1 again is refused as replay, with an event"

# ---- a version ahead: out_of_order ----
S=$(last_seq)
changeset 3 '[]' | sign >"$T/v3.env"
R=$(req sync.apply "$T/v3.env")
rejected_with "$R" out_of_order "$S"
ev_check "$EV" "d['version'] == 3"
check "$R" "r['error']['applied_version'] == 1"
pass "version 3 after 1 is refused as out_of_order, with an event"

# ---- unsigned: the body alone, and an envelope without a signature ----
S=$(last_seq)
changeset 2 '[{"op":"badge.revoke","args":{"credential":"h10301:12:2001"}}]' >"$T/v2.body"
R=$(req sync.apply "$T/v2.body")
rejected_with "$R" unsigned "$S"
S=$(last_seq)
python3 -c 'import json,sys; print(json.dumps({"body": open(sys.argv[1]).read()}))' "$T/v2.body" >"$T/v2.nosig"
R=$(req sync.apply "$T/v2.nosig")
rejected_with "$R" unsigned "$S"
ev_check "$EV" "d['version'] == 2"
pass "an unsigned change set is refused as unsigned, with an event"

# ---- tampered, and signed by another key: bad_signature ----
sign <"$T/v2.body" >"$T/v2.env"
sed 's/h10301:12:2001/h10301:12:2009/' "$T/v2.env" >"$T/v2.tampered"
cmp -s "$T/v2.env" "$T/v2.tampered" && fail "the tampered copy is the same"
S=$(last_seq)
R=$(req sync.apply "$T/v2.tampered")
rejected_with "$R" bad_signature "$S"
S=$(last_seq)
sign "$T/other/office.key" <"$T/v2.body" >"$T/v2.other"
R=$(req sync.apply "$T/v2.other")
rejected_with "$R" bad_signature "$S"
expect_exit 0 ctl sim present dock-1-in --credential h10301:12:2001
expect_contains "$OUT" granted
pass "a tampered change set and one signed by another key are refused as bad_signature"

# ---- one bad op: nothing of the set ----
S=$(last_seq)
changeset 2 '[{"op":"person.add","args":{"id":"E2002","name":"Half Applied"}},
{"op":"badge.issue","args":{"person":"E2002","credential":"h10301:12:2002"}},
{"op":"badge.issue","args":{"person":"NOBODY","credential":"h10301:12:2003"}}]' | tr -d '\n' | sign >"$T/v2.bad"
R=$(req sync.apply "$T/v2.bad")
rejected_with "$R" invalid "$S"
expect_contains "$R" "op 3 (badge.issue)"
expect_exit 1 ctl person show E2002
if events_after "$S" | grep -E "$(kind_re person.added)|$(kind_re badge.issued)"; then
	fail "a set that failed left events"
fi
expect_exit 1 ctl sim present dock-1-in --credential h10301:12:2002
# Its version is consumed: it would fail again each time, and wedge the versions after it.
check "$R" "r['error']['applied_version'] == 2"
ev_check "$EV" "d['version'] == 2"
R=$(req sync.state)
check "$R" "r['result']['applied_version'] == 2"
S=$(last_seq)
R=$(req sync.apply "$T/v2.bad")
rejected_with "$R" replay "$S"
# An op no change set may carry refuses the set before anything runs.
S=$(last_seq)
changeset 3 '[{"op":"user.add","args":{"name":"mallory","role":"admin"}}]' | sign >"$T/v3.user"
R=$(req sync.apply "$T/v3.user")
rejected_with "$R" invalid "$S"
expect_contains "$R" "user.add"
check "$R" "r['error']['applied_version'] == 3"
expect_exit 0 ctl user list
expect_not_contains "$OUT" mallory
pass "a change set with one failing op changes nothing, is refused as invalid and consumes its version"

# ---- version 4: a revocation denies at the next read (version 2's signed copy is stale now) ----
S=$(last_seq)
R=$(req sync.apply "$T/v2.env")
rejected_with "$R" replay "$S"
changeset 4 '[{"op":"badge.revoke","args":{"credential":"h10301:12:2001"}}]' | sign >"$T/v4.env"
S=$(last_seq)
R=$(req sync.apply "$T/v4.env")
check "$R" "r['ok'] and r['result']['applied_version'] == 4"
wait_event "$S" badge.revoked
ev_check "$EV" "d['operator'] == 'office:hq' and e['credential'] == 'h10301:12:2001'"
expect_exit 1 ctl sim present dock-1-in --credential h10301:12:2001
expect_contains "$OUT" credential_revoked
pass "a revocation change set denies the badge at the next read"

# What the follower saw: every stored event once, in order, none of the rolled-back sets.
S=$(last_seq)
deadline=$((SECONDS + 10))
until grep -qE "^\{\"seq\": ?$S," "$T/follow.jsonl"; do
	[ $SECONDS -lt $deadline ] || fail "the follower did not reach seq $S: $(tail -n 3 "$T/follow.jsonl")"
	sleep 0.05
done
python3 - "$T/follow.jsonl" <<'PY' || fail "the follower's stream is not the stored log"
import json, sys
seqs, names = [], []
for line in open(sys.argv[1]):
    e = json.loads(line)
    seqs.append(e["seq"])
    if e["kind"] == "person.added":
        names.append(e.get("person"))
assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
assert "E2002" not in names, names
PY
pass "followers get the applied events once committed, never those of a set rolled back"

# ---- commands: lockdown, release, unlock ----
S=$(last_seq)
command_body lockdown '{"comment":"drill from the office"}' | sign >"$T/lock.env"
R=$(req sync.command "$T/lock.env")
check "$R" "r['ok'] and r['result']['command'] == 'lockdown' and len(r['result']['id']) == 32"
wait_event "$S" site.lockdown
ev_check "$EV" "d['operator'] == 'office:hq' and d['comment'] == 'drill from the office'"
check "$R" "r['result']['seq'] == $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seq"])' "$EV")"
expect_exit 0 ctl status
expect_contains "$OUT" "lockdown"
pass "a signed lockdown command locks the site down, recorded as office:hq with the ack's seq"

S=$(last_seq)
R=$(req sync.command "$T/lock.env")
rejected_with "$R" replay "$S"
check "$R" "len(r['error']['id']) == 32"
pass "the same command id again is refused as replay, with an event"

S=$(last_seq)
command_body release '{"comment":"drill over"}' | sign >"$T/release.env"
R=$(req sync.command "$T/release.env")
check "$R" "r['ok'] and r['result']['command'] == 'release'"
wait_event "$S" site.release
ev_check "$EV" "d['operator'] == 'office:hq'"
S=$(last_seq)
command_body unlock '{"comment":"delivery","door":"dock-1"}' | sign >"$T/unlock.env"
R=$(req sync.command "$T/unlock.env")
check "$R" "r['ok'] and r['result']['command'] == 'unlock'"
wait_event "$S" door.remote_unlock
ev_check "$EV" "d['operator'] == 'office:hq' and e['door'] == 'dock-1'"
pass "release and unlock commands act, each recorded as office:hq"

# A command its op refuses: the ack carries the op's error and the id.
command_body release '{"comment":"again"}' | sign >"$T/release2.env"
R=$(req sync.command "$T/release2.env")
check "$R" "not r['ok'] and r['error']['code'] == 'failed_precondition' and len(r['error']['id']) == 32"
pass "a command its op refuses answers with the op's error and the command id"

# Too old, from the future, for another controller, unsigned.
S=$(last_seq)
command_body lockdown '{"comment":"old"}' -1200 | sign >"$T/old.env"
R=$(req sync.command "$T/old.env")
rejected_with "$R" replay "$S"
S=$(last_seq)
command_body lockdown '{"comment":"future"}' 1200 | sign >"$T/future.env"
R=$(req sync.command "$T/future.env")
rejected_with "$R" out_of_order "$S"
S=$(last_seq)
command_body lockdown '{"comment":"elsewhere"}' 0 gw-2 | sign >"$T/gw2.env"
R=$(req sync.command "$T/gw2.env")
rejected_with "$R" invalid "$S"
S=$(last_seq)
command_body lockdown '{"comment":"unsigned"}' >"$T/cmd.body"
R=$(req sync.command "$T/cmd.body")
rejected_with "$R" unsigned "$S"
expect_exit 0 ctl status --json
check "$OUT" "r['lockdown'] is None"
pass "commands issued over 10 minutes ago, ahead of the clock, for another controller or unsigned are refused"

# ---- the applied version and seen ids survive a restart ----
stop_daemon
start_daemon "$T/sim.ini"
R=$(req sync.state)
check "$R" "r['result']['applied_version'] == 4"
S=$(last_seq)
R=$(req sync.command "$T/unlock.env")
rejected_with "$R" replay "$S"
pass "the applied version and the command ids taken survive a restart"

stop_daemon
echo "$PASSED passed, 0 failed"
