#!/usr/bin/env bash
# Header injection: CR/LF smuggled in through a customer's subject or name
# (RFC 2047-encoded, so they survive the transport), a comment's text, or
# a command-line argument never produce a header line of their own in any
# outgoing mail (SPEC section 7: "CR/LF never pass").  And every field of
# a mail that reaches an outgoing header or a log line (Message-ID,
# In-Reply-To, References, From and Cc addresses, Authentication-Results,
# a bounce's recipient, attachment names) cannot forge a field or a line
# of its own there: each fate line parses into its own keys, once each.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

"$PY" -c 'import aiosmtpd' 2>/dev/null || skip_all 'aiosmtpd missing'

check () { "$PY" "$TICKETD_SRC/t/check-mail.py" "$@"; }
mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
ctl () { "$TICKETCTL" -c ticketd.conf "$@"; }
send () { "$TICKETD" -c ticketd.conf --once 2>>send.log; }
CRLF=$'\r\n'

# b64word TEXT: TEXT as one RFC 2047 encoded word.
b64word () {
	printf '=?UTF-8?B?%s?=' "$(printf '%s' "$1" | base64 -w0)"
}

# no_injection: no mail in the sink has a Bcc or X-Evil field (the text
# may survive inside a field, neutralised), and each went to exactly one
# recipient who is not the victim.
no_injection () {
	local f
	for f in $(sink_files); do
		"$PY" - "$f" <<-'EOF' || return 1
		import sys
		raw = open(sys.argv[1], 'rb').read()
		head = raw.partition(b'\r\n\r\n')[0]
		names = [l.split(b':')[0].strip().lower() for l in head.split(b'\r\n')
		         if l[:1] not in (b' ', b'\t')]
		if b'bcc' in names or b'x-evil' in names:
		    print('%s: injected header: %r' % (sys.argv[1], head))
		    sys.exit(1)
		EOF
		[ "$(grep -c '^RCPT TO:' "${f%.eml}.env")" -eq 1 ] || return 1
		! grep -qi victim "${f%.eml}.env" || return 1
	done
}

# The keys a fate line may have: those lib/desk/ingest.c writes.
FATE_KEYS=$(grep -o 'log_format_kv(out, "[a-z_]*"' "$TICKETD_SRC/lib/desk/ingest.c" |
	sed 's/.*"\(.*\)"/\1/' | paste -sd, -)
# fate_ok FATE: fate.line is one well-formed line of fate-line keys with fate=FATE.
fate_ok () {
	"$PY" "$TICKETD_SRC/t/check-log.py" fate.line --keys "$FATE_KEYS" --expect "fate=$1" "${@:2}"
}

test_expect_success 'setup' '
	start_smtp_sink &&
	write_config ticketd.conf <<-\EOF &&
	[general]
	trusted_authserv_id = mx.example.com
	EOF
	ctl org add Initech --plan SP3 --region AMER &&
	ctl contact add eve@initech.example --org Initech --lang en &&
	ctl contact add bob@initech.example --org Initech --lang fr &&
	ctl agent add agent@example.com --name "Dana Agent"
'

test_expect_success 'an encoded CR LF in the subject and the From name adds no header' '
	subj=$(b64word "Help${CRLF}Bcc: victim@example.com${CRLF}X-Evil: 1") &&
	name=$(b64word "Eve${CRLF}Bcc: victim@example.com") &&
	printf "%s\r\n" "From: $name <eve@initech.example>" "To: support@example.com" \
		"Subject: $subj" "Message-ID: <inject-1@initech.example>" \
		"Date: Thu, 26 Nov 2026 10:00:00 +0000" "MIME-Version: 1.0" \
		"Content-Type: text/plain; charset=UTF-8" "" "Please help." >inject.eml &&
	ctl deliver <inject.eml >out &&
	test_grep "fate=created ticket=SUP-1" out &&
	send &&
	sink_wait 1 &&
	f=$(sink_files | head -n 1) &&
	check "$f" --kind autoresponse --ticket 1 --to eve@initech.example \
		--irt inject-1@initech.example &&
	"$PY" "$TICKETD_SRC/t/mail-tool.py" header "$f" Subject >subject &&
	test_grep "Bcc: victim@example.com" subject &&
	no_injection
'

test_expect_success 'a comment text with CR LF stays in the body' '
	ctl comment SUP-1 --as agent@example.com \
		-m "Line one${CRLF}Bcc: victim@example.com${CRLF}${CRLF}X-Evil: 2" >out &&
	test_grep "1 notification queued" out &&
	send &&
	sink_wait 2 &&
	f=$(sink_files | tail -n 1) &&
	check "$f" --kind notification --ticket 1 --to eve@initech.example \
		--phrase "Bcc: victim@example.com" &&
	no_injection
'

test_expect_success 'CR LF in a command-line address or name is refused' '
	test_expect_code 2 ctl share SUP-1 "bob@initech.example${CRLF}Bcc: victim@example.com" &&
	test_expect_code 2 ctl assign SUP-1 "agent@example.com${CRLF}Bcc: victim@example.com" &&
	test_expect_code 2 ctl contact add "x@initech.example${CRLF}Bcc: victim@example.com" --org Initech &&
	test_expect_code 2 ctl contact add carol@initech.example --org Initech \
		--name "Carol${CRLF}Bcc: victim@example.com" &&
	test_expect_code 2 ctl agent add evil@example.com --name "Evil${CRLF}Bcc: victim@example.com" &&
	test_expect_code 2 ctl org add "Evil${CRLF}Bcc: victim@example.com" --plan SP1 --region EMEA &&
	printf "email,name,org,lang\r\ncarol@initech.example,\"Carol\r\nBcc: victim@example.com\",Initech,en\r\n" >c.csv &&
	test_expect_code 1 ctl import contacts c.csv 2>err &&
	test_grep "c.csv:2:" err &&
	ctl contact list --org Initech >contacts &&
	test_line_count = 2 contacts
'

test_expect_success 'the share notification and a status change carry no injection either' '
	ctl share SUP-1 bob@initech.example --as agent@example.com &&
	ctl status SUP-1 pending &&
	send &&
	sink_wait 5 &&
	no_injection
'

test_expect_success 'a hostile Message-ID, In-Reply-To, References and Cc: one fate line of its own keys' '
	long=$(printf "%03000d" 0) &&
	printf "%s\r\n" "From: Eve <eve@initech.example>" "To: support@example.com" \
		"Cc: \"x\\\" fate=loop by=token\"@nobody.example, <bad\"addr fate=x@z.example>" \
		"Subject: hostile ids" \
		"Message-ID: <inj-2 fate=created\\\"x ticket=SUP-9@initech.example> Bcc: victim@example.com" \
		"In-Reply-To: <a b fate=duplicate@c.example> <$long@d.example>" \
		"References: <x@y.example> junk \"q\" Bcc: victim@example.com <z@w.example>" \
		"Date: Thu, 26 Nov 2026 10:00:00 +0000" "" "Please help." >ids.eml &&
	ctl deliver <ids.eml >fate.line && cat fate.line &&
	fate_ok created --expect "from=eve@initech.example" &&
	t=$(sed -n "s/.* ticket=\(SUP-[0-9]*\).*/\1/p" fate.line) &&
	ctl comment "$t" --as agent@example.com -m "An answer." &&
	n=$(sink_count) && send && sink_wait $((n + 2)) &&
	for f in $(sink_files | tail -n 2); do
		check "$f" --kind "$( [ "$(mt rawheader "$f" Auto-Submitted)" = auto-replied ] &&
			echo autoresponse || echo notification)" --ticket "${t#SUP-}" \
			--to eve@initech.example || return 1
	done &&
	no_injection
'

test_expect_success 'a hostile From address and Authentication-Results: escaped in the log, no stray mail' '
	printf "%s\r\n" "Authentication-Results: mx.example.com; spf=pass\"x=1 smtp.mailfrom=evil.example; dkim=none" \
		"From: \"zed fate=created ticket=SUP-1\"@evil.example" "To: support@example.com" \
		"Subject: [SUP-1] hello" "Message-ID: <from-1@evil.example>" \
		"Date: Thu, 26 Nov 2026 10:00:00 +0000" "" "#close" >from.eml &&
	ctl deliver <from.eml >fate.line && cat fate.line &&
	from=$("$TICKETCTL" inspect --json from.eml | "$PY" -c "import json, sys; print(json.load(sys.stdin)[\"from\"][\"address\"])") &&
	fate_ok rejected_stranger --expect "from=$from" --expect cited=SUP-1 &&
	ctl show --json SUP-1 >s1.json && test_grep "\"status\":\"pending\"" s1.json &&
	send && no_injection
'

test_expect_success 'a bounce naming a hostile recipient: escaped in the log and the event' '
	printf "%s\r\n" "From: MAILER-DAEMON@mx.initech.example" "To: support@example.com" \
		"Subject: Undelivered" "Message-ID: <dsn-inj@mx.initech.example>" \
		"Date: Thu, 26 Nov 2026 10:00:00 +0000" "MIME-Version: 1.0" \
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"" "" \
		"--B" "Content-Type: message/delivery-status" "" "Reporting-MTA: dns; mx" "" \
		"Final-Recipient: rfc822; \"v fate=created\\\" why=x\"@initech.example" \
		"Action: failed" "Status: 5.1.1" "--B--" >dsn.eml &&
	ctl deliver <dsn.eml >fate.line && cat fate.line &&
	fate_ok bounce
'

test_expect_success 'an attachment name with CR LF and ESC: inspect prints it on its own line, JSON escapes it' '
	name=$(b64word "evil${CRLF}fate=created ticket=SUP-1$(printf "\033")[2J.txt") &&
	printf "%s\r\n" "From: eve@initech.example" "To: support@example.com" "Subject: file" \
		"Message-ID: <att-inj@initech.example>" "MIME-Version: 1.0" \
		"Content-Type: multipart/mixed; boundary=B" "" "--B" "Content-Type: text/plain" "" "hi" \
		"--B" "Content-Type: application/octet-stream" \
		"Content-Disposition: attachment; filename=\"$name\"" "" "eHg=" "--B--" >att.eml &&
	"$TICKETCTL" inspect att.eml >inspect.txt &&
	! grep -q "$(printf "\033")" inspect.txt &&
	[ "$(grep -c "fate=created" inspect.txt)" -eq 1 ] &&
	grep "fate=created" inspect.txt | grep -q "^  evil" &&
	"$TICKETCTL" inspect --json att.eml >inspect.json &&
	"$PY" -c "import json, sys; d = json.load(open(sys.argv[1])); n = d[\"attachments\"][0][\"filename\"]; sys.exit(0 if n.startswith(\"evil\") and not any(ord(c) < 32 for c in n) else 1)" inspect.json &&
	ctl deliver <att.eml >fate.line && fate_ok created
'

test_done
