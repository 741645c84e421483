#!/bin/bash
# aeogate-hub's publishing side: keygen refuses to overwrite the office
# key; person and badge (aeogatectl's arguments) become signed change sets,
# versioned per site, stored, published QoS 1 on aeogate/SITE/enrolment and
# republished on a controller's {"from":N} request; command publishes a
# signed command and waits for its acknowledgement (applied, refused, or
# none in time). Signatures are checked with openssl, not with our code.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt_lib.sh"
source "$(dirname "$0")/hub_lib.sh"

mqtt_start
hub_config s1
[ "$(stat -c %a "$T/office/office.key")" = 600 ] || fail "office.key is not 0600"
PUB=$(cat "$T/office/office.pub")
[ "$(cat "$T/office.hex")" = "$PUB" ] || fail "keygen printed $(cat "$T/office.hex"), office.pub holds $PUB"
cp "$T/office/office.key" "$T/key.before"
expect_exit 1 "$AEOGATE_HUB" keygen --dir "$T/office"
expect_contains "$ERR" "refusing to overwrite"
cmp -s "$T/office/office.key" "$T/key.before" || fail "keygen overwrote the office key"
expect_exit 2 "$AEOGATE_HUB" keygen
pass "keygen writes office.key (0600) and office.pub, prints the key, refuses to overwrite"

# verify_envelope FILE: each line "topic payload"; checks every signature with openssl.
verify_envelopes() {
	python3 - "$1" "$PUB" "$T" <<'PY' || fail "an envelope does not verify: $(cat "$1")"
import hashlib, json, subprocess, sys
path, pub, tmp = sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3]
der = bytes.fromhex("302a300506032b6570032100") + pub
open(tmp + "/office.der", "wb").write(der)
for line in open(path):
    topic, payload = line.rstrip("\n").split(" ", 1)
    env = json.loads(payload)
    assert env["key_id"] == hashlib.sha256(pub).hexdigest()[:16], env["key_id"]
    open(tmp + "/body", "wb").write(env["body"].encode())
    open(tmp + "/sig", "wb").write(bytes.fromhex(env["signature"]))
    subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", tmp + "/office.der",
                    "-keyform", "DER", "-rawin", "-in", tmp + "/body", "-sigfile", tmp + "/sig"],
                   check=True, stdout=subprocess.DEVNULL)
PY
}

mqtt_sub_start 'aeogate/s1/enrolment/#' "$T/enrol.txt"
expect_exit 0 hub badge revoke uid:04a1b2c3
expect_contains "$OUT" "s1: change set 1 published (badge.revoke, signed by office:hq"
expect_exit 0 hub person add E7 --name "Eve Example" --level dock-staff --valid-until 2027-01-01
expect_contains "$OUT" "change set 2 published (person.add"
expect_exit 0 hub badge suspend uid:04a1b2c4
expect_exit 0 hub person terminate E8 --json
python3 -c 'import json,sys; o=json.loads(sys.argv[1]); assert o["version"] == 4 and o["op"] == "person.terminate" and o["signer"] == "office:hq", o' "$OUT" ||
	fail "person terminate --json: $OUT"
expect_exit 2 hub badge revoke
expect_contains "$ERR" "usage: aeogate-hub badge revoke"
expect_exit 2 hub person add E9
expect_contains "$ERR" "--name is required"
expect_exit 2 hub badge explode X
expect_contains "$ERR" "unknown command 'badge explode'"
[ "$(hub_sql "SELECT count(*), max(version) FROM changesets WHERE site='s1'")" = "4|4" ] ||
	fail "the store holds $(hub_sql "SELECT count(*), max(version) FROM changesets")"
deadline=$((SECONDS + 30))
until [ "$(grep -c '^aeogate/s1/enrolment ' "$T/enrol.txt")" -ge 4 ]; do
	[ $SECONDS -lt $deadline ] || fail "the change sets did not all arrive: $(cat "$T/enrol.txt")"
	sleep 0.1
done
verify_envelopes "$T/enrol.txt"
python3 - "$T/enrol.txt" <<'PY' || fail "the change sets' bodies are wrong: $(cat "$T/enrol.txt")"
import json, sys
bodies = [json.loads(json.loads(l.split(" ", 1)[1])["body"]) for l in open(sys.argv[1])]
assert [b["version"] for b in bodies] == [1, 2, 3, 4], bodies
for b in bodies:
    assert b["type"] == "changeset" and b["site"] == "s1" and b["signer"] == "office:hq", b
    assert b["issued"].endswith("Z") and len(b["ops"]) == 1, b
assert bodies[0]["ops"][0] == {"op": "badge.revoke", "args": {"credential": "uid:04a1b2c3"}}, bodies[0]
assert bodies[1]["ops"][0] == {"op": "person.add", "args": {"id": "E7", "name": "Eve Example",
    "levels": ["dock-staff"], "valid_until": "2027-01-01"}}, bodies[1]
assert bodies[2]["ops"][0]["op"] == "badge.suspend", bodies[2]
assert bodies[3]["ops"][0] == {"op": "person.terminate", "args": {"id": "E8"}}, bodies[3]
PY
pass "badge and person commands publish signed change sets 1-4 (openssl verifies each), usage errors exit 2"

# A controller that missed versions asks; the hub republishes from its store.
hub_start
mqtt_pub aeogate/s1/gate-1/requests '{"from":3}'
deadline=$((SECONDS + 30))
until [ "$(grep -c '^aeogate/s1/enrolment/gate-1 ' "$T/enrol.txt")" -ge 2 ]; do
	[ $SECONDS -lt $deadline ] || fail "no republication: $(cat "$T/enrol.txt")"
	sleep 0.1
done
python3 - "$T/enrol.txt" <<'PY' || fail "the republished change sets differ: $(cat "$T/enrol.txt")"
import json, sys
lines = [l.rstrip("\n").split(" ", 1) for l in open(sys.argv[1])]
orig = {json.loads(json.loads(p)["body"])["version"]: p for t, p in lines if t == "aeogate/s1/enrolment"}
again = [p for t, p in lines if t == "aeogate/s1/enrolment/gate-1"]
assert [json.loads(json.loads(p)["body"])["version"] for p in again] == [3, 4], again
assert again == [orig[3], orig[4]]
PY
mqtt_pub aeogate/s1/gate-1/requests '{"from":"x"}'
mqtt_pub aeogate/s1/gate-1/requests '{"from":99}'
sleep 1
[ "$(grep -c '^aeogate/s1/enrolment/gate-1 ' "$T/enrol.txt")" = 2 ] || fail "a bad or empty request republished something"
grep -q "malformed message" "$T/hub.log" || fail "the malformed request was not logged"
hub_stop
pass "a request {\"from\":3} gets versions 3 and 4 again, byte for byte, on aeogate/s1/enrolment/gate-1"

# ---- commands: acknowledged, refused, unanswered ----
mqtt_sub_start aeogate/s1/commands/gate-1 "$T/commands.txt"
# answer_next N ACK_PYTHON: waits for command N, then publishes the ack made from its id.
answer_next() {
	local n=$1 ok=$2 deadline=$((SECONDS + 30)) line id
	until [ "$(wc -l <"$T/commands.txt")" -ge "$n" ]; do
		[ $SECONDS -lt $deadline ] || fail "command $n did not arrive"
		sleep 0.1
	done
	line=$(sed -n "${n}p" "$T/commands.txt")
	id=$(python3 -c 'import json,sys; print(json.loads(json.loads(sys.argv[1].split(" ",1)[1])["body"])["id"])' "$line")
	if [ "$ok" = ok ]; then
		mqtt_pub aeogate/s1/acks/gate-1 "{\"id\":\"$id\",\"ok\":true,\"seq\":42}"
	else
		mqtt_pub aeogate/s1/acks/gate-1 "{\"id\":\"$id\",\"ok\":false,\"error\":{\"code\":\"rejected\",\"message\":\"replay\"}}"
	fi
}
hub command gate-1 lockdown --zone dock --comment "fire drill" >"$T/cmd.out" 2>"$T/cmd.err" &
CMD=$!
# An ack for another id first: the hub waits for its own.
sleep 0.5
mqtt_pub aeogate/s1/acks/gate-1 '{"id":"00000000000000000000000000000000","ok":false,"error":{"code":"x","message":"not yours"}}'
answer_next 1 ok
rc=0
wait $CMD || rc=$?
[ $rc = 0 ] || fail "command lockdown exited $rc: $(cat "$T/cmd.err")"
expect_contains "$(cat "$T/cmd.out")" "gate-1: lockdown applied"
expect_contains "$(cat "$T/cmd.out")" "recorded as seq 42"
verify_envelopes "$T/commands.txt"
python3 - "$T/commands.txt" <<'PY' || fail "the command body is wrong: $(cat "$T/commands.txt")"
import json, re, sys
b = json.loads(json.loads(open(sys.argv[1]).readline().split(" ", 1)[1])["body"])
assert b["type"] == "command" and b["site"] == "s1" and b["controller"] == "gate-1", b
assert b["command"] == "lockdown" and b["signer"] == "office:hq", b
assert b["args"] == {"zones": ["dock"], "comment": "fire drill"}, b
assert re.fullmatch("[0-9a-f]{32}", b["id"]), b
PY
pass "command lockdown is signed, published, and its acknowledgement waited for (another id's ignored)"

hub command gate-1 unlock dock-1 --comment "delivery" >"$T/cmd.out" 2>"$T/cmd.err" &
CMD=$!
answer_next 2 refuse
rc=0
wait $CMD || rc=$?
[ $rc = 1 ] || fail "a refused command exited $rc"
expect_contains "$(cat "$T/cmd.err")" "gate-1 refused unlock: rejected: replay"
expect_exit 1 hub command gate-1 release --comment "all clear" --timeout 2
expect_contains "$ERR" "no acknowledgement from gate-1 in 2 s"
expect_exit 2 hub command gate-1 lockdown
expect_contains "$ERR" "--comment is required"
expect_exit 2 hub command gate-1 explode --comment x
pass "a refusal and a silence exit 1 saying so; a missing --comment exits 2"

# The broker gone: a clear error, and no version is used up.
mqtt_stop
expect_exit 1 hub badge revoke uid:04a1b2c3 --timeout 5
expect_contains "$ERR" "cannot connect"
[ "$(hub_sql "SELECT count(*) FROM changesets")" = 4 ] || fail "a change set was stored without a broker"
pass "without the broker, publishing fails clearly and stores nothing: $ERR"
