#!/usr/bin/env bash
# The disk stops syncing the store's log under a running daemon (t/fail-sync.c,
# LD_PRELOAD: fsync and fdatasync of the -wal file fail with EIO while a flag
# file exists).  Intake commits its chunks lazily and syncs them in another
# thread before anything shows (store_begin_lazy, store_flush): a failed sync
# must flag nothing on the server and send nothing, log its fates as
# durable=unknown, put the store down with one error line, and once the disk
# syncs again every mail is flagged and answered once.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'
SHIM=$TICKETD_BUILD/t/libfail-sync.so
[ -f "$SHIM" ] || skip_all "no $SHIM"

# customer_mail, seen_count, sent_to: t/lib-servers.sh
sent_all () { cat "$SINK_DIR"/*.env 2>/dev/null | grep -c '^RCPT TO:' || :; }
fate_lines () { grep -c ' fate=' "$TICKETD_LOG" || :; }
db () { sqlite3 "$TEST_DIR/ticketd.db" "$@"; }

test_expect_success 'setup: Dovecot, the sink, the daemon with the shim, one mail taken' '
	start_dovecot &&
	start_smtp_sink &&
	write_config ticketd.conf <<-EOF &&
	[general]
	accept_unregistered = yes
	EOF
	export TICKETD_TEST_FAIL_SYNC=$TEST_DIR/fail.flag &&
	LD_PRELOAD="$SHIM${LD_PRELOAD:+:$LD_PRELOAD}" ASAN_OPTIONS=verify_asan_link_order=0 \
		start_ticketd ticketd.conf &&
	customer_mail 1 &&
	wait_for "[ \$(sent_to 1) -eq 1 ] && [ \$(seen_count) -eq 1 ]" 20 &&
	[ "$(fate_lines)" -eq 1 ]
'

test_expect_success 'the log does not sync: nothing flagged or sent, the fates said uncertain, one error line' '
	touch fail.flag &&
	customer_mail 2 && customer_mail 3 &&
	wait_for "grep -q \"syncing the store.s log\" \"\$TICKETD_LOG\"" 20 &&
	sleep 3 &&
	[ "$(seen_count)" -eq 1 ] &&
	[ "$(sent_all)" -eq 1 ] &&
	[ "$(grep " fate=" "$TICKETD_LOG" | grep -vc durable=unknown)" -eq 1 ] &&
	[ "$(grep " fate=" "$TICKETD_LOG" | grep -c durable=unknown)" -ge 1 ] &&
	[ "$(grep -c "event=unavailable" "$TICKETD_LOG")" -eq 1 ]
'

test_expect_success 'more mail while it still does not sync: nothing flagged or sent either' '
	customer_mail 4 &&
	sleep 5 &&
	[ "$(seen_count)" -eq 1 ] &&
	[ "$(sent_all)" -eq 1 ]
'

test_expect_success 'the disk syncs again: every mail flagged and answered, once' '
	rm -f fail.flag &&
	customer_mail 5 &&
	wait_for "[ \$(seen_count) -eq 5 ] && [ \$(sent_all) -eq 5 ]" 60 &&
	sleep 2 &&
	[ "$(sent_all)" -eq 5 ] &&
	[ "$(sent_to 2)" -eq 1 ] && [ "$(sent_to 3)" -eq 1 ] && [ "$(sent_to 4)" -eq 1 ] &&
	[ "$(db "SELECT COUNT(*) FROM messages WHERE direction = '\''in'\''")" -eq 5 ] &&
	[ "$(db "SELECT COUNT(*) FROM tickets")" -eq 5 ] &&
	stop_ticketd
'

test_done
