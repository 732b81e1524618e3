/*
 * mime: one RFC 5322 / MIME message into struct mime_msg.
 *
 * The structure is split here, not by libetpan's mailmime_parse: a small
 * splitter that never recurses deeper than MIME_MAX_DEPTH, stops at
 * MIME_MAX_PARTS, reads each header once and survives the torture cases
 * (missing or clashing boundaries, LF or CRLF, no header at all); it
 * matches mime4j on its whole test corpus.  Addresses, Message-IDs and
 * dates are read by imf, transfer encodings decoded by cte.
 *
 * Bodies are decoded lazily: a node keeps its raw span until its bytes are
 * needed (parts inside an attached message are never decoded).  Charsets,
 * encoded words and HTML are other modules' work (charset, rfc2047, html);
 * the reply, the language and the classification are read from the
 * result by the caller (mail_read: reply, lang, classify).
 */
#include "mime.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "cte.h"
#include "html.h"
#include "imf.h"
#include "rfc2047.h"
#include "sha256.h"
#include "str.h"
#include "xmalloc.h"

#define MIME_MAX_WARNINGS   64     /* warnings kept per message */
#define MIME_MAX_PARAMS     64     /* parameters kept per Content-Type */
#define MIME_WARN_QUOTE     64     /* bytes of hostile text quoted in a warning */

/* One-time warnings. */
enum {
	WARN_DEPTH = 1 << 0,
	WARN_PARTS = 1 << 1,
	WARN_HEADER_SIZE = 1 << 2,
	WARN_MALFORMED = 1 << 3,
};

struct field {
	const char *name;
	size_t name_len;
	const char *value;        /* after the colon, folds kept */
	size_t value_len;
};

struct fieldv {
	struct field *v;
	size_t n;
	size_t cap;
	size_t body;              /* offset of the body */
};

struct param {
	char *name;               /* lowercase */
	char *value;              /* quotes removed */
};

struct paramv {
	struct param v[MIME_MAX_PARAMS];
	size_t n;
};

struct parser {
	struct mime_msg *m;       /* warnings go here */
	size_t n_nodes;
	unsigned warned;
	int keep_fields;
	/* 8-bit header text that is not UTF-8 (mime_parse only, see legacy_fields) */
	const char *hdr_charset;  /* second pass: the charset it is read in */
	struct buf raw8;          /* first pass: that text, for detection */
	char **owned;             /* second pass: the values converted to UTF-8 */
	size_t n_owned;
};

#define MIME_MAX_RAW8 4096        /* bytes of 8-bit header text kept for detection */

/* Copy of p[0..len) with folding line breaks removed and ends trimmed. */
static char *
unfold(const char *p, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i;

	str_trim_span(&p, &len);
	buf_grow(&b, len + 1);
	for (i = 0; i < len; i++) {
		if (p[i] != '\r' && p[i] != '\n')
			buf_addc(&b, p[i]);
	}
	return buf_detach(&b, NULL);
}

/* ------------------------------------------------------------------ */
/* warnings                                                             */

void
mime_warn(struct mime_msg *m, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (m->n_warnings >= MIME_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return;
	m->warnings = xrealloc(m->warnings, (m->n_warnings + 1) * sizeof(*m->warnings));
	m->warnings[m->n_warnings++] = s;
}

static void
warn_once(struct parser *ps, unsigned flag, const char *text)
{
	/* Past a limit the rest of that part is not read: say so for decide. */
	if (flag == WARN_DEPTH)
		ps->m->over |= MIME_OVER_DEPTH;
	else if (flag == WARN_PARTS)
		ps->m->over |= MIME_OVER_PARTS;
	else if (flag == WARN_HEADER_SIZE)
		ps->m->over |= MIME_OVER_HEADER;
	if (ps->warned & flag)
		return;
	ps->warned |= flag;
	mime_warn(ps->m, "%s", text);
}

void
mime_over_text(unsigned int over, char *out, size_t outlen)
{
	if (over & MIME_OVER_SIZE)
		snprintf(out, outlen, "the message is over the size limit");
	else if (over & MIME_OVER_HEADER)
		snprintf(out, outlen, "a header block is over MIME_MAX_HEADER_SIZE (%d bytes)",
			 MIME_MAX_HEADER_SIZE);
	else if (over & MIME_OVER_DEPTH)
		snprintf(out, outlen, "MIME parts nest deeper than MIME_MAX_DEPTH (%d)", MIME_MAX_DEPTH);
	else if (over & MIME_OVER_PARTS)
		snprintf(out, outlen, "more MIME parts than MIME_MAX_PARTS (%d)", MIME_MAX_PARTS);
	else if (over & MIME_OVER_LINE)
		snprintf(out, outlen, "a line is over MIME_MAX_LINE (%d bytes)", MIME_MAX_LINE);
	else
		snprintf(out, outlen, "no limit");
}

/* A printable, bounded quote of hostile text for a warning. */
static char *
warn_quote(const char *p, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < len && i < MIME_WARN_QUOTE; i++) {
		unsigned char c = (unsigned char)p[i];

		buf_addc(&b, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	if (len > MIME_WARN_QUOTE)
		buf_adds(&b, "...");
	return buf_detach(&b, NULL);
}

/* ------------------------------------------------------------------ */
/* header blocks                                                        */

/*
 * Length of the field name at the start of line[0..len) and the offset
 * just past its colon in *value_r; 0 when the line is not a field.
 */
static size_t
field_name(const char *line, size_t len, size_t *value_r)
{
	size_t i = 0, name_len;

	while (i < len && (unsigned char)line[i] > 32 && (unsigned char)line[i] < 127 &&
	       line[i] != ':')
		i++;
	name_len = i;
	while (i < len && str_is_wsp((unsigned char)line[i]))
		i++;
	if (name_len == 0 || i >= len || line[i] != ':')
		return 0;
	*value_r = i + 1;
	return name_len;
}

static void
fieldv_push(struct fieldv *fv, const char *name, size_t name_len,
	    const char *value, size_t value_len)
{
	if (fv->n == fv->cap) {
		fv->cap = fv->cap ? fv->cap * 2 : 16;
		fv->v = xrealloc(fv->v, fv->cap * sizeof(*fv->v));
	}
	fv->v[fv->n].name = name;
	fv->v[fv->n].name_len = name_len;
	fv->v[fv->n].value = value;
	fv->v[fv->n].value_len = value_len;
	fv->n++;
}

/*
 * Split the header block at the start of p[0..len) into fields.  Lines
 * that are not fields are skipped, except a first one: then there is no
 * header and everything is body.  The body starts after the empty line.
 */
static void
header_parse(struct parser *ps, const char *p, size_t len, int top, struct fieldv *fv)
{
	size_t i = 0, first = 0;
	int have_cur = 0;

	fv->n = 0;
	fv->body = len;
	if (top && len > 5 && memcmp(p, "From ", 5) == 0) {
		const char *nl = memchr(p, '\n', len);
		size_t end = nl ? (size_t)(nl - p) : len, value_off;

		if (field_name(p, end, &value_off) == 0) {
			i = nl ? end + 1 : len;  /* an mbox "From " line */
			first = i;
		}
	}
	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t start = i, end = nl ? (size_t)(nl - p) : len;
		size_t next = nl ? end + 1 : len, name_len, value_off;

		if (end > start && p[end - 1] == '\r')
			end--;
		i = next;
		if (end == start) {
			fv->body = next;
			return;
		}
		if (start >= MIME_MAX_HEADER_SIZE) {
			char text[64];

			snprintf(text, sizeof(text), "header block over %d bytes",
				 MIME_MAX_HEADER_SIZE);
			warn_once(ps, WARN_HEADER_SIZE, text);
			have_cur = 0;
			continue;
		}
		if (str_is_wsp((unsigned char)p[start])) {
			if (start == first) {
				fv->body = first;
				return;
			}
			if (have_cur) {
				struct field *f = &fv->v[fv->n - 1];

				f->value_len = (size_t)(p + end - f->value);
			}
			continue;
		}
		name_len = field_name(p + start, end - start, &value_off);
		if (name_len == 0) {
			if (start == first) {
				fv->body = first;
				return;
			}
			warn_once(ps, WARN_MALFORMED, "malformed header line skipped");
			have_cur = 0;
			continue;
		}
		fieldv_push(fv, p + start, name_len, p + start + value_off,
			    end - start - value_off);
		have_cur = 1;
	}
}

static const struct field *
fieldv_get(const struct fieldv *fv, const char *name)
{
	size_t i;

	for (i = 0; i < fv->n; i++) {
		if (str_span_eq_ci(fv->v[i].name, fv->v[i].name_len, name))
			return &fv->v[i];
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Content-Type / Content-Disposition parameters                       */

static void
params_release(struct paramv *pr)
{
	size_t i;

	for (i = 0; i < pr->n; i++) {
		free(pr->v[i].name);
		free(pr->v[i].value);
	}
	pr->n = 0;
}

/*
 * When p[i..] starts a parameter ("name=", blanks allowed before the
 * '='), the index of its '='; else 0.
 */
static size_t
param_start(const char *p, size_t len, size_t i)
{
	size_t j = i;

	while (j < len && (unsigned char)p[j] > 32 && (unsigned char)p[j] < 127 &&
	       strchr(";=\"(),<>", p[j]) == NULL)
		j++;
	if (j == i)
		return 0;
	while (j < len && str_is_wsp((unsigned char)p[j]))
		j++;
	return j < len && p[j] == '=' ? j : 0;
}

/*
 * The parameters of a structured value from p[i] on.  Parameters are
 * separated by ';', and also by mere white space when a client forgot
 * the ';' ("multipart/mixed\n\tboundary=b", "charset=utf-8 format=flowed").
 * An unquoted value runs to the next ';' or to a blank that starts
 * another parameter, so "filename=Rechnung 2023.pdf" keeps its blank.
 */
static void
params_parse(const char *p, size_t len, size_t i, struct paramv *pr)
{
	while (i < len && pr->n < MIME_MAX_PARAMS) {
		struct buf value = BUF_INIT;
		const char *name;
		size_t name_len, eq, start;

		i = imf_skip_cfws(p, len, i);
		if (i < len && p[i] == ';') {
			i++;
			continue;
		}
		eq = i < len ? param_start(p, len, i) : 0;
		if (eq == 0) {
			while (i < len && p[i] != ';')
				i++;    /* junk up to the next parameter */
			continue;
		}
		name = p + i;
		name_len = eq - i;
		str_trim_span(&name, &name_len);
		i = imf_skip_cfws(p, len, eq + 1);
		if (i < len && p[i] == '"') {
			i = imf_read_quoted(p, len, i, &value);
		} else {
			const char *v;
			size_t v_len, k;

			start = i;
			while (i < len && p[i] != ';' &&
			       !(str_is_space((unsigned char)p[i]) &&
				 param_start(p, len, imf_skip_cfws(p, len, i)) != 0))
				i++;
			v = p + start;
			v_len = i - start;
			str_trim_span(&v, &v_len);
			for (k = 0; k < v_len; k++) {
				if (v[k] != '\r' && v[k] != '\n')
					buf_addc(&value, v[k]);
			}
		}
		pr->v[pr->n].name = xstrndup(name, name_len);
		str_lower(pr->v[pr->n].name);
		pr->v[pr->n].value = buf_detach(&value, NULL);
		pr->n++;
	}
}

/*
 * Parse "type/subtype; params" (or "inline; params" when want_slash is 0).
 * Returns the lowercase type, or NULL when it is not valid.
 */
static char *
structured_parse(const char *p, size_t len, int want_slash, struct paramv *pr)
{
	size_t i = imf_skip_cfws(p, len, 0), start = i;
	char *type = NULL;

	while (i < len && p[i] != ';' && p[i] != '(' && !str_is_space((unsigned char)p[i]))
		i++;
	if (i > start) {
		const char *slash = memchr(p + start, '/', i - start);

		if (!want_slash || (slash != NULL && slash > p + start &&
				    slash < p + i - 1)) {
			type = xstrndup(p + start, i - start);
			str_lower(type);
		}
	}
	params_parse(p, len, i, pr);
	return type;
}

static const char *
param_get(const struct paramv *pr, const char *name)
{
	size_t i;

	for (i = 0; i < pr->n; i++) {
		if (strcmp(pr->v[i].name, name) == 0)
			return pr->v[i].value;
	}
	return NULL;
}

/* Section k of an RFC 2231 continuation of base; *ext_r when it is "*k*". */
static const char *
param_section(const struct paramv *pr, const char *base, size_t k, int *ext_r)
{
	char name[96];
	const char *v;

	snprintf(name, sizeof(name), "%s*%zu*", base, k);
	v = param_get(pr, name);
	if (v != NULL) {
		*ext_r = 1;
		return v;
	}
	*ext_r = 0;
	snprintf(name, sizeof(name), "%s*%zu", base, k);
	return param_get(pr, name);
}

/*
 * The decoded value of parameter base: RFC 2231 (single or continued,
 * with charset) before the plain one; encoded words and raw 8-bit in a
 * plain value are decoded too.  NULL when absent; the caller frees.
 */
static char *
param_decode(const struct paramv *pr, const char *base)
{
	char name[96];
	const char *v;
	struct buf b = BUF_INIT;
	int ext, first_ext = 0;
	size_t k;
	char *out;

	snprintf(name, sizeof(name), "%s*", base);
	v = param_get(pr, name);
	if (v != NULL)
		return rfc2231_decode(v);
	for (k = 0; k < MIME_MAX_PARAMS; k++) {
		v = param_section(pr, base, k, &ext);
		if (v == NULL)
			break;
		if (k == 0)
			first_ext = ext;
		if (first_ext && !ext) {
			for (; *v != '\0'; v++) {
				if (*v == '%')
					buf_adds(&b, "%25");
				else
					buf_addc(&b, *v);
			}
		} else {
			buf_adds(&b, v);
		}
	}
	if (k > 0) {
		if (first_ext)
			out = rfc2231_decode(buf_str(&b));
		else
			out = rfc2047_decode(buf_str(&b), b.len);
		buf_release(&b);
		return out;
	}
	v = param_get(pr, base);
	if (v == NULL)
		return NULL;
	return rfc2047_decode(v, strlen(v));
}

/* the tree                                                             */

static void node_release(struct mime_node *n);

/* Make n->data hold the decoded body (idempotent). */
static void
node_decode(struct mime_node *n)
{
	struct buf b = BUF_INIT;

	if (n->data != NULL || n->raw_body == NULL)
		return;
	cte_decode((enum cte)n->cte, n->raw_body, n->raw_len, &b);
	n->data = buf_detach(&b, &n->size);
}

static int
is_type(const struct mime_node *n, const char *type)
{
	return n->content_type != NULL && strcmp(n->content_type, type) == 0;
}

static void entity_parse(struct parser *ps, struct mime_node *n, const char *p,
			 size_t len, int depth, const char *default_type,
			 int is_message, struct fieldv *top_r);

static void
node_add_child(struct mime_node *n, const struct mime_node *child, size_t *cap)
{
	if (n->n_children == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		n->children = xrealloc(n->children, *cap * sizeof(*n->children));
	}
	n->children[n->n_children++] = *child;
}

/*
 * p[i..] inside p[0..len) starts with "--" and a boundary of blen bytes.
 * When that is a delimiter line (at a line start, then "--" for the
 * closing one, then the end or a blank after which anything is ignored)
 * return 1, or 2 for the closing one, with the offset of the next line in
 * *next_r; else 0.  So "--b-1" is not a delimiter of "b".
 */
static int
boundary_line(const char *p, size_t len, size_t i, size_t blen, size_t *next_r)
{
	size_t j = i + 2 + blen;
	const char *nl;
	int kind = 1;

	if (i > 0 && p[i - 1] != '\n')
		return 0;
	if (j + 1 < len && p[j] == '-' && p[j + 1] == '-') {
		kind = 2;
		j += 2;
	}
	/* anything after a blank is ignored (RFC 2046 5.1.1) */
	if (j < len && !str_is_space((unsigned char)p[j]))
		return 0;
	nl = memchr(p + j, '\n', len - j);
	*next_r = nl != NULL ? (size_t)(nl - p) + 1 : len;
	return kind;
}

/* End of the part that stops at the boundary line at b, not before start. */
static size_t
part_end(const char *p, size_t start, size_t b)
{
	size_t end = b;

	if (end > start && p[end - 1] == '\n')
		end--;
	if (end > start && p[end - 1] == '\r')
		end--;
	return end;
}

/* One body part of n; -1 (and a warning) when the part limit is reached. */
static int
multipart_add(struct parser *ps, struct mime_node *n, const char *p, size_t len,
	      int depth, size_t *cap)
{
	const char *child_type = strcmp(n->content_type, "multipart/digest") == 0 ?
		"message/rfc822" : "text/plain";
	struct mime_node child;

	if (ps->n_nodes >= MIME_MAX_PARTS) {
		char text[64];

		snprintf(text, sizeof(text), "mime part limit %d reached", MIME_MAX_PARTS);
		warn_once(ps, WARN_PARTS, text);
		return -1;
	}
	entity_parse(ps, &child, p, len, depth + 1, child_type, 0, NULL);
	node_add_child(n, &child, cap);
	return 0;
}

/*
 * Split the body p[0..len) of multipart n at its boundary lines.  Text
 * before the first is the preamble, after the closing one the epilogue
 * (both ignored).  Without a closing line the last part runs to the end;
 * without any boundary line the whole body is kept in n->data.
 */
static void
multipart_parse(struct parser *ps, struct mime_node *n, const char *p, size_t len,
		const char *bnd, int depth)
{
	size_t blen = strlen(bnd), from = 0, part_start = 0, cap = 0;
	char *delim = xasprintf("--%s", bnd);
	int in_part = 0, closed = 0;

	while (from < len && !closed) {
		const char *hit = memmem(p + from, len - from, delim, blen + 2);
		size_t i, next;
		int kind;

		if (hit == NULL)
			break;
		i = (size_t)(hit - p);
		kind = boundary_line(p, len, i, blen, &next);
		if (kind == 0) {
			from = i + 1;
			continue;
		}
		if (in_part && multipart_add(ps, n, p + part_start,
					     part_end(p, part_start, i) - part_start,
					     depth, &cap) < 0)
			break;
		from = part_start = next;
		in_part = 1;
		closed = kind == 2;
	}
	if (in_part && !closed) {
		mime_warn(ps->m, "missing closing boundary");
		/* a delimiter at the very end opens no part */
		if (part_start < len)
			multipart_add(ps, n, p + part_start, len - part_start, depth, &cap);
	}
	if (!in_part) {
		char *q = warn_quote(bnd, blen);

		mime_warn(ps->m, "missing boundary '%s'", q);
		free(q);
		n->data = xstrndup(p, len);
		n->size = len;
	}
	free(delim);
}

static void
fields_keep(struct mime_node *n, const struct fieldv *fv)
{
	size_t i;

	if (fv->n == 0)
		return;
	n->fields = xcalloc(fv->n, sizeof(*n->fields));
	for (i = 0; i < fv->n; i++) {
		const struct field *f = &fv->v[i];

		n->fields[i] = xstrndup(f->name, (size_t)(f->value + f->value_len - f->name));
	}
	n->n_fields = fv->n;
}

/*
 * Whether a desk lists n as an attachment: everything that is not the
 * text itself.  A part is text when it is text/plain or text/html with
 * no filename and no "attachment" disposition; every other leaf (other
 * text types such as text/enriched, text/calendar or text/rfc822-headers,
 * report parts such as message/delivery-status, PGP/MIME control and
 * signature parts, images, attached messages) is an attachment.
 */
static int
node_is_attachment(const struct mime_node *n, const char *disposition)
{
	if (n->type == MIME_NODE_MULTIPART)
		return 0;
	if (disposition != NULL && strcmp(disposition, "attachment") == 0)
		return 1;
	if (n->type == MIME_NODE_MESSAGE || n->filename != NULL)
		return 1;
	return !is_type(n, "text/plain") && !is_type(n, "text/html");
}

static void
depth_warn(struct parser *ps)
{
	char text[64];

	snprintf(text, sizeof(text), "mime depth limit %d reached", MIME_MAX_DEPTH);
	warn_once(ps, WARN_DEPTH, text);
}

/*
 * The transfer encoding of an entity.  With two Content-Transfer-Encoding
 * fields ("7bit", then "quoted-printable"), one that names an encoding
 * wins: decoding text that is not encoded keeps it, leaving an encoded
 * body undecoded does not.
 */
static int
fields_cte(const struct fieldv *fv)
{
	size_t i;
	enum cte cte = CTE_IDENTITY;

	for (i = 0; i < fv->n && cte == CTE_IDENTITY; i++) {
		if (str_span_eq_ci(fv->v[i].name, fv->v[i].name_len, "content-transfer-encoding"))
			cte = cte_parse(fv->v[i].value, fv->v[i].value_len);
	}
	return (int)cte;
}

/* An entity's own MIME fields into n; the disposition type in *disposition_r. */
static void
entity_fields(struct mime_node *n, const struct fieldv *fv, const char *default_type,
	      int want_subject, struct paramv *ct, char **disposition_r)
{
	struct paramv cd = { .n = 0 };
	const struct field *f;
	const char *v;

	f = fieldv_get(fv, "content-type");
	if (f != NULL)
		n->content_type = structured_parse(f->value, f->value_len, 1, ct);
	if (n->content_type == NULL)
		n->content_type = xstrdup(default_type);
	f = fieldv_get(fv, "content-disposition");
	if (f != NULL)
		*disposition_r = structured_parse(f->value, f->value_len, 0, &cd);
	n->cte = fields_cte(fv);
	f = want_subject ? fieldv_get(fv, "subject") : NULL;
	if (f != NULL) {
		const char *s = f->value;
		size_t s_len = f->value_len;

		str_trim_span(&s, &s_len);
		n->subject = rfc2047_decode(s, s_len);
	}
	f = fieldv_get(fv, "content-id");
	if (f != NULL)
		n->content_id = imf_id_first(f->value, f->value_len, 1);
	f = fieldv_get(fv, "content-location");
	if (f != NULL)
		n->content_location = unfold(f->value, f->value_len);
	v = param_get(ct, "charset");
	if (v != NULL) {
		n->charset = xstrdup(v);
		str_lower(n->charset);
	}
	v = param_get(ct, "format");
	n->flowed = v != NULL && strcasecmp(v, "flowed") == 0;
	v = param_get(ct, "delsp");
	n->delsp = v != NULL && strcasecmp(v, "yes") == 0;
	n->filename = param_decode(&cd, "filename");
	if (n->filename == NULL)
		n->filename = param_decode(ct, "name");
	params_release(&cd);
}

/* message/rfc822: the enclosed message, decoded first when encoded. */
static void
message_parse(struct parser *ps, struct mime_node *n, int depth)
{
	n->type = MIME_NODE_MESSAGE;
	if (n->cte != CTE_IDENTITY)
		node_decode(n);
	n->children = xcalloc(1, sizeof(*n->children));
	n->n_children = 1;
	if (n->data != NULL)
		entity_parse(ps, &n->children[0], n->data, n->size, depth + 1,
			     "text/plain", 1, NULL);
	else
		entity_parse(ps, &n->children[0], n->raw_body, n->raw_len, depth + 1,
			     "text/plain", 1, NULL);
}

/* What is below a container entity: body parts or an enclosed message. */
static void
entity_content(struct parser *ps, struct mime_node *n, const struct paramv *ct, int depth)
{
	int multipart = str_has_prefix_ci(n->content_type, "multipart/");
	const char *bnd = param_get(ct, "boundary");

	if (!multipart && !is_type(n, "message/rfc822") && !is_type(n, "message/global"))
		return;
	if (depth >= MIME_MAX_DEPTH) {
		depth_warn(ps);
	} else if (!multipart) {
		message_parse(ps, n, depth);
	} else if (bnd == NULL || *bnd == '\0') {
		mime_warn(ps->m, "missing boundary");
		free(n->content_type);
		n->content_type = xstrdup("text/plain");
	} else {
		n->type = MIME_NODE_MULTIPART;
		multipart_parse(ps, n, n->raw_body, n->raw_len, bnd, depth);
	}
}

/* 1 when p[0..len) holds 8-bit bytes and is not UTF-8. */
static int
legacy_8bit(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && (unsigned char)p[i] < 0x80)
		i++;
	return i < len && !charset_is_utf8(p, len);
}

/*
 * Header values with raw 8-bit text in a legacy charset and no encoded
 * words (Foxmail's GB2312 Subject, a Shift_JIS From name).  The first
 * pass of mime_parse collects them, so that the charset is found as for
 * a body (the text's label, else uchardet on all of them at once); the
 * second converts each value to UTF-8 before anything reads it, so that
 * a Shift_JIS byte such as 0x5C ('\\') or 0x40 ('@') is never structure.
 */
static void
legacy_fields(struct parser *ps, struct fieldv *fv)
{
	size_t i, n, clen;
	char *conv;

	for (i = 0; i < fv->n; i++) {
		struct field *f = &fv->v[i];

		if (!legacy_8bit(f->value, f->value_len))
			continue;
		if (ps->hdr_charset == NULL) {
			n = f->value_len;
			if (ps->raw8.len + n + 1 > MIME_MAX_RAW8)
				n = ps->raw8.len < MIME_MAX_RAW8 ? MIME_MAX_RAW8 - ps->raw8.len : 0;
			buf_add(&ps->raw8, f->value, n);
			buf_addc(&ps->raw8, '\n');
			continue;
		}
		conv = charset_to_utf8(ps->hdr_charset, f->value, f->value_len, &clen);
		ps->owned = xarray_grow(ps->owned, ps->n_owned, sizeof(*ps->owned));
		ps->owned[ps->n_owned++] = conv;
		f->value = conv;
		f->value_len = clen;
	}
}

/*
 * Parse the entity p[0..len) (a message when is_message: it may start
 * with an mbox "From " line) into n.  The top level passes top_r to get
 * its header fields (pointing into p); the caller frees top_r->v.
 */
static void
entity_parse(struct parser *ps, struct mime_node *n, const char *p, size_t len,
	     int depth, const char *default_type, int is_message, struct fieldv *top_r)
{
	struct fieldv fv = { NULL, 0, 0, 0 };
	struct paramv ct = { .n = 0 };
	char *disposition = NULL;

	memset(n, 0, sizeof(*n));
	ps->n_nodes++;
	n->depth = depth;
	header_parse(ps, p, len, is_message, &fv);
	if (!ps->keep_fields)
		legacy_fields(ps, &fv);
	entity_fields(n, &fv, default_type, is_message && depth > 0, &ct, &disposition);
	if (ps->keep_fields)
		fields_keep(n, &fv);
	n->raw_body = p + fv.body;
	n->raw_len = len - fv.body;
	entity_content(ps, n, &ct, depth);
	n->is_attachment = node_is_attachment(n, disposition);
	free(disposition);
	params_release(&ct);
	if (top_r != NULL)
		*top_r = fv;
	else
		free(fv.v);
}

static void
node_release(struct mime_node *n)
{
	size_t i;

	for (i = 0; i < n->n_children; i++)
		node_release(&n->children[i]);
	free(n->children);
	for (i = 0; i < n->n_fields; i++)
		free(n->fields[i]);
	free(n->fields);
	free(n->content_type);
	free(n->charset);
	free(n->filename);
	free(n->content_id);
	free(n->subject);
	free(n->content_location);
	free(n->data);
	memset(n, 0, sizeof(*n));
}

/* ------------------------------------------------------------------ */
/* the top-level header                                                 */

static void
msg_headers(struct mime_msg *m, const struct fieldv *fv)
{
	size_t i;

	m->headers = xcalloc(fv->n ? fv->n : 1, sizeof(*m->headers));
	m->n_headers = fv->n;
	for (i = 0; i < fv->n; i++) {
		m->headers[i].name = xstrndup(fv->v[i].name, fv->v[i].name_len);
		m->headers[i].value = unfold(fv->v[i].value, fv->v[i].value_len);
	}
}

static void
delivered_push(struct mime_msg *m, const char *p, size_t len)
{
	struct mime_addr *list = NULL;
	size_t n = 0, i;

	imf_addr_list(p, len, &list, &n);
	for (i = 0; i < n; i++) {
		if (list[i].address != NULL) {
			m->delivered_to = xarray_grow(m->delivered_to, m->n_delivered_to,
						     sizeof(char *));
			m->delivered_to[m->n_delivered_to++] = list[i].address;
			list[i].address = NULL;
		}
		imf_addr_release(&list[i]);
	}
	free(list);
}

static void
msg_return_path(struct mime_msg *m, const char *p, size_t len)
{
	const char *lt, *gt;

	str_trim_span(&p, &len);
	lt = memchr(p, '<', len);
	if (lt != NULL) {
		gt = memchr(lt, '>', len - (size_t)(lt - p));
		len = gt ? (size_t)(gt - lt - 1) : len - (size_t)(lt - p) - 1;
		p = lt + 1;
	}
	m->return_path = imf_angle_address(p, len);
	if (m->return_path == NULL)
		m->return_path = xstrdup("");
}

static void
msg_date(struct mime_msg *m, const char *p, size_t len)
{
	time_t t;
	int tzoff;

	if (imf_date(p, len, &t, &tzoff) == 0) {
		m->has_date = 1;
		m->date = t;
		m->date_tzoff = tzoff;
	} else {
		char *q;

		str_trim_span(&p, &len);
		q = warn_quote(p, len);
		mime_warn(m, "invalid date '%s'", q);
		free(q);
	}
}

/*
 * From and Sender: the first field with an address wins; a field with a
 * name alone (or garbage) only counts when no other has an address.
 */
static void
msg_first_mailbox(struct mime_addr *a, const char *v, size_t len)
{
	struct mime_addr tmp = { NULL, NULL };

	if (a->address != NULL)
		return;
	imf_addr_first(v, len, &tmp);
	if (tmp.address != NULL || (a->name == NULL && tmp.name != NULL)) {
		imf_addr_release(a);
		*a = tmp;
	} else {
		imf_addr_release(&tmp);
	}
}

/* One top-level field into the envelope values (first of each wins). */
static void
msg_field(struct mime_msg *m, const struct field *f)
{
	const char *v = f->value, *name = f->name;
	size_t len = f->value_len, nl = f->name_len;

	if (str_span_eq_ci(name, nl, "message-id")) {
		if (m->message_id == NULL)
			m->message_id = imf_id_first(v, len, 1);
	} else if (str_span_eq_ci(name, nl, "in-reply-to")) {
		if (m->in_reply_to == NULL)
			m->in_reply_to = imf_id_first(v, len, 0);
	} else if (str_span_eq_ci(name, nl, "references")) {
		imf_ids(v, len, &m->references, &m->n_references, 0);
	} else if (str_span_eq_ci(name, nl, "from")) {
		msg_first_mailbox(&m->from, v, len);
	} else if (str_span_eq_ci(name, nl, "sender")) {
		msg_first_mailbox(&m->sender, v, len);
	} else if (str_span_eq_ci(name, nl, "to")) {
		imf_addr_list(v, len, &m->to, &m->n_to);
	} else if (str_span_eq_ci(name, nl, "cc")) {
		imf_addr_list(v, len, &m->cc, &m->n_cc);
	} else if (str_span_eq_ci(name, nl, "reply-to")) {
		imf_addr_list(v, len, &m->reply_to, &m->n_reply_to);
	} else if (str_span_eq_ci(name, nl, "delivered-to") || str_span_eq_ci(name, nl, "x-original-to")) {
		delivered_push(m, v, len);
	} else if (str_span_eq_ci(name, nl, "return-path")) {
		if (m->return_path == NULL)
			msg_return_path(m, v, len);
	} else if (str_span_eq_ci(name, nl, "date")) {
		if (!m->has_date)
			msg_date(m, v, len);
	} else if (str_span_eq_ci(name, nl, "subject")) {
		if (m->subject == NULL) {
			str_trim_span(&v, &len);
			m->subject = rfc2047_decode(v, len);
		}
	}
}

/* ------------------------------------------------------------------ */
/* the body text                                                        */

struct body_ctx {
	struct mime_msg *m;
	struct buf text;
	int from_html;
	struct mime_attachment *uu;   /* uuencoded files found in text */
	size_t n_uu;
};

/* Cut b back to len bytes. */
static void
buf_reset_to(struct buf *b, size_t len)
{
	if (b->data != NULL && len <= b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

/*
 * Text with CRLF and CR line ends turned into LF, appended to out.  A NUL
 * (never valid in mail text) becomes U+FFFD, so that nothing after it is
 * lost to a reader that stops at the first NUL.
 */
static void
add_lf_text(struct buf *out, const char *s, size_t len)
{
	size_t i = 0, end;

	buf_grow(out, len);
	while (i < len) {
		for (end = i; end < len && s[end] != '\r' && s[end] != '\0'; end++)
			;
		buf_add(out, s + i, end - i);
		if (end == len)
			break;
		i = end + 1;
		if (s[end] == '\0') {
			buf_adds(out, "\xEF\xBF\xBD");
			continue;
		}
		buf_addc(out, '\n');
		if (i < len && s[i] == '\n')
			i++;
	}
}

static void
uu_attach(struct body_ctx *bc, const char *name, size_t name_len,
	  const char *p, size_t len)
{
	struct buf data = BUF_INIT;
	struct mime_attachment *a;

	cte_uu_decode_lines(p, len, &data);
	bc->uu = xarray_grow(bc->uu, bc->n_uu, sizeof(*bc->uu));
	a = &bc->uu[bc->n_uu++];
	a->filename = rfc2047_decode(name, name_len);
	a->content_type = xstrdup("application/octet-stream");
	a->size = data.len;
	sha256_hex(data.data ? data.data : "", data.len, a->sha256);
	a->content_id = NULL;
	a->data_owned = buf_detach(&data, NULL);
	a->data = a->data_owned;
}

/* Copy text (LF line ends) to out, moving "begin NNN name" blocks out. */
/* Offset of the next line after an "end" line at or after i, or 0. */
static size_t
uu_find_end(const char *s, size_t len, size_t i, size_t *end_line_r)
{
	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - s) : len;

		if (e - i >= 3 && memcmp(s + i, "end", 3) == 0 && str_is_blank(s + i + 3, e - i - 3)) {
			*end_line_r = i;
			return nl ? e + 1 : len;
		}
		i = nl ? e + 1 : len;
	}
	return 0;
}

/*
 * Copy text (LF line ends) to out, moving "begin NNN name" ... "end"
 * blocks to attachments.  Once a begin line finds no end line, no later
 * one can: the search stops there (no quadratic rescans).
 */
static void
uu_strip(struct body_ctx *bc, const char *s, size_t len, struct buf *out)
{
	size_t i = 0;
	int no_end = 0;

	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - s) : len, next = nl ? end + 1 : len;
		size_t name_len, end_line, after;
		const char *name;

		if (!no_end && s[i] == 'b' && cte_uu_begin_line(s + i, end - i, &name, &name_len)) {
			after = uu_find_end(s, len, next, &end_line);
			if (after != 0) {
				uu_attach(bc, name, name_len, s + next, end_line - next);
				i = after;
				continue;
			}
			no_end = 1;
		}
		buf_add(out, s + i, next - i);
		i = next;
	}
}

/* format=flowed (RFC 3676): join soft-broken lines. */
static void
unflow(const char *s, size_t len, int delsp, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - s) : len, start = i;
		int soft;

		if (end - start == 3 && memcmp(s + start, "-- ", 3) == 0) {
			buf_add(out, s + start, end - start);
			if (nl)
				buf_addc(out, '\n');
			i = nl ? end + 1 : len;
			continue;
		}
		if (end > start && s[start] == ' ')
			start++;    /* space stuffing */
		soft = nl != NULL && end > start && s[end - 1] == ' ' && s[start] != '>';
		buf_add(out, s + start, end - start - (soft && delsp ? 1 : 0));
		if (nl && !soft)
			buf_addc(out, '\n');
		i = nl ? end + 1 : len;
	}
}

static void
body_append(struct body_ctx *bc, const char *s, size_t len)
{
	if (len == 0)
		return;
	if (bc->text.len > 0 && bc->text.data[bc->text.len - 1] != '\n')
		buf_addc(&bc->text, '\n');
	if (bc->text.len > 0)
		buf_addc(&bc->text, '\n');
	buf_add(&bc->text, s, len);
}

/* The text of a text/plain or text/html leaf, UTF-8 with LF ends. */
static int
body_leaf(struct body_ctx *bc, struct mime_node *n, int html)
{
	struct buf lf = BUF_INIT, out = BUF_INIT;
	size_t ulen;
	char *utf8;

	node_decode(n);
	utf8 = charset_to_utf8(n->charset, n->data ? n->data : "", n->size, &ulen);
	add_lf_text(&lf, utf8, ulen);
	free(utf8);
	if (html) {
		char *t = html_to_text(buf_str(&lf), lf.len);

		buf_adds(&out, t);
		free(t);
		bc->from_html = 1;
	} else if (n->flowed) {
		struct buf tmp = BUF_INIT;

		uu_strip(bc, buf_str(&lf), lf.len, &tmp);
		unflow(buf_str(&tmp), tmp.len, n->delsp, &out);
		buf_release(&tmp);
	} else {
		uu_strip(bc, buf_str(&lf), lf.len, &out);
	}
	buf_release(&lf);
	body_append(bc, buf_str(&out), out.len);
	buf_release(&out);
	n->in_body = 1;
	return 1;
}

/* The text of n's subtree was dropped from the body again. */
static void
body_unmark(struct mime_node *n, int level)
{
	size_t i;

	if (level > MIME_MAX_DEPTH)
		return;
	n->in_body = 0;
	for (i = 0; i < n->n_children; i++)
		body_unmark(&n->children[i], level + 1);
}

/* 1 when n holds a text/plain leaf that the body would use. */
static int
node_has_plain(const struct mime_node *n, int level)
{
	size_t i;

	if (level > MIME_MAX_DEPTH)
		return 0;
	if (n->type == MIME_NODE_LEAF)
		return !n->is_attachment && is_type(n, "text/plain");
	if (n->type != MIME_NODE_MULTIPART)
		return 0;
	for (i = 0; i < n->n_children; i++) {
		if (node_has_plain(&n->children[i], level + 1))
			return 1;
	}
	return 0;
}

static int body_collect(struct body_ctx *bc, struct mime_node *n, int level);

static int
body_alternative(struct body_ctx *bc, struct mime_node *n, int level)
{
	size_t i, before = bc->text.len;

	for (i = 0; i < n->n_children; i++) {
		if (!node_has_plain(&n->children[i], level + 1))
			continue;
		body_collect(bc, &n->children[i], level + 1);
		if (!str_is_blank(buf_str(&bc->text) + before, bc->text.len - before))
			return 1;
		buf_reset_to(&bc->text, before);   /* an empty plain part */
		body_unmark(&n->children[i], level + 1);
		break;
	}
	/* no plain text: the last alternative that gives any text */
	for (i = n->n_children; i > 0; i--) {
		body_collect(bc, &n->children[i - 1], level + 1);
		if (!str_is_blank(buf_str(&bc->text) + before, bc->text.len - before))
			return 1;
		buf_reset_to(&bc->text, before);
		body_unmark(&n->children[i - 1], level + 1);
	}
	/* no text anywhere: the (blank) plain text is the body all the same */
	for (i = 0; i < n->n_children; i++) {
		if (node_has_plain(&n->children[i], level + 1)) {
			body_collect(bc, &n->children[i], level + 1);
			buf_reset_to(&bc->text, before);
			break;
		}
	}
	return 0;
}

static int
body_collect(struct body_ctx *bc, struct mime_node *n, int level)
{
	const char *sub;
	size_t i;
	int got = 0;

	if (level > MIME_MAX_DEPTH || n->is_attachment)
		return 0;
	if (n->type == MIME_NODE_LEAF) {
		if (is_type(n, "text/plain"))
			return body_leaf(bc, n, 0);
		if (is_type(n, "text/html"))
			return body_leaf(bc, n, 1);
		return 0;
	}
	if (n->type != MIME_NODE_MULTIPART)
		return 0;
	if (n->n_children == 0) {
		/* no boundary line at all: the text is all we have */
		return n->data != NULL ? body_leaf(bc, n, 0) : 0;
	}
	sub = n->content_type + strlen("multipart/");
	if (strcmp(sub, "alternative") == 0)
		return body_alternative(bc, n, level);
	if (strcmp(sub, "related") == 0 || strcmp(sub, "signed") == 0 ||
	    strcmp(sub, "report") == 0)
		return body_collect(bc, &n->children[0], level + 1);
	if (strcmp(sub, "encrypted") == 0)
		return 0;
	for (i = 0; i < n->n_children; i++) {
		if (n->children[i].type == MIME_NODE_MESSAGE)
			continue;
		if (body_collect(bc, &n->children[i], level + 1))
			got = 1;
	}
	return got;
}

/* ------------------------------------------------------------------ */
/* leaves into parts[] and attachments[]                                */

static void
attachment_add(struct mime_msg *m, const struct mime_part *p, const char *fallback_name,
	       char *content_id)
{
	struct mime_attachment *a;

	m->attachments = xarray_grow(m->attachments, m->n_attachments, sizeof(*a));
	a = &m->attachments[m->n_attachments++];
	a->filename = p->filename ? xstrdup(p->filename) : xstrdup_or_null(fallback_name);
	a->content_type = xstrdup(p->content_type);
	a->size = p->size;
	sha256_hex(p->data, p->size, a->sha256);
	a->content_id = content_id;
	a->data = p->data;          /* the part keeps the bytes */
	a->data_owned = NULL;
}

/* The extension for an image type: "image/jpeg" gives "jpg". */
static void
image_extension(const char *content_type, struct buf *out)
{
	static const struct {
		const char *subtype;
		const char *ext;
	} map[] = {
		{ "jpeg", "jpg" }, { "pjpeg", "jpg" }, { "svg+xml", "svg" }, { "x-icon", "ico" },
		{ "vnd.microsoft.icon", "ico" }, { "x-png", "png" }, { "x-ms-bmp", "bmp" },
	};
	const char *sub = strchr(content_type, '/') + 1;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(sub, map[i].subtype) == 0) {
			buf_adds(out, map[i].ext);
			return;
		}
	}
	for (i = 0; sub[i] != '\0' && i < 8 && isalnum((unsigned char)sub[i]); i++)
		;
	if (i > 0 && sub[i] == '\0')
		buf_adds(out, sub);
	else
		buf_adds(out, "img");
}

/* The file-name characters of s[0..len) onto b, at most 64. */
static void
file_name_chars(struct buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && b->len < 64; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '.' || c == '-' || c == '_')
			buf_addc(b, (char)c);
	}
	while (b->len > 0 && b->data[0] == '.') {
		memmove(b->data, b->data + 1, b->len);
		b->len--;
	}
}

/*
 * A file name for a nameless image: the last segment of its
 * Content-Location (Apple Mail: "Photo25.jpg"), else the local part of
 * its Content-ID (Outlook: "image001.png@01DA2C…"), else "image"; the
 * type's extension is added when the name does not end in it.  Only
 * letters, digits, '.', '-' and '_' are kept.  Caller frees.
 */
static char *
image_file_name(const char *content_type, const char *location, const char *cid)
{
	struct buf b = BUF_INIT, ext = BUF_INIT;
	const char *dot;

	if (location != NULL) {
		size_t end = strcspn(location, "?#");
		const char *slash = memrchr(location, '/', end);
		const char *seg = slash != NULL ? slash + 1 : location;

		file_name_chars(&b, seg, end - (size_t)(seg - location));
	}
	if (b.len == 0 && cid != NULL)
		file_name_chars(&b, cid, strcspn(cid, "@"));
	if (b.len == 0)
		buf_adds(&b, "image");
	image_extension(content_type, &ext);
	dot = strrchr(buf_str(&b), '.');
	if (dot == NULL || (strcasecmp(dot + 1, buf_str(&ext)) != 0 &&
			    !(strcasecmp(dot + 1, "jpeg") == 0 && strcmp(buf_str(&ext), "jpg") == 0)))
		buf_addf(&b, ".%s", buf_str(&ext));
	buf_release(&ext);
	return buf_detach(&b, NULL);
}

static void
part_add(struct mime_msg *m, struct mime_node *n, size_t *cap)
{
	struct mime_part *p;
	const char *fallback = NULL;
	char *image_name = NULL;

	node_decode(n);
	if (n->data == NULL) {
		n->data = xstrdup("");
		n->size = 0;
	}
	if (m->n_parts == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		m->parts = xrealloc(m->parts, *cap * sizeof(*m->parts));
	}
	p = &m->parts[m->n_parts++];
	p->content_type = n->content_type;
	p->charset = n->charset;
	p->filename = n->filename;
	p->is_attachment = n->is_attachment;
	p->in_body = n->in_body;
	p->depth = n->depth;
	p->data = n->data;
	p->size = n->size;
	n->content_type = NULL;
	n->charset = NULL;
	n->filename = NULL;
	n->data = NULL;
	if (n->type == MIME_NODE_MESSAGE && n->n_children > 0)
		fallback = n->children[0].subject;
	if (p->is_attachment && p->filename == NULL && str_has_prefix_ci(p->content_type, "image/"))
		image_name = image_file_name(p->content_type, n->content_location, n->content_id);
	if (p->is_attachment) {
		attachment_add(m, p, image_name != NULL ? image_name : fallback, n->content_id);
		n->content_id = NULL;       /* the attachment owns it now */
	}
	free(image_name);
}

/*
 * The leaves of n into parts[].  A text leaf that did not make the body
 * and is no alternative rendition of it (say, a second text/plain in a
 * multipart/related) is an attachment too: nothing is left unseen.
 */
static void
parts_collect(struct mime_msg *m, struct mime_node *n, size_t *cap, int in_alternative)
{
	size_t i;

	if (n->type == MIME_NODE_MULTIPART && n->n_children > 0) {
		in_alternative |= is_type(n, "multipart/alternative");
		for (i = 0; i < n->n_children; i++)
			parts_collect(m, &n->children[i], cap, in_alternative);
		return;
	}
	if (n->type == MIME_NODE_MULTIPART && (n->data == NULL || str_is_blank(n->data, n->size)))
		return;     /* no delimiter line and nothing in it */
	if (!n->in_body && !in_alternative)
		n->is_attachment = 1;
	part_add(m, n, cap);
}

/* ------------------------------------------------------------------ */
/* public API                                                           */

static void
lines_check(struct mime_msg *m, const char *raw, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl;

		if (len - i <= MIME_MAX_LINE)
			return;
		nl = memchr(raw + i, '\n', MIME_MAX_LINE + 1);
		if (nl == NULL) {
			mime_warn(m, "line over %d bytes", MIME_MAX_LINE);
			m->over |= MIME_OVER_LINE;
			return;
		}
		i = (size_t)(nl - raw) + 1;
	}
}

static size_t
limit_size(struct mime_msg *m, size_t len, const struct mime_limits *limits)
{
	size_t max = limits != NULL && limits->max_size > 0 ? limits->max_size : MIME_MAX_SIZE;

	if (len <= max)
		return len;
	m->over |= MIME_OVER_SIZE;
	mime_warn(m, "message over size limit %zu bytes", max);
	return max;
}

static void
attachments_append(struct mime_msg *m, struct mime_attachment *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		m->attachments = xarray_grow(m->attachments, m->n_attachments,
					    sizeof(*m->attachments));
		m->attachments[m->n_attachments++] = list[i];
	}
	free(list);
}

/* The header fields the sender wrote (see mime_msg.content_sha256). */
static const char *const originator_fields[] = {
	"from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id",
	"in-reply-to", "references",
};

/* The originator fields of the top header onto content: "name:value\n", blanks collapsed. */
static void
content_fields(const struct fieldv *fv, struct buf *content)
{
	size_t i, k, j;

	for (i = 0; i < fv->n; i++) {
		const struct field *f = &fv->v[i];
		int blank = 0;

		for (k = 0; k < sizeof(originator_fields) / sizeof(originator_fields[0]); k++) {
			if (str_span_eq_ci(f->name, f->name_len, originator_fields[k]))
				break;
		}
		if (k == sizeof(originator_fields) / sizeof(originator_fields[0]))
			continue;
		buf_addf(content, "%s:", originator_fields[k]);
		for (j = 0; j < f->value_len; j++) {
			if (str_is_space((unsigned char)f->value[j])) {
				blank = 1;
				continue;
			}
			if (blank && content->data[content->len - 1] != ':')
				buf_addc(content, ' ');
			blank = 0;
			buf_addc(content, f->value[j]);
		}
		buf_addc(content, '\n');
	}
}

/* Each part's type and the hash of its bytes onto content, then the digest of it all. */
static void
content_digest(const struct mime_msg *m, struct buf *content, char out[65])
{
	char hex[65];
	size_t i;

	for (i = 0; i < m->n_parts; i++) {
		const struct mime_part *p = &m->parts[i];

		if (str_has_prefix_ci(p->content_type, "text/")) {
			struct buf lf = BUF_INIT;

			add_lf_text(&lf, p->data, p->size);
			while (lf.len > 0 && str_is_space((unsigned char)lf.data[lf.len - 1]))
				lf.len--;
			sha256_hex(lf.data != NULL ? lf.data : "", lf.len, hex);
			buf_release(&lf);
		} else {
			sha256_hex(p->data, p->size, hex);
		}
		buf_addf(content, "part:%s %s\n", p->content_type, hex);
	}
	sha256_hex(buf_str(content), content->len, out);
}

/* The charset label of the first text leaf of n that has one, or NULL. */
static const char *
text_label(const struct mime_node *n, int level)
{
	const char *label = NULL;
	size_t i;

	if (level > MIME_MAX_DEPTH)
		return NULL;
	if (n->type == MIME_NODE_LEAF)
		return str_has_prefix_ci(n->content_type, "text/") ? n->charset : NULL;
	for (i = 0; label == NULL && n->type == MIME_NODE_MULTIPART && i < n->n_children; i++)
		label = text_label(&n->children[i], level + 1);
	return label;
}

/*
 * The charset of the legacy 8-bit header text raw8, as a body's would be
 * read: the label of the message's text when the text reads in it (a
 * single-byte label only when detection too says single-byte: "Latin-1"
 * on a text part says nothing about GB2312 headers), else uchardet on all
 * of it.  Caller frees.
 */
static char *
header_charset(const struct mime_node *root, const struct buf *raw8)
{
	const char *label = text_label(root, 0), *det;
	int single = 0, det_single = 0, fit = -1;

	if (label != NULL)
		fit = charset_fit(label, raw8->data, raw8->len, &single);
	if (fit == 0 && !single)
		return xstrdup(label);
	det = charset_detect(raw8->data, raw8->len);
	if (fit == 0 && charset_fit(det, raw8->data, raw8->len, &det_single) >= 0 && det_single)
		return xstrdup(label);
	return xstrdup(det);
}

/* Drop the warnings from index keep on (a parse that is done again). */
static void
warnings_truncate(struct mime_msg *m, size_t keep)
{
	while (m->n_warnings > keep)
		free(m->warnings[--m->n_warnings]);
}

struct mime_msg *
mime_parse(const char *raw, size_t len, const struct mime_limits *limits)
{
	struct mime_msg *m = xcalloc(1, sizeof(*m));
	struct parser ps = { m, 0, 0, 0, NULL, BUF_INIT, NULL, 0 };
	struct fieldv top = { NULL, 0, 0, 0 };
	struct mime_node root;
	struct body_ctx bc = { m, BUF_INIT, 0, NULL, 0 };
	struct buf content = BUF_INIT;
	size_t i, cap = 0, warn_mark;
	char *hdr_charset = NULL;

	if (raw == NULL) {
		raw = "";
		len = 0;
	}
	m->raw_size = len;
	sha256_hex(raw, len, m->sha256);
	len = limit_size(m, len, limits);
	lines_check(m, raw, len);

	warn_mark = m->n_warnings;
	entity_parse(&ps, &root, raw, len, 0, "text/plain", 1, &top);
	content_fields(&top, &content);     /* as written, before any conversion */
	if (ps.raw8.len > 0) {
		/* legacy 8-bit header text: parse again, reading it in its charset */
		hdr_charset = header_charset(&root, &ps.raw8);
		free(top.v);
		node_release(&root);
		warnings_truncate(m, warn_mark);
		ps.n_nodes = 0;
		ps.warned = 0;
		ps.hdr_charset = hdr_charset;
		entity_parse(&ps, &root, raw, len, 0, "text/plain", 1, &top);
	}
	msg_headers(m, &top);
	for (i = 0; i < top.n; i++)
		msg_field(m, &top.v[i]);
	free(top.v);
	if (len == 0)
		mime_warn(m, "empty message");
	else if (top.n == 0)
		mime_warn(m, "no header fields");

	body_collect(&bc, &root, 0);
	m->body = buf_detach(&bc.text, NULL);
	m->body_from_html = bc.from_html;
	parts_collect(m, &root, &cap, 0);
	/* files uuencoded in the text come after the MIME attachments */
	attachments_append(m, bc.uu, bc.n_uu);
	content_digest(m, &content, m->content_sha256);
	buf_release(&content);
	node_release(&root);
	for (i = 0; i < ps.n_owned; i++)
		free(ps.owned[i]);
	free(ps.owned);
	buf_release(&ps.raw8);
	free(hdr_charset);
	return m;
}

static void
addrs_free(struct mime_addr **list, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		imf_addr_release(&(*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

static void
strv_clear(char ***v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

void
mime_msg_free(struct mime_msg **msg)
{
	struct mime_msg *m = *msg;
	size_t i;

	if (m == NULL)
		return;
	free(m->message_id);
	free(m->in_reply_to);
	strv_clear(&m->references, &m->n_references);
	imf_addr_release(&m->from);
	imf_addr_release(&m->sender);
	addrs_free(&m->to, &m->n_to);
	addrs_free(&m->cc, &m->n_cc);
	addrs_free(&m->reply_to, &m->n_reply_to);
	strv_clear(&m->delivered_to, &m->n_delivered_to);
	free(m->return_path);
	free(m->subject);
	free(m->body);
	for (i = 0; i < m->n_parts; i++) {
		free(m->parts[i].content_type);
		free(m->parts[i].charset);
		free(m->parts[i].filename);
		free(m->parts[i].data);
	}
	free(m->parts);
	for (i = 0; i < m->n_attachments; i++) {
		free(m->attachments[i].filename);
		free(m->attachments[i].content_type);
		free(m->attachments[i].content_id);
		free(m->attachments[i].data_owned);
	}
	free(m->attachments);
	for (i = 0; i < m->n_headers; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	strv_clear(&m->warnings, &m->n_warnings);
	free(m);
	*msg = NULL;
}

const char *
mime_header_get(const struct mime_msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n_headers; i++) {
		if (strcasecmp(m->headers[i].name, name) == 0)
			return m->headers[i].value;
	}
	return NULL;
}

/* Decode every body and drop the pointers into the input. */
static void
tree_finish(struct mime_node *n)
{
	size_t i;

	if (n->type != MIME_NODE_MULTIPART)
		node_decode(n);
	for (i = 0; i < n->n_children; i++)
		tree_finish(&n->children[i]);
}

static void
tree_forget_raw(struct mime_node *n)
{
	size_t i;

	n->raw_body = NULL;
	n->raw_len = 0;
	for (i = 0; i < n->n_children; i++)
		tree_forget_raw(&n->children[i]);
}

struct mime_node *
mime_tree_parse(const char *raw, size_t len, const struct mime_limits *limits)
{
	struct mime_msg scratch;
	struct mime_msg *m = &scratch;
	struct parser ps = { m, 0, 0, 1, NULL, BUF_INIT, NULL, 0 };
	struct mime_node *root = xcalloc(1, sizeof(*root));
	struct fieldv top = { NULL, 0, 0, 0 };

	memset(&scratch, 0, sizeof(scratch));
	if (raw == NULL) {
		raw = "";
		len = 0;
	}
	len = limit_size(m, len, limits);
	entity_parse(&ps, root, raw, len, 0, "text/plain", 1, &top);
	free(top.v);
	tree_finish(root);
	tree_forget_raw(root);
	strv_clear(&scratch.warnings, &scratch.n_warnings);
	return root;
}

void
mime_tree_free(struct mime_node **node)
{
	if (*node == NULL)
		return;
	node_release(*node);
	free(*node);
	*node = NULL;
}
