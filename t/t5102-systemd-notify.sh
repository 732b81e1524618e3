#!/usr/bin/env bash
# ticketd under systemd (Type=notify): READY=1 once the store is open,
# STATUS= lines, RELOADING=1 around a reload, STOPPING=1 at shutdown, and
# WATCHDOG=1 from the main loop at half of WatchdogSec=.  A listener on a
# unix datagram socket stands in for systemd ($NOTIFY_SOCKET).
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'

# notify_after N PATTERN: a line matching PATTERN comes after line N of
# the listener's log.
notify_after () {
	tail -n +"$(($1 + 1))" notify.log | grep -q -- "$2"
}

test_expect_success 'setup: servers, configuration, a notify socket' '
	start_dovecot &&
	start_smtp_sink &&
	write_config ticketd.conf &&
	lib__spawn listen.out "$PY" "$TICKETD_SRC/t/dgram-listen.py" \
		"$TEST_DIR/notify.sock" "$TEST_DIR/notify.log" &&
	listener=$! &&
	test_on_exit "lib__stop_pids $listener" &&
	wait_for "[ -S notify.sock ] && [ -s notify.log ]" 10
'

test_expect_success 'READY=1 once the store is open, with what it is doing' '
	NOTIFY_SOCKET=$TEST_DIR/notify.sock WATCHDOG_USEC=2000000 start_ticketd ticketd.conf &&
	wait_for "grep -q READY=1 notify.log" 15 &&
	test_path_is_file ticketd.db &&
	grep -n "" notify.log &&
	open=$(grep -n "STATUS=opening the store $TEST_DIR/ticketd.db" notify.log | cut -d: -f1) &&
	ready=$(grep -n "READY=1" notify.log | head -n 1 | cut -d: -f1) &&
	test -n "$open" && test "$open" -lt "$ready" &&
	test_grep "STATUS=running: 1 mailbox(es), store $TEST_DIR/ticketd.db" notify.log
'

test_expect_success 'the watchdog is fed about every second (WatchdogSec=2)' '
	wait_for "[ \$(grep -c WATCHDOG=1 notify.log) -ge 3 ]" 10 &&
	grep WATCHDOG=1 notify.log | awk "
		NR > 1 && \$1 - last > 1800 { print \"gap of \" \$1 - last \" ms\"; bad = 1 }
		{ last = \$1 }
		END { exit bad }"
'

test_expect_success 'HUP: RELOADING=1, then READY=1 again' '
	n=$(wc -l <notify.log) &&
	kill -HUP "$TICKETD_PID" &&
	wait_for "notify_after $n RELOADING=1 && notify_after $n READY=1" 15 &&
	wait_for "grep -q event=reloaded \"\$TICKETD_LOG\"" 10
'

test_expect_success 'a reload that fails says so in STATUS and stays ready' '
	cp ticketd.conf good.conf &&
	echo "bogus = 1" >>ticketd.conf &&
	n=$(wc -l <notify.log) &&
	kill -HUP "$TICKETD_PID" &&
	wait_for "grep -q event=reload_failed \"\$TICKETD_LOG\"" 15 &&
	cp good.conf ticketd.conf &&
	wait_for "notify_after $n \"STATUS=.*the reload of ticketd.conf failed, kept the old configuration\"" 5 &&
	notify_after "$n" READY=1
'

test_expect_success 'TERM: STOPPING=1, and the daemon exits 0' '
	n=$(wc -l <notify.log) &&
	stop_ticketd &&
	notify_after "$n" STOPPING=1 &&
	notify_after "$n" "STATUS=stopping"
'

test_expect_success 'no WatchdogSec=: no watchdog messages' '
	n=$(wc -l <notify.log) &&
	TICKETD_LOG=$TEST_DIR/ticketd2.log NOTIFY_SOCKET=$TEST_DIR/notify.sock \
		start_ticketd ticketd.conf &&
	wait_for "notify_after $n READY=1" 15 &&
	sleep 1.5 &&
	stop_ticketd &&
	! notify_after "$n" WATCHDOG=1
'

test_expect_success 'without NOTIFY_SOCKET nothing is sent and nothing fails' '
	n=$(wc -l <notify.log) &&
	TICKETD_LOG=$TEST_DIR/ticketd3.log start_ticketd ticketd.conf &&
	wait_for "grep -q event=started \"$TEST_DIR/ticketd3.log\"" 10 &&
	stop_ticketd &&
	test "$(wc -l <notify.log)" -eq "$n"
'

test_done
