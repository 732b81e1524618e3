/*
 * store: every piece of state ticketd keeps, in SQLite (WAL, foreign keys,
 * a versioned schema with migrations).  No SQL lives outside lib/store:
 * one store_<entity>.c per entity holds its SQL, run by a backend behind
 * a table of functions (store_impl.h; store_sqlite.c is the only one),
 * so another database can replace SQLite behind this interface.
 *
 * Functions return 0 on success and -1 on a database error (the text is in
 * store_error()).  Lookups return 1 when found, 0 when not, -1 on error.
 * Strings in returned structs are owned by the struct: release them with
 * the matching *_release / *_free function.
 */
#ifndef TICKETD_STORE_H
#define TICKETD_STORE_H

#include <stddef.h>
#include <time.h>

struct store;

#define STORE_SCHEMA_VERSION 6

#define STORE_LOCK_TIMEOUT_MS 10000   /* default wait for another writer's lock */

/*
 * What went wrong with the store itself, as opposed to a statement that
 * failed for its data (a constraint, a value too big: STORE_FAULT_NONE).
 * A fault is the environment's: the mail in hand is not to blame, nothing
 * may be flagged on a server meanwhile, and a retry may succeed once the
 * fault clears.
 */
enum store_fault {
	STORE_FAULT_NONE = 0,
	STORE_FAULT_LOCKED,      /* another process holds the write lock past the lock wait */
	STORE_FAULT_FULL,        /* no space left on the device (or quota) */
	STORE_FAULT_READONLY,    /* the file or its file system cannot be written */
	STORE_FAULT_IO,          /* any other I/O error */
	STORE_FAULT_GONE,        /* the file at the path was deleted or replaced */
	STORE_FAULT_CORRUPT,     /* not a database, or a damaged one */
};

struct store_options {
	int lock_timeout_ms;     /* 0: STORE_LOCK_TIMEOUT_MS */
	int must_exist;          /* 1: never create the file (reopening after a fault) */
};

/*
 * Open the store at path, creating it (0600, in folders created 0700,
 * whatever the umask; its -wal and -shm files get the same mode) when it
 * does not exist, unless o->must_exist (o may be NULL for the defaults).
 * -1 with *error_r (caller frees) and *fault_r (when not NULL).
 */
int store_open(const char *path, struct store **st_r, char **error_r);
int store_open_with(const char *path, const struct store_options *o, struct store **st_r,
		    enum store_fault *fault_r, char **error_r);
void store_close(struct store **st);
const char *store_error(struct store *st);
/* 1 when the last error was a fault (worth retrying later). */
int store_error_is_temporary(struct store *st);
/* The fault of the last error (STORE_FAULT_NONE: none, or the data's own). */
enum store_fault store_fault(struct store *st);
/* "locked", "disk full", "read-only", "I/O error", "gone" (deleted or replaced), "corrupt"; "" for none. */
const char *store_fault_name(enum store_fault f);

/*
 * Is the store still the one we opened, and usable?  The file at the
 * path must be the file we have open (same device and inode: a deleted
 * or replaced store keeps answering from the old file), writable, and
 * answer a read.  0, or -1 with the fault and store_error() set.  Cheap
 * (a stat and a PRAGMA): run it before anything irrevocable happens
 * outside the store on the strength of what it holds (a flag on the
 * IMAP server, a mail submitted).
 */
int store_check(struct store *st);
/*
 * Close and open the same path again (never creating it), keeping st
 * itself valid for everyone who holds it.  0, or -1 with the fault and
 * store_error() set (st then has no connection until the next reopen).
 */
int store_reopen(struct store *st);

/*
 * Transactions (BEGIN IMMEDIATE).  Nested calls are not allowed.  A
 * commit is durable when store_commit() returns: the SQLite backend
 * runs WAL with synchronous = FULL, so the log is synced at every
 * commit and a power cut afterwards loses nothing of it.  That is what
 * lets a fate act on the server right after its commit (but see
 * store_begin_lazy).
 */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);
/* 1 inside a transaction. */
int store_in_transaction(struct store *st);

/*
 * A lazy transaction, for intake's chunks: store_begin_lazy() begins a
 * transaction whose store_commit() returns without waiting for the disk.
 * It is visible at once and atomic (a crash keeps all of it or none),
 * and durable after a store_flush() that began after the commit
 * returned, or after any durable commit to the store since (each
 * durable commit syncs the log, everything before it included).  Until
 * then nothing that others see outside the store may act on it: no
 * IMAP flag, no mail, no log line.
 *
 * store_flush_fd(): a new descriptor (caller closes) that store_flush()
 * syncs; store_flush() touches nothing else, so another thread may run
 * it while st goes on (intake syncs one chunk while it applies the
 * next).  It returns 0 or an errno; store_flush_failed() then records
 * the fault in st (in st's thread).
 */
int store_begin_lazy(struct store *st);
int store_flush_fd(struct store *st);
int store_flush(int fd);
void store_flush_failed(struct store *st, int err);
/* The three in a row, in st's thread: 0 synced, -1 the fault recorded in st. */
int store_sync(struct store *st);

/*
 * One savepoint inside a transaction (not nested): what happens after
 * store_savepoint() is kept by store_savepoint_release() or undone by
 * store_savepoint_rollback(), and the transaction goes on either way.
 * Intake commits a chunk of messages in one transaction with a savepoint
 * per message, so that one message's failure undoes that message only.
 */
int store_savepoint(struct store *st);
int store_savepoint_release(struct store *st);
int store_savepoint_rollback(struct store *st);

/* Small key/value settings (e.g. the reply token key). */
int store_meta_get(struct store *st, const char *key, char **value_r);
int store_meta_set(struct store *st, const char *key, const char *value);
/* Set key only when it has no value yet (the first writer wins). */
int store_meta_add(struct store *st, const char *key, const char *value);

/* ---- tickets ---- */

struct ticket {
	long long number;        /* SUP-<number>; never reused */
	char *subject;
	char *requester;         /* address */
	char *requester_name;
	long long org_id;        /* 0: none */
	char *region;
	char *language;
	int severity;
	int priority;
	char *status;            /* new, open, pending, resolved, closed */
	int level;               /* escalation 0 Analyst … 4 VP */
	char *assignee;          /* agent address or NULL */
	time_t created_at;
	time_t updated_at;
	time_t first_response_at; /* 0: none yet */
	time_t due_at;            /* 0: no SLA */
	int sla_warned;
	int sla_breached;
	long long previous;       /* ticket this one continues, 0: none */
};

void ticket_release(struct ticket *t);
/* Insert t (number ignored) and set t->number. */
int store_ticket_create(struct store *st, struct ticket *t);
int store_ticket_get(struct store *st, long long number, struct ticket *t_r);
/* Write the mutable fields of t back. */
int store_ticket_update(struct store *st, const struct ticket *t);
/* Tickets filtered by status and region (NULL: any), newest first. */
int store_ticket_list(struct store *st, const char *status, const char *region,
		      struct ticket **list_r, size_t *n_r);
void ticket_list_free(struct ticket **list, size_t n);

/* ---- messages (inbound and outbound, raw bytes kept) ---- */

struct store_message {
	long long id;
	long long ticket;         /* 0: none */
	const char *direction;    /* "in" or "out" */
	const char *message_id;   /* without <> */
	const char *sha256;         /* of the raw bytes */
	const char *content_sha256; /* of what the sender wrote (inbound; NULL for outbound) */
	const char *mailbox;      /* intake mailbox name, "deliver" for the MTA pipe */
	unsigned int uidvalidity;
	unsigned int uid;
	int imap_pending;         /* the server-side action still to do: 0 none,
				     STORE_IMAP_AFTER or STORE_IMAP_QUARANTINE */
	const char *fate;
	const char *rule;
	const char *sender;
	const char *subject;
	time_t at;
	const char *raw;
	size_t raw_len;
};

int store_message_add(struct store *st, const struct store_message *m, long long *id_r);
/*
 * 1 when a message with this Message-ID and content hash was already
 * ingested (a row stored before content hashes matches by its raw hash);
 * without a Message-ID the hash alone decides.
 */
int store_message_is_duplicate(struct store *st, const char *message_id, const char *sha256,
			       const char *content_sha256, long long *ticket_r);
/* 1 with the ticket of a stored message with this Message-ID. */
int store_message_ticket(struct store *st, const char *message_id, long long *ticket_r);
/* 1 when a message with this Message-ID went out from us (our own mail). */
int store_message_is_outbound(struct store *st, const char *message_id);
/* 1 when (mailbox, uidvalidity, uid) was already ingested. */
int store_message_has_uid(struct store *st, const char *mailbox, unsigned int uidvalidity,
			  unsigned int uid);
#define STORE_IMAP_AFTER 1        /* the mailbox's after-action (\Seen, move, delete) */
#define STORE_IMAP_QUARANTINE 2   /* the move to the quarantine folder */

/* UIDs whose server-side action (one of the two above) is still pending, ascending. */
int store_imap_pending(struct store *st, const char *mailbox, unsigned int uidvalidity,
		       int action, unsigned int **uids_r, size_t *n_r);
/* Mark the server-side action done for these UIDs (ascending: runs of
 * consecutive UIDs take one statement each), in one transaction. */
int store_imap_done(struct store *st, const char *mailbox, unsigned int uidvalidity,
		    const unsigned int *uids, size_t n);
/*
 * Message-IDs of a ticket's messages for References: the first and the
 * latest max - 1, oldest first.  Reads at most max rows however long the
 * thread.
 */
int store_ticket_message_ids(struct store *st, long long ticket, size_t max, char ***ids_r,
			     size_t *n_r);

/* Set the ticket of message id (ingest stores a message before applying it). */
int store_message_set_ticket(struct store *st, long long id, long long ticket);

/* ---- attachments: bytes kept once per SHA-256, in the store ---- */

struct attachment {
	long long number;        /* its number on the ticket: 1, 2, … */
	long long ticket;
	long long event;         /* the event it came with, 0: none */
	long long message;       /* the inbound message it came with, 0: none (ticketctl) */
	char *filename;          /* safe to show and to save as (filename_safe) */
	char *sent_name;         /* the name as the mail gave it, when that differs; NULL */
	char *content_type;
	long long size;
	char *sha256;            /* hex of the bytes */
	char *dropped;           /* NULL: the bytes are kept; else why they are not */
	char *role;              /* "file"; "inline": an image the mail's HTML shows (cid:);
				    "history": already on the ticket when an agent's reply
				    carried it again */
	time_t at;
};

/*
 * Keep data (size bytes whose SHA-256 is sha256) unless the store has
 * those bytes already.
 */
int store_blob_put(struct store *st, const char *sha256, const void *data, size_t size);
/* 1 with a copy of the bytes (caller frees; NUL-terminated), 0 when absent. */
int store_blob_get(struct store *st, const char *sha256, char **data_r, size_t *size_r);
/*
 * Record a (number ignored: the ticket's next one is set in a->number).
 * A kept one (dropped NULL) needs its blob first (store_blob_put).
 */
int store_attachment_add(struct store *st, struct attachment *a);
/* A ticket's attachments in order of their numbers. */
int store_attachment_list(struct store *st, long long ticket, struct attachment **list_r,
			  size_t *n_r);
int store_attachment_get(struct store *st, long long ticket, long long number,
			 struct attachment *a_r);
/* Bytes the ticket's kept attachments take, each distinct SHA-256 counted once. */
int store_attachment_usage(struct store *st, long long ticket, long long *bytes_r);
/* 1 when the ticket keeps an attachment with these bytes. */
int store_attachment_has(struct store *st, long long ticket, const char *sha256);
void attachment_release(struct attachment *a);
void attachment_list_free(struct attachment **list, size_t n);

/* ---- messages that failed for a reason of their own (intake) ---- */

/*
 * Count one more failed attempt at (mailbox, uidvalidity, uid) with its
 * error; *attempts_r gets the count so far.
 */
int store_intake_failure_add(struct store *st, const char *mailbox, unsigned int uidvalidity,
			     unsigned int uid, const char *error, time_t at, int *attempts_r);
/* Forget the failures of a message (it now has a fate). */
int store_intake_failure_clear(struct store *st, const char *mailbox, unsigned int uidvalidity,
			       unsigned int uid);
/* 1 with the count and the last error (caller frees) of a message's failures, 0 when none. */
int store_intake_failure_get(struct store *st, const char *mailbox, unsigned int uidvalidity,
			     unsigned int uid, int *attempts_r, char **error_r);
/* The lowest UID with failures on record (0: none), so that intake lists from there again. */
int store_intake_failure_min(struct store *st, const char *mailbox, unsigned int uidvalidity,
			     unsigned int *uid_r);

/* ---- events ---- */

struct event {
	long long id;
	long long ticket;
	time_t at;
	char *type;     /* created, comment, status, shared, unshared, severity, priority,
			   escalated, assigned, sla_warning, sla_breach, bounce, auto_reply,
			   rejected_stranger, mail_failed, … */
	char *actor;    /* address or "system" */
	int public;     /* 0: internal */
	char *body;
	char *data;     /* small detail, e.g. "open->pending" */
};

int store_event_add(struct store *st, long long ticket, time_t at, const char *type,
		    const char *actor, int public, const char *body, const char *data,
		    long long *id_r);
int store_event_list(struct store *st, long long ticket, struct event **list_r, size_t *n_r);
void event_list_free(struct event **list, size_t n);

/* ---- participants (the people a ticket is shared with) ---- */

int store_participant_add(struct store *st, long long ticket, const char *email, time_t at);
int store_participant_remove(struct store *st, long long ticket, const char *email);
int store_participant_list(struct store *st, long long ticket, char ***emails_r, size_t *n_r);
int store_participant_has(struct store *st, long long ticket, const char *email);

/* ---- outbox ---- */

struct outbox_row {
	long long id;
	long long ticket;
	char *kind;
	char *mail_from;
	char *rcpt;
	char *message_id;
	char *raw;
	size_t raw_len;
	char *status;      /* queued, sending (queued and claimed), sent, failed */
	int attempts;
	time_t next_attempt_at;
	time_t created_at;
	time_t sent_at;
	char *last_error;
	char *claimed_by;  /* the sending process (proc.h identity) while in flight, or NULL */
	time_t claimed_at;
	int doubt;         /* attempts whose outcome is unknown: 1 = sent again, maybe twice */
};

/*
 * Queue raw (a full message) to rcpt; also stores it as an outbound
 * message of the ticket so replies thread by its Message-ID.
 */
int store_outbox_add(struct store *st, long long ticket, const char *kind,
		     const char *mail_from, const char *rcpt, const char *message_id,
		     const char *raw, size_t raw_len, time_t at, long long *id_r);
/* The addresses mail about ticket went to (each once, any status), at most max. */
int store_outbox_recipients(struct store *st, long long ticket, size_t max, char ***rcpts_r,
			    size_t *n_r);
/* Queued unclaimed rows due at now, oldest first, at most limit. */
int store_outbox_due(struct store *st, time_t now, size_t limit,
		     struct outbox_row **rows_r, size_t *n_r);
/* All rows (failed only when failed_only), newest first, at most limit. */
int store_outbox_list(struct store *st, int failed_only, size_t limit,
		      struct outbox_row **rows_r, size_t *n_r);
int store_outbox_get(struct store *st, long long id, struct outbox_row *row_r);
/* The earliest next_attempt_at among queued unclaimed rows; 0 when none. */
int store_outbox_next_due(struct store *st, time_t *at_r);

/*
 * The sending protocol (outbox.h).  Claim a queued row for owner before
 * its mail goes out: 1 claimed, 0 not (gone, sent, or someone else's).
 * The result then releases the claim; each takes the row's id and its
 * message's Message-ID, so a result recorded late (after the store came
 * back) never lands on another row: 1 recorded, 0 no such row here.
 */
int store_outbox_claim(struct store *st, long long id, const char *owner, time_t at);
int store_outbox_sent(struct store *st, long long id, const char *message_id, int attempts,
		      time_t at);
int store_outbox_retry_later(struct store *st, long long id, const char *message_id,
			     int attempts, time_t next_at, const char *error, int doubt);
int store_outbox_failed(struct store *st, long long id, const char *message_id, int attempts,
			const char *error, int doubt);
/* Rows claimed by anyone (in flight, or left so by a process that died). */
int store_outbox_claimed(struct store *st, struct outbox_row **rows_r, size_t *n_r);
/* A row left claimed by a dead owner: queued again, due at now, doubt + 1.  1 done, 0 not. */
int store_outbox_unclaim(struct store *st, long long id, const char *owner, time_t now);
/* Put a failed row back in the queue, due now, with a fresh retry window. */
int store_outbox_requeue(struct store *st, long long id, time_t now);
void outbox_row_release(struct outbox_row *r);
void outbox_rows_free(struct outbox_row **rows, size_t n);

/* ---- mailbox cursors ---- */

int store_cursor_get(struct store *st, const char *mailbox, unsigned int *uidvalidity_r,
		     unsigned int *last_uid_r);
/* The cursor moves only up within a UIDVALIDITY; a new UIDVALIDITY replaces it. */
int store_cursor_set(struct store *st, const char *mailbox, unsigned int uidvalidity,
		     unsigned int last_uid);

/* ---- organisations, contacts, agents ---- */

struct org {
	long long id;
	char *name;
	char *plan;
	char *region;
	int auto_register;
	char **domains;
	size_t n_domains;
	time_t created_at;     /* set by the caller (clock_now()) on add */
};

struct contact {
	long long id;
	char *email;
	char *name;
	long long org_id;
	char *org_name;
	char *language;
	char *undeliverable;   /* why mail to it bounced, or NULL */
	time_t created_at;     /* set by the caller on add */
};

struct agent {
	long long id;
	char *email;
	char *name;
	int level;
	char *region;
	time_t created_at;     /* set by the caller on add */
};

int store_org_add(struct store *st, const struct org *o, long long *id_r);
int store_org_get(struct store *st, const char *name, struct org *o_r);
int store_org_get_id(struct store *st, long long id, struct org *o_r);
int store_org_by_domain(struct store *st, const char *domain, struct org *o_r);
int store_org_list(struct store *st, struct org **list_r, size_t *n_r);
int store_org_remove(struct store *st, const char *name);
int store_org_count_contacts(struct store *st, long long org_id, long long *n_r);
void org_release(struct org *o);
void org_list_free(struct org **list, size_t n);

int store_contact_add(struct store *st, const struct contact *c, long long *id_r);
int store_contact_get(struct store *st, const char *email, struct contact *c_r);
int store_contact_list(struct store *st, const char *org, struct contact **list_r, size_t *n_r);
int store_contact_remove(struct store *st, const char *email);
/* Mark any address (contact or not) undeliverable after a bounce. */
int store_contact_set_undeliverable(struct store *st, const char *email, const char *reason,
				    time_t at);
/* 1 with the reason (caller frees; reason_r may be NULL) when address bounced. */
int store_undeliverable_get(struct store *st, const char *address, char **reason_r);
int store_undeliverable_clear(struct store *st, const char *address);
void contact_release(struct contact *c);
void contact_list_free(struct contact **list, size_t n);

int store_agent_add(struct store *st, const struct agent *a, long long *id_r);
int store_agent_get(struct store *st, const char *email, struct agent *a_r);
int store_agent_list(struct store *st, struct agent **list_r, size_t *n_r);
int store_agent_remove(struct store *st, const char *email);
void agent_release(struct agent *a);
void agent_list_free(struct agent **list, size_t n);

/* ---- automatic-response accounting (per-sender rate limit) ---- */

int store_autoresp_count(struct store *st, const char *sender, time_t since, long long *n_r);
int store_autoresp_add(struct store *st, const char *sender, time_t at);

/* ---- SLA clock ---- */

/* Open tickets (new, open, pending) with a due time and no first response
 * yet, region NULL: any; the earliest due first. */
int store_ticket_list_sla(struct store *st, const char *region, struct ticket **list_r,
			  size_t *n_r);
/* The same in pages of at most limit, by ticket number after after_number (0: from the first). */
int store_ticket_list_sla_page(struct store *st, const char *region, long long after_number,
			       size_t limit, struct ticket **list_r, size_t *n_r);
/* Record the first response at `at` unless there is one: 1 set, 0 already set. */
int store_ticket_set_first_response(struct store *st, long long number, time_t at);

struct store_sla_counts {
	long long met;       /* first response on or before the due time */
	long long missed;    /* first response after it, or none: open and past due,
				or resolved/closed after the breach */
	long long running;   /* open, no first response, not yet due */
};

/* Tickets with a due time created since `since` (region NULL: any), at now. */
int store_sla_counts(struct store *st, const char *region, time_t since, time_t now,
		     struct store_sla_counts *c_r);

#endif
