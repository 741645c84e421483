#!/bin/bash
# The package's units under a real systemd (issue 16): the amd64 package
# installed with dpkg -i (its maintainer scripts run: sysusers, tmpfiles,
# enable) into a copy-on-write root, and systemd 252 booted as PID 1 of a
# private pid, mount, UTS and IPC namespace over it. Nothing outside the namespace
# changes: the root is an overlay whose upper layer is a tmpfs, with its own
# /run and /tmp; the host's devices are visible but udev and the /dev setup
# units are masked.
#
# It checks what systemd-analyze verify cannot: the service stays skipped
# (not failed) until the config names a door, Type=notify reaches ready
# under the full hardening, the process runs as aeogate, systemctl reload
# re-reads the config (config.reloaded, same process), a kill -9 is
# restarted by Restart=, aeogate-web comes up on its own user and serves
# the dashboard, the office hub's two units collect and serve this
# controller's events through a real broker, and a stop is recorded.
#
# Skips (77) where the machine cannot: not root, or no unshare, systemd,
# overlayfs or cgroup2.
source "$(dirname "$0")/lib.sh"

skip() {
	echo "SKIP: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root (mounts, a pid namespace)"
command -v unshare >/dev/null || skip "no unshare"
[ -x /lib/systemd/systemd ] || skip "no /lib/systemd/systemd"
grep -qw cgroup2 /proc/filesystems || skip "the kernel has no cgroup2"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || skip "no overlayfs"
grep -qw overlay /proc/filesystems || skip "no overlayfs"

ARCH="$(dpkg --print-architecture)"
VERSION="$(dpkg-parsechangelog -l "$SOURCE_DIR/debian/changelog" -S Version)"
DEB="${AEOGATE_PACKAGE_DEB:-}"
if [ -z "$DEB" ]; then
	"$SOURCE_DIR/scripts/package" "$ARCH" >"$T/package.log" 2>&1 ||
		{ tail -n 40 "$T/package.log" >&2; fail "scripts/package $ARCH failed"; }
	DEB="$SOURCE_DIR/dist/aeogate_${VERSION}_${ARCH}.deb"
fi
[ -f "$DEB" ] || fail "no package at $DEB"

# Runs inside the namespaces: builds the root, installs the package, boots systemd.
cat >"$T/boot.sh" <<'EOF'
set -e
# As a machine boots: the tests' umask (027) would make the overlay's root
# 0750, and every service user fail to chdir("/").
umask 022
W=$1 DEB=$2
mount -t tmpfs tmpfs "$W"
mkdir -p "$W/u" "$W/w" "$W/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$W/u,workdir=$W/w" "$W/root"
R=$W/root
mount -t proc proc "$R/proc"
mount -t sysfs -o ro sysfs "$R/sys"
mount -t tmpfs tmpfs "$R/sys/fs/cgroup"
mount -t cgroup2 cgroup2 "$R/sys/fs/cgroup"
mount --rbind /dev "$R/dev"
mount -t tmpfs tmpfs "$R/run"
mount -t tmpfs tmpfs "$R/tmp"
cp "$DEB" "$R/tmp/aeogate.deb"
# No start from the maintainer scripts: systemd is not running yet.
chroot "$R" dpkg -i /tmp/aeogate.deb
mkdir -p "$R/run/systemd/system"
printf '[Unit]\nDescription=aeogate test target\n' >"$R/run/systemd/system/aeogate-test.target"
# Nothing that would touch the host's devices, or boot-time work a test does not need.
for u in systemd-tmpfiles-setup-dev.service systemd-udevd.service systemd-udev-trigger.service \
	systemd-udev-settle.service systemd-remount-fs.service systemd-update-utmp.service \
	systemd-random-seed.service systemd-sysctl.service systemd-modules-load.service \
	systemd-binfmt.service systemd-hwdb-update.service kmod-static-nodes.service \
	systemd-tmpfiles-clean.timer apt-daily.timer apt-daily-upgrade.timer; do
	ln -s /dev/null "$R/run/systemd/system/$u"
done
# pivot_root, not chroot: a chrooted process may not make user namespaces
# (aeogate-web.service's PrivateUsers=yes).
cd "$R"
pivot_root . mnt
umount -l /mnt
exec env container=aeogate-test /lib/systemd/systemd --system --unit=aeogate-test.target
EOF
mkdir -p "$T/ns"
unshare --mount --pid --uts --ipc --fork --kill-child --propagation private \
	bash "$T/boot.sh" "$T/ns" "$DEB" >"$T/boot.log" 2>&1 &
BOOT=$!
NS=""
# unshare hands SIGTERM on to systemd, which as PID 1 does not die of it:
# the namespace ends when its PID 1 is killed.
ns_cleanup() {
	local rc=$?
	set +e
	[ -z "$NS" ] || kill -KILL "$NS" 2>/dev/null
	wait "$BOOT" 2>/dev/null
	(exit $rc)
	cleanup
}
trap ns_cleanup EXIT

ns_pid() {
	pgrep -P "$BOOT" -x systemd
}
wait_for 120 ns_pid || { tail -n 40 "$T/boot.log" >&2; fail "systemd did not start in the namespace"; }
NS="$(ns_pid)"
in_ns() {
	nsenter -t "$NS" -m -p -r -w "$@"
}
booted() {
	case "$(in_ns systemctl is-system-running 2>/dev/null)" in
	running | degraded) return 0 ;;
	esac
	return 1
}
wait_for 120 booted || { tail -n 40 "$T/boot.log" >&2; fail "systemd did not finish booting"; }
grep -q "Setting up aeogate" "$T/boot.log" || fail "dpkg -i did not set the package up"
pass "dpkg -i in a copy-on-write root, systemd $(in_ns systemctl --version | sed -n 1p | cut -d' ' -f2) booted as PID 1 over it"

prop() {
	in_ns systemctl show "$1" -p "$2" --value
}
journal() {
	in_ns systemctl status "$1" --no-pager >&2 || true
	in_ns journalctl -u "$1" --no-pager 2>/dev/null | tail -n 30 >&2 || true
}

# The package's own config names no door: started, it is skipped, not failed.
in_ns systemctl start aeogated.service || fail "systemctl start on the default config failed"
[ "$(prop aeogated ActiveState)" = inactive ] || fail "aeogated is $(prop aeogated ActiveState) on a config with no door"
[ "$(prop aeogated Result)" = exec-condition ] || fail "Result=$(prop aeogated Result), not exec-condition"
[ "$(prop aeogated UnitFileState)" = enabled ] || fail "postinst did not enable aeogated"
pass "with the package's config (no door) the service is skipped by ExecCondition=, not failed; enabled"

# An integrator's first config: one door on the simulated board.
in_ns sh -c 'cat >/etc/aeogate/aeogate.ini' <<'EOF'
[controller]
site_name = systemd test

[door dock-1]
zone = dock
lock = sim
contact = sim
rex = sim
strike_time = 5s

[reader dock-1-in]
type = sim
door = dock-1
EOF
in_ns systemctl start aeogated.service || { journal aeogated; fail "aeogated did not start"; }
[ "$(prop aeogated ActiveState)/$(prop aeogated SubState)" = active/running ] ||
	{ journal aeogated; fail "aeogated is $(prop aeogated ActiveState)/$(prop aeogated SubState)"; }
[ "$(prop aeogated StatusText)" = deciding ] || fail "status text: $(prop aeogated StatusText)"
[ "$(prop aeogated WatchdogUSec)" = 10s ] || fail "WatchdogUSec=$(prop aeogated WatchdogUSec)"
MAIN="$(prop aeogated MainPID)"
[ "$(in_ns ps -o user= -p "$MAIN")" = aeogate ] || fail "aeogated runs as $(in_ns ps -o user= -p "$MAIN")"
out="$(in_ns aeogatectl door list)"
expect_contains "$out" "dock-1"
expect_contains "$out" "locked"
pass "a door in the config: Type=notify reached ready (\"deciding\") under the unit's hardening, as user aeogate, watchdog 10s; aeogatectl door list answers"

# systemctl reload: the same process reads the changed config.
in_ns sed -i 's/^strike_time = 5s/strike_time = 7s/' /etc/aeogate/aeogate.ini
in_ns systemctl reload aeogated.service || { journal aeogated; fail "systemctl reload failed"; }
reloaded() {
	local ev
	ev="$(in_ns aeogatectl events --json)" && grep '"config.reloaded"' <<<"$ev" | grep -q 'strike_time'
}
wait_for 60 reloaded || { journal aeogated; fail "no config.reloaded naming strike_time after systemctl reload"; }
[ "$(prop aeogated MainPID)" = "$MAIN" ] || fail "reload restarted the process"
pass "systemctl reload (ExecReload=): config.reloaded names strike_time, same process"

# kill -9: Restart= brings it back, and it answers again.
in_ns systemctl kill -s KILL aeogated.service
restarted() {
	[ "$(prop aeogated NRestarts)" -ge 1 ] && [ "$(prop aeogated SubState)" = running ] &&
		in_ns aeogatectl door list >/dev/null
}
wait_for 60 restarted || { journal aeogated; fail "aeogated was not restarted after kill -9"; }
[ "$(prop aeogated MainPID)" != "$MAIN" ] || fail "the same MainPID after kill -9"
pass "kill -9: Restart= started it again ($(prop aeogated NRestarts) restart), and it answers"

# aeogate-web on a free port (a drop-in, as an integrator would change it).
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
in_ns mkdir -p /run/systemd/system/aeogate-web.service.d
in_ns sh -c "cat >/run/systemd/system/aeogate-web.service.d/port.conf" <<EOF
[Service]
ExecStart=
ExecStart=/usr/sbin/aeogate-web --socket /run/aeogate/aeogated.sock --listen 127.0.0.1:$PORT --ui /usr/share/aeogate/ui
EOF
in_ns systemctl daemon-reload
in_ns systemctl start aeogate-web.service || { journal aeogate-web; fail "aeogate-web did not start"; }
[ "$(prop aeogate-web SubState)" = running ] || { journal aeogate-web; fail "aeogate-web is $(prop aeogate-web SubState)"; }
WEB="$(prop aeogate-web MainPID)"
[ "$(in_ns ps -o user= -p "$WEB")" = aeogate-web ] || fail "aeogate-web runs as $(in_ns ps -o user= -p "$WEB")"
page="$(in_ns curl -fsS "http://127.0.0.1:$PORT/")" || { journal aeogate-web; fail "no dashboard on port $PORT"; }
expect_contains "$page" "<html"
me="$(in_ns curl -fsS "http://127.0.0.1:$PORT/api/me")" || fail "/api/me failed"
expect_contains "$me" '"signed_in":false'
pass "aeogate-web: Type=notify ready as user aeogate-web; serves the dashboard and reaches aeogated (/api/me)"

# The office hub on the same machine, fed by this controller's
# aeogate-sync.service through a real broker (mutual TLS, a password) on
# the host's loopback: the namespace shares the host's network. Each unit
# gets its own copy of the broker's files, readable by its own group.
source "$(dirname "$0")/mqtt_lib.sh"
mqtt_start
put() { # put MODE GROUP DEST <FILE: a file into the namespace
	in_ns sh -c "cat >'$3' && chgrp '$2' '$3' && chmod '$1' '$3'"
}
for who in sync hub; do
	in_ns install -d -m 0750 -g "aeogate-$who" "/etc/aeogate/mqtt-$who"
	put 0640 "aeogate-$who" "/etc/aeogate/mqtt-$who/ca.crt" <"$MQTT_CA"
	put 0640 "aeogate-$who" "/etc/aeogate/mqtt-$who/client.crt" <"$MQTT_CERT"
	put 0640 "aeogate-$who" "/etc/aeogate/mqtt-$who/client.key" <"$MQTT_KEY"
	put 0640 "aeogate-$who" "/etc/aeogate/mqtt-$who/password" <"$MQTT_PASSFILE"
done
in_ns systemctl start aeogate-hub.service
[ "$(prop aeogate-hub ActiveState)" = inactive ] && [ "$(prop aeogate-hub ConditionResult)" = no ] ||
	fail "without hub.conf aeogate-hub is $(prop aeogate-hub ActiveState), condition $(prop aeogate-hub ConditionResult)"
# broker_keys WHO: a [hub] or [sync] section's broker keys, with WHO's copies of the files.
broker_keys() {
	cat <<EOF
broker = $MQTT_URL
ca_file = /etc/aeogate/mqtt-$1/ca.crt
cert_file = /etc/aeogate/mqtt-$1/client.crt
key_file = /etc/aeogate/mqtt-$1/client.key
username = $MQTT_USER
password_file = /etc/aeogate/mqtt-$1/password
EOF
}
{
	echo "[hub]"
	broker_keys hub
	printf 'client_id = hub-units\nsites = site-u\ndb = /var/lib/aeogate-hub/hub.db\n'
} | put 0640 aeogate-hub /etc/aeogate/hub.conf
{
	printf '\n[sync]\n'
	broker_keys sync
	printf 'client_id = gw-u1\nsite = site-u\n'
} | in_ns sh -c 'cat >>/etc/aeogate/aeogate.ini'
in_ns systemctl restart aeogated.service || { journal aeogated; fail "aeogated did not start with [sync]"; }
in_ns systemctl start aeogate-hub.service || { journal aeogate-hub; fail "aeogate-hub did not start"; }
in_ns systemctl start aeogate-sync.service || { journal aeogate-sync; fail "aeogate-sync did not start"; }
HUB_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
in_ns mkdir -p /run/systemd/system/aeogate-hub-serve.service.d
in_ns sh -c "cat >/run/systemd/system/aeogate-hub-serve.service.d/port.conf" <<EOF
[Service]
ExecStart=
ExecStart=/usr/bin/aeogate-hub serve -c /etc/aeogate/hub.conf --listen 127.0.0.1:$HUB_PORT --ui /usr/share/aeogate/ui
EOF
in_ns systemctl daemon-reload
in_ns systemctl start aeogate-hub-serve.service || { journal aeogate-hub-serve; fail "aeogate-hub serve did not start"; }
for u in aeogate-hub aeogate-hub-serve; do
	pid="$(prop "$u" MainPID)"
	[ "$(in_ns ps -o user= -p "$pid")" = aeogate-hub ] || { journal "$u"; fail "$u runs as $(in_ns ps -o user= -p "$pid")"; }
done
[ "$(in_ns ps -o user= -p "$(prop aeogate-sync MainPID)")" = aeogate-sync ] || fail "aeogate-sync runs as another user"
in_fleet() {
	in_ns curl -fsS "http://127.0.0.1:$HUB_PORT/api/fleet" >"$T/fleet.json" 2>/dev/null &&
		python3 - "$T/fleet.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
c = [c for c in f["controllers"] if c["controller"] == "gw-u1"]
assert c and c[0]["site"] == "site-u" and c[0]["verified_seq"] >= 1, f
PY
}
wait_for 90 in_fleet || {
	journal aeogate-sync
	journal aeogate-hub
	journal aeogate-hub-serve
	fail "the fleet page does not show gw-u1 with verified events: $(cat "$T/fleet.json" 2>/dev/null)"
}
pass "the office hub's units: skipped without hub.conf; with it, as user aeogate-hub, they collect this controller's events from aeogate-sync.service and serve /api/fleet"

HUBPID="$(prop aeogate-hub MainPID)"
in_ns systemctl kill -s KILL aeogate-hub.service
hub_restarted() {
	[ "$(prop aeogate-hub NRestarts)" -ge 1 ] && [ "$(prop aeogate-hub SubState)" = running ] &&
		[ "$(prop aeogate-hub MainPID)" != "$HUBPID" ]
}
wait_for 60 hub_restarted || { journal aeogate-hub; fail "aeogate-hub was not restarted after kill -9"; }
in_ns systemctl stop aeogate-hub-serve.service aeogate-hub.service aeogate-sync.service
pass "kill -9 of aeogate-hub: Restart= started it again"

# A stop is recorded: system.stop is the last event before the next start.
in_ns systemctl stop aeogate-web.service aeogated.service
[ "$(prop aeogated ActiveState)" = inactive ] || fail "aeogated is $(prop aeogated ActiveState) after stop"
in_ns systemctl start aeogated.service || { journal aeogated; fail "aeogated did not start again"; }
# Into a variable first: grep -q leaving early would kill aeogatectl with SIGPIPE (pipefail).
events="$(in_ns aeogatectl events --json)"
grep -q '"system.stop"' <<<"$events" || { journal aeogated; fail "no system.stop recorded by systemctl stop"; }
in_ns systemctl stop aeogated.service
pass "systemctl stop: recorded as system.stop; started again cleanly"

echo "1..$PASSED"
