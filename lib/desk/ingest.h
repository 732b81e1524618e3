/*
 * ingest: one inbound message from parse to committed fate.
 *
 *   parse → classify → route (decide, read-only) → apply (one transaction:
 *   message, ticket, events, outbox, mailbox cursor) → fate line
 *
 * Used by IMAP intake and by `ticketctl deliver`; `ticketctl explain`
 * runs the same decision without applying it.
 */
#ifndef TICKETD_INGEST_H
#define TICKETD_INGEST_H

#include <stddef.h>

#include "notify.h"
#include "token.h"
#include "xmalloc.h"

struct conf;
struct sla;
struct store;
struct mime_msg;

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
};

/* What routing decided, and why (SPEC section 5). */
struct decision {
	const char *fate;           /* created, followup, duplicate, auto_reply, bounce, loop,
				       rejected_unregistered, rejected_stranger, too_large,
				       unparseable */
	const char *rule;           /* by=: duplicate, token, headers, subject, new, … */
	long long ticket;           /* the ticket it lands on (existing), 0: a new one */
	long long cited;            /* a ticket the sender may not write to, 0: none */
	int autorespond;            /* an automatic answer goes out */
	char *reason;               /* one sentence for people (caller frees) */
	int sender_is_agent;        /* From is a registered agent */
	int staff_thread;           /* answers a staff mail (SLA alert): agents write notes */
	long long missing;          /* a ticket number the subject names that does not exist */
	long long previous;         /* new ticket continuing this closed one */
	char *bounced;              /* bounce: the address that failed */
	/* fields for a new ticket */
	long long org_id;           /* the requester's organisation, 0: none */
	int auto_register;          /* register the requester in org_id first */
	char *requester;
	char *requester_name;
	char *region;
	char *language;
	int severity;
	int priority;
};

void decision_release(struct decision *d);

/* Decide without changing anything.  -1 on a store error (*error_r). */
int ingest_decide(struct ingest *in, const struct mime_msg *m, const struct ingest_source *src,
		  struct decision *d, char **error_r);

enum ingest_status {
	INGEST_OK = 0,              /* fate committed */
	INGEST_TEMPFAIL = -1,       /* nothing committed; retry later */
};

struct ingest_result {
	char fate[32];
	char rule[32];
	long long ticket;
	char *line;                 /* the fate line (key=value text); caller frees */
};

enum ingest_status ingest_message(struct ingest *in, const char *raw, size_t len,
				  const struct ingest_source *src, struct ingest_result *res);

#endif
