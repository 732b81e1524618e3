/*
 * rfc2047: header text to UTF-8.
 *
 * Encoded words are taken wherever they parse, as mail clients do, and
 * broken ones are tolerated: lowercase b/q, spaces inside, a missing "?=".
 * The bytes of adjacent words in one charset are joined before they are
 * converted, so a character split across two words comes out whole; a
 * base64 word cut in the middle of a quantum carries its bits over.
 */
#include "rfc2047.h"
#include "base64.h"
#include "charset.h"
#include "str.h"
#include "xmalloc.h"

#include <string.h>
#include <strings.h>

/* Longest charset name taken from an encoded word or a RFC 2231 value. */
#define RFC2047_CHARSET_MAX 64

struct word {
	const char *charset;	/* in the input, charset_len bytes */
	size_t charset_len;
	char encoding;		/* 'B' or 'Q' */
	const char *text;	/* the encoded text, text_len bytes */
	size_t text_len;
	const char *end;	/* just after the word */
};

struct decoder {
	struct buf out;
	struct buf pend;	/* bytes of adjacent words not yet converted */
	char pend_charset[RFC2047_CHARSET_MAX + 1];	/* "" when none */
	char pend_encoding;
	struct base64_decoder b64;	/* bits of a word cut inside a quantum */
	const char *raw_charset;	/* of the text outside encoded words */
};

static int
is_charset_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == ':' || c == '*' || c == '+';
}

/* "=?charset?E?" at p: fill charset and encoding, w->text after it. */
static int
word_head(const char *p, const char *end, struct word *w)
{
	const char *q;

	if (end - p < 6 || p[0] != '=' || p[1] != '?')
		return -1;
	for (q = p + 2; q < end && is_charset_char(*q); q++)
		;
	if (q == p + 2 || q - (p + 2) > RFC2047_CHARSET_MAX)
		return -1;
	if (end - q < 3 || q[0] != '?' || q[2] != '?')
		return -1;
	if (q[1] == 'B' || q[1] == 'b')
		w->encoding = 'B';
	else if (q[1] == 'Q' || q[1] == 'q')
		w->encoding = 'Q';
	else
		return -1;
	w->charset = p + 2;
	w->charset_len = (size_t)(q - (p + 2));
	w->text = q + 3;
	return 0;
}

/*
 * The encoded word at p.  It ends at the first "?=".  Without one it is
 * broken: it ends where the next encoded word starts, or at the end, and
 * a base64 word ends at its first white space.
 */
static int
word_parse(const char *p, const char *end, struct word *w)
{
	const char *q, *stop = end, *first_wsp = NULL;
	struct word next;

	if (word_head(p, end, w) < 0)
		return -1;
	for (q = w->text; q < end; q++) {
		if (q[0] == '?' && q + 1 < end && q[1] == '=') {
			w->text_len = (size_t)(q - w->text);
			w->end = q + 2;
			return 0;
		}
		if (first_wsp == NULL && str_is_wsp(*q))
			first_wsp = q;
		if (q[0] == '=' && word_head(q, end, &next) == 0) {
			stop = q;
			break;
		}
	}
	if (w->encoding == 'B' && first_wsp != NULL && first_wsp < stop)
		stop = first_wsp;
	w->end = stop;
	while (stop > w->text && str_is_wsp(stop[-1]))
		stop--;
	w->text_len = (size_t)(stop - w->text);
	return 0;
}

/* The next encoded word at or after p, or NULL. */
static const char *
word_find(const char *p, const char *end, struct word *w)
{
	const char *q;

	while (p < end) {
		q = memchr(p, '=', (size_t)(end - p));
		if (q == NULL)
			break;
		if (word_parse(q, end, w) == 0)
			return q;
		p = q + 1;
	}
	return NULL;
}

static void
q_decode(struct buf *dst, const char *s, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			buf_addc(dst, ' ');
			continue;
		}
		if (s[i] == '=' && i + 2 < n) {
			hi = str_hex_value(s[i + 1]);
			lo = str_hex_value(s[i + 2]);
			if (hi >= 0 && lo >= 0) {
				buf_addc(dst, (char)(hi << 4 | lo));
				i += 2;
				continue;
			}
		}
		buf_addc(dst, s[i]);
	}
}

static void
flush_words(struct decoder *d)
{
	if (d->pend_charset[0] == '\0')
		return;
	charset_append_utf8(&d->out, d->pend_charset, d->pend.data, d->pend.len);
	buf_reset(&d->pend);
	d->pend_charset[0] = '\0';
	base64_decoder_init(&d->b64);
}

static int
same_charset(const char *a, const char *b)
{
	const char *ca, *cb;

	if (strcasecmp(a, b) == 0)
		return 1;
	ca = charset_canonical(a);
	cb = charset_canonical(b);
	return ca != NULL && cb != NULL && strcmp(ca, cb) == 0;
}

static void
add_word(struct decoder *d, const struct word *w)
{
	char charset[RFC2047_CHARSET_MAX + 1];

	memcpy(charset, w->charset, w->charset_len);
	charset[w->charset_len] = '\0';
	if (d->pend_charset[0] != '\0' && !same_charset(charset, d->pend_charset))
		flush_words(d);
	if (d->pend_charset[0] == '\0')
		memcpy(d->pend_charset, charset, w->charset_len + 1);
	if (w->encoding != d->pend_encoding)
		base64_decoder_init(&d->b64);
	d->pend_encoding = w->encoding;
	if (w->encoding == 'B') {
		/* Bits left over carry into the next word of the group,
		 * unless they are all zero (the word was merely unpadded). */
		base64_decode(&d->b64, w->text, w->text_len, &d->pend);
		base64_decoder_settle(&d->b64);
	} else {
		q_decode(&d->pend, w->text, w->text_len);
	}
}

static void
add_raw(struct decoder *d, const char *s, size_t n)
{
	flush_words(d);
	charset_append_utf8(&d->out, d->raw_charset, s, n);
}

static int
all_wsp(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!str_is_wsp(s[i]))
			return 0;
	}
	return 1;
}

/* Control characters (CR, LF, NUL, TAB ...) become spaces. */
static void
controls_to_space(struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		if (c < 0x20 || c == 0x7F)
			b->data[i] = ' ';
	}
}

char *
rfc2047_decode(const char *raw, size_t len)
{
	struct decoder d;
	struct buf text = BUF_INIT;
	struct word w;
	const char *p, *q, *end;
	size_t i, start;
	int after_word = 0;

	memset(&d, 0, sizeof(d));
	buf_init(&d.out);
	buf_init(&d.pend);
	/* unfold: folding only ever inserted CRLF */
	buf_grow(&text, len);
	for (i = 0; i < len; i++) {
		if (raw[i] != '\r' && raw[i] != '\n')
			buf_addc(&text, raw[i]);
	}
	p = text.data != NULL ? text.data : "";
	end = p + text.len;
	d.raw_charset = charset_detect(p, text.len);
	buf_grow(&d.out, text.len);
	while (p < end) {
		q = word_find(p, end, &w);
		if (q == NULL) {
			add_raw(&d, p, (size_t)(end - p));
			break;
		}
		/* white space between two encoded words goes */
		if (!(after_word && all_wsp(p, (size_t)(q - p))))
			add_raw(&d, p, (size_t)(q - p));
		add_word(&d, &w);
		after_word = 1;
		p = w.end;
	}
	flush_words(&d);
	buf_release(&d.pend);
	buf_release(&text);

	controls_to_space(&d.out);
	for (start = 0; start < d.out.len && d.out.data[start] == ' '; start++)
		;
	while (d.out.len > start && d.out.data[d.out.len - 1] == ' ')
		d.out.len--;
	if (start > 0)
		memmove(d.out.data, d.out.data + start, d.out.len - start);
	d.out.len -= start;
	if (d.out.data != NULL)
		d.out.data[d.out.len] = '\0';
	return buf_detach(&d.out, NULL);
}

char *
rfc2231_decode(const char *value)
{
	char charset[RFC2047_CHARSET_MAX + 1] = "";
	const char *q1, *q2, *text = value, *p, *lang;
	struct buf bytes = BUF_INIT, out = BUF_INIT;
	size_t n;
	int hi, lo;

	q1 = strchr(value, '\'');
	q2 = q1 != NULL ? strchr(q1 + 1, '\'') : NULL;
	if (q2 != NULL && (size_t)(q1 - value) <= RFC2047_CHARSET_MAX) {
		n = (size_t)(q1 - value);
		for (p = value; p < q1 && is_charset_char(*p); p++)
			;
		/* the language is a tag: no spaces or quotes */
		for (lang = q1 + 1; lang < q2 && (is_charset_char(*lang) || *lang == '-'); lang++)
			;
		if (p == q1 && lang == q2) {
			memcpy(charset, value, n);
			charset[n] = '\0';
			text = q2 + 1;
		}
	}
	for (p = text; *p != '\0'; p++) {
		hi = *p == '%' ? str_hex_value(p[1]) : -1;
		lo = hi >= 0 ? str_hex_value(p[2]) : -1;
		if (hi >= 0 && lo >= 0) {
			buf_addc(&bytes, (char)(hi << 4 | lo));
			p += 2;
		} else {
			buf_addc(&bytes, *p);
		}
	}
	charset_append_utf8(&out, charset[0] != '\0' ? charset : NULL,
	    bytes.data, bytes.len);
	buf_release(&bytes);
	controls_to_space(&out);
	return buf_detach(&out, NULL);
}
