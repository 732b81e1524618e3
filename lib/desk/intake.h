/*
 * intake: drain one IMAP mailbox into the pipeline.
 *
 * For every message above the mailbox cursor: fetch, ingest (which
 * commits the fate, the cursor and a "server action pending" mark in one
 * transaction), then apply the after-action on the server and clear the
 * mark.  A crash between commit and action leaves the mark: the next
 * round applies it, and the message is never ingested twice.  Connection
 * problems are logged and retried with backoff; one failing mailbox never
 * stops the others.
 */
#ifndef TICKETD_INTAKE_H
#define TICKETD_INTAKE_H

#include <stdatomic.h>
#include <time.h>

#include "conn.h"

struct conf_mailbox;
struct imap;
struct ingest;
struct oauth;

#define INTAKE_APPLY_BATCH 50          /* server actions applied per batch */
#define INTAKE_BACKOFF_MAX 300         /* seconds between reconnect attempts */

struct intake {
	const struct conf_mailbox *mb;
	struct ingest *in;
	struct imap *imap;
	time_t retry_at;
	int failures;
	int idling;
	const atomic_int *stop;
	struct conn_stop conn_stop;  /* network waits end when stop_fd fires with *stop set */
	struct oauth *oauth;         /* the mailbox's OAuth2 tokens, NULL for a password */
};

/*
 * stop: the flag that ends the round (between messages); stop_fd (or -1):
 * a descriptor that becomes readable when stop is set, so that a blocked
 * network wait ends at once too.
 */
void intake_init(struct intake *it, const struct conf_mailbox *mb, struct ingest *in,
		 const atomic_int *stop, int stop_fd);
void intake_release(struct intake *it);

/*
 * One round.  Returns the number of messages whose fate was committed,
 * -1 when the mailbox is unreachable (logged; retried after a backoff).
 * *tempfail_r is set when a message could not be fetched or committed, or
 * the connection died during the round (retry later).
 */
int intake_poll(struct intake *it, int *tempfail_r);

/* Enter IDLE: the fd to poll, or -1 (no IDLE or not connected). */
int intake_idle_start(struct intake *it, int *ready_r);
void intake_idle_done(struct intake *it);

#endif
