/*
 * imf: the RFC 5322 header values ticketd reads.  Tolerant parsers for
 * addresses and Message-IDs, because libetpan's mailimf gives up on the
 * rest of a list at the first bad address ("a@b,, c@d" loses c@d,
 * "Name <>" becomes "Name<") and drops comment names; libetpan parses
 * the Date field, and a loose reading takes over when it refuses one.
 */
#include "imf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/mailimf.h>

#include "rfc2047.h"
#include "str.h"
#include "xmalloc.h"

static size_t
skip_comment(const char *p, size_t len, size_t i)
{
	int level = 0;

	for (; i < len; i++) {
		if (p[i] == '\\' && i + 1 < len)
			i++;
		else if (p[i] == '(')
			level++;
		else if (p[i] == ')' && level == 1)
			return i + 1;
		else if (p[i] == ')')
			level--;
	}
	return len;
}

size_t
imf_skip_cfws(const char *p, size_t len, size_t i)
{
	while (i < len) {
		if (str_is_space((unsigned char)p[i]))
			i++;
		else if (p[i] == '(')
			i = skip_comment(p, len, i);
		else
			break;
	}
	return i;
}

/* A quoted string starting at p[i] == '"'; the content in b. */
size_t
imf_read_quoted(const char *p, size_t len, size_t i, struct buf *b)
{
	for (i++; i < len && p[i] != '"'; i++) {
		if (p[i] == '\\' && i + 1 < len)
			i++;
		if (p[i] != '\r' && p[i] != '\n')
			buf_addc(b, p[i]);
	}
	return i < len ? i + 1 : len;
}

struct addr_state {
	struct buf phrase;
	struct buf angle;
	struct buf comment;
	struct buf local;         /* a quoted local part and its domain: "a b"@c */
	int have_angle;
};

static void
addr_list_push(struct mime_addr **list, size_t *n, char *name, char *address)
{
	*list = xarray_grow(*list, *n, sizeof(**list));
	(*list)[*n].name = name;
	(*list)[*n].address = address;
	(*n)++;
}

/* Collapse blanks and trim; NULL when empty.  Frees nothing. */
static char *
squeeze(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i;
	int blank = 0;

	for (i = 0; i < len; i++) {
		if (str_is_space((unsigned char)s[i])) {
			blank = b.len > 0;
			continue;
		}
		if (blank)
			buf_addc(&b, ' ');
		blank = 0;
		buf_addc(&b, s[i]);
	}
	if (b.len == 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static char *
decode_name(char *raw)
{
	char *out;

	if (raw == NULL)
		return NULL;
	out = rfc2047_decode(raw, strlen(raw));
	free(raw);
	if (out != NULL && *out == '\0') {
		free(out);
		return NULL;
	}
	return out;
}

/* s[0..len) without comments and blanks (CFWS inside an addr-spec or id). */
static char *
strip_cfws(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i = 0;

	while (i < len) {
		if (s[i] == '(') {
			i = skip_comment(s, len, i);
		} else if (s[i] == '"') {
			size_t start = i++;

			while (i < len && s[i] != '"')
				i += s[i] == '\\' && i + 1 < len ? 2 : 1;
			i = i < len ? i + 1 : len;
			buf_add(&b, s + start, i - start);
		} else {
			if (!str_is_space((unsigned char)s[i]))
				buf_addc(&b, s[i]);
			i++;
		}
	}
	if (b.len == 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* The addr-spec inside <...>: without a source route, comments, blanks. */
char *
imf_angle_address(const char *s, size_t len)
{
	const char *colon;

	str_trim_span(&s, &len);
	if (len > 0 && s[0] == '@') {
		colon = memchr(s, ':', len);
		if (colon != NULL) {
			len -= (size_t)(colon + 1 - s);
			s = colon + 1;
		}
	}
	return strip_cfws(s, len);
}

static int
joins_address(char c)
{
	return c == '.' || c == '@';
}

/*
 * An address written without angle brackets, in a squeezed phrase: the
 * words around the first '@', joined where a '.' or '@' touches a blank
 * ("jdoe@test . example"), are the address; the words before it the name.
 * Takes phrase.
 */
static void
bare_address(char *phrase, char **name_r, char **address_r)
{
	char *at = strchr(phrase, '@'), *start, *end;

	if (at == NULL) {
		*name_r = phrase;       /* "Whomever": a name, no address */
		return;
	}
	start = at;
	while (start > phrase) {
		if (start[-1] == ' ' && !joins_address(start[0]) &&
		    !(start - 1 > phrase && joins_address(start[-2])))
			break;
		start--;
	}
	end = at;
	while (*end != '\0') {
		if (*end == ' ' && !joins_address(end[-1]) && !joins_address(end[1]))
			break;
		end++;
	}
	*address_r = strip_cfws(start, (size_t)(end - start));
	while (start > phrase && start[-1] == ' ')
		start--;
	if (start > phrase)
		*name_r = xstrndup(phrase, (size_t)(start - phrase));
	free(phrase);
}

static void
addr_finish(struct addr_state *st, struct mime_addr **list, size_t *n)
{
	char *name = NULL, *address = NULL;
	char *phrase = squeeze(st->phrase.data ? st->phrase.data : "", st->phrase.len);

	if (st->have_angle) {
		address = imf_angle_address(st->angle.data ? st->angle.data : "", st->angle.len);
		name = phrase;
	} else if (st->local.len > 0) {
		address = xstrdup(buf_str(&st->local));
		name = phrase;
	} else if (phrase != NULL) {
		bare_address(phrase, &name, &address);
	}
	if (name == NULL && address != NULL && st->comment.len > 0)
		name = squeeze(st->comment.data, st->comment.len);
	if (address != NULL || name != NULL)
		addr_list_push(list, n, decode_name(name), address);
	buf_reset(&st->phrase);
	buf_reset(&st->angle);
	buf_reset(&st->comment);
	buf_reset(&st->local);
	st->have_angle = 0;
}

/*
 * The end of an RFC 2047 encoded word at p[i] ("=?charset?Q?text?="), or
 * 0 when there is none.  Inside it nothing is structure: clients write
 * a literal comma or quote in Q text ("=?iso-8859-1?Q?B=FCrling,_Andreas?=").
 */
static size_t
encoded_word_end(const char *p, size_t len, size_t i)
{
	size_t j = i + 2;

	if (i + 1 >= len || p[i] != '=' || p[i + 1] != '?')
		return 0;
	while (j < len && p[j] != '?' && !str_is_space((unsigned char)p[j]))
		j++;
	if (j == i + 2 || j + 2 >= len || p[j] != '?' || strchr("BbQq", p[j + 1]) == NULL ||
	    p[j + 2] != '?')
		return 0;
	for (j += 3; j + 1 < len; j++) {
		if (p[j] == '\r' || p[j] == '\n' || p[j] == '<' || p[j] == '>')
			return 0;
		if (p[j] == '?' && p[j + 1] == '=')
			return j + 2;
	}
	return 0;
}

/*
 * A quoted string at p[i] directly followed by '@' is a local part
 * ("Millions Lottery Spain transfer"@example.com): copy it, quotes kept,
 * with its domain into local; the index after the domain, or 0.
 */
static size_t
quoted_local_part(const char *p, size_t len, size_t i, struct buf *local)
{
	struct buf dummy = BUF_INIT;
	size_t end = imf_read_quoted(p, len, i, &dummy), j;

	buf_release(&dummy);
	if (end >= len || p[end] != '@' || end - i < 2 || p[end - 1] != '"')
		return 0;
	for (j = end + 1; j < len && p[j] != ',' && p[j] != ';' && p[j] != '<' &&
	     p[j] != '(' && !str_is_space((unsigned char)p[j]); j++)
		;
	buf_reset(local);
	buf_add(local, p + i, j - i);
	return j;
}

/*
 * A tolerant address-list parser: quoted strings, comments (a comment is
 * the name when there is no other), <angle> addresses, groups flattened,
 * and whatever is left of a broken address kept as written.
 */
static void
addr_list_parse(const char *p, size_t len, struct mime_addr **list, size_t *n)
{
	struct addr_state st = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, 0 };
	size_t i = 0;

	while (i < len) {
		char c = p[i];
		size_t token = 0;

		if (c == '"' && !st.have_angle)
			token = quoted_local_part(p, len, i, &st.local);
		else if (c == '=')
			token = encoded_word_end(p, len, i);
		if (token != 0 && c == '=') {
			buf_add(&st.phrase, p + i, token - i);
			i = token;
		} else if (token != 0) {
			i = token;
		} else if (c == '"') {
			i = imf_read_quoted(p, len, i, &st.phrase);
		} else if (c == '(') {
			size_t end = skip_comment(p, len, i);

			if (st.comment.len == 0 && end > i + 1)
				buf_add(&st.comment, p + i + 1, end - i - 1 - (p[end - 1] == ')'));
			i = end;
			buf_addc(&st.phrase, ' ');
		} else if (c == '<') {
			const char *gt = memchr(p + i, '>', len - i);
			size_t end = gt ? (size_t)(gt - p) : len;

			buf_reset(&st.angle);
			buf_add(&st.angle, p + i + 1, end - i - 1);
			st.have_angle = 1;
			i = gt ? end + 1 : len;
		} else if (c == ',' || c == ';') {
			addr_finish(&st, list, n);
			i++;
		} else if (c == ':' && !st.have_angle && strchr(buf_str(&st.phrase), '@') == NULL) {
			buf_reset(&st.phrase);     /* a group name */
			buf_reset(&st.comment);
			i++;
		} else {
			buf_addc(&st.phrase, str_is_space((unsigned char)c) ? ' ' : c);
			i++;
		}
	}
	addr_finish(&st, list, n);
	buf_release(&st.phrase);
	buf_release(&st.angle);
	buf_release(&st.comment);
	buf_release(&st.local);
}


void
imf_addr_release(struct mime_addr *a)
{
	free(a->name);
	free(a->address);
	a->name = NULL;
	a->address = NULL;
}

/*
 * Parse an address field, appending to list.  Some mailers put a whole
 * mailbox into one encoded word ("=?utf-8?b?...?=" for "Name <a@b>"):
 * when an address comes out as an encoded word, or a name as an address,
 * the field is decoded first and parsed again.
 */
void
imf_addr_list(const char *p, size_t len, struct mime_addr **list, size_t *n)
{
	struct mime_addr *tmp = NULL;
	size_t n_tmp = 0, i;
	int encoded = 0;
	char *decoded;

	addr_list_parse(p, len, &tmp, &n_tmp);
	for (i = 0; i < n_tmp; i++) {
		if (tmp[i].address != NULL && strncmp(tmp[i].address, "=?", 2) == 0)
			encoded = 1;
		/* "Name <a@b>" encoded whole: a name holding an address */
		if (tmp[i].address == NULL && tmp[i].name != NULL && strchr(tmp[i].name, '@') != NULL &&
		    memmem(p, len, "=?", 2) != NULL)
			encoded = 1;
	}
	if (encoded) {
		for (i = 0; i < n_tmp; i++)
			imf_addr_release(&tmp[i]);
		n_tmp = 0;
		decoded = rfc2047_decode(p, len);
		addr_list_parse(decoded, strlen(decoded), &tmp, &n_tmp);
		free(decoded);
	}
	for (i = 0; i < n_tmp; i++)
		addr_list_push(list, n, tmp[i].name, tmp[i].address);
	free(tmp);
}

void
imf_addr_first(const char *p, size_t len, struct mime_addr *out)
{
	struct mime_addr *list = NULL;
	size_t n = 0, i;

	imf_addr_list(p, len, &list, &n);
	for (i = 0; i < n && list[i].address == NULL; i++)
		;
	if (i == n)
		i = 0;     /* none has an address: the first name */
	if (n > 0) {
		imf_addr_release(out);
		*out = list[i];
		list[i].address = list[i].name = NULL;
	}
	for (i = 0; i < n; i++)
		imf_addr_release(&list[i]);
	free(list);
}

static void
ids_push(char ***ids, size_t *n, const char *p, size_t len)
{
	char *id = strip_cfws(p, len);

	if (id == NULL)
		return;
	*ids = xarray_grow(*ids, *n, sizeof(**ids));
	(*ids)[(*n)++] = id;
}

/*
 * Message-IDs in a field: each <...>; without any, the words holding an
 * '@' (or, when want_any, the first word).  Comments and quotes skipped.
 */
void
imf_ids(const char *p, size_t len, char ***ids, size_t *n, int want_any)
{
	size_t i = 0, before = *n;

	while (i < len) {
		if (p[i] == '(') {
			i = skip_comment(p, len, i);
		} else if (p[i] == '<') {
			const char *gt = memchr(p + i, '>', len - i);
			size_t end = gt ? (size_t)(gt - p) : len;

			ids_push(ids, n, p + i + 1, end - i - 1);
			i = gt ? end + 1 : len;
		} else {
			i++;
		}
	}
	if (*n > before)
		return;
	i = 0;
	while (i < len) {
		size_t start;

		while (i < len && (str_is_space((unsigned char)p[i]) || p[i] == ','))
			i++;
		start = i;
		while (i < len && !str_is_space((unsigned char)p[i]) && p[i] != ',')
			i++;
		if (i > start && (memchr(p + start, '@', i - start) != NULL || want_any)) {
			ids_push(ids, n, p + start, i - start);
			if (want_any)
				return;
		}
	}
}

char *
imf_id_first(const char *p, size_t len, int want_any)
{
	char **ids = NULL, *first = NULL;
	size_t n = 0, i;

	imf_ids(p, len, &ids, &n, want_any);
	for (i = 0; i < n; i++) {
		if (i == 0)
			first = ids[i];
		else
			free(ids[i]);
	}
	free(ids);
	return first;
}

/* Copy of p[0..len) with each comment turned into a blank. */
static char *
uncomment(const char *p, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i = 0;

	buf_grow(&b, len);
	while (i < len) {
		if (p[i] == '(') {
			i = skip_comment(p, len, i);
			buf_addc(&b, ' ');
		} else {
			buf_addc(&b, p[i++]);
		}
	}
	return buf_detach(&b, NULL);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

struct date_fields {
	int year, month, day, hour, min, sec;
	int zone;                 /* as written: -0500 is -500 */
};

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec",
};

/* Zone names of RFC 5322 4.3 (military zones are read as UTC). */
static int
zone_name(const char *w, size_t len, int *zone_r)
{
	static const struct {
		const char *name;
		int zone;
	} zones[] = {
		{ "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "z", 0 },
		{ "edt", -400 }, { "est", -500 }, { "cdt", -500 }, { "cst", -600 },
		{ "mdt", -600 }, { "mst", -700 }, { "pdt", -700 }, { "pst", -800 },
	};
	size_t i;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		if (str_span_eq_ci(w, len, zones[i].name)) {
			*zone_r = zones[i].zone;
			return 1;
		}
	}
	return 0;
}

static int
parse_uint(const char *w, size_t len, int *v_r)
{
	size_t i;
	int v = 0;

	if (len == 0 || len > 4)
		return 0;
	for (i = 0; i < len; i++) {
		if (w[i] < '0' || w[i] > '9')
			return 0;
		v = v * 10 + (w[i] - '0');
	}
	*v_r = v;
	return 1;
}

/* "hh:mm[:ss]", blanks around the colons already removed. */
static int
parse_time(const char *w, size_t len, struct date_fields *d)
{
	const char *c1 = memchr(w, ':', len), *c2;

	if (c1 == NULL || !parse_uint(w, (size_t)(c1 - w), &d->hour))
		return 0;
	c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - w));
	d->sec = 0;
	if (c2 == NULL)
		return parse_uint(c1 + 1, len - (size_t)(c1 + 1 - w), &d->min);
	return parse_uint(c1 + 1, (size_t)(c2 - c1 - 1), &d->min) &&
		parse_uint(c2 + 1, len - (size_t)(c2 + 1 - w), &d->sec);
}

/*
 * A date that libetpan refuses: words in any order that day, month name,
 * year, time and zone can be told apart in ("Fri, 21 Nov 1997 09 : 55 :
 * 06 -0600", "21-Nov-97 9:55", a missing zone read as UTC).
 */
static int
date_parse_loose(const char *clean, struct date_fields *d)
{
	struct buf b = BUF_INIT;
	const char *s;
	size_t i, n;
	int have_time = 0, v;

	/* blanks around ':' go, commas and dashes between words become blanks */
	for (s = clean; *s != '\0'; s++) {
		if (*s == ':') {
			while (b.len > 0 && b.data[b.len - 1] == ' ')
				b.len--;
			buf_addc(&b, ':');
			while (s[1] == ' ' || s[1] == '\t' || s[1] == '\r' || s[1] == '\n')
				s++;
		} else if (*s == ',' || str_is_space((unsigned char)*s) ||
			   (*s == '-' && s > clean && isalpha((unsigned char)s[-1]))) {
			buf_addc(&b, ' ');
		} else {
			buf_addc(&b, *s);
		}
	}
	memset(d, 0, sizeof(*d));
	d->day = d->month = d->year = -1;
	s = buf_str(&b);
	for (i = 0; s[i] != '\0'; i += n) {
		const char *w = s + i;
		size_t k;

		n = strcspn(w, " ");
		if (n == 0) {
			n = 1;
			continue;
		}
		if (memchr(w, ':', n) != NULL) {
			have_time = parse_time(w, n, d);
		} else if ((w[0] == '+' || w[0] == '-') && n == 5 && parse_uint(w + 1, 4, &v)) {
			d->zone = w[0] == '-' ? -v : v;
		} else if (parse_uint(w, n, &v)) {
			if (d->day < 0 && n <= 2)
				d->day = v;
			else if (d->year < 0)
				d->year = v;
		} else if (n >= 3) {
			for (k = 0; k < 12; k++) {
				if (strncasecmp(w, month_names[k], 3) == 0 && d->month < 0)
					d->month = (int)k + 1;
			}
			zone_name(w, n, &d->zone);
		}
		if (w[n] == '\0')
			break;
	}
	buf_release(&b);
	return d->day > 0 && d->month > 0 && d->year >= 0 && have_time ? 0 : -1;
}

static int
date_parse_etpan(const char *clean, struct date_fields *d)
{
	struct mailimf_date_time *dt = NULL;
	size_t idx = 0;

	if (mailimf_date_time_parse(clean, strlen(clean), &idx, &dt) != MAILIMF_NO_ERROR)
		return -1;
	d->year = dt->dt_year;
	d->month = dt->dt_month;
	d->day = dt->dt_day;
	d->hour = dt->dt_hour;
	d->min = dt->dt_min;
	d->sec = dt->dt_sec;
	d->zone = dt->dt_zone;
	mailimf_date_time_free(dt);
	return 0;
}

/* Parse a Date field: libetpan first, then the loose reading; ranges checked. */
int
imf_date(const char *p, size_t len, time_t *date_r, int *tzoff_r)
{
	struct date_fields d;
	char *clean = uncomment(p, len);
	int r, zabs;

	r = date_parse_etpan(clean, &d);
	if (r != 0)
		r = date_parse_loose(clean, &d);
	free(clean);
	if (r != 0)
		return -1;
	if (d.year < 50)
		d.year += 2000;
	else if (d.year < 1000)
		d.year += 1900;
	zabs = d.zone < 0 ? -d.zone : d.zone;
	if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 ||
	    d.hour < 0 || d.hour > 23 || d.min < 0 || d.min > 59 ||
	    d.sec < 0 || d.sec > 60 || d.year > 9999 || zabs > 1400 || zabs % 100 > 59)
		return -1;
	*tzoff_r = (d.zone < 0 ? -1 : 1) * (zabs / 100 * 60 + zabs % 100);
	*date_r = (time_t)(days_from_civil(d.year, (unsigned)d.month, (unsigned)d.day) * 86400LL +
			   d.hour * 3600LL + d.min * 60LL + d.sec - *tzoff_r * 60LL);
	return 0;
}