#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Decision latency through the real aeogated (issue 12), beside the
in-process figure of aeogate-bench-decide.

    bench/decide-daemon.py --build BUILD_DIR (--db DB | --state STATE_DIR)
                           [--reads N] [--config INI]

Starts aeogated on a database grown by aeogate-bench-gen (a DB through a
symlink in a temporary state directory, or run-all's STATE_DIR as it is),
with the product's checkpoints on (bench.ini keeps the default: one signed
every 1000 events) and one event follower attached (events.follow on a
second connection, as aeogate-web holds one per dashboard stream). Then,
one read at a time, sim.present on dock-1-in with the badges of
aeogate-bench-decide (half granted, half denied no_access, 1 in 20 unknown),
timed on one monotonic clock:

  read -> reply     sim.present sent to its reply received. aeogated
                    answers after core_reader_read returns, which is after
                    the lock command for a grant (and after the commit for
                    a denial): an upper bound of read -> lock through the
                    daemon, socket and JSON both ways included;
  read -> follower  sim.present sent to the follower receiving the event.

Beside them, the floor of the same path: a control-socket round trip of
system.status (one SQLite read, JSON both ways). Exits 1 when a decision
disagrees with the generated data or the lock is not released after a
grant; never because of time.
"""
import argparse
import atexit
import os
import random
import selectors
import shutil
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--build", required=True)
ap.add_argument("--db")
ap.add_argument("--state")
ap.add_argument("--reads", type=int, default=20000)
ap.add_argument("--config", default=os.path.join(ROOT, "bench/bench.ini"))
a = ap.parse_args()
if bool(a.db) == bool(a.state) or a.reads < 1:
    ap.error("give one of --db or --state, and --reads >= 1")

tmp = tempfile.mkdtemp(prefix="aeogate-decide-daemon-")
atexit.register(shutil.rmtree, tmp, True)
if a.state:
    state = os.path.realpath(a.state)
    db = os.path.join(state, "aeogate.db")
else:
    state = os.path.join(tmp, "state")
    db = os.path.realpath(a.db)
    os.mkdir(state)
    os.symlink(db, os.path.join(state, "aeogate.db"))


def db_counts():
    q = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    r = q.execute("SELECT (SELECT count(*) FROM persons), (SELECT max(seq) FROM events), "
                  "(SELECT count(*) FROM checkpoints)").fetchone()
    q.close()
    return r


persons, events, cps0 = db_counts()
if not persons:
    sys.exit("%s: no persons; grow it with aeogate-bench-gen first" % db)
b.machine("bench/decide-daemon.py --build %s %s --reads %d" %
          (a.build, "--state " + state if a.state else "--db " + db, a.reads))
print("# database: %d persons (one badge and one level each), %d events, %d checkpoints" %
      (persons, events or 0, cps0))

d = b.Daemon(a.build, a.config, state, tmp)
wrong = 0
try:
    gen = d.connect()
    follower = d.connect()
    since = follower.call("events.follow")["since"]
    print("# follower attached at seq %d; aeogated ready in %.1f ms" % (since, d.ready_s * 1000))
    sel = selectors.DefaultSelector()
    sel.register(gen.sock, selectors.EVENT_READ, gen)
    sel.register(follower.sock, selectors.EVENT_READ, follower)
    rng = random.Random(88172645463325252)
    reply_us = {True: [], False: []}
    event_us = []
    status_us = []
    warm = min(1000, a.reads)

    def present(timed):
        """One read; returns the reply, or counts it wrong. Waits for the follower too."""
        global wrong
        p = rng.randrange(persons)
        unknown = rng.randrange(20) == 19
        bits = b.h10301(200 if unknown else 1 + p // 65536, p % 65536)
        buffered = [c for c in (gen, follower) if b"\n" in c.buf]
        t0 = time.perf_counter_ns()
        rid = gen.send("sim.present", {"reader": "dock-1-in", "bits": bits})
        reply = seq = t_reply = t_event = None
        while t_reply is None or t_event is None:
            ready = buffered or [k.data for k, _ in sel.select()]
            buffered = []
            now = time.perf_counter_ns()
            for c in ready:
                m = c.line()
                if m is None:
                    sys.exit("aeogated closed the connection")
                if c is gen and m.get("id") == rid:
                    t_reply, reply = now, m
                    if not m.get("ok"):
                        sys.exit("sim.present: %s" % m)
                    seq = m["result"]["seq"]
                elif c is follower and "event" in m:
                    e = m["event"]
                    if e["kind"].startswith("access.") and e["reader"] == "dock-1-in" and \
                            (seq is None or e["seq"] == seq):
                        t_event = now
                        seq = e["seq"]
                if b"\n" in c.buf:
                    buffered.append(c)
        granted = reply["result"]["granted"]
        if granted != (not unknown and p % 2 == 1):
            wrong += 1
        if timed:
            reply_us[granted].append((t_reply - t0) / 1e3)
            event_us.append((t_event - t0) / 1e3)
        return granted

    for i in range(warm):
        present(False)
    grants = 0
    for i in range(a.reads):
        if present(True):
            grants += 1
            # The lock's own state, untimed: released after a grant.
            if grants % 100 == 1:
                doors = {x["name"]: x for x in gen.call("door.list")}
                if doors["dock-1"]["lock"] != "released":
                    wrong += 1
    for i in range(a.reads // 10 or 1):
        t0 = time.perf_counter_ns()
        gen.call("system.status")
        status_us.append((time.perf_counter_ns() - t0) / 1e3)
    mem = d.memory()
finally:
    d.stop()

_, events1, cps1 = db_counts()
print("# %d reads (%d grants, %d denials) after %d untimed; %d checkpoints signed meanwhile" %
      (a.reads, len(reply_us[True]), len(reply_us[False]), warm, cps1 - cps0))
b.report("grant: read -> reply (daemon)", reply_us[True])
b.report("deny: read -> reply (daemon)", reply_us[False])
b.report("read -> follower (daemon)", event_us)
b.report("floor: system.status round trip", status_us)
for q, name in ((0.99, "p99"), (0.999, "p99.9")):
    worse = max(b.pct(reply_us[True], q), b.pct(reply_us[False], q))
    b.beside("decision %s through the daemon" % name, worse, "µs",
             "read -> reply, the worse of grant and deny; the goal is in-process")
b.beside("floor: control-socket round trip p99", b.pct(status_us, 0.99), "µs",
         "the floor of decision p99 through the daemon")
print("aeogated RSS after the run: %s" % b.fmt_memory(mem))
print("# decisions that disagreed with the generated data: %d" % wrong)
sys.exit(1 if wrong else 0)
