/*
 * outbox: the sender loop over the durable outbox (SPEC section 7).
 *
 * Rows were committed with the event that caused them; here they are
 * submitted over SMTP.  250 → sent; 4xx, timeouts and network errors →
 * retried with exponential backoff and jitter until smtp max_retry has
 * passed since the row was queued; 5xx to the message's recipient or data
 * → failed, logged, and an event on the ticket (smtp.h tells which
 * failures are the server's: those pause the whole outbox instead).  A
 * row is marked sent right after the server accepted it, in its own
 * commit, so a crash between the two sends that one row again: at least
 * once, and at most one duplicate per crash (one transaction in flight).
 */
#ifndef TICKETD_OUTBOX_H
#define TICKETD_OUTBOX_H

#include <stdatomic.h>
#include <time.h>

struct conf;
struct store;
struct smtp;

#define OUTBOX_BATCH 100           /* rows read per round */
#define OUTBOX_BACKOFF_MIN 30      /* seconds before the first retry */
#define OUTBOX_BACKOFF_MAX 3600    /* cap between retries */
#define OUTBOX_PAUSE_MIN 15        /* seconds the outbox waits after the server failed */
#define OUTBOX_PAUSE_MAX 600       /* cap of that wait while it keeps failing */

struct outbox {
	const struct conf *conf;
	struct store *st;
	struct smtp *smtp;
	const atomic_int *stop;
	/*
	 * When the server itself fails (no connection, timeout, 421), the row
	 * in hand is retried with its own backoff and the others wait until
	 * paused_until, so a dead server costs one timeout, not one per row.
	 */
	time_t paused_until;
	int pauses;                /* consecutive server failures */
};

int outbox_init(struct outbox *o, const struct conf *conf, struct store *st, const atomic_int *stop);
void outbox_release(struct outbox *o);

/*
 * Send every row due now (nothing while paused).  Returns the number of
 * rows handled, -1 on a store error.  *next_r gets the time the next
 * queued row is due, or the end of the pause when later (0: none).
 */
int outbox_run(struct outbox *o, time_t *next_r);

/* The delay before retry number attempts (1-based), with ±20 % jitter. */
long outbox_backoff(int attempts);

#endif
