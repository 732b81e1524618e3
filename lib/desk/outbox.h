/*
 * outbox: the sender loop over the durable outbox (SPEC section 7).
 *
 * Rows were committed with the event that caused them; here they are
 * submitted over SMTP.  250 → sent; 4xx, timeouts and network errors →
 * retried with exponential backoff and jitter until smtp max_retry has
 * passed since the row was queued; 5xx to the message's recipient or data
 * → failed, logged, and an event on the ticket (smtp.h tells which
 * failures are the server's: those pause the whole outbox instead).
 *
 * At most once, as far as SMTP allows:
 *   1. a row is claimed in a commit of its own before its mail goes out
 *      (no claim, no mail: a store that cannot take the claim, full,
 *      locked, deleted, sends nothing);
 *   2. the result releases the claim in the next commit: a 250 in the
 *      commit that claims the next row (one durable write per mail, not
 *      two), or in one of its own when no row follows;
 *   3. a result the store cannot take (disk full, locked) is held in
 *      memory as "sent, unrecorded" (or deferred, failed), logged once,
 *      never sent again, and recorded when the store is back;
 *   4. a row still claimed by a sender that died (kill -9, power) was in
 *      flight: its outcome is unknown.  It is sent again once, logged
 *      with dup=possible; found in flight a second time it fails instead
 *      (visible in `ticketctl outbox --failed`; `outbox retry` sends it
 *      again).  A send that got no answer after its data counts the same.
 * So a crash makes at most one possible duplicate, of the one mail in
 * flight, and every duplicate there is carries dup=possible in the log.
 */
#ifndef TICKETD_OUTBOX_H
#define TICKETD_OUTBOX_H

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include "health.h"
#include "proc.h"

struct conf;
struct store;
struct smtp;

#define OUTBOX_BATCH 100           /* rows read per round */
#define OUTBOX_BACKOFF_MIN 30      /* seconds before the first retry */
#define OUTBOX_BACKOFF_MAX 3600    /* cap between retries */
#define OUTBOX_PAUSE_MIN 15        /* seconds the outbox waits after the server failed */
#define OUTBOX_PAUSE_MAX 600       /* cap of that wait while it keeps failing */
#define OUTBOX_RECOVER_INTERVAL 30 /* seconds between looks for rows left in flight */
#define OUTBOX_CLAIM_STALE 3600    /* a claim from another host is taken over after this */
#define OUTBOX_MAX_DOUBT 1         /* times a mail whose outcome is unknown is sent again */

/* A result the store could not take: kept until it can. */
enum outbox_held_kind {
	OUTBOX_HELD_SENT,
	OUTBOX_HELD_RETRY,
	OUTBOX_HELD_FAILED,
};

struct outbox_held {
	enum outbox_held_kind kind;
	long long id;
	long long ticket;
	char *message_id;
	char *rcpt;
	char *mail_kind;
	int attempts;
	time_t at;                 /* sent at, or due again at */
	char *error;
	int doubt;
};

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
	char owner[PROC_ID_MAX];   /* our claims: this process */
	struct health health;
	struct outbox_held *held;
	size_t n_held;
	struct outbox_held sent;   /* the last 250, recorded with the next claim */
	int has_sent;
	int sent_recorded;         /* its record in the claim being flushed (1, 0), -1 none */
	struct job_thread *flusher; /* syncs a claim while the server takes MAIL, RCPT, DATA */
	int flushing;
	int flush_fd;
	int flush_err;
	time_t recover_at;         /* next look for rows left in flight */
};

/* board may be NULL (one process, one loop). */
int outbox_init(struct outbox *o, const struct conf *conf, struct store *st, const atomic_int *stop);
/* Share the process's outage log with the other loops (health.h). */
void outbox_set_board(struct outbox *o, struct health_board *board);
void outbox_release(struct outbox *o);

/*
 * Send every row due now (nothing while paused or while the store is
 * down).  Returns the number of rows handled, -1 on a store error (the
 * store is then down: see health.h).  *next_r gets the time the next
 * queued row is due, or the end of the pause or of the store's backoff
 * when later (0: none).
 */
int outbox_run(struct outbox *o, time_t *next_r);

/* Results held in memory, not yet in the store. */
size_t outbox_unrecorded(const struct outbox *o);

/* The delay before retry number attempts (1-based), with ±20 % jitter. */
long outbox_backoff(int attempts);

#endif
