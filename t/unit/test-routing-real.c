/*
 * test-routing-real: the routing defects of issue 13, each with mail as
 * real clients and relays write it, through ingest_message on a real
 * store (decide, apply, the outbox) with real templates.
 *
 *   a re-delivery that differs only in what relays added is a duplicate;
 *   "Gravité : 1" with U+00A0 or U+202F sets the severity (and the phone);
 *   a new colleague's first reply at an auto-registering domain is a
 *   followup; #エスカレーション in ISO-2022-JP escalates; #reopen from the
 *   requester reopens a closed ticket; a requester in Cc of a reply-all
 *   is no participant of his own ticket; a stranger's own ticket answers
 *   with its own tag only.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "clock.h"
#include "ingest.h"
#include "log.h"
#include "mail.h"
#include "mime.h"
#include "store.h"
#include "test.h"
#include "test-desk.h"

static struct desk d;
static long long acme, globex;

static const struct ingest_source src = { .mailbox = "support" };

/* ingest raw; its fate in fate_r (may be NULL); the ticket it landed on. */
static long long
ingest(const char *raw, char *fate_r)
{
	struct ingest_result res;
	long long t;

	if (ingest_message(&d.in, raw, strlen(raw), &src, &res) != INGEST_OK)
		printf("# ingest: %s\n", res.line);
	if (fate_r != NULL)
		snprintf(fate_r, 32, "%s", res.fate);
	t = res.ticket;
	ingest_result_release(&res);
	return t;
}

/* A number the store's SQL says (read beside the store, as an auditor would). */
static long long
count(const char *sql)
{
	char *path = desk_path(&d, "ticketd.db");
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(path);
	return n;
}

/* The newest outbox mail to rcpt of kind, parsed; NULL when none. */
static struct mime_msg *
sent_to(const char *rcpt, const char *kind)
{
	char *raw = NULL;
	struct mime_msg *m;

	if (desk_outbox_count(&d, rcpt, kind, &raw) <= 0 || raw == NULL) {
		free(raw);
		return NULL;
	}
	m = mime_parse(raw, strlen(raw), NULL);
	free(raw);
	return m;
}

/* The first delivery, through Exchange Online, then the backup MX. */
static const char outlook_first[] =
	"Received: from DB9PR01MB7C4A.eurprd01.prod.outlook.com (2603:10a6:10:2ef::9)\r\n"
	" by mx1.example.com with ESMTPS id 4C8E21A0F3 for <support@example.com>;\r\n"
	" Mon, 30 Nov 2026 08:12:03 +0000 (UTC)\r\n"
	"Return-Path: <Anna.Berg@acme.example>\r\n"
	"Delivered-To: support@example.com\r\n"
	"X-Spam-Status: No, score=-1.9 required=5.0 tests=BAYES_00,DKIM_SIGNED\r\n"
	"Authentication-Results: mx1.example.com; dkim=pass header.d=acme.example\r\n"
	"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=acme.example; s=selector1;\r\n"
	" h=From:Date:Subject:Message-ID:Content-Type:MIME-Version; bh=47DEQpj8HBSa+/TImW+5JC=;\r\n"
	" b=dGVzdHNpZ25hdHVyZQ==\r\n"
	"From: Anna Berg <Anna.Berg@acme.example>\r\n"
	"To: Support <support@example.com>\r\n"
	"Subject: =?iso-8859-1?Q?Lizenzserver_l=E4uft_nicht?=\r\n"
	"Thread-Topic: Lizenzserver =?iso-8859-1?Q?l=E4uft?= nicht\r\n"
	"Thread-Index: AdnE3K1cP0v7lQxVTN2s3Q==\r\n"
	"Date: Mon, 30 Nov 2026 08:12:00 +0000\r\n"
	"Message-ID: <AM0PR10MB2369C1F2E0B4A@AM0PR10MB2369.EURPRD10.PROD.OUTLOOK.COM>\r\n"
	"Accept-Language: de-DE, en-US\r\n"
	"Content-Language: de-DE\r\n"
	"X-MS-Has-Attach:\r\n"
	"Content-Type: text/plain; charset=\"iso-8859-1\"\r\n"
	"Content-Transfer-Encoding: 8bit\r\n"
	"MIME-Version: 1.0\r\n"
	"\r\n"
	"Hallo,\r\n\r\nder Lizenzserver l\xe4uft seit heute fr\xfch nicht mehr.\r\n\r\n"
	"Gr\xfc\xdf" "e\r\nAnna\r\n";

/*
 * The same mail after a backup MX re-delivered it: its relays added
 * Received lines, a new spam score, ARC seals and Authentication-Results,
 * refolded To, and recoded the 8-bit body as quoted-printable (no
 * 8BITMIME on the way).  The sender wrote nothing new.
 */
static const char outlook_again[] =
	"Received: from mx2.example.com (mx2.example.com [192.0.2.25])\r\n"
	" by mx1.example.com with ESMTPS id 7D1F03A11C for <support@example.com>;\r\n"
	" Mon, 30 Nov 2026 09:40:17 +0000 (UTC)\r\n"
	"Received: from DB9PR01MB7C4A.eurprd01.prod.outlook.com (2603:10a6:10:2ef::9)\r\n"
	" by mx2.example.com (backup) with ESMTPS id 0A2B3C4D5E; Mon, 30 Nov 2026\r\n"
	" 08:12:04 +0000\r\n"
	"Return-Path: <Anna.Berg@acme.example>\r\n"
	"Delivered-To: support@example.com\r\n"
	"X-Original-To: help@example.com\r\n"
	"X-Spam-Status: No, score=0.4 required=5.0 tests=BAYES_20,DKIM_SIGNED,RDNS_NONE\r\n"
	"X-Spam-Checker-Version: SpamAssassin 4.0.0 on mx2.example.com\r\n"
	"ARC-Seal: i=1; a=rsa-sha256; d=example.com; s=arc; cv=none; b=c2VhbA==\r\n"
	"ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=arc;\r\n"
	" b=bXNn\r\n"
	"ARC-Authentication-Results: i=1; mx2.example.com; dkim=pass header.d=acme.example\r\n"
	"Authentication-Results: mx1.example.com; arc=pass; dkim=pass header.d=acme.example\r\n"
	"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=acme.example; s=selector1;\r\n"
	" h=From:Date:Subject:Message-ID:Content-Type:MIME-Version; bh=47DEQpj8HBSa+/TImW+5JC=;\r\n"
	" b=dGVzdHNpZ25hdHVyZQ==\r\n"
	"From: Anna Berg <Anna.Berg@acme.example>\r\n"
	"To: Support\r\n <support@example.com>\r\n"
	"Subject: =?iso-8859-1?Q?Lizenzserver_l=E4uft_nicht?=\r\n"
	"Thread-Topic: Lizenzserver =?iso-8859-1?Q?l=E4uft?= nicht\r\n"
	"Thread-Index: AdnE3K1cP0v7lQxVTN2s3Q==\r\n"
	"Date: Mon, 30 Nov 2026 08:12:00 +0000\r\n"
	"Message-ID: <AM0PR10MB2369C1F2E0B4A@AM0PR10MB2369.EURPRD10.PROD.OUTLOOK.COM>\r\n"
	"Accept-Language: de-DE, en-US\r\n"
	"Content-Language: de-DE\r\n"
	"X-MS-Has-Attach:\r\n"
	"Content-Type: text/plain; charset=\"iso-8859-1\"\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"MIME-Version: 1.0\r\n"
	"\r\n"
	"Hallo,\r\n\r\nder Lizenzserver l=E4uft seit heute fr=FCh nicht mehr.\r\n\r\n"
	"Gr=FC=DFe\r\nAnna\r\n";

static void
test_redelivery(void)
{
	char fate[32], *other;
	long long t, again;

	test_begin("a re-delivery that differs only in what relays added is a duplicate");
	t = ingest(outlook_first, fate);
	test_assert_streq(fate, "created");
	test_assert(t > 0);
	again = ingest(outlook_again, fate);
	test_assert_streq(fate, "duplicate");
	test_assert_inteq(again, t);
	test_assert_inteq(count("SELECT COUNT(*) FROM tickets WHERE requester = 'Anna.Berg@acme.example'"), 1);
	test_assert_inteq(desk_outbox_count(&d, "Anna.Berg@acme.example", "autoresponse", NULL), 1);
	/* both copies are kept, for audit */
	test_assert_inteq(count("SELECT COUNT(*) FROM messages WHERE message_id = "
				"'AM0PR10MB2369C1F2E0B4A@AM0PR10MB2369.EURPRD10.PROD.OUTLOOK.COM'"), 2);
	test_end();

	test_begin("the same Message-ID with other words from the sender is no duplicate");
	other = xstrdup(outlook_first);
	memcpy(strstr(other, "nicht mehr"), "nie  mehr ", 10);
	ingest(other, fate);
	test_assert_streq(fate, "created");
	free(other);
	test_end();
}

/* Thunderbird in French: Word-style typography, a no-break space before the colon. */
static void
test_french_labels(void)
{
	struct ticket t;
	struct mime_msg *ar;
	char fate[32];
	long long n;
	static const char nbsp[] =
		"From: =?UTF-8?Q?Fran=C3=A7oise_Dupuis?= <francoise.dupuis@acme.example>\n"
		"To: support@example.com\n"
		"Subject: Production =?UTF-8?Q?arr=C3=AAt=C3=A9e?=\n"
		"Message-ID: <b8e7f3a2-5c1d-4e0f-9a7b-2d6c8e1f0a3b@acme.example>\n"
		"Date: Mon, 30 Nov 2026 09:05:00 +0100\n"
		"User-Agent: Mozilla Thunderbird\n"
		"Content-Language: fr\n"
		"MIME-Version: 1.0\n"
		"Content-Type: text/plain; charset=UTF-8; format=flowed\n"
		"Content-Transfer-Encoding: quoted-printable\n"
		"\n"
		"Bonjour,\n"
		"\n"
		"Gravit=C3=A9=C2=A0: 1\n"
		"Priorit=C3=A9=C2=A0: 2\n"
		"\n"
		"Notre cha=C3=AEne de production est arr=C3=AAt=C3=A9e depuis 8 h.\n"
		"\n"
		"Cordialement,\n"
		"Fran=C3=A7oise\n";
	static const char narrow[] =
		"From: Luc Martin <luc.martin@acme.example>\n"
		"To: support@example.com\n"
		"Subject: Lenteurs sur le portail\n"
		"Message-ID: <8F2A1C3D-7B4E-4F60-9A1B-2C3D4E5F6A7B@acme.example>\n"
		"Date: Mon, 30 Nov 2026 09:07:00 +0100\n"
		"X-Mailer: Apple Mail (2.3774.200.91.1.1)\n"
		"Mime-Version: 1.0 (Mac OS X Mail 16.0)\n"
		"Content-Type: text/plain; charset=utf-8\n"
		"Content-Transfer-Encoding: 8bit\n"
		"\n"
		"Bonjour,\n"
		"\n"
		"Gravit\xc3\xa9\xe2\x80\xaf: 2\n"
		"Priorit\xc3\xa9\xe2\x80\xaf:\xe2\x80\xaf" "4\n"
		"\n"
		"Le portail est tr\xc3\xa8s lent depuis ce matin.\n";

	test_begin("Gravit\xc3\xa9\xc2\xa0: 1 (U+00A0) sets severity 1, and the SP2 answer gives the phone");
	n = ingest(nbsp, fate);
	test_assert_streq(fate, "created");
	test_assert_inteq(store_ticket_get(d.st, n, &t), 1);
	test_assert_inteq(t.severity, 1);
	test_assert_inteq(t.priority, 2);
	test_assert_streq(t.language, "fr");
	ticket_release(&t);
	ar = sent_to("francoise.dupuis@acme.example", "autoresponse");
	test_assert(ar != NULL && ar->body != NULL && strstr(ar->body, "+358 1 234 567") != NULL);
	mime_msg_free(&ar);
	test_end();

	test_begin("Gravit\xc3\xa9\xe2\x80\xaf: 2 (U+202F, Apple Mail) sets severity 2");
	n = ingest(narrow, fate);
	test_assert_inteq(store_ticket_get(d.st, n, &t), 1);
	test_assert_inteq(t.severity, 2);
	test_assert_inteq(t.priority, 4);
	ticket_release(&t);
	test_end();
}

static void
test_new_colleague(void)
{
	char fate[32], *raw;
	long long t, again;
	struct contact c;

	test_begin("a new colleague's first reply at an auto-registering domain is a followup");
	t = ingest("From: Carl Jones <carl@globex.example>\n"
		   "To: support@example.com\n"
		   "Subject: Invoices are not generated\n"
		   "Message-ID: <CAHx8b1=kR2t+Z9pQ@mail.gmail.com>\n"
		   "Date: Mon, 30 Nov 2026 10:00:00 -0500\n"
		   "MIME-Version: 1.0\n"
		   "Content-Type: text/plain; charset=\"UTF-8\"\n"
		   "\n"
		   "No invoices since Friday.\n", fate);
	test_assert_streq(fate, "created");
	test_assert_inteq(store_contact_get(d.st, "dana@globex.example", &c), 0);
	raw = xasprintf("From: Dana Lee <dana@globex.example>\n"
			"To: support@example.com\n"
			"Cc: Carl Jones <carl@globex.example>\n"
			"Subject: Re: [SUP-%lld] Invoices are not generated\n"
			"Message-ID: <CAK9v2m=Tq8Wc3nX@mail.gmail.com>\n"
			"Date: Mon, 30 Nov 2026 10:20:00 -0500\n"
			"MIME-Version: 1.0\n"
			"Content-Type: text/plain; charset=\"UTF-8\"\n"
			"\n"
			"I work with Carl: the export job logs an error at 02:00.\n", t);
	again = ingest(raw, fate);
	test_assert_streq(fate, "followup");
	test_assert_inteq(again, t);
	test_assert_inteq(store_contact_get(d.st, "dana@globex.example", &c), 1);
	test_assert_inteq(c.org_id, globex);
	contact_release(&c);
	test_assert_inteq(desk_outbox_count(&d, "dana@globex.example", "autoresponse", NULL), 0);
	test_assert_inteq(count("SELECT COUNT(*) FROM tickets WHERE requester = 'dana@globex.example'"), 0);
	free(raw);
	test_end();
}

static void
test_japanese_escalation(void)
{
	struct ticket t;
	char fate[32], *raw;
	long long n;

	test_begin("#\xe3\x82\xa8\xe3\x82\xb9\xe3\x82\xab\xe3\x83\xac\xe3\x83\xbc\xe3\x82\xb7\xe3\x83\xa7\xe3\x83\xb3 in ISO-2022-JP (Becky!) escalates");
	n = desk_ticket(&d, "yamada@acme.example", acme, "open", clock_now());
	/* #エスカレーション / 本日中に対応をお願いします。 in ISO-2022-JP */
	raw = xasprintf("From: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <yamada@acme.example>\n"
			"To: support@example.com\n"
			"Subject: Re: [SUP-%lld] =?ISO-2022-JP?B?GyRCJTUhPCVQITwkLDUvRjAkNyReJDskcxsoQg==?=\n"
			"%s", n,
			"Message-ID: <20261130101500.7A3F.YAMADA@acme.example>\n"
			"Date: Mon, 30 Nov 2026 10:15:00 +0900\n"
			"X-Mailer: Becky! ver. 2.81.04 [ja]\n"
			"MIME-Version: 1.0\n"
			"Content-Type: text/plain; charset=\"ISO-2022-JP\"\n"
			"Content-Transfer-Encoding: 7bit\n"
			"\n"
			"#\x1b$B%(%9%+%l!<%7%g%s\x1b(B\n"
			"\n"
			"\x1b$BK\\F|Cf$KBP1~$r$*4j$$$7$^$9!#\x1b(B\n");
	ingest(raw, fate);
	test_assert_streq(fate, "followup");
	test_assert_inteq(store_ticket_get(d.st, n, &t), 1);
	test_assert_inteq(t.level, 1);
	ticket_release(&t);
	free(raw);
	test_end();
}

static void
test_reopen(void)
{
	struct ticket t;
	char fate[32], *raw;
	long long n, got;

	test_begin("#reopen from the requester reopens a closed ticket (reopen_closed = no)");
	n = desk_ticket(&d, "bob@acme.example", acme, "closed", clock_now() - 86400);
	raw = xasprintf("From: Bob Berg <bob@acme.example>\n"
			"To: support@example.com\n"
			"Subject: AW: [SUP-%lld] printer on fire\n"
			"Message-ID: <000001da2f1e$8c9b2f70$a5d18e50$@acme.example>\n"
			"Date: Mon, 30 Nov 2026 11:00:00 +0100\n"
			"X-Mailer: Microsoft Outlook 16.0\n"
			"Content-Language: de\n"
			"MIME-Version: 1.0\n"
			"Content-Type: text/plain; charset=\"iso-8859-1\"\n"
			"Content-Transfer-Encoding: quoted-printable\n"
			"\n"
			"#reopen\n"
			"\n"
			"Der Drucker brennt schon wieder.\n"
			"\n"
			"-----Urspr=FCngliche Nachricht-----\n"
			"Von: Example Support <support@example.com>\n"
			"Gesendet: Freitag, 27. November 2026 16:00\n", n);
	got = ingest(raw, fate);
	test_assert_streq(fate, "followup");
	test_assert_inteq(got, n);
	test_assert_inteq(store_ticket_get(d.st, n, &t), 1);
	test_assert_streq(t.status, "open");
	ticket_release(&t);
	free(raw);
	test_end();

	test_begin("without #reopen, or from a colleague, a closed ticket stays closed");
	n = desk_ticket(&d, "bob@acme.example", acme, "closed", clock_now() - 86400);
	raw = xasprintf("From: Bob Berg <bob@acme.example>\nTo: support@example.com\n"
			"Subject: AW: [SUP-%lld] printer on fire\nMessage-ID: <r2-%lld@acme.example>\n"
			"\nDanke.\n", n, n);
	got = ingest(raw, fate);
	test_assert_streq(fate, "created");
	test_assert(got != n);
	free(raw);
	raw = xasprintf("From: anna@acme.example\nTo: support@example.com\n"
			"Subject: AW: [SUP-%lld] printer on fire\nMessage-ID: <r3-%lld@acme.example>\n"
			"\n#reopen\n", n, n);
	got = ingest(raw, fate);
	test_assert_streq(fate, "created");
	test_assert(got != n);
	test_assert_inteq(store_ticket_get(d.st, n, &t), 1);
	test_assert_streq(t.status, "closed");
	ticket_release(&t);
	free(raw);
	test_end();
}

static void
test_cosmetic(void)
{
	struct mime_msg *ar;
	char fate[32], *raw;
	long long n, own;

	test_begin("a requester in Cc of a reply-all is no participant of his own ticket");
	n = desk_ticket(&d, "anna@acme.example", acme, "open", clock_now());
	raw = xasprintf("From: Bob Berg <bob@acme.example>\n"
			"To: support@example.com\n"
			"Cc: Anna Berg <anna@acme.example>, Eve Other <eve@other.example>\n"
			"Subject: RE: [SUP-%lld] printer on fire\n"
			"Message-ID: <CY4PR04MB0123@CY4PR04MB0123.namprd04.prod.outlook.com>\n"
			"\n"
			"Same problem on the second floor.\n", n);
	ingest(raw, fate);
	test_assert_streq(fate, "followup");
	test_assert_inteq(store_participant_has(d.st, n, "anna@acme.example"), 0);
	test_assert_inteq(store_participant_has(d.st, n, "eve@other.example"), 1);
	free(raw);
	test_end();

	test_begin("a stranger's own new ticket answers with its own tag only");
	raw = xasprintf("From: Mallory <mallory@other.example>\n"
			"To: support@example.com\n"
			"Subject: Re: [SUP-%lld] printer on fire\n"
			"Message-ID: <CAM4ll0ry=x@mail.gmail.com>\n"
			"\n"
			"Me too, please help.\n", n);
	own = ingest(raw, fate);
	test_assert_streq(fate, "rejected_stranger");
	test_assert(own > 0 && own != n);
	ar = sent_to("mallory@other.example", "autoresponse");
	test_assert(ar != NULL);
	if (ar != NULL) {
		char want[64];

		snprintf(want, sizeof(want), "[SUP-%lld] printer on fire", own);
		test_assert_streq(ar->subject, want);
	}
	mime_msg_free(&ar);
	free(raw);
	test_end();
}

/* A bounce signed as Barracuda and old sendmail sign them: no address at all. */
static char *
bounce(const char *from, const char *id)
{
	return xasprintf("Return-path: <>\n"
			 "From: %s\n"
			 "To: support@example.com\n"
			 "Subject: Returned mail: User unknown\n"
			 "Message-Id: <%s@mx.acme.example>\n"
			 "Date: Mon, 30 Nov 2026 12:00:00 +0100\n"
			 "MIME-Version: 1.0\n"
			 "Content-Type: multipart/report; report-type=delivery-status;\n"
			 "\tboundary=\"----=_b\"\n"
			 "\n"
			 "------=_b\n"
			 "Content-Type: text/plain\n"
			 "\n"
			 "Your message could not be delivered.\n"
			 "------=_b\n"
			 "Content-Type: message/delivery-status\n"
			 "\n"
			 "Reporting-MTA: dns; mx.acme.example\n"
			 "\n"
			 "Final-Recipient: rfc822; left@acme.example\n"
			 "Action: failed\n"
			 "Status: 5.1.1\n"
			 "------=_b--\n", from, id);
}

static void
test_addressless_bounce(void)
{
	char fate[32], *raw;

	test_begin("a bounce from \"MAILER-DAEMON\" or \"MAILER-DAEMON <>\" is a bounce, not unparseable");
	raw = bounce("MAILER-DAEMON", "225e2d6aad3309b1");
	ingest(raw, fate);
	test_assert_streq(fate, "bounce");
	free(raw);
	raw = bounce("MAILER-DAEMON <>", "335e2d6aad3309b1");
	ingest(raw, fate);
	test_assert_streq(fate, "bounce");
	free(raw);
	test_end();
}

int
main(void)
{
	desk_open(&d, "test-routing-real", "reopen_closed = no\ndefault_region = EMEA\n",
		  "[region EMEA]\ntimezone = Europe/Berlin\nhours = 24x7\nphone = +358 1 234 567\n"
		  "language = en\n");
	log_open("/dev/null", LOG_LEVEL_ERROR, NULL);
	acme = desk_org(&d, "Acme", "SP2", "EMEA", "acme.example", 0);
	globex = desk_org(&d, "Globex", "SP1", "EMEA", "globex.example", 1);
	desk_contact(&d, "anna.berg@acme.example", acme, "de");
	desk_contact(&d, "anna@acme.example", acme, "de");
	desk_contact(&d, "bob@acme.example", acme, "de");
	desk_contact(&d, "francoise.dupuis@acme.example", acme, "fr");
	desk_contact(&d, "luc.martin@acme.example", acme, "fr");
	desk_contact(&d, "yamada@acme.example", acme, "ja");
	desk_contact(&d, "eve@other.example", 0, NULL);
	desk_contact(&d, "mallory@other.example", 0, NULL);
	test_redelivery();
	test_french_labels();
	test_new_colleague();
	test_japanese_escalation();
	test_reopen();
	test_cosmetic();
	test_addressless_bounce();
	desk_close(&d);
	return test_done();
}
