/*
 * cte: Content-Transfer-Encoding (RFC 2045 section 6): which one a field
 * names, and the decoders.  Bodies are hostile and often broken, so the
 * decoders never fail: what does not decode is skipped (base64) or kept
 * as written (quoted-printable).
 */
#ifndef TICKETD_CTE_H
#define TICKETD_CTE_H

#include <stddef.h>

#include "xmalloc.h"

enum cte {
	CTE_IDENTITY = 0,       /* 7bit, 8bit, binary, and anything unknown */
	CTE_BASE64,
	CTE_QP,
	CTE_UUENCODE,           /* x-uuencode, uuencode, x-uue */
};

/*
 * The encoding a Content-Transfer-Encoding value p[0..len) names: its
 * first word, comments skipped, case and punctuation ignored
 * ("Quoted-Printable (Outlook)", "quoted printable", "base64;").
 */
enum cte cte_parse(const char *p, size_t len);

/*
 * Decode p[0..len), appending to out:
 *   base64            the alphabet only; an unpadded last quantum is a
 *                     truncated body and dropped (as mime4j does);
 *   quoted-printable  line by line: a hard line break becomes CRLF,
 *                     trailing blanks go, a line ending in '=' joins the
 *                     next, a broken escape is kept as written;
 *   uuencode          from the "begin NNN name" line when there is one.
 */
void cte_decode(enum cte cte, const char *p, size_t len, struct buf *out);

/* Uuencoded lines p[0..len) until "end" or a zero-length line, onto out. */
void cte_uu_decode_lines(const char *p, size_t len, struct buf *out);
/* "begin NNN name" at p[0..len)?  1 with the name in *name_r, *name_len_r. */
int cte_uu_begin_line(const char *p, size_t len, const char **name_r, size_t *name_len_r);

#endif
