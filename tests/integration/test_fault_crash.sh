#!/bin/bash
# Crash consistency (issue 6, fault tests 1): aeogated is killed with
# SIGKILL at random points during a burst of badge reads, 50 times. After
# every restart the whole hash chain verifies (recomputed independently in
# Python from the README's definition), seq has no gap, and every read whose
# grant or denial the client saw reported (the reply comes after the commit
# and the lock command) is in the database with that decision. Bounded by
# events, not time: 50 iterations, each burst cut after 1-150 answered
# reads (a random point, whatever the machine's load); each iteration
# prints how far it got, so a run cut short by a timeout says where.
source "$(dirname "$0")/lib.sh"

ITERATIONS=${AEOGATE_CRASH_ITERATIONS:-50}

# A control-socket client: reads until the daemon dies, and the verifier.
cat >"$T/fault.py" <<'PY'
import hashlib, json, socket, sys

def conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s, s.makefile("rb")

def call(s, f, i, op, args=None):
    m = {"id": i, "op": op}
    if args is not None:
        m["args"] = args
    s.sendall((json.dumps(m) + "\n").encode())
    line = f.readline()
    if not line:
        raise ConnectionError("closed")
    return json.loads(line)

def h10301(fc, cn):
    b = [0] + [int(x) for x in format(fc, "08b") + format(cn, "016b")] + [0]
    b[0] = sum(b[1:13]) % 2
    b[25] = 1 - sum(b[13:25]) % 2
    return "".join(map(str, b))

def burst(path, out, start, ready):
    """sim.present until the socket breaks; one line per answered read."""
    s, f = conn(path)
    open(ready, "w").close()
    n = start
    with open(out, "a") as o:
        try:
            while True:
                n += 1
                known = n % 3 != 0  # E1001's badge is granted, card 2000+n unknown
                bits = h10301(12, 1001) if known else h10301(12, 2000 + n % 60000)
                r = call(s, f, n, "sim.present", {"reader": "dock-1-in", "bits": bits})
                if not r.get("ok"):
                    raise SystemExit("sim.present refused: %r" % r)
                res = r["result"]
                if res["granted"] != known:
                    raise SystemExit("wrong decision for read %d: %r" % (n, res))
                o.write(json.dumps({"seq": res["seq"], "granted": res["granted"],
                                    "credential": res["credential"]}) + "\n")
                o.flush()
        except (ConnectionError, OSError, json.JSONDecodeError):
            pass

def events(path, since=0):
    s, f = conn(path)
    out, i = [], 0
    while True:
        i += 1
        r = call(s, f, i, "events.list", {"since": since, "limit": 1000})
        page = r["result"]
        if not page:
            return out
        out.extend(page)
        since = page[-1]["seq"]

def verify(path, reads_file, state_file):
    """Verifies the chain from where the last call stopped (state_file: seq,
    hash and reads checked so far; none = from genesis), re-reading the last
    verified event so a crash that damaged it would show."""
    try:
        st = json.load(open(state_file))
    except (OSError, ValueError):
        st = {"seq": 0, "hash": "0" * 64, "reads": 0}
    evs = events(path, max(st["seq"] - 1, 0))
    if st["seq"]:
        if not evs or evs[0]["seq"] != st["seq"] or evs[0]["hash"] != st["hash"]:
            raise SystemExit("event %d changed across a crash" % st["seq"])
        evs = evs[1:]
    prev, seq = st["hash"], st["seq"]
    for e in evs:
        if e["seq"] != seq + 1:
            raise SystemExit("seq gap: %d follows %d" % (e["seq"], seq))
        if e["prev"] != prev:
            raise SystemExit("chain broken at seq %d: prev %s != %s" % (e["seq"], e["prev"], prev))
        body = {k2: v for k2, v in e.items() if k2 not in ("prev", "hash")}
        canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        h = hashlib.sha256(bytes.fromhex(prev) + canon.encode()).hexdigest()
        if h != e["hash"]:
            raise SystemExit("hash mismatch at seq %d" % e["seq"])
        prev, seq = e["hash"], e["seq"]
    by_seq = {e["seq"]: e for e in evs}
    lines = open(reads_file).read().splitlines()
    for line in lines[st["reads"]:]:
        r = json.loads(line)
        e = by_seq.get(r["seq"])
        want = "access.granted" if r["granted"] else "access.denied"
        if not e or e["kind"] != want or e["credential"] != r["credential"]:
            raise SystemExit("reported read %r is not in the database as %s: %r" % (r, want, e))
    json.dump({"seq": seq, "hash": prev, "reads": len(lines)}, open(state_file, "w"))
    print(seq, len(lines))

if __name__ == "__main__":
    if sys.argv[1] == "burst":
        burst(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "verify":
        verify(sys.argv[2], sys.argv[3], sys.argv[4])
PY

write_sim_config
start_daemon "$T/sim.ini"
ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1001 --wiegand h10301:12:1001 >/dev/null
: >"$T/reads"

RANDOM=${AEOGATE_CRASH_SEED:-4242}
for i in $(seq 1 "$ITERATIONS"); do
	rm -f "$T/ready"
	python3 "$T/fault.py" burst "$SOCK" "$T/reads" $((i * 100000)) "$T/ready" &
	client=$!
	wait_for 10 test -e "$T/ready" || fail "iteration $i: the client did not connect"
	# A random point: after 1-150 more answered reads.
	want=$(($(wc -l <"$T/reads") + 1 + RANDOM % 150))
	deadline=$((SECONDS + 60))
	while [ "$(wc -l <"$T/reads")" -lt "$want" ]; do
		kill -0 "$client" 2>/dev/null || fail "iteration $i: the client stopped early"
		[ $SECONDS -lt $deadline ] || fail "iteration $i: fewer than $want reads answered in 60 s"
		sleep 0.01
	done
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=""
	wait "$client" || fail "iteration $i: the client saw a wrong decision"
	start_daemon "$T/sim.ini"
	out=$(python3 "$T/fault.py" verify "$SOCK" "$T/reads" "$T/verified") || fail "iteration $i: $out"
	read -r v_seq v_reads <<<"$out"
	echo "iteration $i/$ITERATIONS: chain verified to seq $v_seq, $v_reads answered reads stored"
done
# Once more from genesis: the whole chain, every read.
rm -f "$T/verified"
out=$(python3 "$T/fault.py" verify "$SOCK" "$T/reads" "$T/verified") || fail "full check: $out"
read -r n_events n_reads <<<"$out"
[ "$n_reads" -ge "$ITERATIONS" ] || fail "only $n_reads reads were answered in $ITERATIONS bursts"
pass "$ITERATIONS kills -9 mid-burst: chain of $n_events events verifies, all $n_reads answered reads stored with their decision"

stop_daemon
pass "aeogated stops cleanly after $ITERATIONS crashes"
