/*
 * bizhours: business-time arithmetic for the SLA clock.
 *
 * A calendar is an IANA time zone, weekly opening hours and a set of
 * holidays (whole local calendar days closed). It answers "when have N
 * business seconds passed since T" and "how many business seconds lie
 * between A and B". All instants are time_t (UTC); all hours are local
 * wall-clock times in the calendar's zone.
 *
 * The zone is read once from its TZif file (lib/sla/tz: TZ_DIR, by default
 * /usr/share/zoneinfo) when the calendar is made, so the functions use no
 * global state: they never touch TZ, tzset() or localtime(), and calendars
 * of different zones can be used side by side. A calendar is not changed by
 * the query functions; it may be shared by threads once built.
 *
 * Opening hours are the instants whose local wall-clock time lies in a
 * range [open, close) of that local day. Across a DST change this counts
 * real elapsed seconds: with hours 01:00-05:00, the day clocks spring
 * forward has 3 business hours, the day they fall back has 5; an opening
 * time that does not exist that day opens at the first instant after the
 * gap.
 *
 * Instants must lie in the years 1900 to 2399 (UTC); outside them the
 * functions return -1 (bizhours_is_open 0; bizhours_between counts only
 * the part of [from, to) inside them).
 */
#ifndef TICKETD_BIZHOURS_H
#define TICKETD_BIZHOURS_H

#include <stddef.h>
#include <time.h>

/* Named limits on configuration input. */
#define BIZHOURS_MAX_RANGES 16		/* time ranges per weekday */
#define BIZHOURS_MAX_HOLIDAYS 20000	/* holidays per calendar */
#define BIZHOURS_MAX_LINE 1024		/* holiday file line length */
/* No opening found within this many days: the calendar never opens. */
#define BIZHOURS_MAX_CLOSED_DAYS 3660

struct bizhours;

/*
 * Make a calendar for time zone tz ("Europe/Helsinki", "UTC") and weekly
 * hours such as
 *   "Mon-Fri 08:00-17:00"
 *   "Mon-Fri 09:00-12:00,13:00-18:00; Sat 10:00-14:00"
 *   "Mon,Wed,Fri 08:00-16:00", "Sun-Thu 08:00-17:00" (ranges may wrap)
 *   "Mon-Fri 22:00-06:00" (an end before the start runs past midnight into
 *                          the next day: Friday's shift ends Sat 06:00; as
 *                          a holiday closes a whole local day, a holiday on
 *                          Saturday also closes Saturday 00:00-06:00)
 *   "24x7"
 * Days are Mon..Sun (any case), times HH:MM with 24:00 allowed as an end;
 * clauses are separated by ';'; a day given twice gets the union of its
 * hours; days not given are closed. Returns NULL on error and then, when
 * error_r is not NULL, sets *error_r to an allocated message the caller
 * frees, e.g. "unknown day 'Mox' in 'Mox-Fri 08:00-17:00'".
 * The caller owns the calendar: free it with bizhours_free().
 */
struct bizhours *bizhours_new(const char *tz, const char *weekly, char **error_r);
void bizhours_free(struct bizhours **bh);

/* Close the whole local day year-month-day. Returns 0, or -1 when the date
 * is not a valid one or there are too many holidays. Adding a holiday twice
 * is harmless. */
int bizhours_add_holiday(struct bizhours *bh, int year, int month, int day);

/*
 * Add the holidays listed in the file at path: one date a line,
 * "YYYY-MM-DD [name]", '#' comment lines and blank lines ignored. All or
 * nothing: on any error no holiday is added, -1 is returned and, when
 * error_r is not NULL, *error_r is set to an allocated message the caller
 * frees, one "path:line: message" per bad line, separated by '\n'.
 */
int bizhours_load_holidays(struct bizhours *bh, const char *path, char **error_r);

/*
 * How far the holidays reach: the last year with a holiday in *year_r,
 * and in *days_r the local days from t's date to the first day after that
 * year (0 or less: the list has run out; after it, no day is a holiday).
 * -1 when the calendar has no holidays or t is out of range.
 */
int bizhours_holidays_left(const struct bizhours *bh, time_t t, int *year_r, long *days_r);

/* 1 when t is inside business hours, else 0. */
int bizhours_is_open(const struct bizhours *bh, time_t t);

/* t itself when inside business hours, else the next opening; -1 when the
 * calendar does not open within BIZHOURS_MAX_CLOSED_DAYS. */
time_t bizhours_next_open(const struct bizhours *bh, time_t t);

/*
 * The instant at which `seconds` of business time have elapsed after start.
 * Counting begins at start when open, else at the next opening; with
 * seconds == 0 that is the result. A budget that runs out exactly at a
 * closing time gives the closing instant. -1 for seconds < 0, when the
 * calendar does not open within BIZHOURS_MAX_CLOSED_DAYS, or when the result
 * would fall after 2399.
 */
time_t bizhours_add(const struct bizhours *bh, time_t start, long seconds);

/* Business seconds in [from, to); 0 when to <= from.
 * bizhours_between(bh, s, bizhours_add(bh, s, n)) == n. */
long bizhours_between(const struct bizhours *bh, time_t from, time_t to);

/*
 * The weekly hours for people, e.g. "Mon-Fri 08:00-17:00 (Asia/Tokyo)" or
 * "24x7 (UTC)". The part before " (" is valid input to bizhours_new().
 * Allocated: the caller frees it.
 */
char *bizhours_describe(const struct bizhours *bh);

/* The time zone name given to bizhours_new(); owned by the calendar. */
const char *bizhours_tz(const struct bizhours *bh);

/*
 * Break t down into local time in the calendar's zone, like localtime_r()
 * (tm_isdst, tm_gmtoff and tm_zone are set; tm_zone points into the
 * calendar and lives as long as it). For showing due times in templates.
 * Returns 0, or -1 when t is out of range.
 */
int bizhours_localtime(const struct bizhours *bh, time_t t, struct tm *tm_r);

#endif
