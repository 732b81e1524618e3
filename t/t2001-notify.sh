#!/usr/bin/env bash
# Outbound end to end with the real SMTP sink, in each of the seven
# languages: the auto-response and an agent's comment arrive in the
# customer's language with every header of SPEC 7, and a reply to the
# comment threads back onto the ticket.  Internal notes send nothing;
# sharing tells the new participant; a status change tells the requester
# and the participants, each in their own language.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

"$PY" -c 'import aiosmtpd' 2>/dev/null || skip_all 'aiosmtpd missing'
command -v sqlite3 >/dev/null || skip_all 'sqlite3 missing'

mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
check () { "$PY" "$TICKETD_SRC/t/check-mail.py" "$@"; }
ctl () { "$TICKETCTL" -c ticketd.conf "$@"; }
db () { sqlite3 "$TEST_DIR/ticketd.db" "$@"; }
send () { "$TICKETD" -c ticketd.conf --once 2>>send.log; }

# phrase LANG TEMPLATE: the longest line of the template's body that has
# no variable: text that only a mail in that language contains.
phrase () {
	sed -n '/^$/,$p' "$TICKETD_SRC/conf/templates/$1/$2.txt" | grep -v '{{' | grep -v -- '----' |
		awk '{ if (length($0) > length(best)) best = $0 } END { print best }'
}

# new_mails N: the mails the sink got after the first N, one a line.
new_mails () {
	sink_files | tail -n +$(($1 + 1))
}

# mail_to ADDR KIND FILES...: the one file among FILES sent to ADDR whose
# Auto-Submitted is auto-replied (KIND autoresponse) or auto-generated.
mail_to () {
	local addr=$1 want=auto-generated f
	[ "$2" = autoresponse ] && want=auto-replied
	shift 2
	for f in "$@"; do
		grep -qi "^RCPT TO:<$addr>" "${f%.eml}.env" &&
		[ "$(mt rawheader "$f" Auto-Submitted)" = "$want" ] && echo "$f"
	done
	return 0
}

LANGS="en de es fr fi ja zh"
declare -A SUBJECT BODY
SUBJECT[en]="Export to PDF fails"
BODY[en]="Hello, the export to PDF fails every time with an error message. Could you please help us with this? Thank you."
SUBJECT[de]="Export nach PDF schlägt fehl"
BODY[de]="Guten Tag, der Export nach PDF schlägt jedes Mal mit einer Fehlermeldung fehl. Können Sie uns bitte dabei helfen? Vielen Dank."
SUBJECT[es]="La exportación a PDF falla"
BODY[es]="Hola, la exportación a PDF falla siempre con un mensaje de error. ¿Nos pueden ayudar con esto, por favor? Muchas gracias."
SUBJECT[fr]="L'export en PDF échoue"
BODY[fr]="Bonjour, l'export en PDF échoue à chaque fois avec un message d'erreur. Pouvez-vous nous aider, s'il vous plaît ? Merci beaucoup."
SUBJECT[fi]="PDF-vienti epäonnistuu"
BODY[fi]="Hei, PDF-vienti epäonnistuu joka kerta virheilmoitukseen. Voisitteko auttaa meitä tämän kanssa? Kiitos paljon."
SUBJECT[ja]="PDF出力が失敗します"
BODY[ja]="お世話になっております。PDFへの出力が毎回エラーで失敗します。ご確認いただけますでしょうか。よろしくお願いいたします。"
SUBJECT[zh]="导出PDF失败"
BODY[zh]="您好，我们每次导出PDF都会出现错误，导出失败。请帮我们看一下这个问题，非常感谢。"

test_expect_success 'setup: sink, configuration, organisation, agent' '
	start_smtp_sink &&
	write_config ticketd.conf &&
	ctl org add Globex --plan Enterprise --region EMEA --domain globex.example &&
	ctl agent add agent@example.com --name "Dana Agent" --level 1 &&
	for l in $LANGS; do
		ctl contact add "cust-$l@globex.example" --org Globex --lang $l \
			--name "Customer $l" || return 1
	done &&
	ctl contact list --org Globex >contacts &&
	test_line_count = 7 contacts
'

n=0
for l in $LANGS; do
	n=$((n + 1))
	test_expect_success "$l: auto-response and comment in $l, every header, the reply threads back" '
		cust=cust-$l@globex.example &&
		before=$(sink_count) &&
		mt new --from "Customer $l <$cust>" --subject "${SUBJECT[$l]}" \
			--body "${BODY[$l]}" --msgid "first-$l@globex.example" >in-$l.eml &&
		ctl deliver <in-$l.eml >deliver-$l.out &&
		test_grep "fate=created ticket=SUP-$n lang=$l" deliver-$l.out &&
		ctl comment SUP-$n --as agent@example.com -m "Comment for $l: please try version 2.1." >out &&
		test_grep "SUP-$n: comment added" out &&
		send &&
		sink_wait $((before + 2)) &&
		mails=$(new_mails $before) &&
		[ $(echo "$mails" | wc -l) -eq 2 ] &&
		ar=$(mail_to $cust autoresponse $mails) && [ -n "$ar" ] &&
		co=$(mail_to $cust notification $mails) && [ -n "$co" ] &&
		cp "$ar" ar-$l.eml && cp "$co" comment-$l.eml &&
		absent=() &&
		if [ $l != en ]; then absent=(--absent "$(phrase en comment)"); fi &&
		check ar-$l.eml --kind autoresponse --ticket $n --to $cust \
			--irt "first-$l@globex.example" --ref "first-$l@globex.example" \
			--subject "${SUBJECT[$l]}" --phrase "$(phrase $l autoresponse)" --phrase SUP-$n &&
		check comment-$l.eml --kind notification --ticket $n --to $cust \
			--ref "first-$l@globex.example" --subject "${SUBJECT[$l]}" \
			--phrase "$(phrase $l comment)" --phrase "please try version 2.1" \
			--phrase "Dana Agent" "${absent[@]}" &&
		mt reply comment-$l.eml --from "Customer $l <$cust>" \
			--body "Reply in $l: version 2.1 works." >reply-$l.eml &&
		ctl deliver <reply-$l.eml >reply-$l.out &&
		test_grep "fate=followup ticket=SUP-$n" reply-$l.out &&
		ctl show --json SUP-$n >show-$l.json &&
		test_grep "Reply in $l: version 2.1 works" show-$l.json &&
		send &&
		for f in $(new_mails $((before + 2))); do
			! grep -qi "^RCPT TO:<$cust>" "${f%.eml}.env" || return 1
		done
	'
done

test_expect_success 'the first public comment is the first response; the ticket is open' '
	ctl show --json SUP-1 >show.json &&
	test_grep "\"status\":\"open\"" show.json &&
	! grep -q "\"first_response_at\":null" show.json
'

test_expect_success 'an internal note sends nothing' '
	before=$(sink_count) &&
	rows=$(db "SELECT COUNT(*) FROM outbox") &&
	ctl comment SUP-1 --as agent@example.com --internal -m "Customer seems confused." >out &&
	test_grep "internal note added" out &&
	[ "$(db "SELECT COUNT(*) FROM outbox")" -eq "$rows" ] &&
	send &&
	[ "$(sink_count)" -eq "$before" ] &&
	ctl show --json SUP-1 >show.json &&
	test_grep "\"public\":false" show.json
'

test_expect_success 'sharing tells the new participant, in their language' '
	ctl contact add colleague@globex.example --org Globex --lang de --name "Kollegin Kim" &&
	before=$(sink_count) &&
	ctl share SUP-1 colleague@globex.example --as agent@example.com >out &&
	test_grep "1 notification queued" out &&
	send &&
	sink_wait $((before + 1)) &&
	f=$(new_mails $before) &&
	[ $(echo "$f" | wc -l) -eq 1 ] &&
	grep -q "^RCPT TO:<colleague@globex.example>" "${f%.eml}.env" &&
	check "$f" --kind notification --ticket 1 --to colleague@globex.example \
		--subject "${SUBJECT[en]}" --phrase "$(phrase de shared)" --phrase "Dana Agent"
'

test_expect_success 'sharing needs a registered contact' '
	test_expect_code 1 ctl share SUP-1 stranger@elsewhere.example 2>err &&
	test_grep "not a registered contact" err
'

test_expect_success 'a status change tells the requester and the participants' '
	before=$(sink_count) &&
	ctl status SUP-1 resolved >out &&
	test_grep "open -> resolved" out &&
	test_grep "2 notifications queued" out &&
	send &&
	sink_wait $((before + 2)) &&
	mails=$(new_mails $before) &&
	[ $(echo "$mails" | wc -l) -eq 2 ] &&
	en=$(mail_to cust-en@globex.example notification $mails) && [ -n "$en" ] &&
	de=$(mail_to colleague@globex.example notification $mails) && [ -n "$de" ] &&
	check "$en" --kind notification --ticket 1 --to cust-en@globex.example \
		--phrase "$(phrase en status)" --phrase "\"Open\"" --phrase "\"Resolved\"" &&
	check "$de" --kind notification --ticket 1 --to colleague@globex.example \
		--phrase "$(phrase de status)" --phrase "Offen" --phrase "Gelöst"
'

test_expect_success 'a comment by a participant is not sent back to them' '
	before=$(sink_count) &&
	mt reply "$(sink_files | tail -n 1)" --from "Kollegin Kim <colleague@globex.example>" \
		--body "Danke, es funktioniert." >kim.eml &&
	ctl deliver <kim.eml >out &&
	test_grep "fate=followup ticket=SUP-1" out &&
	send &&
	for f in $(new_mails $before); do
		! grep -qi "^RCPT TO:<colleague@globex.example>" "${f%.eml}.env" || return 1
	done
'

test_expect_success 'unshare: the former participant hears no more' '
	ctl unshare SUP-1 colleague@globex.example >out &&
	test_grep "no longer shared" out &&
	before=$(sink_count) &&
	ctl status SUP-1 closed >out &&
	test_grep "1 notification queued" out &&
	send &&
	sink_wait $((before + 1)) &&
	f=$(new_mails $before) &&
	grep -q "^RCPT TO:<cust-en@globex.example>" "${f%.eml}.env"
'

test_expect_success 'the same status again changes nothing and sends nothing' '
	rows=$(db "SELECT COUNT(*) FROM outbox") &&
	ctl status SUP-1 closed >out &&
	test_grep "nothing to do" out &&
	[ "$(db "SELECT COUNT(*) FROM outbox")" -eq "$rows" ]
'

test_expect_success 'severity, priority and assign: events, no mail' '
	rows=$(db "SELECT COUNT(*) FROM outbox") &&
	ctl severity SUP-2 1 &&
	ctl priority SUP-2 2 &&
	ctl assign SUP-2 agent@example.com &&
	[ "$(db "SELECT COUNT(*) FROM outbox")" -eq "$rows" ] &&
	ctl show --json SUP-2 >show.json &&
	test_grep "\"severity\":1" show.json &&
	test_grep "\"priority\":2" show.json &&
	test_grep "\"assignee\":\"agent@example.com\"" show.json &&
	test_grep "\"type\":\"severity\"" show.json &&
	test_grep "\"data\":\"3->1\"" show.json &&
	test_grep "\"type\":\"assigned\"" show.json
'

test_expect_success 'an undeliverable participant is skipped with its reason' '
	ctl share SUP-2 colleague@globex.example >/dev/null &&
	db "INSERT INTO undeliverable (address, reason, at) VALUES ('\''colleague@globex.example'\'', '\''550 no such user'\'', 0)" &&
	ctl comment SUP-2 --as agent@example.com -m "Another update." >out 2>err &&
	test_grep "1 notification queued, 1 recipient skipped" out &&
	test_grep "reason=undeliverable" err
'

test_expect_success 'the running daemon sends a comment queued by ticketctl within seconds' '
	start_ticketd ticketd.conf &&
	wait_for "grep -q event=started \"\$TICKETD_LOG\"" 10 &&
	before=$(sink_count) &&
	ctl comment SUP-3 --as agent@example.com -m "Sent by the daemon." &&
	sink_wait $((before + 1)) 6 &&
	stop_ticketd
'

test_expect_success 'bad input: usage errors exit 2, failures 1' '
	test_expect_code 2 ctl comment SUP-1 -m "no agent" &&
	test_expect_code 2 ctl comment SUP-1 --as agent@example.com &&
	test_expect_code 1 ctl comment SUP-1 --as nobody@example.com -m "x" &&
	test_expect_code 1 ctl comment SUP-99 --as agent@example.com -m "x" &&
	test_expect_code 2 ctl comment NOPE-1 --as agent@example.com -m "x" &&
	test_expect_code 2 ctl status SUP-1 done &&
	test_expect_code 2 ctl severity SUP-1 5 &&
	test_expect_code 2 ctl priority SUP-1 0 &&
	test_expect_code 1 ctl assign SUP-1 stranger@elsewhere.example &&
	test_expect_code 2 ctl share SUP-1 not-an-address &&
	test_expect_code 1 ctl unshare SUP-1 cust-de@globex.example
'

test_done
