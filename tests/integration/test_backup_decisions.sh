#!/bin/bash
# Issue 16.3: decisions go on, all of them right, while `aeogatectl backup`
# copies a database of many steps (aeogate-bench-gen's people: odd ones are
# granted at the dock, even ones have no access there, facility code 200 is
# unknown). A client presents badges one at a time for as long as the
# backup runs; every reply must be the expected decision and every decision
# an event, the backup's snapshot keeps the WAL from starting over (the
# writer must not checkpoint it inline after), and the copy verifies offline
# at its seq. Decisions go on after it the same. No time is asserted.
source "$(dirname "$0")/lib.sh"

GEN="$BUILD_DIR/bench/aeogate-bench-gen"
[ -x "$GEN" ] || {
	echo "SKIP: $GEN is not built"
	exit 77
}
# 20 000 people, 100 000 events: about 25 MiB, some 25 backup steps.
"$GEN" --db "$STATE/aeogate.db" --persons 20000 --events 100000 >"$T/gen.log" 2>&1 ||
	fail "aeogate-bench-gen: $(tail -3 "$T/gen.log")"
write_sim_config
start_daemon "$T/sim.ini"
before=$(last_seq)

python3 - "$SOCK" "$AEOGATECTL" "$T/busy.db" >"$T/reads.txt" 2>"$T/reads.err" <<'PY' ||
import json, random, socket, subprocess, sys

sock_path, ctl, out = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock_path)
f = s.makefile("rwb")
rng = random.Random(16)
n = 0


def present():
    global n
    p = rng.randrange(20000)
    unknown = rng.randrange(10) == 9
    fc, cn = (200 if unknown else 1 + p // 65536), p % 65536
    b = [0] + [int(x) for x in format(fc, "08b") + format(cn, "016b")] + [0]
    b[0] = sum(b[1:13]) % 2
    b[25] = 1 - sum(b[13:25]) % 2
    n += 1
    f.write(json.dumps({"id": n, "op": "sim.present",
                        "args": {"reader": "dock-1-in", "bits": "".join(map(str, b))}}).encode()
            + b"\n")
    f.flush()
    m = json.loads(f.readline())
    want = not unknown and p % 2 == 1
    if not m.get("ok") or m["result"]["granted"] != want:
        sys.exit("read %d (person %d, fc %d): expected %s, got %s" %
                 (n, p, fc, "a grant" if want else "a denial", m))


backup = subprocess.Popen([ctl, "--socket", sock_path, "backup", out],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
during = 0
while backup.poll() is None:
    present()
    during += 1
bout, berr = backup.communicate()
if backup.returncode != 0:
    sys.exit("backup: %s%s" % (bout, berr))
for _ in range(200):
    present()
print("during %d" % during)
print("total %d" % n)
print(bout.strip())
PY
	fail "$(cat "$T/reads.err")"
during=$(awk '$1 == "during" {print $2}' "$T/reads.txt")
total=$(awk '$1 == "total" {print $2}' "$T/reads.txt")
seq_b=$(sed -n 's/.*backup at seq \([0-9]*\),.*/\1/p' "$T/reads.txt")
[ "$during" -ge 1 ] || fail "no badge was decided while the backup ran: $(cat "$T/reads.txt")"
[ -n "$seq_b" ] && [ "$seq_b" -gt "$before" ] || fail "backup: $(cat "$T/reads.txt")"
pass "$during badges decided while the backup ran and 200 after it, every one as expected"

decided=$(count_after "$before" 'access\.(granted|denied)')
[ "$decided" -eq "$total" ] || fail "$total badges presented, $decided access events recorded"
wait_event "$before" system.backup
ev_check "$EV" "d['seq'] == $seq_b and d['to'] == 'client'"
pass "each of the $total decisions is an event, and system.backup names the copy's seq $seq_b"

stop_daemon
expect_exit 0 "$AEOGATECTL" audit verify --db "$T/busy.db"
expect_contains "$OUT" "ok:"
expect_contains "$OUT" "signed at seq $seq_b"
pass "the copy taken during the decisions verifies offline at its seq: $OUT"
