/*
 * clock: the time ticketd believes it is.  Every module asks here (the
 * store too: times are bound as parameters, never SQLite's 'now').
 *
 * Real time, unless the environment variable TICKETD_NOW is set (tests and
 * demos only: "2026-11-30T09:00:00Z" or seconds since the epoch).  Then the
 * clock starts at that instant and runs on at real speed, so a test can put
 * a ticket a week of business time into the future without waiting.  The
 * offset is fixed at the first call, whichever thread makes it.
 */
#ifndef TICKETD_CLOCK_H
#define TICKETD_CLOCK_H

#include <time.h>

time_t clock_now(void);
/* The same instant in milliseconds since the epoch (log timestamps). */
long long clock_now_ms(void);
/* Milliseconds on a monotonic clock, for durations only (never injected). */
long long clock_mono_ms(void);
/* Parse "YYYY-MM-DDTHH:MM:SSZ" (or with ±HH:MM) or epoch seconds; -1 on error. */
time_t clock_parse(const char *s);
/* Bytes of a buffer clock_format always fits in. */
#define CLOCK_TEXT_MAX 32

/* RFC 3339 UTC "2026-11-26T10:00:00Z" into out (at least 21 bytes; CLOCK_TEXT_MAX is enough). */
void clock_format(time_t t, char *out, size_t outlen);

#endif
