#include "literal.h"

#include <string.h>

#include "xmalloc.h"

enum {
	W_TEXT = 0,     /* ordinary line text */
	W_BRACE,        /* after '{' */
	W_DIGITS,       /* after '{' and digits */
	W_CLOSE,        /* after "{N}" */
	W_CR,           /* after "{N}\r" */
};

#define CLAIM_CAP (1ULL << 62)   /* a claim past this is simply huge */

void
literal_init(struct literal_watch *w, size_t limit)
{
	memset(w, 0, sizeof(*w));
	w->limit = limit;
}

void
literal_set_limit(struct literal_watch *w, size_t limit)
{
	w->limit = limit;
}

static int
trip(struct literal_watch *w, int why, unsigned long long seen)
{
	w->tripped = why;
	w->seen = seen;
	return -1;
}

int
literal_feed(struct literal_watch *w, const char *buf, size_t n)
{
	size_t i = 0;
	unsigned char c;

	if (w->tripped)
		return -1;
	while (i < n) {
		if (w->skip > 0) {
			size_t take = n - i;

			if ((unsigned long long)take > w->skip)
				take = (size_t)w->skip;
			w->skip -= take;
			i += take;
			continue;
		}
		c = (unsigned char)buf[i++];
		if (c == '\n') {
			if (w->state == W_CR || w->state == W_CLOSE) {
				if (w->claim > w->limit)
					return trip(w, 1, w->claim);
				w->skip = w->claim;
			}
			w->state = W_TEXT;
			w->line = 0;
			continue;
		}
		w->line++;
		if (w->line > IMAP_MAX_LINE)
			return trip(w, 2, w->line);
		switch (w->state) {
		case W_BRACE:
		case W_DIGITS:
			if (c >= '0' && c <= '9') {
				w->claim = w->claim >= CLAIM_CAP / 10 ? CLAIM_CAP :
					w->claim * 10 + (c - '0');
				w->state = W_DIGITS;
			} else if (c == '}' && w->state == W_DIGITS) {
				w->state = W_CLOSE;
			} else {
				w->state = c == '{' ? W_BRACE : W_TEXT;
				w->claim = 0;
			}
			break;
		case W_CLOSE:
			if (c == '\r') {
				w->state = W_CR;
				break;
			}
			w->state = c == '{' ? W_BRACE : W_TEXT;
			w->claim = 0;
			break;
		default:
			w->state = c == '{' ? W_BRACE : W_TEXT;
			w->claim = 0;
			break;
		}
	}
	return 0;
}

char *
literal_error(const struct literal_watch *w)
{
	if (w->tripped == 1)
		return xasprintf("excessively large literal from the server: %llu bytes claimed, "
				 "the limit is %zu", w->seen, w->limit);
	if (w->tripped == 2)
		return xasprintf("excessively long line from the server: over %d bytes",
				 IMAP_MAX_LINE);
	return xstrdup("no error");
}
