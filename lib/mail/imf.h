/*
 * imf: RFC 5322 header values: address lists, Message-IDs, dates, and
 * the lexical pieces (comments, quoted strings) MIME parameters share.
 *
 * Input is a raw field value p[0..len) (folds kept, need not be
 * NUL-terminated).  The parsers never fail on bad input: they keep what
 * can be read.  Strings they return or append are the caller's.
 */
#ifndef TICKETD_IMF_H
#define TICKETD_IMF_H

#include <stddef.h>
#include <time.h>

#include "xmalloc.h"

/* One mailbox of an address list (struct mime_msg holds these). */
struct mime_addr {
	char *name;       /* display name, decoded (RFC 2047), or NULL */
	char *address;    /* addr-spec as written (local@domain), or NULL */
};

/*
 * Append the addresses of an address-list field to *list (n entries):
 * quoted strings, comments (a comment is the name when there is no
 * other), <angle> addresses, quoted local parts ("a b"@c, quotes kept),
 * groups flattened, whatever is left of a broken address kept as
 * written; a bare word without '@' ("Whomever") is a name without an
 * address.  An encoded word is one token: a comma or quote inside it
 * ("=?iso-8859-1?Q?B=FCrling,_Andreas?=") separates nothing.  A field whose address comes out as
 * an RFC 2047 encoded word (some mailers encode "Name <a@b>" whole) is
 * decoded first and parsed again.
 */
void imf_addr_list(const char *p, size_t len, struct mime_addr **list, size_t *n);
/*
 * The first mailbox of the field that has an address (else the first
 * one, a name alone) into *out, replacing what was there; *out is left
 * alone when the field holds no mailbox at all.
 */
void imf_addr_first(const char *p, size_t len, struct mime_addr *out);
/* Free a's strings and set them to NULL. */
void imf_addr_release(struct mime_addr *a);
/* The addr-spec inside <...>: no source route, comments or blanks; NULL when empty. */
char *imf_angle_address(const char *s, size_t len);

/*
 * Append the Message-IDs of a field (without <>) to *ids: each <...>;
 * without any, the words holding an '@' (or, when want_any, the first
 * word).  Comments and quotes are skipped.
 */
void imf_ids(const char *p, size_t len, char ***ids, size_t *n, int want_any);
/* The first of them, or NULL. */
char *imf_id_first(const char *p, size_t len, int want_any);

/*
 * A Date field: 0 with the instant (UTC) in *date_r and the zone as
 * written in *tzoff_r (minutes east of UTC); -1 when it is no date.
 */
int imf_date(const char *p, size_t len, time_t *date_r, int *tzoff_r);

/* The index just past the blanks and (nested) comments at p[i]. */
size_t imf_skip_cfws(const char *p, size_t len, size_t i);
/* A quoted string at p[i] == '"': its content (unescaped) onto b; the index after it. */
size_t imf_read_quoted(const char *p, size_t len, size_t i, struct buf *b);

#endif
