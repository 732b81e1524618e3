/* Unit tests for lib/mail/compose.c: headers, encodings, header injection, and
 * every shipped template composed into a message. */
#include "test.h"
#include "compose.h"
#include "mime.h"
#include "sha256.h"
#include "tmpl.h"
#include "xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- a small message reader, independent of compose.c ---- */

struct parsed {
	int ok;			/* CRLF everywhere, a blank line, sane names */
	char names[64][80];	/* header names in order */
	size_t n_names;
	size_t max_header_line;	/* longest header line without CRLF */
	size_t max_line;	/* longest line of the whole message */
	const char *headers;	/* start of the header block */
	size_t headers_len;	/* up to and including the last header's CRLF */
	const char *body;
	size_t body_len;
};

static void
parse(const char *msg, size_t len, struct parsed *p)
{
	const char *s = msg, *end = msg + len, *sep, *eol;
	size_t i, n;

	memset(p, 0, sizeof(*p));
	p->ok = 1;
	for (i = 0; i < len; i++) {
		if (msg[i] == '\0' ||
		    (msg[i] == '\r' && (i + 1 == len || msg[i + 1] != '\n')) ||
		    (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))) {
			p->ok = 0;
			printf("#   bare CR, LF or NUL at offset %zu\n", i);
			return;
		}
	}
	sep = strstr(msg, "\r\n\r\n");
	if (sep == NULL) {
		p->ok = 0;
		return;
	}
	p->headers = msg;
	p->headers_len = (size_t)(sep - msg) + 2;
	p->body = sep + 4;
	p->body_len = (size_t)(end - p->body);
	while (s < end) {
		eol = strstr(s, "\r\n");
		if (eol == NULL)
			eol = end;
		n = (size_t)(eol - s);
		if (n > p->max_line)
			p->max_line = n;
		if (s < sep + 2) {
			if (n > p->max_header_line)
				p->max_header_line = n;
			if (*s == ' ' || *s == '\t') {
				if (p->n_names == 0)
					p->ok = 0;
			} else {
				const char *colon = memchr(s, ':', n);

				if (colon == NULL || colon == s || p->n_names == N_ELEMENTS(p->names) ||
				    (size_t)(colon - s) >= sizeof(p->names[0])) {
					p->ok = 0;
				} else {
					memcpy(p->names[p->n_names], s, (size_t)(colon - s));
					p->names[p->n_names][colon - s] = '\0';
					for (i = 0; p->names[p->n_names][i] != '\0'; i++)
						if (p->names[p->n_names][i] <= ' ')
							p->ok = 0;
					p->n_names++;
				}
			}
		}
		s = eol + 2;
	}
}

/* The unfolded value of the first header called name, or NULL; caller frees. */
static char *
header(const struct parsed *p, const char *name)
{
	const char *s = p->headers, *end = p->headers + p->headers_len, *eol;
	struct buf b = BUF_INIT;
	size_t nlen = strlen(name);
	int in = 0, found = 0;

	while (s < end) {
		eol = strstr(s, "\r\n");
		if (*s == ' ' || *s == '\t') {
			if (in)
				buf_add(&b, s, (size_t)(eol - s));
		} else if (found) {
			break;
		} else if (strncasecmp(s, name, nlen) == 0 && s[nlen] == ':') {
			in = found = 1;
			s += nlen + 1;
			if (*s == ' ')
				s++;
			buf_add(&b, s, (size_t)(eol - s));
		}
		s = eol + 2;
	}
	if (!found) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static int
names_equal(const struct parsed *p, const char *const *want, size_t n)
{
	size_t i;

	if (p->n_names != n)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(p->names[i], want[i]) != 0)
			return 0;
	return 1;
}

static int
has_name(const struct parsed *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_names; i++)
		if (strcasecmp(p->names[i], name) == 0)
			return 1;
	return 0;
}

/* ---- decoders ---- */

static int
b64_val(char c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(a, c) : NULL;

	return p != NULL ? (int)(p - a) : -1;
}

static void
b64_decode(const char *s, size_t len, struct buf *out)
{
	unsigned int acc = 0;
	int bits = 0, v;
	size_t i;

	for (i = 0; i < len; i++) {
		v = b64_val(s[i]);
		if (v < 0)
			continue;	/* CRLF and padding */
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (char)((acc >> bits) & 0xFF));
		}
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
qp_decode(const char *s, size_t len, int header_q, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '=' && i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
		} else if (s[i] == '=' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			buf_addc(out, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
			i += 2;
		} else if (header_q && s[i] == '_') {
			buf_addc(out, ' ');
		} else {
			buf_addc(out, s[i]);
		}
	}
}

static int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, k;

	while (i < len) {
		if (u[i] < 0x80)
			n = 0;
		else if (u[i] >= 0xC2 && u[i] <= 0xDF)
			n = 1;
		else if (u[i] >= 0xE0 && u[i] <= 0xEF)
			n = 2;
		else if (u[i] >= 0xF0 && u[i] <= 0xF4)
			n = 3;
		else
			return 0;
		if (i + n >= len + (n == 0))
			return 0;
		for (k = 1; k <= n; k++)
			if ((u[i + k] & 0xC0) != 0x80)
				return 0;
		i += n + 1;
	}
	return 1;
}

static int words_bad;	/* an encoded word too long or splitting a character */

/* Decode one "=?UTF-8?X?...?=" word into out; 0 when s is not one. */
static int
decode_word(const char *s, size_t len, struct buf *out)
{
	struct buf tmp = BUF_INIT;

	if (len < 12 || strncasecmp(s, "=?UTF-8?", 8) != 0 || s[9] != '?' ||
	    memcmp(s + len - 2, "?=", 2) != 0)
		return 0;
	if (len > 75)
		words_bad = 1;
	if (s[8] == 'B' || s[8] == 'b')
		b64_decode(s + 10, len - 12, &tmp);
	else
		qp_decode(s + 10, len - 12, 1, &tmp);
	if (!utf8_valid(buf_str(&tmp), tmp.len))
		words_bad = 1;
	buf_add(out, tmp.data, tmp.len);
	buf_release(&tmp);
	return 1;
}

/* RFC 2047 decoding of an unfolded unstructured value; caller frees. */
static char *
decode_2047(const char *v)
{
	struct buf out = BUF_INIT;
	const char *s = v, *ws, *tok;
	int prev_ew = 0, is_ew;

	while (*s != '\0') {
		ws = s;
		while (*s == ' ' || *s == '\t')
			s++;
		tok = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		if (tok == s) {
			buf_add(&out, ws, (size_t)(s - ws));
			break;
		}
		{
			struct buf w = BUF_INIT;

			is_ew = decode_word(tok, (size_t)(s - tok), &w);
			if (!(is_ew && prev_ew))
				buf_add(&out, ws, (size_t)(tok - ws));
			if (is_ew)
				buf_add(&out, w.data, w.len);
			else
				buf_add(&out, tok, (size_t)(s - tok));
			buf_release(&w);
		}
		prev_ew = is_ew;
	}
	return buf_detach(&out, NULL);
}

/* The decoded body of a parsed message; caller frees. */
static char *
decode_body(const struct parsed *p)
{
	char *cte = header(p, "Content-Transfer-Encoding");
	struct buf out = BUF_INIT;

	if (cte != NULL && strcmp(cte, "base64") == 0)
		b64_decode(p->body, p->body_len, &out);
	else if (cte != NULL && strcmp(cte, "quoted-printable") == 0)
		qp_decode(p->body, p->body_len, 0, &out);
	else
		buf_add(&out, p->body, p->body_len);
	free(cte);
	return buf_detach(&out, NULL);
}

/* text with every line end made CRLF and a final CRLF. */
static char *
crlf(const char *text)
{
	struct buf b = BUF_INIT;

	for (; *text != '\0'; text++) {
		if (*text == '\r' && text[1] == '\n')
			continue;
		if (*text == '\n' || *text == '\r')
			buf_adds(&b, "\r\n");
		else
			buf_addc(&b, *text);
	}
	if (b.len > 0 && b.data[b.len - 1] != '\n')
		buf_adds(&b, "\r\n");
	return buf_detach(&b, NULL);
}

/* ---- tests ---- */

static const struct compose_addr to_ann = { "Ann Smith", "ann@example.com" };

static void
base(struct compose *c)
{
	memset(c, 0, sizeof(*c));
	c->from.name = "Example Support";
	c->from.address = "support@example.com";
	c->to = &to_ann;
	c->n_to = 1;
	c->subject = "[SUP-1] Hello";
	c->message_id = "1234.abc@example.com";
	c->date = 1709647200;
	c->body = "Hello.\n";
}

static char *
compose_parsed(const struct compose *c, struct parsed *p)
{
	size_t len = 0;
	char *msg = compose_message(c, &len);

	if (msg == NULL) {
		memset(p, 0, sizeof(*p));
		return NULL;
	}
	test_assert_inteq(strlen(msg), len);
	parse(msg, len, p);
	return msg;
}

static void
test_basic(void)
{
	static const char *const want[] = {
		"Date", "From", "To", "Subject", "Message-ID",
		"X-Auto-Response-Suppress", "MIME-Version", "Content-Type",
		"Content-Transfer-Encoding",
	};
	struct compose c;
	struct parsed p;
	char *msg, *v;

	test_begin("compose: a minimal message");
	base(&c);
	msg = compose_parsed(&c, &p);
	test_assert(msg != NULL && p.ok);
	test_assert(names_equal(&p, want, N_ELEMENTS(want)));
	v = header(&p, "From");
	test_assert_streq(v, "Example Support <support@example.com>");
	free(v);
	v = header(&p, "To");
	test_assert_streq(v, "Ann Smith <ann@example.com>");
	free(v);
	v = header(&p, "Message-ID");
	test_assert_streq(v, "<1234.abc@example.com>");
	free(v);
	v = header(&p, "X-Auto-Response-Suppress");
	test_assert_streq(v, "All");
	free(v);
	v = header(&p, "Content-Type");
	test_assert_streq(v, "text/plain; charset=UTF-8");
	free(v);
	v = header(&p, "Content-Transfer-Encoding");
	test_assert_streq(v, "7bit");
	free(v);
	test_assert(p.body_len == 8 && memcmp(p.body, "Hello.\r\n", 8) == 0);
	free(msg);
	test_end();
}

static void
test_date(void)
{
	struct compose c;
	struct parsed p;
	char *msg, *v;

	test_begin("compose: Date in RFC 5322 form, UTC");
	base(&c);
	msg = compose_parsed(&c, &p);
	v = header(&p, "Date");
	test_assert_streq(v, "Tue, 5 Mar 2024 14:00:00 +0000");
	free(v);
	free(msg);
	c.date = 0;
	msg = compose_parsed(&c, &p);
	v = header(&p, "Date");
	test_assert_streq(v, "Thu, 1 Jan 1970 00:00:00 +0000");
	free(v);
	free(msg);
	c.date = 1735689599;	/* 2024-12-31 23:59:59 */
	msg = compose_parsed(&c, &p);
	v = header(&p, "Date");
	test_assert_streq(v, "Tue, 31 Dec 2024 23:59:59 +0000");
	free(v);
	free(msg);
	test_end();
}

static void
test_all_headers(void)
{
	static const char *const want[] = {
		"Date", "From", "To", "Cc", "Reply-To", "Subject", "Message-ID",
		"In-Reply-To", "References", "Auto-Submitted",
		"X-Auto-Response-Suppress", "X-Loop", "X-Ticket", "MIME-Version",
		"Content-Type", "Content-Transfer-Encoding",
	};
	static const struct compose_addr cc[] = {
		{ NULL, "bob@example.com" }, { "", "carol@example.com" },
	};
	static const struct compose_addr reply = { "Example Support", "support+t.abc@example.com" };
	static const char *const refs[] = { "a@x", "b@x" };
	static const struct compose_header extra[] = { { "X-Ticket", "SUP-1" } };
	struct compose c;
	struct parsed p;
	char *msg, *v;

	test_begin("compose: every header in order");
	base(&c);
	c.cc = cc;
	c.n_cc = 2;
	c.reply_to = &reply;
	c.in_reply_to = "b@x";
	c.references = refs;
	c.n_references = 2;
	c.auto_submitted = "auto-replied";
	c.x_loop = "support@example.com";
	c.extra = extra;
	c.n_extra = 1;
	msg = compose_parsed(&c, &p);
	test_assert(msg != NULL && p.ok);
	test_assert(names_equal(&p, want, N_ELEMENTS(want)));
	v = header(&p, "Cc");
	test_assert_streq(v, "bob@example.com, carol@example.com");
	free(v);
	v = header(&p, "Reply-To");
	test_assert_streq(v, "Example Support <support+t.abc@example.com>");
	free(v);
	v = header(&p, "In-Reply-To");
	test_assert_streq(v, "<b@x>");
	free(v);
	v = header(&p, "References");
	test_assert_streq(v, "<a@x> <b@x>");
	free(v);
	v = header(&p, "Auto-Submitted");
	test_assert_streq(v, "auto-replied");
	free(v);
	v = header(&p, "X-Loop");
	test_assert_streq(v, "support@example.com");
	free(v);
	v = header(&p, "X-Ticket");
	test_assert_streq(v, "SUP-1");
	free(v);
	free(msg);
	test_end();
}

static void
test_injection(void)
{
	static const char *const want[] = {
		"Date", "From", "To", "Reply-To", "Subject", "Message-ID",
		"In-Reply-To", "References", "Auto-Submitted",
		"X-Auto-Response-Suppress", "X-Loop", "X-Ticket", "MIME-Version",
		"Content-Type", "Content-Transfer-Encoding",
	};
	static const struct compose_addr to[] = { { "Ann\r\nBcc: evil2@example.com", "ann@example.com" } };
	static const struct compose_addr reply = { "R\nBcc: evil3@example.com\n", "r@example.com" };
	static const char *const refs[] = { "a@x>\r\nBcc: evil4@example.com <", "\r\n" };
	static const struct compose_header extra[] = {
		{ "X-Ticket", "SUP-1\r\nBcc: evil5@example.com" },
		{ "X-Evil\r\nBcc", "evil6@example.com" },
		{ "Bcc", "evil7@example.com" },
		{ "Content-Type", "text/html" },
	};
	struct compose c;
	struct parsed p;
	char *msg, *v;

	test_begin("compose: CR/LF in any header value cannot add a header");
	base(&c);
	c.subject = "Hi\r\nBcc: victim@example.com\r\n\r\nbody?";
	c.from.name = "Eve\r\nBcc: evil1@example.com";
	c.to = to;
	c.reply_to = &reply;
	c.message_id = "id@x\r\nBcc: evil8@example.com";
	c.in_reply_to = "<irt@x>\nBcc: evil9@example.com";
	c.references = refs;
	c.n_references = 2;
	c.auto_submitted = "auto-replied\r\nBcc: evil10@example.com";
	c.x_loop = "loop\rBcc: evil11@example.com";
	c.extra = extra;
	c.n_extra = N_ELEMENTS(extra);
	msg = compose_parsed(&c, &p);
	test_assert(msg != NULL && p.ok);
	test_assert(!has_name(&p, "Bcc"));
	test_assert(names_equal(&p, want, N_ELEMENTS(want)));
	if (!names_equal(&p, want, N_ELEMENTS(want)) && msg != NULL)
		printf("# %s\n", msg);
	v = header(&p, "Subject");
	test_assert_streq(v, "Hi  Bcc: victim@example.com    body?");
	free(v);
	v = header(&p, "Message-ID");
	test_assert_streq(v, "<id@xBccevil8@example.com>");
	free(v);
	v = header(&p, "In-Reply-To");
	test_assert_streq(v, "<irt@xBccevil9@example.com>");
	free(v);
	v = header(&p, "References");
	test_assert_streq(v, "<a@xBccevil4@example.com>");
	free(v);
	v = header(&p, "X-Ticket");
	test_assert_streq(v, "SUP-1  Bcc: evil5@example.com");
	free(v);
	free(msg);
	test_end();

	test_begin("compose: hostile addresses are rejected");
	test_assert(compose_address_valid("ann@example.com"));
	test_assert(compose_address_valid("support+t.1a2b@example.com"));
	test_assert(!compose_address_valid(NULL));
	test_assert(!compose_address_valid(""));
	test_assert(!compose_address_valid("ann"));
	test_assert(!compose_address_valid("@example.com"));
	test_assert(!compose_address_valid("ann@"));
	test_assert(!compose_address_valid("a@b@c"));
	test_assert(!compose_address_valid("ann@example.com\r\nBcc: x@y"));
	test_assert(!compose_address_valid("ann@example.com>, <x@y"));
	test_assert(!compose_address_valid("ann smith@example.com"));
	test_assert(!compose_address_valid("ann@exa\tmple.com"));
	test_assert(!compose_address_valid("\"a,b\"@example.com"));
	test_assert(!compose_address_valid("j\xC3\xBCrgen@example.com"));
	base(&c);
	c.from.address = "support@example.com\r\nBcc: x@y";
	test_assert(compose_message(&c, NULL) == NULL);
	base(&c);
	{
		struct compose_addr bad_to[] = { { "A", "a@example.com" }, { "B", "b@example.com\n" } };

		c.to = bad_to;
		c.n_to = 2;
		test_assert(compose_message(&c, NULL) == NULL);
	}
	base(&c);
	{
		struct compose_addr bad_reply = { "R", "<r@example.com>" };

		c.reply_to = &bad_reply;
		test_assert(compose_message(&c, NULL) == NULL);
	}
	test_end();
}

static void
check_subject_roundtrip(const char *subject, const char *expect_kind)
{
	struct compose c;
	struct parsed p;
	char *msg, *raw, *dec;

	base(&c);
	c.subject = subject;
	words_bad = 0;
	msg = compose_parsed(&c, &p);
	test_assert(msg != NULL && p.ok);
	test_assert(p.max_header_line < 78);
	if (p.max_header_line >= 78)
		printf("# %s", msg);
	raw = header(&p, "Subject");
	dec = decode_2047(raw != NULL ? raw : "");
	test_assert_streq(dec, subject);
	test_assert(!words_bad);
	if (expect_kind != NULL)
		test_assert(raw != NULL && strstr(raw, expect_kind) != NULL);
	if (expect_kind == NULL)
		test_assert(raw != NULL && strstr(raw, "=?") == NULL);
	free(dec);
	free(raw);
	free(msg);
}

static void
test_subjects(void)
{
	struct buf b = BUF_INIT;
	char *e;
	int i;

	test_begin("compose: Japanese subject, B-encoded, decodes back");
	check_subject_roundtrip("[SUP-12] 【障害】本番サーバーが停止しています", "=?UTF-8?B?");
	check_subject_roundtrip("[SUP-13] 数据擦除报告无法导出", "=?UTF-8?B?");
	test_end();

	test_begin("compose: ASCII words stay plain beside encoded ones");
	{
		struct compose c;
		struct parsed p;
		char *msg, *raw;

		base(&c);
		c.subject = "[SUP-12] 【障害】 Server down";
		msg = compose_parsed(&c, &p);
		raw = header(&p, "Subject");
		test_assert(raw != NULL && strncmp(raw, "[SUP-12] =?UTF-8?B?", 19) == 0);
		test_assert(raw != NULL && strstr(raw, "?= Server down") != NULL);
		free(raw);
		free(msg);
	}
	test_end();

	test_begin("compose: Latin subject, Q-encoded, decodes back");
	check_subject_roundtrip("[SUP-14] Größenänderung schlägt fehl", "=?UTF-8?Q?");
	check_subject_roundtrip("Re: Problème de licence (urgent) ?", "=?UTF-8?Q?");
	test_end();

	test_begin("compose: ASCII subjects stay plain; '=?' gets encoded");
	check_subject_roundtrip("[SUP-15] Export fails with error 0x80070005", NULL);
	check_subject_roundtrip("Re:   spaced    out", NULL);
	check_subject_roundtrip("Not an =?UTF-8?B?d29yZA==?= really", "=?UTF-8?");
	check_subject_roundtrip("", NULL);
	test_end();

	test_begin("compose: long subjects fold under 78 columns");
	for (i = 0; i < 40; i++)
		buf_addf(&b, "word%d ", i);
	buf_adds(&b, "end");
	check_subject_roundtrip(buf_str(&b), NULL);
	buf_reset(&b);
	for (i = 0; i < 2000; i++)
		buf_addc(&b, (char)('a' + i % 26));
	check_subject_roundtrip(buf_str(&b), "=?UTF-8?");
	buf_reset(&b);
	for (i = 0; i < 120; i++)
		buf_adds(&b, i % 3 == 0 ? "障害 " : "Größe ");
	buf_adds(&b, "😀 end");
	check_subject_roundtrip(buf_str(&b), "=?UTF-8?");
	buf_reset(&b);
	for (i = 0; i < 300; i++)
		buf_adds(&b, "日本語");
	check_subject_roundtrip(buf_str(&b), "=?UTF-8?B?");
	buf_release(&b);
	test_end();

	test_begin("compose_rfc2047_encode");
	e = compose_rfc2047_encode("plain ascii", 9);
	test_assert_streq(e, "plain ascii");
	free(e);
	e = compose_rfc2047_encode("a\r\nb", 0);
	test_assert_streq(e, "a  b");
	free(e);
	e = compose_rfc2047_encode("日本", 9);
	test_assert_streq(e, "=?UTF-8?B?5pel5pys?=");
	free(e);
	e = compose_rfc2047_encode("Grüße", 9);
	test_assert_streq(e, "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=");
	free(e);
	e = compose_rfc2047_encode("Grüße_= ok", 0);
	test_assert_streq(e, "=?UTF-8?Q?Gr=C3=BC=C3=9Fe=5F=3D_ok?=");
	free(e);
	e = compose_rfc2047_encode("é_= ?", 0);	/* mostly escapes: B is shorter */
	test_assert_streq(e, "=?UTF-8?B?w6lfPSA/?=");
	free(e);
	{
		struct buf s = BUF_INIT;
		const char *line, *nl;
		char *dec;
		int ok = 1;

		for (i = 0; i < 100; i++)
			buf_adds(&s, "日本語テキスト");
		e = compose_rfc2047_encode(buf_str(&s), 40);
		/* First line: starts at column 40; later ones after CRLF SP. */
		for (line = e; ; line = nl + 2) {
			nl = strstr(line, "\r\n");
			if ((size_t)((nl ? nl : line + strlen(line)) - line) + (line == e ? 40 : 0) > 76)
				ok = 0;
			if (nl == NULL)
				break;
			if (nl[2] != ' ')
				ok = 0;
		}
		test_assert(ok);
		{
			/* Unfold and decode. */
			struct buf u = BUF_INIT;
			const char *q;

			for (q = e; *q != '\0'; q++)
				if (*q != '\r' && *q != '\n')
					buf_addc(&u, *q);
			words_bad = 0;
			dec = decode_2047(buf_str(&u));
			test_assert_streq(dec, buf_str(&s));
			test_assert(!words_bad);
			free(dec);
			buf_release(&u);
		}
		free(e);
		buf_release(&s);
	}
	test_end();
}

static void
test_names(void)
{
	static const struct {
		const char *name;
		const char *want;	/* unfolded From value */
	} cases[] = {
		{ "Jane Doe", "Jane Doe <support@example.com>" },
		{ "Doe, Jane", "\"Doe, Jane\" <support@example.com>" },
		{ "J. Doe", "\"J. Doe\" <support@example.com>" },
		{ "Jo \"JJ\" Doe", "\"Jo \\\"JJ\\\" Doe\" <support@example.com>" },
		{ "back\\slash", "\"back\\\\slash\" <support@example.com>" },
		{ "  ", "support@example.com" },
		{ NULL, "support@example.com" },
		{ "Jürgen Müller", "=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <support@example.com>" },
		{ "サポート窓口", "=?UTF-8?B?44K144Od44O844OI56qT5Y+j?= <support@example.com>" },
	};
	struct compose c;
	struct parsed p;
	char *msg, *v;
	size_t i;

	test_begin("compose: display names plain, quoted or encoded");
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		base(&c);
		c.from.name = cases[i].name;
		msg = compose_parsed(&c, &p);
		test_assert(msg != NULL && p.ok);
		v = header(&p, "From");
		test_assert_streq(v, cases[i].want);
		free(v);
		free(msg);
	}
	test_end();

	test_begin("compose: long names and many recipients fold");
	{
		struct compose_addr many[30];
		char *addrs[30];
		struct buf name = BUF_INIT;

		for (i = 0; i < 30; i++) {
			addrs[i] = xasprintf("person%zu@customer-example.com", i);
			many[i].name = i % 2 ? "Customer Person" : "Kunde Müller";
			many[i].address = addrs[i];
		}
		for (i = 0; i < 100; i++)
			buf_adds(&name, "Verylongname ");
		base(&c);
		c.to = many;
		c.n_to = 30;
		c.cc = many;
		c.n_cc = 30;
		c.from.name = buf_str(&name);
		msg = compose_parsed(&c, &p);
		test_assert(msg != NULL && p.ok);
		test_assert(p.max_header_line < 78);
		v = header(&p, "To");
		test_assert(v != NULL && strstr(v, "=?UTF-8?Q?Kunde_M=C3=BCller?= <person0@customer-example.com>, Customer Person <person1@customer-example.com>,") == v);
		free(v);
		free(msg);
		for (i = 0; i < 30; i++)
			free(addrs[i]);
		buf_release(&name);
	}
	test_end();
}

static void
check_body(const char *text, const char *cte, size_t max_line)
{
	struct compose c;
	struct parsed p;
	char *msg, *v, *dec, *want;

	base(&c);
	c.body = text;
	msg = compose_parsed(&c, &p);
	test_assert(msg != NULL && p.ok);
	v = header(&p, "Content-Transfer-Encoding");
	test_assert_streq(v, cte);
	free(v);
	test_assert(p.max_line <= max_line);
	dec = decode_body(&p);
	want = crlf(text);
	test_assert_streq(dec, want);
	free(want);
	free(dec);
	free(msg);
}

static void
test_bodies(void)
{
	struct buf b = BUF_INIT;
	int i;

	test_begin("compose: 7bit for short ASCII, line ends made CRLF");
	check_body("Hello,\nline two\r\nline three\rlast", "7bit", 998);
	check_body("", "7bit", 998);
	test_end();

	test_begin("compose: quoted-printable for mostly Latin text");
	check_body("Guten Tag,\n\nvielen Dank für Ihre Anfrage. Größe: 25 MiB.\n"
		   "Trailing space \nTrailing tab\t\n= sign and =3D\n", "quoted-printable", 76);
	for (i = 0; i < 60; i++)
		buf_adds(&b, "Très long paragraphe sans retour à la ligne. ");
	check_body(buf_str(&b), "quoted-printable", 76);
	buf_reset(&b);
	/* ASCII, but one line too long for 7bit. */
	for (i = 0; i < 1200; i++)
		buf_addc(&b, (char)('a' + i % 26));
	check_body(buf_str(&b), "quoted-printable", 76);
	buf_reset(&b);
	test_end();

	test_begin("compose: base64 for CJK text");
	check_body("お問い合わせいただき、誠にありがとうございます。\nチケット番号は SUP-1 です。\n",
		   "base64", 76);
	check_body("感谢您联系我们的技术支持。我们已收到您的请求。\n", "base64", 76);
	test_end();

	test_begin("compose: QP soft breaks never leave a line over 76");
	for (i = 0; i < 500; i++)
		buf_adds(&b, i % 17 == 0 ? "é" : i % 5 == 0 ? " " : i % 19 == 0 ? "=" : "x");
	check_body(buf_str(&b), "quoted-printable", 76);
	buf_release(&b);
	test_end();
}

static void
test_references(void)
{
	const char *ids[25];
	char *owned[25];
	struct compose c;
	struct parsed p;
	struct buf want = BUF_INIT;
	char *msg, *v;
	size_t i;

	test_begin("compose: References keeps the root and the last 9 ids");
	for (i = 0; i < 25; i++) {
		owned[i] = xasprintf("%zu.%s@mail.example.com", i,
				     "0123456789abcdef0123456789abcdef");
		ids[i] = owned[i];
	}
	base(&c);
	c.references = ids;
	c.n_references = 25;
	c.in_reply_to = ids[24];
	msg = compose_parsed(&c, &p);
	test_assert(msg != NULL && p.ok);
	test_assert(p.max_header_line < 78);
	v = header(&p, "References");
	buf_addf(&want, "<%s>", ids[0]);
	for (i = 16; i < 25; i++)
		buf_addf(&want, " <%s>", ids[i]);
	test_assert_streq(v, buf_str(&want));
	free(v);
	free(msg);

	/* Ten or fewer are kept whole; junk ids are dropped. */
	ids[1] = "<>";
	ids[2] = " \r\n ";
	c.n_references = 5;
	msg = compose_parsed(&c, &p);
	v = header(&p, "References");
	buf_reset(&want);
	buf_addf(&want, "<%s> <%s> <%s>", owned[0], owned[3], owned[4]);
	test_assert_streq(v, buf_str(&want));
	free(v);
	free(msg);

	/* Nothing usable: no References header at all. */
	c.n_references = 0;
	c.in_reply_to = "<>";
	c.message_id = NULL;
	msg = compose_parsed(&c, &p);
	test_assert(!has_name(&p, "References") && !has_name(&p, "In-Reply-To") &&
		    !has_name(&p, "Message-ID"));
	free(msg);
	for (i = 0; i < 25; i++)
		free(owned[i]);
	buf_release(&want);
	test_end();
}

static const char *
src_dir(void)
{
	static char buf[4096];
	const char *env = getenv("TICKETD_SRC");
	const char *cut;

	if (env != NULL && *env != '\0')
		return env;
	cut = strstr(__FILE__, "/t/unit/");
	if (cut == NULL)
		return ".";
	snprintf(buf, sizeof(buf), "%.*s", (int)(cut - __FILE__), __FILE__);
	return buf;
}

/* Every shipped template, in every language, composes to a sound message. */
static void
test_templates(void)
{
	static const char *const subjects[] = {
		"Export fails",
		"【至急】消去レポートが出力できません",
		"Lizenzschlüssel für Größe XL ungültig – bitte prüfen, sehr dringend, seit gestern",
	};
	const char *const *langs, *const *names;
	size_t n_langs, n_names, i, j, k;
	char *dir = xasprintf("%s/conf/templates", src_dir());
	static const struct compose_header extra[] = { { "X-Ticket", "SUP-1234" } };
	int ok = 1;

	langs = tmpl_langs(&n_langs);
	names = tmpl_names(&n_names);
	test_begin("compose: all templates x languages x subjects make valid mail");
	for (i = 0; i < n_langs; i++) {
		for (j = 0; j < n_names; j++) {
			for (k = 0; k < N_ELEMENTS(subjects); k++) {
				struct tmpl_var vars[] = {
					{ "ticket", "SUP-1234" }, { "subject", subjects[k] },
					{ "requester", "ann@example.com" }, { "requester_name", "Ann Smith" },
					{ "severity", "1" }, { "severity_name", tmpl_label(langs[i], "severity", 1) },
					{ "priority", "2" }, { "priority_name", tmpl_label(langs[i], "priority", 2) },
					{ "status", "pending" }, { "status_name", tmpl_status_label(langs[i], "pending") },
					{ "old_status_name", tmpl_status_label(langs[i], "open") },
					{ "region", "APAC" }, { "hours", "Mon-Fri 09:00-18:00 JST" },
					{ "due", "2024-03-06 11:00 JST" }, { "phone", "+81 50 5050 9161" },
					{ "previous", "SUP-1200" }, { "author", "Jane Agent" },
					{ "comment", "Please try version 7.2.\r\nThanks!" },
					{ "level", "3" }, { "level_name", tmpl_label(langs[i], "level", 3) },
					{ "sharer", "Bob Jones" }, { "limit", "25 MiB" }, { "plan", "Enterprise" },
					{ "support_name", "Example Technical Support" },
					{ "support_address", "support@example.com" },
				};
				struct compose c;
				struct parsed p;
				char *subject, *body, *error, *msg, *v, *dec, *want;

				if (tmpl_render(dir, langs[i], names[j], vars, N_ELEMENTS(vars),
						&subject, &body, &error) != 0) {
					printf("#   %s\n", error);
					free(error);
					ok = 0;
					continue;
				}
				base(&c);
				c.subject = subject;
				c.body = body;
				c.in_reply_to = "cust.1@customer.example";
				c.auto_submitted = "auto-generated";
				c.x_loop = "support@example.com";
				c.extra = extra;
				c.n_extra = 1;
				msg = compose_parsed(&c, &p);
				words_bad = 0;
				v = header(&p, "Subject");
				dec = decode_2047(v != NULL ? v : "");
				free(v);
				v = decode_body(&p);
				want = crlf(body);
				if (msg == NULL || !p.ok || p.max_header_line >= 78 || p.max_line > 998 ||
				    strcmp(dec, subject) != 0 || words_bad || strcmp(v, want) != 0 ||
				    !has_name(&p, "Auto-Submitted")) {
					printf("#   %s/%s subject %zu: bad message\n", langs[i], names[j], k);
					ok = 0;
				}
				free(want);
				free(v);
				free(dec);
				free(msg);
				free(subject);
				free(body);
			}
		}
	}
	test_assert(ok);
	free(dir);
	test_end();
}

/* ---- attachments ---- */

/* 1 when every line of msg[0..len) is at most max characters before its CRLF. */
static int
lines_at_most(const char *msg, size_t max)
{
	const char *p = msg, *eol;

	for (; *p != '\0'; p = eol + 2) {
		eol = strstr(p, "\r\n");
		if (eol == NULL)
			return strlen(p) <= max;
		if ((size_t)(eol - p) > max) {
			printf("#   line of %zu: %.60s\n", (size_t)(eol - p), p);
			return 0;
		}
	}
	return 1;
}

static void
test_files(void)
{
	static char bin[70000];
	struct compose_file f[3];
	struct compose c;
	struct mime_msg *m;
	char *msg, hash[SHA256_HEX_SIZE], longname[300];
	size_t len, i;
	const char *b64;

	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (char)(i * 7 + (i >> 8));
	snprintf(longname, sizeof(longname), "%s", "障害報告書_");
	for (i = 0; i < 20; i++)
		strncat(longname, "ログ", sizeof(longname) - strlen(longname) - 5);
	strncat(longname, ".txt", sizeof(longname) - strlen(longname) - 1);

	test_begin("compose: attachments as multipart/mixed, names and bytes read back by the parser");
	base(&c);
	c.body = "Please find the patch attached.\n";
	f[0].name = "fix-1234.patch";
	f[0].content_type = "text/x-diff";
	f[0].data = "--- a\n+++ b\n";
	f[0].size = strlen(f[0].data);
	f[1].name = longname;
	f[1].content_type = "application/octet-stream";
	f[1].data = bin;
	f[1].size = sizeof(bin);
	f[2].name = "Käyttöohje.pdf";
	f[2].content_type = "application/pdf";
	f[2].data = "";
	f[2].size = 0;
	c.files = f;
	c.n_files = 3;
	msg = compose_message(&c, &len);
	test_assert(msg != NULL && strstr(msg, "Content-Type: multipart/mixed;") != NULL);
	test_assert(lines_at_most(msg, 76));
	/* the 70,000 bytes (the second base64 part) in lines of exactly 76 */
	b64 = strstr(msg, "Content-Transfer-Encoding: base64\r\n\r\n");
	b64 = b64 != NULL ? strstr(b64 + 1, "Content-Transfer-Encoding: base64\r\n\r\n") : NULL;
	test_assert(b64 != NULL && strstr(b64 + 37, "\r\n") - (b64 + 37) == 76);
	m = mime_parse(msg, len, NULL);
	test_assert_inteq(m->n_attachments, 3);
	test_assert(m->body != NULL && strstr(m->body, "patch attached") != NULL);
	for (i = 0; i < m->n_attachments && i < 3; i++) {
		test_assert_streq(m->attachments[i].filename, f[i].name);
		test_assert_inteq(m->attachments[i].size, f[i].size);
		sha256_hex(f[i].data, f[i].size, hash);
		test_assert_streq(m->attachments[i].sha256, hash);
	}
	test_assert(m->n_warnings == 0);
	mime_msg_free(&m);
	/* RFC 2231 for the non-ASCII names, in sections when long */
	test_assert(strstr(msg, "filename*0*=UTF-8''%E9%9A%9C") != NULL);
	test_assert(strstr(msg, "filename*=UTF-8''K%C3%A4ytt%C3%B6ohje.pdf") != NULL);
	test_assert(strstr(msg, "filename=\"fix-1234.patch\"") != NULL);
	test_assert(strstr(msg, "name=\"=?UTF-8?") != NULL);
	free(msg);
	test_end();

	test_begin("compose: message/ and odd types go as application/octet-stream; no name injects a header");
	base(&c);
	f[0].name = "orig.eml";
	f[0].content_type = "message/rfc822";
	f[0].data = "Subject: x\r\n\r\nhi\r\n";
	f[0].size = strlen(f[0].data);
	f[1].name = "a\r\nBcc: evil@example.com\r\n.txt";
	f[1].content_type = "text/plain\r\nBcc: evil@example.com";
	f[1].data = "x";
	f[1].size = 1;
	c.files = f;
	c.n_files = 2;
	msg = compose_message(&c, &len);
	test_assert(msg != NULL && strstr(msg, "Content-Type: application/octet-stream; name=\"orig.eml\"") != NULL);
	test_assert(strstr(msg, "\r\nBcc:") == NULL);
	test_assert(lines_at_most(msg, 76));
	m = mime_parse(msg, len, NULL);
	test_assert_inteq(m->n_attachments, 2);
	mime_msg_free(&m);
	free(msg);
	test_end();

	test_begin("compose: the boundary is found in no part");
	base(&c);
	c.files = f;
	c.n_files = 1;
	msg = compose_message(&c, &len);
	b64 = msg != NULL ? strstr(msg, "boundary=\"") : NULL;
	test_assert(b64 != NULL);
	if (b64 != NULL) {
		char bnd[80], body[200];

		snprintf(bnd, sizeof(bnd), "%.*s", (int)(strchr(b64 + 10, '"') - b64 - 10), b64 + 10);
		free(msg);
		/* the same message again, its text holding that boundary line */
		snprintf(body, sizeof(body), "before\n--%s\nafter\n", bnd);
		c.body = body;
		msg = compose_message(&c, &len);
		test_assert(msg != NULL && strstr(msg, bnd) != NULL);
		m = mime_parse(msg, len, NULL);
		test_assert_inteq(m->n_attachments, 1);
		test_assert(m->body != NULL && strstr(m->body, "after") != NULL);
		mime_msg_free(&m);
	}
	free(msg);
	test_end();
}

int
main(void)
{
	test_basic();
	test_date();
	test_all_headers();
	test_injection();
	test_subjects();
	test_names();
	test_bodies();
	test_references();
	test_templates();
	test_files();
	return test_done();
}
