/*
 * Unit tests for lib/sla/bizhours.c.
 *
 * Expected instants are written in UTC and were worked out by hand from the
 * local times in the comments, then checked with e.g.
 *   TZ=UTC date -d 'TZ="America/New_York" 2026-03-09 08:00'
 * 2026 DST changes: America/New_York Mar 8 07:00Z (02:00 EST -> 03:00 EDT)
 * and Nov 1 06:00Z (02:00 EDT -> 01:00 EST); Europe/Helsinki Mar 29 01:00Z
 * (03:00 EET -> 04:00 EEST) and Oct 25 01:00Z (04:00 EEST -> 03:00 EET).
 */
#include "bizhours.h"
#include "test.h"
#include "xmalloc.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define H 3600L
#define M 60L

static struct bizhours *
cal(const char *tz, const char *weekly)
{
	char *error = NULL;
	struct bizhours *bh = bizhours_new(tz, weekly, &error);

	if (bh == NULL) {
		printf("# bizhours_new(%s, %s): %s\n", tz, weekly, error);
		free(error);
		exit(1);
	}
	return bh;
}

/* The source tree, for conf/holidays. */
static char *
src_path(const char *rel)
{
	const char *src = getenv("TICKETD_SRC");
	const char *file = __FILE__, *end;

	if (src != NULL)
		return xasprintf("%s/%s", src, rel);
	end = strstr(file, "t/unit/test-bizhours.c");
	if (end == NULL || end == file)
		return xstrdup(rel);
	return xasprintf("%.*s%s", (int)(end - file), file, rel);
}

static char *
write_temp(const char *text)
{
	char *path = xstrdup("/tmp/test-bizhours-XXXXXX");
	int fd = mkstemp(path);
	FILE *f;

	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (f == NULL) {
		perror("mkstemp");
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	return path;
}

/* An error message from bizhours_new(), or NULL when it succeeded. */
static char *
new_error(const char *tz, const char *weekly)
{
	char *error = NULL;
	struct bizhours *bh = bizhours_new(tz, weekly, &error);

	if (bh != NULL) {
		bizhours_free(&bh);
		return NULL;
	}
	return error;
}

static void
assert_new_error(const char *tz, const char *weekly, const char *expected)
{
	char *error = new_error(tz, weekly);

	test_assert_streq(error, expected);
	free(error);
}

static void
test_new_york(void)
{
	struct bizhours *bh = cal("America/New_York", "Mon-Fri 08:00-17:00");

	test_begin("inside hours");
	/* Tue 2026-01-13 10:00 EST */
	test_assert(bizhours_is_open(bh, utc(2026, 1, 13, 15, 0)));
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 1, 13, 15, 0)), utc(2026, 1, 13, 15, 0));
	test_assert_inteq(bizhours_add(bh, utc(2026, 1, 13, 15, 0), 0), utc(2026, 1, 13, 15, 0));
	test_assert_inteq(bizhours_add(bh, utc(2026, 1, 13, 15, 0), H), utc(2026, 1, 13, 16, 0));
	/* a budget that ends at closing time gives 17:00 EST, not tomorrow */
	test_assert_inteq(bizhours_add(bh, utc(2026, 1, 13, 15, 0), 7 * H), utc(2026, 1, 13, 22, 0));
	test_assert_inteq(bizhours_between(bh, utc(2026, 1, 13, 15, 0), utc(2026, 1, 13, 16, 30)), 90 * M);
	test_assert_inteq(bizhours_between(bh, utc(2026, 1, 13, 16, 0), utc(2026, 1, 13, 15, 0)), 0);
	test_end();

	test_begin("before opening");
	/* Tue 06:00 EST: opens 08:00 EST = 13:00Z */
	test_assert(!bizhours_is_open(bh, utc(2026, 1, 13, 11, 0)));
	test_assert(bizhours_is_open(bh, utc(2026, 1, 13, 13, 0)));
	test_assert(!bizhours_is_open(bh, utc(2026, 1, 13, 12, 59) + 59));
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 1, 13, 11, 0)), utc(2026, 1, 13, 13, 0));
	test_assert_inteq(bizhours_add(bh, utc(2026, 1, 13, 11, 0), 0), utc(2026, 1, 13, 13, 0));
	test_assert_inteq(bizhours_add(bh, utc(2026, 1, 13, 11, 0), 2 * H), utc(2026, 1, 13, 15, 0));
	test_assert_inteq(bizhours_between(bh, utc(2026, 1, 13, 11, 0), utc(2026, 1, 13, 15, 0)), 2 * H);
	test_end();

	test_begin("after closing");
	/* Tue 18:00 EST + 1 h = Wed 09:00 EST; closing instant is closed */
	test_assert(!bizhours_is_open(bh, utc(2026, 1, 13, 22, 0)));
	test_assert(bizhours_is_open(bh, utc(2026, 1, 13, 22, 0) - 1));
	test_assert_inteq(bizhours_add(bh, utc(2026, 1, 13, 23, 0), H), utc(2026, 1, 14, 14, 0));
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 1, 13, 22, 0)), utc(2026, 1, 14, 13, 0));
	test_assert_inteq(bizhours_between(bh, utc(2026, 1, 13, 23, 0), utc(2026, 1, 14, 13, 0)), 0);
	test_end();

	test_begin("over a weekend");
	/* Fri 2026-01-16 16:00 EST + 2 h = Mon 09:00 EST (no holidays yet) */
	test_assert_inteq(bizhours_add(bh, utc(2026, 1, 16, 21, 0), 2 * H), utc(2026, 1, 19, 14, 0));
	test_assert(!bizhours_is_open(bh, utc(2026, 1, 17, 15, 0)));
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 1, 17, 15, 0)), utc(2026, 1, 19, 13, 0));
	test_assert_inteq(bizhours_between(bh, utc(2026, 1, 16, 21, 0), utc(2026, 1, 19, 14, 0)), 2 * H);
	test_end();

	test_begin("target longer than a week");
	/* Mon 2026-01-05 08:00 EST + 100 h: two 45 h weeks, then Mon Jan 19
	 * 9 h and Tue Jan 20 1 h = 09:00 EST */
	test_assert_inteq(bizhours_add(bh, utc(2026, 1, 5, 13, 0), 100 * H), utc(2026, 1, 20, 14, 0));
	test_assert_inteq(bizhours_between(bh, utc(2026, 1, 5, 13, 0), utc(2026, 1, 20, 14, 0)), 100 * H);
	/* 2026 in New York: 52 weeks and Thu Dec 31, 261 weekdays of 9 h */
	test_assert_inteq(bizhours_between(bh, utc(2026, 1, 1, 5, 0), utc(2027, 1, 1, 5, 0)), 261 * 9 * H);
	test_end();

	test_begin("over a holiday");
	/* Martin Luther King Day, Mon 2026-01-19 */
	test_assert_inteq(bizhours_add_holiday(bh, 2026, 1, 19), 0);
	test_assert_inteq(bizhours_add_holiday(bh, 2026, 1, 19), 0);
	test_assert_inteq(bizhours_add_holiday(bh, 2026, 2, 29), -1);
	test_assert_inteq(bizhours_add_holiday(bh, 2026, 13, 1), -1);
	test_assert(!bizhours_is_open(bh, utc(2026, 1, 19, 15, 0)));
	/* Fri 16:00 EST + 2 h = Tue 09:00 EST */
	test_assert_inteq(bizhours_add(bh, utc(2026, 1, 16, 21, 0), 2 * H), utc(2026, 1, 20, 14, 0));
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 1, 17, 15, 0)), utc(2026, 1, 20, 13, 0));
	/* the long target now ends Wed Jan 21 09:00 EST */
	test_assert_inteq(bizhours_add(bh, utc(2026, 1, 5, 13, 0), 100 * H), utc(2026, 1, 21, 14, 0));
	test_end();

	test_begin("spring forward, America/New_York");
	/* Fri 2026-03-06 16:00 EST + 3 h = Mon Mar 9 10:00 EDT */
	test_assert_inteq(bizhours_add(bh, utc(2026, 3, 6, 21, 0), 3 * H), utc(2026, 3, 9, 14, 0));
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 3, 7, 0, 0)), utc(2026, 3, 9, 12, 0));
	test_assert_inteq(bizhours_between(bh, utc(2026, 3, 6, 21, 0), utc(2026, 3, 9, 14, 0)), 3 * H);
	test_assert(bizhours_is_open(bh, utc(2026, 3, 9, 12, 0)));
	test_assert(!bizhours_is_open(bh, utc(2026, 3, 9, 12, 0) - 1));
	test_end();

	test_begin("fall back, America/New_York");
	/* Fri 2026-10-30 16:00 EDT + 2 h = Mon Nov 2 09:00 EST */
	test_assert_inteq(bizhours_add(bh, utc(2026, 10, 30, 20, 0), 2 * H), utc(2026, 11, 2, 14, 0));
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 10, 31, 0, 0)), utc(2026, 11, 2, 13, 0));
	test_assert_inteq(bizhours_between(bh, utc(2026, 10, 30, 20, 0), utc(2026, 11, 2, 14, 0)), 2 * H);
	test_end();
	bizhours_free(&bh);
	test_assert(bh == NULL);

	bh = cal("America/New_York", "Mon-Sun 01:00-05:00");
	test_begin("hours inside the DST change, America/New_York");
	/* Sun Mar 8: 01:00 EST = 06:00Z .. 05:00 EDT = 09:00Z, 3 real hours */
	test_assert_inteq(bizhours_between(bh, utc(2026, 3, 8, 5, 0), utc(2026, 3, 9, 4, 0)), 3 * H);
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 3, 8, 5, 0)), utc(2026, 3, 8, 6, 0));
	test_assert_inteq(bizhours_add(bh, utc(2026, 3, 8, 5, 0), 3 * H), utc(2026, 3, 8, 9, 0));
	/* one more second: Mon Mar 9 01:00 EDT = 05:00Z */
	test_assert_inteq(bizhours_add(bh, utc(2026, 3, 8, 5, 0), 3 * H + 1), utc(2026, 3, 9, 5, 0) + 1);
	/* 02:59:59 EST is followed by 03:00 EDT: both open */
	test_assert(bizhours_is_open(bh, utc(2026, 3, 8, 7, 0) - 1));
	test_assert(bizhours_is_open(bh, utc(2026, 3, 8, 7, 0)));
	/* Sun Nov 1: 01:00 EDT = 05:00Z .. 05:00 EST = 10:00Z, 5 real hours,
	 * 01:00-02:00 twice */
	test_assert_inteq(bizhours_between(bh, utc(2026, 11, 1, 4, 0), utc(2026, 11, 2, 5, 0)), 5 * H);
	test_assert_inteq(bizhours_add(bh, utc(2026, 11, 1, 4, 0), 5 * H), utc(2026, 11, 1, 10, 0));
	test_assert(bizhours_is_open(bh, utc(2026, 11, 1, 5, 30)));	/* 01:30 EDT */
	test_assert(bizhours_is_open(bh, utc(2026, 11, 1, 6, 30)));	/* 01:30 EST */
	test_assert(!bizhours_is_open(bh, utc(2026, 11, 1, 10, 0)));	/* 05:00 EST */
	test_end();
	bizhours_free(&bh);

	bh = cal("America/New_York", "Sun 02:30-04:00");
	test_begin("opening time in the spring-forward gap");
	/* 02:30 does not exist on Mar 8: open 03:00 EDT = 07:00Z to 08:00Z */
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 3, 8, 0, 0)), utc(2026, 3, 8, 7, 0));
	test_assert_inteq(bizhours_between(bh, utc(2026, 3, 8, 0, 0), utc(2026, 3, 9, 0, 0)), H);
	/* an ordinary Sunday: 02:30 EST = 07:30Z, 90 minutes */
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 3, 1, 0, 0)), utc(2026, 3, 1, 7, 30));
	test_assert_inteq(bizhours_between(bh, utc(2026, 3, 1, 0, 0), utc(2026, 3, 2, 0, 0)), 90 * M);
	test_end();
	bizhours_free(&bh);
}

static void
test_helsinki(void)
{
	struct bizhours *bh = cal("Europe/Helsinki", "Mon-Fri 08:00-16:00");

	test_begin("spring forward, Europe/Helsinki");
	/* Fri 2026-03-27 15:00 EET + 2 h = Mon Mar 30 09:00 EEST */
	test_assert_inteq(bizhours_add(bh, utc(2026, 3, 27, 13, 0), 2 * H), utc(2026, 3, 30, 6, 0));
	test_assert_inteq(bizhours_between(bh, utc(2026, 3, 27, 13, 0), utc(2026, 3, 30, 6, 0)), 2 * H);
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 3, 28, 0, 0)), utc(2026, 3, 30, 5, 0));
	test_end();

	test_begin("fall back, Europe/Helsinki");
	/* Fri 2026-10-23 15:00 EEST + 2 h = Mon Oct 26 09:00 EET */
	test_assert_inteq(bizhours_add(bh, utc(2026, 10, 23, 12, 0), 2 * H), utc(2026, 10, 26, 7, 0));
	test_assert_inteq(bizhours_between(bh, utc(2026, 10, 23, 12, 0), utc(2026, 10, 26, 7, 0)), 2 * H);
	test_end();
	bizhours_free(&bh);

	bh = cal("Europe/Helsinki", "Sun 03:00-05:00");
	test_begin("hours inside the DST change, Europe/Helsinki");
	/* Mar 29: 03:00-04:00 does not exist; 04:00-05:00 EEST = 01:00-02:00Z */
	test_assert_inteq(bizhours_between(bh, utc(2026, 3, 28, 22, 0), utc(2026, 3, 29, 21, 0)), H);
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 3, 28, 22, 0)), utc(2026, 3, 29, 1, 0));
	/* Oct 25: 03:00 EEST = 00:00Z .. 05:00 EET = 03:00Z, 3 real hours */
	test_assert_inteq(bizhours_between(bh, utc(2026, 10, 24, 21, 0), utc(2026, 10, 25, 22, 0)), 3 * H);
	test_assert_inteq(bizhours_add(bh, utc(2026, 10, 24, 21, 0), 3 * H), utc(2026, 10, 25, 3, 0));
	test_end();
	bizhours_free(&bh);

	bh = cal("Europe/Helsinki", "24x7");
	test_begin("24x7 local days across DST, Europe/Helsinki");
	/* Mar 29 is 23 hours long, Oct 25 is 25 */
	test_assert_inteq(bizhours_between(bh, utc(2026, 3, 28, 22, 0), utc(2026, 3, 29, 21, 0)), 23 * H);
	test_assert_inteq(bizhours_between(bh, utc(2026, 10, 24, 21, 0), utc(2026, 10, 25, 22, 0)), 25 * H);
	test_assert_inteq(bizhours_add(bh, utc(2026, 3, 28, 12, 0), 48 * H), utc(2026, 3, 30, 12, 0));
	test_end();
	bizhours_free(&bh);

	bh = cal("Europe/Helsinki", "Mon-Fri 09:00-12:00,13:00-18:00; Sat 10:00-14:00");
	test_begin("split hours (lunch break) and Saturday");
	/* Mon 2026-02-02 11:30 EET + 1 h = 13:30 EET */
	test_assert_inteq(bizhours_add(bh, utc(2026, 2, 2, 9, 30), H), utc(2026, 2, 2, 11, 30));
	test_assert(!bizhours_is_open(bh, utc(2026, 2, 2, 10, 30)));	/* 12:30 EET */
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 2, 2, 10, 30)), utc(2026, 2, 2, 11, 0));
	test_assert_inteq(bizhours_between(bh, utc(2026, 2, 2, 9, 30), utc(2026, 2, 2, 11, 30)), H);
	/* Fri 17:00 EET + 3 h = Sat 12:00 EET */
	test_assert_inteq(bizhours_add(bh, utc(2026, 2, 6, 15, 0), 3 * H), utc(2026, 2, 7, 10, 0));
	/* Sat 13:00 EET + 2 h = Mon Feb 9 10:00 EET */
	test_assert_inteq(bizhours_add(bh, utc(2026, 2, 7, 11, 0), 2 * H), utc(2026, 2, 9, 8, 0));
	/* a week: 5 * 8 h + 4 h */
	test_assert_inteq(bizhours_between(bh, utc(2026, 2, 2, 0, 0), utc(2026, 2, 9, 0, 0)), 44 * H);
	test_end();
	bizhours_free(&bh);
}

static void
test_tokyo(void)
{
	struct bizhours *bh = cal("Asia/Tokyo", "Mon-Fri 09:00-18:00");
	char *path, *error = NULL;

	test_begin("Asia/Tokyo, no DST");
	/* Mon 2026-06-01 17:00 JST + 2 h = Tue 10:00 JST */
	test_assert_inteq(bizhours_add(bh, utc(2026, 6, 1, 8, 0), 2 * H), utc(2026, 6, 2, 1, 0));
	/* Sun 2026-03-08 (a US DST day) changes nothing: Mon 09:00 JST */
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 3, 7, 0, 0)), utc(2026, 3, 9, 0, 0));
	test_assert_inteq(bizhours_between(bh, utc(2026, 6, 1, 0, 0), utc(2026, 6, 8, 0, 0)), 45 * H);
	test_end();

	test_begin("Golden Week from conf/holidays/APAC.txt");
	path = src_path("conf/holidays/APAC.txt");
	test_assert_inteq(bizhours_load_holidays(bh, path, &error), 0);
	test_assert(error == NULL);
	/* Fri May 1 17:00 JST + 2 h: May 4, 5, 6 are holidays: Thu 10:00 JST */
	test_assert_inteq(bizhours_add(bh, utc(2026, 5, 1, 8, 0), 2 * H), utc(2026, 5, 7, 1, 0));
	test_assert(!bizhours_is_open(bh, utc(2026, 5, 6, 3, 0)));
	free(path);
	test_end();
	bizhours_free(&bh);

	bh = cal("Asia/Tokyo", "Mon-Fri 22:00-06:00");
	test_begin("overnight hours");
	/* Fri 2026-06-05 23:00 JST + 8 h: Fri 23-24, Sat 00-06, then Mon
	 * 22:00 JST (no Sunday shift) + 1 h = Mon Jun 8 23:00 JST */
	test_assert_inteq(bizhours_add(bh, utc(2026, 6, 5, 14, 0), 8 * H), utc(2026, 6, 8, 14, 0));
	test_assert(bizhours_is_open(bh, utc(2026, 6, 5, 20, 0)));	/* Sat 05:00 JST */
	test_assert(!bizhours_is_open(bh, utc(2026, 6, 7, 20, 0)));	/* Mon 05:00 JST */
	test_end();
	bizhours_free(&bh);
}

static void
test_around_the_clock(void)
{
	struct bizhours *bh = cal("UTC", "24x7");
	struct bizhours *ny = cal("America/New_York", "24x7");

	test_begin("24x7 on a Sunday (Enterprise severity 1)");
	/* Sun 2026-02-01 10:00Z */
	test_assert(bizhours_is_open(bh, utc(2026, 2, 1, 10, 0)));
	test_assert_inteq(bizhours_add(bh, utc(2026, 2, 1, 10, 0), 4 * H), utc(2026, 2, 1, 14, 0));
	test_assert_inteq(bizhours_add(bh, utc(2026, 2, 1, 10, 0), 3 * 24 * H + 1), utc(2026, 2, 4, 10, 0) + 1);
	test_assert_inteq(bizhours_between(bh, utc(2026, 2, 1, 10, 0), utc(2026, 2, 15, 10, 0)), 14 * 24 * H);
	/* real seconds across the New York spring change */
	test_assert_inteq(bizhours_add(ny, utc(2026, 3, 7, 12, 0), 48 * H), utc(2026, 3, 9, 12, 0));
	test_assert_inteq(bizhours_between(ny, utc(2026, 3, 7, 12, 0), utc(2026, 3, 9, 12, 0)), 48 * H);
	test_end();
	bizhours_free(&bh);
	bizhours_free(&ny);
}

static void
test_holiday_files(void)
{
	struct bizhours *bh = cal("America/New_York", "Mon-Fri 08:00-17:00");
	char *path, *error = NULL, *expected;

	test_begin("holidays from a temp file");
	path = write_temp("# test holidays\n\n  2026-01-19 Martin Luther King Day\n"
			  "2026-07-03\tIndependence Day (observed)\r\n2026-01-19 twice\n");
	test_assert_inteq(bizhours_load_holidays(bh, path, &error), 0);
	test_assert(error == NULL);
	test_assert_inteq(bizhours_add(bh, utc(2026, 1, 16, 21, 0), 2 * H), utc(2026, 1, 20, 14, 0));
	/* Thu 2026-07-02 16:00 EDT + 2 h: Fri Jul 3 closed, Mon Jul 6 09:00 EDT */
	test_assert_inteq(bizhours_add(bh, utc(2026, 7, 2, 20, 0), 2 * H), utc(2026, 7, 6, 13, 0));
	unlink(path);
	free(path);
	test_end();

	test_begin("holiday file errors");
	path = write_temp("2026-12-25 Christmas Day\n2026-1-5 bad\n2026-02-30 no such day\n"
			  "# fine\nnot a date\n2026-12-24x\n");
	test_assert_inteq(bizhours_load_holidays(bh, path, &error), -1);
	expected = xasprintf("%s:2: bad date '2026-1-5', expected YYYY-MM-DD\n"
			     "%s:3: no such date '2026-02-30'\n"
			     "%s:5: bad date 'not', expected YYYY-MM-DD\n"
			     "%s:6: bad date '2026-12-24x', expected YYYY-MM-DD",
			     path, path, path, path);
	test_assert_streq(error, expected);
	free(expected);
	xfree(&error);
	/* all or nothing: Christmas was not added (Fri Dec 25 is open) */
	test_assert(bizhours_is_open(bh, utc(2026, 12, 25, 15, 0)));
	test_assert_inteq(bizhours_load_holidays(bh, path, NULL), -1);
	unlink(path);
	test_assert_inteq(bizhours_load_holidays(bh, path, &error), -1);
	expected = xasprintf("unable to open '%s': No such file or directory", path);
	test_assert_streq(error, expected);
	free(expected);
	xfree(&error);
	free(path);
	test_end();
	bizhours_free(&bh);

	test_begin("conf/holidays files load and hold their holidays");
	{
		static const struct {
			const char *file, *tz;
			int y, m, d;
		} cases[] = {
			{ "conf/holidays/AMER.txt", "America/New_York", 2026, 11, 26 },
			{ "conf/holidays/AMER.txt", "America/New_York", 2027, 12, 31 },
			{ "conf/holidays/EMEA.txt", "Europe/Helsinki", 2026, 4, 3 },
			{ "conf/holidays/EMEA.txt", "Europe/Helsinki", 2027, 5, 6 },
			{ "conf/holidays/APAC.txt", "Asia/Tokyo", 2026, 9, 22 },
			{ "conf/holidays/APAC.txt", "Asia/Tokyo", 2027, 3, 22 },
		};
		size_t i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct bizhours *c = cal(cases[i].tz, "Mon-Fri 08:00-17:00");
			/* local noon, well inside any zone's day */
			time_t noon = utc(cases[i].y, cases[i].m, cases[i].d, 12, 0);
			struct tm tm;

			bizhours_localtime(c, noon, &tm);
			noon -= (tm.tm_hour - 12) * H + tm.tm_min * M;
			test_assert(bizhours_is_open(c, noon));
			path = src_path(cases[i].file);
			test_assert_inteq(bizhours_load_holidays(c, path, &error), 0);
			test_assert(error == NULL);
			test_assert(!bizhours_is_open(c, noon));
			free(path);
			bizhours_free(&c);
		}
	}
	test_end();
}

static void
test_parse_errors(void)
{
	test_begin("parse errors");
	assert_new_error("UTC", "Mox-Fri 08:00-17:00",
			 "unknown day 'Mox' in 'Mox-Fri 08:00-17:00'");
	assert_new_error("UTC", "Mon-Fry 08:00-17:00",
			 "unknown day 'Fry' in 'Mon-Fry 08:00-17:00'");
	assert_new_error("UTC", "Monday 08:00-17:00",
			 "unknown day 'Monday' in 'Monday 08:00-17:00'");
	assert_new_error("UTC", "Mon-Fri", "missing hours after 'Mon-Fri' in 'Mon-Fri'");
	assert_new_error("UTC", "Mon,,Fri 08:00-17:00", "missing day in 'Mon,,Fri 08:00-17:00'");
	assert_new_error("UTC", "Mon-Fri 8-17", "bad time '8' in 'Mon-Fri 8-17', expected HH:MM");
	assert_new_error("UTC", "Mon-Fri 08:00-25:00",
			 "bad time '25:00' in 'Mon-Fri 08:00-25:00', expected HH:MM");
	assert_new_error("UTC", "Mon-Fri 08:60-17:00",
			 "bad time '08:60' in 'Mon-Fri 08:60-17:00', expected HH:MM");
	assert_new_error("UTC", "Mon-Fri 24:00-08:00",
			 "bad time '24:00' in 'Mon-Fri 24:00-08:00', expected HH:MM");
	assert_new_error("UTC", "Mon-Fri 08:00", "expected '-' after '08:00' in 'Mon-Fri 08:00'");
	assert_new_error("UTC", "Mon-Fri 08:00-08:00",
			 "empty time range '08:00-08:00' in 'Mon-Fri 08:00-08:00'");
	assert_new_error("UTC", "Mon-Fri 09:00-12:00 13:00-17:00",
			 "unexpected '13:00' in 'Mon-Fri 09:00-12:00 13:00-17:00'");
	assert_new_error("UTC", "", "empty business hours");
	assert_new_error("UTC", "   ", "empty business hours");
	assert_new_error("UTC", "Mon 00:01-00:02,00:03-00:04,00:05-00:06,00:07-00:08,"
			 "00:09-00:10,00:11-00:12,00:13-00:14,00:15-00:16,00:17-00:18,"
			 "00:19-00:20,00:21-00:22,00:23-00:24,00:25-00:26,00:27-00:28,"
			 "00:29-00:30,00:31-00:32,00:33-00:34",
			 "more than 16 time ranges on Mon in 'Mon 00:01-00:02,00:03-00:04,"
			 "00:05-00:06,00:07-00:08,00:09-00:10,00:11-00:12,00:13-00:14,"
			 "00:15-00:16,00:17-00:18,00:19-00:20,00:21-00:22,00:23-00:24,"
			 "00:25-00:26,00:27-00:28,00:29-00:30,00:31-00:32,00:33-00:34'");
	assert_new_error("Mars/Olympus_Mons", "24x7", "unknown time zone 'Mars/Olympus_Mons'");
	assert_new_error("Europe", "24x7", "unknown time zone 'Europe'");
	assert_new_error("../../etc/passwd", "24x7", "bad time zone name '../../etc/passwd'");
	assert_new_error("/etc/localtime", "24x7", "bad time zone name '/etc/localtime'");
	assert_new_error("", "24x7", "bad time zone name ''");
	assert_new_error("zone.tab", "24x7",
			 "bad time zone file '/usr/share/zoneinfo/zone.tab': not a TZif file");
	test_assert(bizhours_new("UTC", "Mox", NULL) == NULL);
	test_end();

	test_begin("accepted forms");
	test_assert(new_error("UTC", "mon-FRI 8:00-17:00") == NULL);
	test_assert(new_error("UTC", " Mon-Fri 08:00 - 12:00 , 13:00-17:00 ; Sat 10:00-14:00 ") == NULL);
	test_assert(new_error("UTC", "Mon-Sun 00:00-24:00") == NULL);
	test_assert(new_error("UTC", "Mon-Fri 08:00-17:00;") == NULL);
	test_assert(new_error("Etc/GMT+5", "Mon-Fri 08:00-17:00") == NULL);
	test_end();
}

static void
assert_describe(const char *tz, const char *weekly, const char *expected)
{
	struct bizhours *bh = cal(tz, weekly);
	char *text = bizhours_describe(bh);

	test_assert_streq(text, expected);
	free(text);
	bizhours_free(&bh);
}

static void
test_describe(void)
{
	test_begin("describe");
	assert_describe("Asia/Tokyo", "Mon-Fri 08:00-17:00", "Mon-Fri 08:00-17:00 (Asia/Tokyo)");
	assert_describe("Europe/Helsinki", "Mon-Fri 09:00-12:00,13:00-18:00; Sat 10:00-14:00",
			"Mon-Fri 09:00-12:00,13:00-18:00; Sat 10:00-14:00 (Europe/Helsinki)");
	assert_describe("UTC", "24x7", "24x7 (UTC)");
	assert_describe("UTC", "Mon-Sun 00:00-24:00", "24x7 (UTC)");
	assert_describe("UTC", "fri,mon,wed 08:00-16:00", "Mon,Wed,Fri 08:00-16:00 (UTC)");
	assert_describe("UTC", "Sat-Mon 10:00-12:00", "Mon,Sat,Sun 10:00-12:00 (UTC)");
	/* a day given twice gets the union */
	assert_describe("UTC", "Mon-Fri 08:00-12:00; Mon 11:00-17:00",
			"Mon 08:00-17:00; Tue-Fri 08:00-12:00 (UTC)");
	assert_describe("UTC", "Mon-Fri 22:00-06:00",
			"Mon 22:00-24:00; Tue-Fri 00:00-06:00,22:00-24:00; Sat 00:00-06:00 (UTC)");
	test_end();

	test_begin("time zone name");
	{
		struct bizhours *bh = cal("Asia/Tokyo", "24x7");

		test_assert_streq(bizhours_tz(bh), "Asia/Tokyo");
		bizhours_free(&bh);
	}
	test_end();
}

static unsigned long long rng_state = 88172645463325252ULL;

static unsigned long
rnd(unsigned long n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned long)(rng_state % n);
}

/* Business seconds in [from, to) counted minute by minute with is_open(). */
static long
brute_between(const struct bizhours *bh, time_t from, time_t to)
{
	long n = 0;
	time_t t;

	for (t = from; t < to; t += 60)
		n += bizhours_is_open(bh, t) ? 60 : 0;
	return n;
}

static void
test_round_trip(void)
{
	static const struct {
		const char *tz, *weekly;
	} cals[] = {
		{ "America/New_York", "Mon-Fri 08:00-17:00" },
		{ "America/New_York", "Mon-Sun 01:00-05:00" },
		{ "Europe/Helsinki", "Mon-Fri 09:00-12:00,13:00-18:00; Sat 10:00-14:00" },
		{ "Europe/Helsinki", "Sun 03:00-05:00; Tue-Thu 22:00-04:00" },
		{ "Asia/Tokyo", "Mon-Fri 09:00-18:00" },
		{ "Australia/Sydney", "Mon-Fri 02:00-03:30,08:00-17:00" },
		{ "Europe/Dublin", "Sun-Thu 00:30-02:30" },
		{ "UTC", "24x7" },
	};
	time_t lo = utc(2025, 10, 1, 0, 0), hi = utc(2028, 1, 1, 0, 0);
	/* Thursdays before the 2026 changes in New York, Europe, Sydney */
	const time_t dst_weeks[] = {
		utc(2026, 3, 5, 0, 0), utc(2026, 10, 29, 0, 0),
		utc(2026, 3, 26, 0, 0), utc(2026, 10, 22, 0, 0),
		utc(2026, 4, 2, 0, 0), utc(2026, 10, 1, 0, 0),
	};
	int bad_trip = 0, bad_back = 0, bad_brute = 0, i, k;
	char *path = src_path("conf/holidays/EMEA.txt");

	test_begin("between and add agree on random starts");
	for (i = 0; i < (int)(sizeof(cals) / sizeof(cals[0])); i++) {
		struct bizhours *bh = cal(cals[i].tz, cals[i].weekly);

		if (bizhours_load_holidays(bh, path, NULL) < 0)
			bad_trip++;
		for (k = 0; k < 3000; k++) {
			time_t s = lo + (time_t)rnd((unsigned long)(hi - lo));
			long n = (long)rnd(k % 10 == 0 ? 400 * H : 30 * H);
			time_t t = s + (time_t)rnd(20 * 24 * H);
			time_t due = bizhours_add(bh, s, n);
			long b = bizhours_between(bh, s, t);
			time_t r = bizhours_add(bh, s, b);

			if (due < s || bizhours_between(bh, s, due) != n)
				bad_trip++;
			/* the budget used up by t is reached no later than t,
			 * and nothing is open between */
			if (b > 0 && (r > t || bizhours_between(bh, r, t) != 0))
				bad_back++;
			if (k < 20) {
				time_t ms = s - s % 60, mt = ms + 60 * (time_t)rnd(9 * 24 * 60);

				if (bizhours_between(bh, ms, mt) != brute_between(bh, ms, mt))
					bad_brute++;
			}
		}
		/* and minute by minute over the weeks of the DST changes */
		for (k = 0; k < (int)(sizeof(dst_weeks) / sizeof(dst_weeks[0])); k++) {
			time_t ms = dst_weeks[k], mt = ms + 8 * 24 * H;

			if (bizhours_between(bh, ms, mt) != brute_between(bh, ms, mt))
				bad_brute++;
		}
		bizhours_free(&bh);
	}
	free(path);
	test_assert_inteq(bad_trip, 0);
	test_assert_inteq(bad_back, 0);
	test_assert_inteq(bad_brute, 0);
	test_end();
}

/* Compare bizhours_localtime() with the C library reading the same file. */
static void
test_localtime(void)
{
	static const char *zones[] = {
		"America/New_York", "Europe/Helsinki", "Asia/Tokyo", "Australia/Sydney",
		"Europe/Dublin", "America/Sao_Paulo", "Pacific/Chatham",
		"America/St_Johns", "Asia/Kolkata", "Africa/Casablanca", "UTC",
	};
	time_t lo = utc(1900, 1, 1, 0, 0), hi = utc(2399, 12, 31, 0, 0);
	char *old_tz = getenv("TZ") ? xstrdup(getenv("TZ")) : NULL;
	int bad = 0, i, k;

	test_begin("local time matches the C library");
	for (i = 0; i < (int)(sizeof(zones) / sizeof(zones[0])); i++) {
		struct bizhours *bh = cal(zones[i], "24x7");

		setenv("TZ", zones[i], 1);
		tzset();
		for (k = 0; k < 20000; k++) {
			/* half the samples near today, where rules matter */
			time_t t = k % 2 ? lo + (time_t)rnd((unsigned long)(hi - lo)) :
				utc(2020, 1, 1, 0, 0) + (time_t)rnd(30UL * 366 * 24 * 3600);
			struct tm a, b;

			localtime_r(&t, &a);
			bizhours_localtime(bh, t, &b);
			if (a.tm_year != b.tm_year || a.tm_mon != b.tm_mon ||
			    a.tm_mday != b.tm_mday || a.tm_hour != b.tm_hour ||
			    a.tm_min != b.tm_min || a.tm_sec != b.tm_sec ||
			    a.tm_wday != b.tm_wday || a.tm_yday != b.tm_yday ||
			    a.tm_isdst != b.tm_isdst || a.tm_gmtoff != b.tm_gmtoff ||
			    strcmp(a.tm_zone, b.tm_zone) != 0) {
				if (bad++ < 5)
					printf("#   %s at %lld: libc %d-%02d-%02d %02d:%02d %s, ours %d-%02d-%02d %02d:%02d %s\n",
					       zones[i], (long long)t,
					       a.tm_year + 1900, a.tm_mon + 1, a.tm_mday, a.tm_hour, a.tm_min, a.tm_zone,
					       b.tm_year + 1900, b.tm_mon + 1, b.tm_mday, b.tm_hour, b.tm_min, b.tm_zone);
			}
		}
		bizhours_free(&bh);
	}
	if (old_tz != NULL)
		setenv("TZ", old_tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old_tz);
	test_assert_inteq(bad, 0);
	test_end();
}

static void
test_limits(void)
{
	struct bizhours *bh = cal("Europe/Helsinki", "Mon 09:00-10:00");
	int y;

	test_begin("range limits and a calendar that never opens");
	test_assert_inteq(bizhours_add(bh, utc(2026, 1, 1, 0, 0), -1), -1);
	test_assert_inteq(bizhours_add(bh, utc(1899, 12, 31, 0, 0), 0), -1);
	test_assert_inteq(bizhours_next_open(bh, utc(2400, 1, 1, 0, 0)), -1);
	test_assert_inteq(bizhours_add(bh, utc(2026, 1, 1, 0, 0), 1000L * 366 * 3600), -1);
	test_assert(!bizhours_is_open(bh, utc(2400, 1, 5, 7, 30)));
	/* Mon 2399-12-27 09:00 EET is the last opening */
	test_assert_inteq(bizhours_next_open(bh, utc(2399, 12, 21, 0, 0)), utc(2399, 12, 27, 7, 0));
	test_assert_inteq(bizhours_between(bh, utc(2026, 1, 1, 0, 0), (time_t)1 << 40),
			  bizhours_between(bh, utc(2026, 1, 1, 0, 0), utc(2400, 1, 1, 0, 0)));
	/* close every Monday for eleven years */
	for (y = 2026; y <= 2036; y++) {
		int m, d;

		for (m = 1; m <= 12; m++)
			for (d = 1; d <= 31; d++)
				bizhours_add_holiday(bh, y, m, d);
	}
	test_assert_inteq(bizhours_next_open(bh, utc(2026, 1, 1, 0, 0)), -1);
	test_assert_inteq(bizhours_add(bh, utc(2026, 1, 1, 0, 0), 1), -1);
	test_assert_inteq(bizhours_between(bh, utc(2026, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0)), 0);
	test_end();
	bizhours_free(&bh);
}

int
main(void)
{
	test_new_york();
	test_helsinki();
	test_tokyo();
	test_around_the_clock();
	test_holiday_files();
	test_parse_errors();
	test_describe();
	test_round_trip();
	test_localtime();
	test_limits();
	return test_done();
}
