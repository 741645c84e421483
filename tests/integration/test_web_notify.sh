#!/bin/bash
# aeogate-web under Type=notify with WatchdogSec=: READY=1 once its listener
# is up (a request made right after it is answered), WATCHDOG=1 from its
# loop at half the interval, STOPPING=1 on SIGTERM. The notify socket is a
# datagram socket of the test's own, as systemd's would be.
source "$(dirname "$0")/lib.sh"

WEB="$BUILD_DIR/controller/web/aeogate-web"
write_sim_config
start_daemon "$T/sim.ini"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

notify_listen "$T/notify.sock" "$T/notify.txt"
LISTENER=$NOTIFY_PID

# 1 s watchdog: a ping every 0.5 s.
NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=1000000 \
	"$WEB" --socket "$SOCK" --listen "127.0.0.1:$PORT" --ui "$SOURCE_DIR/ui" >>"$T/web.log" 2>&1 &
WEB_PID=$!
BG_PIDS=("$WEB_PID" "$LISTENER")
ready() { grep -q 'READY=1' "$T/notify.txt" 2>/dev/null; }
wait_for 20 ready || fail "no READY=1: $(cat "$T/notify.txt" 2>/dev/null)"
curl -sf -o /dev/null "http://127.0.0.1:$PORT/" || fail "READY=1 came before the listener answered"
expect_contains "$(grep READY=1 "$T/notify.txt")" "STATUS=serving http://127.0.0.1:$PORT/"
pass "READY=1 (with STATUS=) once the listener is up: $(grep READY=1 "$T/notify.txt")"

pings() { [ "$(grep -c '^WATCHDOG=1$' "$T/notify.txt")" -ge 3 ]; }
wait_for 30 pings || fail "fewer than 3 WATCHDOG=1 from the loop: $(cat "$T/notify.txt")"
first_ping=$(grep -n '^WATCHDOG=1$' "$T/notify.txt" | sed -n 1p | cut -d: -f1)
ready_at=$(grep -n 'READY=1' "$T/notify.txt" | cut -d: -f1)
[ "$ready_at" -lt "$first_ping" ] || fail "a watchdog ping before READY=1: $(cat "$T/notify.txt")"
# The loop pings while it serves: a request in between changes nothing.
curl -sf -o /dev/null "http://127.0.0.1:$PORT/" || fail "the dashboard stopped answering"
pass "WATCHDOG=1 from the loop while it serves"

kill -TERM "$WEB_PID"
rc=0
wait "$WEB_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "aeogate-web exited $rc on SIGTERM"
wait_for 10 grep -q 'STOPPING=1' "$T/notify.txt" || fail "no STOPPING=1: $(cat "$T/notify.txt")"
wait "$LISTENER" 2>/dev/null || true
BG_PIDS=()
pass "STOPPING=1 on SIGTERM, exit 0"

# Without NOTIFY_SOCKET (started by hand) it runs as before.
"$WEB" --socket "$SOCK" --listen "127.0.0.1:$PORT" --ui "$SOURCE_DIR/ui" >>"$T/web.log" 2>&1 &
WEB_PID=$!
BG_PIDS=("$WEB_PID")
wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$PORT/" || fail "aeogate-web without systemd did not come up"
kill -TERM "$WEB_PID"
wait "$WEB_PID" || fail "aeogate-web without systemd did not stop cleanly"
BG_PIDS=()
pass "started by hand (no NOTIFY_SOCKET) it serves and stops as before"
