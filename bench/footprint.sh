#!/bin/bash
# Footprint of aeogated (issue 6, bench 5): time from exec to READY=1 (a
# tiny NOTIFY_SOCKET listener, as systemd would see it) and to the control
# socket answering, RSS idle, and RSS after a burst of reads, on a given
# database (an empty one when none is given).
#
#   bench/footprint.sh BUILD_DIR [DB]
#
# The database is used in place through a symlink in a temporary state
# directory; aeogated appends its system.start/stop and the reads' events.
set -euo pipefail
BUILD=${1:?usage: bench/footprint.sh BUILD_DIR [DB]}
DB=${2:-}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
T=$(mktemp -d /tmp/aeogate-footprint.XXXXXX)
trap 'kill "$(cat "$T/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$T"' EXIT
mkdir -p "$T/state"
[ -n "$DB" ] && ln -s "$(realpath "$DB")" "$T/state/aeogate.db"

echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "# cores: $(nproc) online"
echo "# kernel: $(uname -srm)"
echo "# bench/footprint.sh $BUILD ${DB:-(empty database)}"
[ -n "$DB" ] && echo "# database: $(du -h "$(realpath "$DB")" | cut -f1), $(sqlite3 "$DB" 'SELECT count(*) FROM persons') persons, $(sqlite3 "$DB" 'SELECT max(seq) FROM events') events"

python3 - "$BUILD" "$ROOT/bench/bench.ini" "$T" <<'PY'
import json, os, socket, subprocess, sys, time
build, ini, t = sys.argv[1:4]
notify = os.path.join(t, "notify.sock")
ctl = os.path.join(t, "ctl.sock")
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n.bind(notify)
n.settimeout(600)
env = dict(os.environ, NOTIFY_SOCKET=notify)
t0 = time.monotonic()
p = subprocess.Popen([os.path.join(build, "controller/aeogated"), "-c", ini, "--state-dir",
                      os.path.join(t, "state"), "--socket", ctl], env=env,
                     stderr=open(os.path.join(t, "log"), "w"))
open(os.path.join(t, "pid"), "w").write(str(p.pid))
while True:
    msg = n.recv(4096).decode()
    if "READY=1" in msg.split("\n"):
        break
t_ready = time.monotonic() - t0
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(ctl)
f = s.makefile("rb")
def call(i, op, args=None):
    m = {"id": i, "op": op}
    if args is not None:
        m["args"] = args
    s.sendall((json.dumps(m) + "\n").encode())
    return json.loads(f.readline())
call(0, "system.status")
t_answer = time.monotonic() - t0
def rss():
    st = dict(l.split(":", 1) for l in open("/proc/%d/status" % p.pid))
    return int(st["VmRSS"].split()[0]) // 1024, int(st["VmHWM"].split()[0]) // 1024
time.sleep(1)
idle, idle_hwm = rss()
def h10301(fc, cn):
    b = [0] + [int(x) for x in format(fc, "08b") + format(cn, "016b")] + [0]
    b[0] = sum(b[1:13]) % 2
    b[25] = 1 - sum(b[13:25]) % 2
    return "".join(map(str, b))
import random
random.seed(1)
t1 = time.monotonic()
reads = 2000
for i in range(reads):
    k = random.randrange(0, 2000000)
    r = call(i + 1, "sim.present", {"reader": "dock-1-in", "bits": h10301(1 + k // 65536, k % 65536)})
    assert r["ok"], r
t_reads = time.monotonic() - t1
busy, busy_hwm = rss()
print("start -> READY=1 (sd_notify):         %8.1f ms" % (t_ready * 1000))
print("start -> control socket answers:      %8.1f ms" % (t_answer * 1000))
print("RSS idle (1 s after READY):           %8d MiB (peak %d MiB)" % (idle, idle_hwm))
print("RSS after %d reads over the socket: %8d MiB (peak %d MiB), %.0f reads/s end to end" % (reads, busy, busy_hwm, reads / t_reads))
p.terminate()
p.wait()
PY
