/*
 * notify: turn a ticket and a template into an outgoing mail in the outbox.
 *
 * The caller holds the store transaction that also writes the event, so
 * the mail and its cause commit together (SPEC section 7).
 */
#ifndef TICKETD_NOTIFY_H
#define TICKETD_NOTIFY_H

#include <stddef.h>

#include "compose.h"
#include "tmpl.h"

struct conf;
struct sla;
struct store;
struct ticket;
struct token_key;

struct notify {
	const struct conf *conf;
	struct store *st;
	const struct token_key *key;
	const struct sla *sla;       /* for {{due}} and the weekend phone; NULL: none */
	const struct tmpl_set *tmpls; /* templates loaded at start (the daemon); NULL: read
					 each file when a mail is rendered (one-shot commands) */
};

struct notify_mail {
	const char *tmpl;            /* template name: autoresponse, comment, … */
	const char *rcpt;            /* address */
	const char *rcpt_name;       /* display name or NULL */
	const char *lang;            /* NULL: the ticket's */
	const char *in_reply_to;     /* NULL: the ticket's latest message */
	const char *auto_submitted;  /* "auto-replied" or "auto-generated" */
	const struct tmpl_var *vars; /* extra variables (override the ticket's) */
	size_t n_vars;
	long long ticket_number;     /* 0 for mail about no ticket (refusals) */
	const char *subject;         /* subject variable when there is no ticket */
	int staff;                   /* to support staff (SLA alerts): no reply token, and an
					agent's reply to it is an internal note (notify_is_staff_id) */
	const struct compose_file *files;  /* attachments the mail carries */
	size_t n_files;
	int new_ticket;              /* the ticket was created with this mail: none of its
					mail is stored yet, its thread is in_reply_to alone */
};

enum notify_result {
	NOTIFY_QUEUED = 0,
	NOTIFY_SKIPPED = 1,          /* undeliverable or invalid address: logged */
	NOTIFY_ERROR = -1,           /* store or template error: *error_r */
};

/*
 * Render, compose and queue one mail.  t may be NULL for mail about no
 * ticket.  *why_r (static) says why a mail was skipped.
 */
enum notify_result notify_queue(struct notify *n, const struct ticket *t,
				const struct notify_mail *m, const char **why_r,
				char **error_r);

/* 1 when msgid (without <>) names a staff mail of ours (see notify_mail.staff). */
int notify_is_staff_id(const struct conf *conf, const char *msgid);

/* Bytes a ticket name ("SUP-12") needs, with room for any ticket_prefix conf accepts. */
#define NOTIFY_TICKET_NAME_MAX 64

/* "SUP-12" into out (at most outlen bytes, NOTIFY_TICKET_NAME_MAX is enough). */
void notify_ticket_name(const struct conf *conf, long long number, char *out, size_t outlen);

/* Load and check every template once (tmpl_set_load); the number of problems. */
int notify_load_templates(const struct conf *conf, struct tmpl_set **set_r, struct buf *errors);

#endif
