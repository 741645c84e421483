#!/bin/bash
# Nothing is lost across outages: the broker stopped and restarted during a
# burst of reads, the broker killed -9 in one, aeogate-sync killed -9 while
# forwarding, aeogated restarted. Each time the subscriber (a persistent
# QoS-1 session) ends up with every seq at least once, and the cursor with
# the newest event. Bounded by counts of reads, never by time. (After the
# broker's SIGKILL only what follows is required of the subscriber: what
# mosquitto had acknowledged in its last second before the kill, it may not
# have saved, which no publisher can make up for.)
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

# 1b. The broker killed -9 in a burst: what it had acknowledged is its own
# to keep (it saves every second), but aeogate-sync must come back by itself,
# resend what was in flight, and forward everything after.
reads 181 200
mqtt_kill
reads 201 230
mqtt_restart
# mosquitto_sub itself gives up on a TLS connection reset (libmosquitto's
# loop_forever treats it as fatal; aeogate-sync has its own reconnect loop
# for that reason): the test's subscriber comes back on its persistent
# session, which the broker saved.
mqtt_sub_stop "$T/sub.out"
mqtt_sub_start "aeogate/$SYNC_SITE/$SYNC_ID/events" "$T/sub.out" aeogate-test-sub-0
reads 231 250
N=$(last_seq)
wait_cursor "$N" 60
FROM=$(event_seqs "$T/sub.out" | sort -n | tail -n 1)
reads 251 260
N=$(last_seq)
wait_cursor "$N" 60
range_held() { [ "$(event_seqs "$T/sub.out" | sort -un | awk -v a="$1" -v b="$2" '$1 > a && $1 <= b' | wc -l)" -eq $(($2 - $1)) ]; }
wait_for 60 range_held "$FROM" "$N" || fail "seqs $((FROM + 1))..$N, published after the broker came back, did not all arrive"
check_events "$T/sub.out"
pass "broker killed -9 in a burst: aeogate-sync reconnected by itself, the cursor reached $N, every later seq arrived"

# 2. aeogate-sync killed -9 while it forwards a burst, then started again.
reads 261 300
sync_kill
KILLED_AT=$(cursor)
reads 301 340
[ "$(cursor)" -eq "$KILLED_AT" ] || fail "the cursor moved while aeogate-sync was dead"
sync_start
reads 341 380
N=$(last_seq)
wait_seqs "$T/sub.out" "$N" 120
wait_cursor "$N" 60
check_events "$T/sub.out"
pass "aeogate-sync killed -9 mid-forward: after a restart every seq 1..$N arrived, the cursor is at $N"

# 3. aeogated restarted under it: it reconnects and follows on.
stop_daemon
start_daemon "$T/sim.ini"
reads 381 420
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
