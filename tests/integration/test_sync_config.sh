#!/bin/bash
# aeogate-sync refuses a bad [sync] section at start with one clear
# sentence naming the key (exit 2), before it connects anywhere; a good one
# with a broker and an aeogated that are not there keeps trying, keeps its
# watchdog fed, and stops cleanly.
. "$(dirname "$0")/lib.sh"
SYNC_BIN="$BUILD_DIR/controller/sync/aeogate-sync"

umask 027
echo "s3cret" >"$T/pw"
touch "$T/ca.pem"

# bad NAME EXPECTED_TEXT: the [sync] lines on stdin are refused with that text.
bad() {
	local name=$1 want=$2
	{
		echo "[controller]"
		echo "allow_root = true"
		echo "[sync]"
		cat
	} >"$T/$name.ini"
	expect_exit 2 "$SYNC_BIN" -c "$T/$name.ini" --socket "$SOCK"
	expect_contains "$ERR" "$want"
	expect_contains "$ERR" "$T/$name.ini"
}

bad no-broker "[sync] broker: missing" <<<"site = s1"
bad no-site "[sync] site: missing" <<<"broker = mqtt://127.0.0.1:1883"
bad bad-scheme "must be mqtt://HOST:PORT or mqtts://HOST:PORT" <<INI
broker = http://127.0.0.1:1883
site = s1
INI
bad bad-port "the port must be 1-65535" <<INI
broker = mqtt://127.0.0.1:70000
site = s1
INI
bad bad-ipv6 "an IPv6 address is [ADDRESS]:PORT" <<INI
broker = mqtt://[::1:1883
site = s1
INI
bad unknown-key "[sync] brokr: unknown key" <<INI
brokr = mqtt://127.0.0.1:1883
site = s1
INI
bad wildcard-site "[sync] site: 'a/#' is not" <<INI
broker = mqtt://127.0.0.1:1883
site = a/#
INI
bad plus-client "[sync] client_id: 'c+1' is not" <<INI
broker = mqtt://127.0.0.1:1883
site = s1
client_id = c+1
INI
bad tls-on-plain "[sync] ca_file: set, but the broker is mqtt://" <<INI
broker = mqtt://127.0.0.1:1883
site = s1
ca_file = $T/ca.pem
INI
bad cert-alone "[sync] key_file: missing" <<INI
broker = mqtts://127.0.0.1:8883
site = s1
cert_file = $T/ca.pem
INI
bad missing-ca "[sync] ca_file: $T/nope.pem: No such file" <<INI
broker = mqtts://127.0.0.1:8883
site = s1
ca_file = $T/nope.pem
INI
bad relative-path "[sync] ca_file: 'ca.pem' must be an absolute path" <<INI
broker = mqtts://127.0.0.1:8883
site = s1
ca_file = ca.pem
INI
bad pw-no-user "[sync] username: missing" <<INI
broker = mqtt://127.0.0.1:1883
site = s1
password_file = $T/pw
INI
bad pw-missing "[sync] password_file: $T/nope: No such file" <<INI
broker = mqtt://127.0.0.1:1883
site = s1
username = u
password_file = $T/nope
INI
chmod 0644 "$T/pw"
bad pw-world "is readable by others" <<INI
broker = mqtt://127.0.0.1:1883
site = s1
username = u
password_file = $T/pw
INI
chmod 0640 "$T/pw"
: >"$T/empty-pw"
bad pw-empty "is empty" <<INI
broker = mqtt://127.0.0.1:1883
site = s1
username = u
password_file = $T/empty-pw
INI
printf '[controller]\nallow_root = true\n' >"$T/nosync.ini"
expect_exit 2 "$SYNC_BIN" -c "$T/nosync.ini"
expect_contains "$ERR" "no [sync] section"
expect_exit 2 "$SYNC_BIN" -c "$T/absent.ini"
expect_contains "$ERR" "cannot open"
expect_exit 2 "$SYNC_BIN"
expect_contains "$ERR" "usage: aeogate-sync -c FILE"
pass "a bad or missing key is refused at start, with the file and the key named (exit 2)"

# A good config, nothing listening on its port and no aeogated: it keeps
# trying both, logs it once each, and a SIGTERM still ends it cleanly.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/good.ini" <<INI
[controller]
allow_root = true
socket = $T/not-there.sock

[sync]
broker = mqtt://127.0.0.1:$PORT
site = s1
username = u
password_file = $T/pw
office_pubkey = $T/office.pub
INI
# Under Type=notify with a 1 s watchdog: READY=1, pings from the loop while
# both peers are away (nothing there blocks it), STOPPING=1 on SIGTERM.
notify_listen "$T/notify.sock" "$T/notify.txt"
LISTENER=$NOTIFY_PID
NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=1000000 "$SYNC_BIN" -c "$T/good.ini" >"$T/sync.log" 2>&1 &
PID=$!
BG_PIDS+=("$PID")
wait_for 20 grep -q "cannot reach aeogated at $T/not-there.sock" "$T/sync.log" ||
	fail "no word about the missing aeogated: $(cat "$T/sync.log")"
wait_for 20 grep -q "cannot connect to 127.0.0.1:$PORT" "$T/sync.log" ||
	fail "no word about the missing broker: $(cat "$T/sync.log")"
wait_for 10 grep -q 'READY=1' "$T/notify.txt" || fail "no READY=1: $(cat "$T/notify.txt" 2>/dev/null)"
pings() { [ "$(grep -c '^WATCHDOG=1$' "$T/notify.txt")" -ge 6 ]; }
wait_for 30 pings || fail "fewer than 6 WATCHDOG=1 while the peers are away: $(cat "$T/notify.txt")"
# Three seconds and more of waiting for both peers: a loop that waits in
# poll uses next to no CPU; one that spins on a timer it cannot serve uses
# all it gets. utime + stime, in clock ticks.
TICKS=$(awk '{print $14 + $15}' "/proc/$PID/stat")
[ "$TICKS" -lt $(($(getconf CLK_TCK) / 2)) ] || fail "aeogate-sync used $TICKS ticks of CPU waiting for its peers: it spins"
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
[ $rc -eq 0 ] || fail "aeogate-sync exited $rc on SIGTERM: $(cat "$T/sync.log")"
wait_for 10 grep -q 'STOPPING=1' "$T/notify.txt" || fail "no STOPPING=1: $(cat "$T/notify.txt")"
wait "$LISTENER" 2>/dev/null || true
BG_PIDS=()
[ "$(grep -c "cannot reach aeogated" "$T/sync.log")" -eq 1 ] || fail "the missing aeogated was logged more than once"
# No client_id: the host name.
expect_contains "$(cat "$T/sync.log")" "controller $(hostname),"
pass "with the broker and aeogated away it keeps trying, says so once, pings the watchdog, stops on SIGTERM"

# An IPv6 broker address in brackets is taken (the brackets are not the host).
printf '[sync]\nbroker = mqtt://[::1]:%s\nsite = s1\nclient_id = c1\n' "$PORT" >"$T/v6.ini"
"$SYNC_BIN" -c "$T/v6.ini" --socket "$T/not-there.sock" >"$T/v6.log" 2>&1 &
PID=$!
BG_PIDS=("$PID")
wait_for 20 grep -q "broker mqtt://::1:$PORT" "$T/v6.log" || fail "the IPv6 broker was not taken: $(cat "$T/v6.log")"
kill -TERM "$PID"
wait "$PID" || fail "aeogate-sync (IPv6 broker) did not stop cleanly: $(cat "$T/v6.log")"
BG_PIDS=()
pass "mqtt://[::1]:PORT names the IPv6 host ::1"
