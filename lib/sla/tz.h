/*
 * tz: an IANA time zone read from its TZif file (RFC 8536) under TZ_DIR
 * (by default /usr/share/zoneinfo), and the civil calendar arithmetic
 * business hours are counted in.  Instants are seconds since the epoch
 * (int64_t); day numbers count from 1970-01-01.  A loaded zone is only
 * read afterwards, so threads may share it.
 */
#ifndef TICKETD_TZ_H
#define TICKETD_TZ_H

#include <stddef.h>
#include <stdint.h>

#define TZ_DAY_SECS 86400
#define TZ_ABBR_MAX 16		/* abbreviation in a POSIX TZ string, with NUL */

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

/* A time zone; the fields are tz.c's. */
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

/*
 * Load zone name ("Europe/Helsinki", "UTC") into *z.  -1 with *error_r
 * (caller frees), e.g. "bad time zone file '…': too large".  Release
 * with tz_release().
 */
int tz_load(struct tz *z, const char *name, char **error_r);
void tz_release(struct tz *z);

/*
 * The local time in force at t, and the instant it may next change
 * (INT64_MAX when never): t lies in a segment [.., *until_r) of constant
 * offset.  info->abbr points into z.
 */
void tz_lookup(const struct tz *z, int64_t t, struct tz_info *info, int64_t *until_r);

/* Floor division and the matching modulo (b > 0). */
int64_t tz_fdiv(int64_t a, int64_t b);
int64_t tz_fmod(int64_t a, int64_t b);
/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; m 1..12, d 1..31). */
int64_t tz_days_from_date(int64_t y, int m, int d);
/* The year a day number falls in. */
int64_t tz_year_of_day(int64_t day);
/* 1 when y-m-d is a date (years 1 to 9999). */
int tz_date_valid(int64_t y, int m, int d);

#endif
