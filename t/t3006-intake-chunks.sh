#!/usr/bin/env bash
# Batched intake: the mail above the cursor goes in chunks (one UID FETCH,
# one transaction with a savepoint per message, one STORE), bounded by
# count and by bytes; a message that fails inside a chunk is undone alone:
# the others keep their fates and flags, it is counted and waits for the
# next round, and nothing is ever ingested twice.  The listing itself
# goes in windows of 4,096 UIDs, so a backlog of 100,000 is not held at
# once, and a gap of UIDs wider than a window does not end it.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'
db () { sqlite3 "$TEST_DIR/ticketd.db" "$@"; }

# mails FIRST LAST [BODY_BYTES]: customer mails FIRST..LAST as files m<N>.eml.
mails () {
	"$PY" - "$@" <<-\EOF
	import sys
	first, last = int(sys.argv[1]), int(sys.argv[2])
	size = int(sys.argv[3]) if len(sys.argv) > 3 else 0
	filler = ("The export job fails every night; the log is below.\n" * (size // 52 + 1))[:size]
	for i in range(first, last + 1):
	    with open("m%d.eml" % i, "w") as f:
	        f.write("From: Customer %d <c%d@customer.example>\nTo: support@example.com\n"
	                "Subject: Chunk test %d\nMessage-ID: <chunk-%d@customer.example>\n"
	                "Date: Thu, 26 Nov 2026 10:00:00 +0000\n\nHello,\n\nmail %d.\n%s"
	                % (i, i, i, i, i, filler))
	EOF
}

# seen_count: how many messages of INBOX are flagged \Seen.
seen_count () {
	imap_uids | grep -c Seen || :
}

test_expect_success 'setup: Dovecot, a configuration, 600 mails in the Maildir' '
	start_dovecot &&
	write_config ticketd.conf <<-\EOF &&
	[general]
	accept_unregistered = yes
	autoresponse_limit = 0
	EOF
	mails 1 600 &&
	maildir_add $(for i in $(seq 1 600); do echo m$i.eml; done) &&
	test "$(imap_count)" -eq 600
'

test_expect_success '600 mails: three chunks (256 each at most), every fate, every flag' '
	"$TICKETD" -d -c ticketd.conf --once 2>log &&
	test "$(grep -c " fate=created " log)" -eq 600 &&
	grep "event=chunk" log >chunks &&
	test_line_count = 3 chunks &&
	test_grep "event=chunk messages=256 .* committed=256" chunks &&
	test_grep "event=chunk messages=88 .* committed=88" chunks &&
	test "$(db "SELECT COUNT(*) FROM messages WHERE direction = '\''in'\''")" -eq 600 &&
	test "$(db "SELECT COUNT(*) FROM messages WHERE imap_pending = 1")" -eq 0 &&
	test "$(seen_count)" -eq 600
'

test_expect_success 'a chunk is bounded by bytes too: 300 KB mails go a few at a time' '
	mails 601 612 300000 &&
	maildir_add $(for i in $(seq 601 612); do echo m$i.eml; done) &&
	"$TICKETD" -d -c ticketd.conf --once 2>log &&
	test "$(grep -c " fate=created " log)" -eq 12 &&
	grep "event=chunk" log >chunks &&
	test_line_count -ge 2 chunks &&
	sed -n "s/.* bytes=\([0-9]*\) .*/\1/p" chunks >sizes &&
	while read -r b; do test "$b" -le 2097152 || return 1; done <sizes &&
	test "$(seen_count)" -eq 612
'

test_expect_success 'a message that fails inside a chunk is undone alone, the chunk goes on' '
	# The store refuses one message (as a constraint would): its savepoint
	# is rolled back and its failure counted; the other nine are committed
	# and flagged.
	db "CREATE TRIGGER poison BEFORE INSERT ON messages
	    WHEN NEW.message_id = '\''chunk-617@customer.example'\''
	    BEGIN SELECT RAISE(ABORT, '\''poisoned for the test'\''); END" &&
	mails 613 622 &&
	maildir_add $(for i in $(seq 613 622); do echo m$i.eml; done) &&
	test_expect_code 75 "$TICKETD" -d -c ticketd.conf --once 2>log &&
	test "$(grep -c " fate=created " log)" -eq 9 &&
	test_grep "uid=617 .*result=error .*poisoned for the test" log &&
	test_grep "uid=617 event=message_failed attempt=1 of=3" log &&
	test_grep "event=chunk messages=10 .* committed=9" log &&
	test "$(db "SELECT COUNT(*) FROM messages WHERE direction = '\''in'\''")" -eq 621 &&
	test "$(seen_count)" -eq 621 &&
	imap_uids >uids &&
	test_grep "^616 \\\\Seen" uids &&
	test_grep "^617$" uids &&
	test_grep "^618 \\\\Seen" uids
'

test_expect_success 'the next round takes the one that failed, each message once' '
	db "DROP TRIGGER poison" &&
	"$TICKETD" -c ticketd.conf --once 2>log &&
	test "$(grep -c " fate=created " log)" -eq 1 &&
	test_grep "uid=617 .*fate=created" log &&
	test "$(db "SELECT COUNT(*) FROM messages WHERE direction = '\''in'\''")" -eq 622 &&
	test "$(db "SELECT COUNT(DISTINCT message_id) FROM messages WHERE direction = '\''in'\''")" -eq 622 &&
	test "$(db "SELECT COUNT(*) FROM intake_failures")" -eq 0 &&
	test "$(seen_count)" -eq 622
'

# maildir_mails FIRST LAST: "mails FIRST LAST", then moved into the
# Maildir as maildir_add does, without two processes per file.
maildir_mails () {
	mails "$1" "$2" &&
	"$PY" - "$DOVECOT_DIR/mail/$IMAP_USER/Maildir" "$1" "$2" <<-\EOF
	import os, shutil, sys
	md, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	for i in range(first, last + 1):
	    tmp = os.path.join(md, "tmp", "1796000000.M%08dP%d.bulk" % (i, os.getpid()))
	    shutil.move("m%d.eml" % i, tmp)
	    if os.getuid() == 0:
	        os.chown(tmp, 65534, 65534)
	    os.rename(tmp, os.path.join(md, "new", os.path.basename(tmp)))
	EOF
}

test_expect_success 'a backlog over the listing window (4,096 UIDs) is listed window by window, in one --once run' '
	maildir_mails 623 4822 &&
	test "$(imap_count)" -eq 4822 &&
	"$TICKETD" -d -c ticketd.conf --once 2>log &&
	test "$(grep -c " fate=created " log)" -eq 4200 &&
	grep "event=listed" log >listed &&
	test_line_count = 2 listed &&
	test_grep "after=622 messages=4096 more=yes" listed &&
	test_grep "after=4718 messages=104 more=no" listed &&
	test "$(db "SELECT COUNT(DISTINCT message_id) FROM messages WHERE direction = '\''in'\''")" -eq 4822 &&
	test "$(seen_count)" -eq 4822
'

test_expect_success 'a gap of UIDs wider than the window is crossed, not taken for the end' '
	# 5,000 UIDs used and given back: copies of the whole folder, expunged.
	"$PY" - <<-EOF &&
	import imaplib
	m = imaplib.IMAP4("127.0.0.1", $IMAP_PORT)
	m.login("$IMAP_USER", "$IMAP_PASS")
	m.select("INBOX")
	m.uid("COPY", "1:4822", "INBOX")
	m.uid("STORE", "4823:*", "+FLAGS.SILENT", "(\\\\Deleted)")
	m.expunge()
	m.logout()
	EOF
	test "$(imap_count)" -eq 4822 &&
	maildir_mails 4823 4823 &&
	"$TICKETD" -d -c ticketd.conf --once 2>log &&
	test_grep "fate=created" log &&
	test_grep "uid=9645 msgid=<chunk-4823@customer.example>" log &&
	grep "event=listed" log >listed &&
	test_line_count = 1 listed &&
	test_grep "after=4822 messages=1 more=no" listed
'

test_done
