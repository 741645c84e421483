#!/bin/bash
# events.follow under load: a follower that stops reading is cut off once it
# is AEOGATE_FOLLOW_BACKLOG_MAX behind, while decisions and a healthy
# follower carry on with no gap and no duplicate; a reconnect with since
# resumes exactly after the last event seen.
source "$(dirname "$0")/lib.sh"

write_sim_config
start_daemon "$T/sim.ini"

python3 - "$SOCK" <<'PY'
import json, socket, sys, time

path = sys.argv[1]

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s

class Lines:
    def __init__(self, s):
        self.s, self.buf = s, b""
    def next(self, timeout=10):
        self.s.settimeout(timeout)
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

def request(lines, op, args=None, rid=1):
    lines.s.sendall((json.dumps({"id": rid, "op": op, "args": args or {}}) + "\n").encode())
    return lines.next()

ctl = Lines(connect())
last = request(ctl, "system.status")["result"]["last_seq"]

# The stalled follower: shrink its receive buffer and never read.
stalled = connect()
stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
stalled.sendall((json.dumps({"id": 1, "op": "events.follow", "args": {"since": last}}) + "\n").encode())

good = Lines(connect())
good.s.sendall((json.dumps({"id": 1, "op": "events.follow", "args": {"since": last}}) + "\n").encode())
assert good.next()["ok"] is True

# Enough events to put the stalled follower over the 1 MiB bound.
N = 4000
seen = []
for i in range(N):
    r = request(ctl, "sim.present", {"reader": "dock-1-in", "bits": "1" * 26}, rid=i + 2)
    assert r["ok"] and r["result"]["granted"] is False, r
    # Read the healthy follower as we go, so it never falls behind.
    while len(seen) < i + 1:
        m = good.next()
        assert m is not None and "event" in m, m
        seen.append(m["event"]["seq"])

assert seen == list(range(last + 1, last + N + 1)), "gap or duplicate on the healthy follower"
print(f"ok 1 - healthy follower saw {N} events in order while decisions continued")

# The stalled follower must have been cut off: draining it ends in EOF,
# with the too_slow notice if it fitted, and never more events than sent.
stalled.settimeout(10)
data = b""
while True:
    chunk = stalled.recv(1 << 20)
    if not chunk:
        break
    data += chunk
msgs = [json.loads(l) for l in data.split(b"\n") if l]
events = [m["event"]["seq"] for m in msgs if "event" in m]
assert len(events) < N, "the stalled follower was never cut off"
assert events == list(range(last + 1, last + 1 + len(events))), "stalled stream had a gap"
print(f"ok 2 - stalled follower cut off after {len(events)} events"
      + (" with too_slow" if any(m.get("error", {}).get("code") == "too_slow" for m in msgs) else ""))

# Resume: reconnect with since = the last seq it saw; the next event follows it.
resume = Lines(connect())
resume.s.sendall((json.dumps({"id": 1, "op": "events.follow", "args": {"since": events[-1]}}) + "\n").encode())
assert resume.next()["ok"] is True
first = resume.next()["event"]["seq"]
assert first == events[-1] + 1, (first, events[-1])
print("ok 3 - a reconnect with since resumes with no gap and no duplicate")

status = request(ctl, "system.status")
assert status["ok"], status
print("ok 4 - the controller still answers")
PY
