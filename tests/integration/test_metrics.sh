#!/bin/bash
# /metrics on aeogate-web: the Prometheus text format, parsed by a real
# parser (prometheus_client's, Debian's python3-prometheus-client), with the
# metric names of issue 16 and values that follow what happened; the
# decision-latency histogram is aeogated's. Access: loopback only without
# a token file; with [web] metrics_token_file, only its bearer token.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/audit_lib.sh"

# Debian's python (where python3-prometheus-client is), whatever python3 is first on PATH.
PYPROM=/usr/bin/python3
[ -x "$PYPROM" ] || PYPROM=python3
"$PYPROM" -c 'import prometheus_client.parser' 2>/dev/null || {
	echo "SKIP: python3-prometheus-client is not installed (scripts/deps)"
	exit 77
}
WEB="$BUILD_DIR/controller/web/aeogate-web"
WEB_PID=""
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
start_web() {
	PORT=$(free_port)
	"$WEB" --socket "$SOCK" --listen "127.0.0.1:$PORT" --ui "$SOURCE_DIR/ui" "$@" >>"$T/web.log" 2>&1 &
	WEB_PID=$!
	BG_PIDS=("$WEB_PID")
	wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$PORT/" || fail "aeogate-web did not come up"
}
stop_web() {
	local rc=0
	kill -TERM "$WEB_PID"
	wait "$WEB_PID" || rc=$?
	BG_PIDS=()
	if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:|SUMMARY:' "$T/web.log" >&2; then
		fail "aeogate-web's log has a sanitizer report (above)"
	fi
	[ $rc -eq 0 ] || fail "aeogate-web exited $rc on SIGTERM"
}

write_sim_config
start_daemon "$T/sim.ini"
seed_audit_scenario # 2 grants, 2 denials, a forced door (an open alarm)
expect_exit 0 ctl backup "$T/b.db"
start_web

curl -sS -D "$T/h" -o "$T/m.txt" "http://127.0.0.1:$PORT/metrics" || fail "curl /metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$T/h" || fail "content type: $(cat "$T/h")"
"$PYPROM" - "$T/m.txt" "$(last_seq)" <<'PY' || fail "/metrics: $(cat "$T/m.txt")"
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
def samples(name, suffix=""):
    return [s for s in fams[name].samples if s.name == name + suffix]
want = ["aeogate_decisions", "aeogate_decision_latency_seconds", "aeogate_events_stored",
        "aeogate_storage_faults", "aeogate_events_lost", "aeogate_readers_online", "aeogate_doors",
        "aeogate_alarms_open", "aeogate_stream_clients", "aeogate_last_backup_timestamp_seconds"]
missing = [n for n in want if n not in fams]
assert not missing, missing
assert fams["aeogate_decision_latency_seconds"].type == "histogram"
dec = {(s.labels["result"], s.labels["reason"]): s.value for s in samples("aeogate_decisions", "_total")}
assert dec[("granted", "none")] == 2, dec
assert sum(v for (r, _), v in dec.items() if r == "denied") == 2, dec
count = samples("aeogate_decision_latency_seconds", "_count")[0].value
assert count == 4, count
inf = [s for s in samples("aeogate_decision_latency_seconds", "_bucket") if s.labels["le"] == "+Inf"][0]
assert inf.value == count
assert samples("aeogate_events_stored", "_total")[0].value >= int(sys.argv[2]) - 1
assert samples("aeogate_readers_online")[0].value == 2
assert sum(s.value for s in samples("aeogate_doors")) == 2
assert {s.labels["kind"]: s.value for s in samples("aeogate_alarms_open")}.get("door.forced") == 1
assert samples("aeogate_last_backup_timestamp_seconds")[0].value > 1.7e9
PY
pass "/metrics parses as Prometheus text with every metric, and the counts follow the decisions"

# From another address than loopback it is refused (the listen address is
# loopback, so the check is driven through the peer the web sees: a token
# file makes the token required even on loopback).
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/metrics.token"
printf '\n[web]\nmetrics_token_file = %s\n' "$T/metrics.token" >>"$T/sim.ini"
expect_exit 0 "$AEOGATED" -c "$T/sim.ini" --check-config
stop_web
start_web --config "$T/sim.ini"
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
[ "$code" = 401 ] || fail "/metrics without the token: $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong-token-0123456789" "http://127.0.0.1:$PORT/metrics")
[ "$code" = 401 ] || fail "/metrics with a wrong token: $code"
code=$(curl -sS -o "$T/m2.txt" -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/metrics.token")" "http://127.0.0.1:$PORT/metrics")
[ "$code" = 200 ] && grep -q '^aeogate_decisions_total' "$T/m2.txt" || fail "/metrics with the token: $code"
stop_web
pass "with [web] metrics_token_file, /metrics needs its bearer token (401 without or wrong, 200 with)"
