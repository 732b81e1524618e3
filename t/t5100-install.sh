#!/usr/bin/env bash
# cmake --install with the prefix /usr into a DESTDIR: every file an admin
# needs (the programs, the unit, the system user, tmpfiles, logrotate, man
# pages, the configuration once), a unit that passes systemd-analyze verify
# and scores 2.0 or better in systemd-analyze security, a configuration
# that checks out as installed.
#
# The /usr build tree lives in $TICKETD_BUILD/t5100-prefix-usr and is kept
# between runs, so only the first run compiles (two programs, not the
# tests).  Builds run on the real clock (a faketime'd make sees odd mtimes).
. "$(dirname "$0")/test-lib.sh"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip_all 'systemd-analyze is not installed'
fi
if [ "$(id -u)" -eq 0 ]; then
	test_set_prereq ROOT
fi

BUILD=$TICKETD_BUILD/t5100-prefix-usr
ROOT=$TEST_DIR/root
real_clock () {
	env -u LD_PRELOAD -u FAKETIME "$@"
}

test_expect_success 'configure and build with the prefix /usr' '
	real_clock cmake -S "$TICKETD_SRC" -B "$BUILD" -DCMAKE_INSTALL_PREFIX=/usr \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >cmake.log &&
	real_clock cmake --build "$BUILD" -j2 --target ticketd ticketctl >build.log
'

test_expect_success 'DESTDIR install puts every file in place' '
	DESTDIR=$ROOT real_clock cmake --install "$BUILD" >install.log &&
	(cd "$ROOT" && find . -type f | sort) >files &&
	sed -e "s/^/	/" files &&
	for f in usr/sbin/ticketd usr/sbin/ticketctl \
		usr/lib/systemd/system/ticketd.service \
		usr/lib/sysusers.d/ticketd.conf usr/lib/tmpfiles.d/ticketd.conf \
		etc/logrotate.d/ticketd \
		etc/ticketd/ticketd.conf etc/ticketd/ticketd.conf.example \
		usr/share/man/man8/ticketd.8 usr/share/man/man8/ticketctl.8 \
		usr/share/man/man5/ticketd.conf.5 \
		usr/share/ticketd/templates/en/autoresponse.txt \
		usr/share/ticketd/templates/ja/autoresponse.txt \
		usr/share/ticketd/holidays/AMER.txt usr/share/ticketd/holidays/EMEA.txt \
		usr/share/ticketd/holidays/APAC.txt \
		usr/share/doc/ticketd/README.md usr/share/doc/ticketd/postfix/master.cf
	do
		grep -qx "./$f" files || { echo "missing: $f"; return 1; }
	done &&
	test "$(stat -c %a "$ROOT/etc/ticketd/ticketd.conf")" = 640 &&
	! grep -rl "@[A-Z_]*@" "$ROOT/etc" "$ROOT/usr/lib" "$ROOT/usr/share/man"
'

test_expect_success 'the prefix is honoured: unit, programs, man pages, configuration' '
	unit=$ROOT/usr/lib/systemd/system/ticketd.service &&
	test_grep "^ExecStart=/usr/sbin/ticketd -c /etc/ticketd/ticketd.conf$" "$unit" &&
	test_grep "^ExecStartPre=/usr/sbin/ticketd -n -c /etc/ticketd/ticketd.conf$" "$unit" &&
	test_grep "^Documentation=file:///usr/share/doc/ticketd/README.md$" "$unit" &&
	"$ROOT/usr/sbin/ticketd" --help >help &&
	test_grep "else /etc/ticketd/ticketd.conf" help &&
	"$ROOT/usr/sbin/ticketctl" --help >ctlhelp &&
	test_grep "else /etc/ticketd/ticketd.conf" ctlhelp &&
	test_grep "^\.I /etc/ticketd/ticketd.conf$" "$ROOT/usr/share/man/man5/ticketd.conf.5" &&
	test_grep "^templates = /usr/share/ticketd/templates$" "$ROOT/etc/ticketd/ticketd.conf" &&
	test_grep "^holidays = /usr/share/ticketd/holidays/APAC.txt$" "$ROOT/etc/ticketd/ticketd.conf" &&
	test_grep "^database = /var/lib/ticketd/ticketd.db$" "$ROOT/etc/ticketd/ticketd.conf" &&
	test_grep "^u ticketd " "$ROOT/usr/lib/sysusers.d/ticketd.conf" &&
	test_grep "^/var/log/ticketd/ticketd.log {" "$ROOT/etc/logrotate.d/ticketd"
'

test_expect_success 'the installed configuration checks out (paths moved into DESTDIR)' '
	mkdir state &&
	sed -e "s#/usr/share/ticketd/#$ROOT/usr/share/ticketd/#" \
	    -e "s#/var/lib/ticketd/#$TEST_DIR/state/#" \
	    "$ROOT/etc/ticketd/ticketd.conf" >moved.conf &&
	TICKETD_IMAP_PASSWORD=x "$ROOT/usr/sbin/ticketd" -n -c moved.conf >out &&
	test_grep "^configuration OK$" out
'

test_expect_success 'a second install keeps the admin'"'"'s configuration' '
	echo "# edited by the admin" >>"$ROOT/etc/ticketd/ticketd.conf" &&
	echo "# stale" >>"$ROOT/etc/ticketd/ticketd.conf.example" &&
	# cmake --install copies a file whose time differs by a second or more.
	touch -d "2000-01-01" "$ROOT/etc/ticketd/ticketd.conf.example" &&
	DESTDIR=$ROOT real_clock cmake --install "$BUILD" >install2.log &&
	test_grep "Keeping: $ROOT/etc/ticketd/ticketd.conf" install2.log &&
	test_grep "^# edited by the admin$" "$ROOT/etc/ticketd/ticketd.conf" &&
	test_grep ! "^# stale$" "$ROOT/etc/ticketd/ticketd.conf.example"
'

test_expect_success 'the man pages render without warnings' '
	for page in man8/ticketd.8 man8/ticketctl.8 man5/ticketd.conf.5; do
		groff -man -ww -z -Tutf8 "$ROOT/usr/share/man/$page" 2>warn &&
		test_line_count = 0 warn || return 1
	done
'

# systemd-analyze --root needs what a real system has beside our files:
# the standard targets our unit is ordered against, and /bin/kill.
test_expect_success 'a system root for systemd-analyze' '
	cp -a "$ROOT" vroot &&
	cp -a /usr/lib/systemd/system/*.target vroot/usr/lib/systemd/system/ &&
	mkdir -p vroot/usr/bin &&
	cp "$(type -P kill)" vroot/usr/bin/kill &&
	ln -s usr/bin vroot/bin
'

test_expect_success ROOT 'sysusers.d creates the ticketd user, tmpfiles.d the folders and modes' '
	mkdir -p vroot/etc/ticketd &&
	echo secret >vroot/etc/ticketd/imap.secret &&
	real_clock systemd-sysusers --root="$TEST_DIR/vroot" >sysusers.log 2>&1 &&
	test_grep "^ticketd:x:[0-9]*:[0-9]*:.*:/var/lib/ticketd:" vroot/etc/passwd &&
	real_clock systemd-tmpfiles --root="$TEST_DIR/vroot" --create >tmpfiles.log 2>&1 &&
	uid=$(awk -F: "\$1 == \"ticketd\" { print \$3 }" vroot/etc/passwd) &&
	gid=$(awk -F: "\$1 == \"ticketd\" { print \$3 }" vroot/etc/group) &&
	test "$(stat -c "%a %u:%g" vroot/var/lib/ticketd)" = "700 $uid:$gid" &&
	test "$(stat -c "%a %u:%g" vroot/var/log/ticketd)" = "750 $uid:$gid" &&
	test "$(stat -c "%a %u:%g" vroot/etc/ticketd/ticketd.conf)" = "640 0:$gid" &&
	test "$(stat -c "%a %u:%g" vroot/etc/ticketd/imap.secret)" = "640 0:$gid"
'

# MANPATH: verify checks that the Documentation= man pages exist.
test_expect_success 'the unit passes systemd-analyze verify' '
	MANPATH=$TEST_DIR/vroot/usr/share/man real_clock systemd-analyze verify --root="$TEST_DIR/vroot" ticketd.service >verify.log 2>&1 &&
	test_line_count = 0 verify.log
'

test_expect_success 'the unit scores 2.0 or better in systemd-analyze security' '
	real_clock systemd-analyze security --offline=yes --root="$TEST_DIR/vroot" ticketd.service >security.log 2>&1 &&
	score=$(sed -n "s/.*Overall exposure level for ticketd.service: \([0-9.]*\).*/\1/p" security.log) &&
	echo "score: $score" &&
	test -n "$score" &&
	awk -v s="$score" "BEGIN { exit !(s <= 2.0) }" ||
	{ grep "✗" security.log; return 1; }
'

test_expect_success 'the unit: notify, watchdog, its own user, UMask=0077, sandbox' '
	unit=vroot/usr/lib/systemd/system/ticketd.service &&
	for line in Type=notify WatchdogSec=60 User=ticketd UMask=0077 \
		StateDirectory=ticketd StateDirectoryMode=0700 LogsDirectory=ticketd \
		ProtectSystem=strict PrivateDevices=yes ProtectKernelTunables=yes \
		ProtectKernelModules=yes ProtectKernelLogs=yes CapabilityBoundingSet= \
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" \
		SystemCallFilter=@system-service MemoryDenyWriteExecute=yes
	do
		grep -qx "$line" "$unit" || { echo "missing: $line"; return 1; }
	done
'

test_done
