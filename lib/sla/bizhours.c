/*
 * bizhours: business-time arithmetic over a time zone, weekly hours and
 * holidays.
 *
 * The time zone comes from its TZif file (RFC 8536), read into the
 * calendar: the transition table, then the POSIX TZ footer for instants
 * after the last transition. Everything else works on a "segment": a
 * stretch of UTC in which the offset from UTC does not change. Inside a
 * segment local time is UTC plus a constant, so the business hours of each
 * local day map to UTC by subtracting that constant, and a DST change is
 * just the end of one segment and the start of the next. That makes gaps
 * (spring forward) and repeated hours (fall back) count real seconds with
 * no special cases.
 *
 * Queries walk one open stretch (a range of one local day) at a time, never
 * minute by minute.
 */
#include "bizhours.h"
#include "xmalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef BIZHOURS_TZDIR
#define BIZHOURS_TZDIR "/usr/share/zoneinfo"
#endif

#define DAY_SECS 86400
#define TZ_NAME_MAX 255		/* length of a zone name */
#define TZ_FILE_MAX (256 * 1024)	/* size of a TZif file */
#define TZ_MAX_TRANSITIONS 50000
#define TZ_MAX_TYPES 256
#define TZ_MAX_CHARS 1024	/* zone abbreviation bytes */
#define TZ_ABBR_MAX 16		/* abbreviation in a POSIX TZ string, with NUL */

/*
 * The instants the calendar works with: 1900-01-01T00:00Z up to, not
 * including, 2400-01-01T00:00Z. The bound keeps every walk finite (at most
 * 500 years of days) and all arithmetic far from overflow.
 */
#define T_MIN ((int64_t)-2208988800)
#define T_MAX ((int64_t)13569465600)

static const char *const day_names[7] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
};

/* One opening range of a weekday, in seconds after local midnight. */
struct range {
	int32_t open;
	int32_t close;		/* open < close <= DAY_SECS */
};

/* When a POSIX TZ rule changes between standard and daylight time. */
struct tz_when {
	char kind;		/* 'M' month.week.wday, 'J' 1..365 without Feb 29, 'D' 0..365 */
	int month;		/* 1..12 */
	int week;		/* 1..5, 5 = the last */
	int wday;		/* 0 = Sunday */
	int yday;
	int32_t secs;		/* local time of day, may be < 0 or > 24 h */
};

/* A POSIX TZ string such as "EST5EDT,M3.2.0,M11.1.0". */
struct tz_rule {
	int32_t std_off;	/* seconds east of UTC */
	int32_t dst_off;
	int has_dst;
	struct tz_when start;	/* daylight time starts (in standard time) */
	struct tz_when end;	/* daylight time ends (in daylight time) */
	char std_abbr[TZ_ABBR_MAX];
	char dst_abbr[TZ_ABBR_MAX];
};

/* A local time type of a TZif file. */
struct tz_type {
	int32_t off;
	int isdst;
	size_t abbr;		/* index into tz.abbrs */
};

struct tz {
	int64_t *trans;		/* ascending */
	uint8_t *trans_type;
	size_t ntrans;
	struct tz_type *types;
	size_t ntypes;
	char *abbrs;
	int has_rule;		/* footer, for instants after the last transition */
	struct tz_rule rule;
};

/* The local time in force at an instant. */
struct tz_info {
	int32_t off;
	int isdst;
	const char *abbr;
};

struct bizhours {
	char *tz_name;
	struct tz zone;
	struct range ranges[7][BIZHOURS_MAX_RANGES];
	int nranges[7];
	int64_t *holidays;	/* local day numbers, ascending, unique */
	size_t nholidays;
	size_t holidays_cap;
};

/* Calendar arithmetic ------------------------------------------------- */

static int64_t
fdiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t
fmod64(int64_t a, int64_t b)
{
	return a - fdiv(a, b) * b;
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return len[m - 1] + (m == 2 && is_leap(y));
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; m 1..12, d 1..31). */
static int64_t
days_from_date(int64_t y, int m, int d)
{
	static const int before[12] = {
		0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334
	};
	int64_t py = y - 1;
	/* Days from 0001-01-01 to y-01-01, then into the year. */
	int64_t days = 365 * py + fdiv(py, 4) - fdiv(py, 100) + fdiv(py, 400);

	days += before[m - 1] + (m > 2 && is_leap(y)) + d - 1;
	return days - 719162;	/* days from 0001-01-01 to 1970-01-01 */
}

static int64_t
year_of_day(int64_t day)
{
	int64_t y = 1970 + fdiv(day * 400, 146097);

	while (days_from_date(y, 1, 1) > day)
		y--;
	while (days_from_date(y + 1, 1, 1) <= day)
		y++;
	return y;
}

/* 0 = Monday, as day_names; 1970-01-01 was a Thursday. */
static int
weekday(int64_t day)
{
	return (int)fmod64(day + 3, 7);
}

static int
date_valid(int64_t y, int m, int d)
{
	return y >= 1 && y <= 9999 && m >= 1 && m <= 12 &&
		d >= 1 && d <= month_days(y, m);
}

/* POSIX TZ strings ---------------------------------------------------- */

/* Read up to maxdigits decimal digits; at least one is needed. */
static int
parse_uint(const char **pp, int maxdigits, int *v_r)
{
	const char *p = *pp;
	int v = 0, n = 0;

	while (n < maxdigits && isdigit((unsigned char)*p)) {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n == 0)
		return -1;
	*pp = p;
	*v_r = v;
	return 0;
}

/* [+-]hh[:mm[:ss]] with hh <= max_hours; the signed value in seconds. */
static int
posix_hms(const char **pp, int max_hours, int32_t *secs_r)
{
	const char *p = *pp;
	int sign = 1, h, m = 0, s = 0;

	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
	}
	if (parse_uint(&p, 3, &h) < 0 || h > max_hours)
		return -1;
	if (*p == ':') {
		p++;
		if (parse_uint(&p, 2, &m) < 0 || m > 59)
			return -1;
		if (*p == ':') {
			p++;
			if (parse_uint(&p, 2, &s) < 0 || s > 59)
				return -1;
		}
	}
	*pp = p;
	*secs_r = sign * (h * 3600 + m * 60 + s);
	return 0;
}

/* A zone abbreviation: three or more letters, or <...> quoted. */
static int
posix_name(const char **pp, char *out, size_t outlen)
{
	const char *p = *pp, *start, *end;

	if (*p == '<') {
		start = ++p;
		while (isalnum((unsigned char)*p) || *p == '+' || *p == '-')
			p++;
		if (*p != '>')
			return -1;
		end = p++;
	} else {
		start = p;
		while (isalpha((unsigned char)*p))
			p++;
		end = p;
	}
	if (end - start < 3 || (size_t)(end - start) >= outlen)
		return -1;
	memcpy(out, start, end - start);
	out[end - start] = '\0';
	*pp = p;
	return 0;
}

/* Mm.w.d, Jn or n, then an optional /time (default 02:00). */
static int
posix_when(const char **pp, struct tz_when *w)
{
	const char *p = *pp;

	memset(w, 0, sizeof(*w));
	if (*p == 'M') {
		p++;
		w->kind = 'M';
		if (parse_uint(&p, 2, &w->month) < 0 || *p++ != '.' ||
		    parse_uint(&p, 1, &w->week) < 0 || *p++ != '.' ||
		    parse_uint(&p, 1, &w->wday) < 0)
			return -1;
		if (w->month < 1 || w->month > 12 || w->week < 1 ||
		    w->week > 5 || w->wday > 6)
			return -1;
	} else if (*p == 'J') {
		p++;
		w->kind = 'J';
		if (parse_uint(&p, 3, &w->yday) < 0 || w->yday < 1 || w->yday > 365)
			return -1;
	} else {
		w->kind = 'D';
		if (parse_uint(&p, 3, &w->yday) < 0 || w->yday > 365)
			return -1;
	}
	w->secs = 2 * 3600;
	if (*p == '/') {
		p++;
		if (posix_hms(&p, 167, &w->secs) < 0)
			return -1;
	}
	*pp = p;
	return 0;
}

static int
posix_rule_parse(const char *s, struct tz_rule *r)
{
	const char *p = s;
	int32_t v;

	memset(r, 0, sizeof(*r));
	if (posix_name(&p, r->std_abbr, sizeof(r->std_abbr)) < 0 ||
	    posix_hms(&p, 24, &v) < 0)
		return -1;
	r->std_off = -v;	/* POSIX counts west of Greenwich */
	if (*p == '\0')
		return 0;
	if (posix_name(&p, r->dst_abbr, sizeof(r->dst_abbr)) < 0)
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*p != '\0' && *p != ',') {
		if (posix_hms(&p, 24, &v) < 0)
			return -1;
		r->dst_off = -v;
	}
	if (*p == '\0') {
		/* No rule given: the US rules, as glibc assumes. */
		p = ",M3.2.0,M11.1.0";
	}
	if (*p++ != ',' || posix_when(&p, &r->start) < 0 ||
	    *p++ != ',' || posix_when(&p, &r->end) < 0 || *p != '\0')
		return -1;
	return 0;
}

/* The UTC instant of a rule change in year y, when off_before is in force. */
static int64_t
posix_when_utc(const struct tz_when *w, int64_t y, int32_t off_before)
{
	int64_t day;

	if (w->kind == 'M') {
		int64_t first = days_from_date(y, w->month, 1);
		int first_wday = (int)fmod64(first + 4, 7);	/* 0 = Sunday */
		int64_t mday = (w->wday - first_wday + 7) % 7 + 7 * (w->week - 1);

		while (mday >= month_days(y, w->month))
			mday -= 7;
		day = first + mday;
	} else if (w->kind == 'J') {
		day = days_from_date(y, 1, 1) + w->yday - 1 +
			(is_leap(y) && w->yday >= 60);
	} else {
		day = days_from_date(y, 1, 1) + w->yday;
	}
	return day * DAY_SECS + w->secs - off_before;
}

static void
posix_rule_lookup(const struct tz_rule *r, int64_t t, struct tz_info *info,
		  int64_t *until_r)
{
	struct { int64_t at; int isdst; } ch[8], tmp;
	int64_t y0 = year_of_day(fdiv(t, DAY_SECS)) - 1;
	int n = 0, i, j, isdst;

	if (!r->has_dst) {
		info->off = r->std_off;
		info->isdst = 0;
		info->abbr = r->std_abbr;
		*until_r = INT64_MAX;
		return;
	}
	/* The changes of four years around t, in time order; on a tie the
	 * earlier year's change comes first (all-year DST rules). */
	for (i = 0; i < 4; i++) {
		int64_t a = posix_when_utc(&r->start, y0 + i, r->std_off);
		int64_t b = posix_when_utc(&r->end, y0 + i, r->dst_off);

		ch[n].at = a < b ? a : b;
		ch[n++].isdst = a < b;
		ch[n].at = a < b ? b : a;
		ch[n++].isdst = !(a < b);
	}
	for (i = 1; i < n; i++) {
		tmp = ch[i];
		for (j = i; j > 0 && ch[j - 1].at > tmp.at; j--)
			ch[j] = ch[j - 1];
		ch[j] = tmp;
	}
	for (i = 0; i < n && ch[i].at <= t; i++)
		;
	isdst = i > 0 ? ch[i - 1].isdst : !ch[0].isdst;
	*until_r = i < n ? ch[i].at : INT64_MAX;
	info->off = isdst ? r->dst_off : r->std_off;
	info->isdst = isdst;
	info->abbr = isdst ? r->dst_abbr : r->std_abbr;
}

/* TZif files ---------------------------------------------------------- */

struct tzif_header {
	char version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

#define TZIF_HEADER_LEN 44

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int
tzif_header_parse(const unsigned char *p, size_t len, struct tzif_header *h)
{
	if (len < TZIF_HEADER_LEN || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->version = (char)p[4];
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return 0;
}

/* Bytes of the data block after a header, with width-byte times. */
static size_t
tzif_block_len(const struct tzif_header *h, size_t width)
{
	return (size_t)h->timecnt * (width + 1) + (size_t)h->typecnt * 6 +
		h->charcnt + (size_t)h->leapcnt * (width + 4) +
		h->isstdcnt + h->isutcnt;
}

static int
tzif_counts_ok(const struct tzif_header *h)
{
	return h->timecnt <= TZ_MAX_TRANSITIONS && h->typecnt <= TZ_MAX_TYPES &&
		h->charcnt <= TZ_MAX_CHARS && h->leapcnt <= TZ_MAX_TRANSITIONS &&
		h->isstdcnt <= TZ_MAX_TYPES && h->isutcnt <= TZ_MAX_TYPES;
}

/* Parse a TZif image into z; a short reason on error. */
static const char *
tzif_parse(struct tz *z, const unsigned char *data, size_t len)
{
	struct tzif_header h;
	const unsigned char *p, *nl;
	size_t pos = 0, width = 4, i;
	char *footer;
	int bad;

	if (tzif_header_parse(data, len, &h) < 0)
		return "not a TZif file";
	if (h.version >= '2') {
		/* Skip the 32-bit block: the 64-bit one follows. */
		if (!tzif_counts_ok(&h))
			return "too large";
		pos = TZIF_HEADER_LEN + tzif_block_len(&h, 4);
		if (pos > len || tzif_header_parse(data + pos, len - pos, &h) < 0)
			return "truncated";
		width = 8;
	}
	pos += TZIF_HEADER_LEN;
	if (!tzif_counts_ok(&h))
		return "too large";
	if (h.typecnt == 0)
		return "no local time types";
	if (h.leapcnt != 0)
		return "leap-second zones are not supported";
	if (len - pos < tzif_block_len(&h, width))
		return "truncated";

	p = data + pos;
	z->ntrans = h.timecnt;
	z->trans = xcalloc(h.timecnt, sizeof(*z->trans));
	z->trans_type = xcalloc(h.timecnt, 1);
	for (i = 0; i < h.timecnt; i++) {
		z->trans[i] = width == 8 ? be64(p) : (int32_t)be32(p);
		p += width;
		if (i > 0 && z->trans[i] <= z->trans[i - 1])
			return "transitions out of order";
	}
	for (i = 0; i < h.timecnt; i++) {
		z->trans_type[i] = *p++;
		if (z->trans_type[i] >= h.typecnt)
			return "bad local time type";
	}
	z->ntypes = h.typecnt;
	z->types = xcalloc(h.typecnt, sizeof(*z->types));
	for (i = 0; i < h.typecnt; i++) {
		int32_t off = (int32_t)be32(p);

		if (off < -26 * 3600 || off > 26 * 3600 || p[4] > 1 ||
		    p[5] >= h.charcnt)
			return "bad local time type";
		z->types[i].off = off;
		z->types[i].isdst = p[4];
		z->types[i].abbr = p[5];
		p += 6;
	}
	z->abbrs = xmalloc(h.charcnt + 1);
	memcpy(z->abbrs, p, h.charcnt);
	z->abbrs[h.charcnt] = '\0';
	pos += tzif_block_len(&h, width);

	/* Version 2+: "\n" TZ string "\n", for after the last transition. */
	if (width == 4 || pos == len)
		return NULL;
	if (data[pos] != '\n')
		return "bad footer";
	pos++;
	nl = memchr(data + pos, '\n', len - pos);
	if (nl == NULL)
		return "bad footer";
	if (nl == data + pos)
		return NULL;
	footer = xstrndup((const char *)data + pos, (size_t)(nl - (data + pos)));
	bad = posix_rule_parse(footer, &z->rule) < 0;
	free(footer);
	if (bad)
		return "bad TZ string in footer";
	z->has_rule = 1;
	return NULL;
}

static void
tz_release(struct tz *z)
{
	free(z->trans);
	free(z->trans_type);
	free(z->types);
	free(z->abbrs);
	memset(z, 0, sizeof(*z));
}

static int
tz_name_valid(const char *name)
{
	const char *p;

	if (*name == '\0' || *name == '/' || strlen(name) > TZ_NAME_MAX)
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("/_+-.", *p) == NULL)
			return 0;
	}
	/* No "." or ".." path components. */
	for (p = name; p != NULL; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (p[0] == '.' && (p[1] == '/' || p[1] == '\0' ||
				    (p[1] == '.' && (p[2] == '/' || p[2] == '\0'))))
			return 0;
	}
	return 1;
}

static int
tz_load(struct tz *z, const char *name, char **error_r)
{
	unsigned char *data;
	char *path;
	const char *why;
	size_t len;
	FILE *f;

	memset(z, 0, sizeof(*z));
	if (!tz_name_valid(name)) {
		*error_r = xasprintf("bad time zone name '%s'", name);
		return -1;
	}
	path = xasprintf("%s/%s", BIZHOURS_TZDIR, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			*error_r = xasprintf("unknown time zone '%s'", name);
		else
			*error_r = xasprintf("unable to open '%s': %s", path,
					     strerror(errno));
		free(path);
		return -1;
	}
	data = xmalloc(TZ_FILE_MAX + 1);
	len = fread(data, 1, TZ_FILE_MAX + 1, f);
	if (ferror(f) && errno == EISDIR) {
		fclose(f);
		free(data);
		free(path);
		*error_r = xasprintf("unknown time zone '%s'", name);
		return -1;
	}
	if (ferror(f))
		why = "read error";
	else if (len > TZ_FILE_MAX)
		why = "too large";
	else
		why = tzif_parse(z, data, len);
	fclose(f);
	free(data);
	if (why != NULL) {
		*error_r = xasprintf("bad time zone file '%s': %s", path, why);
		tz_release(z);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

/*
 * The local time in force at t, and the instant it may next change
 * (INT64_MAX when never): t lies in a segment [.., *until_r) of constant
 * offset.
 */
static void
tz_lookup(const struct tz *z, int64_t t, struct tz_info *info, int64_t *until_r)
{
	const struct tz_type *type;
	size_t lo, hi, mid;

	if (z->has_rule && (z->ntrans == 0 || t >= z->trans[z->ntrans - 1])) {
		posix_rule_lookup(&z->rule, t, info, until_r);
		return;
	}
	if (z->ntrans == 0) {
		type = &z->types[0];
		*until_r = INT64_MAX;
	} else if (t < z->trans[0]) {
		/* RFC 8536: type 0 before the first transition. */
		type = &z->types[0];
		*until_r = z->trans[0];
	} else {
		/* The last transition at or before t. */
		lo = 0;
		hi = z->ntrans;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (z->trans[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		type = &z->types[z->trans_type[lo]];
		*until_r = lo + 1 < z->ntrans ? z->trans[lo + 1] : INT64_MAX;
	}
	info->off = type->off;
	info->isdst = type->isdst;
	info->abbr = z->abbrs + type->abbr;
}

/* Weekly hours -------------------------------------------------------- */

static int
range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return (x->open > y->open) - (x->open < y->open);
}

/* Add [open, close) to a weekday, merging with what overlaps or touches. */
static int
week_add(struct bizhours *bh, int day, int32_t open, int32_t close)
{
	struct range *r = bh->ranges[day];
	int n = bh->nranges[day], i, out;

	if (n == BIZHOURS_MAX_RANGES)
		return -1;
	r[n].open = open;
	r[n].close = close;
	n++;
	qsort(r, n, sizeof(*r), range_cmp);
	out = 0;
	for (i = 1; i < n; i++) {
		if (r[i].open <= r[out].close) {
			if (r[i].close > r[out].close)
				r[out].close = r[i].close;
		} else {
			r[++out] = r[i];
		}
	}
	bh->nranges[day] = out + 1;
	return 0;
}

static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Length of the word at p, for error messages. */
static int
word_len(const char *p)
{
	int n = 0;

	while (p[n] != '\0' && strchr(" \t,;-", p[n]) == NULL && n < 64)
		n++;
	return n;
}

static int
parse_day(const char **pp, int *day_r)
{
	int i;

	for (i = 0; i < 7; i++) {
		if (strncasecmp(*pp, day_names[i], 3) == 0 &&
		    !isalnum((unsigned char)(*pp)[3])) {
			*pp += 3;
			*day_r = i;
			return 0;
		}
	}
	return -1;
}

/* HH:MM (H:MM too), 00:00..24:00, in seconds. */
static int
parse_time(const char **pp, int32_t *secs_r)
{
	const char *p = *pp;
	int h, m;

	if (parse_uint(&p, 2, &h) < 0 || *p++ != ':' ||
	    !isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return -1;
	m = (p[0] - '0') * 10 + (p[1] - '0');
	p += 2;
	if (isdigit((unsigned char)*p) || m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*pp = p;
	*secs_r = h * 3600 + m * 60;
	return 0;
}

static int
week_parse(struct bizhours *bh, const char *spec, char **error_r)
{
	const char *p = skip_ws(spec), *clause, *tok, *rtok;
	int days[7], d1, d2, d;
	int32_t open, close;

	if (*p == '\0') {
		*error_r = xstrdup("empty business hours");
		return -1;
	}
	if (strncasecmp(p, "24x7", 4) == 0 && *skip_ws(p + 4) == '\0') {
		for (d = 0; d < 7; d++)
			week_add(bh, d, 0, DAY_SECS);
		return 0;
	}
	while (*p != '\0') {
		/* Days: Mon, Mon-Fri, Mon,Wed,Fri-Sun */
		clause = p;
		memset(days, 0, sizeof(days));
		for (;;) {
			tok = p;
			if (parse_day(&p, &d1) < 0)
				goto bad_day;
			d2 = d1;
			if (*p == '-') {
				p++;
				tok = p;
				if (parse_day(&p, &d2) < 0)
					goto bad_day;
			}
			/* Ranges may wrap: Sat-Mon is Sat, Sun, Mon. */
			for (d = d1;; d = (d + 1) % 7) {
				days[d] = 1;
				if (d == d2)
					break;
			}
			if (*p != ',')
				break;
			p++;
		}
		if (*p != ' ' && *p != '\t') {
			*error_r = xasprintf(*p == '\0' || *p == ';' ?
					     "missing hours after '%.*s' in '%s'" :
					     "bad day list '%.*s' in '%s'",
					     (int)(p - clause + word_len(p)), clause, spec);
			return -1;
		}
		/* Hours: 08:00-12:00,13:00-17:00 */
		p = skip_ws(p);
		for (;;) {
			tok = rtok = p;
			if (parse_time(&p, &open) < 0 || open == DAY_SECS)
				goto bad_time;
			p = skip_ws(p);
			if (*p != '-') {
				*error_r = xasprintf("expected '-' after '%.*s' in '%s'",
						     (int)(p - tok), tok, spec);
				return -1;
			}
			p = skip_ws(p + 1);
			tok = p;
			if (parse_time(&p, &close) < 0)
				goto bad_time;
			if (open == close) {
				*error_r = xasprintf("empty time range '%.*s' in '%s'",
						     (int)(p - rtok), rtok, spec);
				return -1;
			}
			for (d = 0; d < 7; d++) {
				if (!days[d])
					continue;
				if (open < close) {
					if (week_add(bh, d, open, close) < 0)
						goto too_many;
					continue;
				}
				/* Past midnight: the rest belongs to the next day. */
				if (week_add(bh, d, open, DAY_SECS) < 0)
					goto too_many;
				if (close > 0 && week_add(bh, (d + 1) % 7, 0, close) < 0) {
					d = (d + 1) % 7;
					goto too_many;
				}
			}
			p = skip_ws(p);
			if (*p != ',')
				break;
			p = skip_ws(p + 1);
		}
		if (*p == ';') {
			p = skip_ws(p + 1);
			continue;
		}
		if (*p != '\0') {
			*error_r = xasprintf("unexpected '%.*s' in '%s'",
					     word_len(p) > 0 ? word_len(p) : 1, p, spec);
			return -1;
		}
	}
	return 0;

bad_day:
	if (word_len(tok) == 0)
		*error_r = xasprintf("missing day in '%s'", spec);
	else
		*error_r = xasprintf("unknown day '%.*s' in '%s'", word_len(tok), tok, spec);
	return -1;
bad_time:
	if (word_len(tok) == 0)
		*error_r = xasprintf("missing time in '%s'", spec);
	else
		*error_r = xasprintf("bad time '%.*s' in '%s', expected HH:MM",
				     word_len(tok), tok, spec);
	return -1;
too_many:
	*error_r = xasprintf("more than %d time ranges on %s in '%s'",
			     BIZHOURS_MAX_RANGES, day_names[d], spec);
	return -1;
}

/* Holidays ------------------------------------------------------------ */

/* Index of the first holiday >= day. */
static size_t
holiday_index(const struct bizhours *bh, int64_t day)
{
	size_t lo = 0, hi = bh->nholidays, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (bh->holidays[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
is_holiday(const struct bizhours *bh, int64_t day)
{
	size_t i = holiday_index(bh, day);

	return i < bh->nholidays && bh->holidays[i] == day;
}

static int
holiday_insert(struct bizhours *bh, int64_t day)
{
	size_t i = holiday_index(bh, day);

	if (i < bh->nholidays && bh->holidays[i] == day)
		return 0;
	if (bh->nholidays == BIZHOURS_MAX_HOLIDAYS)
		return -1;
	if (bh->nholidays == bh->holidays_cap) {
		bh->holidays_cap = bh->holidays_cap ? bh->holidays_cap * 2 : 32;
		bh->holidays = xrealloc(bh->holidays,
					bh->holidays_cap * sizeof(*bh->holidays));
	}
	memmove(bh->holidays + i + 1, bh->holidays + i,
		(bh->nholidays - i) * sizeof(*bh->holidays));
	bh->holidays[i] = day;
	bh->nholidays++;
	return 0;
}

int
bizhours_add_holiday(struct bizhours *bh, int year, int month, int day)
{
	if (!date_valid(year, month, day))
		return -1;
	return holiday_insert(bh, days_from_date(year, month, day));
}

/* "YYYY-MM-DD" then the end or blanks; the day number in *day_r. Returns
 * 0, -1 when malformed, -2 when no such date. */
static int
parse_date(const char *p, int64_t *day_r)
{
	int i, y = 0, m, d;

	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (p[i] != '-')
				return -1;
		} else if (!isdigit((unsigned char)p[i])) {
			return -1;
		}
	}
	if (p[10] != '\0' && p[10] != ' ' && p[10] != '\t')
		return -1;
	for (i = 0; i < 4; i++)
		y = y * 10 + (p[i] - '0');
	m = (p[5] - '0') * 10 + (p[6] - '0');
	d = (p[8] - '0') * 10 + (p[9] - '0');
	if (!date_valid(y, m, d))
		return -2;
	*day_r = days_from_date(y, m, d);
	return 0;
}

int
bizhours_load_holidays(struct bizhours *bh, const char *path, char **error_r)
{
	struct buf errors = BUF_INIT;
	int64_t *days = NULL, day;
	size_t ndays = 0, cap = 0, linecap = 0, i;
	char *line = NULL;
	const char *p;
	unsigned int lineno = 0;
	ssize_t len;
	int ret;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		if (error_r != NULL)
			*error_r = xasprintf("unable to open '%s': %s", path,
					     strerror(errno));
		return -1;
	}
	for (;;) {
		len = getline(&line, &linecap, f);
		if (len < 0)
			break;
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len > BIZHOURS_MAX_LINE) {
			if (errors.len > 0)
				buf_addc(&errors, '\n');
			buf_addf(&errors, "%s:%u: line longer than %d bytes",
				 path, lineno, BIZHOURS_MAX_LINE);
			continue;
		}
		p = skip_ws(line);
		if (*p == '\0' || *p == '#')
			continue;
		ret = parse_date(p, &day);
		if (ret < 0) {
			if (errors.len > 0)
				buf_addc(&errors, '\n');
			buf_addf(&errors, ret == -1 ?
				 "%s:%u: bad date '%.*s', expected YYYY-MM-DD" :
				 "%s:%u: no such date '%.*s'",
				 path, lineno, (int)strcspn(p, " \t"), p);
			continue;
		}
		if (ndays == cap) {
			cap = cap ? cap * 2 : 64;
			days = xrealloc(days, cap * sizeof(*days));
		}
		days[ndays++] = day;
	}
	if (ferror(f)) {
		if (errors.len > 0)
			buf_addc(&errors, '\n');
		buf_addf(&errors, "%s: read error: %s", path, strerror(errno));
	}
	fclose(f);
	free(line);
	if (errors.len == 0 && bh->nholidays + ndays > BIZHOURS_MAX_HOLIDAYS)
		buf_addf(&errors, "%s: more than %d holidays", path,
			 BIZHOURS_MAX_HOLIDAYS);
	if (errors.len > 0) {
		free(days);
		if (error_r != NULL)
			*error_r = buf_detach(&errors, NULL);
		else
			buf_release(&errors);
		return -1;
	}
	for (i = 0; i < ndays; i++)
		holiday_insert(bh, days[i]);
	free(days);
	return 0;
}

/* Construction -------------------------------------------------------- */

struct bizhours *
bizhours_new(const char *tz, const char *weekly, char **error_r)
{
	struct bizhours *bh = xcalloc(1, sizeof(*bh));
	char *error = NULL;

	if (tz_load(&bh->zone, tz, &error) < 0 ||
	    week_parse(bh, weekly, &error) < 0) {
		if (error_r != NULL)
			*error_r = error;
		else
			free(error);
		bizhours_free(&bh);
		return NULL;
	}
	bh->tz_name = xstrdup(tz);
	return bh;
}

void
bizhours_free(struct bizhours **bhp)
{
	struct bizhours *bh = *bhp;

	if (bh == NULL)
		return;
	tz_release(&bh->zone);
	free(bh->holidays);
	free(bh->tz_name);
	free(bh);
	*bhp = NULL;
}

const char *
bizhours_tz(const struct bizhours *bh)
{
	return bh->tz_name;
}

/* Queries ------------------------------------------------------------- */

/*
 * The first stretch of business time that ends after t, clipped to start no
 * earlier than t: [*start_r, *end_r). A stretch is one range of one local
 * day within one segment of constant UTC offset, so consecutive stretches
 * may touch. -1 when there is none within BIZHOURS_MAX_CLOSED_DAYS or
 * before T_MAX.
 */
static int
next_stretch(const struct bizhours *bh, int64_t t, int64_t *start_r, int64_t *end_r)
{
	struct tz_info info;
	int64_t until, local, local_end, day, first_day = 0, base, a, b;
	const struct range *r;
	int first = 1, i, wd;

	while (t < T_MAX) {
		tz_lookup(&bh->zone, t, &info, &until);
		if (until > T_MAX)
			until = T_MAX;
		local = t + info.off;
		local_end = until + info.off;
		day = fdiv(local, DAY_SECS);
		if (first) {
			first_day = day;
			first = 0;
		}
		for (; day * DAY_SECS < local_end; day++) {
			if (day - first_day > BIZHOURS_MAX_CLOSED_DAYS)
				return -1;
			if (is_holiday(bh, day))
				continue;
			wd = weekday(day);
			r = bh->ranges[wd];
			base = day * DAY_SECS;
			for (i = 0; i < bh->nranges[wd]; i++) {
				a = base + r[i].open;
				b = base + r[i].close;
				if (a < local)
					a = local;
				if (b > local_end)
					b = local_end;
				if (a < b) {
					*start_r = a - info.off;
					*end_r = b - info.off;
					return 0;
				}
			}
		}
		t = until;
	}
	return -1;
}

static int
in_range(time_t t)
{
	return (int64_t)t >= T_MIN && (int64_t)t < T_MAX;
}

int
bizhours_is_open(const struct bizhours *bh, time_t t)
{
	struct tz_info info;
	int64_t until, local, day;
	int32_t secs;
	int i, wd;

	if (!in_range(t))
		return 0;
	tz_lookup(&bh->zone, t, &info, &until);
	local = (int64_t)t + info.off;
	day = fdiv(local, DAY_SECS);
	if (is_holiday(bh, day))
		return 0;
	secs = (int32_t)(local - day * DAY_SECS);
	wd = weekday(day);
	for (i = 0; i < bh->nranges[wd]; i++) {
		if (secs >= bh->ranges[wd][i].open && secs < bh->ranges[wd][i].close)
			return 1;
	}
	return 0;
}

time_t
bizhours_next_open(const struct bizhours *bh, time_t t)
{
	int64_t s, e;

	if (!in_range(t) || next_stretch(bh, t, &s, &e) < 0)
		return (time_t)-1;
	return (time_t)s;
}

time_t
bizhours_add(const struct bizhours *bh, time_t start, long seconds)
{
	int64_t s, e, left = seconds;

	if (seconds < 0 || !in_range(start) ||
	    next_stretch(bh, start, &s, &e) < 0)
		return (time_t)-1;
	while (e - s < left) {
		left -= e - s;
		if (next_stretch(bh, e, &s, &e) < 0)
			return (time_t)-1;
	}
	return (time_t)(s + left);
}

long
bizhours_between(const struct bizhours *bh, time_t from, time_t to)
{
	int64_t t = from, end = to, s, e, total = 0;

	if (t < T_MIN)
		t = T_MIN;
	if (end > T_MAX)
		end = T_MAX;
	while (t < end && next_stretch(bh, t, &s, &e) == 0 && s < end) {
		total += (e < end ? e : end) - s;
		t = e;
	}
	return (long)total;
}

int
bizhours_localtime(const struct bizhours *bh, time_t t, struct tm *tm_r)
{
	struct tz_info info;
	int64_t until, local, day, y, yday;
	int m;

	if (!in_range(t))
		return -1;
	tz_lookup(&bh->zone, t, &info, &until);
	local = (int64_t)t + info.off;
	day = fdiv(local, DAY_SECS);
	y = year_of_day(day);
	yday = day - days_from_date(y, 1, 1);
	for (m = 1; m < 12 && days_from_date(y, m + 1, 1) <= day; m++)
		;
	memset(tm_r, 0, sizeof(*tm_r));
	tm_r->tm_year = (int)(y - 1900);
	tm_r->tm_mon = m - 1;
	tm_r->tm_mday = (int)(day - days_from_date(y, m, 1)) + 1;
	tm_r->tm_yday = (int)yday;
	tm_r->tm_wday = (int)fmod64(day + 4, 7);
	tm_r->tm_hour = (int)(local - day * DAY_SECS) / 3600;
	tm_r->tm_min = (int)(local - day * DAY_SECS) / 60 % 60;
	tm_r->tm_sec = (int)(local - day * DAY_SECS) % 60;
	tm_r->tm_isdst = info.isdst;
	tm_r->tm_gmtoff = info.off;
	tm_r->tm_zone = info.abbr;
	return 0;
}

/* Description --------------------------------------------------------- */

static int
same_hours(const struct bizhours *bh, int a, int b)
{
	return bh->nranges[a] == bh->nranges[b] &&
		memcmp(bh->ranges[a], bh->ranges[b],
		       bh->nranges[a] * sizeof(struct range)) == 0;
}

static void
describe_time(struct buf *b, int32_t secs)
{
	buf_addf(b, "%02d:%02d", secs / 3600, secs / 60 % 60);
}

char *
bizhours_describe(const struct bizhours *bh)
{
	struct buf b = BUF_INIT;
	int done[7] = { 0 }, group[7], d, e, i, run;

	for (d = 0; d < 7; d++) {
		if (bh->nranges[d] != 1 || bh->ranges[d][0].open != 0 ||
		    bh->ranges[d][0].close != DAY_SECS)
			break;
	}
	if (d == 7) {
		buf_addf(&b, "24x7 (%s)", bh->tz_name);
		return buf_detach(&b, NULL);
	}
	for (d = 0; d < 7; d++) {
		if (done[d] || bh->nranges[d] == 0)
			continue;
		for (e = 0; e < 7; e++) {
			group[e] = e >= d && !done[e] && same_hours(bh, d, e);
			if (group[e])
				done[e] = 1;
		}
		if (b.len > 0)
			buf_adds(&b, "; ");
		/* Runs of days: three or more as "Mon-Wed", else listed. */
		for (e = d, i = 0; e < 7; e++) {
			if (!group[e])
				continue;
			for (run = 1; e + run < 7 && group[e + run]; run++)
				;
			if (i++ > 0)
				buf_addc(&b, ',');
			if (run >= 3)
				buf_addf(&b, "%s-%s", day_names[e], day_names[e + run - 1]);
			else if (run == 2)
				buf_addf(&b, "%s,%s", day_names[e], day_names[e + 1]);
			else
				buf_adds(&b, day_names[e]);
			e += run - 1;
		}
		buf_addc(&b, ' ');
		for (i = 0; i < bh->nranges[d]; i++) {
			if (i > 0)
				buf_addc(&b, ',');
			describe_time(&b, bh->ranges[d][i].open);
			buf_addc(&b, '-');
			describe_time(&b, bh->ranges[d][i].close);
		}
	}
	buf_addf(&b, " (%s)", bh->tz_name);
	return buf_detach(&b, NULL);
}
