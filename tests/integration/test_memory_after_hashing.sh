#!/bin/bash
# Issue 12 (memory): each password hash or check takes argon2's 19 MiB of
# work memory; aeogated must give it back, not keep it in its RSS (budget
# 32 MiB). After eight hashes and checks, its RSS stays within 20 MiB
# (it kept ~30 MiB before mallopt(M_MMAP_THRESHOLD)). A sanitizer build's
# RSS means nothing here: that pass leaves this test out (label no-sanitize).
source "$(dirname "$0")/lib.sh"

write_sim_config
start_daemon "$T/sim.ini"
for i in 1 2 3 4; do
	printf 'correct horse battery staple\n' | ctl user add "user$i" --role guard >/dev/null
	printf 'another long passphrase %s\n' "$i" | ctl user passwd "user$i" >/dev/null
done
rss_kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$DAEMON_PID/status")
[ "$rss_kib" -le $((20 * 1024)) ] ||
	fail "aeogated RSS is $((rss_kib / 1024)) MiB after eight password hashes; argon2's memory was kept"
pass "after eight password hashes aeogated's RSS is $((rss_kib / 1024)) MiB (within 20 MiB)"
stop_daemon
