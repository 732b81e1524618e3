/*
 * test-mime: mime_parse on hand-written messages, and on hostile ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "test.h"
#include "xmalloc.h"

/* sha256("hello\n") */
#define SHA_HELLO "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

static struct mime_msg *
parse(const char *s)
{
	return mime_parse(s, strlen(s), NULL);
}

static int
has_warning(const struct mime_msg *m, const char *text)
{
	size_t i;

	for (i = 0; i < m->n_warnings; i++) {
		if (strstr(m->warnings[i], text) != NULL)
			return 1;
	}
	return 0;
}

static int
contains_text(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

static void
test_headers(void)
{
	struct mime_msg *m;

	test_begin("headers, addresses, ids, date");
	m = parse("Return-Path: <>\r\n"
		  "Delivered-To: support@example.com\r\n"
		  "X-Original-To: help@example.com\r\n"
		  "From: =?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <joerg@example.de>\r\n"
		  "Sender: \"Bounce, Handler\" <bounces@example.de>\r\n"
		  "To: \"Doe, John\" <john@example.com>, jane@example.com (Jane Roe),\r\n"
		  "  Team: a@example.com, B <b@example.com>;, undisclosed-recipients:;\r\n"
		  "Cc: =?iso-8859-1?q?Ren=E9?= <rene@example.fr>, broken <x@\r\n"
		  "Reply-To: <reply@example.de>\r\n"
		  "Message-ID: <abc.123@mail.example.de>\r\n"
		  "In-Reply-To: <orig-1@example.com> (Jane's message of Tuesday)\r\n"
		  "References: <r1@example.com>\r\n"
		  "\t<r2@example.com> junk <orig-1@example.com>\r\n"
		  "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
		  "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus?=\r\n"
		  " =?UTF-8?Q?_K=C3=B6ln?=\r\n"
		  "X-Long: one\r\n"
		  "\ttwo\r\n"
		  "\r\n"
		  "Hello\r\nworld\r\n");
	test_assert(m != NULL);
	test_assert_streq(m->return_path, "");
	test_assert_inteq(m->n_delivered_to, 2);
	if (m->n_delivered_to == 2) {
		test_assert_streq(m->delivered_to[0], "support@example.com");
		test_assert_streq(m->delivered_to[1], "help@example.com");
	}
	test_assert_streq(m->from.name, "Jörg Müller");
	test_assert_streq(m->from.address, "joerg@example.de");
	test_assert_streq(m->sender.name, "Bounce, Handler");
	test_assert_streq(m->sender.address, "bounces@example.de");
	test_assert_inteq(m->n_to, 4);
	if (m->n_to == 4) {
		test_assert_streq(m->to[0].name, "Doe, John");
		test_assert_streq(m->to[0].address, "john@example.com");
		test_assert_streq(m->to[1].name, "Jane Roe");
		test_assert_streq(m->to[1].address, "jane@example.com");
		test_assert(m->to[2].name == NULL);
		test_assert_streq(m->to[2].address, "a@example.com");
		test_assert_streq(m->to[3].name, "B");
		test_assert_streq(m->to[3].address, "b@example.com");
	}
	test_assert_inteq(m->n_cc, 2);
	if (m->n_cc == 2) {
		test_assert_streq(m->cc[0].name, "René");
		test_assert_streq(m->cc[0].address, "rene@example.fr");
		test_assert_streq(m->cc[1].address, "x@");
	}
	test_assert_inteq(m->n_reply_to, 1);
	test_assert_streq(m->message_id, "abc.123@mail.example.de");
	test_assert_streq(m->in_reply_to, "orig-1@example.com");
	test_assert_inteq(m->n_references, 3);
	if (m->n_references == 3) {
		test_assert_streq(m->references[0], "r1@example.com");
		test_assert_streq(m->references[2], "orig-1@example.com");
	}
	test_assert(m->has_date);
	test_assert_inteq(m->date, 1057049557);
	test_assert_inteq(m->date_tzoff, 120);
	test_assert_streq(m->subject, "Grüße aus Köln");
	test_assert_streq(mime_header_get(m, "x-long"), "one\ttwo");
	test_assert_streq(mime_header_get(m, "MESSAGE-ID"), "<abc.123@mail.example.de>");
	test_assert(mime_header_get(m, "x-absent") == NULL);
	test_assert_inteq(m->n_headers, 14);
	test_assert_streq(m->body, "Hello\nworld\n");
	test_assert_inteq(m->n_parts, 1);
	test_assert_inteq(m->n_attachments, 0);
	test_assert(strlen(m->sha256) == 64);
	test_assert_inteq(m->n_warnings, 0);
	mime_msg_free(&m);
	test_assert(m == NULL);
	test_end();
}

static void
test_bad_date(void)
{
	struct mime_msg *m;

	test_begin("invalid date, bare id, encoded mailbox");
	m = parse("From: a@b\nDate: next Tuesday-ish\nMessage-ID: bare-id@host\n\nx\n");
	test_assert(!m->has_date);
	test_assert(has_warning(m, "invalid date"));
	test_assert_streq(m->message_id, "bare-id@host");
	mime_msg_free(&m);
	m = parse("From: =?utf-8?b?SsO2cmcgTcO8bGxlciA8akB4LmRlPg==?=\n\nx\n");
	test_assert_streq(m->from.name, "Jörg Müller");
	test_assert_streq(m->from.address, "j@x.de");
	mime_msg_free(&m);
	m = parse("Date: Mon, 32 Feb 2020 25:00:00 +0000\n\nx\n");
	test_assert(!m->has_date);
	mime_msg_free(&m);
	m = parse("Date: Wed, 11 Feb 98 11:51 CST\n\nx\n");
	test_assert(m->has_date);
	test_assert_inteq(m->date_tzoff, -360);
	test_assert_inteq(m->date, 887219460);
	mime_msg_free(&m);
	test_end();
}

static void
test_alternative(void)
{
	struct mime_msg *m;

	test_begin("multipart/alternative picks text/plain");
	m = parse("From: a@example.com\n"
		  "Content-Type: multipart/alternative; boundary=\"XX\"\n"
		  "\n"
		  "preamble\n"
		  "--XX\n"
		  "Content-Type: text/html; charset=utf-8\n"
		  "\n"
		  "<p>html version</p>\n"
		  "--XX\n"
		  "Content-Type: text/plain; charset=iso-8859-1\n"
		  "Content-Transfer-Encoding: quoted-printable\n"
		  "\n"
		  "plain caf=E9 version with a soft=\n"
		  " break\n"
		  "--XX--\n"
		  "epilogue\n");
	test_assert_streq(m->body, "plain café version with a soft break");
	test_assert(!m->body_from_html);
	test_assert_inteq(m->n_parts, 2);
	if (m->n_parts == 2) {
		test_assert_streq(m->parts[0].content_type, "text/html");
		test_assert_streq(m->parts[1].content_type, "text/plain");
		test_assert_streq(m->parts[1].charset, "iso-8859-1");
		test_assert_inteq(m->parts[1].depth, 1);
		test_assert_streq(m->parts[1].data, "plain caf\xe9 version with a soft break");
	}
	test_assert_inteq(m->n_attachments, 0);
	mime_msg_free(&m);
	test_end();
}

static void
test_empty_plain(void)
{
	struct mime_msg *m;

	test_begin("empty text/plain alternative falls back to html");
	m = parse("Content-Type: multipart/alternative; boundary=a\n\n"
		  "--a\nContent-Type: text/plain\n\n \n\n"
		  "--a\nContent-Type: text/html\n\n<p>real text</p>\n"
		  "--a--\n");
	test_assert(contains_text(m->body, "real text"));
	test_assert(m->body_from_html);
	mime_msg_free(&m);
	test_end();
}

static void
test_html_only(void)
{
	struct mime_msg *m;

	test_begin("html-only mail becomes text");
	m = parse("From: a@example.com\r\n"
		  "Content-Type: text/html; charset=utf-8\r\n"
		  "Content-Transfer-Encoding: base64\r\n"
		  "\r\n"
		  "PGh0bWw+PGJvZHk+PHA+SGVsbG8gPGI+d29ybGQ8L2I+PC9wPjxzY3JpcHQ+eD0xPC9zY3Jp\r\n"
		  "cHQ+PC9ib2R5PjwvaHRtbD4=\r\n");
	test_assert(m->body_from_html);
	test_assert(m->body != NULL && strstr(m->body, "Hello world") != NULL);
	test_assert(m->body != NULL && strstr(m->body, "x=1") == NULL);
	test_assert(m->body != NULL && strchr(m->body, '<') == NULL);
	mime_msg_free(&m);
	test_end();
}

static void
test_attachments(void)
{
	struct mime_msg *m;

	test_begin("attachments with rfc 2231 and rfc 2047 names");
	m = parse("From: a@example.com\n"
		  "Content-Type: multipart/mixed; boundary=b1\n"
		  "\n"
		  "--b1\n"
		  "Content-Type: text/plain\n"
		  "\n"
		  "see attached\n"
		  "--b1\n"
		  "Content-Type: application/pdf\n"
		  "Content-Disposition: attachment;\n"
		  " filename*0*=utf-8''%E2%82%AC%20rates;\n"
		  " filename*1=\" 2024.pdf\"\n"
		  "Content-Transfer-Encoding: base64\n"
		  "\n"
		  "aGVsbG8K\n"
		  "--b1\n"
		  "Content-Type: image/png; name=\"=?UTF-8?B?w6TDtsO8LnBuZw==?=\"\n"
		  "Content-Transfer-Encoding: base64\n"
		  "\n"
		  "aGVs\n"
		  "bG8K\n"
		  "--b1\n"
		  "Content-Type: application/octet-stream\n"
		  "Content-Disposition: attachment; filename*=iso-8859-1'de'Gr%FC%DFe.txt\n"
		  "\n"
		  "hello\n"
		  "\n"
		  "--b1\n"
		  "Content-Type: application/ms-tnef; name=\"winmail.dat\"\n"
		  "Content-Transfer-Encoding: base64\n"
		  "\n"
		  "eJ8+IgAAAA==\n"
		  "--b1--\n");
	test_assert_streq(m->body, "see attached");
	test_assert_inteq(m->n_attachments, 4);
	if (m->n_attachments == 4) {
		test_assert_streq(m->attachments[0].filename, "€ rates 2024.pdf");
		test_assert_streq(m->attachments[0].content_type, "application/pdf");
		test_assert_inteq(m->attachments[0].size, 6);
		test_assert_streq(m->attachments[0].sha256, SHA_HELLO);
		test_assert_streq(m->attachments[1].filename, "äöü.png");
		test_assert_streq(m->attachments[1].content_type, "image/png");
		test_assert_streq(m->attachments[1].sha256, SHA_HELLO);
		test_assert_streq(m->attachments[2].filename, "Grüße.txt");
		test_assert_streq(m->attachments[2].sha256, SHA_HELLO);
		test_assert_streq(m->attachments[3].filename, "winmail.dat");
		test_assert_streq(m->attachments[3].content_type, "application/ms-tnef");
		test_assert_inteq(m->attachments[3].size, 7);
	}
	test_assert_inteq(m->n_parts, 5);
	mime_msg_free(&m);
	test_end();
}

static void
test_rfc822(void)
{
	struct mime_msg *m;

	test_begin("attached message/rfc822");
	m = parse("From: a@example.com\n"
		  "Subject: fwd\n"
		  "Content-Type: multipart/mixed; boundary=\"=_outer\"\n"
		  "\n"
		  "--=_outer\n"
		  "Content-Type: text/plain; charset=us-ascii\n"
		  "\n"
		  "Forwarding this.\n"
		  "--=_outer\n"
		  "Content-Type: message/rfc822\n"
		  "\n"
		  "From: b@example.com\n"
		  "Subject: =?utf-8?q?the_original_=E2=9C=93?=\n"
		  "Content-Type: multipart/mixed; boundary=inner\n"
		  "\n"
		  "--inner\n"
		  "Content-Type: text/plain\n"
		  "\n"
		  "inner text\n"
		  "--inner\n"
		  "Content-Type: application/zip; name=x.zip\n"
		  "\n"
		  "PK\n"
		  "--inner--\n"
		  "\n"
		  "--=_outer--\n");
	test_assert_streq(m->body, "Forwarding this.");
	test_assert_inteq(m->n_attachments, 1);
	if (m->n_attachments == 1) {
		test_assert_streq(m->attachments[0].filename, "the original ✓");
		test_assert_streq(m->attachments[0].content_type, "message/rfc822");
	}
	test_assert_inteq(m->n_parts, 2);
	if (m->n_parts == 2) {
		test_assert_streq(m->parts[1].content_type, "message/rfc822");
		test_assert(strncmp(m->parts[1].data, "From: b@example.com\n", 20) == 0);
	}
	mime_msg_free(&m);
	test_end();
}

static void
test_related_signed_uu(void)
{
	struct mime_msg *m;

	test_begin("related, signed, uuencode in text");
	m = parse("Content-Type: multipart/signed; boundary=s; protocol=\"application/pgp-signature\"\n"
		  "\n"
		  "--s\n"
		  "Content-Type: multipart/related; boundary=r\n"
		  "\n"
		  "--r\n"
		  "Content-Type: text/plain; format=flowed\n"
		  "\n"
		  "before\n"
		  "begin 644 hello.txt\n"
		  "&:&5L;&\\*\n"
		  "`\n"
		  "end\n"
		  "after\n"
		  "--r\n"
		  "Content-Type: text/plain\n"
		  "\n"
		  "not the body\n"
		  "--r--\n"
		  "--s\n"
		  "Content-Type: application/pgp-signature\n"
		  "\n"
		  "-----BEGIN PGP SIGNATURE-----\n"
		  "--s--\n");
	test_assert_streq(m->body, "before\nafter");
	/* what is not the text is listed: the unused related text, the
	 * signature, then the file uuencoded in the text */
	test_assert_inteq(m->n_attachments, 3);
	if (m->n_attachments == 3) {
		test_assert_streq(m->attachments[0].content_type, "text/plain");
		test_assert_inteq(m->attachments[0].size, strlen("not the body"));
		test_assert_streq(m->attachments[1].content_type, "application/pgp-signature");
		test_assert_streq(m->attachments[2].filename, "hello.txt");
		test_assert_streq(m->attachments[2].sha256, SHA_HELLO);
	}
	mime_msg_free(&m);
	test_end();
}

static void
test_flowed(void)
{
	struct mime_msg *m;

	test_begin("format=flowed is joined");
	m = parse("Content-Type: text/plain; charset=utf-8; format=flowed\n\n"
		  "This line is \nflowed.\n>quoted \n>kept\n-- \nsig\n");
	test_assert_streq(m->body, "This line is flowed.\n>quoted \n>kept\n-- \nsig\n");
	mime_msg_free(&m);
	m = parse("Content-Type: text/plain; format=Flowed; DelSp=Yes\n\n"
		  "Hello wor \nld\n");
	test_assert_streq(m->body, "Hello world\n");
	mime_msg_free(&m);
	test_end();
}

static char *
nested_multiparts(int depth)
{
	struct buf b = BUF_INIT;
	int i;

	for (i = 0; i < depth; i++)
		buf_addf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
	buf_adds(&b, "Content-Type: text/plain\n\ndeep\n");
	for (i = depth - 1; i >= 0; i--)
		buf_addf(&b, "--b%d--\n", i);
	return buf_detach(&b, NULL);
}

static void
test_limits(void)
{
	struct mime_msg *m;
	struct buf b = BUF_INIT;
	struct mime_limits small = { 100 };
	char *s;
	int i;

	test_begin("depth 1000 nested multiparts");
	s = nested_multiparts(1000);
	m = parse(s);
	test_assert(has_warning(m, "mime depth limit 32 reached"));
	test_assert(m->n_parts >= 1);
	mime_msg_free(&m);
	free(s);
	test_end();

	test_begin("depth 20 is fine");
	s = nested_multiparts(20);
	m = parse(s);
	test_assert_inteq(m->n_warnings, 0);
	test_assert_streq(m->body, "deep");
	test_assert_inteq(m->n_parts, 1);
	mime_msg_free(&m);
	free(s);
	test_end();

	test_begin("10000 parts");
	buf_adds(&b, "Content-Type: multipart/mixed; boundary=p\n\n");
	for (i = 0; i < 10000; i++)
		buf_addf(&b, "--p\nContent-Type: text/plain\n\npart %d\n", i);
	buf_adds(&b, "--p--\n");
	m = mime_parse(b.data, b.len, NULL);
	test_assert(has_warning(m, "mime part limit 1000 reached"));
	test_assert(m->n_parts < MIME_MAX_PARTS);
	test_assert(m->n_parts > 900);
	mime_msg_free(&m);
	buf_release(&b);
	test_end();

	test_begin("1 MB header line");
	buf_adds(&b, "From: a@example.com\nSubject: ");
	for (i = 0; i < 1024 * 1024; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\nTo: b@example.com\n\nbody\n");
	m = mime_parse(b.data, b.len, NULL);
	test_assert(has_warning(m, "line over 65536 bytes"));
	test_assert(has_warning(m, "header block over 262144 bytes"));
	test_assert_streq(m->from.address, "a@example.com");
	test_assert_streq(m->body, "body\n");
	mime_msg_free(&m);
	buf_release(&b);
	test_end();

	test_begin("10000 addresses and 5000 references");
	buf_adds(&b, "To: ");
	for (i = 0; i < 10000; i++)
		buf_addf(&b, "u%d@example.com,", i);
	buf_adds(&b, "\nReferences:");
	for (i = 0; i < 5000; i++)
		buf_addf(&b, " <r%d@x>", i);
	buf_adds(&b, "\n\nbody\n");
	m = mime_parse(b.data, b.len, NULL);
	test_assert_inteq(m->n_to, 10000);
	test_assert_inteq(m->n_references, 5000);
	test_assert(m->n_to == 10000 && strcmp(m->to[9999].address, "u9999@example.com") == 0);
	mime_msg_free(&m);
	buf_release(&b);
	test_end();

	test_begin("many uuencode begin lines without end");
	buf_adds(&b, "Subject: uu\n\n");
	for (i = 0; i < 100000; i++)
		buf_adds(&b, "begin 644 x\n");
	m = mime_parse(b.data, b.len, NULL);
	test_assert_inteq(m->n_attachments, 0);
	test_assert(m->body != NULL && strlen(m->body) == 100000 * strlen("begin 644 x\n"));
	mime_msg_free(&m);
	buf_release(&b);
	test_end();

	test_begin("size limit");
	m = mime_parse("Subject: x\n\n0123456789012345678901234567890123456789"
		       "0123456789012345678901234567890123456789"
		       "0123456789012345678901234567890123456789\n", 132, &small);
	test_assert(has_warning(m, "message over size limit"));
	test_assert_inteq(m->raw_size, 132);
	test_assert_streq(m->subject, "x");
	mime_msg_free(&m);
	test_end();
}

static void
test_bad_input(void)
{
	struct mime_msg *m;
	char garbage[4096];
	unsigned seed = 12345;
	size_t i;
	int round;

	test_begin("empty input");
	m = mime_parse("", 0, NULL);
	test_assert(m != NULL);
	test_assert(m->from.address == NULL);
	test_assert(m->subject == NULL);
	test_assert(m->body != NULL);
	mime_msg_free(&m);
	m = mime_parse(NULL, 0, NULL);
	test_assert(m != NULL);
	mime_msg_free(&m);
	test_end();

	test_begin("garbage input");
	for (round = 0; round < 200; round++) {
		for (i = 0; i < sizeof(garbage); i++) {
			seed = seed * 1103515245 + 12345;
			garbage[i] = (char)(seed >> 16);
			/* make structure likely */
			if (round % 2 == 0 && (seed >> 8) % 13 == 0)
				garbage[i] = "\n-:;=\"<>(\r"[(seed >> 20) % 10];
		}
		m = mime_parse(garbage, sizeof(garbage), NULL);
		test_assert(m != NULL);
		mime_msg_free(&m);
	}
	test_end();

	test_begin("missing boundary keeps the text");
	m = parse("Content-Type: multipart/mixed; boundary=nothere\n\nthe text\n");
	test_assert(has_warning(m, "missing boundary"));
	test_assert_streq(m->body, "the text\n");
	mime_msg_free(&m);
	m = parse("Content-Type: multipart/mixed; boundary=x\n\nline\r\nend\r\n");
	test_assert_streq(m->body, "line\nend\n");
	mime_msg_free(&m);
	m = parse("Content-Type: multipart/mixed\n\nthe text\n");
	test_assert(has_warning(m, "missing boundary"));
	test_assert_streq(m->body, "the text\n");
	mime_msg_free(&m);
	test_end();

	test_begin("no header, no body, unterminated");
	m = parse("just some text\nwith lines\n");
	test_assert_streq(m->body, "just some text\nwith lines\n");
	mime_msg_free(&m);
	m = parse("Subject: only a header");
	test_assert_streq(m->subject, "only a header");
	test_assert_streq(m->body, "");
	mime_msg_free(&m);
	m = parse("Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nunclosed");
	test_assert_streq(m->body, "unclosed");
	test_assert(has_warning(m, "missing closing boundary"));
	mime_msg_free(&m);
	test_end();
}

int
main(void)
{
	test_headers();
	test_bad_date();
	test_alternative();
	test_html_only();
	test_empty_plain();
	test_attachments();
	test_rfc822();
	test_related_signed_uu();
	test_flowed();
	test_limits();
	test_bad_input();
	return test_done();
}
