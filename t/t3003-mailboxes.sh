#!/usr/bin/env bash
# Several mailboxes at once; one failing never stops the others; IDLE
# answers within about a second; a server restart is survived; oversized
# mail is quarantined with its raw bytes kept.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'
mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
db () { sqlite3 "$TEST_DIR/ticketd.db" "$@"; }
dead_port=$(free_port)

test_expect_success 'setup: two good mailboxes, a dead one and a hung one' '
	start_dovecot &&
	start_smtp_sink &&
	start_fake_smtp --hang &&
	write_config ticketd.conf <<-EOF
	[general]
	accept_unregistered = yes
	poll_interval = 30
	[mailbox other]
	url = imap://127.0.0.1:$IMAP_PORT
	tls = no
	user = other
	password = secret
	after = move:Done
	region = APAC
	language = ja
	[mailbox dead]
	url = imap://127.0.0.1:$dead_port
	tls = no
	user = x
	password = y
	[mailbox hung]
	url = imap://127.0.0.1:$FAKE_SMTP_PORT
	tls = no
	user = x
	password = y
	EOF
'

test_expect_success 'mail in both live mailboxes is taken while the dead one is retried' '
	start_ticketd ticketd.conf &&
	mt new --from "a@one.example" --subject "first box" --body "hello" >a.eml &&
	imap_append a.eml &&
	mt new --from "b@two.example" --subject "second box" --body "hello" >b.eml &&
	IMAP_USER=other imap_append b.eml &&
	# Within seconds, although the hung server holds its connection for a minute.
	wait_for "grep -q \"mailbox=support.*fate=created\" \"\$TICKETD_LOG\" && grep -q \"mailbox=other.*fate=created\" \"\$TICKETD_LOG\"" 5 &&
	test_grep "mailbox=dead event=disconnected" "$TICKETD_LOG" &&
	[ "$(IMAP_USER=other imap_count INBOX)" -eq 0 ] &&
	[ "$(IMAP_USER=other imap_count Done)" -eq 1 ] &&
	[ "$(db "SELECT region FROM tickets t JOIN messages m ON m.ticket = t.number WHERE m.mailbox = '\''other'\''")" = APAC ]
'

test_expect_success 'IDLE: a new mail gets its ticket within about a second' '
	mt new --from "c@one.example" --subject "fast" --body "quick" >c.eml &&
	start=$(date +%s%N) &&
	imap_append c.eml &&
	wait_for "grep -q \"subject=fast\\|msgid=<.*>.*from=c@one.example fate=created\" \"\$TICKETD_LOG\"" 10 &&
	end=$(date +%s%N) &&
	ms=$(( (end - start) / 1000000 )) &&
	echo "ticket after ${ms} ms" &&
	[ "$ms" -lt 3000 ]
'

test_expect_success 'the daemon reconnects after the IMAP server restarts' '
	restart_dovecot &&
	mt new --from "d@one.example" --subject "after restart" --body "again" >d.eml &&
	imap_append d.eml &&
	wait_for "grep -q \"from=d@one.example fate=created\" \"\$TICKETD_LOG\"" 30 &&
	stop_ticketd
'

test_expect_success 'after = delete removes the message once its fate is committed' '
	write_config del.conf <<-\EOF &&
	[general]
	accept_unregistered = yes
	EOF
	sed -i "s/^after = seen/after = delete/" del.conf &&
	mt new --from "f@one.example" --subject "delete me" --body "x" >f.eml &&
	imap_append f.eml &&
	before=$(imap_count) &&
	"$TICKETD" -c del.conf --once 2>dlog &&
	test_grep "from=f@one.example fate=created" dlog &&
	[ "$(imap_count)" -eq $((before - 1)) ]
'

test_expect_success 'oversized mail: fate too_large, raw kept, moved to Quarantine, sender told' '
	write_config small.conf <<-\EOF &&
	[general]
	accept_unregistered = yes
	max_message_size = 2K
	EOF
	head -c 4000 /dev/zero | tr "\0" "x" | fold -w 70 >big.txt &&
	mt new --from "e@one.example" --subject "huge" --body "$(cat big.txt)" >e.eml &&
	imap_append e.eml &&
	n=$(sink_count) &&
	"$TICKETD" -c small.conf --once 2>log &&
	test_grep "fate=too_large" log &&
	[ "$(imap_count Quarantine)" -eq 1 ] &&
	[ "$(db "SELECT length(raw) > 4000 FROM messages WHERE fate = '\''too_large'\''")" -eq 1 ] &&
	sink_wait $((n + 1)) &&
	grep -q "RCPT TO:<e@one.example>" "$(sink_files | tail -n 1 | sed "s/eml$/env/")"
'

test_done
