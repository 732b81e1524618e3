#!/usr/bin/env bash
# An IMAP server that vanishes in the middle of a FETCH: the error is
# logged, nothing is committed or flagged, and the next connection takes
# the message exactly once.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'aiosmtpd missing'
db () { sqlite3 "$TEST_DIR/ticketd.db" "$@"; }

test_expect_success 'setup: a scripted IMAP server that cuts the first two fetches' '
	mkdir fake &&
	lib__spawn fake.out "$PY" "$TICKETD_SRC/t/fake-imap.py" --port-file fake/port \
		--message "$TICKETD_SRC/t/data/mail/customer-en.eml" --cut 2 --dir fake &&
	test_on_exit "lib__stop_pids $!" &&
	wait_for "[ -s fake/port ]" 10 &&
	start_smtp_sink &&
	write_config ticketd.conf <<-EOF
	[general]
	accept_unregistered = yes
	[mailbox fake]
	url = imap://127.0.0.1:$(cat fake/port)
	tls = no
	user = support
	password = secret
	EOF
'

test_expect_success 'a cut literal: a clear error, no fate, no flag, exit 75 (retry)' '
	test_expect_code 75 "$TICKETD" -c ticketd.conf --once 2>log1 &&
	test_grep "mailbox=fake event=disconnected" log1 &&
	! grep -q "fate=" log1 &&
	[ "$(db "SELECT COUNT(*) FROM messages")" -eq 0 ] &&
	! grep -q " flags " fake/log
'

test_expect_success 'the running daemon reconnects and takes the message exactly once' '
	start_ticketd ticketd.conf &&
	wait_for "grep -q \"fate=created ticket=SUP-1\" \"\$TICKETD_LOG\"" 20 &&
	wait_for "grep -q \" flags .*Seen\" fake/log" 10 &&
	test_grep "mailbox=fake event=disconnected" "$TICKETD_LOG" &&
	[ "$(db "SELECT COUNT(*) FROM messages WHERE direction = '\''in'\''")" -eq 1 ] &&
	sink_wait 1 &&
	stop_ticketd &&
	[ "$(db "SELECT COUNT(*) FROM tickets")" -eq 1 ]
'

test_done
