/*
 * intake: drain one IMAP mailbox into the pipeline.
 *
 * The messages above the mailbox cursor go in chunks (at most
 * INTAKE_CHUNK_MESSAGES and INTAKE_CHUNK_BYTES by their RFC822.SIZE),
 * through a pipeline of four threads: this one fetches a chunk with one
 * UID FETCH; the reader reads (parses, classifies) it; the writer
 * applies each message under a savepoint of its own in one transaction
 * that also records its fate, the cursor and a "server action pending"
 * mark, and commits it lazily (store_begin_lazy: the commit does not
 * wait for the disk); the flusher syncs the store's log (store_flush),
 * while the writer goes on with the next chunk.  Only then are the
 * chunk's fate lines logged, the sender woken and one STORE (or MOVE, or
 * EXPUNGE) sent for the whole chunk; the marks are cleared in a later
 * commit.  Durable before flagged, as with a synced commit: a crash
 * before the flush loses the chunk's fates and nothing was flagged (the
 * mail is taken again); a crash between flush and action leaves the
 * marks, which the next round applies.  No message is ever ingested
 * twice.
 * Connection problems are logged and retried with backoff; one failing
 * mailbox never stops the others.
 *
 * Every message ends with one recorded fate:
 *   - over IMAP_MAX_LITERAL (by RFC822.SIZE, or by the literal the server
 *     actually sends, which the read hook bounds): its header section is
 *     fetched alone and it gets fate too_large, with those bytes;
 *   - too_large, unparseable and failed go to the quarantine folder (the
 *     move is pending in the store like any other action);
 *   - a message that fails for a reason of its own (not the store, not
 *     the network) has its savepoint rolled back (the chunk goes on), is
 *     counted per mailbox and UID and retried the next rounds, the
 *     mailbox moving on meanwhile; after INTAKE_MAX_ATTEMPTS it gets fate
 *     failed.
 * When the store fails (health.h), intake and flagging stop at once: no
 * message is flagged on the server without a durable fate in the store
 * that is at the configured path.
 */
#ifndef TICKETD_INTAKE_H
#define TICKETD_INTAKE_H

#include <stdatomic.h>
#include <time.h>

#include "conn.h"
#include "health.h"

struct conf_mailbox;
struct imap;
struct job_thread;
struct ingest;
struct oauth;

#define INTAKE_CHUNK_MESSAGES 256      /* messages fetched and committed together */
#define INTAKE_CHUNK_BYTES (2 * 1024 * 1024) /* their RFC822.SIZE at most (a bigger one alone) */
#define INTAKE_LIST_WINDOW 4096        /* UIDs listed per round: libetpan holds ~300 bytes each */
#define INTAKE_BACKOFF_MAX 300         /* seconds between reconnect attempts */
#define INTAKE_MAX_ATTEMPTS 3          /* rounds a failing message gets before fate failed */

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
	struct health health;
	char who[96];                  /* "mailbox:NAME" for the store's log lines */
	struct job_thread *reader;   /* reads a chunk's messages while the one before commits */
	struct job_thread *writer;   /* commits a chunk while this thread fetches and flags */
	struct job_thread *flusher;  /* syncs a chunk's commits while the next one commits */
	void (*committed)(void *arg); /* called after each commit of fates (NULL: none) */
	void *committed_arg;
	unsigned int single_until;   /* a chunk's literal was over the limit: the UIDs up to
				       this one are fetched one by one, to find which */
	int more;                    /* the last round left mail on the server: intake_more */
	int repeat;                  /* this round was asked for by the last one's more */
};

/*
 * stop: the flag that ends the round (between messages); stop_fd (or -1):
 * a descriptor that becomes readable when stop is set, so that a blocked
 * network wait ends at once too.
 */
void intake_init(struct intake *it, const struct conf_mailbox *mb, struct ingest *in,
		 const atomic_int *stop, int stop_fd);
/* Share the process's store outage log (health.h); board may be NULL. */
void intake_set_board(struct intake *it, struct health_board *board);
void intake_release(struct intake *it);

/* fn(arg) is called after each commit of fates: the daemon wakes its sender. */
void intake_on_commit(struct intake *it, void (*fn)(void *), void *arg);

/*
 * One round.  Returns the number of messages whose fate was committed,
 * -1 when the mailbox is unreachable (logged; retried after a backoff).
 * *tempfail_r is set when something must be tried again soon: a message
 * not fetched or not committed, the store down, the connection lost.
 */
int intake_poll(struct intake *it, int *tempfail_r);

/*
 * The last round did not take all there is: it listed one window of UIDs
 * (INTAKE_LIST_WINDOW) and more wait above it, or the server announced
 * mail (EXISTS) after the listing went out, in the answer to a later
 * command of the round; IDLE will not announce that mail again.  Poll
 * again before idling.
 */
int intake_more(const struct intake *it);

/* Enter IDLE: the fd to poll, or -1 (no IDLE or not connected). */
int intake_idle_start(struct intake *it, int *ready_r);
void intake_idle_done(struct intake *it);

#endif
