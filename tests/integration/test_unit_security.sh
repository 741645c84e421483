#!/bin/bash
# The units' hardening (issue 16): systemd-analyze security --offline=true
# scores systemd/aeogated.service, aeogate-web.service, aeogate-sync.service and the
# office hub's aeogate-hub.service and aeogate-hub-serve.service from the
# files alone (systemd 252, no running systemd needed); each score must not
# rise above the one the README records in its "Install on a gateway
# board" table, and the settings the controller relies on stay: Type=notify
# with WatchdogSec=, no capability, the device allow list.
source "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (package systemd)"

score() {
	systemd-analyze security --offline=true --no-pager "$1" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
recorded() {
	sed -n "s/^| \`$1\` | \([0-9.]*\) |.*/\1/p" "$SOURCE_DIR/README.md"
}

for unit in aeogated.service aeogate-web.service aeogate-sync.service aeogate-hub.service \
	aeogate-hub-serve.service; do
	now="$(score "$SOURCE_DIR/systemd/$unit")"
	rec="$(recorded "$unit")"
	[ -n "$now" ] || fail "$unit: no score from systemd-analyze security"
	[ -n "$rec" ] || fail "$unit: the README records no score"
	awk -v a="$now" -v b="$rec" 'BEGIN { exit !(a <= b) }' ||
		fail "$unit: exposure $now rose above the recorded $rec"
	pass "$unit: exposure $now (recorded $rec)"
done

u="$SOURCE_DIR/systemd/aeogated.service"
for line in Type=notify WatchdogSec=10s CapabilityBoundingSet= DevicePolicy=closed \
	"DeviceAllow=char-gpiochip rw" "DeviceAllow=char-ttyAMA rw" PrivateNetwork=yes \
	"SystemCallFilter=@system-service" User=aeogate; do
	grep -qx "$line" "$u" || fail "aeogated.service lacks $line"
done
w="$SOURCE_DIR/systemd/aeogate-web.service"
for line in Type=notify WatchdogSec=10s User=aeogate-web Group=aeogate-web PrivateDevices=yes \
	"InaccessiblePaths=-/var/lib/aeogate" CapabilityBoundingSet=; do
	grep -qx "$line" "$w" || fail "aeogate-web.service lacks $line"
done
grep -qE '^(SupplementaryGroups|Group)=.*aeogate-admin' "$w" && fail "aeogate-web.service must not join aeogate-admin"
m="$SOURCE_DIR/systemd/aeogate-sync.service"
for line in Type=notify WatchdogSec=10s User=aeogate-sync PrivateDevices=yes \
	"InaccessiblePaths=-/var/lib/aeogate" CapabilityBoundingSet= RestartPreventExitStatus=2; do
	grep -qx "$line" "$m" || fail "aeogate-sync.service lacks $line"
done
grep -qx 'm aeogate-sync aeogate-admin' "$SOURCE_DIR/systemd/aeogate.sysusers.conf" ||
	fail "sysusers.d does not put aeogate-sync in aeogate-admin (it must be a local peer)"
pass "aeogated: notify + watchdog, no capability, device allow list; aeogate-web and aeogate-sync: notify + watchdog, own user, no devices, no state"

echo "all $PASSED passed"
