#!/bin/bash
# Bulk enrolment benchmark (issue 13, README "Bulk enrolment"): the time
# `aeogatectl person import` takes for a generated HR file of ROWS new
# people (default 100 000) against its goal (<= 10 s), with the peak RSS
# of aeogatectl and aeogated (memory must not grow with the file), and how
# long a badge read waits while the import runs: a second client presents
# an enrolled badge on a simulated reader over and over during the import,
# and its slowest answer is the longest the loop was held (a batch checked,
# or a slice of rows applied; on a loaded machine, also the time the
# process waited for a CPU). Then the export of every person and the
# re-import of that export (every row unchanged) are timed beside it.
#
#   bench/import.sh BUILD_DIR [ROWS]
#
# A fresh state directory in $BENCH_DIR (default /var/tmp), removed at the
# end; aeogated runs with bench/bench.ini.
set -euo pipefail
USAGE="usage: bench/import.sh BUILD_DIR [ROWS]"
BUILD=${1:?$USAGE}
ROWS=${2:-100000}
[[ "$ROWS" =~ ^[1-9][0-9]*$ ]] || { echo "$USAGE" >&2; exit 2; }
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(realpath "$BUILD")"
# The service's umask: aeogated refuses a state others may read.
umask 027
T=$(mktemp -d "${BENCH_DIR:-/var/tmp}/aeogate-import.XXXXXX")
trap 'kill "$(cat "$T/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$T"' EXIT
mkdir -p "$T/state"

PYTHONPATH="$ROOT/bench" python3 - "$BUILD" "$ROOT/bench/bench.ini" "$T" "$ROWS" <<'PY'
import os, re, subprocess, sys, threading, time
import benchlib as b
build, ini, t, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ctl = os.path.join(build, "controller/ctl/aeogatectl")
b.machine("bench/import.sh %s %d" % (build, rows))
d = b.Daemon(build, ini, os.path.join(t, "state"), t)
c = d.connect()
for level, zone in (("dock-staff", "dock"), ("cage-staff", "bonded-cage"), ("office-staff", "office")):
    c.call("level.add", {"name": level, "zones": [zone]})
# The badge the prober presents: enrolled before the import, granted at dock-1.
c.call("person.add", {"id": "PROBE", "name": "Probe", "levels": ["dock-staff"]})
c.call("badge.issue", {"person": "PROBE", "credential": "h10301:255:65535"})
c.close()

# An HR export: every column, two levels for some, one badge each, vetting for one in ten.
path = os.path.join(t, "people.csv")
with open(path, "w", newline="") as f:
    f.write("id,name,valid_from,valid_until,levels,credentials,vetting_status,vetting_checked,"
            "vetting_recheck_due,vetting_reference\r\n")
    levels = ("dock-staff", "cage-staff;dock-staff", "office-staff")
    for i in range(rows):
        vet = ("cleared,2026-01-05,2028-01-05,CASE-%d" % i) if i % 10 == 0 else ",,,"
        f.write('E%07d,"Person %d, Example",2026-01-01,2030-12-31,%s,h10301:%d:%d,%s\r\n' %
                (i, i, levels[i % 3], i // 65536, i % 65536, vet))
print("# file: %d rows, %.1f MiB" % (rows, os.path.getsize(path) / 2**20))

def timed(cmd):
    """Runs cmd under GNU time; returns (seconds, peak RSS MiB, stdout)."""
    tf = os.path.join(t, "time")
    t0 = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf] + cmd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    secs = time.monotonic() - t0
    if r.returncode != 0:
        raise SystemExit("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr[-2000:]))
    return secs, int(open(tf).read().split()[-1]) / 1024, r.stdout

# The prober: one read after another on dock-1-in while the import runs,
# and aeogated's anonymous memory sampled between them (its peak RSS counts
# the database file's mapped pages too).
bits = b.h10301(255, 65535)
lat, wrong, anon, stop = [], [], [0.0], threading.Event()
def probe():
    p = d.connect()
    while not stop.is_set():
        anon[0] = max(anon[0], d.memory()["anon"])
        t0 = time.monotonic()
        r = p.call("sim.present", {"reader": "dock-1-in", "bits": bits})
        lat.append((time.monotonic() - t0) * 1e6)
        if not r.get("granted"):
            wrong.append(r)
        time.sleep(0.005)
    p.close()

d.reset_peak()
th = threading.Thread(target=probe)
th.start()
secs, ctl_mib, out = timed([ctl, "--socket", d.socket, "person", "import", path])
stop.set()
th.join()
dm = d.memory()
print("import: %s" % out.strip())
m = re.search(r"added (\d+), updated (\d+), unchanged (\d+), badges (\d+)", out)
if not m or int(m.group(1)) != rows or int(m.group(4)) != rows:
    raise SystemExit("import did not add every row: %s" % out)
b.report("badge read during the import", lat)
b.goal("person import, %d rows" % rows, secs, "s", b.AT_MOST, 10)
b.beside("person import rate", rows / secs, "rows/s", "the goal is the time above")
b.beside("person import peak RSS aeogatectl", ctl_mib, "MiB", "must not grow with the file")
b.beside("person import peak RSS aeogated", dm["hwm"], "MiB", "the database's mapped pages too")
b.beside("person import peak anonymous aeogated", anon[0], "MiB", "must not grow with the file")
b.beside("badge read during the import, slowest", lat[-1] / 1000 if lat else 0, "ms",
         "one batch or slice at a time holds the loop")

# The prober leaves: the export is the file's people alone, as many as the import took.
c = d.connect()
c.call("person.terminate", {"id": "PROBE"})
c.close()
out_csv = os.path.join(t, "export.csv")
secs, ctl_mib, out = timed([ctl, "--socket", d.socket, "person", "export", out_csv])
b.beside("person export, %d persons" % rows, secs, "s", "beside the import")
secs, ctl_mib, out = timed([ctl, "--socket", d.socket, "person", "import", out_csv])
if "unchanged %d" % rows not in out:
    raise SystemExit("the export did not import unchanged: %s" % out)
b.beside("person import of that export (unchanged)", secs, "s", "nothing to write")
d.stop()
if wrong:
    raise SystemExit("a badge read during the import was denied: %s" % wrong[0])
PY
