/*
 * decide: what becomes of an inbound message, and why (SPEC section 5).
 * Reads the store, writes nothing: `ticketctl explain` shows it, apply
 * carries it out.
 */
#ifndef TICKETD_DECIDE_H
#define TICKETD_DECIDE_H

#include "ingest.h"

struct mail;

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
	/* what apply kept (for the fate line) */
	int attachments;            /* files recorded with the ticket's event */
	int dropped;                /* of them, over a limit: recorded without their bytes */
};

void decision_release(struct decision *d);

/*
 * Decide without changing anything: the rules of SPEC section 5 in
 * order (size and parse, duplicate, loop, robots, reply token, thread
 * headers, subject number, then who may open a ticket).  -1 on a store
 * error (*error_r, caller frees).
 */
int decide_message(struct ingest *in, const struct mail *m, const struct ingest_source *src,
		   struct decision *d, char **error_r);

#endif
