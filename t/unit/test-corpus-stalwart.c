/*
 * test-corpus-stalwart: ticketd's parse against the expected parses of
 * Stalwart Labs' mail-parser (a strict, heavily fuzzed Rust parser),
 * ../shared/corpus/stalwart/{rfc,thirdparty,legacy,malformed}: each N.eml
 * has N.json (the parse of the file with every line ending in LF) and
 * N.crlf.json (the same with CRLF); both forms are read.
 *
 * Compared, per message, is what ticketd exposes (struct mime_msg):
 *
 *   parts        every leaf of the top-level tree (an attached message is
 *                one leaf) in order, with its role: its text is in the
 *                body (T, or H for HTML made text), it is an attachment
 *                (A), or neither (-).  Stalwart's roles: in text_body
 *                with a text or HTML body (T/H), else in attachments (A).
 *   bodies       the body text: Stalwart's text_body parts joined (HTML
 *                through ticketd's own html_to_text, so that only what
 *                is decoded is compared, not how HTML is drawn), blanks
 *                and line breaks collapsed on both sides (ticketd joins
 *                parts with a blank line and reflows format=flowed).
 *   addresses    From (the first mailbox), To, Cc, Reply-To: name and
 *                address of each.  Where a field appears twice, the
 *                first occurrence that holds an address is expected
 *                (ticketd takes the first good From over a broken one).
 *   subjects     the decoded Subject, blanks collapsed.
 *   attachments  name, type and size of each attachment in order.  A
 *                name is compared where the message gives one (ticketd
 *                names nameless attachments itself); the size of a text
 *                attachment is compared in UTF-8 with LF line ends
 *                (quoted-printable decodes to CRLF, the canonical form
 *                of RFC 2045), that of an encoded
 *                attached message not at all (Stalwart gives no decoded
 *                size for it).
 *
 * Prints the agreement per field and every difference not in the table
 * of deliberate ones below; fails when a field falls below its floor or
 * when a table entry no longer differs (the table must stay true).
 * Skips (77) when the corpus is absent.  STALWART_VERBOSE=1 prints what
 * each side says for the deliberate differences too.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "charset.h"
#include "html.h"
#include "mime.h"
#include "str.h"
#include "test.h"
#include "xmalloc.h"

enum field { F_PARTS, F_BODIES, F_ADDRESSES, F_SUBJECTS, F_ATTACHMENTS, F_N };

static const char *const field_names[F_N] = {
	"parts", "bodies", "addresses", "subjects", "attachments",
};

/*
 * Where ticketd decides otherwise on purpose.  "dir/NNN" covers both line
 * end forms of the file.
 */
struct known {
	const char *file;
	enum field field;
	const char *why;
};

#define LATIN1_HEADER \
	"raw 8-bit Latin-1 in a header, inside or outside encoded words: ticketd " \
	"reads it in the message's charset (SPEC 3: 8-bit text is detected); " \
	"Stalwart gives U+FFFD"
#define LATIN1_BODY \
	"Latin-1 text labelled UTF-8 or not labelled: ticketd detects it (SPEC 3); " \
	"Stalwart gives U+FFFD"
#define UUENCODE \
	"x-uuencode transfer encoding: ticketd decodes the file (a desk wants it, " \
	"and so does its sha256); Stalwart keeps the encoded text"
#define UU_IN_TEXT \
	"files uuencoded in the text (begin 644 ... end): ticketd moves them out " \
	"of the body into attachments; Stalwart leaves them in the text"
#define BASE64_PROSE \
	"a base64 body that is prose (\"... base64-encoded data goes here ...\"): " \
	"ticketd decodes the base64 alphabet in it (as mime4j does); Stalwart keeps " \
	"the text, an encoding problem"
#define ALTERNATIVES \
	"several text/plain alternatives: alternatives are one content, so " \
	"ticketd shows the first; Stalwart (RFC 8621) joins them all"
#define BAD_TEXT \
	"a text part with an encoding problem (bad UTF-8, or no closing " \
	"delimiter): ticketd keeps its text in the body, U+FFFD for bad bytes, " \
	"rather than hide it; Stalwart makes it an attachment"
#define MID_LINE \
	"\"invalid--1--\": a delimiter starts a line (RFC 2046 5.1.1), so ticketd " \
	"keeps the text as written; Stalwart ends the part mid-line"
#define OUTER_CLOSES \
	"the enclosing multipart's delimiter ends the inner multipart (RFC 2046 " \
	"5.1.2), so what follows is a sibling part; Stalwart lets the inner one run " \
	"on and makes the rest one broken part (an attachment)"
#define EXACT_LINE \
	"a delimiter line is \"--\" and the boundary, then at most blanks (RFC 2046 " \
	"5.1.1): \"--ab\" does not delimit boundary \"a\"; Stalwart takes any line " \
	"that starts with it"
#define NO_DELIMITER \
	"a multipart without any delimiter line: ticketd keeps its text as the " \
	"body (nothing is lost, and a warning says so); Stalwart makes it an attachment"
#define TRAILING_DASHES \
	"boundary \"a--\" with an inner \"a----\": the line \"--a----\" closes the " \
	"outer multipart for ticketd and opens an inner part for Stalwart, so the " \
	"inner text is in ticketd's epilogue (a torture case no client writes)"
#define EMPTY_PARTS \
	"four parts that are a header and no body: ticketd keeps the four empty " \
	"parts (as mime4j does); Stalwart drops them all"
#define HEADER_RUNS_ON \
	"a part header that runs on over a malformed line (\"--ab\") to the blank " \
	"line, as mime4j's malformedHeader-nocrlfcrlf expects: the first " \
	"Content-Type (multipart, no delimiter in its body) wins; Stalwart ends " \
	"the header at the malformed line and finds two empty parts"
#define TWO_CONTENT_TYPES \
	"two Content-Type fields in one part: ticketd takes the first (as for " \
	"every field) and shows the HTML alternative as text; Stalwart takes the " \
	"last (text/plain) and shows the alternative's raw markup as text"
#define FUZZED_ALTERNATIVE \
	"a fuzzed message, three nested alternatives on one boundary: ticketd " \
	"sees nine sibling alternatives and, the first text/plain being empty, " \
	"shows the last one with text; Stalwart nests them and shows empty text"
#define ATTACHED_IN_ATTACHED \
	"three attached messages, each cut before its header ends: the outer " \
	"delimiter ends each (RFC 2046 5.1.2), so ticketd lists three; Stalwart " \
	"reads the second and third into the first"

static const struct known known[] = {
	{ "rfc/000", F_ATTACHMENTS, BASE64_PROSE },
	{ "thirdparty/000", F_PARTS, ALTERNATIVES },
	{ "thirdparty/000", F_BODIES, ALTERNATIVES },
	{ "thirdparty/001", F_PARTS, ALTERNATIVES },
	{ "thirdparty/001", F_BODIES, ALTERNATIVES },
	{ "thirdparty/002", F_PARTS, BAD_TEXT },
	{ "thirdparty/002", F_BODIES, BAD_TEXT },
	{ "thirdparty/002", F_ATTACHMENTS, BAD_TEXT },
	{ "thirdparty/005", F_BODIES, MID_LINE },
	{ "thirdparty/015", F_PARTS, ATTACHED_IN_ATTACHED },
	{ "thirdparty/015", F_ATTACHMENTS, ATTACHED_IN_ATTACHED },
	{ "legacy/010", F_ADDRESSES, LATIN1_HEADER },
	{ "legacy/010", F_SUBJECTS, LATIN1_HEADER },
	{ "legacy/016", F_ATTACHMENTS, LATIN1_HEADER },
	{ "legacy/017", F_ADDRESSES, LATIN1_HEADER },
	{ "legacy/017", F_ATTACHMENTS, UUENCODE },
	{ "legacy/020", F_ADDRESSES, LATIN1_HEADER },
	{ "legacy/020", F_SUBJECTS, LATIN1_HEADER },
	{ "legacy/022", F_ADDRESSES, LATIN1_HEADER },
	{ "legacy/022", F_SUBJECTS, LATIN1_HEADER },
	{ "legacy/023", F_ATTACHMENTS, LATIN1_HEADER },
	{ "legacy/026", F_ATTACHMENTS, UUENCODE " (and " LATIN1_HEADER ")" },
	{ "legacy/027", F_ADDRESSES, LATIN1_HEADER },
	{ "legacy/027", F_SUBJECTS, LATIN1_HEADER },
	{ "legacy/033", F_BODIES, LATIN1_BODY },
	{ "legacy/048", F_ATTACHMENTS, UUENCODE },
	{ "legacy/049", F_BODIES, UU_IN_TEXT },
	{ "legacy/049", F_ATTACHMENTS, UU_IN_TEXT },
	{ "legacy/052", F_BODIES, LATIN1_BODY },
	{ "legacy/052", F_ADDRESSES, LATIN1_HEADER },
	{ "legacy/052", F_SUBJECTS, LATIN1_HEADER },
	{ "malformed/000", F_PARTS, EMPTY_PARTS },
	{ "malformed/001", F_PARTS, EXACT_LINE },
	{ "malformed/001", F_BODIES, EXACT_LINE },
	{ "malformed/001", F_ATTACHMENTS, EXACT_LINE },
	{ "malformed/002", F_PARTS, NO_DELIMITER },
	{ "malformed/002", F_BODIES, NO_DELIMITER },
	{ "malformed/002", F_ATTACHMENTS, NO_DELIMITER },
	{ "malformed/003", F_PARTS, OUTER_CLOSES },
	{ "malformed/003", F_BODIES, OUTER_CLOSES },
	{ "malformed/003", F_ATTACHMENTS, OUTER_CLOSES },
	{ "malformed/004", F_PARTS, EXACT_LINE },
	{ "malformed/004", F_BODIES, EXACT_LINE },
	{ "malformed/004", F_ATTACHMENTS, EXACT_LINE },
	{ "malformed/005", F_PARTS, TRAILING_DASHES },
	{ "malformed/005", F_BODIES, TRAILING_DASHES },
	{ "malformed/006", F_PARTS, EXACT_LINE " (and " BAD_TEXT ")" },
	{ "malformed/006", F_BODIES, EXACT_LINE " (and " BAD_TEXT ")" },
	{ "malformed/006", F_ATTACHMENTS, EXACT_LINE " (and " BAD_TEXT ")" },
	{ "malformed/007", F_PARTS, HEADER_RUNS_ON },
	{ "malformed/007", F_ATTACHMENTS, HEADER_RUNS_ON },
	{ "malformed/008", F_PARTS, OUTER_CLOSES },
	{ "malformed/008", F_BODIES, OUTER_CLOSES },
	{ "malformed/008", F_ATTACHMENTS, OUTER_CLOSES },
	{ "malformed/009", F_PARTS, OUTER_CLOSES },
	{ "malformed/009", F_BODIES, OUTER_CLOSES },
	{ "malformed/009", F_ATTACHMENTS, OUTER_CLOSES },
	{ "malformed/011", F_PARTS, OUTER_CLOSES },
	{ "malformed/011", F_BODIES, OUTER_CLOSES },
	{ "malformed/011", F_ATTACHMENTS, OUTER_CLOSES },
	{ "malformed/012", F_PARTS, OUTER_CLOSES },
	{ "malformed/012", F_ATTACHMENTS, OUTER_CLOSES },
	{ "malformed/016", F_PARTS, OUTER_CLOSES },
	{ "malformed/016", F_BODIES, OUTER_CLOSES },
	{ "malformed/016", F_ATTACHMENTS, OUTER_CLOSES },
	{ "malformed/019", F_PARTS, FUZZED_ALTERNATIVE },
	{ "malformed/019", F_BODIES, FUZZED_ALTERNATIVE },
	{ "malformed/020", F_PARTS, TWO_CONTENT_TYPES },
	{ "malformed/020", F_BODIES, TWO_CONTENT_TYPES },
	{ "malformed/021", F_PARTS, TWO_CONTENT_TYPES },
	{ "malformed/021", F_BODIES, TWO_CONTENT_TYPES },
};

/* Agreement (messages, both line-end forms) below which the test fails. */
static const size_t floor_agree[F_N] = { 174, 174, 202, 204, 174 };

struct tally {
	size_t messages;
	size_t agree[F_N];
	size_t explained[F_N];
	size_t differ[F_N];
	size_t stale;
};

static int verbose;

/* s with every line ending in LF (crlf 0: the .json form) or CRLF (the .crlf.json form). */
static char *
line_ends(const char *s, size_t len, int crlf, size_t *len_r)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
			continue;
		if (s[i] == '\n' && crlf)
			buf_addc(&b, '\r');
		buf_addc(&b, s[i]);
	}
	return buf_detach(&b, len_r);
}

/* Blanks and line breaks collapsed to one space, ends trimmed. */
static void
squeeze(struct buf *out, const char *s)
{
	int blank = 0;

	for (; s != NULL && *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
			blank = out->len > 0;
			continue;
		}
		if (blank)
			buf_addc(out, ' ');
		blank = 0;
		buf_addc(out, *s);
	}
	buf_add(out, "", 0);
}

/* ------------------------------------------------------------------ */
/* the expected side                                                    */

static const char *
header_name(json_t *h)
{
	json_t *name = json_object_get(h, "name");

	if (json_is_string(name))
		return json_string_value(name);
	return json_string_value(json_object_get(name, "other"));
}

/* The first header called name in part, or NULL. */
static json_t *
header_first(json_t *part, const char *name)
{
	json_t *headers = json_object_get(part, "headers"), *h;
	size_t i;

	json_array_foreach(headers, i, h) {
		const char *n = header_name(h);

		if (n != NULL && strcmp(n, name) == 0)
			return json_object_get(h, "value");
	}
	return NULL;
}

/* The mailbox list of an Address value, or NULL. */
static json_t *
address_list(json_t *value)
{
	json_t *a = json_object_get(value, "Address");

	return a != NULL ? json_object_get(a, "List") : NULL;
}

static int
list_has_address(json_t *list)
{
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		if (json_is_string(json_object_get(e, "address")))
			return 1;
	}
	return 0;
}

/* The first name header that holds an address (else the first one). */
static json_t *
header_addresses(json_t *part, const char *name)
{
	json_t *headers = json_object_get(part, "headers"), *h, *first = NULL;
	size_t i;

	json_array_foreach(headers, i, h) {
		const char *n = header_name(h);
		json_t *list;

		if (n == NULL || strcmp(n, name) != 0)
			continue;
		list = address_list(json_object_get(h, "value"));
		if (list != NULL && list_has_address(list))
			return list;
		if (first == NULL)
			first = list;
	}
	return first;
}

/* The body kind of a part ("Text", "Html", "Binary", "Multipart" …). */
static const char *
body_kind(json_t *part, json_t **value_r)
{
	json_t *body = json_object_get(part, "body");
	const char *key;
	json_t *v;

	*value_r = NULL;
	if (json_is_string(body))
		return json_string_value(body);
	json_object_foreach(body, key, v) {
		*value_r = v;
		return key;
	}
	return "";
}

static int
index_in(json_t *array, size_t idx)
{
	json_t *e;
	size_t i;

	json_array_foreach(array, i, e) {
		if (json_is_integer(e) && (size_t)json_integer_value(e) == idx)
			return 1;
	}
	return 0;
}

/* The leaves below part idx in document order (multiparts opened). */
static void
leaves(json_t *parts, size_t idx, size_t depth, size_t **v, size_t *n)
{
	json_t *part = json_array_get(parts, idx), *value, *child;
	const char *kind = body_kind(part, &value);
	size_t i;

	if (part == NULL || depth > MIME_MAX_DEPTH)
		return;
	if (strcmp(kind, "Multipart") != 0) {
		*v = xarray_grow(*v, *n, sizeof(**v));
		(*v)[(*n)++] = idx;
		return;
	}
	json_array_foreach(value, i, child) {
		if (json_is_integer(child))
			leaves(parts, (size_t)json_integer_value(child), depth + 1, v, n);
	}
}

static char
want_role(json_t *j, size_t idx)
{
	json_t *part = json_array_get(json_object_get(j, "parts"), idx), *value;
	const char *kind = body_kind(part, &value);

	if (index_in(json_object_get(j, "text_body"), idx) &&
	    (strcmp(kind, "Text") == 0 || strcmp(kind, "Html") == 0))
		return kind[0] == 'T' ? 'T' : 'H';
	if (index_in(json_object_get(j, "attachments"), idx))
		return 'A';
	return '-';
}

/* "type/subtype" of a part, lowercase, defaults applied. */
static void
want_type(json_t *part, struct buf *out)
{
	json_t *ct = json_object_get(header_first(part, "content_type"), "ContentType"), *value;
	const char *type = json_string_value(json_object_get(ct, "c_type"));
	const char *sub = json_string_value(json_object_get(ct, "c_subtype"));
	size_t start = out->len;

	if (type == NULL)
		buf_adds(out, strcmp(body_kind(part, &value), "Message") == 0 ?
			 "message/rfc822" : "text/plain");
	else
		buf_addf(out, "%s%s%s", type, sub != NULL ? "/" : "", sub != NULL ? sub : "");
	for (; start < out->len; start++)
		out->data[start] = (char)str_ascii_lower((unsigned char)out->data[start]);
}

/* An attribute of a ContentType value, or NULL. */
static const char *
attribute(json_t *value, const char *name)
{
	json_t *attrs = json_object_get(json_object_get(value, "ContentType"), "attributes"), *a;
	size_t i;

	json_array_foreach(attrs, i, a) {
		const char *n = json_string_value(json_object_get(a, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return json_string_value(json_object_get(a, "value"));
	}
	return NULL;
}

static const char *
want_name(json_t *part)
{
	const char *name = attribute(header_first(part, "content_disposition"), "filename");

	return name != NULL ? name : attribute(header_first(part, "content_type"), "name");
}

/* The length of s[0..len) with its CRLF line ends counted as LF. */
static size_t
lf_length(const char *s, size_t len)
{
	size_t i, n = len;

	for (i = 0; i + 1 < len; i++) {
		if (s[i] == '\r' && s[i + 1] == '\n')
			n--;
	}
	return n;
}

/* Decoded size of part (text: in UTF-8, LF line ends), or -1 when Stalwart gives none. */
static long long
want_size(json_t *part)
{
	json_t *value, *cte;
	const char *kind = body_kind(part, &value);

	if (json_is_array(value))
		return (long long)json_array_size(value);
	if (json_is_string(value))
		return (long long)lf_length(json_string_value(value), json_string_length(value));
	if (strcmp(kind, "Message") != 0)
		return -1;
	cte = header_first(part, "content_transfer_encoding");
	if (cte != NULL) {
		const char *t = json_string_value(json_object_get(cte, "Text"));

		if (t == NULL || (strcasecmp(t, "7bit") != 0 && strcasecmp(t, "8bit") != 0 &&
				  strcasecmp(t, "binary") != 0))
			return -1;
	}
	return json_integer_value(json_object_get(part, "offset_end")) -
		json_integer_value(json_object_get(part, "offset_body"));
}

/* ------------------------------------------------------------------ */
/* the comparisons: 0 agree, else a description in *diff              */

/* 1 (and both sides in diff) when want and got differ; releases both. */
static int
settle(struct buf *want, struct buf *got, struct buf *diff)
{
	int rc = strcmp(buf_str(want), buf_str(got)) != 0;

	if (rc)
		buf_addf(diff, "want '%s', got '%s'", buf_str(want), buf_str(got));
	buf_release(want);
	buf_release(got);
	return rc;
}

static int
cmp_parts(json_t *j, const struct mime_msg *m, struct buf *diff)
{
	json_t *parts = json_object_get(j, "parts");
	struct buf want = BUF_INIT, got = BUF_INIT;
	size_t *idx = NULL, n = 0, i;

	leaves(parts, 0, 0, &idx, &n);
	for (i = 0; i < n; i++)
		buf_addc(&want, want_role(j, idx[i]));
	for (i = 0; i < m->n_parts; i++) {
		const struct mime_part *p = &m->parts[i];

		buf_addc(&got, p->in_body ? (strcmp(p->content_type, "text/html") == 0 ? 'H' : 'T') :
			 p->is_attachment ? 'A' : '-');
	}
	free(idx);
	return settle(&want, &got, diff);
}

static int
cmp_bodies(json_t *j, const struct mime_msg *m, struct buf *diff)
{
	json_t *parts = json_object_get(j, "parts"), *e, *value;
	struct buf text = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
	size_t i;

	json_array_foreach(json_object_get(j, "text_body"), i, e) {
		json_t *part = json_array_get(parts, (size_t)json_integer_value(e));
		const char *kind = body_kind(part, &value), *s = json_string_value(value);

		if (s == NULL || (strcmp(kind, "Text") != 0 && strcmp(kind, "Html") != 0))
			continue;
		buf_addc(&text, ' ');
		if (kind[0] == 'H') {
			char *t = html_to_text(s, strlen(s));

			buf_adds(&text, t);
			free(t);
		} else {
			buf_adds(&text, s);
		}
	}
	buf_add(&text, "", 0);
	squeeze(&want, text.data);
	squeeze(&got, m->body);
	buf_release(&text);
	return settle(&want, &got, diff);
}

static void
want_mailboxes(json_t *list, size_t max, struct buf *out)
{
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *addr = json_string_value(json_object_get(e, "address"));

		if (i >= max)
			break;
		buf_addf(out, "%s\"%s\" <%s>", i > 0 ? ", " : "", name ? name : "", addr ? addr : "");
	}
}

static void
got_mailboxes(const struct mime_addr *v, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_addf(out, "%s\"%s\" <%s>", i > 0 ? ", " : "",
			 v[i].name ? v[i].name : "", v[i].address ? v[i].address : "");
}

static int
cmp_addresses(json_t *j, const struct mime_msg *m, struct buf *diff)
{
	json_t *top = json_array_get(json_object_get(j, "parts"), 0);
	struct buf want = BUF_INIT, got = BUF_INIT;

	buf_adds(&want, "from: ");
	want_mailboxes(header_addresses(top, "from"), 1, &want);
	buf_adds(&want, "; to: ");
	want_mailboxes(header_addresses(top, "to"), (size_t)-1, &want);
	buf_adds(&want, "; cc: ");
	want_mailboxes(header_addresses(top, "cc"), (size_t)-1, &want);
	buf_adds(&want, "; reply-to: ");
	want_mailboxes(header_addresses(top, "reply_to"), (size_t)-1, &want);
	buf_adds(&got, "from: ");
	if (m->from.address != NULL || m->from.name != NULL)
		got_mailboxes(&m->from, 1, &got);
	buf_adds(&got, "; to: ");
	got_mailboxes(m->to, m->n_to, &got);
	buf_adds(&got, "; cc: ");
	got_mailboxes(m->cc, m->n_cc, &got);
	buf_adds(&got, "; reply-to: ");
	got_mailboxes(m->reply_to, m->n_reply_to, &got);
	return settle(&want, &got, diff);
}

static int
cmp_subjects(json_t *j, const struct mime_msg *m, struct buf *diff)
{
	json_t *top = json_array_get(json_object_get(j, "parts"), 0);
	json_t *subject = header_first(top, "subject");
	struct buf want = BUF_INIT, got = BUF_INIT;

	squeeze(&want, json_string_value(json_object_get(subject, "Text")));
	squeeze(&got, m->subject);
	return settle(&want, &got, diff);
}

/*
 * The size of ticketd's attachment i as compared: in UTF-8 for text.
 * Attachments are made from the attachment parts in order (files
 * uuencoded in the text come after them).
 */
static size_t
got_size(const struct mime_msg *m, size_t i, json_t *part)
{
	json_t *value;
	const char *kind = body_kind(part, &value);
	size_t k, seen = 0, len;
	char *utf8;

	if (strcmp(kind, "Text") != 0 && strcmp(kind, "Html") != 0)
		return m->attachments[i].size;
	for (k = 0; k < m->n_parts; k++) {
		const struct mime_part *p = &m->parts[k];

		if (!p->is_attachment || seen++ != i)
			continue;
		utf8 = charset_to_utf8(p->charset, p->data, p->size, &len);
		len = lf_length(utf8, len);
		free(utf8);
		return len;
	}
	return m->attachments[i].size;
}

static int
cmp_attachments(json_t *j, const struct mime_msg *m, struct buf *diff)
{
	json_t *parts = json_object_get(j, "parts"), *want_list, *e;
	struct buf want = BUF_INIT, got = BUF_INIT;
	size_t i, n_want;

	want_list = json_object_get(j, "attachments");
	n_want = json_array_size(want_list);
	for (i = 0; i < n_want || i < m->n_attachments; i++) {
		json_t *part = NULL;
		const char *name = NULL;
		long long size = -1;

		if (i < n_want) {
			e = json_array_get(want_list, i);
			part = json_array_get(parts, (size_t)json_integer_value(e));
			name = want_name(part);
			size = want_size(part);
			buf_addf(&want, "%s%s|", i > 0 ? ", " : "", name != NULL ? name : "*");
			want_type(part, &want);
			if (size >= 0)
				buf_addf(&want, "|%lld", size);
			else
				buf_adds(&want, "|*");
		}
		if (i < m->n_attachments) {
			const struct mime_attachment *a = &m->attachments[i];

			buf_addf(&got, "%s%s|%s|", i > 0 ? ", " : "",
				 part != NULL && name == NULL ? "*" :
				 a->filename != NULL ? a->filename : "(none)", a->content_type);
			if (part == NULL)
				buf_addf(&got, "%zu", a->size);
			else if (size >= 0)
				buf_addf(&got, "%zu", got_size(m, i, part));
			else
				buf_adds(&got, "*");
		}
	}
	return settle(&want, &got, diff);
}

typedef int (*cmp_fn)(json_t *, const struct mime_msg *, struct buf *);

static const cmp_fn compare[F_N] = {
	cmp_parts, cmp_bodies, cmp_addresses, cmp_subjects, cmp_attachments,
};

/* ------------------------------------------------------------------ */
/* the run                                                              */

static const struct known *
known_find(const char *file, enum field f)
{
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (known[i].file != NULL && known[i].field == f && strcmp(known[i].file, file) == 0)
			return &known[i];
	}
	return NULL;
}

static void
check_one(const char *file, const char *form, const char *raw, size_t len, json_t *j,
	  struct tally *t)
{
	struct mime_msg *m = mime_parse(raw, len, NULL);
	int f;

	t->messages++;
	for (f = 0; f < F_N; f++) {
		struct buf diff = BUF_INIT;
		const struct known *k = known_find(file, (enum field)f);
		int differs = compare[f](j, m, &diff);

		if (!differs) {
			t->agree[f]++;
			if (k != NULL) {
				printf("# %s (%s) %s: agrees now, but the table says: %s\n",
				       file, form, field_names[f], k->why);
				t->stale++;
			}
		} else if (k != NULL) {
			t->explained[f]++;
			if (verbose)
				printf("# %s (%s) %s, on purpose: %s\n", file, form, field_names[f],
				       buf_str(&diff));
		} else {
			t->differ[f]++;
			printf("# %s (%s) %s: %s\n", file, form, field_names[f], buf_str(&diff));
		}
		buf_release(&diff);
	}
	mime_msg_free(&m);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
run_dir(const char *root, const char *sub, struct tally *t)
{
	char *dir = xasprintf("%s/%s", root, sub);
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;

	if (d == NULL) {
		printf("# cannot open '%s': %s\n", dir, strerror(errno));
		t->messages++;          /* counts as a difference everywhere */
		free(dir);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > 4 && strcmp(e->d_name + len - 4, ".eml") == 0) {
			names = xarray_grow(names, n, sizeof(*names));
			names[n++] = xstrndup(e->d_name, len - 4);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s.eml", dir, names[i]);
		char *file = xasprintf("%s/%s", sub, names[i]), *raw, *form;
		size_t len, form_len;
		json_error_t err;
		json_t *j;

		raw = test_slurp(path, &len);
		free(path);
		path = xasprintf("%s/%s.json", dir, names[i]);
		j = json_load_file(path, JSON_ALLOW_NUL, &err);
		free(path);
		if (raw == NULL || j == NULL) {
			printf("# %s: cannot read the message or its json (%s)\n", file, err.text);
		} else {
			form = line_ends(raw, len, 0, &form_len);
			check_one(file, "lf", form, form_len, j, t);
			free(form);
			json_decref(j);
			path = xasprintf("%s/%s.crlf.json", dir, names[i]);
			j = json_load_file(path, JSON_ALLOW_NUL, &err);
			free(path);
			if (j != NULL) {
				form = line_ends(raw, len, 1, &form_len);
				check_one(file, "crlf", form, form_len, j, t);
				free(form);
				json_decref(j);
			}
		}
		free(raw);
		free(file);
		free(names[i]);
	}
	free(names);
	free(dir);
}

int
main(void)
{
	static const char *const dirs[] = { "rfc", "thirdparty", "legacy", "malformed" };
	const char *src = getenv("TICKETD_SRC");
	struct tally t;
	char *root;
	size_t i;
	DIR *d;
	int f;

	verbose = getenv("STALWART_VERBOSE") != NULL;
	root = xasprintf("%s/../shared/corpus/stalwart", src != NULL ? src : ".");
	d = opendir(root);
	if (d == NULL) {
		printf("1..0 # SKIP no corpus at %s\n", root);
		free(root);
		return 77;
	}
	closedir(d);
	memset(&t, 0, sizeof(t));
	test_begin("stalwart oracle: parts, bodies, addresses, subjects, attachments");
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		run_dir(root, dirs[i], &t);
	for (f = 0; f < F_N; f++) {
		printf("# stalwart %s: %zu of %zu agree (%.1f %%), %zu differ on purpose, %zu differ\n",
		       field_names[f], t.agree[f], t.messages,
		       t.messages ? 100.0 * (double)t.agree[f] / (double)t.messages : 0.0,
		       t.explained[f], t.differ[f]);
		if (t.agree[f] < floor_agree[f])
			printf("# stalwart %s: below the floor of %zu\n", field_names[f], floor_agree[f]);
		test_assert(t.agree[f] >= floor_agree[f]);
	}
	test_assert(t.messages > 0);
	test_assert_inteq(t.stale, 0);
	test_end();
	free(root);
	return test_done();
}
