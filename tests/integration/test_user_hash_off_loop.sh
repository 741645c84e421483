#!/bin/bash
# Setting a dashboard password (user add, user passwd) hashes it with
# argon2 (~50 ms of CPU each) on the worker thread, as sign-ins are
# checked: while ten such changes wait for their hashes, a badge read on
# another connection is decided at once (its reply overtakes them), each
# change is still made and recorded, and a change whose name is taken or
# unknown is refused before any hashing.
source "$(dirname "$0")/lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
echo "correct horse battery staple" | ctl user add keeper --role guard >/dev/null

python3 - "$SOCK" <<'PY'
import json, socket, select, sys

path = sys.argv[1]

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s

def send(s, rid, op, args):
    s.sendall((json.dumps({"id": rid, "op": op, "args": args}) + "\n").encode())

def race(ops):
    """Sends every op on its own connection, then a badge read; returns the replies in arrival order."""
    conns = []
    for i, (op, args) in enumerate(ops):
        s = connect()
        send(s, i, op, args)
        conns.append(s)
    reader = connect()
    send(reader, 99, "sim.present", {"reader": "dock-1-in", "bits": "1" * 26})
    order, pending = [], {s.fileno(): s for s in conns + [reader]}
    bufs = {fd: b"" for fd in pending}
    while pending:
        ready, _, _ = select.select(list(pending.values()), [], [], 60)
        assert ready, "no reply within 60 s"
        for s in ready:
            data = s.recv(65536)
            assert data, "connection closed without a reply"
            bufs[s.fileno()] += data
            if b"\n" in bufs[s.fileno()]:
                order.append(json.loads(bufs[s.fileno()].split(b"\n")[0]))
                del pending[s.fileno()]
    for s in conns + [reader]:
        s.close()
    return order

pw = "correct horse battery staple"
for n, (what, ops) in enumerate([
        ("user add", [("user.add", {"name": "u%d" % i, "role": "guard", "password": pw}) for i in range(10)]),
        ("user passwd", [("user.passwd", {"name": "u%d" % i, "password": pw + " 2"}) for i in range(10)])], 1):
    order = race(ops)
    ids = [m["id"] for m in order]
    # Inline hashing answers the read only after the hashes read before it;
    # off the loop it is answered before all but at most two (a loaded
    # machine may let the worker finish one or two first).
    assert ids.index(99) <= 2, f"{what}: the badge read waited for the hashes: reply order {ids}"
    read = order[ids.index(99)]
    assert read["ok"] and read["result"]["granted"] is False, read
    changes = [m for m in order if m["id"] != 99]
    assert all(m["ok"] for m in changes), changes
    print(f"ok {n} - a badge read overtook ten {what} (reply order {ids})")

# Refused before any hashing: a taken name, an unknown user.
s = connect()
send(s, 1, "user.add", {"name": "u0", "role": "guard", "password": pw})
send(s, 2, "user.passwd", {"name": "nobody", "password": pw})
buf = b""
s.settimeout(30)
while buf.count(b"\n") < 2:
    chunk = s.recv(65536)
    assert chunk
    buf += chunk
a, b = [json.loads(l) for l in buf.split(b"\n")[:2]]
assert a["id"] == 1 and not a["ok"] and a["error"]["code"] == "already_exists", a
assert b["id"] == 2 and not b["ok"] and b["error"]["code"] == "not_found", b
print("ok 3 - a taken name and an unknown user are refused, in request order")

# Each change is made: the new password signs in, the old one does not.
s = connect()
send(s, 1, "auth.login", {"username": "u3", "password": pw + " 2"})
send(s, 2, "auth.login", {"username": "u4", "password": pw})
buf = b""
while buf.count(b"\n") < 2:
    chunk = s.recv(65536)
    assert chunk
    buf += chunk
a, b = [json.loads(l) for l in buf.split(b"\n")[:2]]
assert a["ok"] and len(a["result"]["token"]) == 64, a
assert not b["ok"] and b["error"]["code"] == "unauthenticated", b
print("ok 4 - the new password signs in, the old one no longer does")
PY

events="$(ctl events --json)"
[ "$(grep -c '"kind":"user.added"' <<<"$events")" -eq 11 ] || fail "expected 11 user.added events"
[ "$(grep -c '"kind":"user.password_changed"' <<<"$events")" -eq 10 ] ||
	fail "expected 10 user.password_changed events"
pass "every change is made and recorded"
