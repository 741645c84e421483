#!/bin/bash
# SPDX-License-Identifier: MIT
# The time a revocation takes to reach a fleet (issue 18):
#
#   bench/fleet-revoke.sh BUILD_DIR [CONTROLLERS] [ROUNDS]
#
# CONTROLLERS (default 100) aeogated on simulated boards, each with its own
# aeogate-sync, one Mosquitto (mutual TLS, passwords; the tests' broker) and
# one aeogate-hub, all on this machine and on loopback. A badge is enrolled
# from the hub, then revoked ROUNDS times (default 3, a new badge each
# round): the figure is the time from `aeogate-hub badge revoke` to the
# last controller's sync.applied event of that change set (the event's own
# time, so polling does not count), and every controller then refuses the
# badge. Prints the goal line of bench/README.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="$(cd "${1:?usage: bench/fleet-revoke.sh BUILD_DIR [CONTROLLERS] [ROUNDS]}" && pwd)"
SOURCE_DIR="$ROOT"
N=${2:-100}
ROUNDS=${3:-3}
export BUILD_DIR SOURCE_DIR
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/mqtt_lib.sh"
source "$ROOT/tests/integration/sync_lib.sh"
source "$ROOT/tests/integration/hub_lib.sh"

python3 -c "import sys; sys.path.insert(0, '$ROOT/bench'); import benchlib as b; b.machine('bench/fleet-revoke.sh $* ($N controllers, $ROUNDS rounds)')"

mqtt_start
hub_config "$SYNC_SITE"
hub_start
write_sim_config
c_ctl() {
	local i=$1
	shift
	"$AEOGATECTL" --socket "$T/c$i.sock" "$@"
}
applied() {
	SOCK="$T/c$1.sock" sock_op sync.state | python3 -c 'import json,sys; print(json.load(sys.stdin)["applied_version"] or 0)'
}
for i in $(seq 1 "$N"); do
	cp "$T/sim.ini" "$T/c$i.ini"
	write_sync_config "$T/s$i.ini" "gw-$i"
	{
		cat "$T/s$i.ini"
		echo "office_pubkey = $T/office/office.pub"
	} >>"$T/c$i.ini"
	mkdir -p "$T/c$i"
	"$AEOGATED" -c "$T/c$i.ini" --state-dir "$T/c$i" --socket "$T/c$i.sock" >>"$T/aeogated-$i.log" 2>&1 &
	BG_PIDS+=("$!")
done
for i in $(seq 1 "$N"); do
	wait_for 120 c_ctl "$i" status || fail "aeogated $i did not come up"
	"$SYNC_BIN" -c "$T/c$i.ini" --socket "$T/c$i.sock" >>"$T/sync-$i.log" 2>&1 &
	BG_PIDS+=("$!")
done
echo "# $N controllers and their aeogate-sync started" >&2

# wait_all VERSION: until every controller applied it (a bounded wait).
wait_all() {
	local v=$1 i deadline=$((SECONDS + 600))
	for i in $(seq 1 "$N"); do
		until [ "$(applied "$i")" -ge "$v" ]; do
			[ $SECONDS -lt $deadline ] || fail "controller $i applied $(applied "$i"), not $v"
			sleep 0.02
		done
	done
}
hub level add dock-staff --zone dock >/dev/null
hub person add E1 --name "Ann Example" --level dock-staff >/dev/null
V=2
TIMES=()
for r in $(seq 1 "$ROUNDS"); do
	UID_HEX=$(printf '04a1b2%02x' "$r")
	hub badge issue E1 --uid "$UID_HEX" >/dev/null
	V=$((V + 1))
	wait_all "$V"
	T0=$(date +%s%3N)
	hub badge revoke "uid:$UID_HEX" >/dev/null
	V=$((V + 1))
	wait_all "$V"
	LAST_MS=0
	for i in $(seq 1 "$N"); do
		ms=$(c_ctl "$i" events --json | python3 -c '
import datetime, json, sys
v = int(sys.argv[1])
for line in sys.stdin:
    e = json.loads(line)
    if e["kind"] == "sync.applied" and e["detail"]["version"] == v:
        t = datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        print(int(t.timestamp() * 1000))
' "$V")
		[ -n "$ms" ] || fail "controller $i has no sync.applied for version $V"
		[ "$ms" -gt "$LAST_MS" ] && LAST_MS=$ms
	done
	TIMES+=($((LAST_MS - T0)))
	for i in $(seq 1 "$N"); do
		expect_exit 1 c_ctl "$i" sim present dock-1-in --uid "$UID_HEX"
	done
	echo "# round $r: ${TIMES[-1]} ms, every controller refuses the badge" >&2
done
python3 - "$N" "${TIMES[@]}" <<PY
import sys
sys.path.insert(0, "$ROOT/bench")
import benchlib as b
n, times = int(sys.argv[1]), sorted(int(t) for t in sys.argv[2:])
b.goal("revocation applied on %d controllers (worst)" % n, times[-1], "ms", b.AT_MOST, 5000)
b.beside("revocation applied on %d controllers (median)" % n, times[len(times) // 2], "ms",
         "aeogate-hub badge revoke to the last controller's sync.applied")
PY
