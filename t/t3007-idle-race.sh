#!/usr/bin/env bash
# Mail that lands while the daemon is busy between rounds: the server
# announces it (* N EXISTS) in its answer to whatever command is in flight
# (the flag STORE, the MOVE, the listing), and will not announce it again
# once the daemon enters IDLE.  The daemon must notice what it was told
# and take that mail at once, not at the next poll.  A proxy in front of
# Dovecot (t/imap-race-proxy.py) lands the mail at exactly that moment;
# the poll interval is two minutes, so only a prompt round passes.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'

# mail N: a customer mail m<N>.eml.
mail () {
	cat >"m$1.eml" <<-EOF
	From: Customer $1 <c$1@customer.example>
	To: support@example.com
	Subject: Race test $1
	Message-ID: <race-$1@customer.example>
	Date: Thu, 26 Nov 2026 10:00:00 +0000

	Hello, mail $1.
	EOF
}

# race NAME TRIGGER AFTER: a proxy NAME that lands NAME-late.eml in folder
# NAME when the daemon sends a line matching TRIGGER, and NAME.conf for
# that folder through it, with "after = AFTER" and a two-minute poll.
race () {
	local name=$1 trigger=$2 after=$3 port
	mkdir "$name" &&
	lib__spawn "$name.out" "$PY" "$TICKETD_SRC/t/imap-race-proxy.py" --port-file "$name/port" \
		--upstream "$IMAP_PORT" --trigger "$trigger" --append "$name-late.eml" \
		--folder "$name" --dir "$name" &&
	test_on_exit "lib__stop_pids $!" &&
	wait_for "[ -s $name/port ]" 10 &&
	port=$(cat "$name/port") &&
	IMAP_PORT=$port write_config "$name.conf.in" <<-EOF &&
	[general]
	accept_unregistered = yes
	EOF
	sed "s|^poll_interval = .*|poll_interval = 120|; s|^after = .*|after = $after|;
	     s|^folder = .*|folder = $name|; s|ticketd\.db|$name.db|" "$name.conf.in" >"$name.conf"
}

# late NAME FIRST LATE: with FIRST in INBOX, the daemon through proxy NAME
# takes FIRST; LATE lands mid-command and must be taken within 10 s.
late () {
	local name=$1 first=$2 late=$3
	cp "m$late.eml" "$name-late.eml" &&
	imap_append "m$first.eml" "$name" &&
	TICKETD_LOG=$TEST_DIR/$name.log &&
	start_ticketd "$name.conf" &&
	wait_for "grep -q \"<race-$first@customer.example>.* fate=created\" $name.log" 20 &&
	wait_for "grep -q \"^appended\" $name/log" 10 &&
	wait_for "grep -q \"<race-$late@customer.example>.* fate=created\" $name.log" 10 &&
	# Then it idles: no round after the one that found nothing new.
	sleep 1 &&
	test "$(grep -c "C: .* RFC822.SIZE" $name/log)" -le 3 &&
	stop_ticketd
}

test_expect_success 'setup: Dovecot, an SMTP sink, six mails' '
	start_dovecot &&
	start_smtp_sink &&
	for i in 1 2 3 4 5 6; do mail $i || return 1; done
'

test_expect_success 'mail announced in the answer to the flag STORE is taken at once' '
	race store "UID STORE" seen &&
	late store 1 2 &&
	test_grep "C: .* UID STORE" store/log
'

test_expect_success 'mail announced in the answer to the MOVE is taken at once' '
	race move "UID MOVE" move:Processed &&
	late move 3 4 &&
	test_grep "C: .* UID MOVE" move/log &&
	# Two rounds with a move on one connection: the folder is created once.
	test "$(grep -c "C: .* UID MOVE" move/log)" -eq 2 &&
	test "$(grep -c "C: .* CREATE Processed" move/log)" -eq 1
'

test_expect_success 'mail that lands as the listing goes out is taken in that round' '
	race list "RFC822.SIZE" seen &&
	late list 5 6
'

test_done
