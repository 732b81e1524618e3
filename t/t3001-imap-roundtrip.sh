#!/usr/bin/env bash
# The main job end to end against a real Dovecot and SMTP sink: a customer
# mail becomes SUP-1, the customer gets one auto-response, a reply lands on
# SUP-1, restarts create no duplicates, and the IMAP flag comes only after
# the commit.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'
DATA=$TICKETD_SRC/t/data/mail
mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
db () { sqlite3 "$TEST_DIR/ticketd.db" "$@"; }

test_expect_success 'servers and configuration' '
	start_dovecot &&
	start_smtp_sink &&
	write_config ticketd.conf <<-\EOF &&
	[general]
	accept_unregistered = yes
	EOF
	"$TICKETD" -n -c ticketd.conf >out &&
	test_grep "configuration OK" out
'

test_expect_success 'a customer mail becomes SUP-1' '
	imap_append "$DATA/customer-en.eml" &&
	"$TICKETD" -c ticketd.conf --once 2>log &&
	test_grep "fate=created ticket=SUP-1" log &&
	test_grep "result=sent" log &&
	"$TICKETCTL" -c ticketd.conf show --json SUP-1 >show.json &&
	test_grep "\"subject\":\"Export to PDF fails\"" show.json &&
	test_grep "\"address\":\"alice@customer.example\"" show.json
'

test_expect_success 'exactly one auto-response, threaded to the customer mail' '
	[ "$(sink_count)" -eq 1 ] &&
	ar=$(sink_files | head -n 1) &&
	cp "$ar" autoresponse.eml &&
	grep -q "^RCPT TO:<alice@customer.example>" "${ar%.eml}.env" &&
	mt header "$ar" Subject >subject &&
	test_grep "^\[SUP-1\] Export to PDF fails$" subject &&
	[ "$(mt rawheader "$ar" In-Reply-To)" = "<alice-1@customer.example>" ] &&
	[ "$(mt rawheader "$ar" Auto-Submitted)" = "auto-replied" ] &&
	mt rawheader "$ar" Message-ID | grep -q "^<.*@example.com>$" &&
	mt body "$ar" >body &&
	test_grep "SUP-1" body
'

test_expect_success 'the IMAP message is flagged \Seen after its fate is committed' '
	imap_uids >uids &&
	test_grep "^1 .*Seen" uids &&
	[ "$(db "SELECT fate FROM messages WHERE uid = 1 AND direction = '\''in'\''")" = created ]
'

test_expect_success 'a reply with [SUP-1] in the subject is a comment on SUP-1' '
	mt reply autoresponse.eml --from "Alice Customer <alice@customer.example>" \
		--no-threading --subject "Re: [SUP-1] Export to PDF fails" \
		--body "It also fails for Excel exports." >reply.eml &&
	imap_append reply.eml &&
	"$TICKETD" -c ticketd.conf --once 2>log2 &&
	test_grep "fate=followup ticket=SUP-1" log2 &&
	test_grep "by=subject" log2 &&
	"$TICKETCTL" -c ticketd.conf show --json SUP-1 >show.json &&
	test_grep "It also fails for Excel exports" show.json &&
	[ "$(db "SELECT COUNT(*) FROM tickets")" -eq 1 ] &&
	[ "$(sink_count)" -eq 1 ]
'

test_expect_success 'a reply that keeps the thread headers lands on SUP-1 too' '
	mt reply autoresponse.eml --from "alice@customer.example" \
		--subject "Re: export" --body "Any news?" >reply2.eml &&
	imap_append reply2.eml &&
	"$TICKETD" -c ticketd.conf --once 2>log3 &&
	test_grep "fate=followup ticket=SUP-1" log3 &&
	[ "$(db "SELECT COUNT(*) FROM tickets")" -eq 1 ]
'

test_expect_success 'a Japanese ISO-2022-JP subject reads correctly' '
	imap_append "$DATA/customer-ja.eml" &&
	"$TICKETD" -c ticketd.conf --once 2>log4 &&
	test_grep "fate=created ticket=SUP-2 lang=ja sev=2" log4 &&
	"$TICKETCTL" -c ticketd.conf show --json SUP-2 >ja.json &&
	test_grep "\"subject\":\"ライセンスの更新ができません\"" ja.json &&
	test_grep "\"name\":\"山田太郎\"" ja.json &&
	"$TICKETCTL" -c ticketd.conf show SUP-2 >ja.txt &&
	test_grep "ライセンスの更新ができません" ja.txt
'

test_expect_success 'a lost server action is redone, and nothing is ingested twice' '
	# As if the daemon died after the commit and before the flag.
	"$PY" -c "import imaplib; i = imaplib.IMAP4(\"127.0.0.1\", $IMAP_PORT); i.login(\"support\", \"secret\"); i.select(\"INBOX\"); i.uid(\"STORE\", \"1\", \"-FLAGS.SILENT\", \"(\\\\Seen)\")" &&
	! imap_uids | grep -q "^1 .*Seen" &&
	db "UPDATE messages SET imap_pending = 1 WHERE uid = 1; UPDATE cursors SET last_uid = 0" &&
	"$TICKETD" -c ticketd.conf --once 2>log5 &&
	! grep -q "fate=" log5 &&
	imap_uids >uids &&
	test_grep "^1 .*Seen" uids &&
	[ "$(db "SELECT COUNT(*) FROM tickets")" -eq 2 ] &&
	[ "$(db "SELECT COUNT(*) FROM messages WHERE direction = '\''in'\''")" -eq 4 ]
'

test_expect_success 'the daemon: kill -9 and restart creates no duplicates' '
	start_ticketd ticketd.conf &&
	mt new --from "bob@customer.example" --subject "Crash test" --body "one" >m5.eml &&
	imap_append m5.eml &&
	wait_for "grep -q \"fate=created ticket=SUP-3\" \"\$TICKETD_LOG\"" 15 &&
	kill -KILL $TICKETD_PID && wait $TICKETD_PID 2>/dev/null;
	TICKETD_LOG=$TEST_DIR/ticketd2.log start_ticketd ticketd.conf &&
	mt new --from "bob@customer.example" --subject "Second" --body "two" >m6.eml &&
	imap_append m6.eml &&
	wait_for "grep -q \"fate=created ticket=SUP-4\" \"$TEST_DIR/ticketd2.log\"" 15 &&
	[ "$(db "SELECT COUNT(*) FROM tickets")" -eq 4 ] &&
	[ "$(db "SELECT COUNT(*) FROM messages WHERE direction = '\''in'\''")" -eq 6 ] &&
	stop_ticketd
'

test_expect_success 'SIGTERM: the daemon exits 0' '
	TICKETD_LOG=$TEST_DIR/ticketd3.log start_ticketd ticketd.conf &&
	wait_for "grep -q event=started \"$TEST_DIR/ticketd3.log\"" 10 &&
	stop_ticketd &&
	test_grep "event=stopped status=0" "$TEST_DIR/ticketd3.log"
'

test_expect_success 'the flag never appears before the commit (watched live)' '
	# Not "start_ticketd && watcher &": that would put the daemon in the background subshell too.
	TICKETD_LOG=$TEST_DIR/ticketd4.log start_ticketd ticketd.conf || return 1
	"$PY" "$TICKETD_SRC/t/watch-flags.py" --port $IMAP_PORT --db "$TEST_DIR/ticketd.db" \
		--count 5 --timeout 30 >watch.out 2>&1 &
	watcher=$! &&
	wait_for "grep -q ready watch.out" 10 &&
	for i in 1 2 3 4 5; do
		mt new --from "carol@customer.example" --subject "Live $i" --body "x" >live$i.eml &&
		imap_append live$i.eml && sleep 0.3 || return 1
	done &&
	wait $watcher &&
	test_grep "checked 5" watch.out &&
	stop_ticketd &&
	test_grep "event=stopped status=0" "$TEST_DIR/ticketd4.log"
'

test_done
