#!/bin/bash
# Export benchmark (issue 6 bench 4, issue 12): rows per second of
# `aeogatectl audit export` of a whole database beside its goal (>= 500 000
# rows/s), the CPU time per row of both processes, the peak RSS of
# aeogatectl and of aeogated during it (memory must stay constant whatever
# the size), the time aeogated takes from exec to READY=1 on it, an
# offline `audit verify` of the file, and the floors measured on the same
# file first (aeogate-bench-export: SQLite alone, the store's row reader,
# the rows formatted without socket or file).
#
#   bench/export.sh BUILD_DIR DB|STATE_DIR [csv|jsonl ...]     (default: csv jsonl)
#
# A DB is used in place through a symlink in a temporary state directory,
# so use a copy: aeogated migrates it and appends system.start/stop. A
# STATE_DIR (bench/run-all's) is used as it is. The export files go to
# EXPORT_DIR (default: the directory of the database, which should be on
# the disk being measured) and are removed after each run.
set -euo pipefail
USAGE="usage: bench/export.sh BUILD_DIR DB|STATE_DIR [csv|jsonl ...]"
BUILD=${1:?$USAGE}
DB=${2:?$USAGE}
shift 2
FORMATS=("$@")
[ ${#FORMATS[@]} -gt 0 ] || FORMATS=(csv jsonl)
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
T=$(mktemp -d /tmp/aeogate-export.XXXXXX)
STATE="$T/state"
if [ -d "$DB" ]; then
	STATE="$(realpath "$DB")"
	DB="$STATE/aeogate.db"
else
	DB="$(realpath "$DB")"
	mkdir -p "$STATE"
	ln -s "$DB" "$STATE/aeogate.db"
fi
OUTDIR=${EXPORT_DIR:-$(dirname "$DB")}
trap 'kill "$(cat "$T/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$T"; rm -f "$OUTDIR"/aeogate-export-bench.*' EXIT

PYTHONPATH="$ROOT/bench" python3 - "$BUILD" "$ROOT/bench/bench.ini" "$STATE" "$T" "$OUTDIR" "$DB" "${FORMATS[@]}" <<'PY'
import os, re, sqlite3, subprocess, sys, threading, time
import benchlib as b
build, ini, state, t, outdir, db = sys.argv[1:7]
formats = sys.argv[7:]
ctl = os.path.join(build, "controller/ctl/aeogatectl")
b.machine("bench/export.sh %s %s %s" % (build, db, " ".join(formats)))
q = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
print("# database: %.1f MiB, %s events" % (os.path.getsize(db) / 2**20,
                                          q.execute("SELECT max(seq) FROM events").fetchone()[0]))
q.close()
# The floors, on the same file, before aeogated starts on it.
floor = subprocess.run([os.path.join(build, "bench/aeogate-bench-export"), "--db", db],
                       stdout=subprocess.PIPE, text=True)
if floor.returncode != 0:
    raise SystemExit("aeogate-bench-export failed")
print("\n".join(l for l in floor.stdout.splitlines() if l.startswith("floor:")))
d = b.Daemon(build, ini, state, t)
print("aeogated exec -> READY=1:            %10.1f ms; RSS %s" % (d.ready_s * 1000, b.fmt_memory(d.memory())))

def timed(cmd):
    """Runs cmd under GNU time; returns (seconds, peak RSS MiB, stdout, CPU seconds)."""
    tf = os.path.join(t, "time")
    r = subprocess.run(["/usr/bin/time", "-f", "%e %M %U %S", "-o", tf] + cmd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit("%s failed: %s" % (" ".join(cmd), r.stderr))
    secs, kib, user, sys_ = open(tf).read().split()[-4:]
    return float(secs), int(kib) / 1024, r.stdout, float(user) + float(sys_)

def cpu_s(pid):
    """User + system CPU seconds of a process so far, all its threads included."""
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

class AnonPeak:
    """Samples a process's anonymous memory every 10 ms until stopped: the
    kernel keeps a peak only of the whole RSS, which counts the database's
    mapped pages (PRAGMA mmap_size) that an export reads."""
    def __init__(self, pid):
        self.pid, self.peak, self.done = pid, 0.0, threading.Event()
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()
    def run(self):
        while not self.done.wait(0.01):
            self.peak = max(self.peak, b.memory(self.pid)["anon"])
    def stop(self):
        self.done.set()
        self.th.join()
        return max(self.peak, b.memory(self.pid)["anon"])

bad = 0
for fmt in formats:
    out = os.path.join(outdir, "aeogate-export-bench." + fmt)
    # Peak RSS of aeogated during this export alone: reset its high-water mark.
    d.reset_peak()
    t1 = time.monotonic()
    dcpu = cpu_s(d.pid)
    anon = AnonPeak(d.pid)
    secs, ctl_mib, text, ctl_cpu = timed([ctl, "--socket", d.socket, "audit", "export", "--format", fmt,
                                 "-o", out])
    wall = time.monotonic() - t1
    anon_mib = anon.stop()
    dcpu = cpu_s(d.pid) - dcpu
    dm = d.memory()
    m = re.search(r": (\d+) rows of seq (\d+)-(\d+)", text)
    rows = int(m.group(1))
    size = os.path.getsize(out)
    vsecs, v_mib, vtext, _ = timed([ctl, "audit", "verify", out])
    print("export %-5s %9d rows in %8.1f s = %8.0f rows/s, %7.1f MiB (%4.0f B/row)" %
          (fmt, rows, wall, rows / wall, size / 2**20, size / max(rows, 1)))
    print("export %-5s peak RSS: aeogatectl %.1f MiB; aeogated %.1f MiB (now %s)" %
          (fmt, ctl_mib, dm["hwm"], b.fmt_memory(dm)))
    # CPU time depends less on the machine's load than wall time does.
    print("export %-5s CPU: aeogatectl %.2f s, aeogated %.2f s = %.2f µs per row" %
          (fmt, ctl_cpu, dcpu, (ctl_cpu + dcpu) * 1e6 / max(rows, 1)))
    b.goal("export %s" % fmt, rows / wall, "rows/s", b.AT_LEAST, 500000)
    b.beside("export %s CPU per row, both processes" % fmt, (ctl_cpu + dcpu) * 1e6 / max(rows, 1),
             "µs", "user + sys of aeogatectl and aeogated; less load-sensitive than rows/s")
    b.beside("export %s peak RSS aeogatectl" % fmt, ctl_mib, "MiB", "must stay constant with size")
    b.beside("export %s peak RSS aeogated" % fmt, dm["hwm"], "MiB",
             "the database's mapped pages included (mmap_size); the anonymous peak below must stay constant")
    b.beside("export %s peak anonymous aeogated" % fmt, anon_mib, "MiB",
             "must stay constant with size (sampled every 10 ms)")
    print("verify %-5s %9d rows in %8.1f s = %8.0f rows/s (offline); peak RSS %.1f MiB; %s" %
          (fmt, rows, vsecs, rows / max(vsecs, 1e-9), v_mib, vtext.strip()))
    # The disk's floor: as many bytes written in 1 MiB pieces and fsync'd, as the export must.
    scratch = out + ".disk"
    chunk = b"\0" * (1 << 20)
    t1 = time.monotonic()
    with open(scratch, "wb") as f:
        left = size
        while left > 0:
            f.write(chunk[:min(left, len(chunk))])
            left -= len(chunk)
        f.flush()
        os.fsync(f.fileno())
    dsecs = time.monotonic() - t1
    os.unlink(scratch)
    b.beside("floor: disk writes %s's bytes + fsync" % fmt, rows / dsecs, "rows/s",
             "%.0f MB/s; the export writes and syncs as much" % (size / dsecs / 1e6))
    os.unlink(out)
    os.unlink(out + ".manifest.json")
d.stop()
PY
