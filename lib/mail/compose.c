/*
 * compose: build outgoing messages.
 *
 * Every header is written through struct hdr, which places space-separated
 * words and folds (CRLF SP) before a word that would take the line past
 * LINE_WIDTH.  Words never contain CR or LF: each field is sanitised on
 * the way in, so nothing a sender controls can start a header line.
 */
#include "compose.h"
#include "sha256.h"
#include "utf8.h"
#include "xmalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* Characters on a header line before CRLF; RFC 5322 asks for < 78. */
#define LINE_WIDTH 76
/* RFC 2047: an encoded word is at most 75 characters. */
#define WORD_MAX 75
/* Longest body line sent as 7bit (RFC 5322: 998 without CRLF). */
#define BODY_LINE_MAX 998

/* ---- small helpers ---- */

struct words {
	char **v;
	size_t n, cap;
};

static void
words_add(struct words *w, char *s)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
	}
	w->v[w->n++] = s;
}

static void
words_free(struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	w->v = NULL;
	w->n = w->cap = 0;
}

/* Length of the UTF-8 character at s; a stray byte counts as one. */
static size_t
utf8_len(const unsigned char *s, size_t avail)
{
	size_t n = utf8_decode(s, avail, NULL, NULL);

	return n > 0 ? n : 1;
}

/*
 * A copy of s for an unstructured field or a phrase: control characters
 * (CR, LF, NUL can't be here, TAB, ...) become spaces, blanks at both
 * ends go, and at most max bytes are kept (cut on a character boundary).
 */
static char *
text_sanitise(const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)u), i, cl, start, end;
	struct buf b = BUF_INIT;
	char *r;

	for (i = 0; i < len; i += cl) {
		cl = utf8_len(u + i, len - i);
		if (b.len + cl > max)
			break;
		if (cl == 1 && (u[i] < 0x20 || u[i] == 0x7F))
			buf_addc(&b, ' ');
		else
			buf_add(&b, u + i, cl);
	}
	start = 0;
	end = b.len;
	while (start < end && b.data[start] == ' ')
		start++;
	while (end > start && b.data[end - 1] == ' ')
		end--;
	r = xstrndup(buf_str(&b) + start, end - start);
	buf_release(&b);
	return r;
}

/* Printable ASCII that cannot be mistaken for an encoded word. */
static int
plain_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
			return 0;
	return 1;
}

static int
needs_encoding(const char *s)
{
	return !plain_ascii(s) || strstr(s, "=?") != NULL;
}

/*
 * Split s at single spaces into words whose joining with " " gives s back
 * (a run of spaces stays at the front of the next word).  s has no blank
 * at its end.
 */
static void
split_spaces(const char *s, struct words *out)
{
	const char *start = s, *p;

	for (p = s; *p != '\0'; p++) {
		if (*p == ' ' && p > start && p[-1] != ' ') {
			words_add(out, xstrndup(start, (size_t)(p - start)));
			start = p + 1;
		}
	}
	if (*start != '\0')
		words_add(out, xstrdup(start));
}

/* ---- RFC 2047 ---- */

/* Q encoding that is also safe inside a phrase (RFC 2047 section 5 (3)). */
static int
q_literal(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
		c == '-' || c == '/';
}

static size_t
q_size(unsigned char c)
{
	return c == ' ' || q_literal(c) ? 1 : 3;
}

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
b64_add(struct buf *out, const unsigned char *s, size_t len)
{
	unsigned int v;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned int)s[i] << 16 | (unsigned int)s[i + 1] << 8 | s[i + 2];
		buf_addc(out, b64_alphabet[v >> 18]);
		buf_addc(out, b64_alphabet[(v >> 12) & 63]);
		buf_addc(out, b64_alphabet[(v >> 6) & 63]);
		buf_addc(out, b64_alphabet[v & 63]);
	}
	if (i < len) {
		v = (unsigned int)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned int)s[i + 1] << 8;
		buf_addc(out, b64_alphabet[v >> 18]);
		buf_addc(out, b64_alphabet[(v >> 12) & 63]);
		buf_addc(out, i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=');
		buf_addc(out, '=');
	}
}

static size_t
b64_size(size_t n)
{
	return (n + 2) / 3 * 4;
}

/*
 * Encode s (sanitised, non-empty) as encoded words: the first at most
 * first_max characters, the others at most WORD_MAX.  B or Q, whichever
 * is shorter overall; characters are never split between words.
 */
static void
encode_words(const char *s, size_t first_max, struct words *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), q_total = 0, i, start, cl, k, enc, max = first_max;
	struct buf w = BUF_INIT;
	int use_b;

	/* Q reads better for mostly-Latin text: prefer it unless B saves a third. */
	for (i = 0; i < len; i++)
		q_total += q_size(u[i]);
	use_b = 3 * b64_size(len) < 2 * q_total;

	i = 0;
	while (i < len) {
		start = i;
		enc = 0;
		while (i < len) {
			size_t add = 0;

			cl = utf8_len(u + i, len - i);
			if (use_b) {
				if (12 + b64_size(i + cl - start) > max)
					break;
			} else {
				for (k = 0; k < cl; k++)
					add += q_size(u[i + k]);
				if (12 + enc + add > max)
					break;
				enc += add;
			}
			i += cl;
		}
		if (i == start)		/* max too small for one character */
			i += utf8_len(u + i, len - i);

		buf_reset(&w);
		buf_adds(&w, use_b ? "=?UTF-8?B?" : "=?UTF-8?Q?");
		if (use_b) {
			b64_add(&w, u + start, i - start);
		} else {
			for (k = start; k < i; k++) {
				if (u[k] == ' ')
					buf_addc(&w, '_');
				else if (q_literal(u[k]))
					buf_addc(&w, (char)u[k]);
				else
					buf_addf(&w, "=%02X", u[k]);
			}
		}
		buf_adds(&w, "?=");
		words_add(out, xstrdup(buf_str(&w)));
		max = WORD_MAX;
	}
	buf_release(&w);
}

char *
compose_rfc2047_encode(const char *utf8, size_t offset)
{
	struct words w = { NULL, 0, 0 };
	struct buf b = BUF_INIT;
	char *text = text_sanitise(utf8, (size_t)-1);
	size_t i, col = offset, first_max = WORD_MAX;
	int fold_first = 0;

	if (!needs_encoding(text))
		return text;
	if (offset + 20 > LINE_WIDTH)
		fold_first = 1;
	else if (offset + WORD_MAX > LINE_WIDTH)
		first_max = LINE_WIDTH - offset;
	encode_words(text, first_max, &w);
	free(text);
	for (i = 0; i < w.n; i++) {
		size_t len = strlen(w.v[i]);

		if ((i == 0 && fold_first) || (i > 0 && col + 1 + len > LINE_WIDTH)) {
			buf_adds(&b, "\r\n ");
			col = 1;
		} else if (i > 0) {
			buf_addc(&b, ' ');
			col++;
		}
		buf_adds(&b, w.v[i]);
		col += len;
	}
	words_free(&w);
	return buf_detach(&b, NULL);
}

/* ---- header writer ---- */

struct hdr {
	struct buf *b;
	size_t col;
};

static void
hdr_begin(struct hdr *h, struct buf *b, const char *name)
{
	h->b = b;
	buf_adds(b, name);
	buf_addc(b, ':');
	h->col = strlen(name) + 1;
}

/* One word, after a space or a fold. */
static void
hdr_word(struct hdr *h, const char *w, size_t len)
{
	if (h->col + 1 + len > LINE_WIDTH && h->col > 1) {
		buf_add(h->b, "\r\n ", 3);
		h->col = 1;
	} else {
		buf_addc(h->b, ' ');
		h->col++;
	}
	buf_add(h->b, w, len);
	h->col += len;
}

static void
hdr_words(struct hdr *h, const struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		hdr_word(h, w->v[i], strlen(w->v[i]));
}

static void
hdr_end(struct hdr *h)
{
	buf_add(h->b, "\r\n", 2);
}

/* The column after placing words w from column col, as hdr_word would. */
static size_t
col_after(size_t col, const struct words *w)
{
	size_t i, len;

	for (i = 0; i < w->n; i++) {
		len = strlen(w->v[i]);
		if (col + 1 + len > LINE_WIDTH && col > 1)
			col = 1 + len;
		else
			col += 1 + len;
	}
	return col;
}

/* A word that cannot go out as it is: 8-bit, "=?", or too long to fold. */
static int
word_needs_encoding(const char *w)
{
	return needs_encoding(w) || strlen(w) + 1 > LINE_WIDTH;
}

/*
 * Words for an unstructured value: plain words stay plain (so "[SUP-12]"
 * is readable in the raw header); each run of words that need encoding
 * becomes encoded words, the spaces inside the run encoded with it.
 */
static void
unstructured_words(const char *value, size_t col, struct words *out)
{
	char *text = text_sanitise(value, (size_t)-1);
	struct words tok = { NULL, 0, 0 };
	struct buf run = BUF_INIT;
	size_t i = 0, first_max, c;

	split_spaces(text, &tok);
	while (i < tok.n) {
		if (!word_needs_encoding(tok.v[i])) {
			words_add(out, tok.v[i]);
			tok.v[i++] = NULL;
			continue;
		}
		buf_reset(&run);
		for (; i < tok.n && word_needs_encoding(tok.v[i]); i++) {
			if (run.len > 0)
				buf_addc(&run, ' ');
			buf_adds(&run, tok.v[i]);
		}
		/* Start on the current line when a fair part of it is free. */
		c = col_after(col, out);
		first_max = WORD_MAX;
		if (c + 1 + WORD_MAX > LINE_WIDTH && c + 1 + 20 <= LINE_WIDTH)
			first_max = LINE_WIDTH - c - 1;
		encode_words(buf_str(&run), first_max, out);
	}
	buf_release(&run);
	words_free(&tok);
	free(text);
}

static void
add_unstructured(struct buf *b, const char *name, const char *value)
{
	struct words w = { NULL, 0, 0 };
	struct hdr h;

	hdr_begin(&h, b, name);
	unstructured_words(value, h.col, &w);
	hdr_words(&h, &w);
	hdr_end(&h);
	words_free(&w);
}

/* ---- addresses ---- */

int
compose_address_valid(const char *address)
{
	const char *at, *p;
	size_t len;

	if (address == NULL)
		return 0;
	len = strlen(address);
	if (len == 0 || len > COMPOSE_MAX_ADDRESS)
		return 0;
	for (p = address; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7F || strchr("<>()[],;:\"\\", c) != NULL)
			return 0;
	}
	at = strchr(address, '@');
	if (at == NULL || at == address || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	return 1;
}

/* RFC 5322 specials: a phrase holding one must be quoted. */
static int
has_specials(const char *s)
{
	return strpbrk(s, "()<>[]:;@\\,.\"") != NULL;
}

/* The words of "name <address>" (or "address"), plus a comma if asked. */
static void
mailbox_words(const struct compose_addr *a, int comma, struct words *out)
{
	char *name = text_sanitise(a->name, COMPOSE_MAX_NAME);
	struct words nw = { NULL, 0, 0 };
	struct buf q = BUF_INIT;
	const char *p;
	size_t i;

	if (*name == '\0') {
		words_add(out, xasprintf("%s%s", a->address, comma ? "," : ""));
		free(name);
		return;
	}
	if (needs_encoding(name)) {
		encode_words(name, WORD_MAX, &nw);
	} else if (has_specials(name)) {
		buf_addc(&q, '"');
		for (p = name; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_addc(&q, '\\');
			buf_addc(&q, *p);
		}
		buf_addc(&q, '"');
		split_spaces(buf_str(&q), &nw);
		buf_release(&q);
	} else {
		split_spaces(name, &nw);
	}
	/* A word too long to fold: encoded words can be split. */
	for (i = 0; i < nw.n; i++) {
		if (strlen(nw.v[i]) + 1 > LINE_WIDTH) {
			words_free(&nw);
			encode_words(name, WORD_MAX, &nw);
			break;
		}
	}
	for (i = 0; i < nw.n; i++)
		words_add(out, nw.v[i]);
	free(nw.v);
	words_add(out, xasprintf("<%s>%s", a->address, comma ? "," : ""));
	free(name);
}

static void
add_addresses(struct buf *b, const char *name, const struct compose_addr *a,
	      size_t n)
{
	struct words w = { NULL, 0, 0 };
	struct hdr h;
	size_t i;

	hdr_begin(&h, b, name);
	for (i = 0; i < n; i++)
		mailbox_words(&a[i], i + 1 < n, &w);
	hdr_words(&h, &w);
	hdr_end(&h);
	words_free(&w);
}

/* ---- message ids ---- */

/*
 * The id without what could break out of "<...>": controls, blanks, 8-bit
 * bytes and the specials < > ( ) " , : ; \.  NULL when nothing is left
 * or the id is absurdly long.
 */
static char *
id_sanitise(const char *id)
{
	struct buf b = BUF_INIT;
	const char *p;

	if (id == NULL)
		return NULL;
	for (p = id; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c > 0x20 && c < 0x7F && strchr("<>()\",:;\\", c) == NULL)
			buf_addc(&b, (char)c);
	}
	if (b.len == 0 || b.len > COMPOSE_MAX_ID) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static void
add_ids(struct buf *b, const char *name, const char *const *ids, size_t n)
{
	struct words w = { NULL, 0, 0 };
	struct hdr h;
	size_t i;
	char *id;

	for (i = 0; i < n; i++) {
		id = id_sanitise(ids[i]);
		if (id == NULL)
			continue;
		words_add(&w, xasprintf("<%s>", id));
		free(id);
	}
	/* Keep the thread's root and its most recent ids. */
	if (w.n > COMPOSE_MAX_REFERENCES) {
		size_t drop = w.n - COMPOSE_MAX_REFERENCES;

		for (i = 1; i <= drop; i++)
			free(w.v[i]);
		memmove(&w.v[1], &w.v[1 + drop], (w.n - 1 - drop) * sizeof(*w.v));
		w.n -= drop;
	}
	if (w.n > 0) {
		hdr_begin(&h, b, name);
		hdr_words(&h, &w);
		hdr_end(&h);
	}
	words_free(&w);
}

/* ---- extra headers ---- */

/* Headers compose writes itself (and Bcc): extra ones may not add them. */
static const char *const reserved_headers[] = {
	"Date", "From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject",
	"Message-ID", "In-Reply-To", "References", "Auto-Submitted",
	"X-Auto-Response-Suppress", "X-Loop", "MIME-Version", "Return-Path",
};

static int
header_name_ok(const char *name)
{
	const char *p;
	size_t i;

	if (name == NULL || *name == '\0' || strlen(name) > 70)
		return 0;
	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7F || *p == ':')
			return 0;
	for (i = 0; i < N_ELEMENTS(reserved_headers); i++)
		if (strcasecmp(name, reserved_headers[i]) == 0)
			return 0;
	if (strncasecmp(name, "Content-", 8) == 0)
		return 0;
	return 1;
}

/* ---- body ---- */

/* s with CRLF line ends, ending in CRLF unless empty. */
static void
body_normalise(const char *s, struct buf *out)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\r') {
			if (s[1] == '\n')
				s++;
			buf_add(out, "\r\n", 2);
		} else if (*s == '\n') {
			buf_add(out, "\r\n", 2);
		} else {
			buf_addc(out, *s);
		}
	}
	if (out->len > 0 && (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2) != 0))
		buf_add(out, "\r\n", 2);
}

static int
body_is_7bit(const struct buf *body)
{
	size_t i, line = 0;

	for (i = 0; i < body->len; i++) {
		unsigned char c = (unsigned char)body->data[i];

		if (c >= 0x80 || c == 0)
			return 0;
		if (c == '\r') {
			line = 0;
			i++;	/* the LF: normalised */
			continue;
		}
		line++;
		if (line > BODY_LINE_MAX)
			return 0;
	}
	return 1;
}

/* Quoted-printable (RFC 2045 6.7) of CRLF text, lines of at most 76. */
static void
qp_encode(const struct buf *body, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)body->data;
	size_t len = body->len, i, col = 0, n;
	char *o;
	int at_eol;

	/* At most three characters a byte, and a soft break every 24 bytes. */
	buf_grow(out, len * 3 + (len / 24 + 1) * 3);
	o = out->data + out->len;
	for (i = 0; i < len; i++) {
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
			i++;
			continue;
		}
		at_eol = i + 1 == len || s[i + 1] == '\r';
		n = (s[i] >= 33 && s[i] <= 126 && s[i] != '=') ||
			((s[i] == ' ' || s[i] == '\t') && !at_eol) ? 1 : 3;
		/* Room for the "=" of a soft break, unless the line ends here. */
		if (col + n > 75 && !(at_eol && col + n <= 76)) {
			*o++ = '=';
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
		}
		if (n == 1) {
			*o++ = (char)s[i];
		} else {
			*o++ = '=';
			*o++ = hex[s[i] >> 4];
			*o++ = hex[s[i] & 15];
		}
		col += n;
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
}

/* Base64 in lines of 76 characters (57 bytes), each ending in CRLF. */
static void
b64_encode_lines(const char *data, size_t len, struct buf *out)
{
	size_t i, n;

	buf_grow(out, b64_size(len) + (len + 56) / 57 * 2);
	for (i = 0; i < len; i += 57) {
		n = len - i < 57 ? len - i : 57;
		b64_add(out, (const unsigned char *)data + i, n);
		buf_add(out, "\r\n", 2);
	}
}

/*
 * The text part: its Content-Type and Content-Transfer-Encoding, the
 * blank line, the encoded text.  *is_7bit_r: the text went out as it is
 * (so a boundary must be checked against it).
 */
static void
add_text_part(struct buf *b, const char *text, int *is_7bit_r)
{
	struct buf body = BUF_INIT, qp = BUF_INIT;
	size_t b64_len;

	body_normalise(text, &body);
	buf_adds(b, "Content-Type: text/plain; charset=UTF-8\r\n");
	*is_7bit_r = body_is_7bit(&body);
	if (*is_7bit_r) {
		buf_adds(b, "Content-Transfer-Encoding: 7bit\r\n\r\n");
		buf_add(b, body.data, body.len);
	} else {
		qp_encode(&body, &qp);
		b64_len = b64_size(body.len) + (body.len + 56) / 57 * 2;
		if (qp.len <= b64_len) {
			buf_adds(b, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
			buf_add(b, qp.data, qp.len);
		} else {
			buf_adds(b, "Content-Transfer-Encoding: base64\r\n\r\n");
			b64_encode_lines(body.data, body.len, b);
		}
	}
	buf_release(&qp);
	buf_release(&body);
}

/* ---- attachments ---- */

/* RFC 2045 token characters. */
static int
token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7F && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

int
compose_type_valid(const char *type)
{
	const char *slash = type != NULL ? strchr(type, '/') : NULL, *p;

	if (slash == NULL || slash == type || slash[1] == '\0')
		return 0;
	for (p = type; *p != '\0'; p++)
		if (p != slash && !token_char((unsigned char)*p))
			return 0;
	return 1;
}

/* type when it is valid and may go base64, else application/octet-stream. */
static const char *
file_type(const char *type)
{
	if (!compose_type_valid(type))
		return "application/octet-stream";
	/* message/ and multipart/ bodies may not be base64 (RFC 2046 5.1, 5.2) */
	if (strncasecmp(type, "message/", 8) == 0 || strncasecmp(type, "multipart/", 10) == 0)
		return "application/octet-stream";
	return type;
}

/* Short printable ASCII without quotes or backslashes: a plain quoted string will do. */
static int
name_plain(const char *name)
{
	const char *p;

	if (strlen(name) > 60)
		return 0;
	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7E || *p == '"' || *p == '\\')
			return 0;
	return 1;
}

/* RFC 2231 attribute-char: these go as they are, everything else as %XX. */
static int
attr_char(unsigned char c)
{
	return token_char(c) && c != '*' && c != '\'' && c != '%';
}

/* RFC 2231 sections of at most 60 characters, each a whole number of UTF-8 characters. */
static void
rfc2231_words(const char *param, const char *name, struct words *out)
{
	const unsigned char *u = (const unsigned char *)name;
	size_t len = strlen(name), i, cl, k;
	struct buf seg = BUF_INIT, ch = BUF_INIT;
	unsigned int n = 0;

	buf_adds(&seg, "UTF-8''");
	for (i = 0; i < len; i += cl) {
		cl = utf8_len(u + i, len - i);
		buf_reset(&ch);
		for (k = 0; k < cl; k++) {
			if (attr_char(u[i + k]))
				buf_addc(&ch, (char)u[i + k]);
			else
				buf_addf(&ch, "%%%02X", u[i + k]);
		}
		if (seg.len + ch.len > 60) {
			words_add(out, xasprintf("%s*%u*=%s;", param, n++, buf_str(&seg)));
			buf_reset(&seg);
		}
		buf_add(&seg, ch.data, ch.len);
	}
	if (n == 0)
		words_add(out, xasprintf("%s*=%s", param, buf_str(&seg)));
	else
		words_add(out, xasprintf("%s*%u*=%s", param, n, buf_str(&seg)));
	buf_release(&seg);
	buf_release(&ch);
}

/* name="…" as RFC 2047 words (a plain quoted string when the name allows). */
static void
rfc2047_param_words(const char *param, const char *name, struct words *out)
{
	struct words w = { NULL, 0, 0 };
	char *first, *last;
	size_t i;

	if (name_plain(name)) {
		words_add(out, xasprintf("%s=\"%s\"", param, name));
		return;
	}
	encode_words(name, WORD_MAX - strlen(param) - 3, &w);
	/* the quotes go around all the words: name="=?…?= =?…?=" */
	first = w.v[0];
	w.v[0] = xasprintf("%s=\"%s", param, first);
	free(first);
	last = w.v[w.n - 1];
	w.v[w.n - 1] = xasprintf("%s\"", last);
	free(last);
	for (i = 0; i < w.n; i++)
		words_add(out, w.v[i]);
	free(w.v);
}

static void
add_file_part(struct buf *b, const struct compose_file *f)
{
	const char *name = f->name != NULL && f->name[0] != '\0' ? f->name : "attachment";
	char *clean = text_sanitise(name, COMPOSE_MAX_FILENAME);
	struct words w = { NULL, 0, 0 };
	struct hdr h;

	if (clean[0] == '\0') {
		free(clean);
		clean = xstrdup("attachment");
	}
	hdr_begin(&h, b, "Content-Type");
	words_add(&w, xasprintf("%s;", file_type(f->content_type)));
	rfc2047_param_words("name", clean, &w);
	hdr_words(&h, &w);
	hdr_end(&h);
	words_free(&w);
	hdr_begin(&h, b, "Content-Disposition");
	words_add(&w, xstrdup("attachment;"));
	if (name_plain(clean))
		words_add(&w, xasprintf("filename=\"%s\"", clean));
	else
		rfc2231_words("filename", clean, &w);
	hdr_words(&h, &w);
	hdr_end(&h);
	words_free(&w);
	buf_adds(b, "Content-Transfer-Encoding: base64\r\n\r\n");
	b64_encode_lines(f->data != NULL ? f->data : "", f->data != NULL ? f->size : 0, b);
	free(clean);
}

/* A boundary found in no 7bit text part (base64 and QP cannot hold "=_"). */
static char *
make_boundary(const struct compose *c, const char *text_part, int text_7bit)
{
	char hex[SHA256_HEX_SIZE], *bnd, *seed;
	unsigned int k;

	seed = xasprintf("%s %lld %s", c->message_id != NULL ? c->message_id : "",
			 (long long)c->date, c->body != NULL ? c->body : "");
	sha256_hex(seed, strlen(seed), hex);
	free(seed);
	hex[24] = '\0';
	for (k = 0;; k++) {
		bnd = k == 0 ? xasprintf("=_tkd_%s", hex) : xasprintf("=_tkd_%s_%u", hex, k);
		if (!text_7bit || strstr(text_part, bnd) == NULL)
			return bnd;
		free(bnd);
	}
}

static void
add_body(struct buf *b, const struct compose *c)
{
	struct buf text = BUF_INIT;
	char *bnd;
	size_t i;
	int is_7bit;

	buf_adds(b, "MIME-Version: 1.0\r\n");
	if (c->n_files == 0) {
		add_text_part(b, c->body, &is_7bit);
		return;
	}
	add_text_part(&text, c->body, &is_7bit);
	bnd = make_boundary(c, buf_str(&text), is_7bit);
	buf_addf(b, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n", bnd);
	buf_adds(b, "This is a multi-part message in MIME format.\r\n");
	buf_addf(b, "\r\n--%s\r\n", bnd);
	buf_add(b, text.data, text.len);
	for (i = 0; i < c->n_files; i++) {
		buf_addf(b, "\r\n--%s\r\n", bnd);
		add_file_part(b, &c->files[i]);
	}
	buf_addf(b, "\r\n--%s--\r\n", bnd);
	buf_release(&text);
	free(bnd);
}

/* ---- the message ---- */

static void
add_date(struct buf *b, time_t t)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
	};
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 1900) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	buf_addf(b, "Date: %s, %d %s %04d %02d:%02d:%02d +0000\r\n",
		 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int
addresses_valid(const struct compose_addr *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!compose_address_valid(a[i].address))
			return 0;
	return 1;
}

char *
compose_message(const struct compose *c, size_t *len_r)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (!compose_address_valid(c->from.address) ||
	    !addresses_valid(c->to, c->n_to) || !addresses_valid(c->cc, c->n_cc) ||
	    (c->reply_to != NULL && !compose_address_valid(c->reply_to->address)))
		return NULL;

	add_date(&b, c->date);
	add_addresses(&b, "From", &c->from, 1);
	if (c->n_to > 0)
		add_addresses(&b, "To", c->to, c->n_to);
	if (c->n_cc > 0)
		add_addresses(&b, "Cc", c->cc, c->n_cc);
	if (c->reply_to != NULL)
		add_addresses(&b, "Reply-To", c->reply_to, 1);
	add_unstructured(&b, "Subject", c->subject != NULL ? c->subject : "");
	add_ids(&b, "Message-ID", &c->message_id, c->message_id != NULL ? 1 : 0);
	add_ids(&b, "In-Reply-To", &c->in_reply_to, c->in_reply_to != NULL ? 1 : 0);
	add_ids(&b, "References", c->references, c->n_references);
	if (c->auto_submitted != NULL)
		add_unstructured(&b, "Auto-Submitted", c->auto_submitted);
	buf_adds(&b, "X-Auto-Response-Suppress: All\r\n");
	if (c->x_loop != NULL)
		add_unstructured(&b, "X-Loop", c->x_loop);
	for (i = 0; i < c->n_extra; i++)
		if (header_name_ok(c->extra[i].name))
			add_unstructured(&b, c->extra[i].name,
					 c->extra[i].value != NULL ? c->extra[i].value : "");
	add_body(&b, c);
	return buf_detach(&b, len_r);
}
