#!/bin/bash
# aeogatectl's command line (exit 2 for usage errors, 0 for help, 1 with a
# clear line when the daemon is not there) and the control socket's answer
# to malformed lines: an error reply, that connection closed, the daemon and
# other clients unaffected.
source "$(dirname "$0")/lib.sh"

# ---- usage: no daemon needed ----
expect_exit 2 "$AEOGATECTL"
expect_contains "$ERR" "usage: aeogatectl"
expect_exit 2 "$AEOGATECTL" frobnicate
expect_contains "$ERR" "unknown command 'frobnicate'"
expect_exit 2 "$AEOGATECTL" person frobnicate
expect_contains "$ERR" "usage: aeogatectl person add"
expect_exit 2 "$AEOGATECTL" person
expect_exit 2 "$AEOGATECTL" --bogus status
expect_contains "$ERR" "unknown option '--bogus'"
expect_exit 2 "$AEOGATECTL" status --bogus
expect_contains "$ERR" "unknown option '--bogus'"
expect_exit 2 "$AEOGATECTL" person list -x
pass "unknown command, subcommand or option: exit 2 with usage"

expect_exit 2 "$AEOGATECTL" person add
expect_contains "$ERR" "usage: aeogatectl person add ID --name NAME"
expect_exit 2 "$AEOGATECTL" person add E1 --name
expect_contains "$ERR" "'--name' needs a value"
expect_exit 2 "$AEOGATECTL" person add E1
expect_exit 2 "$AEOGATECTL" person show
expect_exit 2 "$AEOGATECTL" person show a b
expect_exit 2 "$AEOGATECTL" badge issue E1
expect_exit 2 "$AEOGATECTL" badge issue E1 --wiegand h10301:1:2 --uid 04a1b2c3
expect_exit 2 "$AEOGATECTL" badge revoke
expect_exit 2 "$AEOGATECTL" level add dock-staff
expect_exit 2 "$AEOGATECTL" sim present dock-1-in
expect_exit 2 "$AEOGATECTL" sim present --bits 0101
expect_exit 2 "$AEOGATECTL" sim door dock-1
expect_exit 2 "$AEOGATECTL" sim door dock-1 ajar
expect_exit 2 "$AEOGATECTL" sim rex
expect_exit 2 "$AEOGATECTL" events --since
expect_exit 2 "$AEOGATECTL" events --since -1
expect_exit 2 "$AEOGATECTL" events --limit 0
expect_exit 2 "$AEOGATECTL" --socket
pass "missing or malformed arguments: exit 2 with usage"

expect_exit 0 "$AEOGATECTL" --help
for cmd in status "person add" "badge issue" "level add" "zone list" "door list" \
	"reader list" "sim present" "sim door" "sim rex" events; do
	expect_contains "$OUT" "  $cmd "
done
expect_exit 0 "$AEOGATECTL" help
expect_exit 0 "$AEOGATECTL" person add --help
expect_contains "$OUT" "usage: aeogatectl person add"
expect_exit 0 "$AEOGATECTL" --version
expect_contains "$OUT" "aeogatectl "
pass "--help, help, COMMAND --help and --version: exit 0"

# ---- no daemon ----
expect_exit 1 "$AEOGATECTL" --socket "$T/missing.sock" status
expect_contains "$ERR" "cannot connect to $T/missing.sock"
expect_contains "$ERR" "is aeogated running?"
[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "not one line: $ERR"
expect_exit 1 env AEOGATE_SOCKET="$T/missing.sock" "$AEOGATECTL" person list
expect_contains "$ERR" "cannot connect to $T/missing.sock"
pass "missing socket: exit 1 with one clear line (--socket and AEOGATE_SOCKET)"

# ---- the daemon ----
write_sim_config
start_daemon "$T/sim.ini"
expect_exit 0 "$AEOGATECTL" status --socket "$SOCK"
expect_exit 0 env AEOGATE_SOCKET="$SOCK" "$AEOGATECTL" status
expect_contains "$OUT" "Integration test site"
pass "--socket after the command and AEOGATE_SOCKET reach the daemon"

# raw.py: a bystander connection is opened first and must keep working
# after each malformed line on another connection; each malformed line gets
# one error reply with "id":null and its connection is closed.
cat >"$T/raw.py" <<'PY'
import json, socket, sys

path = sys.argv[1]

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s

def read_line(s, buf=b""):
    while b"\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            return None, buf
        buf += chunk
    line, _, rest = buf.partition(b"\n")
    return json.loads(line), rest

def closed_after(s, rest):
    # After the error reply nothing more may come: EOF (or a reset).
    if rest:
        return False
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True

def check(ok, what):
    if not ok:
        sys.exit("FAIL: " + what)

bystander = connect()

def bystander_ok(n):
    bystander.sendall(json.dumps({"id": n, "op": "system.status"}).encode() + b"\n")
    rep, _ = read_line(bystander)
    check(rep and rep.get("id") == n and rep.get("ok") is True, f"bystander reply {rep}")

bystander_ok(1)

deep = b'{"id":1,"op":"system.status","args":' + b'{"a":' * 18 + b'1' + b'}' * 18 + b'}'
cases = [
    ("not json", b"this is not json", "bad_json"),
    ("unterminated", b'{"id":1,"op":', "bad_json"),
    ("an array", b"[1,2,3]", "bad_json"),
    ("20 deep", deep, "too_deep"),
    ("over 64 KiB", b'{"id":1,"op":"system.status","args":{"pad":"' + b"x" * 70000 + b'"}}',
     "message_too_large"),
    ("64 KiB + 1 without newline yet", b"y" * 65537, "message_too_large"),
]
for n, (what, line, code) in enumerate(cases, 2):
    s = connect()
    try:
        s.sendall(line + b"\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the daemon may stop reading once the bound is passed
    rep, rest = read_line(s)
    check(rep is not None, f"{what}: no reply")
    check(rep.get("ok") is False and rep.get("id", 0) is None, f"{what}: reply {rep}")
    check(rep["error"]["code"] == code, f"{what}: code {rep['error']['code']}, want {code}")
    check(isinstance(rep["error"].get("message"), str), f"{what}: no message")
    check(closed_after(s, rest), f"{what}: connection not closed")
    s.close()
    bystander_ok(n)
    print("ok", what, code)

# Well-formed lines the daemon refuses keep the connection open.
s = connect()
for req, code in [({"id": 50}, "bad_request"), ({"id": 51, "op": 7}, "bad_request"),
                  ({"id": 52, "op": "system.status", "args": [1]}, "bad_request"),
                  ({"id": 53, "op": "no.such.op"}, "unknown_op")]:
    s.sendall(json.dumps(req).encode() + b"\n")
    rep, _ = read_line(s)
    check(rep and rep.get("id") == req["id"] and rep.get("ok") is False
          and rep["error"]["code"] == code, f"{req}: reply {rep}")
    print("ok", req, code)
s.sendall(b'{"id":54,"op":"system.status"}\n')
rep, _ = read_line(s)
check(rep and rep.get("ok") is True, f"connection unusable after refusals: {rep}")
bystander_ok(99)
PY
python3 "$T/raw.py" "$SOCK" >"$T/raw.out" 2>&1 || fail "raw socket checks: $(cat "$T/raw.out")"
kill -0 "$DAEMON_PID" || fail "aeogated died"
expect_exit 0 ctl status
pass "malformed lines: bad_json, too_deep, message_too_large, connection closed, others unaffected"
pass "well-formed refusals: bad_request, unknown_op, connection kept"

# ---- the controller's refusal: exit 1, one line "aeogatectl: CODE: MESSAGE" ----
expect_exit 1 ctl person show nobody
expect_contains "$ERR" "aeogatectl: not_found: "
[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "not one line: $ERR"
expect_exit 1 ctl person add 'bad id!' --name X
expect_contains "$ERR" "aeogatectl: invalid_argument: "
expect_exit 0 ctl person add E1 --name "Ana Ruiz"
expect_exit 1 ctl person add E1 --name "Ana Ruiz"
expect_contains "$ERR" "aeogatectl: already_exists: "
pass "controller errors: exit 1, one line with code and message"

stop_daemon
