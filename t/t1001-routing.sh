#!/usr/bin/env bash
# Routing (SPEC section 5) through `ticketctl deliver`: every rule and fate,
# and `ticketctl explain` agreeing with what deliver then does.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'aiosmtpd missing'
mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
db () { sqlite3 "$TEST_DIR/ticketd.db" "$@"; }
ctl () { "$TICKETCTL" -c "$TEST_DIR/ticketd.conf" "$@"; }
flush () { "$TICKETD" -c "$TEST_DIR/ticketd.conf" --once 2>>"$TEST_DIR/send.log"; }

# deliver FILE FATE [RULE]: explain first, then deliver; both must agree
# with each other and with the expected fate (and rule).
deliver () {
	ctl explain --json "$1" >explain.json || return 1
	ctl deliver <"$1" >fate.line || return 1
	cat fate.line
	grep -q "fate=$2 " fate.line || { echo "expected fate=$2"; return 1; }
	grep -q "\"fate\":\"$2\"" explain.json || { echo "explain said:"; cat explain.json; return 1; }
	if [ -n "${3:-}" ]; then
		grep -q " by=$3 " fate.line || { echo "expected by=$3"; return 1; }
		grep -q "\"rule\":\"$3\"" explain.json || { echo "explain said:"; cat explain.json; return 1; }
	fi
}
last_ticket () { sed -n 's/.* ticket=\([A-Z]*-[0-9]*\).*/\1/p' fate.line; }
events () { db "SELECT COUNT(*) FROM events WHERE ticket = $1 AND type = '$2'"; }

test_expect_success 'setup: organisations, contacts, an agent' '
	start_smtp_sink &&
	write_config ticketd.conf <<-\EOF &&
	[general]
	default_plan = SP2
	[plan Small]
	target_sev1 = 8h
	max_contacts = 2
	[plan SP2]
	target_sev1 = 4h
	phone_sev1 = yes
	max_contacts = 4
	EOF
	ctl org add Acme --plan SP2 --region EMEA --domain acme.example &&
	ctl org add Beta --plan Small --region AMER --domain beta.example --auto-register &&
	ctl contact add alice@acme.example --org Acme --name "Alice Anders" --lang en &&
	ctl contact add bob@acme.example --org Acme --name "Bob Berg" --lang de &&
	ctl agent add agent@example.com --name "Sam Support" --level 1 &&
	ctl contact list --json >contacts.json &&
	test_grep alice@acme.example contacts.json
'

test_expect_success 'a new mail from a registered contact opens SUP-1' '
	mt new --from "Alice Anders <alice@acme.example>" --subject "Reports are empty" \
		--body "All reports are empty since this morning." --msgid a1@acme.example >a1.eml &&
	deliver a1.eml created new &&
	[ "$(last_ticket)" = SUP-1 ] &&
	flush && sink_wait 1 &&
	ar=$(sink_files | tail -n 1) && cp "$ar" ar1.eml &&
	mt header ar1.eml Subject | grep -q "^\[SUP-1\] Reports are empty$"
'

test_expect_success 'the same message again is a duplicate' '
	deliver a1.eml duplicate duplicate
'

test_expect_success 'a backup MX re-delivery, new trace headers only, is a duplicate too' '
	{
		printf "Received: from mx2.example.net (mx2.example.net [192.0.2.25])\r\n"
		printf "\tby mx1.example.com with ESMTPS; Thu, 26 Nov 2026 10:05:00 +0000\r\n"
		printf "X-Spam-Status: No, score=0.4 required=5.0 tests=RDNS_NONE\r\n"
		printf "Authentication-Results: mx1.example.com; arc=pass\r\n"
		printf "Delivered-To: support@example.com\r\n"
		cat a1.eml
	} >a1-again.eml &&
	n=$(sink_count) &&
	deliver a1-again.eml duplicate duplicate &&
	grep -q "ticket=SUP-1 " fate.line &&
	flush && [ "$(sink_count)" -eq "$n" ]
'

test_expect_success 'a reused Message-ID with other content is a new message' '
	mt new --from "alice@acme.example" --subject "Another problem" \
		--body "Different content, same id." --msgid a1@acme.example >a1b.eml &&
	deliver a1b.eml created new &&
	[ "$(last_ticket)" = SUP-2 ]
'

test_expect_success 'a reply whose client dropped References but kept the token (Reply-To)' '
	rt=$(mt rawheader ar1.eml Reply-To | sed "s/.*<\(.*\)>.*/\1/") &&
	case $rt in support+r1-1-*@example.com) ;; *) echo "Reply-To: $rt"; false ;; esac &&
	mt new --from "alice@acme.example" --to "$rt" --subject "my answer" \
		--body "Here is the log file." >tok.eml &&
	deliver tok.eml followup token &&
	[ "$(last_ticket)" = SUP-1 ]
'

test_expect_success 'a forged token is ignored' '
	mt new --from "alice@acme.example" --to "support+t1-00000000000000000000@example.com" \
		--subject "forged" --body "x" >forged.eml &&
	deliver forged.eml created new
'

test_expect_success 'a reply with a mangled subject but good headers' '
	tokid=$(mt rawheader tok.eml Message-ID) &&
	mt new --from "alice@acme.example" --subject "WG: AW: ??? ????" \
		--header "In-Reply-To: $tokid" --header "References: $tokid" \
		--body "Still broken." >hdr.eml &&
	deliver hdr.eml followup headers &&
	[ "$(last_ticket)" = SUP-1 ]
'

test_expect_success 'AW: WG: Re: [SUP-1] in the subject' '
	mt new --from "bob@acme.example" --subject "AW: WG: Re: [SUP-1] Reports are empty" \
		--body "Bei mir auch." >aw.eml &&
	deliver aw.eml followup subject &&
	[ "$(last_ticket)" = SUP-1 ]
'

test_expect_success 'full-width 【ＳＵＰ－１】 from a Japanese client' '
	mt new --from "alice@acme.example" --subject "返信：【ＳＵＰ－１】レポートが空です" \
		--body "よろしくお願いします。" >ja.eml &&
	deliver ja.eml followup subject &&
	[ "$(last_ticket)" = SUP-1 ]
'

test_expect_success 'a ticket number that does not exist is ignored and said' '
	mt new --from "alice@acme.example" --subject "Re: [SUP-999] old thing" --body "x" >missing.eml &&
	deliver missing.eml created new &&
	grep -q "missing=SUP-999" fate.line &&
	grep -q "SUP-999" explain.json
'

test_expect_success 'a stranger citing SUP-1 gets a ticket of their own; SUP-1 is unchanged' '
	before=$(events 1 comment) &&
	mt new --from "carol@beta.example" --subject "Re: [SUP-1] Reports are empty" \
		--body "Let me in." >stranger.eml &&
	deliver stranger.eml rejected_stranger subject &&
	grep -q "cited=SUP-1" fate.line &&
	new=$(last_ticket) && [ -n "$new" ] && [ "$new" != SUP-1 ] &&
	[ "$(events 1 comment)" -eq "$before" ] &&
	[ "$(events 1 rejected_stranger)" -eq 1 ] &&
	ctl show --json "$new" >s.json &&
	test_grep "carol@beta.example" s.json &&
	flush &&
	for f in $(sink_files); do
		if grep -q "RCPT TO:<carol@beta.example>" "${f%.eml}.env"; then
			! grep -q "Reports are empty since this morning" "$f" || return 1
		fi
	done
'

test_expect_success 'a colleague from the requester organisation may add to the ticket' '
	mt new --from "bob@acme.example" --subject "Re: [SUP-1]" --body "Same here." >colleague.eml &&
	deliver colleague.eml followup subject
'

test_expect_success 'a Cc to a registered contact shares the ticket; an unregistered Cc is ignored' '
	mt new --from "alice@acme.example" --cc "bob@acme.example, nobody@elsewhere.example" \
		--subject "New issue with Cc" --body "Please look." >cc.eml &&
	deliver cc.eml created new &&
	grep -q "cc_ignored=nobody@elsewhere.example" fate.line &&
	t=$(last_ticket) &&
	ctl show --json "$t" >cc.json &&
	test_grep "\"participants\":\[\"bob@acme.example\"\]" cc.json
'

test_expect_success 'auto-registration fills the plan up to its contact limit, then refuses' '
	mt new --from "dave@beta.example" --subject "Hello" --body "first" >dave.eml &&
	deliver dave.eml created new &&
	mt new --from "erin@beta.example" --subject "Hello" --body "second" >erin.eml &&
	deliver erin.eml rejected_unregistered registration &&
	flush &&
	grep -l "RCPT TO:<erin@beta.example>" "$SINK_DIR"/*.env >erin.list &&
	[ "$(wc -l <erin.list)" -eq 1 ]
'

test_expect_success 'an unregistered stranger gets one refusal, and robots none' '
	mt new --from "zed@random.example" --subject "Help" --body "hi" >zed.eml &&
	deliver zed.eml rejected_unregistered registration &&
	mt new --from "robot@random.example" --subject "Help" --body "hi" \
		--header "Auto-Submitted: auto-generated" >robot.eml &&
	deliver robot.eml rejected_unregistered registration &&
	grep -q "noreply=" fate.line
'

test_expect_success 'an out-of-office reply is stored on its ticket and answered by nobody' '
	flush && n=$(sink_count) &&
	mt reply ar1.eml --from "alice@acme.example" --subject "Automatic reply: [SUP-1] Reports are empty" \
		--body "I am out of the office until Monday." --header "Auto-Submitted: auto-replied" >ooo.eml &&
	deliver ooo.eml auto_reply &&
	[ "$(last_ticket)" = SUP-1 ] &&
	[ "$(events 1 auto_reply)" -eq 1 ] &&
	flush && [ "$(sink_count)" -eq "$n" ]
'

test_expect_success 'a DSN for an auto-response bounces onto its ticket and marks the address' '
	ctl contact add gone@acme.example --org Acme &&
	mt new --from "gone@acme.example" --subject "Bye" --body "x" >gone.eml &&
	deliver gone.eml created new && gt=$(last_ticket) && gn=${gt#SUP-} &&
	flush &&
	gar=$(grep -l "RCPT TO:<gone@acme.example>" "$SINK_DIR"/*.env | head -n 1) &&
	gid=$(mt rawheader "${gar%.env}.eml" Message-ID) &&
	cat >dsn.eml <<-EOF &&
	From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>
	To: support@example.com
	Subject: Undelivered Mail Returned to Sender
	Message-ID: <dsn-1@mx.acme.example>
	Date: Thu, 26 Nov 2026 10:00:00 +0000
	MIME-Version: 1.0
	Content-Type: multipart/report; report-type=delivery-status; boundary="B"

	--B
	Content-Type: text/plain

	I could not deliver your message to gone@acme.example.

	--B
	Content-Type: message/delivery-status

	Reporting-MTA: dns; mx.acme.example

	Final-Recipient: rfc822; gone@acme.example
	Action: failed
	Status: 5.1.1

	--B
	Content-Type: text/rfc822-headers

	From: Example Support <support@example.com>
	To: gone@acme.example
	Subject: [$gt] Bye
	Message-ID: $gid

	--B--
	EOF
	deliver dsn.eml bounce dsn &&
	[ "$(last_ticket)" = "$gt" ] &&
	[ "$(events $gn bounce)" -eq 1 ] &&
	[ -n "$(db "SELECT reason FROM undeliverable WHERE address = '\''gone@acme.example'\''")" ]
'

test_expect_success 'a delay warning (Action: delayed) is a bounce but marks nobody' '
	sed -e "s/Action: failed/Action: delayed/" -e "s/Status: 5.1.1/Status: 4.4.7/" \
		-e "s/gone@acme.example/alice@acme.example/g" -e "s/dsn-1@/dsn-2@/" dsn.eml >delay.eml &&
	deliver delay.eml bounce dsn &&
	[ -z "$(db "SELECT reason FROM undeliverable WHERE address = '\''alice@acme.example'\''")" ]
'

test_expect_success 'later mail to an undeliverable address is not sent, and says why' '
	n=$(sink_count) &&
	ctl comment "$gt" --as agent@example.com -m "Are you still there?" &&
	flush &&
	[ "$(sink_count)" -eq "$n" ] &&
	ctl show "$gt" >gone.txt &&
	test_grep -i "undeliverable" gone.txt
'

test_expect_success 'two autoresponders: robot mail gets no answer, a header-less robot is capped' '
	ctl contact add loopy@acme.example --org Acme &&
	flush && n=$(sink_count) &&
	mt new --from "alice@acme.example" --subject "I am away" --body "away" \
		--header "Auto-Submitted: auto-generated" >away.eml &&
	deliver away.eml created new &&
	flush && [ "$(sink_count)" -eq "$n" ] &&
	for i in $(seq 1 15); do
		mt new --from "loopy@acme.example" --subject "Your mail $i" --body "Thank you for your mail $i" >loop$i.eml &&
		ctl deliver <loop$i.eml >/dev/null || return 1
	done &&
	flush &&
	[ "$(grep -l "RCPT TO:<loopy@acme.example>" "$SINK_DIR"/*.env | wc -l)" -eq 10 ]
'

test_expect_success 'a reply to a closed ticket opens a new one that names the old' '
	mt new --from "alice@acme.example" --subject "Old question" --body "q" >old.eml &&
	deliver old.eml created new && old=$(last_ticket) &&
	ctl status "$old" closed >/dev/null &&
	flush && n=$(sink_count) &&
	mt new --from "alice@acme.example" --subject "Re: [$old] Old question" --body "It is back." >back.eml &&
	deliver back.eml created subject &&
	new=$(last_ticket) && [ "$new" != "$old" ] &&
	ctl show --json "$new" >new.json &&
	test_grep "\"previous\":\"$old\"" new.json &&
	ctl show "$old" >old.txt &&
	test_grep "continued .*$new" old.txt &&
	flush && sink_wait $((n + 1)) &&
	mt body "$(sink_files | tail -n 1)" | grep -q "$old"
'

test_expect_success 'our own mail coming back is dropped as a loop' '
	deliver ar1.eml loop loop
'

test_expect_success '#escalate from the requester raises the level; from a stranger nothing' '
	mt new --from "alice@acme.example" --subject "Re: [SUP-1] Reports are empty" \
		--body "#escalate
We need this fixed today." >esc.eml &&
	deliver esc.eml followup subject &&
	[ "$(db "SELECT level FROM tickets WHERE number = 1")" -eq 1 ] &&
	[ "$(events 1 escalated)" -eq 1 ] &&
	mt new --from "mallory@nowhere.example" --subject "Re: [SUP-1]" --body "#escalate" >esc2.eml &&
	deliver esc2.eml rejected_stranger subject &&
	! grep -q " ticket=" fate.line &&
	flush && grep -q "RCPT TO:<mallory@nowhere.example>" "$SINK_DIR"/*.env &&
	[ "$(db "SELECT level FROM tickets WHERE number = 1")" -eq 1 ]
'

test_expect_success '#エスカレーション in ISO-2022-JP escalates; Gravité with a no-break space sets the severity' '
	mt new --from "alice@acme.example" --subject "Re: [SUP-1] レポートが空です" \
		--charset iso-2022-jp --body "#エスカレーション
本日中の対応をお願いいたします。" >esc-ja.eml &&
	grep -q "charset=\"iso-2022-jp\"" esc-ja.eml &&
	deliver esc-ja.eml followup subject &&
	[ "$(db "SELECT level FROM tickets WHERE number = 1")" -eq 2 ] &&
	mt new --from "alice@acme.example" --subject "Production arrêtée" \
		--body "$(printf "Bonjour,\n\nGravit\303\251\302\240: 1\n\nTout est arr\303\252t\303\251.")" >fr.eml &&
	deliver fr.eml created new &&
	grep -q " sev=1 " fate.line
'

test_expect_success 'an agent reply by mail is a public comment that notifies the requester' '
	n=$(sink_count) &&
	mt reply ar1.eml --from "agent@example.com" --body "We found the cause; a fix is coming." >ag.eml &&
	deliver ag.eml followup token &&
	[ "$(db "SELECT first_response_at IS NOT NULL FROM tickets WHERE number = 1")" -eq 1 ] &&
	flush && sink_wait $((n + 1)) &&
	last=$(sink_files | tail -n 1) &&
	grep -q "RCPT TO:<alice@acme.example>" "${last%.eml}.env" &&
	mt body "$last" | grep -q "We found the cause"
'

test_expect_success '#internal from an agent notifies no customer' '
	n=$(sink_count) &&
	mt reply ar1.eml --from "agent@example.com" --body "#internal
Customer runs an old version." >int.eml &&
	deliver int.eml followup token &&
	flush && [ "$(sink_count)" -eq "$n" ] &&
	[ "$(db "SELECT public FROM events WHERE ticket = 1 ORDER BY id DESC LIMIT 1")" -eq 0 ]
'

test_done
