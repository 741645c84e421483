#!/bin/bash
# Footprint of aeogated (issue 6 bench 5, issue 12): time from exec to
# READY=1 (a tiny NOTIFY_SOCKET listener, as systemd would see it) and to the
# control socket answering, beside its goal, then RSS (anonymous and
# file-mapped apart) idle and after a burst of reads, on a given database
# (an empty one when none is given).
#
#   bench/footprint.sh BUILD_DIR [DB|STATE_DIR] [first|warm]
#
# A DB is used in place through a symlink in a temporary state directory
# (aeogated appends its system.start/stop and the reads' events); a
# STATE_DIR (bench/run-all's) is used as it is, keys and head record kept
# from one start to the next as on a site. "first" (the first start on a
# freshly generated database) is held to <= 2 s, "warm" (default) to
# <= 200 ms (issue 12).
set -euo pipefail
USAGE="usage: bench/footprint.sh BUILD_DIR [DB|STATE_DIR] [first|warm]"
BUILD=${1:?$USAGE}
DB=${2:-}
START=${3:-warm}
case "$START" in first | warm) ;; *) echo "$USAGE" >&2; exit 2 ;; esac
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
T=$(mktemp -d /tmp/aeogate-footprint.XXXXXX)
trap 'kill "$(cat "$T/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$T"' EXIT
STATE="$T/state"
if [ -d "$DB" ]; then
	STATE="$(realpath "$DB")"
	DB="$STATE/aeogate.db"
else
	mkdir -p "$STATE"
	[ -n "$DB" ] && ln -s "$(realpath "$DB")" "$STATE/aeogate.db"
fi
# Writes still in the page cache (the generator's, a previous bench's) are
# flushed first: aeogated syncs at start, and would pay for them.
sync -f "$STATE"

PYTHONPATH="$ROOT/bench" python3 - "$BUILD" "$ROOT/bench/bench.ini" "$STATE" "$T" "$START" "$DB" <<'PY'
import random, sqlite3, sys, time
import benchlib as b
build, ini, state, t, start, db = sys.argv[1:7]
b.machine("bench/footprint.sh %s %s %s" % (build, db or "(empty database)", start))
if db:
    q = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    persons, events = q.execute("SELECT (SELECT count(*) FROM persons), (SELECT max(seq) FROM events)").fetchone()
    q.close()
    print("# database: %d persons, %s events" % (persons, events))
d = b.Daemon(build, ini, state, t)
print("start -> READY=1 (sd_notify):         %8.1f ms" % (d.ready_s * 1000))
print("start -> control socket answers:      %8.1f ms" % (d.answer_s * 1000))
if start == "first":
    b.goal("first start on a fresh database (READY=1)", d.ready_s * 1000, "ms", b.AT_MOST, 2000)
else:
    b.goal("warm start (READY=1)", d.ready_s * 1000, "ms", b.AT_MOST, 200)
time.sleep(1)
idle = d.memory()
c = d.connect()
random.seed(1)
t1 = time.monotonic()
reads = 2000
for i in range(reads):
    k = random.randrange(0, 2000000)
    c.call("sim.present", {"reader": "dock-1-in", "bits": b.h10301(1 + k // 65536, k % 65536)})
t_reads = time.monotonic() - t1
busy = d.memory()
print("RSS idle (1 s after READY):  %s" % b.fmt_memory(idle))
print("RSS after %d reads:        %s; %.0f reads/s end to end" % (reads, b.fmt_memory(busy), reads / t_reads))
c.close()
d.stop()
PY
