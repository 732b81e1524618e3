/*
 * apply: carry out what decide decided, inside the caller's store
 * transaction (ingest holds it: message, fate and cursor commit with
 * everything written here, or nothing does).
 *
 *   created             the ticket, its "created" event, Cc participants,
 *                       the auto-response (per-sender rate limit)
 *   followup            the comment (an agent's through actions), a
 *                       waiting ticket reopened, the reply's commands
 *   bounce, auto_reply  an event on the ticket; a failed recipient is
 *                       marked undeliverable (not on an unverified report)
 *   rejected_*,         a refusal or a too-large notice to the sender,
 *   too_large           never to robots nor to an unverified From
 */
#ifndef TICKETD_APPLY_H
#define TICKETD_APPLY_H

#include <time.h>

#include "decide.h"
#include "xmalloc.h"

struct mail;

/*
 * Apply d for mail (stored as message, its row id) at now; d->ticket gets
 * a new ticket's number.  The attachments of a created ticket or a
 * follow-up are kept with its event (attach.h; d->attachments,
 * d->dropped); the sender is told of dropped ones (in the auto-response,
 * or the "dropped" mail).  *why_r
 * (static, may stay NULL) says why no answer went out; cc_ignored gets
 * the Cc addresses that were not made participants, commands the reply
 * commands carried out ("#close #severity refused").  -1 with *error_r
 * (caller frees): the caller rolls back.
 */
int apply_decision(struct ingest *in, const struct mail *mail, long long message,
		   struct decision *d, time_t now, const char **why_r, struct buf *cc_ignored,
		   struct buf *commands, char **error_r);

#endif
