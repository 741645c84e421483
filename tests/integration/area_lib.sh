# Shared by the area-rule tests (issue 14): a site whose cage has an in and
# an out reader, and people with badges. Source after lib.sh.

# The sim config (lib.sh) with an exit reader on each door, written to $T/area.ini.
write_area_config() {
	write_sim_config
	cat "$T/sim.ini" - >"$T/area.ini" <<INI

[reader dock-1-out]
type = sim
door = dock-1
direction = out
formats = all

[reader cage-1-out]
type = sim
door = cage-1
direction = out
formats = all
INI
}

# enrol ID NAME CARD: a person with the cage level and an H10301 badge (facility 12).
enrol() {
	ctl person add "$1" --name "$2" --level cage >/dev/null
	ctl badge issue "$1" --wiegand "h10301:12:$3" >/dev/null
}

# badge READER CARD: presents the card; $OUT holds what sim present printed.
badge() {
	local rc=0
	ctl sim present "$1" --bits "$(h10301_bits 12 "$2")" >"$T/out" 2>"$T/err" || rc=$?
	OUT="$(cat "$T/out")"
	ERR="$(cat "$T/err")"
	return $rc
}

# granted READER CARD / denied READER CARD REASON
granted() {
	badge "$1" "$2" || fail "$2 at $1 was not granted: $OUT $ERR"
}
denied() {
	local rc=0
	badge "$1" "$2" || rc=$?
	[ "$rc" -eq 1 ] || fail "$2 at $1 exited $rc, expected a denial ($3): $OUT $ERR"
	expect_contains "$OUT" "$3"
}
