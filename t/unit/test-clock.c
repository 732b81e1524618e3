/* test-clock: parsing instants, the injected clock, the monotonic clock. */
#include <stdlib.h>

#include "clock.h"
#include "test.h"

static void
test_parse(void)
{
	test_begin("clock_parse: RFC 3339 UTC, offsets, epoch seconds, fractions");
	test_assert_inteq(clock_parse("2026-11-26T10:00:00Z"), 1795687200);
	test_assert_inteq(clock_parse("2026-11-26 10:00:00Z"), 1795687200);
	test_assert_inteq(clock_parse("2026-11-26T19:00:00+09:00"), 1795687200);
	test_assert_inteq(clock_parse("2026-11-26T05:00:00-05:00"), 1795687200);
	test_assert_inteq(clock_parse("2026-11-26T10:00:00.123Z"), 1795687200);
	test_assert_inteq(clock_parse("1795687200"), 1795687200);
	test_end();

	test_begin("clock_parse: malformed input is -1 and nothing past its end is read");
	test_assert_inteq(clock_parse(NULL), -1);
	test_assert_inteq(clock_parse(""), -1);
	test_assert_inteq(clock_parse("tomorrow"), -1);
	/* Short or odd offsets: each byte is checked before the next is read. */
	test_assert_inteq(clock_parse("2026-11-26T10:00:00+"), -1);
	test_assert_inteq(clock_parse("2026-11-26T10:00:00+1"), -1);
	test_assert_inteq(clock_parse("2026-11-26T10:00:00+1:2"), -1);
	test_assert_inteq(clock_parse("2026-11-26T10:00:00+09"), -1);
	test_assert_inteq(clock_parse("2026-11-26T10:00:00+09:0"), -1);
	test_assert_inteq(clock_parse("2026-11-26T10:00:00+24:00"), -1);
	test_assert_inteq(clock_parse("2026-11-26T10:00:00+09:00x"), -1);
	test_assert_inteq(clock_parse("2026-11-26T10:00:00Zjunk"), -1);
	test_end();
}

static void
test_injected(void)
{
	long long a, b;
	time_t now;

	/* Before the first call: the offset is fixed then. */
	setenv("TICKETD_NOW", "2026-11-26T10:00:00Z", 1);
	test_begin("TICKETD_NOW starts the clock at the instant and it runs on");
	now = clock_now();
	test_assert(now >= 1795687200 && now <= 1795687200 + 5);
	test_assert(clock_now_ms() / 1000 >= 1795687200);
	test_assert(clock_now_ms() / 1000 - clock_now() <= 1);
	test_end();

	test_begin("the monotonic clock never runs backwards");
	a = clock_mono_ms();
	b = clock_mono_ms();
	test_assert(b >= a);
	test_end();

	test_begin("clock_format: RFC 3339 UTC");
	{
		char out[32];

		clock_format(1795687200, out, sizeof(out));
		test_assert_streq(out, "2026-11-26T10:00:00Z");
	}
	test_end();
}

int
main(void)
{
	test_parse();
	test_injected();
	return test_done();
}
