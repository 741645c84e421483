# Shared by the OSDP reader tests (issue 15): the PD emulator on a pty, and a
# site whose readers are osdp. Source after lib.sh.
#
# osdp_start NAME [ADDR...] starts an emulator answering for the addresses
# (default 0), with the secure channel key $OSDP_SCBK when set (else
# SCBK-D), through lib.sh's fake_start (the link $T/NAME is the port).
# osdp NAME LINE... sends it a control line (card ADDR BITS, keys ADDR
# DIGITS, fmt ADDR TEXT, input ADDR N on|off, rstat ADDR STATUS, silent
# ADDR|all on|off, badcrc/badseq/busy/badmac ADDR N, garbage N, tamper ADDR
# on|off, stats ADDR; see tests/fakes/osdp/osdp-pd.c).
OSDP_PD="$BUILD_DIR/tests/fakes/osdp/osdp-pd"

osdp_start() {
	local name=$1 a args=()
	shift
	for a in "${@:-0}"; do args+=(--address "$a"); done
	[ -z "${OSDP_SCBK:-}" ] || args+=(--scbk "$OSDP_SCBK")
	fake_start "$name" "$OSDP_PD" "${args[@]}"
}

osdp() {
	local name=$1
	shift
	OSDP_OUT=$("$OSDP_PD" --send "$T/$name.ctl" "$@") || fail "osdp-pd $name refused: $* ($OSDP_OUT)"
}

# osdp_kill NAME: the bus is unplugged; its pty and the link go away.
osdp_kill() {
	fake_kill "$1"
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
