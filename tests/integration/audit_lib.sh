# Helpers shared by the audit integration tests (test_audit_*.sh); sourced
# after lib.sh.

# seed_audit_scenario: a level, two persons (one id starting with '-', which
# a spreadsheet would take for a formula), badges, grants, a denial, a
# forced door. Leaves the credential of E1 in $CRED1.
seed_audit_scenario() {
	ctl level add dock-staff --zone dock >/dev/null
	ctl person add E1 --name "Ann Example" --level dock-staff >/dev/null
	ctl person add --name "=HYPERLINK(\"x\",\"y\"), \"quoted\"" --level dock-staff -- -X1 >/dev/null
	ctl badge issue E1 --uid 04a1b2c3 >/dev/null
	ctl badge issue --uid 04a1b2c4 -- -X1 >/dev/null
	CRED1=uid:04a1b2c3
	expect_exit 0 ctl sim present dock-1-in --uid 04a1b2c3
	expect_exit 0 ctl sim present dock-1-in --uid 04a1b2c4
	expect_exit 1 ctl sim present dock-1-in --uid 04deadbe
	expect_exit 1 ctl sim present cage-1-in --uid 04a1b2c3
	# cage-1 was never granted: opening it is forced, an alarm.
	ctl sim door cage-1 open >/dev/null
	ctl sim door cage-1 close >/dev/null
}

# py: runs python3 with the given script on stdin.
py() {
	python3 - "$@"
}

# daemon_on STATE_DIR SOCKET: starts a second aeogated on another state
# directory (a copy to tamper with); its pid in $OTHER_PID.
daemon_on() {
	"$AEOGATED" -c "$T/sim.ini" --state-dir "$1" --socket "$2" >>"$T/other.log" 2>&1 &
	OTHER_PID=$!
	wait_for 10 "$AEOGATECTL" --socket "$2" status || fail "aeogated on $1 did not come up"
}

daemon_off() {
	kill -TERM "$OTHER_PID"
	wait "$OTHER_PID" || true
	OTHER_PID=""
}
