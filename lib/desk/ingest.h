/*
 * ingest: one inbound message from parse to committed fate.
 *
 *   mail_read (parse, classify, reply, language) → decide (read-only)
 *   → apply (message, ticket, events, outbox, mailbox cursor) → commit
 *   → fate line
 *
 * ingest_message() does it all for one message in its own transaction
 * (`ticketctl deliver`).  IMAP intake commits a chunk of messages in one
 * transaction: ingest_read() each (pure: another thread may do it),
 * ingest_apply() each under a savepoint of its own, commit, then
 * ingest_log() each fate line.  `ticketctl explain` runs the same
 * decision (decide.h) without applying it.
 */
#ifndef TICKETD_INGEST_H
#define TICKETD_INGEST_H

#include <stddef.h>
#include <time.h>

#include "notify.h"
#include "token.h"
#include "xmalloc.h"

struct conf;
struct mail;
struct sla;
struct store;

struct ingest {
	const struct conf *conf;
	struct store *st;
	struct token_key key;
	struct sla *sla;            /* the SLA clock (owned; notify.sla points to it) */
	struct notify notify;
};

int ingest_init(struct ingest *in, const struct conf *conf, struct store *st, char **error_r);
void ingest_release(struct ingest *in);

struct ingest_source {
	const char *mailbox;        /* intake mailbox name, or "deliver" */
	unsigned int uidvalidity;   /* 0 when not from IMAP */
	unsigned int uid;
	const char *region;         /* the mailbox's defaults, NULL: none */
	const char *language;
	int headers_only;           /* raw is only the header section: the message was over
				       the IMAP literal limit (fate too_large) */
	size_t claimed_size;        /* with headers_only: its size, as the server said */
	int cursor_later;           /* the caller moves the mailbox cursor itself (intake: once
				       per chunk), not ingest_apply with each message */
	int no_failures;            /* the mailbox has no failed message on record: nothing to
				       forget when a message gets its fate */
};

enum ingest_status {
	INGEST_OK = 0,              /* fate committed (ingest_apply: applied, to be committed) */
	INGEST_TEMPFAIL = -1,       /* the store failed (a fault, store.h): nothing of it stays;
				       retry later, flag nothing meanwhile */
	INGEST_FAILED = -2,         /* the message failed for a reason of its own (not the
				       store): nothing of it stays (ingest_apply: its savepoint
				       is rolled back); res->error says why */
};

/* res.fate when another process ingested this UID first (no fate of ours, nothing to do). */
#define INGEST_ALREADY "already_ingested"

struct ingest_result {
	char fate[32];
	char rule[32];
	long long ticket;
	char *line;                 /* the fate line (key=value text); caller frees */
	char *error;                /* INGEST_FAILED, INGEST_TEMPFAIL: why; caller frees */
};

/* Release what a result holds. */
void ingest_result_release(struct ingest_result *res);

/*
 * Parse, decide, apply and commit one message in a transaction of its
 * own: its fate, the ticket changes, any outgoing mail, the mailbox
 * cursor and the server action still to do (STORE_IMAP_QUARANTINE for
 * too_large, unparseable and failed); then its fate line.
 */
enum ingest_status ingest_message(struct ingest *in, const char *raw, size_t len,
				  const struct ingest_source *src, struct ingest_result *res);

/*
 * The fate failed for a message that failed for a reason of its own
 * attempts times (error: the last reason): stored with its raw bytes,
 * logged as an error, the quarantine move pending, in a transaction of
 * its own.  INGEST_OK or INGEST_TEMPFAIL (the store failed).
 */
enum ingest_status ingest_failed(struct ingest *in, const char *raw, size_t len,
				 const struct ingest_source *src, const char *error, int attempts,
				 struct ingest_result *res);

/* 1 for the fates whose message goes to the quarantine folder. */
int ingest_fate_quarantined(const char *fate);

/*
 * Read raw as ingest does (mail_read with the configured limits).  Reads
 * only the configuration: threads may read messages for one ingest at
 * once.  Release with mail_release().
 */
void ingest_read(const struct ingest *in, const char *raw, size_t len, struct mail *mail_r);

/*
 * Decide and apply mail (read from raw) inside the caller's transaction,
 * under a savepoint of its own, at now: INGEST_OK when applied (res has
 * the fate and its line: log it with ingest_log() once the transaction
 * is committed), INGEST_FAILED when this message failed alone (its
 * savepoint is rolled back, the transaction goes on), INGEST_TEMPFAIL
 * when the store failed (the caller rolls the transaction back).  Both
 * failures are logged here.
 */
enum ingest_status ingest_apply(struct ingest *in, const struct mail *mail, const char *raw,
				size_t len, const struct ingest_source *src, time_t now,
				struct ingest_result *res);

/* The fate line of a committed message. */
void ingest_log(const struct ingest_result *res);

#endif
