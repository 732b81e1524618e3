/*
 * tz: IANA time zones from their TZif files (RFC 8536): the transition
 * table, then the POSIX TZ footer for instants after the last transition;
 * and the proleptic Gregorian arithmetic both need.  No global state: TZ,
 * tzset() and localtime() are never touched.
 */
#include "tz.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"
#include "xmalloc.h"

#ifndef TZ_DIR
#define TZ_DIR "/usr/share/zoneinfo"
#endif

#define TZ_NAME_MAX 255		/* length of a zone name */
#define TZ_FILE_MAX (256 * 1024)	/* size of a TZif file */
#define TZ_MAX_TRANSITIONS 50000
#define TZ_MAX_TYPES 256
#define TZ_MAX_CHARS 1024	/* zone abbreviation bytes */

/* Calendar arithmetic ------------------------------------------------- */

int64_t
tz_fdiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int64_t
tz_fmod(int64_t a, int64_t b)
{
	return a - tz_fdiv(a, b) * b;
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
int64_t
tz_days_from_date(int64_t y, int m, int d)
{
	static const int before[12] = {
		0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334
	};
	int64_t py = y - 1;
	/* Days from 0001-01-01 to y-01-01, then into the year. */
	int64_t days = 365 * py + tz_fdiv(py, 4) - tz_fdiv(py, 100) + tz_fdiv(py, 400);

	days += before[m - 1] + (m > 2 && is_leap(y)) + d - 1;
	return days - 719162;	/* days from 0001-01-01 to 1970-01-01 */
}

int64_t
tz_year_of_day(int64_t day)
{
	int64_t y = 1970 + tz_fdiv(day * 400, 146097);

	while (tz_days_from_date(y, 1, 1) > day)
		y--;
	while (tz_days_from_date(y + 1, 1, 1) <= day)
		y++;
	return y;
}

int
tz_date_valid(int64_t y, int m, int d)
{
	return y >= 1 && y <= 9999 && m >= 1 && m <= 12 &&
		d >= 1 && d <= month_days(y, m);
}

/* POSIX TZ strings ---------------------------------------------------- */

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
	if (str_parse_digits(&p, 3, &h) < 0 || h > max_hours)
		return -1;
	if (*p == ':') {
		p++;
		if (str_parse_digits(&p, 2, &m) < 0 || m > 59)
			return -1;
		if (*p == ':') {
			p++;
			if (str_parse_digits(&p, 2, &s) < 0 || s > 59)
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
		if (str_parse_digits(&p, 2, &w->month) < 0 || !str_eat(&p, '.') ||
		    str_parse_digits(&p, 1, &w->week) < 0 || !str_eat(&p, '.') ||
		    str_parse_digits(&p, 1, &w->wday) < 0)
			return -1;
		if (w->month < 1 || w->month > 12 || w->week < 1 ||
		    w->week > 5 || w->wday > 6)
			return -1;
	} else if (*p == 'J') {
		p++;
		w->kind = 'J';
		if (str_parse_digits(&p, 3, &w->yday) < 0 || w->yday < 1 || w->yday > 365)
			return -1;
	} else {
		w->kind = 'D';
		if (str_parse_digits(&p, 3, &w->yday) < 0 || w->yday > 365)
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
	if (!str_eat(&p, ',') || posix_when(&p, &r->start) < 0 ||
	    !str_eat(&p, ',') || posix_when(&p, &r->end) < 0 || *p != '\0')
		return -1;
	return 0;
}

/* The UTC instant of a rule change in year y, when off_before is in force. */
static int64_t
posix_when_utc(const struct tz_when *w, int64_t y, int32_t off_before)
{
	int64_t day;

	if (w->kind == 'M') {
		int64_t first = tz_days_from_date(y, w->month, 1);
		int first_wday = (int)tz_fmod(first + 4, 7);	/* 0 = Sunday */
		int64_t mday = (w->wday - first_wday + 7) % 7 + 7 * (w->week - 1);

		while (mday >= month_days(y, w->month))
			mday -= 7;
		day = first + mday;
	} else if (w->kind == 'J') {
		day = tz_days_from_date(y, 1, 1) + w->yday - 1 +
			(is_leap(y) && w->yday >= 60);
	} else {
		day = tz_days_from_date(y, 1, 1) + w->yday;
	}
	return day * TZ_DAY_SECS + w->secs - off_before;
}

static void
posix_rule_lookup(const struct tz_rule *r, int64_t t, struct tz_info *info,
		  int64_t *until_r)
{
	struct { int64_t at; int isdst; } ch[8], tmp;
	int64_t y0 = tz_year_of_day(tz_fdiv(t, TZ_DAY_SECS)) - 1;
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

void
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

int
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
	path = xasprintf("%s/%s", TZ_DIR, name);
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
void
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
