#!/bin/bash
# Nothing is lost across outages: the broker stopped and restarted during a
# burst of reads, aeogate-sync killed -9 while forwarding, aeogated
# restarted. Each time the subscriber (a persistent QoS-1 session) ends up
# with every seq at least once, and the cursor with the newest event.
# Bounded by counts of reads, never by time. (The broker is stopped with
# SIGTERM: mosquitto keeps its queues on disk every second and at exit, so
# a SIGKILL could lose what it had acknowledged in its last second, which
# no publisher can make up for.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mqtt_lib.sh"
. "$(dirname "$0")/sync_lib.sh"

sync_test_start
mqtt_sub_start "aeogate/$SYNC_SITE/$SYNC_ID/events" "$T/sub.out"
sync_start

reads() {
	local from=$1 to=$2 i
	for i in $(seq "$from" "$to"); do
		ctl sim present dock-1-in --uid "0a$(printf %06x "$i")" >/dev/null || true
	done
}

# 1. The broker goes away for a third of a burst and comes back.
reads 1 60
mqtt_stop
reads 61 120
mqtt_restart
reads 121 180
N=$(last_seq)
wait_seqs "$T/sub.out" "$N" 120
wait_cursor "$N" 60
check_events "$T/sub.out"
pass "broker stopped and restarted in a burst: every seq 1..$N arrived, the cursor is at $N"

# 2. aeogate-sync killed -9 while it forwards a burst, then started again.
reads 181 260
sync_kill
KILLED_AT=$(cursor)
reads 261 320
[ "$(cursor)" -eq "$KILLED_AT" ] || fail "the cursor moved while aeogate-sync was dead"
sync_start
reads 321 360
N=$(last_seq)
wait_seqs "$T/sub.out" "$N" 120
wait_cursor "$N" 60
check_events "$T/sub.out"
pass "aeogate-sync killed -9 mid-forward: after a restart every seq 1..$N arrived, the cursor is at $N"

# 3. aeogated restarted under it: it reconnects and follows on.
stop_daemon
start_daemon "$T/sim.ini"
reads 361 400
N=$(last_seq)
wait_seqs "$T/sub.out" "$N" 120
wait_cursor "$N" 60
check_events "$T/sub.out"
pass "aeogated restarted: aeogate-sync resumed, every seq 1..$N arrived"

# A resend happens only from the stored cursor: far fewer duplicates than events.
DUPS=$(event_seqs "$T/sub.out" | sort -n | uniq -d | wc -l)
[ "$DUPS" -lt "$N" ] || fail "$DUPS of $N events came twice"
pass "$DUPS duplicates over $N events (receivers drop them by seq)"

sync_stop
mqtt_sub_stop
mqtt_stop
stop_daemon
