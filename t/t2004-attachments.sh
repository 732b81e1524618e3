#!/usr/bin/env bash
# Attachments both ways, end to end with the real SMTP sink: a customer's
# mail with two files (one named in ISO-2022-JP) is kept with its ticket,
# `show` lists them, `attachment get` gives back the very bytes; an agent
# comments with --attach and the customer's mail carries the files,
# correctly named; an agent's reply by mail forwards its attachment but
# not the signature image its HTML shows nor the customer's own file
# quoted back.  Limits: a file over max_attachment_size or the ticket's
# quota is dropped and the sender told; a notification over
# max_outgoing_attachments names the files instead.  Names that are paths
# or that mislead never reach the disk as they were.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

"$PY" -c 'import aiosmtpd' 2>/dev/null || skip_all 'aiosmtpd missing'

mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
check () { "$PY" "$TICKETD_SRC/t/check-mail.py" "$@"; }
ctl () { "$TICKETCTL" -c "$TEST_DIR/ticketd.conf" "$@"; }
send () { "$TICKETD" -c "$TEST_DIR/ticketd.conf" --once 2>>"$TEST_DIR/send.log"; }
sha () { sha256sum "$1" | cut -d' ' -f1; }
# json EXPR < FILE: a value out of JSON (Python expression over j).
json () { "$PY" -c "import json, sys; j = json.load(sys.stdin); print($1)"; }

# new_mails N: the mails the sink got after the first N.
new_mails () { sink_files | tail -n +$(($1 + 1)); }
rcpt_of () { sed -n 's/^RCPT TO:<\(.*\)>$/\1/p' "${1%.eml}.env"; }

# b64word TEXT CHARSET: TEXT as one RFC 2047 B word in CHARSET.
b64word () {
	"$PY" -c 'import base64, sys; print("=?%s?B?%s?=" % (sys.argv[2].upper(),
		base64.b64encode(sys.argv[1].encode(sys.argv[2])).decode()))' "$1" "$2"
}
# pct TEXT CHARSET: TEXT percent-encoded in CHARSET (RFC 2231).
pct () {
	"$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1].encode(sys.argv[2]), safe=""))' "$1" "$2"
}

# part FILE TYPE 'DISPOSITION-PARAMS' [EXTRA-HEADER]...: one base64 MIME part.
part () {
	local file=$1 type=$2 disp=$3 h
	shift 3
	printf -- '--BOUNDARY\nContent-Type: %s\nContent-Disposition: %s\n' "$type" "$disp"
	for h in "$@"; do printf '%s\n' "$h"; done
	printf 'Content-Transfer-Encoding: base64\n\n'
	base64 -w 76 "$file"
}

# mail FROM SUBJECT MSGID TEXT [PART-COMMANDS...]: a multipart/mixed mail
# (CRLF) on stdout; each further argument is a command printing one part.
mail () {
	local from=$1 subject=$2 msgid=$3 text=$4 p
	shift 4
	{
		printf 'From: %s\nTo: support@example.com\nSubject: %s\nMessage-ID: <%s>\n' \
			"$from" "$subject" "$msgid"
		printf 'Date: Thu, 26 Nov 2026 09:00:00 +0000\nMIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary="BOUNDARY"\n\n'
		printf -- '--BOUNDARY\nContent-Type: text/plain; charset=utf-8\n\n%s\n' "$text"
		for p in "$@"; do eval "$p"; done
		printf -- '--BOUNDARY--\n'
	} | sed 's/$/\r/'
}

CUST=kenji@acme.example
Q2="''"		# the empty language of an RFC 2231 value
AGENT=dana@example.com
JA_NAME=障害ログ.txt

test_expect_success 'setup: sink, limits, organisation, contact, agent, files' '
	start_smtp_sink &&
	write_config ticketd.conf <<-EOF &&
	[general]
	max_attachment_size = 200K
	ticket_attachment_quota = 400K
	max_outgoing_attachments = 100K
	EOF
	"$TICKETD" -c ticketd.conf -n &&
	ctl org add Acme --plan SP2 --region APAC --domain acme.example &&
	ctl contact add $CUST --org Acme --name "Kenji Sato" --lang ja &&
	ctl agent add $AGENT --name "Dana Agent" &&
	head -c 40000 /dev/urandom >screenshot.png &&
	printf "2026-11-26 09:00:01 ERROR 42 ログ\n" >ja.txt &&
	printf "diff --git a/x b/x\n+fixed\n" >fix-1234.patch &&
	head -c 20000 /dev/urandom >"リリースノート.pdf" &&
	head -c 30000 /dev/urandom >hotfix.zip &&
	head -c 700 /dev/urandom >logo.png &&
	head -c 150000 /dev/urandom >big.bin &&
	head -c 300000 /dev/urandom >core.dump
'

test_expect_success 'a customer mail with two files, one named in ISO-2022-JP: both kept' '
	mail "Kenji Sato <$CUST>" "Export fails" m1@acme.example "Export fails, see attached." \
		"part screenshot.png image/png \"attachment; filename=\\\"screenshot.png\\\"\"" \
		"part ja.txt text/plain \"attachment; filename=\\\"$(b64word $JA_NAME iso-2022-jp)\\\"\"" \
		>in1.eml &&
	grep -q "ISO-2022-JP?B?" in1.eml &&
	ctl deliver <in1.eml >deliver.out &&
	test_grep "fate=created ticket=SUP-1 .*attachments=2" deliver.out &&
	send && sink_wait 1 &&
	test "$(mt header "$(sink_files)" Auto-Submitted)" = auto-replied
'

test_expect_success 'show lists them with the created event; --json has names, sizes, hashes' '
	ctl show SUP-1 >show.out &&
	test_grep "attachment 1: screenshot.png  image/png  40 KB" show.out &&
	test_grep "attachment 2: $JA_NAME  text/plain  36 B" show.out &&
	ctl show --json SUP-1 >show.json &&
	json "[a[\"filename\"] for e in j[\"activity\"] if e[\"type\"] == \"created\" for a in e[\"attachments\"]]" \
		<show.json >names &&
	test_grep "screenshot.png" names && test_grep "$JA_NAME" names &&
	json "[a[\"sha256\"] for e in j[\"activity\"] for a in e[\"attachments\"]]" <show.json >hashes &&
	test_grep "$(sha screenshot.png)" hashes &&
	test_grep "$(sha ja.txt)" hashes &&
	ctl attachment list SUP-1 >list.out &&
	test_line_count = 3 list.out &&
	ctl attachment list --json SUP-1 >list.json &&
	test "$(json "j[1][\"size\"]" <list.json)" = "$(stat -c %s ja.txt)"
'

test_expect_success 'attachment get writes the exact bytes, never over a file without -f' '
	mkdir get && (cd get &&
		ctl attachment get SUP-1 1 >out &&
		test_grep "wrote .screenshot.png." out &&
		cmp screenshot.png ../screenshot.png &&
		ctl attachment get SUP-1 2 &&
		cmp "$JA_NAME" ../ja.txt &&
		test "$(stat -c %a screenshot.png)" = 600 &&
		echo old >screenshot.png &&
		test_expect_code 1 ctl attachment get SUP-1 1 2>err &&
		test_grep "exists (-f overwrites it)" err &&
		test "$(cat screenshot.png)" = old &&
		ctl attachment get SUP-1 1 -f &&
		cmp screenshot.png ../screenshot.png &&
		ctl attachment get SUP-1 1 -o - >stdout.png &&
		cmp stdout.png ../screenshot.png &&
		mkdir sub && ctl attachment get SUP-1 2 -o sub >/dev/null && cmp "sub/$JA_NAME" ../ja.txt &&
		ctl attachment get --json SUP-1 2 -o copy.txt >get.json &&
		test "$(json "j[\"sha256\"]" <get.json)" = "$(sha ../ja.txt)" &&
		ls -A >files && test_grep ! ticketctl files && test_line_count = 9 files)
'

test_expect_success 'attachment get refuses what is not there' '
	test_expect_code 1 ctl attachment get SUP-1 9 2>err &&
	test_grep "SUP-1 has no attachment 9" err &&
	test_expect_code 1 ctl attachment get SUP-99 1 2>err &&
	test_grep "no ticket SUP-99" err &&
	test_expect_code 2 ctl attachment get SUP-1 x 2>err &&
	test_expect_code 2 ctl attachment get SUP-1 2>err &&
	test_expect_code 2 ctl attachment frobnicate SUP-1 2>err
'

test_expect_success 'an agent comments with the text from stdin and two files: the customer gets them, named' '
	before=$(sink_count) &&
	printf "Please apply the attached patch.\nThe release notes are attached too.\n" |
		ctl comment SUP-1 --as $AGENT -F - --attach fix-1234.patch --attach "リリースノート.pdf" >out &&
	test_grep "SUP-1: comment added" out &&
	test_grep "attachment 3: fix-1234.patch" out &&
	test_grep "attachment 4: リリースノート.pdf" out &&
	send && sink_wait $((before + 1)) &&
	f=$(new_mails $before) && test "$(rcpt_of $f)" = $CUST &&
	cp $f comment1.eml &&
	check comment1.eml --kind notification --ticket 1 --to $CUST \
		--phrase "Please apply the attached patch." --phrase "fix-1234.patch ($(stat -c %s fix-1234.patch) B)" \
		--attachment "fix-1234.patch=$(sha fix-1234.patch)" \
		--attachment "リリースノート.pdf=$(sha リリースノート.pdf)" &&
	grep -q "filename\*0\*=UTF-8${Q2}%E3%83%AA" comment1.eml &&
	ctl show SUP-1 >show.out &&
	test_grep "Please apply the attached patch." show.out &&
	test_grep "attachment 4: リリースノート.pdf  application/pdf" show.out
'

test_expect_success 'comment --json names the event and what was attached' '
	ctl comment SUP-1 --as $AGENT -m "The log once more." --attach ja.txt --internal --json >c.json &&
	test "$(json "j[\"result\"]" <c.json)" = done &&
	test "$(json "j[\"attachments\"][0][\"sha256\"]" <c.json)" = "$(sha ja.txt)" &&
	test "$(json "j[\"attachments\"][0][\"id\"]" <c.json)" = 5 &&
	test "$(json "j[\"queued\"]" <c.json)" = 0
'

test_expect_success 'comment refuses a file over max_attachment_size, a folder, two texts; nothing is added' '
	ctl attachment list SUP-1 >before &&
	test_expect_code 1 ctl comment SUP-1 --as $AGENT -m x --attach core.dump 2>err &&
	test_grep "larger than max_attachment_size (200 KB)" err &&
	test_expect_code 1 ctl comment SUP-1 --as $AGENT -m x --attach get 2>err &&
	test_grep "not a regular file" err &&
	test_expect_code 1 ctl comment SUP-1 --as $AGENT -m x --attach nothere 2>err &&
	test_expect_code 2 ctl comment SUP-1 --as $AGENT -m x -F fix-1234.patch 2>err &&
	test_expect_code 2 ctl comment SUP-1 --as $AGENT 2>err &&
	printf "caf\351\n" >latin1.txt &&
	test_expect_code 1 ctl comment SUP-1 --as $AGENT -F latin1.txt 2>err &&
	test_grep "not UTF-8 text" err &&
	ctl attachment list SUP-1 >after &&
	test_cmp before after
'

test_expect_success 'a notification over max_outgoing_attachments names the file instead' '
	before=$(sink_count) &&
	ctl comment SUP-1 --as $AGENT -m "The full build is on the ticket." --attach big.bin >out &&
	send && sink_wait $((before + 1)) &&
	f=$(new_mails $before) && cp $f comment2.eml &&
	check comment2.eml --kind notification --ticket 1 --to $CUST \
		--phrase "big.bin (147 KB)" --phrase "100 KB" --phrase "[SUP-1]" &&
	! grep -qi "^Content-Disposition: attachment" comment2.eml
'

# An Outlook-style reply: its HTML shows the signature logo by cid:, a
# real attachment carries a Content-ID that no HTML uses (as Gmail's do),
# and the customer's own screenshot comes back with the quoted history.
agent_reply () {
	printf 'From: Dana Agent <%s>\nTo: support@example.com\n' $AGENT
	printf 'Subject: RE: [SUP-1] Export fails\nMessage-ID: <r1@example.com>\n'
	printf 'Date: Thu, 26 Nov 2026 11:00:00 +0000\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary="BOUNDARY"\n\n'
	printf -- '--BOUNDARY\nContent-Type: multipart/related; boundary="REL"\n\n'
	printf -- '--REL\nContent-Type: multipart/alternative; boundary="ALT"\n\n'
	printf -- '--ALT\nContent-Type: text/plain; charset=utf-8\n\n'
	printf 'Here is the hotfix for version 7.2.\n\nDana\n\n'
	printf -- '-----Original Message-----\nFrom: Kenji Sato\nSent: Thursday\n\nExport fails, see attached.\n'
	printf -- '--ALT\nContent-Type: text/html; charset=utf-8\n\n'
	printf '<html><body><p>Here is the hotfix for version 7.2.</p>'
	printf '<p>Dana<br><img src="cid:image001.png@01DB3F2A.5C1E9A20" alt="logo"></p>'
	printf '<hr><p>Export fails, see attached.</p></body></html>\n'
	printf -- '--ALT--\n'
	printf -- '--REL\nContent-Type: image/png; name="image001.png"\n'
	printf 'Content-Disposition: attachment; filename="image001.png"\n'
	printf 'Content-ID: <image001.png@01DB3F2A.5C1E9A20>\nContent-Transfer-Encoding: base64\n\n'
	base64 -w 76 logo.png
	printf -- '--REL--\n'
	part hotfix.zip application/zip 'attachment; filename="hotfix.zip"' 'Content-ID: <f_m3x8q1a20>' 'X-Attachment-Id: f_m3x8q1a20'
	part screenshot.png image/png 'attachment; filename="screenshot.png"'
	printf -- '--BOUNDARY--\n'
}

test_expect_success 'an agent reply by mail forwards its attachment, not its logo nor the quoted file' '
	agent_reply | sed "s/\$/\r/" >reply1.eml &&
	before=$(sink_count) &&
	ctl deliver <reply1.eml >deliver.out &&
	test_grep "fate=followup ticket=SUP-1 .*agent=yes attachments=3 ms=" deliver.out &&
	send && sink_wait $((before + 1)) &&
	f=$(new_mails $before) && test "$(rcpt_of $f)" = $CUST && cp $f reply-out.eml &&
	check reply-out.eml --kind notification --ticket 1 --to $CUST \
		--phrase "Here is the hotfix for version 7.2." --absent "Original Message" \
		--attachment "hotfix.zip=$(sha hotfix.zip)" &&
	ctl show SUP-1 >show.out &&
	test_grep "image001.png  image/png .*(inline image of the mail, not forwarded)" show.out &&
	test_grep "screenshot.png  image/png .*(already on the ticket, not forwarded)" show.out &&
	ctl attachment list --json SUP-1 >list.json &&
	json "[(a[\"filename\"], a[\"role\"]) for a in j if a[\"id\"] >= 7]" <list.json >roles &&
	test_grep "('"'"'image001.png'"'"', '"'"'inline'"'"'), ('"'"'hotfix.zip'"'"', '"'"'file'"'"'), ('"'"'screenshot.png'"'"', '"'"'history'"'"')" roles &&
	(cd get && ctl attachment get SUP-1 8 && cmp hotfix.zip ../hotfix.zip)
'

test_expect_success 'a file over max_attachment_size is dropped, kept by name, and the customer told (ja)' '
	before=$(sink_count) &&
	mail "Kenji Sato <$CUST>" "Re: [SUP-1] Export fails" m2@acme.example "The core dump." \
		"part core.dump application/octet-stream \"attachment; filename=\\\"core.dump\\\"\"" \
		"part ja.txt text/plain \"attachment; filename=\\\"again.txt\\\"\"" >in2.eml &&
	ctl deliver <in2.eml >deliver.out &&
	test_grep "fate=followup ticket=SUP-1 .*attachments=2 dropped=1" deliver.out &&
	send && sink_wait $((before + 1)) &&
	f=$(new_mails $before) && test "$(rcpt_of $f)" = $CUST && cp $f dropped.eml &&
	test "$(mt header dropped.eml Auto-Submitted)" = auto-replied &&
	mt body dropped.eml >dropped.txt &&
	test_grep "core.dump (293 KB)" dropped.txt &&
	test_grep "200 KB" dropped.txt && test_grep "400 KB" dropped.txt &&
	test_grep "保存できませんでした" dropped.txt &&
	test_grep ! "again.txt" dropped.txt &&
	ctl show SUP-1 >show.out &&
	test_grep "core.dump  application/octet-stream  293 KB  (dropped: larger than max_attachment_size (200 KB))" show.out &&
	n=$(ctl attachment list --json SUP-1 | json "[a[\"id\"] for a in j if a[\"filename\"] == \"core.dump\"][0]") &&
	test_expect_code 1 ctl attachment get SUP-1 $n 2>err &&
	test_grep "was dropped" err
'

test_expect_success 'the quota: files past it are dropped, the same bytes again cost nothing; the auto-response says so' '
	head -c 150000 /dev/urandom >q1.bin && head -c 150000 /dev/urandom >q2.bin &&
	head -c 150000 /dev/urandom >q3.bin &&
	before=$(sink_count) &&
	mail "Kenji Sato <$CUST>" "Four files" m3@acme.example "Four files." \
		"part q1.bin application/octet-stream \"attachment; filename=q1.bin\"" \
		"part q2.bin application/octet-stream \"attachment; filename=q2.bin\"" \
		"part q3.bin application/octet-stream \"attachment; filename=q3.bin\"" \
		"part q1.bin application/octet-stream \"attachment; filename=q1-again.bin\"" >in3.eml &&
	ctl deliver <in3.eml >deliver.out &&
	test_grep "fate=created ticket=SUP-2 .*attachments=4 dropped=1" deliver.out &&
	ctl attachment list --json SUP-2 >q.json &&
	test "$(json "[a[\"dropped\"] is None for a in j]" <q.json)" = "[True, True, False, True]" &&
	test_grep "quota (400 KB)" q.json &&
	send && sink_wait $((before + 1)) &&
	f=$(new_mails $before) && mt body $f >ar.txt &&
	test_grep "q3.bin (147 KB)" ar.txt && test_grep "SUP-2" ar.txt
'

test_expect_success 'names that are paths, or that mislead, are made safe; get writes only here' '
	printf x >payload &&
	mail "Kenji Sato <$CUST>" "Odd names" m4@acme.example "Odd names." \
		"part payload text/plain \"attachment; filename=\\\"../../../tmp/evil.sh\\\"\"" \
		"part payload text/plain \"attachment; filename=\\\"/etc/cron.d/evil\\\"\"" \
		"part payload text/plain \"attachment; filename=\\\"..\\\\\\\\..\\\\\\\\boot.ini\\\"\"" \
		"part payload text/plain \"attachment; filename*=utf-8${Q2}invoice%E2%80%AEfdp.exe\"" \
		"part payload text/plain \"attachment; filename*=utf-8${Q2}report.pdf%00.exe\"" \
		"part payload text/plain \"attachment; filename=\\\"CON.txt\\\"\"" \
		"part payload text/plain \"attachment; filename=\\\"setup.exe. . .\\\"\"" \
		"part payload text/plain \"attachment; filename=\\\"..\\\"\"" \
		"part payload text/plain \"attachment; filename*=utf-8${Q2}a%0D%0ABcc: x.txt\"" \
		"part payload text/plain \"attachment; filename*=iso-2022-jp${Q2}$(pct 添付資料.txt iso-2022-jp)\"" \
		"part payload \"image/png$(printf "\033")[2J\" \"attachment; filename=screen.png\"" \
		>in4.eml &&
	ctl deliver <in4.eml >deliver.out &&
	test_grep "fate=created ticket=SUP-3 .*attachments=11" deliver.out &&
	ctl attachment list --json SUP-3 >names.json &&
	json "\"\\n\".join(a[\"filename\"] for a in j)" <names.json >names &&
	cat >expect <<-\EOF &&
	evil.sh
	evil
	boot.ini
	invoice_fdp.exe
	report.pdf .exe
	_CON.txt
	setup.exe
	attachment.txt
	a Bcc_ x.txt
	添付資料.txt
	screen.png
	EOF
	test_cmp expect names &&
	test "$(json "j[10][\"content_type\"]" <names.json)" = application/octet-stream &&
	json "j[0][\"sent_name\"]" <names.json >sent && test_grep "../../../tmp/evil.sh" sent &&
	mkdir odd && (cd odd &&
		for i in 1 2 3 4 5 6 7 8 9 10 11; do ctl attachment get SUP-3 $i >/dev/null || exit 1; done &&
		ls -A | sort >../odd.files) &&
	sort expect >expect.sorted &&
	test_cmp expect.sorted odd.files &&
	test_path_is_missing /tmp/evil.sh &&
	ctl show SUP-3 >show.out &&
	test_grep "attachment 1: evil.sh  text/plain  1 B  (name made safe" show.out &&
	test_grep ! "attachment 10: .*name made safe" show.out &&
	! grep -q "$(printf "\342\200\256")" show.out &&
	! grep -q "$(printf "\033")" show.out
'

test_done
