#!/bin/bash
# Sign-ins check argon2 hashes on a worker thread: while ten logins wait
# for their ~50 ms checks, a badge read on another connection is decided at
# once (its reply overtakes the logins), and replies on one connection stay
# in request order.
source "$(dirname "$0")/lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
echo "correct horse battery staple" | ctl user add guard1 --role guard >/dev/null

python3 - "$SOCK" <<'PY'
import json, socket, sys, select

path = sys.argv[1]

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s

def send(s, rid, op, args):
    s.sendall((json.dumps({"id": rid, "op": op, "args": args}) + "\n").encode())

# Ten sign-ins, each on its own connection, all queued before anything else.
logins = []
for i in range(10):
    s = connect()
    pw = "correct horse battery staple" if i % 2 == 0 else "wrong password!!"
    send(s, i, "auth.login", {"username": "guard1", "password": pw})
    logins.append(s)

reader = connect()
send(reader, 99, "sim.present", {"reader": "dock-1-in", "bits": "1" * 26})

# Record the order in which replies arrive across all connections.
order = []
pending = {s.fileno(): s for s in logins + [reader]}
bufs = {fd: b"" for fd in pending}
while pending:
    ready, _, _ = select.select(list(pending.values()), [], [], 30)
    assert ready, "no reply within 30 s"
    for s in ready:
        data = s.recv(65536)
        assert data, "connection closed without a reply"
        bufs[s.fileno()] += data
        if b"\n" in bufs[s.fileno()]:
            msg = json.loads(bufs[s.fileno()].split(b"\n")[0])
            order.append(msg)
            del pending[s.fileno()]

ids = [m["id"] for m in order]
assert 99 in ids
assert ids.index(99) < len(ids) - 1, f"the badge read waited for every login: {ids}"
assert order[ids.index(99)]["ok"] and order[ids.index(99)]["result"]["granted"] is False
print(f"ok 1 - a badge read overtook queued sign-ins (reply order {ids})")

good = [m for m in order if m["id"] != 99 and m["ok"]]
bad = [m for m in order if m["id"] != 99 and not m["ok"]]
assert len(good) == 5 and all(len(m["result"]["token"]) == 64 for m in good), good
assert len(bad) == 5 and all(m["error"]["code"] == "unauthenticated" for m in bad), bad
print("ok 2 - every sign-in got its own answer: five sessions, five refusals")

# Pipelined on one connection: the deferred login reply comes before the next reply.
s = connect()
s.sendall((json.dumps({"id": 1, "op": "auth.login", "args": {"username": "guard1", "password": "correct horse battery staple"}}) + "\n"
           + json.dumps({"id": 2, "op": "system.status"}) + "\n").encode())
buf = b""
s.settimeout(30)
while buf.count(b"\n") < 2:
    chunk = s.recv(65536)
    assert chunk
    buf += chunk
first, second = [json.loads(l) for l in buf.split(b"\n")[:2]]
assert first["id"] == 1 and first["ok"], first
assert second["id"] == 2 and second["ok"], second
print("ok 3 - replies on one connection stay in request order")
PY

# Every attempt is an event: five user.login and five user.login_failed.
events="$(ctl events --json)"
[ "$(grep -c '"kind":"user.login"' <<<"$events")" -ge 6 ] || fail "missing user.login events"
[ "$(grep -c '"kind":"user.login_failed"' <<<"$events")" -eq 5 ] || fail "expected 5 user.login_failed events"
pass "each sign-in attempt is recorded"
