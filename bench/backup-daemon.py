#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Decision latency during an online backup (issue 16, section 3).

    bench/backup-daemon.py --build BUILD_DIR (--db DB | --state STATE_DIR)
                           [--out DIR] [--warm N] [--config INI]

Starts aeogated on a database grown by aeogate-bench-gen (a DB through a
symlink in a temporary state directory, or run-all's STATE_DIR as it is),
times N reads one at a time with no backup running (the baseline), then
starts `aeogatectl backup FILE` (FILE in DIR, default the database's
directory: the disk being measured) and keeps presenting reads, one at a
time, until the backup is written. The figures: the worst read -> reply
during the backup and its p99.9, each beside the goal (a backup never
pauses a decision for more than a few ms: <= 5 ms), the same with no
backup, and aeogated's own decision-latency histogram (read -> lock or
commit inside aeogated, no client or socket) over each phase. The slowest
reads are listed with when they ended, counted from the backup's start.
The backup is then checked offline (`aeogatectl audit verify --db`) and
removed. Exits 1 when a decision disagrees with the generated data or the
backup does not verify; never because of time.
"""
import argparse
import atexit
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOAL_US = 5000.0
ap = argparse.ArgumentParser()
ap.add_argument("--build", required=True)
ap.add_argument("--db")
ap.add_argument("--state")
ap.add_argument("--out")
ap.add_argument("--warm", type=int, default=2000)
ap.add_argument("--config", default=os.path.join(ROOT, "bench/bench.ini"))
a = ap.parse_args()
if bool(a.db) == bool(a.state) or a.warm < 1:
    ap.error("give one of --db or --state, and --warm >= 1")

tmp = tempfile.mkdtemp(prefix="aeogate-backup-bench-")
atexit.register(shutil.rmtree, tmp, True)
if a.state:
    state = os.path.realpath(a.state)
    db = os.path.join(state, "aeogate.db")
else:
    state = os.path.join(tmp, "state")
    db = os.path.realpath(a.db)
    os.mkdir(state)
    os.symlink(db, os.path.join(state, "aeogate.db"))
q = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
persons, events = q.execute("SELECT (SELECT count(*) FROM persons), "
                            "(SELECT max(seq) FROM events)").fetchone()
q.close()
if not persons:
    sys.exit("%s: no persons; grow it with aeogate-bench-gen first" % db)
b.machine("bench/backup-daemon.py --build %s %s --warm %d" %
          (a.build, "--state " + state if a.state else "--db " + db, a.warm))
print("# database: %d persons, %d events, %d bytes" % (persons, events or 0, os.path.getsize(db)))
ctl = os.path.join(a.build, "controller/ctl/aeogatectl")
out = os.path.join(os.path.realpath(a.out or os.path.dirname(db)),
                   "aeogate-backup-bench-%d.db" % os.getpid())
atexit.register(lambda: os.path.exists(out) and os.unlink(out))

d = b.Daemon(a.build, a.config, state, tmp)
rng = random.Random(88172645463325252)
wrong = 0
try:
    gen = d.connect()

    def present():
        global wrong
        p = rng.randrange(persons)
        unknown = rng.randrange(20) == 19
        bits = b.h10301(200 if unknown else 1 + p // 65536, p % 65536)
        t0 = time.perf_counter_ns()
        m = gen.call("sim.present", {"reader": "dock-1-in", "bits": bits})
        us = (time.perf_counter_ns() - t0) / 1e3
        if m["granted"] != (not unknown and p % 2 == 1):
            wrong += 1
        return us

    def hist():
        lat = gen.call("system.metrics")["latency"]
        return [b_["count"] for b_ in lat["buckets"]], lat["count"], \
            [b_["le"] for b_ in lat["buckets"]]

    def worst_bucket(h0, h1):
        """aeogated's own histogram: the bound of the slowest decision between two scrapes."""
        (c0, n0, le), (c1, n1, _) = h0, h1
        if n1 == n0:
            return 0.0
        for i in range(len(le)):
            if c1[i] - c0[i] == n1 - n0:
                return le[i]
        return float("inf")

    h_start = hist()
    base = [present() for _ in range(a.warm)]
    h_base = hist()
    t0 = time.monotonic()
    proc = subprocess.Popen([ctl, "--socket", d.socket, "backup", out],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    during = []
    ends = []  # when each read during the backup ended, in s from the backup's start
    while proc.poll() is None:
        during.append(present())
        ends.append(time.monotonic() - t0)
    backup_s = time.monotonic() - t0
    bout, berr = proc.communicate()
    h_during = hist()
finally:
    d.stop()

if proc.returncode != 0:
    sys.exit("backup failed: %s%s" % (bout, berr))
print("# %s" % bout.strip())
print("# backup took %.1f s, %d bytes; %d reads decided during it, %d before "
      "(CLOCK_MONOTONIC %.3f to %.3f s, to match a trace)" %
      (backup_s, os.path.getsize(out), len(during), len(base), t0, t0 + backup_s))
slowest = sorted(zip(during, ends), reverse=True)[:5]
print("# slowest reads during the backup (read -> reply, ended s after it began): " +
      ", ".join("%.1f ms at %.2f s" % (us / 1e3, at) for us, at in slowest))
h_none, h_bk = worst_bucket(h_start, h_base), worst_bucket(h_base, h_during)
b.report("read -> reply, no backup (daemon)", base)
b.report("read -> reply, during the backup (daemon)", during)
b.goal("worst decision during a backup", during[-1] if during else 0, "µs", b.AT_MOST,
       GOAL_US)
b.goal("decision p99.9 during a backup", b.pct(during, 0.999), "µs", b.AT_MOST, GOAL_US)
b.beside("worst decision, no backup", base[-1], "µs",
         "read -> reply, the same reads before the backup: what the machine does anyway")
b.beside("decision p99.9, no backup", b.pct(base, 0.999), "µs",
         "read -> reply, the same reads before the backup: what the machine does anyway")
b.beside("aeogated's slowest decision during a backup", h_bk * 1e6, "µs",
         "the bound of its own histogram's bucket, read -> lock or commit, no client; "
         "with no backup <= %g µs" % (h_none * 1e6))
b.beside("decision p99 during a backup", b.pct(during, 0.99), "µs",
         "read -> reply; with no backup %.0f µs" % b.pct(base, 0.99))
b.beside("backup duration", backup_s, "s", "%.0f MiB/s of database copied and written" %
         (os.path.getsize(out) / backup_s / 1048576))
v = subprocess.run([ctl, "audit", "verify", "--db", out], capture_output=True, text=True,
                   env=dict(os.environ, AEOGATED=os.path.join(a.build, "controller/aeogated")))
print("# audit verify --db: %s%s" % (v.stdout.strip(), v.stderr.strip()))
print("# decisions that disagreed with the generated data: %d" % wrong)
sys.exit(1 if wrong or v.returncode else 0)
