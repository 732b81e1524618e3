/*
 * scan: bounded searches in the text of machine-made mail, for classify
 * and dsn.  Everything here reads hostile input: lengths are explicit,
 * nothing is copied beyond SCAN_MAX_ID bytes, and only ASCII case is
 * folded.
 */
#include "scan.h"

#include <string.h>

#include "mime.h"
#include "str.h"
#include "xmalloc.h"

/* Case-insensitive (ASCII) search for needle in hay[0..len). */
const char *
scan_ci_find(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	int first = str_ascii_lower((unsigned char)needle[0]);

	if (n == 0 || n > len)
		return n == 0 ? hay : NULL;
	for (size_t i = 0; i + n <= len; i++) {
		size_t j;

		if (str_ascii_lower((unsigned char)hay[i]) != first)
			continue;
		for (j = 1; j < n; j++)
			if (str_ascii_lower((unsigned char)hay[i + j]) != str_ascii_lower((unsigned char)needle[j]))
				break;
		if (j == n)
			return hay + i;
	}
	return NULL;
}

/* Index of the first needle found in hay, or -1. */
int
scan_ci_find_any(const char *hay, size_t len, const char *const *needles)
{
	for (int i = 0; needles[i] != NULL; i++)
		if (scan_ci_find(hay, len, needles[i]) != NULL)
			return i;
	return -1;
}

/* ----------------------------------------------------------- addresses */

int
scan_is_local_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c != '\0' && strchr(".!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

/* The local part of addr (up to '@'), or NULL; length in *len_r. */
const char *
scan_local_part(const char *addr, size_t *len_r)
{
	const char *at;

	if (addr == NULL)
		return NULL;
	while (*addr == '<' || *addr == '"' || str_is_space((unsigned char)*addr))
		addr++;
	at = strchr(addr, '@');
	*len_r = at != NULL ? (size_t)(at - addr) : strlen(addr);
	while (*len_r > 0 && (addr[*len_r - 1] == '>' || addr[*len_r - 1] == '"' ||
			      str_is_space((unsigned char)addr[*len_r - 1])))
		(*len_r)--;
	return addr;
}

static int
local_is(const char *local, size_t len, const char *word)
{
	return strlen(word) == len && str_has_prefix_ci(local, word);
}

/* "mailer-daemon" or "postmaster" when addr's local part is one (SPEC 4). */
const char *
scan_daemon_reason(const char *addr)
{
	size_t len;
	const char *local = scan_local_part(addr, &len);

	if (local == NULL)
		return NULL;
	if (local_is(local, len, "mailer-daemon"))
		return "mailer-daemon";
	if (local_is(local, len, "postmaster"))
		return "postmaster";
	return NULL;
}

/* Other local parts that MTAs and gateways send their reports from. */
int
scan_robot_local(const char *addr)
{
	static const char *const words[] = {
		"mailer-daemon", "postmaster", "mailerdaemon", "mail-daemon",
		"mailer_daemon", "post_master", "mail.delivery.system",
		"mdaemon", "mmsc", "root", "smtp", "bounce", "bounces",
		"sysadmin", NULL
	};
	size_t len;
	const char *local = scan_local_part(addr, &len);

	if (local == NULL)
		return 0;
	for (int i = 0; words[i] != NULL; i++)
		if (local_is(local, len, words[i]))
			return 1;
	/* "poostmaster", "postmaster-xyz", "mailer-daemon+tag" */
	return len > 0 && (scan_ci_find(local, len, "postmaster") != NULL ||
			   scan_ci_find(local, len, "mailer-daemon") != NULL);
}

static int
is_domain_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/*
 * Length of the local@domain address at s[0..len), 0 when there is none:
 * a non-empty local part, a dotted domain (or a bare host name when
 * single_label is set).  Trailing dots are not part of it.
 */
size_t
scan_address_len(const char *s, size_t len, int single_label)
{
	size_t i = 0, at, dots = 0;

	while (i < len && scan_is_local_char((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= len || s[i] != '@')
		return 0;
	at = i++;
	while (i < len && is_domain_char((unsigned char)s[i]))
		dots += s[i++] == '.';
	while (i > at + 1 && s[i - 1] == '.') {
		i--;
		dots--;
	}
	if (i - at < 2 || (dots == 0 && !single_label) || i > SCAN_MAX_ID)
		return 0;
	return i;
}

/*
 * Copy the address at s[0..len) (after an optional "type;", blanks, "<"
 * and quotes), or NULL when there is no plausible local@domain there.
 */
char *
scan_address_at(const char *s, size_t len)
{
	const char *end = s + len;
	const char *semi = memchr(s, ';', len);
	size_t n;

	if (semi != NULL)
		s = semi + 1;
	while (s < end && (str_is_space((unsigned char)*s) || *s == '<' || *s == '"' || *s == '\''))
		s++;
	n = scan_address_len(s, (size_t)(end - s), 0);
	return n > 0 ? xstrndup(s, n) : NULL;
}

/* ------------------------------------------------------- field lookups */

/*
 * Find a "Name: value" line in data[0..len): the name at the start of a
 * line, after optional blanks and "> " quoting.  Returns the value (its
 * length, up to the end of the line, in *vlen_r); a value folded onto the
 * next line is followed.  headers_only stops at the first empty line.
 */
const char *
scan_find_field(const char *data, size_t len, const char *name, int headers_only,
	   size_t *vlen_r)
{
	const char *end = data + len;
	const char *line = data;
	size_t nlen = strlen(name);

	/* a returned message may start with blank lines */
	while (headers_only && line < end && (*line == '\n' || *line == '\r'))
		line++;
	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *p = line;
		const char *next;

		if (eol == NULL)
			eol = end;
		next = eol < end ? eol + 1 : end;
		if (headers_only && (p == eol || (*p == '\r' && p + 1 == eol)))
			return NULL;
		while (p < eol && (*p == ' ' || *p == '\t' || *p == '>'))
			p++;
		if ((size_t)(eol - p) > nlen && str_has_prefix_ci(p, name)) {
			p += nlen;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			if (p < eol && *p == ':') {
				const char *v = p + 1;
				const char *ve = eol;

				while (v < ve && str_is_space((unsigned char)*v))
					v++;
				while (ve > v && str_is_space((unsigned char)ve[-1]))
					ve--;
				if (v == ve && next < end && (*next == ' ' || *next == '\t')) {
					/* folded: the value is on the next line */
					v = next;
					ve = memchr(next, '\n', (size_t)(end - next));
					if (ve == NULL)
						ve = end;
					while (v < ve && str_is_space((unsigned char)*v))
						v++;
					while (ve > v && str_is_space((unsigned char)ve[-1]))
						ve--;
				}
				*vlen_r = (size_t)(ve - v);
				return v;
			}
		}
		line = next;
	}
	return NULL;
}

/* The msg-id inside <…> in v[0..len) (or the bare token), or NULL. */
char *
scan_msgid_at(const char *v, size_t len)
{
	const char *end = v + len;
	const char *lt = memchr(v, '<', len);
	const char *a, *b;

	if (lt != NULL) {
		a = lt + 1;
		b = memchr(a, '>', (size_t)(end - a));
		if (b == NULL)
			return NULL;
	} else {
		a = v;
		b = a;
		while (b < end && !str_is_space((unsigned char)*b))
			b++;
	}
	if (b == a || b - a > SCAN_MAX_ID || memchr(a, '@', (size_t)(b - a)) == NULL)
		return NULL;
	for (const char *p = a; p < b; p++)
		if (str_is_space((unsigned char)*p))
			return NULL;
	return xstrndup(a, (size_t)(b - a));
}

size_t
scan_part_len(const struct mime_part *part, size_t max)
{
	size_t n = part->data != NULL ? part->size : 0;

	return n < max ? n : max;
}

/* Like scan_part_len, charged to a budget shared by the parts of one search. */
size_t
scan_part_take(const struct mime_part *part, size_t *budget)
{
	size_t n = scan_part_len(part, *budget);

	*budget -= n;
	return n;
}

int
scan_part_is_text(const struct mime_part *part)
{
	return part->content_type != NULL && strncmp(part->content_type, "text/", 5) == 0 &&
	       strcmp(part->content_type, "text/rfc822-headers") != 0;
}
