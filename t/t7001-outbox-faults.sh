#!/usr/bin/env bash
# The outbox under SMTP faults (t/fake-smtp.py): 421 and 451 are retried
# after backoff and the mail goes out once; 550 fails for good with an
# event, shows in `outbox --failed` and `outbox retry` sends it again; a
# refused session or sender and a refused connection are retried; a server that accepts and hangs times out
# (one timeout per round, not per mail) while intake goes on; kill -9 in
# the middle of a burst loses nothing, and duplicates stay rare; a server
# that takes the data and never answers leaves the outcome unknown: sent
# again once with dup=possible, found so again it fails (never a third copy).
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

"$PY" -c 'import aiosmtpd' 2>/dev/null || skip_all 'aiosmtpd missing'
command -v sqlite3 >/dev/null || skip_all 'sqlite3 missing'
lib_servers_have_deps && test_set_prereq DOVECOT

mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
T0=$TEST_T0

# setup_case NAME PORT [imap]: NAME.conf with its own store NAME.db, SMTP
# on PORT, [smtp] timeout = 2, the Dovecot mailbox only with "imap", and a
# registered customer alice@acme.example.
setup_case () {
	local imap=
	[ "${3:-}" = imap ] && imap=${IMAP_PORT:-}
	SMTP_PORT=$2 IMAP_PORT=$imap write_config "$1.conf" </dev/null &&
	sed -i -e "s|^database = .*|database = $TEST_DIR/$1.db|" \
		-e 's/^timeout = 10$/timeout = 2/' "$1.conf" &&
	"$TICKETCTL" -c "$1.conf" org add Acme --plan SP2 --region EMEA >/dev/null &&
	"$TICKETCTL" -c "$1.conf" contact add alice@acme.example --org Acme >/dev/null
}

# queue_mail NAME N [TIME]: alice's mail number N, delivered at TIME
# (default T0); it queues an auto-response.
queue_mail () {
	mt new --from "Alice <alice@acme.example>" --subject "Problem $2" \
		--body "Something is broken ($2)." --msgid "alice-$2@acme.example" >"$1-in$2.eml" &&
	TICKETD_NOW=${3:-$T0} "$TICKETCTL" -c "$1.conf" deliver <"$1-in$2.eml" >"$1-deliver$2.out" &&
	grep -q "fate=created" "$1-deliver$2.out"
}

# run NAME TIME LOG: one ticketd --once at TIME, log appended to LOG.
run () {
	TICKETD_NOW=$2 "$TICKETD" -c "$1.conf" --once 2>>"$3"
	return 0
}

dbq () { sqlite3 "$TEST_DIR/$1.db" "$2"; }
fake_connects () { grep -c ' connect$' "$FAKE_SMTP_DIR/log"; }
fake_saved () { ls "$FAKE_SMTP_DIR" | grep -c '\.eml$'; }

test_expect_success '421, then 451: retried after backoff, sent once' '
	start_fake_smtp --codes 421,451 &&
	setup_case c1 $FAKE_SMTP_PORT &&
	queue_mail c1 1 &&
	run c1 $T0 c1.log &&
	test_grep "result=deferred code=421" c1.log &&
	test_grep "event=server_unavailable" c1.log &&
	[ "$(dbq c1 "SELECT status || \" \" || attempts FROM outbox")" = "queued 1" ] &&
	next=$(dbq c1 "SELECT next_attempt_at FROM outbox") &&
	[ $((next - T0)) -ge 24 ] && [ $((next - T0)) -le 37 ] &&
	conns=$(fake_connects) &&
	run c1 $((next - 5)) c1.log &&
	[ "$(fake_connects)" -eq "$conns" ] &&
	run c1 $next c1.log &&
	test_grep "result=deferred code=451" c1.log &&
	[ "$(dbq c1 "SELECT status || \" \" || attempts FROM outbox")" = "queued 2" ] &&
	next2=$(dbq c1 "SELECT next_attempt_at FROM outbox") &&
	[ $((next2 - next)) -ge 48 ] && [ $((next2 - next)) -le 73 ] &&
	run c1 $next2 c1.log &&
	test_grep "result=sent code=250 attempt=3" c1.log &&
	[ "$(dbq c1 "SELECT status || \" \" || attempts FROM outbox")" = "sent 3" ] &&
	[ "$(fake_saved)" -eq 1 ] &&
	"$TICKETCTL" -c c1.conf outbox >outbox.txt &&
	test_grep "sent .*alice@acme.example" outbox.txt
'

test_expect_success '550: failed at once, an event on the ticket, no retry' '
	start_fake_smtp --rcpt-codes 550 &&
	setup_case c2 $FAKE_SMTP_PORT &&
	queue_mail c2 1 &&
	run c2 $T0 c2.log &&
	test_grep "result=failed code=550" c2.log &&
	[ "$(dbq c2 "SELECT status || \" \" || attempts FROM outbox")" = "failed 1" ] &&
	"$TICKETCTL" -c c2.conf show --json SUP-1 >show.json &&
	test_grep "\"type\":\"mail_failed\"" show.json &&
	test_grep "550" show.json &&
	"$TICKETCTL" -c c2.conf outbox --failed >failed.txt &&
	test_line_count = 1 failed.txt &&
	test_grep "^1 .*failed .*SUP-1 .*alice@acme.example.*550" failed.txt &&
	"$TICKETCTL" -c c2.conf outbox --failed --json >failed.json &&
	test_grep "\"status\":\"failed\"" failed.json &&
	test_grep "\"last_error\":\"RCPT failed: 550\"" failed.json &&
	conns=$(fake_connects) &&
	run c2 $((T0 + 86400)) c2.log &&
	[ "$(fake_connects)" -eq "$conns" ] &&
	[ "$(fake_saved)" -eq 0 ]
'

test_expect_success '550: outbox retry ID queues it again, and it goes out' '
	"$TICKETCTL" -c c2.conf outbox retry 1 >out &&
	test_grep "queued again" out &&
	run c2 $((T0 + 90000)) c2.log &&
	[ "$(dbq c2 "SELECT status FROM outbox")" = sent ] &&
	[ "$(fake_saved)" -eq 1 ] &&
	test_expect_code 1 "$TICKETCTL" -c c2.conf outbox retry 1 &&
	test_expect_code 1 "$TICKETCTL" -c c2.conf outbox retry 99 &&
	test_expect_code 2 "$TICKETCTL" -c c2.conf outbox retry one &&
	"$TICKETCTL" -c c2.conf outbox --failed >failed.txt &&
	test_line_count = 0 failed.txt
'

test_expect_success 'a refused session or sender (554 greeting, 530 to MAIL) is the server'\''s: retried, not failed' '
	start_fake_smtp --greeting 554 &&
	setup_case c7 $FAKE_SMTP_PORT &&
	queue_mail c7 1 &&
	run c7 $T0 c7.log &&
	test_grep "result=deferred code=554" c7.log &&
	test_grep "event=server_unavailable" c7.log &&
	[ "$(dbq c7 "SELECT status || \" \" || attempts FROM outbox")" = "queued 1" ] &&
	start_fake_smtp --mail-codes 530 &&
	setup_case c8 $FAKE_SMTP_PORT &&
	queue_mail c8 1 &&
	run c8 $T0 c8.log &&
	test_grep "result=deferred code=530" c8.log &&
	next=$(dbq c8 "SELECT next_attempt_at FROM outbox") &&
	run c8 $next c8.log &&
	[ "$(dbq c8 "SELECT status || \" \" || attempts FROM outbox")" = "sent 2" ] &&
	[ "$(fake_saved)" -eq 1 ]
'

test_expect_success 'connection refused: retried, then sent when the server is back' '
	port=$(free_port) &&
	setup_case c3 $port &&
	queue_mail c3 1 &&
	run c3 $T0 c3.log &&
	test_grep "result=deferred" c3.log &&
	test_grep -i "connect" c3.log &&
	test_grep "event=server_unavailable" c3.log &&
	[ "$(dbq c3 "SELECT status || \" \" || attempts FROM outbox")" = "queued 1" ] &&
	next=$(dbq c3 "SELECT next_attempt_at FROM outbox") &&
	start_fake_smtp --port $port &&
	run c3 $next c3.log &&
	[ "$(dbq c3 "SELECT status FROM outbox")" = sent ] &&
	[ "$(fake_saved)" -eq 1 ]
'

test_expect_success 'a server that accepts and hangs: one timeout per round, not one per mail' '
	start_fake_smtp --hang &&
	setup_case c4 $FAKE_SMTP_PORT &&
	queue_mail c4 1 && queue_mail c4 2 && queue_mail c4 3 &&
	start=$(date +%s) &&
	run c4 $T0 c4.log &&
	end=$(date +%s) &&
	[ $((end - start)) -le 4 ] &&
	test_grep "result=deferred" c4.log &&
	test_grep -i "timed out" c4.log &&
	[ "$(fake_connects)" -eq 1 ] &&
	[ "$(dbq c4 "SELECT COUNT(*) FROM outbox WHERE attempts = 1")" -eq 1 ] &&
	[ "$(dbq c4 "SELECT COUNT(*) FROM outbox WHERE attempts = 0 AND status = \"queued\"")" -eq 2 ]
'

test_expect_success DOVECOT 'while SMTP hangs, the running daemon still turns mail into tickets' '
	start_dovecot &&
	start_fake_smtp --hang &&
	hang_port=$FAKE_SMTP_PORT &&
	setup_case c5 $hang_port imap &&
	TICKETD_LOG=$TEST_DIR/c5-daemon.log start_ticketd c5.conf &&
	mt new --from "Alice <alice@acme.example>" --subject "First" --body "one" >c5-1.eml &&
	imap_append c5-1.eml &&
	wait_for "grep -q \"fate=created ticket=SUP-1\" c5-daemon.log" 10 &&
	wait_for "grep -q \" connect\$\" \"\$FAKE_SMTP_DIR/log\"" 5 &&
	mt new --from "Alice <alice@acme.example>" --subject "Second" --body "two" >c5-2.eml &&
	imap_append c5-2.eml &&
	wait_for "grep -q \"fate=created ticket=SUP-2\" c5-daemon.log" 5 &&
	wait_for "grep -q \"result=deferred\" c5-daemon.log" 5 &&
	test_grep -i "timed out" c5-daemon.log &&
	stop_ticketd &&
	[ "$(dbq c5 "SELECT COUNT(*) FROM outbox WHERE status = \"queued\"")" -eq 2 ]
'

test_expect_success DOVECOT 'the hung mail is retried and sent once the server answers' '
	stop_fake_smtp &&
	start_fake_smtp --port $hang_port &&
	run c5 $((T0 + 7 * 86400)) c5.log &&
	[ "$(dbq c5 "SELECT COUNT(*) FROM outbox WHERE status = \"sent\"")" -eq 2 ] &&
	[ "$(fake_saved)" -eq 2 ]
'

test_expect_success 'no answer after the data: outcome unknown, sent again once with dup=possible' '
	start_fake_smtp --hang-after-data &&
	hang_port=$FAKE_SMTP_PORT &&
	setup_case c9 $FAKE_SMTP_PORT &&
	queue_mail c9 1 &&
	t=$(date +%s) && run c9 $T0 c9.log && t=$(( $(date +%s) - t )) &&
	test_grep "result=deferred .*outcome=unknown" c9.log &&
	# The silent server holds nothing past the timeout (2 s), not even
	# the QUIT at exit (libcurl waits 120 s for it by default).
	echo "# --once against a server silent after the data: $t s" &&
	[ "$t" -le 8 ] &&
	[ "$(dbq c9 "SELECT status || \" \" || doubt FROM outbox")" = "queued 1" ] &&
	next=$(dbq c9 "SELECT next_attempt_at FROM outbox") &&
	run c9 $next c9.log &&
	test_grep "result=failed .*dup=possible.*not sent a third time" c9.log &&
	[ "$(dbq c9 "SELECT status || \" \" || doubt FROM outbox")" = "failed 2" ] &&
	"$TICKETCTL" -c c9.conf outbox retry 1 >out &&
	stop_fake_smtp &&
	start_fake_smtp --port $hang_port &&
	run c9 $((next + 60)) c9.log &&
	[ "$(dbq c9 "SELECT status || \" \" || doubt FROM outbox")" = "sent 0" ] &&
	[ "$(fake_saved)" -eq 1 ]
'

# message_ids DIR: the Message-ID of every mail in DIR, one a line.
message_ids () {
	"$PY" - "$1" <<-'EOF'
	import email, glob, os, sys
	for f in sorted(glob.glob(os.path.join(sys.argv[1], '*.eml'))):
	    with open(f, 'rb') as fh:
	        print(' '.join(email.message_from_binary_file(fh)['Message-ID'].split()))
	EOF
}

BURST=600
test_expect_success 'kill -9 in the middle of a burst, restart: every mail sent, none lost' '
	start_smtp_sink &&
	setup_case c6 $SMTP_PORT &&
	"$TICKETCTL" -c c6.conf agent add agent@example.com --name "Agent" &&
	queue_mail c6 1 &&
	{
		echo "BEGIN;" &&
		for ((i = 1; i < BURST; i++)); do
			echo "INSERT INTO participants (ticket, email, added_at) VALUES (1, '\''p$i@acme.example'\'', 0);"
		done &&
		echo "COMMIT;"
	} | sqlite3 "$TEST_DIR/c6.db" &&
	"$TICKETCTL" -c c6.conf comment SUP-1 --as agent@example.com -m "News for everyone." >out &&
	test_grep "$BURST notifications queued" out &&
	total=$(dbq c6 "SELECT COUNT(*) FROM outbox") &&
	[ "$total" -eq $((BURST + 1)) ] &&
	TICKETD_LOG=$TEST_DIR/c6-daemon.log start_ticketd c6.conf &&
	wait_for "[ \$(sink_count) -ge 40 ]" 20 &&
	kill -KILL $TICKETD_PID && { wait $TICKETD_PID 2>/dev/null; :; } &&
	at_kill=$(sink_count) &&
	[ "$at_kill" -lt "$total" ] &&
	TICKETD_LOG=$TEST_DIR/c6-daemon2.log start_ticketd c6.conf &&
	wait_for "[ \$(dbq c6 \"SELECT COUNT(*) FROM outbox WHERE status <> '\''sent'\''\") -eq 0 ]" 60 &&
	stop_ticketd &&
	sink_wait $total 10 &&
	message_ids "$SINK_DIR" | sort >ids.sink &&
	dbq c6 "SELECT '\''<'\'' || m.message_id || '\''>'\'' FROM outbox o JOIN messages m ON m.id = o.message" |
		sort >ids.rows &&
	sort -u ids.sink >ids.distinct &&
	test_cmp ids.rows ids.distinct &&
	dups=$(( $(wc -l <ids.sink) - $(wc -l <ids.distinct) )) &&
	echo "$total rows, $at_kill in the sink at the kill, $(wc -l <ids.sink) mails in all, $dups duplicate(s)" >burst.result &&
	cat burst.result &&
	[ "$dups" -le 1 ]
'
if [ -s "$TEST_DIR/burst.result" ]; then
	echo "# kill -9 burst: $(cat "$TEST_DIR/burst.result")"
fi

test_done
