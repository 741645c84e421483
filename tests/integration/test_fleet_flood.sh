#!/bin/bash
# A flood of bad messages from the broker (issue 18): anyone holding broker
# credentials can publish on a site's enrolment topic, and every refused
# message recorded sync.rejected, so the log grew without bound. Now a burst
# is recorded (AEOGATE_SYNC_REJECT_BURST, 20), then one a second; the rest
# are refused all the same, and counted into the next record's
# "suppressed". Bounded by the number of messages sent.
source "$(dirname "$0")/lib.sh"

SIGN="$BUILD_DIR/tests/tools/aeogate-test-sign"
mkdir -p "$T/office"
"$SIGN" keygen "$T/office" >/dev/null
write_sim_config
cat >>"$T/sim.ini" <<INI

[sync]
broker = mqtts://127.0.0.1:8883
site = hq
client_id = gw-1
office_pubkey = $T/office/office.pub
INI
start_daemon "$T/sim.ini"
s0=$(last_seq)

# flood N: N unsigned change sets over one connection; prints how many were refused unsigned.
flood() {
	python3 - "$SOCK" "$1" <<'PY'
import json, socket, sys
path, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
f = s.makefile("rb")
body = json.dumps({"type": "changeset", "site": "hq", "version": 1, "ops": []})
refused = 0
for i in range(n):
    req = {"id": i, "op": "sync.apply", "args": {"payload": json.dumps({"body": body})}}
    s.sendall((json.dumps(req) + "\n").encode())
    r = json.loads(f.readline())
    if not r["ok"] and r["error"].get("reason") == "unsigned":
        refused += 1
print(refused)
PY
}
N=300
[ "$(flood $N)" = $N ] || fail "not every unsigned change set was refused"
recorded=$(count_after "$s0" 'sync\.rejected')
[ "$recorded" -ge 1 ] && [ "$recorded" -lt 60 ] ||
	fail "$recorded sync.rejected recorded for $N refusals"
pass "$N unsigned change sets refused; $recorded recorded (a burst, then one a second)"

# Once the rate allows again, the next one is recorded with the count of those that were not.
sleep 2
[ "$(flood 1)" = 1 ] || fail "the next unsigned change set was not refused"
events_after "$s0" | python3 -c '
import json, sys
n = int(sys.argv[1])
rec = [json.loads(l) for l in sys.stdin if "\"sync.rejected\"" in l]
total = len(rec) + sum(e["detail"].get("suppressed", 0) for e in rec)
assert total == n, (len(rec), total, n)
assert rec[-1]["detail"].get("suppressed", 0) > 0, rec[-1]
' $((N + 1)) || fail "recorded plus suppressed is not every refusal: $(events_after "$s0" | tail -n 2)"
pass "the next record counts the refusals not recorded (\"suppressed\"): every one accounted for"
stop_daemon
