/*
 * test.h: a tiny TAP helper for the C unit tests.
 *
 *   test_begin("what");  test_assert(expr);  test_assert_streq(a, b);  test_end();
 *   return test_done();      prints the plan and "N passed, N failed"
 *   test_slurp(path, &len)   a whole file, NUL-terminated (NULL when unreadable)
 */
#ifndef TICKETD_TEST_H
#define TICKETD_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int test_n, test_failed, test_cur_failed;
static const char *test_cur;

static inline void
test_begin(const char *name)
{
	test_cur = name;
	test_cur_failed = 0;
}

#define test_assert(expr) do { \
	if (!(expr)) { \
		printf("#   %s:%d: assertion failed: %s\n", __FILE__, __LINE__, #expr); \
		test_cur_failed = 1; \
	} } while (0)

#define test_assert_streq(a, b) do { \
	const char *_a = (a), *_b = (b); \
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0) { \
		printf("#   %s:%d: '%s' != '%s'\n", __FILE__, __LINE__, \
		       _a ? _a : "(null)", _b ? _b : "(null)"); \
		test_cur_failed = 1; \
	} } while (0)

#define test_assert_inteq(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { \
		printf("#   %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, _a, _b); \
		test_cur_failed = 1; \
	} } while (0)

static inline void
test_end(void)
{
	test_n++;
	if (test_cur_failed)
		test_failed++;
	printf("%s %d - %s\n", test_cur_failed ? "not ok" : "ok", test_n, test_cur);
}

static inline int
test_done(void)
{
	printf("1..%d\n", test_n);
	printf("# %d passed, %d failed\n", test_n - test_failed, test_failed);
	return test_failed ? 1 : 0;
}

/* The whole file at path (NUL-terminated, its length in *len_r), or NULL; caller frees. */
static inline char *
test_slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL, *grown;
	size_t len = 0, cap = 0, n;

	*len_r = 0;
	if (f == NULL)
		return NULL;
	do {
		if (cap - len < 65536 + 1) {
			cap = cap ? cap * 2 : 65536 * 2;
			grown = realloc(data, cap);
			if (grown == NULL) {
				free(data);
				fclose(f);
				return NULL;
			}
			data = grown;
		}
		n = fread(data + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	data[len] = '\0';
	*len_r = len;
	return data;
}

/* A UTC instant, for tests that reason in wall-clock dates. */
static inline time_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return timegm(&tm);
}

#endif
