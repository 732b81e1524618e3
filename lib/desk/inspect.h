/*
 * inspect: a parsed message as one JSON object (SPEC section 3), the
 * format of `ticketctl inspect --json` (JSON Lines: one object a line).
 */
#ifndef TICKETD_INSPECT_H
#define TICKETD_INSPECT_H

#include "xmalloc.h"

struct mail;

/*
 * Append the object for m (read from file; NULL prints null) to out,
 * without a trailing newline.  prefix is the ticket prefix ("SUP").
 */
void inspect_json(struct buf *out, const char *file, const struct mail *m,
		  const char *prefix);

/* A short human summary, several lines. */
void inspect_text(struct buf *out, const char *file, const struct mail *m,
		  const char *prefix);

#endif
