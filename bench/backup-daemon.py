#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Decision latency during an online backup (issue 16, section 3).

    bench/backup-daemon.py --build BUILD_DIR --db DB [--config INI] [--warm N]

Starts aeogated on a database grown by aeogate-bench-gen (through a symlink
in a temporary state directory), times N reads one at a time with no
backup running (the baseline), then starts `aeogatectl backup FILE` and
keeps presenting reads, one at a time, until the backup is written: the
worst and the p99 read -> reply during the backup are the figures. The
backup is then checked offline (`aeogatectl audit verify --db`). Exits 1
when a decision disagrees with the generated data or the backup does not
verify; never because of time.
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
ap = argparse.ArgumentParser()
ap.add_argument("--build", required=True)
ap.add_argument("--db", required=True)
ap.add_argument("--warm", type=int, default=2000)
ap.add_argument("--config", default=os.path.join(ROOT, "bench/bench.ini"))
a = ap.parse_args()

tmp = tempfile.mkdtemp(prefix="aeogate-backup-bench-")
atexit.register(shutil.rmtree, tmp, True)
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
b.machine("bench/backup-daemon.py --build %s --db %s --warm %d" % (a.build, db, a.warm))
print("# database: %d persons, %d events, %d bytes" % (persons, events or 0, os.path.getsize(db)))
ctl = os.path.join(a.build, "controller/ctl/aeogatectl")
out = os.path.join(tmp, "backup.db")

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
    worst_at = 0.0
    while proc.poll() is None:
        during.append(present())
        if during[-1] == max(during):
            worst_at = time.monotonic() - t0
    backup_s = time.monotonic() - t0
    bout, berr = proc.communicate()
    h_during = hist()
finally:
    d.stop()

if proc.returncode != 0:
    sys.exit("backup failed: %s%s" % (bout, berr))
print("# %s" % bout.strip())
print("# backup took %.1f s, %d bytes; %d reads decided during it, %d before" %
      (backup_s, os.path.getsize(out), len(during), len(base)))
b.report("read -> reply, no backup (daemon)", base)
b.report("read -> reply, during the backup (daemon)", during)
b.beside("worst decision during a backup", max(during) if during else 0, "µs",
         "read -> reply through the daemon, the largest of %d reads" % len(during))
print("# the worst read ended %.2f s after the backup began" % worst_at)
print("# aeogated's own decision-latency histogram (read -> lock/commit, no client or socket): "
      "slowest decision no backup <= %g s, during the backup <= %g s" %
      (worst_bucket(h_start, h_base), worst_bucket(h_base, h_during)))
b.beside("decision p99 during a backup", b.pct(during, 0.99) if during else 0, "µs",
         "beside p99 with no backup: %.0f µs" % b.pct(base, 0.99))
v = subprocess.run([ctl, "audit", "verify", "--db", out], capture_output=True, text=True,
                   env=dict(os.environ, AEOGATED=os.path.join(a.build, "controller/aeogated")))
print("# audit verify --db: %s%s" % (v.stdout.strip(), v.stderr.strip()))
print("# decisions that disagreed with the generated data: %d" % wrong)
sys.exit(1 if wrong or v.returncode else 0)
