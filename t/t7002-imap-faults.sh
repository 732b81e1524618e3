#!/usr/bin/env bash
# IMAP servers that fail in the middle of a command.  The scripted server
# (t/fake-imap.py): a literal cut short, a server that stalls mid-literal,
# a literal that claims 70 MB while RFC822.SIZE says a few KB, a size over
# the literal limit.  Dovecot: restarted while the daemon IDLEs, and while
# it fetches a round of big mails.  Each time: a clear log line, nothing
# committed or flagged half-way, every mail taken exactly once, and mail
# over the limit gets fate too_large with its header, quarantined.
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

# fake NAME OPTIONS...: another scripted server and NAME.conf for it.
fake () {
	local name=$1
	shift
	mkdir "$name" &&
	lib__spawn "$name.out" "$PY" "$TICKETD_SRC/t/fake-imap.py" --port-file "$name/port" \
		--message "$TICKETD_SRC/t/data/mail/customer-en.eml" --dir "$name" "$@" &&
	test_on_exit "lib__stop_pids $!" &&
	wait_for "[ -s $name/port ]" 10 &&
	write_config "$name.conf" <<-EOF
	[general]
	accept_unregistered = yes
	database = $TEST_DIR/$name.db
	[mailbox fake]
	url = imap://127.0.0.1:$(cat "$name/port")
	tls = no
	user = support
	password = secret
	timeout = 2s
	EOF
}
fdb () { sqlite3 "$TEST_DIR/$1.db" "$2"; }

test_expect_success 'a server that stalls mid-literal: timed out, no fate, no flag; taken on the next run' '
	fake stall --stall 1 &&
	start=$(date +%s) &&
	test_expect_code 75 "$TICKETD" -c stall.conf --once 2>stall1.log &&
	[ $(( $(date +%s) - start )) -le 6 ] &&
	test_grep "mailbox=fake event=disconnected" stall1.log &&
	[ "$(fdb stall "SELECT COUNT(*) FROM messages")" -eq 0 ] &&
	! grep -q " flags " stall/log &&
	"$TICKETD" -c stall.conf --once 2>stall2.log &&
	test_grep "fate=created ticket=SUP-1" stall2.log &&
	[ "$(fdb stall "SELECT COUNT(*) FROM messages WHERE direction = '\''in'\''")" -eq 1 ]
'

test_expect_success 'a literal claiming 70 MB (the size said 2 KB): refused unread, then fate too_large with the header' '
	fake over --oversize 5 &&
	test_expect_code 75 "$TICKETD" -c over.conf --once 2>over1.log &&
	test_grep "event=hostile_literal section=body" over1.log &&
	test_grep "70000000 bytes claimed" over1.log &&
	[ "$(fdb over "SELECT COUNT(*) FROM messages")" -eq 0 ] &&
	"$TICKETD" -c over.conf --once 2>over2.log &&
	test_grep "fate=too_large" over2.log &&
	test_grep "70000000 bytes" over2.log &&
	test_grep "header section" over/log &&
	test_grep "moved 1 to Quarantine" over/log &&
	fdb over "SELECT raw FROM messages WHERE direction = '\''in'\''" >stored.eml &&
	test_grep "^Subject: Export to PDF fails" stored.eml &&
	test_grep ! "Hello" stored.eml &&
	[ "$(fdb over "SELECT fate FROM messages WHERE direction = '\''in'\''")" = too_large ] &&
	[ "$(fdb over "SELECT COUNT(*) FROM outbox WHERE kind = '\''too_large'\''")" -eq 1 ] &&
	[ "$(fdb over "SELECT COUNT(*) FROM intake_failures")" -eq 0 ]
'

test_expect_success 'RFC822.SIZE over the literal limit: only the header is fetched, fate too_large' '
	fake big --listed-size 70000000 &&
	"$TICKETD" -c big.conf --once 2>big.log &&
	test_grep "fate=too_large" big.log &&
	test_grep "header section" big/log &&
	! grep -q "BODY.PEEK\[\]" big/log &&
	test_grep "moved 1 to Quarantine" big/log
'

if lib_servers_have_deps; then
	test_set_prereq DOVECOT
fi
mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }

test_expect_success DOVECOT 'Dovecot restarted while the daemon IDLEs: reconnected, the next mail taken once' '
	start_dovecot &&
	write_config dove.conf <<-EOF &&
	[general]
	accept_unregistered = yes
	database = $TEST_DIR/dove.db
	EOF
	TICKETD_LOG=$TEST_DIR/dove.log start_ticketd dove.conf &&
	mt new --from "a@customer.example" --subject "Before" --body "one" --msgid "b1@customer.example" >b1.eml &&
	imap_append b1.eml &&
	wait_for "grep -q \"fate=created ticket=SUP-1\" dove.log" 20 &&
	sleep 1 &&
	restart_dovecot &&
	mt new --from "a@customer.example" --subject "After" --body "two" --msgid "b2@customer.example" >b2.eml &&
	imap_append b2.eml &&
	wait_for "grep -q \"fate=created ticket=SUP-2\" dove.log" 30 &&
	test_grep "event=disconnected" dove.log &&
	test_grep "event=reconnected" dove.log &&
	wait_for "[ \$(imap_uids | grep -c Seen) -eq 2 ]" 10 &&
	[ "$(fdb dove "SELECT COUNT(*) FROM messages WHERE direction = '\''in'\''")" -eq 2 ]
'

test_expect_success DOVECOT 'Dovecot restarted in the middle of a round of big FETCHes: each mail once' '
	for i in 3 4 5 6 7 8; do
		"$PY" -c "import sys; sys.stdout.write(\"From: a@customer.example\r\nSubject: Big $i\r\nMessage-ID: <b$i@customer.example>\r\n\r\n\" + (\"x\" * 76 + \"\r\n\") * 40000)" >b$i.eml &&
		imap_append b$i.eml || return 1
	done &&
	wait_for "grep -q \"fate=created ticket=SUP-3\" dove.log" 30 &&
	restart_dovecot &&
	wait_for "grep -q \"fate=created ticket=SUP-8\" dove.log" 60 &&
	wait_for "[ \$(imap_uids | grep -c Seen) -eq 8 ]" 20 &&
	[ "$(fdb dove "SELECT COUNT(*) FROM messages WHERE direction = '\''in'\''")" -eq 8 ] &&
	[ "$(fdb dove "SELECT COUNT(DISTINCT uid) FROM messages WHERE direction = '\''in'\''")" -eq 8 ] &&
	[ "$(fdb dove "SELECT COUNT(*) FROM tickets")" -eq 8 ] &&
	stop_ticketd
'

test_done
