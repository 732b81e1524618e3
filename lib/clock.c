#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	} else if ((*end == '+' || *end == '-') && sscanf(end + 1, "%2d:%2d", &oh, &om) == 2) {
		off = (oh * 60 + om) * 60 * (*end == '-' ? -1 : 1);
		end += 6;
	}
	if (*end != '\0')
		return -1;
	return timegm(&tm) - off;
}

time_t
clock_now(void)
{
	/* Offset between the injected start and the real start, read once. */
	static int init;
	static time_t offset;
	const char *env;
	time_t t;

	if (!init) {
		init = 1;
		env = getenv("TICKETD_NOW");
		t = clock_parse(env);
		if (t != (time_t)-1)
			offset = t - time(NULL);
	}
	return time(NULL) + offset;
}

void
clock_format(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
