/*
 * test-mail-clients: what real clients send, read right (issue 13).
 *
 * Each message is written as its client writes it (Outlook, Thunderbird,
 * Gmail, Apple Mail, Mutt, Postfix, Foxmail, Becky!): the headers, the
 * encodings, the structure.  Legacy-charset text is spelled out in bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"
#include "mime.h"
#include "test.h"
#include "xmalloc.h"

static struct mime_msg *
parse(const char *s)
{
	return mime_parse(s, strlen(s), NULL);
}

static int
contains(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

/* Outlook for Windows, Exchange's "Last, First" names. */
static void
test_comma_in_encoded_name(void)
{
	struct mime_msg *m;

	test_begin("a comma inside an encoded display name separates nothing");
	m = parse("Received: from EXCH01.corp.example.de (10.1.2.3) by EXCH02.corp.example.de\r\n"
		  " (10.1.2.4) with Microsoft SMTP Server id 15.1.2507.27; Mon, 30 Nov 2026\r\n"
		  " 09:12:01 +0100\r\n"
		  "From: =?iso-8859-1?Q?B=FCrling,_Andreas?= <Andreas.Buerling@example.de>\r\n"
		  "To: Support <support@example.com>\r\n"
		  "CC: =?utf-8?Q?M=C3=BCller=2C_J=C3=B6rg?= <Joerg.Mueller@example.de>,\r\n"
		  "\t=?iso-8859-1?Q?=D6zt=FCrk,_Ren=E9?= <Rene.Oeztuerk@example.de>,\r\n"
		  "\t\"Weber, Klaus\" <Klaus.Weber@example.de>\r\n"
		  "Subject: AW: Lizenzserver startet nicht\r\n"
		  "Thread-Topic: Lizenzserver startet nicht\r\n"
		  "Thread-Index: AdnE3K1cP0v7lQxVTN2s3Q==\r\n"
		  "Date: Mon, 30 Nov 2026 08:12:00 +0000\r\n"
		  "Message-ID: <AM0PR10MB2369C1F2E0B@AM0PR10MB2369.EURPRD10.PROD.OUTLOOK.COM>\r\n"
		  "Accept-Language: de-DE, en-US\r\n"
		  "Content-Language: de-DE\r\n"
		  "X-MS-Has-Attach:\r\n"
		  "X-MS-TNEF-Correlator:\r\n"
		  "Content-Type: text/plain; charset=\"iso-8859-1\"\r\n"
		  "Content-Transfer-Encoding: quoted-printable\r\n"
		  "MIME-Version: 1.0\r\n"
		  "\r\n"
		  "Hallo,\r\n\r\nder Lizenzserver startet nicht mehr.\r\n\r\nGr=FC=DFe\r\nAndreas\r\n");
	test_assert_streq(m->from.name, "Bürling, Andreas");
	test_assert_streq(m->from.address, "Andreas.Buerling@example.de");
	test_assert_inteq(m->n_cc, 3);
	if (m->n_cc == 3) {
		test_assert_streq(m->cc[0].name, "Müller, Jörg");
		test_assert_streq(m->cc[0].address, "Joerg.Mueller@example.de");
		test_assert_streq(m->cc[1].name, "Öztürk, René");
		test_assert_streq(m->cc[1].address, "Rene.Oeztuerk@example.de");
		test_assert_streq(m->cc[2].name, "Weber, Klaus");
	}
	mime_msg_free(&m);
	test_end();
}

/* Bulk mail writes the local part quoted; clients quote it in <> too. */
static void
test_quoted_local_part(void)
{
	struct mime_msg *m;

	test_begin("a quoted local part keeps its quotes and its whole address");
	m = parse("Return-Path: <bounce-7731@mailer.example.net>\n"
		  "From: \"Millions Lottery Spain transfer\"@example.com\n"
		  "Reply-To: \"claims desk\"@example.com (Claims)\n"
		  "To: undisclosed-recipients:;\n"
		  "Cc: Jane Roe <\"jane roe\"@example.org>, \"a,b\"@example.org\n"
		  "Subject: You have won\n"
		  "Message-ID: <20261130.1@mailer.example.net>\n"
		  "\n"
		  "Claim your prize.\n");
	test_assert(m->from.name == NULL);
	test_assert_streq(m->from.address, "\"Millions Lottery Spain transfer\"@example.com");
	test_assert_inteq(m->n_reply_to, 1);
	if (m->n_reply_to == 1) {
		test_assert_streq(m->reply_to[0].address, "\"claims desk\"@example.com");
		test_assert_streq(m->reply_to[0].name, "Claims");
	}
	test_assert_inteq(m->n_to, 0);
	test_assert_inteq(m->n_cc, 2);
	if (m->n_cc == 2) {
		test_assert_streq(m->cc[0].name, "Jane Roe");
		test_assert_streq(m->cc[0].address, "\"jane roe\"@example.org");
		test_assert_streq(m->cc[1].address, "\"a,b\"@example.org");
	}
	mime_msg_free(&m);
	test_end();
}

/* A web form mailer writes its own From first, then the customer's. */
static void
test_two_from(void)
{
	struct mime_msg *m;

	test_begin("two From fields: a good one wins over a broken first one");
	m = parse("From: Customer Portal\n"
		  "From: Jane Doe <jane.doe@example.com>\n"
		  "To: support@example.com\n"
		  "Subject: Contact form: invoice missing\n"
		  "X-Mailer: PHPMailer 6.8.0 (https://github.com/PHPMailer/PHPMailer)\n"
		  "\n"
		  "Name: Jane Doe\n");
	test_assert_streq(m->from.name, "Jane Doe");
	test_assert_streq(m->from.address, "jane.doe@example.com");
	mime_msg_free(&m);
	m = parse("From: <>\nFrom: =?utf-8?Q?Ren=C3=A9?= <rene@example.fr>\nSubject: x\n\nx\n");
	test_assert_streq(m->from.name, "René");
	test_assert_streq(m->from.address, "rene@example.fr");
	mime_msg_free(&m);
	/* two good ones: the first stays */
	m = parse("From: first@example.com\nFrom: second@example.com\n\nx\n");
	test_assert_streq(m->from.address, "first@example.com");
	mime_msg_free(&m);
	/* a bare word is a name, not an address */
	m = parse("From: Whomever\nTo: Someone\n\nx\n");
	test_assert_streq(m->from.name, "Whomever");
	test_assert(m->from.address == NULL);
	test_assert_inteq(m->n_to, 1);
	if (m->n_to == 1)
		test_assert(m->to[0].address == NULL);
	mime_msg_free(&m);
	test_end();
}

static const struct mime_attachment *
attachment_of_type(const struct mime_msg *m, const char *type)
{
	size_t i;

	for (i = 0; i < m->n_attachments; i++) {
		if (strcmp(m->attachments[i].content_type, type) == 0)
			return &m->attachments[i];
	}
	return NULL;
}

/* Postfix's bounce: the report and the returned headers are attachments. */
static void
test_bounce_parts(void)
{
	struct mime_msg *m;

	test_begin("a bounce lists its delivery status and returned headers");
	m = parse("Return-Path: <>\n"
		  "From: MAILER-DAEMON@mx1.example.com (Mail Delivery System)\n"
		  "Subject: Undelivered Mail Returned to Sender\n"
		  "To: support@example.com\n"
		  "Auto-Submitted: auto-replied\n"
		  "MIME-Version: 1.0\n"
		  "Content-Type: multipart/report; report-type=delivery-status;\n"
		  "\tboundary=\"4C8E21A0F3.1764493921/mx1.example.com\"\n"
		  "Message-Id: <20261130091201.4C8E21A0F3@mx1.example.com>\n"
		  "\n"
		  "This is a MIME-encapsulated message.\n"
		  "\n"
		  "--4C8E21A0F3.1764493921/mx1.example.com\n"
		  "Content-Description: Notification\n"
		  "Content-Type: text/plain; charset=us-ascii\n"
		  "\n"
		  "I'm sorry to have to inform you that your message could not\n"
		  "be delivered to one or more recipients.\n"
		  "\n"
		  "--4C8E21A0F3.1764493921/mx1.example.com\n"
		  "Content-Description: Delivery report\n"
		  "Content-Type: message/delivery-status\n"
		  "\n"
		  "Reporting-MTA: dns; mx1.example.com\n"
		  "\n"
		  "Final-Recipient: rfc822; gone@example.org\n"
		  "Action: failed\n"
		  "Status: 5.1.1\n"
		  "\n"
		  "--4C8E21A0F3.1764493921/mx1.example.com\n"
		  "Content-Description: Undelivered Message Headers\n"
		  "Content-Type: text/rfc822-headers\n"
		  "\n"
		  "From: Support <support@example.com>\n"
		  "To: gone@example.org\n"
		  "Subject: [SUP-7] Your request\n"
		  "\n"
		  "--4C8E21A0F3.1764493921/mx1.example.com--\n");
	test_assert(contains(m->body, "could not\nbe delivered"));
	test_assert(!contains(m->body, "Final-Recipient"));
	test_assert_inteq(m->n_attachments, 2);
	test_assert(attachment_of_type(m, "message/delivery-status") != NULL);
	test_assert(attachment_of_type(m, "text/rfc822-headers") != NULL);
	mime_msg_free(&m);
	test_end();
}

/* Mutt and Thunderbird: PGP/MIME signed and encrypted. */
static void
test_pgp_parts(void)
{
	struct mime_msg *m;
	const struct mime_attachment *a;

	test_begin("PGP/MIME signature and control parts are attachments");
	m = parse("From: Hans Wurst <hans@example.de>\n"
		  "To: support@example.com\n"
		  "Subject: Signed request\n"
		  "User-Agent: Mutt/2.2.9 (2022-11-12)\n"
		  "MIME-Version: 1.0\n"
		  "Content-Type: multipart/signed; micalg=pgp-sha256;\n"
		  "\tprotocol=\"application/pgp-signature\"; boundary=\"vkogqOf2sHV7VnPd\"\n"
		  "Content-Disposition: inline\n"
		  "\n"
		  "--vkogqOf2sHV7VnPd\n"
		  "Content-Type: text/plain; charset=us-ascii\n"
		  "Content-Disposition: inline\n"
		  "\n"
		  "Please rotate our API key.\n"
		  "\n"
		  "--vkogqOf2sHV7VnPd\n"
		  "Content-Type: application/pgp-signature; name=\"signature.asc\"\n"
		  "\n"
		  "-----BEGIN PGP SIGNATURE-----\n"
		  "\n"
		  "iHUEABYIAB0WIQR2dGVzdHRlc3R0ZXN0dGVzdHRlc3QFAmVnZXN0AAoJEA==\n"
		  "-----END PGP SIGNATURE-----\n"
		  "\n"
		  "--vkogqOf2sHV7VnPd--\n");
	test_assert_streq(m->body, "Please rotate our API key.\n");
	a = attachment_of_type(m, "application/pgp-signature");
	test_assert(a != NULL && a->filename != NULL && strcmp(a->filename, "signature.asc") == 0);
	mime_msg_free(&m);
	m = parse("From: Hans Wurst <hans@example.de>\n"
		  "To: support@example.com\n"
		  "Subject: Encrypted\n"
		  "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Thunderbird/115.5.0\n"
		  "MIME-Version: 1.0\n"
		  "Content-Type: multipart/encrypted;\n"
		  " protocol=\"application/pgp-encrypted\";\n"
		  " boundary=\"------------bAkL1k7dNQ3sJ0VtO9XmkQ9C\"\n"
		  "\n"
		  "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n"
		  "--------------bAkL1k7dNQ3sJ0VtO9XmkQ9C\n"
		  "Content-Type: application/pgp-encrypted\n"
		  "Content-Description: PGP/MIME version identification\n"
		  "\n"
		  "Version: 1\n"
		  "\n"
		  "--------------bAkL1k7dNQ3sJ0VtO9XmkQ9C\n"
		  "Content-Type: application/octet-stream; name=\"encrypted.asc\"\n"
		  "Content-Description: OpenPGP encrypted message\n"
		  "Content-Disposition: inline; filename=\"encrypted.asc\"\n"
		  "\n"
		  "-----BEGIN PGP MESSAGE-----\n"
		  "\n"
		  "wV4DAAAAAAAAAAASAQdAdGVzdA==\n"
		  "-----END PGP MESSAGE-----\n"
		  "\n"
		  "--------------bAkL1k7dNQ3sJ0VtO9XmkQ9C--\n");
	test_assert_streq(m->body, "");
	test_assert_inteq(m->n_attachments, 2);
	test_assert(attachment_of_type(m, "application/pgp-encrypted") != NULL);
	a = attachment_of_type(m, "application/octet-stream");
	test_assert(a != NULL && a->filename != NULL && strcmp(a->filename, "encrypted.asc") == 0);
	mime_msg_free(&m);
	test_end();
}

/* Outlook's inline screenshot, an invitation, a forwarded mail. */
static void
test_inline_and_forwarded(void)
{
	struct mime_msg *m;
	const struct mime_attachment *a;

	test_begin("nameless inline images get a name; invitations and forwards are listed");
	m = parse("From: Maria Garcia <maria.garcia@example.es>\r\n"
		  "To: \"support@example.com\" <support@example.com>\r\n"
		  "Subject: Error en la factura\r\n"
		  "Thread-Index: AQHaI2xkz1Q=\r\n"
		  "Message-ID: <DB9PR01MB7C4A@DB9PR01MB.eurprd01.prod.outlook.com>\r\n"
		  "Content-Type: multipart/related;\r\n"
		  "\tboundary=\"_004_DB9PR01MB7C4A_\";\r\n"
		  "\ttype=\"multipart/alternative\"\r\n"
		  "MIME-Version: 1.0\r\n"
		  "\r\n"
		  "--_004_DB9PR01MB7C4A_\r\n"
		  "Content-Type: multipart/alternative;\r\n"
		  "\tboundary=\"_000_DB9PR01MB7C4A_\"\r\n"
		  "\r\n"
		  "--_000_DB9PR01MB7C4A_\r\n"
		  "Content-Type: text/plain; charset=\"utf-8\"\r\n"
		  "Content-Transfer-Encoding: base64\r\n"
		  "\r\n"
		  "SG9sYSwgYWRqdW50byBsYSBjYXB0dXJhLg0KW2NpZDppbWFnZTAwMS5wbmdAMDFEQTIzNkMuNUYwRTFBMjBdDQo=\r\n"
		  "\r\n"
		  "--_000_DB9PR01MB7C4A_\r\n"
		  "Content-Type: text/html; charset=\"utf-8\"\r\n"
		  "Content-Transfer-Encoding: base64\r\n"
		  "\r\n"
		  "PGh0bWw+PGJvZHk+PHA+SG9sYSwgYWRqdW50byBsYSBjYXB0dXJhLjwvcD48aW1nIHNyYz0iY2lk\r\n"
		  "OmltYWdlMDAxLnBuZ0AwMURBMjM2Qy41RjBFMUEyMCI+PC9ib2R5PjwvaHRtbD4=\r\n"
		  "\r\n"
		  "--_000_DB9PR01MB7C4A_--\r\n"
		  "\r\n"
		  "--_004_DB9PR01MB7C4A_\r\n"
		  "Content-Type: image/png\r\n"
		  "Content-Description: image001.png\r\n"
		  "Content-ID: <image001.png@01DA236C.5F0E1A20>\r\n"
		  "Content-Transfer-Encoding: base64\r\n"
		  "\r\n"
		  "iVBORw0KGgo=\r\n"
		  "\r\n"
		  "--_004_DB9PR01MB7C4A_\r\n"
		  "Content-Type: image/jpeg\r\n"
		  "Content-ID: <part2.Sy4hPOBH@example.es>\r\n"
		  "Content-Transfer-Encoding: base64\r\n"
		  "\r\n"
		  "/9j/4AAQ\r\n"
		  "\r\n"
		  "--_004_DB9PR01MB7C4A_--\r\n");
	test_assert(contains(m->body, "Hola, adjunto la captura."));
	test_assert_inteq(m->n_attachments, 2);
	if (m->n_attachments == 2) {
		test_assert_streq(m->attachments[0].filename, "image001.png");
		test_assert_streq(m->attachments[0].content_type, "image/png");
		test_assert_inteq(m->attachments[0].size, 8);
		test_assert_streq(m->attachments[1].filename, "part2.Sy4hPOBH.jpg");
	}
	/* the part keeps no name of its own */
	test_assert(m->n_parts == 4 && m->parts[2].filename == NULL);
	mime_msg_free(&m);

	m = parse("From: Ana Torres <ana@example.es>\n"
		  "To: support@example.com\n"
		  "Subject: Invitation: Revision del incidente\n"
		  "Content-Type: multipart/alternative; boundary=\"_000_INV_\"\n"
		  "MIME-Version: 1.0\n"
		  "\n"
		  "--_000_INV_\n"
		  "Content-Type: text/plain; charset=\"us-ascii\"\n"
		  "\n"
		  "Revision del incidente, lunes 10:00\n"
		  "--_000_INV_\n"
		  "Content-Type: text/html; charset=\"us-ascii\"\n"
		  "\n"
		  "<p>Revision del incidente, lunes 10:00</p>\n"
		  "--_000_INV_\n"
		  "Content-Type: text/calendar; charset=\"utf-8\"; method=REQUEST\n"
		  "Content-Transfer-Encoding: base64\n"
		  "\n"
		  "QkVHSU46VkNBTEVOREFSDQpFTkQ6VkNBTEVOREFSDQo=\n"
		  "--_000_INV_--\n");
	test_assert_streq(m->body, "Revision del incidente, lunes 10:00");
	test_assert_inteq(m->n_attachments, 1);
	test_assert(attachment_of_type(m, "text/calendar") != NULL);
	mime_msg_free(&m);

	m = parse("From: Jo Bloggs <jo@example.co.uk>\n"
		  "To: support@example.com\n"
		  "Subject: Fwd: the original complaint\n"
		  "MIME-Version: 1.0\n"
		  "Content-Type: multipart/mixed; boundary=\"000000000000f3b2a8060b7d5d2e\"\n"
		  "\n"
		  "--000000000000f3b2a8060b7d5d2e\n"
		  "Content-Type: text/plain; charset=\"UTF-8\"\n"
		  "\n"
		  "See the attached mail.\n"
		  "--000000000000f3b2a8060b7d5d2e\n"
		  "Content-Type: message/rfc822\n"
		  "\n"
		  "From: Customer <c@example.org>\n"
		  "Subject: My order never arrived\n"
		  "\n"
		  "Where is it?\n"
		  "--000000000000f3b2a8060b7d5d2e--\n");
	test_assert_streq(m->body, "See the attached mail.");
	a = attachment_of_type(m, "message/rfc822");
	test_assert(a != NULL && a->filename != NULL &&
		    strcmp(a->filename, "My order never arrived") == 0);
	mime_msg_free(&m);
	test_end();
}

/* A mailer that forgot the ';' before a folded parameter. */
static void
test_parameter_without_semicolon(void)
{
	struct mime_msg *m;

	test_begin("a parameter after a blank instead of ';' still counts");
	m = parse("From: Test User <test@example.org>\n"
		  "Subject: Screenshot\n"
		  "MIME-Version: 1.0\n"
		  "Content-Type: multipart/mixed\n"
		  "\tboundary=\"b1_0c5a1f\"\n"
		  "\n"
		  "--b1_0c5a1f\n"
		  "Content-Type: text/plain; charset=utf-8 format=flowed\n"
		  "\n"
		  "See attached.\n"
		  "--b1_0c5a1f\n"
		  "Content-Type: application/pdf; name=Rechnung 2026-11.pdf\n"
		  "Content-Transfer-Encoding: base64\n"
		  "\n"
		  "JVBERi0=\n"
		  "--b1_0c5a1f--\n");
	test_assert_streq(m->body, "See attached.");
	test_assert_inteq(m->n_parts, 2);
	if (m->n_parts == 2)
		test_assert_streq(m->parts[0].charset, "utf-8");
	test_assert_inteq(m->n_attachments, 1);
	if (m->n_attachments == 1)
		test_assert_streq(m->attachments[0].filename, "Rechnung 2026-11.pdf");
	mime_msg_free(&m);
	test_end();
}

/* Outlook and a web mailer: quoted-printable only in places. */
static void
test_partly_quoted_printable(void)
{
	struct mime_msg *m;

	test_begin("a body declared quoted-printable but only partly encoded is decoded");
	m = parse("From: =?iso-8859-1?Q?Fran=E7ois_L=E9ger?= <francois.leger@example.fr>\r\n"
		  "To: support@example.com\r\n"
		  "Subject: =?iso-8859-1?Q?Le_serveur_ne_d=E9marre_plus?=\r\n"
		  "X-Mailer: Microsoft Outlook 16.0\r\n"
		  "MIME-Version: 1.0\r\n"
		  "Content-Type: text/plain; charset=\"utf-8\"\r\n"
		  "Content-Transfer-Encoding: quoted-printable (Outlook)\r\n"
		  "\r\n"
		  "Bonjour,\r\n"
		  "\r\n"
		  "le serveur ne d=C3=A9marre plus depuis la mise =C3=A0 jour.\r\n"
		  "Le fichier de configuration contient key=value et x=3D1.\r\n"
		  "C\xc3\xa9line a d\xc3\xa9j\xc3\xa0 red\xc3\xa9marr\xc3\xa9 la machine, sans succ=\r\n"
		  "\xc3\xa8s.\r\n"
		  "\r\n"
		  "Cordialement,\r\n"
		  "Fran=C3=A7ois\r\n");
	test_assert(contains(m->body, "le serveur ne démarre plus depuis la mise à jour."));
	test_assert(contains(m->body, "key=value et x=1."));
	test_assert(contains(m->body, "Céline a déjà redémarré la machine, sans succès."));
	test_assert(contains(m->body, "François"));
	mime_msg_free(&m);
	/* two fields: the one that names an encoding wins */
	m = parse("From: a@example.com\n"
		  "Content-Type: text/plain; charset=utf-8\n"
		  "Content-Transfer-Encoding: 8bit\n"
		  "Content-Transfer-Encoding: quoted-printable\n"
		  "\n"
		  "Gr=C3=BC=C3=9Fe\n");
	test_assert_streq(m->body, "Grüße\n");
	mime_msg_free(&m);
	test_end();
}

/* Foxmail and Becky! send raw GB2312 and Shift_JIS headers. */
static void
test_legacy_8bit_headers(void)
{
	struct mime_msg *m;

	test_begin("8-bit headers in GB2312 and Shift_JIS, no encoded words");
	m = parse("From: \"\xcd\xf5\xd0\xa1\xc3\xf7\" <wang.xiaoming@example.cn>\r\n"
		  "To: support <support@example.com>\r\n"
		  "Subject: \xb9\xd8\xd3\xda\xca\xfd\xbe\xdd\xbf\xe2\xb1\xb8\xb7\xdd\xca\xa7\xb0\xdc"
		  "\xb5\xc4\xce\xca\xcc\xe2\r\n"
		  "Date: Mon, 30 Nov 2026 17:03:12 +0800\r\n"
		  "X-Priority: 3\r\n"
		  "X-Mailer: Foxmail 7.2.23.116[cn]\r\n"
		  "Mime-Version: 1.0\r\n"
		  "Message-ID: <202611301703118937531@example.cn>\r\n"
		  "Content-Type: multipart/mixed;\r\n"
		  "\tboundary=\"----=_001_NextPart262341716524_=----\"\r\n"
		  "\r\n"
		  "------=_001_NextPart262341716524_=----\r\n"
		  "Content-Type: text/plain;\r\n"
		  "\tcharset=\"gb2312\"\r\n"
		  "Content-Transfer-Encoding: base64\r\n"
		  "\r\n"
		  "xPq6w6Osyv2+3b/isbi33bTT1/LN7b+qyrzKp7DcoaM=\r\n"
		  "\r\n"
		  "------=_001_NextPart262341716524_=----\r\n"
		  "Content-Type: text/plain;\r\n"
		  "\tname=\"\xb4\xed\xce\xf3\xc8\xd5\xd6\xbe.txt\"\r\n"
		  "Content-Transfer-Encoding: base64\r\n"
		  "Content-Disposition: attachment;\r\n"
		  "\tfilename=\"\xb4\xed\xce\xf3\xc8\xd5\xd6\xbe.txt\"\r\n"
		  "\r\n"
		  "ZXJyb3I=\r\n"
		  "\r\n"
		  "------=_001_NextPart262341716524_=------\r\n");
	test_assert_streq(m->from.name, "王小明");
	test_assert_streq(m->from.address, "wang.xiaoming@example.cn");
	test_assert_streq(m->subject, "关于数据库备份失败的问题");
	test_assert(contains(m->body, "您好，数据库备份从昨晚开始失败。"));
	test_assert_inteq(m->n_attachments, 1);
	if (m->n_attachments == 1)
		test_assert_streq(m->attachments[0].filename, "错误日志.txt");
	test_assert(!contains(mime_header_get(m, "Subject"), "\xb9"));
	mime_msg_free(&m);

	/* Shift_JIS: 0x5C ('\') is the second byte of ソ and 表 */
	m = parse("From: \x8d\xb2\x93\xa1 \x89\xd4\x8eq <hanako.sato@example.jp>\n"
		  "To: support@example.com\n"
		  "Subject: \x83\\\x83t\x83g\x83" "E\x83" "F\x83" "A\x95\\\x8e\xa6\x95s\x8b\xef\x8d\x87\n"
		  "X-Mailer: Becky! ver. 2.81.04 [ja]\n"
		  "MIME-Version: 1.0\n"
		  "Content-Type: text/plain; charset=Shift_JIS\n"
		  "Content-Transfer-Encoding: 8bit\n"
		  "\n"
		  "\x82\xa8\x90\xa2\x98" "b\x82\xc9\x82\xc8\x82\xc1\x82\xc4\x82\xa8\x82\xe8\x82\xdc"
		  "\x82\xb7\x81" "B\n");
	test_assert_streq(m->from.name, "佐藤 花子");
	test_assert_streq(m->from.address, "hanako.sato@example.jp");
	test_assert_streq(m->subject, "ソフトウェア表示不具合");
	test_assert_streq(m->body, "お世話になっております。\n");
	mime_msg_free(&m);
	test_end();
}

/* Outlook's HTML-only mail with a signature full of links. */
static void
test_html_links(void)
{
	struct mail mail;
	const char *raw =
		"From: Liam Smith <liam.smith@example.com>\n"
		"To: support@example.com\n"
		"Subject: Dashboard down\n"
		"MIME-Version: 1.0\n"
		"Content-Type: text/html; charset=\"us-ascii\"\n"
		"\n"
		"<html><body><p>Hi team,</p>\n"
		"<p>The dashboard is down again, see "
		"<a href=\"https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fstatus."
		"example.com%2Fi%2F981&amp;data=05%7C02%7Cliam%40example.com%7C8d1e&amp;sdata=Zm9v&amp;"
		"reserved=0\">the status page</a> and "
		"<a href=\"https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fstatus."
		"example.com%2Fi%2F981&amp;data=05%7C02%7Cliam%40example.com%7C8d1e&amp;sdata=YmFy&amp;"
		"reserved=0\">this incident</a>.</p>\n"
		"<p>Liam Smith | Example Corp</p>\n"
		"<p><a href=\"https://www.linkedin.com/company/example-corp/?trk=sig\">"
		"<img src=\"cid:image001.png@01DA2\" alt=\"LinkedIn\"></a> "
		"<a href=\"https://twitter.com/examplecorp?ref_src=sig\">"
		"<img src=\"cid:image002.png@01DA2\" alt=\"Twitter\"></a> "
		"<a href=\"https://www.example.com/?utm_source=signature&amp;utm_medium=email\">"
		"<img src=\"cid:image003.png@01DA2\" alt=\"Example Corp\"></a></p>\n"
		"</body></html>\n";

	test_begin("HTML made text keeps the links a reader needs, not every URL");
	mail_read(&mail, raw, strlen(raw), NULL);
	test_assert(mail.msg->body_from_html);
	test_assert(contains(mail.msg->body,
			     "see the status page <https://status.example.com/i/981> and this incident."));
	test_assert(!contains(mail.msg->body, "safelinks"));
	test_assert(!contains(mail.msg->body, "linkedin.com"));
	test_assert(!contains(mail.msg->body, "utm_source"));
	test_assert(contains(mail.msg->body, "LinkedIn Twitter Example Corp"));
	mail_release(&mail);
	test_end();
}

int
main(void)
{
	test_comma_in_encoded_name();
	test_quoted_local_part();
	test_two_from();
	test_bounce_parts();
	test_pgp_parts();
	test_inline_and_forwarded();
	test_parameter_without_semicolon();
	test_partly_quoted_printable();
	test_legacy_8bit_headers();
	test_html_links();
	return test_done();
}
