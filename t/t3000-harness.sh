#!/usr/bin/env bash
# t3000-harness: the test harness itself (test-lib.sh, lib-servers.sh, the
# IMAP/SMTP helpers). Needs no ticketd binary: Dovecot and aiosmtpd only.

. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or python3-aiosmtpd is not installed'

# ---- test-lib.sh ------------------------------------------------------------

# run_nested SCRIPT: runs a nested test script, unaffected by our options.
run_nested () {
	env -u TEST_VERBOSE -u TEST_TRACE -u TEST_IMMEDIATE -u TEST_NO_TAP bash "$@"
}

# A nested test script exercising the library; its TAP output is checked.
cat >"$TEST_DIR/nested.sh" <<'NESTED'
. "$TICKETD_SRC/t/test-lib.sh"
test_on_exit 'echo cleanup-ran >>"$MARK"'
test_expect_success 'passes' 'true'
test_expect_success 'fails' 'echo some output && false'
test_expect_failure 'known breakage' 'false'
test_expect_success NOPE 'needs a prereq' 'false'
test_skip 'skipped' 'no reason'
echo "$TEST_DIR" >"$MARK.dir"
test_done
NESTED

test_expect_success 'test-lib: TAP output, summary and exit status' '
	MARK=$TEST_DIR/mark && export MARK &&
	test_expect_code 1 run_nested nested.sh >nested.out 2>nested.err &&
	cat >expect <<-\EOF &&
	ok 1 - passes
	not ok 2 - fails
	#	commands:
	#	echo some output && false
	#	output:
	#	some output
	not ok 3 - known breakage # TODO known breakage
	ok 4 # skip needs a prereq (missing NOPE)
	ok 5 # skip skipped (no reason)
	1..5
	# 1 passed, 1 failed
	# 2 skipped, 1 known breakage(s), 0 fixed
	EOF
	sed -e "/^# kept the test directory/d" nested.out >actual &&
	test_cmp expect actual
'

test_expect_success 'test-lib: cleanup ran, failed run keeps its directory' '
	test_grep cleanup-ran mark &&
	dir=$(cat mark.dir) &&
	test_path_is_dir "$dir" &&
	test_grep "^# kept the test directory: $dir\$" nested.out &&
	rm -rf "$dir"
'

test_expect_success 'test-lib: a passing run removes its directory, skip_all exits 77' '
	printf "%s\n" ". \"\$TICKETD_SRC/t/test-lib.sh\"" \
		"echo \"\$TEST_DIR\" >\"\$MARK.dir\"" \
		"test_expect_success ok true" test_done >pass.sh &&
	run_nested pass.sh >pass.out &&
	printf "ok 1 - ok\n1..1\n# 1 passed, 0 failed\n" >expect &&
	test_cmp expect pass.out &&
	test_path_is_missing "$(cat mark.dir)" &&
	printf "%s\n" ". \"\$TICKETD_SRC/t/test-lib.sh\"" "skip_all \"no frobnicator\"" >skip.sh &&
	test_expect_code 77 run_nested skip.sh >skip.out &&
	echo "1..0 # SKIP no frobnicator" >expect &&
	test_cmp expect skip.out
'

test_expect_success 'test-lib: an early exit is a failure' '
	printf "%s\n" ". \"\$TICKETD_SRC/t/test-lib.sh\"" "exit 0" >early.sh &&
	test_expect_code 1 run_nested early.sh >early.out &&
	test_grep "exited early" early.out &&
	rm -rf "$(sed -n "s/^# kept the test directory: //p" early.out)"
'

test_expect_success 'wait_for: succeeds, and times out' '
	wait_for true 1 &&
	start=$SECONDS &&
	test_must_fail wait_for false 0.3 2>err &&
	test_grep "timed out after 0.3s" err &&
	test $((SECONDS - start)) -le 2
'

# ---- Dovecot -----------------------------------------------------------------

test_expect_success 'start_dovecot --ssl' '
	start_dovecot --ssl &&
	test -n "$IMAP_PORT" && test -n "$IMAPS_PORT" &&
	test "$IMAP_USER" = support && test "$IMAP_PASS" = secret &&
	test_path_is_file "$IMAP_CERT" &&
	port_greets "$IMAP_PORT" "* OK"
'

cat >"$TEST_DIR/mail1.eml" <<'MAIL'
From: Customer <customer@example.org>
To: support@example.com
Subject: harness test
Message-ID: <harness-1@example.org>
Date: Thu, 26 Nov 2026 10:00:00 +0000

Hello.
MAIL

test_expect_success 'imap_append, imap_uids, imap_count' '
	imap_append mail1.eml &&
	imap_uids >uids &&
	echo 1 >expect &&
	test_cmp expect uids &&
	test "$(imap_count)" = 1 &&
	imap_append mail1.eml INBOX "\\Seen \\Flagged" &&
	imap_uids >uids &&
	printf "1\n2 \\\\Flagged \\\\Seen\n" >expect &&
	test_cmp expect uids
'

test_expect_success 'imap_fetch returns the message with CRLF' '
	imap_fetch 1 >fetched &&
	test_grep "^Subject: harness test" fetched &&
	test "$(grep -c "$(printf "\r")\$" fetched)" = "$(wc -l <mail1.eml)"
'

test_expect_success 'imap_append creates a folder, imap_folders lists it' '
	imap_append mail1.eml "Quarantine" &&
	imap_folders >folders &&
	printf "INBOX\nQuarantine\n" >expect &&
	test_cmp expect folders &&
	test "$(imap_count Quarantine)" = 1
'

test_expect_success 'the second user has its own mailbox' '
	test "$(IMAP_USER=other imap_count)" = 0
'

test_expect_success 'IMAPS with the self-signed certificate' '
	"$PY" - >imaps.out <<-\EOF &&
	import imaplib, os, ssl
	ctx = ssl.create_default_context(cafile=os.environ["IMAP_CERT"])
	m = imaplib.IMAP4_SSL("localhost", int(os.environ["IMAPS_PORT"]), ssl_context=ctx)
	m.login("support", "secret")
	typ, data = m.select("INBOX", readonly=True)
	print(typ, data[0].decode())
	ctx = ssl._create_unverified_context()
	m2 = imaplib.IMAP4_SSL("127.0.0.1", int(os.environ["IMAPS_PORT"]), ssl_context=ctx)
	m2.login("support", "secret")
	m2.select("INBOX", readonly=True)
	print(m2.uid("SEARCH", "ALL")[1][0].decode())
	EOF
	printf "OK 2\n1 2\n" >expect &&
	test_cmp expect imaps.out
'

test_expect_success 'a second Dovecot runs beside the first' '
	first_dir=$DOVECOT_DIR first_port=$IMAP_PORT &&
	start_dovecot &&
	test "$DOVECOT_DIR" != "$first_dir" &&
	test "$IMAP_PORT" != "$first_port" &&
	test "$IMAPS_PORT" = 0 &&
	test "$(imap_count)" = 0 &&
	test "$(IMAP_PORT=$first_port imap_count)" = 2
'

test_expect_success 'stop_dovecot leaves no process, restart_dovecot keeps the mail' '
	pid=$(cat "$DOVECOT_DIR/pid") &&
	imap_append mail1.eml &&
	kids=$(lib__children "$pid") &&
	test -n "$kids" &&
	stop_dovecot &&
	! port_open "$IMAP_PORT" &&
	alive= &&
	for p in $pid $kids; do
		if lib__pid_alive "$p"; then
			echo "pid $p is still alive" && alive=1
		fi
	done &&
	test -z "$alive" &&
	restart_dovecot &&
	test "$(imap_count)" = 1 &&
	stop_dovecot
'

# ---- SMTP sink ---------------------------------------------------------------

test_expect_success 'start_smtp_sink, send with smtplib, .eml and .env' '
	start_smtp_sink &&
	test "$(sink_count)" = 0 &&
	"$PY" - <<-\EOF &&
	import os, smtplib
	msg = (b"From: a@example.org\r\nTo: b@example.org\r\nSubject: sink\r\n\r\n"
	       b"line one\r\n.leading dot\r\n\xe3\x81\x82 utf-8\r\n")
	with smtplib.SMTP("127.0.0.1", int(os.environ["SMTP_PORT"]), timeout=10) as s:
	    s.sendmail("a@example.org", ["b@example.org", "c@example.org"], msg)
	    s.sendmail("x@example.org", ["y@example.org"], b"Subject: two\r\n\r\nx\r\n")
	EOF
	sink_wait 2 &&
	sink_files >files &&
	printf "%s\n" "$SINK_DIR/000001.eml" "$SINK_DIR/000002.eml" >expect &&
	test_cmp expect files &&
	printf "From: a@example.org\r\nTo: b@example.org\r\nSubject: sink\r\n\r\nline one\r\n.leading dot\r\n\343\201\202 utf-8\r\n" >expect &&
	cmp expect "$SINK_DIR/000001.eml" &&
	printf "MAIL FROM:<a@example.org>\nRCPT TO:<b@example.org>\nRCPT TO:<c@example.org>\n" >expect &&
	test_cmp expect "$SINK_DIR/000001.env" &&
	test_grep "^MAIL FROM:<x@example.org>\$" "$SINK_DIR/000002.env"
'

test_expect_success 'STARTTLS and SMTPS sinks' '
	start_smtp_sink --starttls &&
	starttls_port=$SMTP_PORT starttls_dir=$SINK_DIR &&
	start_smtp_sink --ssl &&
	"$PY" - "$starttls_port" "$SMTP_PORT" <<-\EOF &&
	import os, smtplib, ssl, sys
	ctx = ssl.create_default_context(cafile=os.environ["TLS_CERT"])
	with smtplib.SMTP("localhost", int(sys.argv[1]), timeout=10) as s:
	    s.starttls(context=ctx)
	    s.sendmail("a@example.org", ["b@example.org"], b"Subject: tls\r\n\r\nx\r\n")
	with smtplib.SMTP_SSL("localhost", int(sys.argv[2]), context=ctx, timeout=10) as s:
	    s.sendmail("a@example.org", ["b@example.org"], b"Subject: ssl\r\n\r\nx\r\n")
	EOF
	test "$(sink_count "$starttls_dir")" = 1 &&
	sink_wait 1
'

test_expect_success 'write_config' '
	SMTP_PORT=2525 IMAP_PORT=1143 write_config conf <<-\EOF &&
	[mailbox other]
	user = other
	EOF
	cat >expect <<-EOF &&
	[general]
	database = $TEST_DIR/ticketd.db
	templates = $TICKETD_SRC/conf/templates
	support_address = support@example.com
	support_name = Example Support
	ticket_prefix = SUP
	poll_interval = 1

	[smtp]
	url = smtp://127.0.0.1:2525
	timeout = 10

	[mailbox support]
	url = imap://127.0.0.1:1143
	# The test Dovecot speaks clear text on loopback unless a test says otherwise.
	tls = no
	user = support
	password = secret
	folder = INBOX
	after = seen

	[mailbox other]
	user = other
	EOF
	test_cmp expect conf &&
	(unset SMTP_PORT IMAP_PORT && write_config conf2) &&
	test_grep ! "^url" conf2 &&
	test_grep ! "mailbox" conf2 &&
	test_grep "^timeout = 10" conf2
'

# ---- fake SMTP ---------------------------------------------------------------

# send.py PORT [TIMEOUT]: one message per stdin line "FROM TO"; prints
# "rcpt CODE" or "data CODE" (the reply that decided it), "timeout" or
# "disconnected" for each.
cat >"$TEST_DIR/send.py" <<'PY'
import smtplib, socket, sys
port = int(sys.argv[1])
timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 10
for line in sys.stdin:
    frm, to = line.split()
    msg = b"Subject: t\r\n\r\n.dot\r\nbody\r\n"
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=timeout) as s:
            s.ehlo()
            s.mail(frm)
            code, _ = s.rcpt(to)
            if code != 250:
                print("rcpt", code)
                continue
            code, _ = s.data(msg)
            print("data", code)
    except smtplib.SMTPDataError as e:
        print("data", e.smtp_code)
    except smtplib.SMTPServerDisconnected as e:
        # smtplib reports a read timeout as a disconnection.
        print("timeout" if "timed out" in str(e) else "disconnected")
    except (socket.timeout, TimeoutError):
        print("timeout")
PY

test_expect_success 'fake-smtp --codes 451,250' '
	start_fake_smtp --codes 451,250 &&
	printf "a@x b@y\na@x b@y\na@x b@y\n" | "$PY" send.py "$FAKE_SMTP_PORT" >out &&
	printf "data 451\ndata 250\ndata 250\n" >expect &&
	test_cmp expect out &&
	(cd "$FAKE_SMTP_DIR" && ls -- *.eml) >files &&
	printf "000001.eml\n000002.eml\n" >expect &&
	test_cmp expect files &&
	printf "Subject: t\r\n\r\n.dot\r\nbody\r\n" >expect &&
	cmp expect "$FAKE_SMTP_DIR/000001.eml" &&
	test_grep "^1 connect\$" "$FAKE_SMTP_DIR/log" &&
	test_grep -i "^1 C: MAIL FROM:<a@x>\$" "$FAKE_SMTP_DIR/log" &&
	test_grep "^1 S: 250-SIZE" "$FAKE_SMTP_DIR/log" &&
	test_grep "^1 S: 451 " "$FAKE_SMTP_DIR/log" &&
	test_grep "^2 S: 250 2.0.0 OK queued as 000001" "$FAKE_SMTP_DIR/log" &&
	wait_for "grep -q \"^3 disconnect\\\$\" \"$FAKE_SMTP_DIR/log\"" 5
'

test_expect_success 'fake-smtp --rcpt-codes and a 421 that closes' '
	start_fake_smtp --rcpt-codes 550,250 --codes 421 &&
	printf "a@x b@y\na@x b@y\na@x b@y\n" | "$PY" send.py "$FAKE_SMTP_PORT" >out &&
	printf "rcpt 550\ndata 421\ndata 250\n" >expect &&
	test_cmp expect out
'

test_expect_success 'fake-smtp --hang: the client times out' '
	start_fake_smtp --hang &&
	echo "a@x b@y" | "$PY" send.py "$FAKE_SMTP_PORT" 0.5 >out &&
	echo timeout >expect &&
	test_cmp expect out &&
	test_grep "^1 connect" "$FAKE_SMTP_DIR/log"
'

test_expect_success 'fake-smtp --hang-after-data and --close-after-connect' '
	start_fake_smtp --hang-after-data &&
	echo "a@x b@y" | "$PY" send.py "$FAKE_SMTP_PORT" 0.5 >out &&
	echo timeout >expect &&
	test_cmp expect out &&
	test_grep "^1 data 26 bytes" "$FAKE_SMTP_DIR/log" &&
	start_fake_smtp --close-after-connect &&
	echo "a@x b@y" | "$PY" send.py "$FAKE_SMTP_PORT" >out &&
	echo disconnected >expect &&
	test_cmp expect out
'

test_done
