#!/bin/bash
# aeogated's command line without a running daemon: --check-config accepts
# the shipped configs (sim, and gpiod + wiegand + nfc), refuses a broken one
# with file:line: key: problem, and bad options give usage and exit 2.
source "$(dirname "$0")/lib.sh"

for cfg in "$SOURCE_DIR/config/demo.ini" "$SOURCE_DIR/config/example-pi.ini"; do
	expect_exit 0 "$AEOGATED" -c "$cfg" --check-config
	expect_contains "$OUT" "ok"
done
pass "the demo and the gpiod/wiegand/nfc example pass --check-config"

cat >"$T/bad.ini" <<'INI'
[controller]
site_name = Broken

[door dock-1]
zone = dock
lock = gpiochip0:17
lock_type = revolving
INI
expect_exit 1 "$AEOGATED" -c "$T/bad.ini" --check-config
expect_contains "$ERR" "$T/bad.ini:7: lock_type: must be strike or maglock"
pass "a bad value is reported as file:line: key: problem"

cat >"$T/bad2.ini" <<'INI'
[reader r1]
type = wiegand
door = nowhere
d0 = gpiochip0:5
d1 = gpiochip0:6
INI
expect_exit 1 "$AEOGATED" -c "$T/bad2.ini" --check-config
expect_contains "$ERR" "$T/bad2.ini:3: door: no door 'nowhere' is defined"
pass "a reader naming an undefined door is refused at the door key's line"

expect_exit 1 "$AEOGATED" -c "$T/missing.ini" --check-config
expect_contains "$ERR" "missing.ini"
pass "a missing config file is named"

expect_exit 2 "$AEOGATED" --bogus
expect_contains "$ERR" "usage"
expect_exit 2 "$AEOGATED"
expect_exit 2 "$AEOGATED" -c "$T/bad.ini" extra-arg
expect_exit 0 "$AEOGATED" --help
pass "unknown options and missing -c give usage and exit 2"

# A database from a newer schema is refused with a clear error.
write_sim_config
mkdir -p "$STATE"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA user_version=99'); c.commit()" "$STATE/aeogate.db"
expect_exit 1 "$AEOGATED" -c "$T/sim.ini" --state-dir "$STATE" --socket "$SOCK"
expect_contains "$ERR" "newer"
pass "a database from a newer schema is refused"
