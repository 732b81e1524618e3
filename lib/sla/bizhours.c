/*
 * bizhours: business-time arithmetic over a time zone, weekly hours and
 * holidays.
 *
 * The time zone comes from lib/sla/tz (its TZif file, read into the
 * calendar). Everything here works on a "segment": a stretch of UTC in
 * which the offset from UTC does not change. Inside a segment local time is UTC plus a constant, so the business hours of each
 * local day map to UTC by subtracting that constant, and a DST change is
 * just the end of one segment and the start of the next. That makes gaps
 * (spring forward) and repeated hours (fall back) count real seconds with
 * no special cases.
 *
 * Queries walk one open stretch (a range of one local day) at a time, never
 * minute by minute.
 */
#include "bizhours.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "str.h"
#include "tz.h"
#include "xmalloc.h"

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
	int32_t close;		/* open < close <= TZ_DAY_SECS */
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

/* 0 = Monday, as day_names; 1970-01-01 was a Thursday. */
static int
weekday(int64_t day)
{
	return (int)tz_fmod(day + 3, 7);
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

	if (str_parse_digits(&p, 2, &h) < 0 || !str_eat(&p, ':') ||
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

/* "Mon", "Mon-Fri", "Mon,Wed,Fri-Sun" at *pp into days[]; -1 with *error_r. */
static int
parse_days(const char **pp, int days[7], const char *spec, char **error_r)
{
	const char *p = *pp, *clause = p, *tok;
	int d1, d2, d;

	memset(days, 0, 7 * sizeof(days[0]));
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
	*pp = p;
	return 0;
bad_day:
	if (word_len(tok) == 0)
		*error_r = xasprintf("missing day in '%s'", spec);
	else
		*error_r = xasprintf("unknown day '%.*s' in '%s'", word_len(tok), tok, spec);
	return -1;
}

/* Open days[] from open to close (past midnight: into the next day). */
static int
add_range(struct bizhours *bh, const int days[7], int32_t open, int32_t close,
	  const char *spec, char **error_r)
{
	int d, over;

	for (d = 0; d < 7; d++) {
		if (!days[d])
			continue;
		over = d;
		if (open < close) {
			if (week_add(bh, d, open, close) < 0)
				goto too_many;
			continue;
		}
		if (week_add(bh, d, open, TZ_DAY_SECS) < 0)
			goto too_many;
		over = (d + 1) % 7;
		if (close > 0 && week_add(bh, over, 0, close) < 0)
			goto too_many;
	}
	return 0;
too_many:
	*error_r = xasprintf("more than %d time ranges on %s in '%s'",
			     BIZHOURS_MAX_RANGES, day_names[over], spec);
	return -1;
}

/* "08:00-12:00,13:00-17:00" at *pp for days[]; -1 with *error_r. */
static int
parse_ranges(struct bizhours *bh, const char **pp, const int days[7], const char *spec,
	     char **error_r)
{
	const char *p = skip_ws(*pp), *tok, *rtok;
	int32_t open, close;

	for (;;) {
		tok = rtok = p;
		if (parse_time(&p, &open) < 0 || open == TZ_DAY_SECS)
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
		if (add_range(bh, days, open, close, spec, error_r) < 0)
			return -1;
		p = skip_ws(p);
		if (*p != ',')
			break;
		p = skip_ws(p + 1);
	}
	*pp = p;
	return 0;
bad_time:
	if (word_len(tok) == 0)
		*error_r = xasprintf("missing time in '%s'", spec);
	else
		*error_r = xasprintf("bad time '%.*s' in '%s', expected HH:MM",
				     word_len(tok), tok, spec);
	return -1;
}

static int
week_parse(struct bizhours *bh, const char *spec, char **error_r)
{
	const char *p = skip_ws(spec);
	int days[7], d;

	if (*p == '\0') {
		*error_r = xstrdup("empty business hours");
		return -1;
	}
	if (strncasecmp(p, "24x7", 4) == 0 && *skip_ws(p + 4) == '\0') {
		for (d = 0; d < 7; d++)
			week_add(bh, d, 0, TZ_DAY_SECS);
		return 0;
	}
	while (*p != '\0') {
		/* Days, blanks, then hours; clauses separated by ';'. */
		if (parse_days(&p, days, spec, error_r) < 0 ||
		    parse_ranges(bh, &p, days, spec, error_r) < 0)
			return -1;
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
	if (!tz_date_valid(year, month, day))
		return -1;
	return holiday_insert(bh, tz_days_from_date(year, month, day));
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
	if (!tz_date_valid(y, m, d))
		return -2;
	*day_r = tz_days_from_date(y, m, d);
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
		day = tz_fdiv(local, TZ_DAY_SECS);
		if (first) {
			first_day = day;
			first = 0;
		}
		for (; day * TZ_DAY_SECS < local_end; day++) {
			if (day - first_day > BIZHOURS_MAX_CLOSED_DAYS)
				return -1;
			if (is_holiday(bh, day))
				continue;
			wd = weekday(day);
			r = bh->ranges[wd];
			base = day * TZ_DAY_SECS;
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
bizhours_holidays_left(const struct bizhours *bh, time_t t, int *year_r, long *days_r)
{
	struct tz_info info;
	int64_t until, last_year;

	if (bh->nholidays == 0 || !in_range(t))
		return -1;
	tz_lookup(&bh->zone, t, &info, &until);
	last_year = tz_year_of_day(bh->holidays[bh->nholidays - 1]);
	*year_r = (int)last_year;
	*days_r = (long)(tz_days_from_date(last_year + 1, 1, 1) -
			 tz_fdiv((int64_t)t + info.off, TZ_DAY_SECS));
	return 0;
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
	day = tz_fdiv(local, TZ_DAY_SECS);
	if (is_holiday(bh, day))
		return 0;
	secs = (int32_t)(local - day * TZ_DAY_SECS);
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
	day = tz_fdiv(local, TZ_DAY_SECS);
	y = tz_year_of_day(day);
	yday = day - tz_days_from_date(y, 1, 1);
	for (m = 1; m < 12 && tz_days_from_date(y, m + 1, 1) <= day; m++)
		;
	memset(tm_r, 0, sizeof(*tm_r));
	tm_r->tm_year = (int)(y - 1900);
	tm_r->tm_mon = m - 1;
	tm_r->tm_mday = (int)(day - tz_days_from_date(y, m, 1)) + 1;
	tm_r->tm_yday = (int)yday;
	tm_r->tm_wday = (int)tz_fmod(day + 4, 7);
	tm_r->tm_hour = (int)(local - day * TZ_DAY_SECS) / 3600;
	tm_r->tm_min = (int)(local - day * TZ_DAY_SECS) / 60 % 60;
	tm_r->tm_sec = (int)(local - day * TZ_DAY_SECS) % 60;
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
		    bh->ranges[d][0].close != TZ_DAY_SECS)
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
			if (i > 0)
				buf_addc(&b, ',');
			i++;
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
