#!/bin/bash
# The amd64 Debian package (issue 16): unpacked into a scratch root
# (dpkg-deb -x, no maintainer scripts run on this machine), it holds the FHS
# layout, marks /etc/aeogate/aeogate.ini a conffile, computes Depends with
# dpkg-shlibdeps, creates users before directories in postinst and removes
# state only on purge; its units pass systemd-analyze verify; its aeogated
# runs --version; the ExecCondition= keeps the service stopped until the
# config names a door.
#
# The package: $AEOGATE_PACKAGE_DEB (scripts/test builds it once before
# ctest with ./scripts/package amd64), else this test builds it itself.
# Never a skip: scripts/package installs what the build needs.
source "$(dirname "$0")/lib.sh"

ARCH="$(dpkg --print-architecture)"
VERSION="$(dpkg-parsechangelog -l "$SOURCE_DIR/debian/changelog" -S Version)"
DEB="${AEOGATE_PACKAGE_DEB:-}"
if [ -z "$DEB" ]; then
	"$SOURCE_DIR/scripts/package" "$ARCH" >"$T/package.log" 2>&1 ||
		{ tail -n 40 "$T/package.log" >&2; fail "scripts/package $ARCH failed"; }
	DEB="$SOURCE_DIR/dist/aeogate_${VERSION}_${ARCH}.deb"
fi
[ -f "$DEB" ] || fail "no package at $DEB"
pass "package $(basename "$DEB")"

R="$T/root"
dpkg-deb -x "$DEB" "$R"
dpkg-deb -e "$DEB" "$T/control"

# The FHS layout of cmake --install.
for f in usr/sbin/aeogated usr/bin/aeogatectl usr/sbin/aeogate-web usr/sbin/aeogate-sync \
	usr/bin/aeogate-hub usr/share/aeogate/ui/index.html \
	lib/systemd/system/aeogated.service lib/systemd/system/aeogate-web.service \
	lib/systemd/system/aeogate-sync.service lib/systemd/system/aeogate-hub.service \
	lib/systemd/system/aeogate-hub-serve.service \
	usr/lib/sysusers.d/aeogate.conf usr/lib/tmpfiles.d/aeogate.conf lib/udev/rules.d/60-aeogate-gpio.rules \
	etc/aeogate/aeogate.ini usr/share/doc/aeogate/copyright \
	usr/share/doc/aeogate/README.md.gz \
	usr/share/man/man8/aeogated.8.gz usr/share/man/man1/aeogatectl.1.gz \
	usr/share/man/man8/aeogate-web.8.gz usr/share/man/man8/aeogate-sync.8.gz \
	usr/share/man/man1/aeogate-hub.1.gz usr/share/man/man5/aeogate.ini.5.gz; do
	[ -f "$R/$f" ] || fail "missing /$f"
done
for f in usr/sbin/aeogated usr/bin/aeogatectl usr/sbin/aeogate-web usr/sbin/aeogate-sync usr/bin/aeogate-hub; do
	[ -x "$R/$f" ] || fail "/$f is not executable"
done
stray="$(cd "$R" && find . -type f | grep -vE '^\./(usr/(s?bin|share|lib/(sysusers|tmpfiles)\.d)|lib/systemd/system|lib/udev/rules.d|etc/aeogate)/' || true)"
[ -z "$stray" ] || fail "files outside the layout: $stray"
zcat "$R/usr/share/man/man8/aeogated.8.gz" | matches '^\.TH "aeogated" "8"' || fail "aeogated(8) is not a roff page"
pass "file list: binaries, ui, units, sysusers, tmpfiles, config, docs, six man pages"

[ "$(cat "$T/control/conffiles")" = /etc/aeogate/aeogate.ini ] ||
	fail "conffiles: $(cat "$T/control/conffiles")"
depends="$(dpkg-deb -f "$DEB" Depends)"
for lib in libsqlite3-0 libwebsockets17 libsystemd0 libgpiod2 libnfc6 libsodium23 libmosquitto1 libc6; do
	echo "$depends" | grep -q "$lib" || fail "Depends lacks $lib (dpkg-shlibdeps): $depends"
done
echo "$depends" | grep -qw procps || fail "Depends lacks procps (/bin/kill, ExecReload=): $depends"
pass "conffile /etc/aeogate/aeogate.ini; Depends from dpkg-shlibdeps"

# postinst: users (sysusers) before the directories owned by them (tmpfiles).
grep -n 'systemd-sysusers' "$T/control/postinst" >/dev/null || fail "postinst runs no systemd-sysusers"
su_line=$(grep -n 'systemd-sysusers' "$T/control/postinst" | sed -n 1p | cut -d: -f1)
tf_line=$(grep -n 'systemd-tmpfiles' "$T/control/postinst" | sed -n 1p | cut -d: -f1)
[ -n "$tf_line" ] && [ "$su_line" -lt "$tf_line" ] || fail "postinst: sysusers must come before tmpfiles"
grep -q "deb-systemd-helper enable 'aeogated.service'" "$T/control/postinst" || fail "aeogated.service not enabled"
# postrm removes /var/lib/aeogate in its purge branch only: the package's
# own postrm, without debhelper's blocks (they act on this machine's systemd
# state), run with its paths moved into $T.
mkdir -p "$T/fake/var/lib/aeogate" "$T/fake/var/lib/aeogate-hub"
touch "$T/fake/var/lib/aeogate/aeogate.db" "$T/fake/var/lib/aeogate-hub/hub.db"
grep -q 'deb-systemd-helper purge' "$T/control/postrm" || fail "postrm does not purge the unit state"
sed -e '/^# Automatically added/,/^# End automatically added/d' \
	-e "s#/var/lib/aeogate#$T/fake/var/lib/aeogate#g; s#/etc/aeogate#$T/fake/etc/aeogate#g" \
	"$T/control/postrm" >"$T/postrm"
grep -q "rm -rf $T/fake/var/lib/aeogate" "$T/postrm" || fail "postrm never removes /var/lib/aeogate"
for action in remove upgrade failed-upgrade abort-install; do
	sh "$T/postrm" "$action"
	[ -f "$T/fake/var/lib/aeogate/aeogate.db" ] || fail "postrm $action removed the state"
	[ -f "$T/fake/var/lib/aeogate-hub/hub.db" ] || fail "postrm $action removed the hub's store"
done
sh "$T/postrm" purge
[ ! -e "$T/fake/var/lib/aeogate" ] || fail "postrm purge kept the state"
[ ! -e "$T/fake/var/lib/aeogate-hub" ] || fail "postrm purge kept the hub's store"
pass "postinst: sysusers, then tmpfiles, then enable; postrm removes state on purge only"

# The unit files, checked against the scratch root's binaries (with the
# host's own targets, grep (ExecCondition=) and kill (ExecReload=, procps,
# which the package depends on) copied in for the references).
mkdir -p "$R/bin"
cp /bin/grep "$R/bin/grep"
cp /bin/kill "$R/bin/kill"
for u in /lib/systemd/system/*; do
	[ -e "$R/lib/systemd/system/$(basename "$u")" ] || cp -a "$u" "$R/lib/systemd/system/" 2>/dev/null || true
done
out="$(systemd-analyze verify --man=no --root="$R" /lib/systemd/system/aeogated.service \
	/lib/systemd/system/aeogate-web.service /lib/systemd/system/aeogate-sync.service \
	/lib/systemd/system/aeogate-hub.service /lib/systemd/system/aeogate-hub-serve.service 2>&1)" ||
	fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
pass "systemd-analyze verify: aeogated, aeogate-web, aeogate-sync, aeogate-hub and aeogate-hub-serve"

v="$("$R/usr/sbin/aeogated" --version)"
[ "$v" = "aeogated $VERSION" ] || fail "aeogated --version: '$v', package $VERSION"
"$R/usr/bin/aeogatectl" --version | matches -x "aeogatectl $VERSION" || fail "aeogatectl --version"
"$R/usr/sbin/aeogate-sync" --version | matches -x "aeogate-sync $VERSION" || fail "aeogate-sync --version"
"$R/usr/bin/aeogate-hub" --version | matches -x "aeogate-hub $VERSION" || fail "aeogate-hub --version"
"$R/usr/sbin/aeogated" -c "$R/etc/aeogate/aeogate.ini" --check-config >"$T/check.out" ||
	fail "the default config does not pass --check-config"
grep -q "ok: 0 doors" "$T/check.out" || fail "default config: $(cat "$T/check.out")"
pass "the package's aeogated --version is $VERSION; the default config checks"

# ExecCondition= exactly as the unit has it, on the default config (skip)
# and on one that names a door (start).
cond="$(sed -n 's/^ExecCondition=//p' "$R/lib/systemd/system/aeogated.service")"
[ -n "$cond" ] || fail "aeogated.service has no ExecCondition="
run_cond() { eval "${cond//\/etc\/aeogate\/aeogate.ini/$1}"; }
rc=0
run_cond "$R/etc/aeogate/aeogate.ini" || rc=$?
[ $rc -eq 1 ] || fail "ExecCondition on the default config exited $rc, want 1 (skip)"
printf '[controller]\n\n[door d1]\nzone = z\nlock = sim\n' >"$T/door.ini"
run_cond "$T/door.ini" || fail "ExecCondition on a config with a door did not pass"
pass "ExecCondition: skipped on the default config, started once a door is named"

echo "all $PASSED passed"
