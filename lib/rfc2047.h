/*
 * rfc2047: decode header text to UTF-8.
 */
#ifndef TICKETD_RFC2047_H
#define TICKETD_RFC2047_H

#include <stddef.h>

/*
 * Decode an unstructured header value (or a display name / phrase):
 * unfold, decode RFC 2047 encoded words (adjacent words joined, broken
 * ones tolerated), and read raw 8-bit bytes as UTF-8 (RFC 6532) or, when
 * not valid UTF-8, as detected legacy text.  Returns a string the caller
 * frees.
 */
char *rfc2047_decode(const char *raw, size_t len);

/*
 * Decode an RFC 2231 extended parameter value "charset'lang'%xx%yy"
 * (already joined from its continuations) to UTF-8; caller frees.
 */
char *rfc2231_decode(const char *value);

#endif
