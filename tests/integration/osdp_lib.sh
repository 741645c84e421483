# Shared by the OSDP reader tests (issue 15): the PD emulator on a pty, and a
# site whose readers are osdp. Source after lib.sh.
#
# osdp_start NAME [ADDR...] starts an emulator answering for the addresses
# (default 0), with the secure channel key $OSDP_SCBK when set (else SCBK-D) and points the stable link $T/NAME at its pty, so a config's
# port (= $T/NAME) stays right when the emulator restarts on a new
# /dev/pts/N. osdp NAME LINE... sends it a control line (card ADDR BITS,
# keys ADDR DIGITS, silent ADDR|all on|off, badcrc/badseq/busy ADDR N,
# garbage N, tamper ADDR on|off, stats ADDR).
OSDP_PD="$BUILD_DIR/tests/fakes/osdp/osdp-pd"
declare -A OSDP_PID=()

osdp_start() {
	local name=$1 a args=()
	shift
	for a in "${@:-0}"; do args+=(--address "$a"); done
	rm -f "$T/$name.pts"
	[ -z "${OSDP_SCBK:-}" ] || args+=(--scbk "$OSDP_SCBK")
	"$OSDP_PD" --pts-file "$T/$name.pts" --control "$T/$name.ctl" "${args[@]}" \
		>/dev/null 2>>"$T/$name.log" &
	OSDP_PID[$name]=$!
	wait_for 5 test -s "$T/$name.pts" || fail "osdp-pd $name did not come up"
	ln -sfn "$(cat "$T/$name.pts")" "$T/$name"
	if [ -z "${OSDP_TRAP:-}" ]; then
		OSDP_TRAP=1
		trap osdp_exit EXIT
	fi
}

osdp() {
	local name=$1
	shift
	OSDP_OUT=$("$OSDP_PD" --send "$T/$name.ctl" "$@") || fail "osdp-pd $name refused: $* ($OSDP_OUT)"
}

# osdp_kill NAME: the bus is unplugged; its pty and the link go away.
osdp_kill() {
	local name=$1 pid=${OSDP_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "OSDP_PID[$name]"
	rm -f "$T/$name"
}

osdp_exit() {
	local rc=$? name
	set +e
	for name in "${!OSDP_PID[@]}"; do
		kill -KILL "${OSDP_PID[$name]}" 2>/dev/null || true
		wait "${OSDP_PID[$name]}" 2>/dev/null || true
	done
	(exit $rc)
	cleanup
}

# osdp_stat NAME ADDR FIELD: one counter of the emulator's stats line.
osdp_stat() {
	osdp "$1" stats "$2"
	printf '%s\n' "$OSDP_OUT" | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# osdp_stat_above NAME ADDR FIELD N: the counter is above N (for wait_for).
osdp_stat_above() {
	[ "$(osdp_stat "$1" "$2" "$3")" -gt "$4" ]
}

# write_osdp_config [EXTRA_READER_KEYS]: door dock-1 with osdp reader
# dock-1-in at address 0 on the bus $T/bus, written to $T/osdp.ini.
write_osdp_config() {
	cat >"$T/osdp.ini" <<INI
[controller]
site_name = OSDP test site
timezone = UTC
# CI runs the tests as root, without an aeogate user: stay root.
allow_root = true

[door dock-1]
zone = dock
lock = sim
contact = sim
rex = sim

[reader dock-1-in]
type = osdp
door = dock-1
port = $T/bus
address = 0
formats = all
${1:-secure = off}
INI
}
