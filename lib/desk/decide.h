/*
 * decide: what becomes of an inbound message, and why (SPEC section 5).
 * Reads the store, writes nothing: `ticketctl explain` shows it, apply
 * carries it out.
 */
#ifndef TICKETD_DECIDE_H
#define TICKETD_DECIDE_H

#include "authres.h"
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
	enum authres_verdict auth;  /* what our MTA says of the From (AUTHRES_OFF: not asked);
				       AUTHRES_FAIL: the sender is nobody (see decide_message) */
	char auth_why[96];          /* the results the verdict rests on */
	const char *token;          /* how a reply token found the ticket (static), NULL: none:
				       own, other, expired, removed, old */
	int sender_allowed;         /* the sender may write to d->ticket and run commands there */
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
 *
 * A reply token, the thread headers and the subject only say which
 * ticket a mail is about; whether it is added there is the sender
 * check's to say: the requester, someone the ticket is shared with, an
 * agent, or a registered contact of the requester's organisation (a
 * token made for the sender, fresh, while they are still on the ticket,
 * counts as the same proof).  A token made for somebody else, expired,
 * of a removed participant or of the old format routes, and nothing
 * more.
 *
 * When our MTA's Authentication-Results say the From failed (d->auth ==
 * AUTHRES_FAIL), the sender is nobody: not a contact, not an agent, not
 * a participant; the mail opens no ticket, adds no comment, runs no
 * command, shares with nobody, marks no address undeliverable, and gets
 * no automatic answer (the From is likely someone else's).  Its fate is
 * rejected_stranger when it names a ticket, else rejected_unregistered.
 */
int decide_message(struct ingest *in, const struct mail *m, const struct ingest_source *src,
		   struct decision *d, char **error_r);

#endif
