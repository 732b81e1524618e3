/*
 * actions: what support does to a ticket (SPEC section 6): comment,
 * status, share/unshare, severity, priority, assign, escalate.
 *
 * Each action writes its event, the ticket change and every notification
 * it causes in ONE store transaction, so a mail is queued exactly when its
 * cause is committed (SPEC section 7).  With caller_tx set the caller
 * (ingest) already holds the transaction: nothing is begun, committed or
 * rolled back here, and the caller commits or rolls back everything.
 * Checks come before any write, so a refused action writes nothing.
 *
 * Who is told:
 *   - a public comment: the requester and everyone the ticket is shared
 *     with, except the comment's author (a customer's own comment is never
 *     echoed back); an internal note: nobody;
 *   - a status change: the requester and everyone it is shared with;
 *   - share: the new participant (template "shared");
 *   - unshare, severity, priority, assign: nobody (events only).
 * Each recipient gets the mail in their own language (the contact's
 * preference, else the ticket's).  An undeliverable or invalid address is
 * skipped and logged with the reason; the action still succeeds.
 *
 * actor / author is an address (an agent's, a customer's); NULL means the
 * support desk itself (the event records the support address).
 */
#ifndef TICKETD_ACTIONS_H
#define TICKETD_ACTIONS_H

#include <time.h>

struct attach_set;
struct notify;
struct sla;
struct store;
struct ticket;

struct actions {
	struct notify *notify;  /* conf, store and token key (not owned) */
	const struct sla *sla;  /* the SLA calendars (not owned); NULL: due times stay */
	int caller_tx;          /* 1: the caller holds the store transaction */
};

/* What an action did. */
enum action_rc {
	ACTION_DONE = 0,        /* applied (committed unless caller_tx) */
	ACTION_UNCHANGED = 1,   /* already so (same status, already shared …): nothing written */
	ACTION_REFUSED = 2,     /* not allowed or not found: *error_r says why; nothing written */
	ACTION_ERROR = -1,      /* store or template error: *error_r; nothing written
				   (store_error_is_temporary() tells whether to retry) */
};

struct action_report {
	int queued;             /* notifications put in the outbox */
	int skipped;            /* recipients skipped (undeliverable, invalid address): logged */
	char detail[96];        /* what changed, for people: "open -> pending" */
	int level;              /* escalate: the ticket's escalation level afterwards */
	long long event;        /* comment: the event written */
	int attachments;        /* comment: files recorded (dropped ones included) */
	int dropped;            /* comment: files over a limit, recorded without their bytes */
};

void actions_init(struct actions *a, struct notify *n, const struct sla *sla, int caller_tx);

/*
 * The first response on t at `at` (an agent's public comment): stops the
 * SLA clock when it is the first one, written to the store at once (in
 * the caller's transaction) and set in t.  1 when it was the first
 * response, 0 when there was one already, -1 on a store error.
 */
int action_first_response(struct store *st, struct ticket *t, time_t at);

/*
 * Add a comment by author (an address).  internal: an internal note.  The
 * first public comment by a registered agent (or by the desk, author NULL)
 * is the ticket's first response: it stops the SLA clock
 * (action_first_response) and moves a "new" ticket to "open".
 *
 * files (NULL: none) are checked against the limits (attach_check),
 * recorded with the comment's event, and carried by its notifications
 * (attach_outgoing: the forwarded roles, within max_outgoing_attachments;
 * the rest are named in the mail).  With files->strict a file over a
 * limit refuses the whole comment (ticketctl); else it is recorded as
 * dropped (rep->dropped).  A comment may be empty when it has files.
 */
enum action_rc action_comment(struct actions *a, long long ticket, const char *author,
			      const char *text, int internal, struct attach_set *files,
			      struct action_report *rep, char **error_r);

/*
 * "An agent replied by email": action_comment by agent, refused unless
 * agent is a registered agent.  For ingest, with caller_tx set.
 */
enum action_rc action_agent_reply(struct actions *a, long long ticket, const char *agent,
				  const char *text, int internal, struct attach_set *files,
				  struct action_report *rep, char **error_r);

/* status: open, pending, resolved or closed (action_status_valid). */
enum action_rc action_status(struct actions *a, long long ticket, const char *status,
			     const char *actor, struct action_report *rep, char **error_r);
int action_status_valid(const char *status);

/* Share with a registered contact (only those, as the handbook says). */
enum action_rc action_share(struct actions *a, long long ticket, const char *email,
			    const char *actor, struct action_report *rep, char **error_r);
enum action_rc action_unshare(struct actions *a, long long ticket, const char *email,
			      const char *actor, struct action_report *rep, char **error_r);

/* value 1-4.  A severity change recomputes the SLA due time (sla_recompute). */
enum action_rc action_severity(struct actions *a, long long ticket, int value,
			       const char *actor, struct action_report *rep, char **error_r);
enum action_rc action_priority(struct actions *a, long long ticket, int value,
			       const char *actor, struct action_report *rep, char **error_r);

/* agent: a registered agent's address. */
enum action_rc action_assign(struct actions *a, long long ticket, const char *agent,
			     const char *actor, struct action_report *rep, char **error_r);

/*
 * One escalation level up (escalate_ticket: event, the region's contact
 * and the customer are mailed).  A closed ticket is refused;
 * ACTION_UNCHANGED when it is already at the top level.  a->sla must be
 * set.  rep->level gets the ticket's level afterwards.
 */
enum action_rc action_escalate(struct actions *a, long long ticket, const char *actor,
			       struct action_report *rep, char **error_r);

#endif
