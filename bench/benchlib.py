# SPDX-License-Identifier: MIT
"""What the Python benches share: the machine banner, the goal line, a real
aeogated started as systemd would start it, its memory, and H10301 frames.

The goal line is the one bench.h's bench_goal() prints (bench/README.md
gives the format); bench/run-all collects those lines into its summary.
"""
import json
import os
import platform
import socket
import subprocess
import time

AT_MOST, AT_LEAST = "≤", "≥"


def machine(command):
    """Prints the banner every result is printed under, then the command."""
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    u = platform.uname()
    print("# date: %s" % time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    print("# cpu: %s" % model)
    print("# cores: %d online" % os.cpu_count())
    print("# kernel: %s %s %s" % (u.system, u.release, u.machine))
    print("# %s" % command, flush=True)


def goal(figure, value, unit, kind, target):
    """One figure beside its goal and the ratio figure / goal; True when missed."""
    missed = value > target if kind == AT_MOST else value < target
    print("%-44s %10.*f %s  goal %s %.0f %s  %.2f×%s" %
          (figure, 0 if value >= 1000 else 1, value, unit, kind, target, unit,
           value / target, "  MISSED" if missed else ""), flush=True)
    return missed


def beside(figure, value, unit, why):
    """A figure without a goal of its own, printed beside those that have one."""
    print("%-44s %10.*f %s  (no goal: %s)" % (figure, 0 if value >= 1000 else 1, value, unit, why),
          flush=True)


def pct(v, q):
    """The value at quantile q of v, sorted ascending (as bench.h's bench_pct)."""
    return v[min(len(v) - 1, int(len(v) * q))] if v else 0


def report(what, us):
    """Sorts us (microseconds) and prints n, p50, p99, p99.9, max (as bench_report)."""
    us.sort()
    if not us:
        print("%-34s n=0" % what)
        return
    print("%-34s n=%-8d p50=%9.1f us  p99=%9.1f us  p99.9=%9.1f us  max=%9.1f us" %
          (what, len(us), pct(us, 0.5), pct(us, 0.99), pct(us, 0.999), us[-1]), flush=True)


def h10301(fc, cn):
    """The 26 bits of an H10301 frame, as sim.present takes them."""
    b = [0] + [int(x) for x in format(fc, "08b") + format(cn, "016b")] + [0]
    b[0] = sum(b[1:13]) % 2
    b[25] = 1 - sum(b[13:25]) % 2
    return "".join(map(str, b))


def memory(pid):
    """A process's memory in MiB from /proc: rss, peak (hwm), anonymous, file-mapped."""
    st = dict(line.split(":", 1) for line in open("/proc/%d/status" % pid))
    mib = lambda k: int(st.get(k, "0 kB").split()[0]) / 1024
    return {"rss": mib("VmRSS"), "hwm": mib("VmHWM"), "anon": mib("RssAnon"),
            "file": mib("RssFile")}


def fmt_memory(m):
    return "%.1f MiB (anonymous %.1f, file-mapped %.1f; peak %.1f)" % (
        m["rss"], m["anon"], m["file"], m["hwm"])


class Connection:
    """One control-socket connection: newline-delimited JSON, one request at a time."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 0

    def send(self, op, args=None):
        self.next_id += 1
        m = {"id": self.next_id, "op": op}
        if args is not None:
            m["args"] = args
        self.sock.sendall((json.dumps(m) + "\n").encode())
        return self.next_id

    def line(self):
        """The next message, or None when the peer closed."""
        while b"\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                return None
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, op, args=None):
        self.send(op, args)
        r = self.line()
        if not r or not r.get("ok"):
            raise SystemExit("%s: %s" % (op, r))
        return r["result"]

    def close(self):
        self.sock.close()


class Daemon:
    """aeogated on a state directory, started with a NOTIFY_SOCKET listener
    so exec -> READY=1 is timed as systemd sees it."""

    def __init__(self, build, ini, state_dir, tmp, timeout=3600):
        self.socket = os.path.join(tmp, "ctl.sock")
        notify = os.path.join(tmp, "notify.sock")
        if os.path.exists(notify):
            os.unlink(notify)
        n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        n.bind(notify)
        env = dict(os.environ, NOTIFY_SOCKET=notify)
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [os.path.join(build, "controller/aeogated"), "-c", ini, "--state-dir", state_dir,
             "--socket", self.socket], env=env,
            stderr=open(os.path.join(tmp, "aeogated.log"), "a"))
        self.pid = self.proc.pid
        with open(os.path.join(tmp, "pid"), "w") as f:
            f.write(str(self.pid))
        # Short waits, so a daemon that refused to start is seen at once, not after timeout.
        n.settimeout(1)
        while True:
            try:
                if "READY=1" in n.recv(4096).decode().split("\n"):
                    break
            except socket.timeout:
                pass
            if self.proc.poll() is not None or time.monotonic() - t0 > timeout:
                self.stop()
                raise SystemExit("aeogated did not become ready; see %s/aeogated.log" % tmp)
        self.ready_s = time.monotonic() - t0
        n.close()
        c = Connection(self.socket)
        c.call("system.status")
        c.close()
        self.answer_s = time.monotonic() - t0

    def connect(self):
        return Connection(self.socket)

    def memory(self):
        return memory(self.pid)

    def reset_peak(self):
        """Resets VmHWM, so the next peak is of what follows alone."""
        with open("/proc/%d/clear_refs" % self.pid, "w") as f:
            f.write("5")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
