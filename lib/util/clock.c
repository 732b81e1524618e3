#include "clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Two digits at s into *v; 0, or -1 when they are not digits. */
static int
two_digits(const char *s, int *v)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

time_t
clock_parse(const char *s)
{
	struct tm tm;
	char *end;
	long long v;
	int off = 0, oh, om;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end == '\0')
		return (time_t)v;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (end == NULL)
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (*end == 'Z' || *end == 'z') {
		end++;
	} else if (*end == '+' || *end == '-') {
		/* Exactly ±HH:MM; every byte is checked before the next is read. */
		if (two_digits(end + 1, &oh) < 0 || end[3] != ':' ||
		    two_digits(end + 4, &om) < 0 || oh > 23 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60 * (*end == '-' ? -1 : 1);
		end += 6;
	}
	if (*end != '\0')
		return -1;
	return timegm(&tm) - off;
}

/* Offset between the injected start and the real start, fixed once. */
static pthread_once_t clock_once = PTHREAD_ONCE_INIT;
static long long clock_offset_ms;

static long long
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
clock_init(void)
{
	time_t t = clock_parse(getenv("TICKETD_NOW"));

	if (t != (time_t)-1)
		clock_offset_ms = (long long)t * 1000 - real_ms();
}

long long
clock_now_ms(void)
{
	pthread_once(&clock_once, clock_init);
	return real_ms() + clock_offset_ms;
}

time_t
clock_now(void)
{
	long long ms = clock_now_ms();

	return (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
}

long long
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
clock_format(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
