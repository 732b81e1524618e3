/*
 * health: what a loop does when the store itself fails (store.h's
 * faults: locked, disk full, read-only, I/O error, deleted or replaced).
 *
 * Each loop (a mailbox, the sender, the SLA monitor) keeps one struct
 * health over its store connection.  After a failed store call it asks
 * health_failed(): a fault puts the loop down (it stops intake, flagging
 * and sending at once), logged once per outage for the whole process
 * (struct health_board); the loop then asks health_ok() before each round,
 * which retries with backoff (reopening the store for a deleted, replaced,
 * read-only or broken one) and lets the loop try again.  The first write
 * that succeeds afterwards (health_succeeded()) ends the outage, logged
 * once when every loop is back.
 */
#ifndef TICKETD_HEALTH_H
#define TICKETD_HEALTH_H

#include <stdatomic.h>
#include <time.h>

#include "store.h"

#define HEALTH_BACKOFF_MAX 30      /* seconds between retries at most */

/* Shared by every loop of a process: one error line per outage. */
struct health_board {
	atomic_int down;           /* loops down now */
};

struct health {
	struct store *st;
	struct health_board *board; /* may be NULL: then every loop logs for itself */
	const char *who;            /* "mailbox:support", "sender", "sla" (static or outlives h) */
	int down;
	int retrying;               /* a retry is under way; not yet proven by a write */
	enum store_fault fault;
	int failures;               /* retries that failed in a row */
	time_t since;
	time_t retry_at;
};

void health_init(struct health *h, struct store *st, struct health_board *board, const char *who);

/*
 * Was the last store error a fault?  Then 1: the loop is down (logged
 * once) and stops what it is doing.  0: the statement failed for its
 * data, not the store (the caller deals with it).
 */
int health_failed(struct health *h);
/* store_check(): 0 fine; -1 down (through health_failed). */
int health_check(struct health *h);
/*
 * 1 when the loop may use the store: it is up, or down and due for a
 * retry that got as far as a working connection (reopened when needed).
 * 0 while down: come back at h->retry_at.
 */
int health_ok(struct health *h);
/* A write went through: an outage is over (logged once). */
void health_succeeded(struct health *h);
/* The loop ends: it no longer counts as down on the board. */
void health_release(struct health *h);

#endif
