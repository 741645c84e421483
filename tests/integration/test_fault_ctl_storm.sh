#!/bin/bash
# Bad input storm on the control socket (issue 6, fault tests 5): 10k
# malformed messages from a Python client, of every kind the bounds cover
# (not JSON, not an object, too deep, over 64 KiB, wrong types, unknown
# ops, bad arguments, a NUL inside a string, invalid UTF-8). Each gets
# exactly one error reply with the documented code; lines that close the
# connection close only that one. Meanwhile a second client keeps badging:
# every decision stays right. After: status answers, the chain is intact,
# and no malformed message left an event behind.
source "$(dirname "$0")/lib.sh"

N=${AEOGATE_STORM_MESSAGES:-10000}

cat >"$T/storm.py" <<'PY'
import json, socket, sys, threading, collections

path, n, before = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s, s.makefile("rb")

def h10301(fc, cn):
    b = [0] + [int(x) for x in format(fc, "08b") + format(cn, "016b")] + [0]
    b[0] = sum(b[1:13]) % 2
    b[25] = 1 - sum(b[13:25]) % 2
    return "".join(map(str, b))

deep = "{\"id\":1,\"op\":\"system.status\",\"args\":{\"a\":" + "[" * 20 + "]" * 20 + "}}"
# (bytes, expected error code, connection closes after it)
kinds = [
    (b"this is not json", "bad_json", True),
    (b"[1,2,3]", "bad_json", True),
    (b"{\"id\":1,", "bad_json", True),
    (b"\xff\xfe{\"id\":1}", "bad_json", True),
    (deep.encode(), "too_deep", True),
    (b"{\"id\":\"seven\",\"op\":\"system.status\"}", "bad_request", False),
    (b"{\"id\":2,\"op\":42}", "bad_request", False),
    (b"{\"id\":3}", "bad_request", False),
    (b"{\"id\":4,\"op\":\"system.status\",\"args\":[1]}", "bad_request", False),
    (b"{\"id\":5,\"op\":\"system.status\",\"token\":7}", "bad_request", False),
    (b"{\"id\":6,\"op\":\"no.such.op\"}", "unknown_op", False),
    (b"{\"id\":7,\"op\":\"sim.present\",\"args\":{\"reader\":\"dock-1-in\",\"bits\":\"0102\"}}", "invalid_argument", False),
    (b"{\"id\":8,\"op\":\"sim.present\",\"args\":{\"reader\":\"dock-1-in\",\"bits\":\"" + b"1" * 65 + b"\"}}", "invalid_argument", False),
    (b"{\"id\":9,\"op\":\"sim.present\",\"args\":{\"reader\":\"dock-1-in\",\"uid\":\"zz\"}}", "invalid_argument", False),
    (b"{\"id\":10,\"op\":\"sim.present\",\"args\":{\"reader\":\"nope\",\"uid\":\"04a1b2c3\"}}", "not_found", False),
    (b"{\"id\":11,\"op\":\"person.add\",\"args\":{\"id\":\"a\\u0000b\",\"name\":\"x\"}}", "bad_json", True),
    (b"{\"id\":12,\"op\":\"person.add\",\"args\":{\"id\":\"E9\",\"name\":\"\\u0007bell\"}}", "invalid_argument", False),
    (b"{\"id\":13,\"op\":\"badge.issue\",\"args\":{\"person\":\"E1001\",\"credential\":\"h10301:999:1\"}}", "invalid_argument", False),
    (b"{\"id\":14,\"op\":\"events.list\",\"args\":{\"since\":-1}}", "invalid_argument", False),
    (b"{\"id\":15,\"op\":\"person.add\",\"args\":{\"id\":\"E1001\",\"name\":\"dup\"}}", "already_exists", False),
    (b"{\"id\":16,\"op\":\"system.status\",\"id\":17}", "bad_json", True),  # duplicate key
]
big = (b"{\"id\":1,\"op\":\"system.status\",\"args\":{\"pad\":\"" + b"x" * 70000 + b"\"}}", "message_too_large", True)

stop = threading.Event()
badge_errors = []
badges = [0]
def badging():
    s, f = conn()
    i = 0
    while not stop.is_set():
        i += 1
        known = i % 2 == 0
        bits = h10301(12, 1001) if known else h10301(12, 3000 + i % 1000)
        s.sendall((json.dumps({"id": i, "op": "sim.present",
                               "args": {"reader": "dock-1-in", "bits": bits}}) + "\n").encode())
        r = json.loads(f.readline())
        if not r.get("ok") or r["result"]["granted"] != known:
            badge_errors.append(r)
        badges[0] += 1

t = threading.Thread(target=badging, daemon=True)
t.start()

got = collections.Counter()
s, f = conn()
sent = 0
for k in range(n):
    msg, code, closes = big if k % 1000 == 999 else kinds[k % len(kinds)]
    if closes:
        # A fresh connection for each line that costs its connection.
        c, cf = conn()
        try:
            c.sendall(msg + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed before it read all of an oversized line: its reply is queued
        line = cf.readline()
        try:
            rest = cf.readline()
        except ConnectionResetError:
            rest = b""  # closed with our unread bytes in its buffer: a close all the same
        c.close()
        if rest:
            raise SystemExit("connection stayed open after %r" % msg[:40])
    else:
        s.sendall(msg + b"\n")
        line = f.readline()
    r = json.loads(line)
    if r.get("ok") or r["error"]["code"] != code:
        stop.set()
        raise SystemExit("message %r: expected %s, got %r" % (msg[:60], code, r))
    got[code] += 1
    sent += 1
stop.set()
t.join()
if badge_errors:
    raise SystemExit("decisions went wrong during the storm: %r" % badge_errors[:3])
# What the storm left in the log: only the badge reads may be there.
s, f = conn()
since, new = before, []
while True:
    s.sendall((json.dumps({"id": 1, "op": "events.list", "args": {"since": since}}) + "\n").encode())
    page = json.loads(f.readline())["result"]
    if not page:
        break
    new.extend(page)
    since = page[-1]["seq"]
n_access = sum(1 for e in new if e["kind"].startswith("access."))
print(sent, badges[0], len(new), n_access, " ".join("%s=%d" % kv for kv in sorted(got.items())))
PY

write_sim_config
start_daemon "$T/sim.ini"
ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1001 --wiegand h10301:12:1001 >/dev/null
before=$(last_seq)

out=$(python3 "$T/storm.py" "$SOCK" "$N" "$before") || fail "$out"
read -r sent badges n_all n_access codes <<<"$out"
pass "$sent malformed messages, each answered with its error code ($codes); $badges reads decided correctly meanwhile"

kill -0 "$DAEMON_PID" || fail "aeogated died"
expect_exit 0 ctl status --json
expect_contains "$OUT" '"events_lost": 0'
pass "aeogated is up and status answers after the storm"

# Only the badge reads (and nothing from the storm) were recorded.
[ "$n_access" -eq "$badges" ] || fail "$badges reads but $n_access access events"
[ "$n_all" -eq "$badges" ] || fail "the storm left $((n_all - badges)) events besides the reads"
expect_exit 0 ctl person list --json
expect_not_contains "$OUT" '"E9"'
pass "no malformed message changed anything: $n_all new events, all of them badge reads"

rejected="$(ctl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ctl_rejected"])')"
[ "$rejected" -ge "$sent" ] || fail "status reports $rejected rejected messages, the storm sent $sent"
pass "status reports the rejected count: $rejected (storm sent $sent)"
stop_daemon
pass "aeogated stops cleanly"
