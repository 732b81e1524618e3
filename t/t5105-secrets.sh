#!/usr/bin/env bash
# Secrets are read only by the code that connects: every ticketctl command
# works with no mailbox or SMTP secret available; ticketd -n checks each
# secret source and names its line; the daemon reports a missing secret
# per mailbox when it connects (that mailbox only) and reads a secret file
# again at each connection.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'

DATA=$TICKETD_SRC/t/data/mail
unset TICKETD_TEST_IMAP_PASSWORD

test_expect_success 'setup: two mailboxes, one whose secret is missing; SMTP with a missing secret file' '
	start_dovecot &&
	start_smtp_sink &&
	write_config ticketd.conf <<-EOF &&
	[mailbox other]
	url = imap://127.0.0.1:$IMAP_PORT
	tls = no
	user = other
	password = secret
	after = seen
	EOF
	sed -i -e "s/^password = secret$/password_env = TICKETD_TEST_IMAP_PASSWORD/" ticketd.conf &&
	sed -i -e "/^\[mailbox other\]/,\$s/^password_env = .*/password = secret/" ticketd.conf &&
	sed -i -e "/^url = smtp:/a tls = no\nuser = ticketd\npassword_file = smtp.secret" ticketd.conf &&
	chmod 600 ticketd.conf &&
	grep -n "" ticketd.conf &&
	test_grep "^password_env = TICKETD_TEST_IMAP_PASSWORD$" ticketd.conf &&
	test_path_is_missing smtp.secret
'

test_expect_success 'ticketctl needs no secret: registry, deliver, list, show, comment, outbox, sla' '
	"$TICKETCTL" -c ticketd.conf org add Customer --plan SP1 --region EMEA --domain customer.example &&
	"$TICKETCTL" -c ticketd.conf contact add alice@customer.example --org Customer &&
	"$TICKETCTL" -c ticketd.conf agent add agent@example.com --name Agent &&
	"$TICKETCTL" -c ticketd.conf deliver <"$DATA/customer-en.eml" >fate &&
	test_grep "fate=created ticket=SUP-1" fate &&
	"$TICKETCTL" -c ticketd.conf list >list &&
	test_grep SUP-1 list &&
	"$TICKETCTL" -c ticketd.conf show SUP-1 >show &&
	"$TICKETCTL" -c ticketd.conf comment SUP-1 --as agent@example.com -m "Looking at it" &&
	"$TICKETCTL" -c ticketd.conf outbox >outbox &&
	"$TICKETCTL" -c ticketd.conf sla >sla &&
	test_grep queued outbox
'

test_expect_success 'ticketd -n checks every secret source, each at its line' '
	test_expect_code 1 "$TICKETD" -n -c ticketd.conf 2>err &&
	smtp_line=$(grep -n "^password_file = smtp.secret" ticketd.conf | cut -d: -f1) &&
	env_line=$(grep -n "^password_env = TICKETD_TEST_IMAP_PASSWORD" ticketd.conf | cut -d: -f1) &&
	test_grep "^ticketd.conf:$smtp_line: \[smtp\] unable to read secret file .smtp.secret.: No such file or directory$" err &&
	test_grep "^ticketd.conf:$env_line: \[mailbox support\] environment variable .TICKETD_TEST_IMAP_PASSWORD. is not set$" err &&
	test_line_count = 2 err
'

test_expect_success 'ticketd -n passes once they can be read' '
	echo unused >smtp.secret &&
	TICKETD_TEST_IMAP_PASSWORD=secret "$TICKETD" -n -c ticketd.conf >out &&
	test_grep "^configuration OK$" out &&
	rm smtp.secret
'

test_expect_success 'the daemon: the mailbox without its secret says so at each try, the other works' '
	"$PY" "$TICKETD_SRC/t/mail-tool.py" new --from alice@customer.example \
		--subject "Second question" --body "Another one." >second.eml &&
	IMAP_USER=other imap_append second.eml &&
	start_ticketd ticketd.conf &&
	wait_for "grep -q \"mailbox=other .*fate=created ticket=SUP-2\" \"\$TICKETD_LOG\"" 15 &&
	wait_for "[ \$(grep -c \"mailbox=support event=disconnected kind=secret error=.no password: environment variable .TICKETD_TEST_IMAP_PASSWORD. is not set.\" \"\$TICKETD_LOG\") -ge 2 ]" 15 &&
	test_grep "mailbox=other event=connected" "$TICKETD_LOG" &&
	test_grep ! "mailbox=support event=connected" "$TICKETD_LOG"
'

test_expect_success 'the outbox waits for its secret file, then reads it at the next connection' '
	wait_for "grep -q \"event=server_unavailable .*error=\\\"no SMTP password: unable to read secret file .smtp.secret.: No such file or directory\\\"\" \"\$TICKETD_LOG\"" 15 &&
	stop_ticketd &&
	test "$(sink_count)" -eq 0 &&
	echo unused >smtp.secret &&
	chmod 640 smtp.secret &&
	test_tick 120 &&
	test_expect_code 75 "$TICKETD" -c ticketd.conf --once 2>once.log &&
	sink_wait 3 10 &&
	test_grep "kind=autoresponse .*result=sent" once.log &&
	test_grep "kind=comment .*result=sent" once.log &&
	test_grep "mailbox=support event=disconnected" once.log
'

test_done
