# Shared helpers for integration tests: source it, then write the test.
# Each test gets a private temporary directory with its own database and
# control socket, so tests can run side by side on one machine.
set -euo pipefail
# As a service runs (UMask=0027): files a test makes beside aeogated, such as
# a database seeded or edited with Python, must not be readable by others,
# or aeogated refuses them.
umask 027

: "${BUILD_DIR:?BUILD_DIR must point at the cmake build directory}"
: "${SOURCE_DIR:?SOURCE_DIR must point at the source tree}"

AEOGATED="$BUILD_DIR/controller/aeogated"
AEOGATECTL="$BUILD_DIR/controller/ctl/aeogatectl"
T="$(mktemp -d /tmp/aeogate-test.XXXXXX)"
SOCK="$T/ctl.sock"
STATE="$T/state"
DAEMON_PID=""
PASSED=0
# Other background processes a test starts (web servers, clients): stopped
# by cleanup before the daemon, whatever way the test ends.
BG_PIDS=()
mkdir -p "$STATE"

SANITIZER_REPORT="ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:"

cleanup() {
	local rc=$? pid
	set +e
	for pid in "${BG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
	fi
	# set -e stopped the test on a command of its own, with no FAIL line.
	[ $rc -eq 0 ] || [ -n "$FAILED" ] || [ -z "$ERR_AT" ] || echo "FAIL: stopped (set -e) at $ERR_AT" >&2
	# A sanitizer's report in any process's log (the fleet tests keep one
	# per process) fails the test: a leak or undefined behaviour in a
	# process the test started in the background is a defect too.
	local log
	for log in "$T"/*.log; do
		[ -f "$log" ] && grep -q "$SANITIZER_REPORT" "$log" || continue
		echo "FAIL: a sanitizer report in $log:" >&2
		grep -m1 -A40 "$SANITIZER_REPORT" "$log" >&2
		[ $rc -ne 0 ] || rc=1
	done
	if [ $rc -ne 0 ]; then
		echo "--- aeogated log ($T/aeogated.log) ---" >&2
		tail -n 50 "$T/aeogated.log" >&2 2>/dev/null || true
		if [ -s "$T/web.log" ]; then
			echo "--- aeogate-web log ($T/web.log) ---" >&2
			tail -n 40 "$T/web.log" >&2
		fi
	fi
	if [ -z "${KEEP_TMP:-}" ] && [ $rc -eq 0 ]; then
		rm -rf "$T"
	fi
	exit $rc
}
trap cleanup EXIT
# Where set -e stopped the test, for cleanup to say (functions too: -E).
FAILED=""
ERR_AT=""
set -E
trap 'ERR_AT="${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND (exit $?)"' ERR

fail() {
	FAILED=1
	echo "FAIL: $*" >&2
	exit 1
}

# PRODUCER | matches [GREP OPTIONS] PATTERN: grep -q that reads all its
# input first. Under pipefail a bare grep -q (or head) at the end of a pipe
# exits at the first match, the producer's next write meets SIGPIPE, and
# the pipe fails although it matched: a false FAIL after "|| fail", a
# missed one after "&& fail", a silent stop under set -e. Use matches, and
# sed -n 1p instead of head, at the end of a pipe.
matches() {
	local input
	input=$(cat)
	grep -q "$@" <<<"$input"
}

pass() {
	PASSED=$((PASSED + 1))
	echo "ok $PASSED - $*"
}

ctl() {
	"$AEOGATECTL" --socket "$SOCK" "$@"
}

# expect_exit CODE cmd... : runs cmd, fails unless it exits with CODE; its
# stdout is left in $OUT and stderr in $ERR.
expect_exit() {
	local want=$1
	shift
	local rc=0
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	OUT="$(cat "$T/out")"
	ERR="$(cat "$T/err")"
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, expected $want; stdout: $OUT; stderr: $ERR"
}

expect_contains() {
	local haystack=$1 needle=$2
	case "$haystack" in
	*"$needle"*) ;;
	*) fail "expected to find '$needle' in: $haystack" ;;
	esac
}

expect_not_contains() {
	local haystack=$1 needle=$2
	case "$haystack" in
	*"$needle"*) fail "did not expect '$needle' in: $haystack" ;;
	*) ;;
	esac
}

# wait_for TIMEOUT_S cmd... : polls cmd until it succeeds. Used only to wait
# for a process to come up, never to wait for a controller timer.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
}

# notify_listen SOCKET OUT: a datagram socket of the test's own, as
# systemd's NOTIFY_SOCKET would be, in the background (its pid in
# $NOTIFY_PID, in BG_PIDS): each message becomes one line of OUT (newlines
# inside as |), in arrival order; it ends after STOPPING=1.
notify_listen() {
	python3 - "$1" "$2" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        msg = s.recv(4096).decode(errors="replace")
        out.write(msg.replace("\n", "|") + "\n")
        if "STOPPING=1" in msg:
            break
PY
	NOTIFY_PID=$!
	BG_PIDS+=("$NOTIFY_PID")
	wait_for 10 test -S "$1" || fail "the test's notify socket did not come up"
}

# start_daemon CONFIG [extra aeogated args]
start_daemon() {
	local config=$1
	shift
	"$AEOGATED" -c "$config" --state-dir "$STATE" --socket "$SOCK" "$@" \
		>>"$T/aeogated.log" 2>&1 &
	DAEMON_PID=$!
	wait_for 10 ctl status || fail "aeogated did not come up"
}

stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID"
	local rc=0
	wait "$DAEMON_PID" || rc=$?
	DAEMON_PID=""
	[ $rc -eq 0 ] || fail "aeogated exited $rc on SIGTERM"
}

# needs_other_uids: tests that act as other users (nobody, daemon) skip
# (exit 77) unless they run as root and those users exist; the test
# directory is opened to them so they can reach the socket inside it.
needs_other_uids() {
	[ "$(id -u)" -eq 0 ] || {
		echo "SKIP: needs root to act as other uids"
		exit 77
	}
	getent passwd nobody >/dev/null && getent passwd daemon >/dev/null || {
		echo "SKIP: needs the users nobody and daemon"
		exit 77
	}
	chmod 0755 "$T"
}

# A config with one simulated door and reader per zone, written to $T/sim.ini.
write_sim_config() {
	cat >"$T/sim.ini" <<INI
[controller]
site_name = Integration test site
timezone = UTC
# CI runs the tests as root, without an aeogate user: stay root.
allow_root = true

[door dock-1]
zone = dock
lock = sim
contact = sim
rex = sim
strike_time = 5s
held_time = 30s

[door cage-1]
zone = bonded-cage
lock = sim
lock_type = maglock
contact = sim
rex = sim

[reader dock-1-in]
type = sim
door = dock-1
formats = all

[reader cage-1-in]
type = sim
door = cage-1
formats = h10301,h10304,h10302
INI
}

# ---- the libgpiod double (tests/fakes/gpiod) ----
#
# start_daemon_gpiod runs the real aeogated with the double loaded in place
# of libgpiod (LD_LIBRARY_PATH); fgpio drives it from outside through
# fake-gpio. Its operation log is also in $FAKE_GPIO_DIR/log, which outlives
# the daemon.
FAKE_GPIO="$BUILD_DIR/tests/fakes/gpiod/fake-gpio"
FAKE_GPIO_DIR="$T/gpio"

# Lines idle high in the double. Contacts and tampers here are closed-circuit
# to ground (low = door closed, enclosure shut); REX buttons pull low when
# pressed and are configured active_low.
FAKE_GPIO_CHIPS="gpiochip0:64:pinctrl-fake gpiochip0:5=DOCK1_REX gpiochip0:4@0 gpiochip0:6@0 gpiochip0:25@0 gpiochip0:27@0"

fgpio() {
	"$FAKE_GPIO" "$FAKE_GPIO_DIR" "$@"
}

# start_daemon_gpiod CONFIG [extra aeogated args]
start_daemon_gpiod() {
	local config=$1
	shift
	mkdir -p "$FAKE_GPIO_DIR"
	LD_LIBRARY_PATH="$BUILD_DIR/tests/fakes/gpiod${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		AEOGATE_FAKE_GPIO_DIR="$FAKE_GPIO_DIR" \
		AEOGATE_FAKE_GPIO_CHIPS="$FAKE_GPIO_CHIPS" \
		AEOGATE_FAKE_GPIO_WATCH="$STATE" \
		"$AEOGATED" -c "$config" --state-dir "$STATE" --socket "$SOCK" "$@" \
		>>"$T/aeogated.log" 2>&1 &
	DAEMON_PID=$!
	wait_for 10 ctl status || fail "aeogated did not come up"
	wait_for 5 fgpio get gpiochip0 0 || fail "the libgpiod double did not come up"
}

# holds_open PATH: aeogated has the file PATH (a reader's tty) open now.
holds_open() {
	local f
	for f in /proc/"$DAEMON_PID"/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "$1" ] && return 0
	done
	return 1
}
holds_closed() { ! holds_open "$1"; }

# The highest event seq so far, 0 when there is none.
last_seq() {
	local s
	# The event's own seq opens its line; a detail may hold other "seq" keys.
	s=$(ctl events --json | grep -oE '^\{"seq": ?[0-9]+' | grep -oE '[0-9]+$' | tail -n 1 || true)
	echo "${s:-0}"
}

# events_after SEQ: event JSON lines with a seq above SEQ (the controller
# pages them out from SEQ: no per-line work here, whatever the log's size).
events_after() {
	ctl events --json --since "$1"
}

# kind_re KIND: a grep -E pattern matching an event of that kind.
kind_re() {
	printf '"kind": ?"%s"' "${1//./\\.}"
}

# door_field DOOR FIELD: one field of door list --json, FIELD a dotted path
# into it (schedule.mode); "null" when it or a step on the way is null.
door_field() {
	ctl door list --json | python3 -c '
import json, sys
d = {x["name"]: x for x in json.load(sys.stdin)}[sys.argv[1]]
for k in sys.argv[2].split("."):
    d = d[k] if d is not None else None
print("null" if d is None else d)' "$1" "$2"
}

# ev_check EVENT_JSON PYTHON_EXPR: the expression over e (the event) and d
# (its detail) holds, or the test fails.
ev_check() {
	python3 -c '
import json, sys
e = json.loads(sys.argv[1])
d = e.get("detail") or {}
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" || fail "event does not match $2: $1"
}

# wait_event SEQ KIND [TIMEOUT_S]: waits until an event of KIND follows SEQ
# (the work crosses a process boundary and a frame-gap timer); leaves it in $EV.
wait_event() {
	local since=$1 kind=$2 deadline=$((SECONDS + ${3:-5}))
	while :; do
		EV=$(events_after "$since" | grep -E "$(kind_re "$kind")" | sed -n 1p || true)
		[ -n "$EV" ] && return 0
		[ $SECONDS -lt $deadline ] || fail "no $kind event after seq $since; got: $(events_after "$since")"
		sleep 0.05
	done
}

# wait_level CHIP LINE LEVEL [TIMEOUT_S]: waits for an output's physical level.
wait_level() {
	local deadline=$((SECONDS + ${4:-5})) v
	while :; do
		v=$(fgpio get "$1" "$2")
		[ "$v" = "$3" ] && return 0
		[ $SECONDS -lt $deadline ] || fail "$1:$2 stayed at $v, expected $3"
		sleep 0.02
	done
}

# Two gpiod doors (a strike and a maglock) with contact, REX and tamper, and
# a Wiegand reader on each, written to $T/gpiod.ini. Line map (gpiochip0):
#   dock-1 (strike):   lock 17, contact 4, rex 5 (DOCK1_REX), tamper 6,
#                      led_green 22, led_red 23, buzzer 24; reader D0 10, D1 11
#   cage-1 (maglock):  lock 18, contact 25, rex 26, tamper 27; reader D0 12, D1 13
write_gpiod_config() {
	cat >"$T/gpiod.ini" <<INI
[controller]
site_name = gpiod test site
timezone = UTC
# CI runs the tests as root, without an aeogate user: stay root.
allow_root = true

[door dock-1]
zone = dock
lock = gpiochip0:17
lock_type = strike
contact = gpiochip0:4
rex = gpiochip0:DOCK1_REX active_low
tamper = gpiochip0:6
led_green = gpiochip0:22
led_red = gpiochip0:23
buzzer = gpiochip0:24
debounce_ms = 7
strike_time = 3s
held_time = 30s

[door cage-1]
zone = bonded-cage
lock = gpiochip0:18
lock_type = maglock
contact = gpiochip0:25
rex = gpiochip0:26 active_low
tamper = gpiochip0:27
strike_time = 3s

[reader dock-1-in]
type = wiegand
door = dock-1
formats = all
d0 = gpiochip0:10
d1 = gpiochip0:11
frame_gap_ms = 25

[reader cage-1-in]
type = wiegand
door = cage-1
formats = all
d0 = gpiochip0:12
d1 = gpiochip0:13
INI
}

# ---- the PN532 emulator (tests/fakes/pn532) ----
#
# pn532_start NAME starts an emulator and points the stable link $T/NAME at
# its pty, so a config's connstring (pn532_uart:$T/NAME) stays right when the
# emulator is restarted on a new /dev/pts/N. pn532 NAME LINE... sends it a
# control line (present HEX_UID, remove, garbage N, truncate, silent on|off).
# fake_start NAME BINARY [ARGS...]: a device emulator of tests/fakes on a
# pseudo-terminal (pn532-emu, osdp-pd): its control socket is $T/NAME.ctl,
# its log $T/NAME.log, and the stable link $T/NAME points at its pty, so a
# config naming $T/NAME stays right when it restarts on a new /dev/pts/N.
# cleanup stops it with the other background processes.
declare -A FAKE_PID=()
fake_start() {
	local name=$1 bin=$2
	shift 2
	rm -f "$T/$name.pts"
	"$bin" --pts-file "$T/$name.pts" --control "$T/$name.ctl" "$@" \
		>/dev/null 2>>"$T/$name.log" &
	FAKE_PID[$name]=$!
	BG_PIDS+=("$!")
	wait_for 5 test -s "$T/$name.pts" || fail "$(basename "$bin") $name did not come up"
	ln -sfn "$(cat "$T/$name.pts")" "$T/$name"
}

# fake_kill NAME: the device is unplugged; its pty and the link go away.
fake_kill() {
	local name=$1 pid=${FAKE_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "FAKE_PID[$name]"
	rm -f "$T/$name"
}

PN532_EMU="$BUILD_DIR/tests/fakes/pn532/pn532-emu"

pn532_start() {
	fake_start "$1" "$PN532_EMU"
}

pn532() {
	local name=$1
	shift
	"$PN532_EMU" --send "$T/$name.ctl" "$@" >/dev/null || fail "pn532-emu $name refused: $*"
}

# pn532_kill NAME: the board is unplugged.
pn532_kill() {
	fake_kill "$1"
}

# count_after SEQ KIND_RE: how many events whose kind matches the grep -E
# pattern KIND_RE (e.g. 'access\.[a-z]+') follow SEQ.
count_after() {
	events_after "$1" | grep -cE "\"kind\": ?\"$2\"" || true
}

# An nfc reader on a simulated door, through the emulator link $T/pn532,
# written to $T/nfc.ini. HOLD_OFF_MS defaults to 300 to keep tests short.
write_nfc_config() {
	cat >"$T/nfc.ini" <<INI
[controller]
site_name = NFC test site
timezone = UTC
# CI runs the tests as root, without an aeogate user: stay root.
allow_root = true

[door dock-1]
zone = dock
lock = sim
contact = sim
rex = sim

[reader dock-1-nfc]
type = nfc
door = dock-1
connstring = pn532_uart:$T/pn532
hold_off_ms = ${1:-300}
INI
}

# h10301_bits FACILITY CARD: the 26-bit H10301 frame as a 0/1 string,
# computed here independently of hal/wiegand.c: bit 0 is even parity over
# the first 12 data bits, bit 25 odd parity over the last 12.
h10301_bits() {
	local fc=$1 cn=$2 data="" i first last
	local v=$(((fc << 16) | cn))
	for ((i = 23; i >= 0; i--)); do data+=$(((v >> i) & 1)); done
	first=${data:0:12}
	last=${data:12:12}
	first=${first//0/}
	last=${last//0/}
	echo "$((${#first} % 2))${data}$((1 - ${#last} % 2))"
}
