#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The MQTT uplink (issue 18): aeogate-sync between a real aeogated and a
real Mosquitto (mutual TLS and a password file, on loopback).

    bench/sync-bench.py --build BUILD_DIR [--backlog N] [--reads N] [--live N]

1. aeogated starts on a fresh state directory (bench/bench.ini) and gets a
   backlog of N events (sim.present reads, default 20 000) before any
   uplink runs; meanwhile --reads timed reads give the decision p99 with no
   uplink (the baseline).
2. A subscriber (mosquitto_sub, QoS 1) is attached, then aeogate-sync starts
   at cursor 0: the backlog drain rate is the backlog over the time from its
   start until the subscriber has every seq of it. Meanwhile the same number
   of timed reads give the decision p99 while the backlog drains.
3. Live: --live reads (default 2000) as fast as one client makes them, each
   event timed from its read to the subscriber; events/s through the broker
   is what arrived over that time.

Exits 1 when an event is missing at the subscriber or the cursor did not
reach the newest event; never because of time.
"""
import argparse
import atexit
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--build", required=True)
ap.add_argument("--backlog", type=int, default=20000)
ap.add_argument("--reads", type=int, default=2000)
ap.add_argument("--live", type=int, default=2000)
ap.add_argument("--config", default=os.path.join(ROOT, "bench/bench.ini"))
a = ap.parse_args()
if a.backlog < 1 or a.reads < 1 or a.live < 1:
    ap.error("--backlog, --reads and --live must be at least 1")
for tool in ("mosquitto", "mosquitto_sub", "mosquitto_passwd", "openssl"):
    if not shutil.which(tool):
        sys.exit("%s is missing (scripts/deps installs it)" % tool)

tmp = tempfile.mkdtemp(prefix="aeogate-sync-bench-")
atexit.register(shutil.rmtree, tmp, True)
os.umask(0o027)
procs = []


def stop_all():
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


atexit.register(stop_all)


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def certs(d):
    """A throwaway CA, a server certificate for 127.0.0.1 and a client one (as mqtt_lib.sh)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    sh("openssl", "req", "-x509", *ec, "-keyout", d + "/ca.key", "-out", d + "/ca.crt",
       "-days", "2", "-subj", "/CN=bench CA", "-addext", "basicConstraints=critical,CA:TRUE")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\n"), ("client", "")):
        sh("openssl", "req", *ec, "-keyout", "%s/%s.key" % (d, name), "-out",
           "%s/%s.csr" % (d, name), "-subj", "/CN=" + name)
        with open("%s/%s.ext" % (d, name), "w") as f:
            f.write(ext or "extendedKeyUsage=clientAuth\n")
        sh("openssl", "x509", "-req", "-in", "%s/%s.csr" % (d, name), "-CA", d + "/ca.crt",
           "-CAkey", d + "/ca.key", "-CAcreateserial", "-days", "2", "-extfile",
           "%s/%s.ext" % (d, name), "-out", "%s/%s.crt" % (d, name))


b.machine("bench/sync-bench.py --build %s --backlog %d --reads %d --live %d" %
          (a.build, a.backlog, a.reads, a.live))

# ---- the broker ----
mq = os.path.join(tmp, "mqtt")
os.makedirs(mq + "/db")
certs(mq)
password = "bench-%d" % random.randrange(1 << 30)
with open(mq + "/password", "w") as f:
    f.write(password + "\n")
sh("mosquitto_passwd", "-c", "-b", mq + "/passwd", "bench", password)
import socket  # noqa: E402

s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
with open(mq + "/mosquitto.conf", "w") as f:
    f.write("""user %s
allow_anonymous false
password_file %s/passwd
persistence true
persistence_location %s/db/
max_queued_messages 1000000
log_dest stderr
log_type error
listener %d 127.0.0.1
cafile %s/ca.crt
certfile %s/server.crt
keyfile %s/server.key
require_certificate true
""" % (os.environ.get("USER") or subprocess.check_output(["id", "-un"]).decode().strip(),
       mq, mq, port, mq, mq, mq))
def niced():
    """aeogate-sync runs at Nice=10 (its unit); the broker and the subscriber
    stand for other machines, so they give way to aeogated too."""
    os.nice(10)


procs.append(subprocess.Popen(["mosquitto", "-c", mq + "/mosquitto.conf"], preexec_fn=niced,
                              stderr=open(tmp + "/mosquitto.log", "a")))
client = ["-h", "127.0.0.1", "-p", str(port), "--cafile", mq + "/ca.crt", "--cert",
          mq + "/client.crt", "--key", mq + "/client.key", "-u", "bench", "-P", password]
t0 = time.monotonic()
while subprocess.run(["mosquitto_pub", *client, "-t", "bench/ready", "-m", "x"],
                     stderr=subprocess.DEVNULL).returncode:
    if time.monotonic() - t0 > 20:
        sys.exit("mosquitto did not come up; see %s/mosquitto.log" % tmp)
    time.sleep(0.1)

# ---- the controller ----
state = os.path.join(tmp, "state")
os.mkdir(state)
d = b.Daemon(a.build, a.config, state, tmp)
procs.append(d.proc)
gen = d.connect()
rng = random.Random(5)


def read():
    """One read of an unknown badge (a denial: one event); its read -> reply in µs and seq."""
    bits = b.h10301(rng.randrange(1, 255), rng.randrange(65536))
    t = time.perf_counter_ns()
    r = gen.call("sim.present", {"reader": "dock-1-in", "bits": bits})
    return (time.perf_counter_ns() - t) / 1e3, r["seq"], t


base_us = []
for i in range(a.backlog):
    us, _, _ = read()
    if i >= a.backlog - a.reads:
        base_us.append(us)
backlog_last = gen.call("system.status")["last_seq"]
print("# backlog: %d events (seq 1-%d) before the uplink starts" % (backlog_last, backlog_last))

# ---- the subscriber: each event's seq and arrival time ----
arrived = {}
lock = threading.Lock()
sub = subprocess.Popen(["stdbuf", "-oL", "mosquitto_sub", *client, "-q", "1", "-t", "aeogate/bench/gw-1/events"],
                       stdout=subprocess.PIPE, stderr=open(tmp + "/sub.log", "a"),
                       preexec_fn=niced)
procs.append(sub)


def collect():
    import json
    for line in sub.stdout:
        now = time.perf_counter_ns()
        seq = json.loads(line)["seq"]
        with lock:
            arrived.setdefault(seq, now)


threading.Thread(target=collect, daemon=True).start()
time.sleep(1)  # subscribed (QoS 1, clean session: what is published from here on)

with open(tmp + "/sync.ini", "w") as f:
    f.write("""[sync]
broker = mqtts://127.0.0.1:%d
ca_file = %s/ca.crt
cert_file = %s/client.crt
key_file = %s/client.key
username = bench
password_file = %s/password
site = bench
client_id = gw-1
""" % (port, mq, mq, mq, mq))
t_start = time.perf_counter_ns()
sync = subprocess.Popen([os.path.join(a.build, "controller/sync/aeogate-sync"), "-c",
                         tmp + "/sync.ini", "--socket", d.socket],
                        stderr=open(tmp + "/sync.log", "a"), preexec_fn=niced)
procs.append(sync)

# Reads while the backlog drains, until it is drained or the reads are done.
drain_us = []
for i in range(a.reads):
    us, _, _ = read()
    drain_us.append(us)
    with lock:
        if all(s in arrived for s in range(1, backlog_last + 1)):
            break


def wait_all(upto, limit_s):
    t = time.monotonic()
    while True:
        with lock:
            missing = [s for s in range(1, upto + 1) if s not in arrived]
        if not missing or time.monotonic() - t > limit_s:
            return missing
        time.sleep(0.05)


missing = wait_all(backlog_last, 600)
if missing:
    sys.exit("%d backlog events never reached the subscriber (first %d); see %s/sync.log" %
             (len(missing), missing[0], tmp))
with lock:
    t_drained = max(arrived[s] for s in range(1, backlog_last + 1))
drain_s = (t_drained - t_start) / 1e9
print("# %d reads made while it drained (of %d)" % (len(drain_us), a.reads))

# ---- live: once what came in meanwhile is through too ----
missing = wait_all(gen.call("system.status")["last_seq"], 600)
if missing:
    sys.exit("%d events never reached the subscriber (first %d)" % (len(missing), missing[0]))
live = []
for i in range(a.live):
    _, seq, t = read()
    live.append((seq, t))
last = gen.call("system.status")["last_seq"]
missing = wait_all(last, 120)
if missing:
    sys.exit("%d live events never reached the subscriber (first %d)" % (len(missing), missing[0]))
with lock:
    live_us = [(arrived[s] - t) / 1e3 for s, t in live]
    live_s = (max(arrived[s] for s, _ in live) - live[0][1]) / 1e9
cursor = gen.call("sync.cursor")
t = time.monotonic()
while cursor["forwarded_seq"] < last and time.monotonic() - t < 30:
    time.sleep(0.2)
    cursor = gen.call("sync.cursor")

b.report("no uplink: read -> reply", base_us)
b.report("backlog draining: read -> reply", drain_us)
b.report("live: read -> subscriber", live_us)
b.goal("backlog drain rate", backlog_last / drain_s, "events/s", b.AT_LEAST,
       0.9 * 2000)  # AEOGATE_SYNC_DRAIN_PER_S: the drain runs at its cap
base99 = b.pct(sorted(base_us), 0.99)
b.goal("decision p99 while the backlog drains", b.pct(sorted(drain_us), 0.99), "µs", b.AT_MOST,
       max(base99 * 1.2, 1.0))
b.beside("decision p99 with no uplink", base99, "µs", "the baseline of the goal above (x 1.2)")
b.beside("events/s through the broker, live", len(live) / live_s, "events/s",
         "as fast as one client's reads come")
b.beside("live: read -> subscriber p99", b.pct(sorted(live_us), 0.99), "µs",
         "commit, stream, TLS publish, broker, subscriber")
print("aeogated RSS after the run: %s" % b.fmt_memory(d.memory()))
print("aeogate-sync RSS after the run: %s" % b.fmt_memory(b.memory(sync.pid)))
with open("/proc/%d/stat" % sync.pid) as f:
    cpu_s = sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:13]) / os.sysconf("SC_CLK_TCK")
b.beside("aeogate-sync CPU per 1000 events", cpu_s * 1000 / last * 1000, "ms",
         "JSON in, TLS out; at nice 10")
ok = cursor["forwarded_seq"] >= last
print("# cursor %d of %d" % (cursor["forwarded_seq"], last))
sys.exit(0 if ok else 1)
