#!/bin/bash
# aeogate-web's requests at their edges (issue 10, items 4 and 7).
#
# Item 4, the request lifecycle: a POST
# with Content-Length: 0 or none, and a GET with a body, are each
# dispatched to the controller exactly once and answered once; forty of
# them leave the in-flight cap (AEOGATE_WEB_INFLIGHT_MAX) free, so a
# normal request still succeeds; after them, stopping aeogated and then
# aeogate-web is clean (exit 0, no sanitizer report: this test runs in the
# ASan+UBSan pass too, where a control connection left pointing at a freed
# request would be a heap-use-after-free).
#
# Item 7: a WebSocket upgrade without the aeogate-stream subprotocol (or
# off /api/stream) gets an HTTP error, not a silent 101; Content-Type must
# be application/json exactly (any case, parameters allowed), else 415;
# the Host header must name the listen address (or an --allowed-hosts
# entry), else 421, against DNS rebinding; an Origin must match scheme,
# host and port of what is served, else 403.
source "$(dirname "$0")/lib.sh"

WEB="$BUILD_DIR/controller/web/aeogate-web"
PY="$(dirname "$0")/web_requests.py"
WEB_PID=""

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_web [extra aeogate-web args]: on a fresh port, in $PORT.
start_web() {
	PORT=$(free_port)
	"$WEB" --socket "$SOCK" --listen "127.0.0.1:$PORT" --ui "$SOURCE_DIR/ui" "$@" >>"$T/web.log" 2>&1 &
	WEB_PID=$!
	BG_PIDS=("$WEB_PID") # cleanup stops it if the test ends early
	wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$PORT/" || fail "aeogate-web did not come up"
}

# The web log must hold no sanitizer report and no crash.
check_web_log() {
	if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:|SUMMARY:' "$T/web.log" >&2; then
		fail "aeogate-web's log has a sanitizer report (above)"
	fi
}

# SIGTERM: aeogate-web must exit 0 with a clean log.
stop_web() {
	local rc=0
	kill -TERM "$WEB_PID"
	wait "$WEB_PID" || rc=$?
	BG_PIDS=()
	check_web_log
	[ $rc -eq 0 ] || fail "aeogate-web exited $rc on SIGTERM"
}

write_sim_config
start_daemon "$T/sim.ini"
ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
PW="guard-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$PW" | ctl user add watcher --role guard >/dev/null || fail "user add"

start_web
python3 "$PY" "$PORT" empty-posts watcher "$PW" 40 || fail "empty requests (above)"
pass "empty-bodied requests: one dispatch, one answer each, the in-flight cap stays free"

expect_exit 0 ctl person show E1001 --json
expect_contains "$OUT" '"active"'
expect_not_contains "$OUT" '"suspended"'
pass "a guard's suspend was refused by the controller and changed nothing"

python3 "$PY" "$PORT" edge-cases watcher "$PW" || fail "edge cases (above)"
pass "stream subprotocol, Content-Type, Host and Origin are checked"

# Stop the controller first: every control connection aeogate-web still
# holds is closed under it. Then wait until aeogate-web has noticed (it
# answers 503) or has died, and stop it.
stop_daemon
deadline=$((SECONDS + 20))
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/status" \
	-H 'Cookie: aeogate_session=0000000000000000000000000000000000000000000000000000000000000000')" = 503 ]; do
	kill -0 "$WEB_PID" 2>/dev/null || break
	[ $SECONDS -lt $deadline ] || fail "aeogate-web does not answer 503 with the controller gone"
	sleep 0.05
done
kill -0 "$WEB_PID" 2>/dev/null || { check_web_log; fail "aeogate-web died when aeogated stopped"; }
stop_web
pass "aeogated stopped, then aeogate-web: it exits 0 with no sanitizer report"

start_daemon "$T/sim.ini"
start_web --allowed-hosts dash.example,other.example:9443
python3 "$PY" "$PORT" allowed-hosts watcher "$PW" || fail "--allowed-hosts (above)"
pass "--allowed-hosts adds names, with the listen port or their own"
expect_exit 2 "$WEB" --socket "$SOCK" --listen 127.0.0.1:1 --allowed-hosts 'bad host'
expect_contains "$ERR" "--allowed-hosts"
expect_exit 2 "$WEB" --socket "$SOCK" --listen 127.0.0.1:1 --allowed-hosts 'a.example:0'
expect_exit 2 "$WEB" --socket "$SOCK" --listen 127.0.0.1:1 --allowed-hosts ''
pass "a malformed --allowed-hosts is refused at start (exit 2, a message)"
stop_web
