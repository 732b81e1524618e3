/*
 * literal: a watch on the bytes an IMAP server sends, before libetpan
 * parses them.  libetpan believes a literal's claimed size ({N}) and
 * reads a line of any length into memory; a hostile or broken server
 * could make it take gigabytes.  The watch sits in the stream's read
 * hook, follows lines and literals, and stops the stream when a literal
 * claims more than the limit of the command in hand, or a line outside
 * a literal runs past IMAP_MAX_LINE.  The stream is then broken (the
 * connection is dropped and opened again); literal_error() says why.
 */
#ifndef TICKETD_LITERAL_H
#define TICKETD_LITERAL_H

#include <stddef.h>

#define IMAP_MAX_LINE (1024 * 1024)     /* bytes of one response line outside literals */

struct literal_watch {
	size_t limit;              /* bytes a literal may claim now */
	size_t line;               /* bytes of the current line so far */
	unsigned long long skip;   /* bytes of a literal still to come */
	unsigned long long claim;  /* the number being read in {…} */
	int state;                 /* where in a possible "{N}\r\n" we are */
	int tripped;               /* 1 literal over the limit, 2 line over IMAP_MAX_LINE */
	unsigned long long seen;   /* the claim or line length that tripped */
};

void literal_init(struct literal_watch *w, size_t limit);
/* A new limit for the next command's literals (the state carries on). */
void literal_set_limit(struct literal_watch *w, size_t limit);

/*
 * Look at n bytes just read.  0 fine; -1 over a limit (and every later
 * call): the caller makes the read fail.
 */
int literal_feed(struct literal_watch *w, const char *buf, size_t n);

/* Why the watch stopped the stream, for the log (caller frees). */
char *literal_error(const struct literal_watch *w);

#endif
