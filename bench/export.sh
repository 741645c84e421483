#!/bin/bash
# Export benchmark (issue 6, bench 4): rows per second and peak RSS of
# aeogatectl and of aeogated for `aeogatectl audit export` of a whole
# database, plus the time aeogated takes from exec to READY=1 on it (the
# audit module's start-up scan) and an offline `audit verify` of the file.
#
#   bench/export.sh BUILD_DIR DB [csv|jsonl ...]     (default: csv jsonl)
#
# The database is used in place through a symlink in a temporary state
# directory, so use a copy: aeogated migrates it, appends system.start/stop
# and raises the alarms the audit module finds. The export files go to
# EXPORT_DIR (default: the directory of DB, which should be on the disk
# being measured) and are removed after each run.
set -euo pipefail
BUILD=${1:?usage: bench/export.sh BUILD_DIR DB [csv|jsonl ...]}
DB=${2:?usage: bench/export.sh BUILD_DIR DB [csv|jsonl ...]}
shift 2
FORMATS=("$@")
[ ${#FORMATS[@]} -gt 0 ] || FORMATS=(csv jsonl)
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DB="$(realpath "$DB")"
OUTDIR=${EXPORT_DIR:-$(dirname "$DB")}
T=$(mktemp -d /tmp/aeogate-export.XXXXXX)
trap 'kill "$(cat "$T/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$T"; rm -f "$OUTDIR"/aeogate-export-bench.*' EXIT
mkdir -p "$T/state"
ln -s "$DB" "$T/state/aeogate.db"

echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "# cores: $(nproc) online"
echo "# kernel: $(uname -srm)"
echo "# bench/export.sh $BUILD $DB ${FORMATS[*]}"
echo "# database: $(du -h "$DB" | cut -f1), $(sqlite3 "$DB" 'SELECT max(seq) FROM events') events"

python3 - "$BUILD" "$ROOT/bench/bench.ini" "$T" "$OUTDIR" "${FORMATS[@]}" <<'PY'
import os, re, socket, subprocess, sys, time
build, ini, t, outdir = sys.argv[1:5]
formats = sys.argv[5:]
notify = os.path.join(t, "notify.sock")
ctl_sock = os.path.join(t, "ctl.sock")
ctl = os.path.join(build, "controller/ctl/aeogatectl")
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n.bind(notify)
n.settimeout(3600)
env = dict(os.environ, NOTIFY_SOCKET=notify)
t0 = time.monotonic()
p = subprocess.Popen([os.path.join(build, "controller/aeogated"), "-c", ini, "--state-dir",
                      os.path.join(t, "state"), "--socket", ctl_sock], env=env,
                     stderr=open(os.path.join(t, "log"), "w"))
open(os.path.join(t, "pid"), "w").write(str(p.pid))
while "READY=1" not in n.recv(4096).decode().split("\n"):
    pass
t_ready = time.monotonic() - t0

def status(pid):
    st = dict(l.split(":", 1) for l in open("/proc/%d/status" % pid))
    return int(st["VmRSS"].split()[0]) // 1024, int(st["VmHWM"].split()[0]) // 1024

rss0, hwm0 = status(p.pid)
print("aeogated exec -> READY=1:            %10.1f ms (RSS %d MiB, peak so far %d MiB)" %
      (t_ready * 1000, rss0, hwm0))

def timed(cmd):
    """Runs cmd under GNU time; returns (seconds, peak RSS MiB, stdout)."""
    tf = os.path.join(t, "time")
    r = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf] + cmd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit("%s failed: %s" % (" ".join(cmd), r.stderr))
    secs, kib = open(tf).read().split()[-2:]
    return float(secs), int(kib) // 1024, r.stdout

for fmt in formats:
    out = os.path.join(outdir, "aeogate-export-bench." + fmt)
    # Peak RSS of aeogated during this export alone: reset its high-water mark.
    with open("/proc/%d/clear_refs" % p.pid, "w") as f:
        f.write("5")
    t1 = time.monotonic()
    secs, ctl_mib, text = timed([ctl, "--socket", ctl_sock, "audit", "export", "--format", fmt,
                                 "-o", out])
    wall = time.monotonic() - t1
    _, d_hwm = status(p.pid)
    m = re.search(r": (\d+) rows of seq (\d+)-(\d+)", text)
    rows = int(m.group(1))
    size = os.path.getsize(out)
    vsecs, v_mib, vtext = timed([ctl, "audit", "verify", out])
    print("export %-5s %9d rows in %8.1f s = %8.0f rows/s, %7.1f MiB (%4.0f B/row); "
          "peak RSS aeogatectl %d MiB, aeogated %d MiB" %
          (fmt, rows, wall, rows / wall, size / 2**20, size / max(rows, 1), ctl_mib, d_hwm))
    print("verify %-5s %9d rows in %8.1f s = %8.0f rows/s (offline); peak RSS %d MiB; %s" %
          (fmt, rows, vsecs, rows / max(vsecs, 1e-9), v_mib, vtext.strip()))
    os.unlink(out)
    os.unlink(out + ".manifest.json")
p.terminate()
p.wait()
PY
