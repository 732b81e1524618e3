/*
 * ingest: one inbound message from parse to committed fate.
 *
 *   mail_read (parse, classify, reply, language) → decide (read-only)
 *   → apply (one transaction: message, ticket, events, outbox, mailbox
 *   cursor) → fate line
 *
 * Used by IMAP intake and by `ticketctl deliver`; `ticketctl explain`
 * runs the same decision (decide.h) without applying it.
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

enum ingest_status {
	INGEST_OK = 0,              /* fate committed */
	INGEST_TEMPFAIL = -1,       /* nothing committed; retry later */
};

/* res.fate when another process ingested this UID first (no fate of ours, nothing to do). */
#define INGEST_ALREADY "already_ingested"

struct ingest_result {
	char fate[32];
	char rule[32];
	long long ticket;
	char *line;                 /* the fate line (key=value text); caller frees */
};

enum ingest_status ingest_message(struct ingest *in, const char *raw, size_t len,
				  const struct ingest_source *src, struct ingest_result *res);

#endif
