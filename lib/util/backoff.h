/*
 * backoff: the one doubling delay every retry loop uses (IMAP reconnects,
 * outbox retries and pauses, store outages, thread restarts).
 */
#ifndef TICKETD_BACKOFF_H
#define TICKETD_BACKOFF_H

/*
 * The delay before try number n (1-based): first, doubled for each try
 * after the first, never more than max.  n < 1 counts as 1.
 */
long backoff_delay(int n, long first, long max);

#endif
