/*
 * classify: robots from people (SPEC section 4).
 */
#ifndef TICKETD_CLASSIFY_H
#define TICKETD_CLASSIFY_H

struct mime_msg;

/*
 * Set m->kind, m->automatic, m->automatic_reason and, for bounces,
 * m->dsn_message_id and m->dsn_recipient, from the headers and parts of a
 * parsed message.  Knows nothing of ticketd's own addresses (the router
 * adds those checks).
 */
void classify_message(struct mime_msg *m);

#endif
