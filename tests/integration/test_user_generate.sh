#!/bin/bash
# aeogatectl user add NAME --role R --generate and user passwd NAME
# --generate: the controller makes the password up (as for the dashboard's
# "generate"), the command prints it once, and it signs in; nothing is read
# from stdin, the password is in no list and no event, and a refused
# command changes nothing.
source "$(dirname "$0")/lib.sh"

write_sim_config
start_daemon "$T/sim.ini"

# signs_in USER PASSWORD: exit 0 when auth.login accepts them.
signs_in() {
	python3 - "$SOCK" "$1" "$2" <<'PY'
import json, socket, sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall((json.dumps({"id": 1, "op": "auth.login",
                       "args": {"username": sys.argv[2], "password": sys.argv[3]}}) + "\n").encode())
buf = b""
s.settimeout(30)
while b"\n" not in buf:
    chunk = s.recv(65536)
    assert chunk, "no reply"
    buf += chunk
sys.exit(0 if json.loads(buf.split(b"\n")[0]).get("ok") else 1)
PY
}

# A typed line on stdin is not the password: --generate reads nothing.
expect_exit 0 ctl user add gen1 --role guard --generate <<<"typed password, not used"
PW1="$(awk '$1 == "password" { print $2 }' <<<"$OUT")"
[[ "$PW1" =~ ^[a-km-zA-HJ-NP-Z2-9]{20}$ ]] || fail "not a generated password: '$PW1' in: $OUT"
expect_contains "$OUT" "guard"
expect_contains "$ERR" "shown this once"
signs_in gen1 "$PW1" || fail "the generated password does not sign in"
signs_in gen1 "typed password, not used" && fail "stdin was taken as the password"
pass "user add --generate prints a 20-character password once, and it signs in"

expect_exit 0 ctl user list --json
expect_not_contains "$OUT" "$PW1"
expect_not_contains "$OUT" '"password"'
expect_exit 0 ctl events --json
expect_not_contains "$OUT" "$PW1"
expect_contains "$OUT" '"kind":"user.added"'
pass "the password is in no list and no event"

expect_exit 0 ctl user passwd gen1 --generate --json
PW2="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["password"])' <<<"$OUT")"
[[ "$PW2" =~ ^[a-km-zA-HJ-NP-Z2-9]{20}$ ]] || fail "not a generated password: '$PW2'"
[ "$PW2" != "$PW1" ] || fail "the same password twice"
signs_in gen1 "$PW2" || fail "the new password does not sign in"
signs_in gen1 "$PW1" && fail "the old password still signs in"
pass "user passwd --generate (--json) gives a new password; the old one stops working"

# Refused: a taken name, an unknown user, no role, an operand too many.
before="$(ctl user list --json)"
expect_exit 1 ctl user add gen1 --role admin --generate
expect_exit 1 ctl user passwd nobody --generate
expect_exit 2 ctl user add gen3 --generate
expect_contains "$ERR" "--role is required"
expect_exit 2 ctl user passwd gen1 extra --generate
[ "$(ctl user list --json)" = "$before" ] || fail "a refused command changed the users"
signs_in gen1 "$PW2" || fail "a refused command changed the password"
pass "refused --generate commands change nothing"

echo "1..$PASSED"
