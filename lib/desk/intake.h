/*
 * intake: drain one IMAP mailbox into the pipeline.
 *
 * The messages above the mailbox cursor go in chunks (at most
 * INTAKE_CHUNK_MESSAGES and INTAKE_CHUNK_BYTES by their RFC822.SIZE):
 * one UID FETCH brings the chunk; each message is read and applied under
 * a savepoint of its own in one transaction that also records its fate,
 * the cursor and a "server action pending" mark; the commit is durable
 * (store.h); then one STORE (or MOVE, or EXPUNGE) applies the
 * after-action to the whole chunk and the marks are cleared.  A crash
 * between commit and action leaves the marks: the next round applies
 * them, and no message is ever ingested twice.  A message that fails
 * has its savepoint rolled back: the ones before it in the chunk are
 * kept, it and the rest wait for the next round.  Connection problems
 * are logged and retried with backoff; one failing mailbox never stops
 * the others.
 */
#ifndef TICKETD_INTAKE_H
#define TICKETD_INTAKE_H

#include <stdatomic.h>
#include <time.h>

#include "conn.h"

struct conf_mailbox;
struct imap;
struct job_thread;
struct ingest;
struct oauth;

#define INTAKE_CHUNK_MESSAGES 256      /* messages fetched and committed together */
#define INTAKE_CHUNK_BYTES (2 * 1024 * 1024) /* their RFC822.SIZE at most (a bigger one alone) */
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
	struct job_thread *reader;   /* reads a chunk's messages while the one before commits */
	void (*committed)(void *arg); /* called after each commit of fates (NULL: none) */
	void *committed_arg;
};

/*
 * stop: the flag that ends the round (between messages); stop_fd (or -1):
 * a descriptor that becomes readable when stop is set, so that a blocked
 * network wait ends at once too.
 */
void intake_init(struct intake *it, const struct conf_mailbox *mb, struct ingest *in,
		 const atomic_int *stop, int stop_fd);
void intake_release(struct intake *it);

/* fn(arg) is called after each commit of fates: the daemon wakes its sender. */
void intake_on_commit(struct intake *it, void (*fn)(void *), void *arg);

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
