/*
 * escalate: SLA alerts and escalation (SPEC section 8), the half of the
 * SLA that writes and mails; lib/sla/sla is the clock it reads.
 *
 * The monitor raises, for each ticket still waiting for its first
 * response, one warning at sla_warning_percent of the budget and one
 * breach at 100 %, each in its own transaction together with its event,
 * the flag on the ticket and the mail to the region's escalation contact.
 * A breach raises the escalation level by one (at most SLA_MAX_LEVEL, VP).
 *
 * Catching up after downtime: a ticket whose due time passed while
 * nothing watched gets only its breach (the warning is marked done
 * without a mail: "will be missed soon" is no use once it is missed).
 * A ticket between the two points gets its (late) warning.
 *
 * The clock is injectable for tests: every function takes `now`;
 * programs pass clock_now() (env TICKETD_NOW, see clock.h).
 */
#ifndef TICKETD_ESCALATE_H
#define TICKETD_ESCALATE_H

#include <time.h>

struct notify;
struct sla;
struct ticket;

#define ESCALATE_MONITOR_INTERVAL 30   /* seconds between monitor passes in the daemon */
#define ESCALATE_PAGE 512              /* tickets read at a time by a monitor pass */

/*
 * One pass over the open tickets (new, open, pending) whose clock runs:
 * raise the warnings and breaches due at now.  Uses n->st; each alert is
 * its own transaction (event, ticket flags and level, outbox mail) and
 * one log line after its commit:
 *   sla ticket=SUP-4 event=breach level=1 contact=… due=…
 * Returns the number of alerts raised, -1 when the store failed (the
 * rest waits for the next pass: nothing is lost or doubled).
 */
int escalate_monitor_run(const struct sla *sla, struct notify *n, time_t now);

/*
 * Escalation (a customer's #escalate/[Escalate], action_escalate): raise t->level by one,
 * write t and an "escalated" event by actor, mail the region's contact
 * for the new level (template escalation_staff) and the customer
 * (requester and participants, template escalation).  Runs in the
 * caller's transaction (uses n->st; the caller commits).  1 when
 * escalated, 0 when t is already at SLA_MAX_LEVEL (nothing changed), -1
 * with *error_r (caller frees).  Logs
 * "sla ticket=… event=escalate level=… actor=… contact=…".
 */
int escalate_ticket(const struct sla *sla, struct notify *n, struct ticket *t, const char *actor,
		    time_t now, char **error_r);

#endif
