#!/usr/bin/env bash
# The process separation is in the build, not a convention (DESIGN.md,
# "Processes"): aeogatectl, aeogate-web and aeogate-sync link libaeogate-common, never the
# daemon's code, so neither binary may need SQLite, libgpiod or libnfc, nor
# carry the store or a HAL backend. Checked on the binaries as built.
set -euo pipefail

: "${BUILD_DIR:?BUILD_DIR must point at the cmake build directory}"

if ! command -v readelf >/dev/null 2>&1; then
	echo "SKIP: readelf is not installed (binutils)"
	exit 77
fi

fail=0
for bin in "$BUILD_DIR/controller/ctl/aeogatectl" "$BUILD_DIR/controller/web/aeogate-web" \
	"$BUILD_DIR/controller/sync/aeogate-sync"; do
	name="$(basename "$bin")"
	if [ ! -x "$bin" ]; then
		echo "FAIL: $bin was not built" >&2
		exit 1
	fi
	needed="$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
	echo "$name needs: $(echo $needed)"
	for lib in libsqlite3 libgpiod libnfc; do
		if grep -q "^$lib\." <<<"$needed"; then
			echo "FAIL: $name needs $lib" >&2
			fail=1
		fi
	done
	# A static library leaves no NEEDED entry: look for the daemon's own code too.
	if command -v nm >/dev/null 2>&1; then
		bad="$(nm "$bin" 2>/dev/null | awk '{print $NF}' |
			grep -E '^(sqlite3_|gpiod_|nfc_|store_open$|hal_door_open$|core_new$)' | sed -n 1,5p || true)"
		if [ -n "$bad" ]; then
			echo "FAIL: $name carries daemon or device code: $(echo $bad)" >&2
			fail=1
		fi
	fi
done
[ "$fail" -eq 0 ] || exit 1
echo "PASS: aeogatectl, aeogate-web and aeogate-sync link neither SQLite, libgpiod nor libnfc"
