#!/usr/bin/env bash
# The programs' contracts: configuration checks, exit codes, signals.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

DATA=$TICKETD_SRC/t/data/mail
SQ="'"

test_expect_success 'the documented example configuration is valid' '
	TICKETD_IMAP_PASSWORD=x "$TICKETD" -n -c "$TICKETD_SRC/conf/ticketd.conf" >out &&
	test_grep "^configuration OK$" out
'

test_expect_success 'every configuration error is reported as file:line: message' '
	cat >bad.conf <<-\EOF &&
	[general]
	database = x.db
	support_address = not an address
	poll_interval = fast
	bogus = 1
	[mailbox m]
	url = http://example.com
	[region EMEA]
	timezone = Mars/Olympus
	[nonsense]
	EOF
	test_expect_code 1 "$TICKETD" -n -c bad.conf 2>err &&
	test_grep "^bad.conf:3: support_address .not an address. is not a mail address" err &&
	test_grep "^bad.conf:4: poll_interval" err &&
	test_grep "^bad.conf:5: unknown key .bogus. in \[general\]" err &&
	test_grep "^bad.conf:7: mailbox url" err &&
	test_grep "^bad.conf:10: unknown section \[nonsense\]" err &&
	test_grep "\[mailbox m\] has no user" err
'

test_expect_success 'ticketd -n lists the problems of every phase at once, each as file:line: message' '
	cat >phases.conf <<-EOF &&
	[general]
	database = x.db
	support_address = support@example.com
	templates = nowhere
	poll_interval = fast

	[smtp]
	user = u
	password_file = smtp.secret

	[mailbox m]
	url = imap://127.0.0.1:1
	user = u
	password_env = TICKETD_T5001_UNSET
	region = Mars

	[region EMEA]
	timezone = Mars/Olympus
	hours = Mox-Fri 09:00-17:00
	holidays = missing.txt

	[region APAC]
	timezone = Asia/Tokyo
	hours = Mon-Fri 09:00-18:00
	holidays = apac.txt
	EOF
	printf "2026-01-01 New Year\n2026-13-01 Nonsense\n" >apac.txt &&
	test_expect_code 1 env -u TICKETD_T5001_UNSET "$TICKETD" -n -c phases.conf 2>err &&
	cat >expect <<-EOF &&
	phases.conf:5: poll_interval ${SQ}fast${SQ} must be a duration from 1s to 1d
	phases.conf:15: [mailbox m] region ${SQ}Mars${SQ} is not a configured region
	phases.conf:4: templates folder ${SQ}nowhere${SQ}: No such file or directory
	phases.conf:18: [region EMEA] timezone: unknown time zone ${SQ}Mars/Olympus${SQ}
	phases.conf:19: [region EMEA] hours: unknown day ${SQ}Mox${SQ} in ${SQ}Mox-Fri 09:00-17:00${SQ}
	phases.conf:20: [region EMEA] holidays: unable to open ${SQ}missing.txt${SQ}: No such file or directory
	apac.txt:2: no such date ${SQ}2026-13-01${SQ}
	phases.conf:9: [smtp] unable to read secret file ${SQ}smtp.secret${SQ}: No such file or directory
	phases.conf:14: [mailbox m] environment variable ${SQ}TICKETD_T5001_UNSET${SQ} is not set
	EOF
	sort expect >expect.sorted &&
	sort err >err.sorted &&
	test_cmp expect.sorted err.sorted
'

test_expect_success 'a missing key is reported at its section header' '
	printf "# no database\n[general]\nsupport_address = s@example.com\n" >nodb.conf &&
	test_expect_code 1 "$TICKETD" -n -c nodb.conf 2>err &&
	test_grep "^nodb.conf:2: \[general\] database is not set$" err
'

test_expect_success 'a missing configuration file is a clear error' '
	test_expect_code 1 "$TICKETD" -n -c nowhere.conf 2>err &&
	test_grep "nowhere.conf: unable to open: No such file or directory" err
'

test_expect_success 'a template error is reported at config check' '
	cp -r "$TICKETD_SRC/conf/templates" tpl &&
	printf "Subject: [{{ticket}}] {{subject}}\n\n{{#phone}}unclosed\n" >tpl/de/comment.txt &&
	cat >tpl.conf <<-EOF &&
	[general]
	database = x.db
	support_address = support@example.com
	templates = tpl
	EOF
	test_expect_code 1 "$TICKETD" -n -c tpl.conf 2>err &&
	test_grep "tpl/de/comment.txt:3: unclosed section" err
'

test_expect_success 'usage errors exit 2, help exits 0' '
	test_expect_code 2 "$TICKETD" --bogus 2>/dev/null &&
	test_expect_code 2 "$TICKETCTL" frobnicate 2>err &&
	test_grep "unknown command" err &&
	"$TICKETCTL" --help >help &&
	for cmd in inspect explain deliver list show; do
		grep -q "^  $cmd " help || return 1
	done &&
	"$TICKETD" --help >dhelp &&
	test_grep -- "--once" dhelp
'

test_expect_success 'inspect needs no configuration and no store' '
	TICKETD_CONFIG=/nonexistent "$TICKETCTL" inspect --json "$DATA/customer-en.eml" >i.json &&
	test_grep "\"subject\":\"Export to PDF fails\"" i.json &&
	test_expect_code 1 "$TICKETCTL" inspect missing.eml 2>err &&
	test_grep "unable to read .missing.eml." err
'

test_expect_success 'deliver exits 75 when the store cannot be used (the MTA retries)' '
	cat >tmpfail.conf <<-EOF &&
	[general]
	database = /dev/null/ticketd.db
	support_address = support@example.com
	templates = $TICKETD_SRC/conf/templates
	EOF
	test_expect_code 75 "$TICKETCTL" -c tmpfail.conf deliver <"$DATA/customer-en.eml" 2>err &&
	test_grep -E "unable to (open|create)" err
'

test_expect_success 'deliver prints the fate line and show/list find the ticket' '
	write_config ok.conf <<-\EOF &&
	[general]
	accept_unregistered = yes
	EOF
	"$TICKETCTL" -c ok.conf deliver <"$DATA/customer-en.eml" >fate &&
	test_grep "^mailbox=deliver msgid=<alice-1@customer.example> from=alice@customer.example fate=created ticket=SUP-1 " fate &&
	"$TICKETCTL" -c ok.conf list >list &&
	test_grep "^SUP-1 .* alice@customer.example  Export to PDF fails" list &&
	"$TICKETCTL" -c ok.conf list --json --status new >list.json &&
	test_grep "\"ticket\":\"SUP-1\"" list.json &&
	test_expect_code 1 "$TICKETCTL" -c ok.conf show SUP-77 2>err &&
	test_grep "no ticket SUP-77" err &&
	test_expect_code 2 "$TICKETCTL" -c ok.conf show banana 2>err
'

test_expect_success 'helo names us in EHLO' '
	start_fake_smtp &&
	SMTP_PORT=$FAKE_SMTP_PORT write_config helo.conf <<-\EOF &&
	[general]
	accept_unregistered = yes
	[smtp]
	helo = gw.example.com
	EOF
	"$TICKETCTL" -c helo.conf deliver <"$DATA/customer-en.eml" >/dev/null &&
	"$TICKETD" -c helo.conf --once 2>/dev/null &&
	test_grep "EHLO gw.example.com" "$FAKE_SMTP_DIR/log"
'

test_expect_success 'SIGHUP with a broken file keeps the old configuration; SIGUSR1 reopens the log' '
	write_config hup.conf <<-EOF &&
	[general]
	accept_unregistered = yes
	log_file = $TEST_DIR/hup.log
	EOF
	start_ticketd hup.conf &&
	wait_for "grep -q event=started hup.log" 10 &&
	cp hup.conf hup.good && echo "[general]" >>hup.conf && echo "poll_interval = never" >>hup.conf &&
	kill -HUP $TICKETD_PID &&
	wait_for "grep -q event=reload_failed hup.log" 10 &&
	test_grep "keeping the old configuration" hup.log &&
	cp hup.good hup.conf && kill -HUP $TICKETD_PID &&
	wait_for "grep -q event=reloaded hup.log" 10 &&
	mv hup.log hup.log.1 && kill -USR1 $TICKETD_PID &&
	wait_for "[ -s hup.log ]" 10 &&
	test_grep event=log_reopened hup.log &&
	stop_ticketd
'

test_done
