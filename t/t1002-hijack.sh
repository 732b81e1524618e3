#!/usr/bin/env bash
# Hijack attempts: nobody writes into, commands or reads a ticket that is
# not theirs, by guessing its number, forging thread headers, reusing
# somebody's reply token (forwarded, after unshare, expired, of the old
# format), or forging a From that our MTA's Authentication-Results say
# failed (with a pass forged under another authserv-id, or below the
# MTA's Received).  Every attempt carries commands (#close, #escalate,
# #severity 1, #priority 1), some a Cc to share the ticket.
#
# Each attempt is counted: tried, and refused when the fate is a
# rejection, the ticket is unchanged (status, level, severity,
# priority, comments, participants), nothing of it reached anyone but
# the sender (and nothing at all when the From is unverified), and no
# mail leaks the ticket's text.  Controls (the same moves by people who
# may) must go through, so the checks can tell the two apart.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'aiosmtpd missing'
command -v sqlite3 >/dev/null || skip_all 'sqlite3 missing'

mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
db () { sqlite3 "$TEST_DIR/ticketd.db" "$@"; }
ctl () { "$TICKETCTL" -c "$TEST_DIR/ticketd.conf" "$@"; }
flush () { "$TICKETD" -c "$TEST_DIR/ticketd.conf" --once 2>>"$TEST_DIR/send.log"; }

SECRET="SECRET-FIX-4711"          # in the agent's comment on SUP-1: must never reach an attacker
COMMANDS="#close
#escalate
#severity 1
#priority 1
Let me in."

# deliver FILE: explain, then deliver; both must name the same fate.
deliver () {
	ctl explain --json "$1" >explain.json || return 1
	ctl deliver <"$1" >fate.line || return 1
	cat fate.line
	fate=$(sed -n 's/.* fate=\([a-z_]*\).*/\1/p' fate.line)
	grep -q "\"fate\":\"$fate\"" explain.json || { echo "explain said:"; cat explain.json; return 1; }
}
field () { sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" fate.line; }

# mx FILE 'RESULTS' [HOST]: FILE as the site's MTA (authserv-id
# mx.example.com) hands it on: its Authentication-Results and Received
# prepended, then the message as the sender wrote it.
mx () {
	{
		printf 'Authentication-Results: mx.example.com; %s\r\n' "$2"
		printf 'Received: from %s (%s [192.0.2.7]) by mx.example.com with ESMTPS; Thu, 26 Nov 2026 10:00:00 +0000\r\n' \
			"${3:-mail.acme.example}" "${3:-mail.acme.example}"
		cat "$1"
	} >"$1.tmp" && mv "$1.tmp" "$1"
}
PASS='spf=pass smtp.mailfrom=acme.example; dkim=pass header.d=acme.example; dmarc=pass header.from=acme.example'
FAIL='spf=pass smtp.mailfrom=evil.example; dkim=none; dmarc=fail (p=reject) header.from=acme.example'

# last_to ADDR: the newest mail in the sink sent to ADDR.
last_to () {
	local f
	f=$(grep -l "^RCPT TO:<$1>" "$SINK_DIR"/*.env 2>/dev/null | sort | tail -n 1)
	[ -n "$f" ] && echo "${f%.env}.eml"
}
token_of () { mt rawheader "$1" Reply-To | sed 's/.*<\(.*\)>.*/\1/'; }

# snapshot N: what an attacker must not change on ticket N.
snapshot () {
	db "SELECT status, level, severity, priority FROM tickets WHERE number = $1;
	    SELECT type, COUNT(*) FROM events WHERE ticket = $1 AND type IN
	      ('comment','status','severity','priority','escalated','shared','unshared') GROUP BY type;
	    SELECT group_concat(email) FROM participants WHERE ticket = $1;"
}
outbox_max () { db "SELECT COALESCE(MAX(id), 0) FROM outbox"; }

TRIED=0
REFUSED=0
# hijack NAME FILE [SENDER_VERIFIED]: deliver FILE, an attempt on SUP-1.
# Refused when: a rejected_* fate; SUP-1 unchanged; new mail only to the
# From (none when SENDER_VERIFIED is "unverified"), none with $SECRET.
hijack () {
	local name=$1 file=$2 verified=${3:-} before after ob rows ok=1
	TRIED=$((TRIED + 1))
	before=$(snapshot 1)
	ob=$(outbox_max)
	deliver "$file" || ok=
	case $fate in
	rejected_stranger|rejected_unregistered) ;;
	*) echo "hijack '$name': fate=$fate"; ok= ;;
	esac
	after=$(snapshot 1)
	if [ "$before" != "$after" ]; then
		echo "hijack '$name' changed SUP-1:"; echo "$before"; echo "--"; echo "$after"; ok=
	fi
	from=$(mt rawheader "$file" From | sed 's/.*<\(.*\)>.*/\1/')
	rows=$(db "SELECT rcpt FROM outbox WHERE id > $ob")
	if [ "$verified" = unverified ] && [ -n "$rows" ]; then
		echo "hijack '$name': mail to an unverified From: $rows"; ok=
	fi
	for r in $rows; do
		[ "$r" = "$from" ] || { echo "hijack '$name': mail to $r"; ok=; }
	done
	if [ -n "$(db "SELECT o.id FROM outbox o JOIN messages m ON m.id = o.message
		       WHERE o.id > $ob AND CAST(m.raw AS TEXT) LIKE '%$SECRET%'")" ]; then
		echo "hijack '$name': the ticket's text leaked"; ok=
	fi
	verdict="LET IN"
	[ -n "$ok" ] && verdict=refused
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$fate" "$(field by)" "$(field token)" \
		"$(field auth)" "$verdict" >>"$TEST_DIR/hijacks.tsv"
	[ -n "$ok" ] && REFUSED=$((REFUSED + 1))
	[ -n "$ok" ]
}

# control FILE FATE: the same move by someone who may: it goes through.
control () {
	deliver "$1" && [ "$fate" = "$2" ] || { echo "control: fate=$fate, want $2"; return 1; }
}

test_expect_success 'setup: three organisations, SUP-1 of alice shared with dave, a comment' '
	start_smtp_sink &&
	write_config ticketd.conf <<-\EOF &&
	[general]
	trusted_authserv_id = mx.example.com
	reply_token_lifetime = 180d
	EOF
	ctl org add Acme --plan SP2 --region EMEA --domain acme.example &&
	ctl org add Beta --plan SP2 --region EMEA --domain beta.example &&
	ctl org add Gamma --plan SP2 --region AMER --domain gamma.example &&
	ctl contact add alice@acme.example --org Acme --name "Alice Anders" &&
	ctl contact add bob@acme.example --org Acme &&
	ctl contact add dave@beta.example --org Beta &&
	ctl contact add eve@gamma.example --org Gamma &&
	ctl agent add agent@example.com --name "Sam Support" &&
	mt new --from "Alice Anders <alice@acme.example>" --subject "Reports are empty" \
		--body "All reports are empty." --msgid a1@acme.example >a1.eml &&
	mx a1.eml "$PASS" &&
	deliver a1.eml && [ "$fate" = created ] && [ "$(field auth)" = pass ] &&
	ctl share SUP-1 dave@beta.example --as agent@example.com &&
	ctl comment SUP-1 --as agent@example.com -m "The fix is $SECRET." &&
	flush &&
	ALICE=$(last_to alice@acme.example) && DAVE=$(last_to dave@beta.example) &&
	grep -q "$SECRET" "$ALICE" && grep -q "$SECRET" "$DAVE" &&
	ATOK=$(token_of "$ALICE") && DTOK=$(token_of "$DAVE") &&
	echo "alice: $ATOK dave: $DTOK" &&
	[ "$ATOK" != "$DTOK" ]
'

test_expect_success 'every mail carries a token made for its one recipient' '
	for f in $(sink_files); do
		[ "$(grep -c "^RCPT TO:" "${f%.eml}.env")" -eq 1 ] || return 1
	done &&
	case $ATOK in support+r1-1-*@example.com) ;; *) false ;; esac &&
	mt rawheader "$ALICE" Message-ID | grep -q "\.${ATOK#support+}>"
'

# ---- controls: the people who may ----

test_expect_success 'control: alice answers her notification (token=own, auth=pass), #priority 2 applies' '
	mt reply "$ALICE" --from "alice@acme.example" --to "$ATOK" --body "#priority 2
Thanks." >c-alice.eml && mx c-alice.eml "$PASS" &&
	control c-alice.eml followup &&
	[ "$(field token)" = own ] && [ "$(field auth)" = pass ] &&
	[ "$(db "SELECT priority FROM tickets WHERE number = 1")" -eq 2 ]
'

test_expect_success 'control: dave, a participant, answers with his own token' '
	mt reply "$DAVE" --from "dave@beta.example" --to "$DTOK" --body "Same here." >c-dave.eml &&
	mx c-dave.eml "spf=pass smtp.mailfrom=beta.example; dkim=pass header.d=beta.example; dmarc=pass" mail.beta.example &&
	control c-dave.eml followup && [ "$(field token)" = own ]
'

test_expect_success 'control: bob, a colleague, answers with alice'"'"'s forwarded token (token=other, allowed)' '
	mt reply "$ALICE" --from "bob@acme.example" --to "$ATOK" --body "Also for me." >c-bob.eml &&
	mx c-bob.eml "$PASS" &&
	control c-bob.eml followup && [ "$(field token)" = other ]
'

test_expect_success 'control: with no Authentication-Results the From is taken as written (auth=none)' '
	mt new --from "alice@acme.example" --subject "Re: [SUP-1] Reports are empty" --body "More." >c-none.eml &&
	control c-none.eml followup && [ "$(field auth)" = none ] && [ "$(field by)" = subject ]
'

# ---- the attempts ----

test_expect_success 'hijack: a stranger cites SUP-1 in the subject' '
	mt new --from "mallory@evil.example" --subject "Re: [SUP-1] Reports are empty" \
		--cc "eve@gamma.example" --body "$COMMANDS" >h1.eml &&
	mx h1.eml "spf=pass smtp.mailfrom=evil.example; dkim=pass header.d=evil.example; dmarc=pass" mx.evil.example &&
	hijack "subject number, unregistered stranger" h1.eml &&
	[ "$(field by)" = subject ] && ! grep -q " ticket=" fate.line
'

test_expect_success 'hijack: a registered contact of another organisation cites SUP-1 (gets a ticket of her own)' '
	mt new --from "eve@gamma.example" --subject "[SUP-1] please close" --body "$COMMANDS" >h2.eml &&
	mx h2.eml "spf=pass smtp.mailfrom=gamma.example; dkim=pass header.d=gamma.example; dmarc=pass" &&
	hijack "subject number, registered contact of another org" h2.eml &&
	own=$(field ticket) && [ -n "$own" ] && [ "$own" != SUP-1 ] &&
	[ "$(db "SELECT requester FROM tickets WHERE number = ${own#SUP-}")" = eve@gamma.example ]
'

test_expect_success 'hijack: a forged In-Reply-To naming the requester'"'"'s own mail' '
	mt new --from "mallory@evil.example" --subject "hello" --header "In-Reply-To: <a1@acme.example>" \
		--header "References: <a1@acme.example>" --body "$COMMANDS" >h3.eml &&
	mx h3.eml "spf=pass smtp.mailfrom=evil.example; dkim=none; dmarc=none" &&
	hijack "forged In-Reply-To" h3.eml && [ "$(field by)" = headers ]
'

test_expect_success 'hijack: alice'"'"'s notification forwarded to a third party, who replies to it' '
	mt reply "$ALICE" --from "mallory@evil.example" --to "$ATOK" --cc "eve@gamma.example" \
		--body "$COMMANDS" >h4.eml &&
	mx h4.eml "spf=pass smtp.mailfrom=evil.example; dmarc=none" &&
	hijack "forwarded token, third party" h4.eml &&
	[ "$(field by)" = token ] && [ "$(field token)" = other ]
'

test_expect_success 'hijack: a token made for alice, used by eve (To only, no thread headers)' '
	mt new --from "eve@gamma.example" --to "$ATOK" --subject "x" --body "$COMMANDS" >h5.eml &&
	mx h5.eml "spf=pass smtp.mailfrom=gamma.example; dmarc=pass" &&
	hijack "token minted for someone else" h5.eml && [ "$(field token)" = other ]
'

test_expect_success 'hijack: a token whose number was changed to another ticket is no token' '
	bad=$(echo "$ATOK" | sed "s/+r1-/+r2-/") &&
	mt new --from "mallory@evil.example" --to "$bad" --subject "[SUP-1]" --body "$COMMANDS" >h6.eml &&
	hijack "altered token" h6.eml && [ "$(field by)" != token ]
'

test_expect_success 'hijack: dave replays his token after he was unshared' '
	ctl unshare SUP-1 dave@beta.example >/dev/null &&
	mt reply "$DAVE" --from "dave@beta.example" --to "$DTOK" --body "$COMMANDS" >h7.eml &&
	mx h7.eml "spf=pass smtp.mailfrom=beta.example; dmarc=pass" mail.beta.example &&
	hijack "replayed token after unshare" h7.eml &&
	[ "$(field token)" = removed ]
'

test_expect_success 'hijack: an expired token (181 days later), by a third party' '
	mt reply "$ALICE" --from "mallory@evil.example" --to "$ATOK" --body "$COMMANDS" >h8.eml &&
	TICKETD_NOW=$((TEST_T0 + 181 * 86400)) && export TICKETD_NOW &&
	hijack "expired token, third party" h8.eml
	rc=$?; TICKETD_NOW=$TEST_T0; export TICKETD_NOW
	[ $rc -eq 0 ] && [ "$(field token)" = expired ]
'

test_expect_success 'control: alice'"'"'s own expired token still threads (the sender check lets her in)' '
	mt reply "$ALICE" --from "alice@acme.example" --to "$ATOK" --body "Still here." >c-exp.eml &&
	mx c-exp.eml "$PASS" &&
	TICKETD_NOW=$((TEST_T0 + 181 * 86400)) ctl deliver <c-exp.eml >fate.line &&
	cat fate.line && [ "$(field fate)" = followup ] && [ "$(field token)" = expired ]
'

# The old format, made as the old code made it: t<n>-<20 hex of HMAC-SHA256(key 1, "<n>")>.
old_token () {
	"$PY" -c 'import hmac, hashlib, sys
key = bytes.fromhex(sys.argv[1])
print("t%s-%s" % (sys.argv[2], hmac.new(key, sys.argv[2].encode(), hashlib.sha256).hexdigest()[:20]))' \
		"$(db "SELECT value FROM meta WHERE key = 'reply_token_key'")" "$1"
}

test_expect_success 'hijack: an old-format token (t1-…) used by a stranger' '
	OTOK=support+$(old_token 1)@example.com && echo "$OTOK" &&
	mt new --from "mallory@evil.example" --to "$OTOK" --subject "x" --body "$COMMANDS" >h9.eml &&
	hijack "old-format token, stranger" h9.eml && [ "$(field token)" = old ]
'

test_expect_success 'control: the old-format token still threads for alice, for one release' '
	mt new --from "alice@acme.example" --to "$OTOK" --subject "x" --body "Old mail answered." >c-old.eml &&
	mx c-old.eml "$PASS" &&
	control c-old.eml followup && [ "$(field token)" = old ]
'

test_expect_success 'hijack: a spoofed From: alice, our MTA says dmarc=fail' '
	flush && n=$(sink_count) &&
	mt new --from "Alice Anders <alice@acme.example>" --subject "Re: [SUP-1] Reports are empty" \
		--cc "eve@gamma.example" --body "$COMMANDS" >h10.eml &&
	mx h10.eml "$FAIL" mx.evil.example &&
	hijack "spoofed From, trusted dmarc=fail" h10.eml unverified &&
	[ "$(field auth)" = fail ] && [ "$fate" = rejected_stranger ] &&
	grep -q "noreply=unverified" fate.line &&
	flush && [ "$(sink_count)" -eq "$n" ]
'

test_expect_success 'hijack: a spoofed From: alice carrying her genuine token (token=own), dmarc=fail' '
	mt reply "$ALICE" --from "alice@acme.example" --to "$ATOK" --body "$COMMANDS" >h11.eml &&
	mx h11.eml "$FAIL" mx.evil.example &&
	hijack "spoofed From with the victim'"'"'s own token" h11.eml unverified &&
	[ "$(field token)" = own ] && [ "$(field auth)" = fail ]
'

test_expect_success 'hijack: a spoofed agent address, spf and dkim failing' '
	mt new --from "Sam Support <agent@example.com>" --subject "Re: [SUP-1]" --body "$COMMANDS" >h12.eml &&
	mx h12.eml "spf=softfail smtp.mailfrom=example.com; dkim=none" mx.evil.example &&
	hijack "spoofed agent, spf softfail + no dkim" h12.eml unverified &&
	! grep -q "agent=" fate.line
'

test_expect_success 'hijack: a forged Authentication-Results under a foreign id says pass' '
	mt new --from "alice@acme.example" --subject "Re: [SUP-1]" --body "$COMMANDS" \
		--header "Authentication-Results: acme.example; dmarc=pass header.from=acme.example" >h13.eml &&
	mx h13.eml "$FAIL" mx.evil.example &&
	hijack "forged A-R, foreign id, pass" h13.eml unverified && [ "$(field auth)" = fail ]
'

test_expect_success 'hijack: a forged trusted-id pass written below our MTA'"'"'s Received' '
	mt new --from "alice@acme.example" --subject "Re: [SUP-1]" --body "$COMMANDS" \
		--header "Authentication-Results: mx.example.com; dmarc=pass header.from=acme.example" \
		--header "Received: from evil-laptop by mx.evil.example" >h14.eml &&
	mx h14.eml "spf=softfail smtp.mailfrom=acme.example; dkim=none" mx.evil.example &&
	hijack "forged trusted-id A-R below the Received" h14.eml unverified && [ "$(field auth)" = fail ]
'

test_expect_success 'hijack: a From our MTA reads as another domain (dmarc=pass, header.from=evil.example)' '
	printf "%s\r\n" "From: <alice@acme.example>@evil.example" "To: support@example.com" \
		"Subject: Re: [SUP-1] Reports are empty" "Message-ID: <differ@evil.example>" \
		"Date: Thu, 26 Nov 2026 10:00:00 +0000" "" "$COMMANDS" >h17.eml &&
	mx h17.eml "spf=pass smtp.mailfrom=evil.example; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example" mx.evil.example &&
	hijack "From read differently by the MTA (parser differential)" h17.eml unverified &&
	[ "$(field from)" = alice@acme.example ] && [ "$(field auth)" = fail ]
'

test_expect_success 'hijack: a spoofed registered contact opens a new ticket and shares it by Cc' '
	before=$(db "SELECT COUNT(*) FROM tickets") &&
	mt new --from "alice@acme.example" --subject "Brand new" --cc "bob@acme.example" \
		--body "$COMMANDS" >h15.eml &&
	mx h15.eml "$FAIL" mx.evil.example &&
	hijack "spoofed contact opens a ticket" h15.eml unverified &&
	[ "$fate" = rejected_unregistered ] && [ "$(field by)" = auth ] &&
	[ "$(db "SELECT COUNT(*) FROM tickets")" -eq "$before" ]
'

test_expect_success 'hijack: a forged bounce for alice does not silence her' '
	cat >h16.eml <<-EOF &&
	From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>
	To: support@example.com
	Subject: Undelivered Mail Returned to Sender
	Message-ID: <forged-dsn@evil.example>
	Date: Thu, 26 Nov 2026 10:00:00 +0000
	MIME-Version: 1.0
	Content-Type: multipart/report; report-type=delivery-status; boundary="B"

	--B
	Content-Type: message/delivery-status

	Reporting-MTA: dns; mx.acme.example

	Final-Recipient: rfc822; alice@acme.example
	Action: failed
	Status: 5.1.1

	--B--
	EOF
	mx h16.eml "spf=fail smtp.helo=mx.acme.example; dkim=none; dmarc=fail header.from=mx.acme.example" mx.evil.example &&
	TRIED=$((TRIED + 1)) &&
	deliver h16.eml && [ "$fate" = bounce ] && [ "$(field auth)" = fail ] &&
	[ -z "$(db "SELECT reason FROM undeliverable WHERE address = '\''alice@acme.example'\''")" ] &&
	REFUSED=$((REFUSED + 1)) &&
	printf "%s\t%s\t%s\t%s\t%s\t%s\n" "forged bounce (mark undeliverable)" bounce dsn "" fail refused >>hijacks.tsv
'

test_expect_success 'after all attempts SUP-1 is as its people left it' '
	db "SELECT status, level, severity, priority FROM tickets WHERE number = 1" >state &&
	echo "open|0|3|2" >want && test_cmp want state &&
	[ "$(db "SELECT COUNT(*) FROM events WHERE ticket = 1 AND type = '\''comment'\''")" -eq 7 ] &&
	[ -z "$(db "SELECT email FROM participants WHERE ticket = 1")" ] &&
	[ "$(db "SELECT COUNT(*) FROM events WHERE ticket = 1 AND type = '\''rejected_stranger'\''")" -eq 15 ]
'

test_expect_success 'key rotation: new mail gets version 2, version 1 tokens still verify' '
	ctl token rotate >rot && test_grep "version 2" rot &&
	ctl comment SUP-1 --as agent@example.com -m "After the rotation." &&
	flush && A2=$(last_to alice@acme.example) && T2=$(token_of "$A2") &&
	case $T2 in support+r1-2-*) ;; *) echo "$T2"; false ;; esac &&
	mt reply "$A2" --from "alice@acme.example" --to "$T2" --body "v2" >c-v2.eml && mx c-v2.eml "$PASS" &&
	control c-v2.eml followup && [ "$(field token)" = own ] &&
	mt reply "$ALICE" --from "alice@acme.example" --to "$ATOK" --body "v1" >c-v1.eml && mx c-v1.eml "$PASS" &&
	control c-v1.eml followup && [ "$(field token)" = own ]
'

test_expect_success 'the tally: every hijack tried was refused' '
	echo "# hijacks tried: $TRIED, refused: $REFUSED" &&
	sed "s/^/# /" hijacks.tsv &&
	[ "$TRIED" -ge 17 ] && [ "$TRIED" -eq "$REFUSED" ] &&
	! grep -q "LET IN" hijacks.tsv
'

test_done
