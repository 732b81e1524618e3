#!/usr/bin/env bash
# Failures that must not stall the desk.  A poison message (one that fails
# for a reason of its own: here the store refuses its ticket) is retried a
# bounded number of rounds while the mailbox goes on, then gets fate
# failed with its bytes and goes to quarantine.  A template broken on disk
# after start changes nothing (templates are read at start and on
# SIGHUP, and a reload with a broken one keeps the old configuration).
# Threads that die (no descriptor left to open the store) are noticed,
# logged and started again with backoff until they run.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'
command -v sqlite3 >/dev/null || skip_all 'sqlite3 missing'

mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
db () { sqlite3 "$TEST_DIR/ticketd.db" "$@"; }
mail_in () {
	mt new --from "$1 <$1@customer.example>" --subject "$2" --body "$3" \
		--msgid "$1-$RANDOM@customer.example" >"$1.eml" &&
	imap_append "$1.eml"
}

test_expect_success 'setup: Dovecot, the sink, a store that refuses any ticket about POISON' '
	start_dovecot &&
	start_smtp_sink &&
	cp -r "$TICKETD_SRC/conf/templates" tmpl &&
	write_config ticketd.conf <<-EOF &&
	[general]
	accept_unregistered = yes
	templates = $TEST_DIR/tmpl
	EOF
	"$TICKETCTL" -c ticketd.conf list >/dev/null &&
	db "CREATE TRIGGER poison BEFORE INSERT ON tickets WHEN NEW.subject LIKE '\''%POISON%'\''
	    BEGIN SELECT RAISE(ABORT, '\''the store refuses this ticket'\''); END;" &&
	mail_in anna "First" "one" &&
	mail_in paul "POISON pill" "this one fails" &&
	mail_in bert "Third" "three"
'

test_expect_success 'a poison message: counted, retried next round, the mailbox goes on' '
	test_expect_code 75 "$TICKETD" -c ticketd.conf --once 2>run1.log &&
	test_grep "uid=1 .*fate=created" run1.log &&
	test_grep "uid=2 .*result=error.*the store refuses this ticket" run1.log &&
	test_grep "uid=2 event=message_failed attempt=1 of=3" run1.log &&
	test_grep "uid=3 .*fate=created" run1.log &&
	imap_uids >uids1 &&
	test_grep "^1 .*Seen" uids1 && test_grep "^3 .*Seen" uids1 &&
	test_grep "^2$" uids1 &&
	test_expect_code 75 "$TICKETD" -c ticketd.conf --once 2>run2.log &&
	test_grep "uid=2 event=message_failed attempt=2 of=3" run2.log &&
	test_grep ! "uid=[13] " run2.log
'

test_expect_success 'third time: fate failed, its bytes kept, quarantined; then all is quiet' '
	"$TICKETD" -c ticketd.conf --once 2>run3.log &&
	test_grep "error ingest mailbox=support uid=2 .*fate=failed by=error attempts=3" run3.log &&
	[ "$(db "SELECT fate FROM messages WHERE uid = 2")" = failed ] &&
	db "SELECT writefile('\''stored.eml'\'', raw) FROM messages WHERE uid = 2" >/dev/null &&
	cmp paul.eml stored.eml &&
	[ "$(imap_count Quarantine)" -eq 1 ] &&
	[ "$(imap_count)" -eq 2 ] &&
	[ "$(db "SELECT COUNT(*) FROM intake_failures")" -eq 0 ] &&
	"$TICKETD" -c ticketd.conf --once 2>run4.log &&
	test_grep ! "fate=" run4.log &&
	[ "$(db "SELECT COUNT(*) FROM tickets")" -eq 2 ]
'

test_expect_success 'a template broken on disk after start: mail goes on, HUP keeps the old configuration' '
	start_ticketd ticketd.conf &&
	wait_for "grep -q event=started \"\$TICKETD_LOG\"" 10 &&
	printf "Subject: {{#ticket}}broken\n\n{{nosuchvar}}\n" >tmpl/en/autoresponse.txt &&
	before=$(sink_count) &&
	mail_in cara "After the break" "still answered" &&
	wait_for "grep -q \"fate=created ticket=SUP-3\" \"\$TICKETD_LOG\"" 20 &&
	sink_wait $((before + 1)) 10 &&
	kill -HUP $TICKETD_PID &&
	wait_for "grep -q \"event=reload_failed\" \"\$TICKETD_LOG\"" 10 &&
	test_grep "keeping the old configuration" "$TICKETD_LOG" &&
	mail_in dora "After the reload" "answered too" &&
	wait_for "grep -q \"fate=created ticket=SUP-4\" \"\$TICKETD_LOG\"" 20 &&
	sink_wait $((before + 2)) 10 &&
	test_grep ! "result=tempfail" "$TICKETD_LOG" &&
	cp "$TICKETD_SRC/conf/templates/en/autoresponse.txt" tmpl/en/ &&
	kill -HUP $TICKETD_PID &&
	wait_for "grep -q \"event=reloaded\" \"\$TICKETD_LOG\"" 10 &&
	stop_ticketd
'

# short_of_fds N: ticketd with descriptors 0-2 only and a limit of N, in
# the background (pid in $pid, log in $TICKETD_LOG).  Back once its
# mailbox thread has died twice: 0; 1 when the daemon exited instead (the
# limit left the main thread itself short).
short_of_fds () {
	TICKETD_LOG=$TEST_DIR/fd-$1.log &&
	lib__spawn "$TICKETD_LOG" bash -c 'for fd in $(seq 3 64); do eval "exec $fd>&-"; done
		exec prlimit --nofile="$0":1024 "$@"' "$1" "$TICKETD" -c ticketd.conf &&
	pid=$! &&
	test_on_exit "lib__stop_pids $pid" &&
	wait_for "[ \$(grep -c \"event=thread_died thread=mailbox\" \"\$TICKETD_LOG\") -ge 2 ] ||
		! lib__pid_alive $pid" 15 &&
	lib__pid_alive $pid
}

test_expect_success 'threads that die (no descriptor to open the store) are restarted with backoff until they run' '
	# Room for what the main thread opens (13: 3-6 two pipes, 7-10 the
	# store, 11-12 the mailbox pipe), none for the stores the threads
	# open; a preloaded library (faketime) may take one or two more.
	for n in 13 14 15 16 17; do
		short_of_fds $n && break
		lib__stop_pids $pid
	done &&
	echo "# the mailbox thread died at a limit of $n descriptors" &&
	test_grep "Too many open files" "$TICKETD_LOG" &&
	test_grep "restart_in=2s" "$TICKETD_LOG" &&
	test_grep "status=\"degraded: 0/1 mailbox(es) running, not running: support" "$TICKETD_LOG" &&
	lib__pid_alive $pid &&
	prlimit --pid $pid --nofile=1024:1024 &&
	mail_in emil "After the restart" "five" &&
	wait_for "grep -q \"fate=created ticket=SUP-5\" \"\$TICKETD_LOG\"" 30 &&
	wait_for "grep -q \"status=\\\"running: 1/1 mailbox(es) running; sender running\" \"\$TICKETD_LOG\"" 10 &&
	lib__stop_pids $pid
'

test_done
