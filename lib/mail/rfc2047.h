/*
 * rfc2047: decode header text to UTF-8.
 */
#ifndef TICKETD_RFC2047_H
#define TICKETD_RFC2047_H

#include <stddef.h>

/*
 * Decode an unstructured header value (or a display name / phrase) to
 * UTF-8:
 *  - unfold (every CR and LF is dropped; the white space after stays);
 *  - decode RFC 2047 encoded words, B and Q, in any charset that
 *    charset_to_utf8 knows (an unknown one is detected), wherever they
 *    parse; white space between adjacent words is dropped, and the bytes
 *    of adjacent words in one charset are joined before conversion, so a
 *    character split across words comes out whole;
 *  - tolerate broken words: lowercase b/q, spaces inside, a missing "?="
 *    (a Q word then runs to the next word or the end, a B word to its
 *    first space), base64 cut inside a quantum, RFC 2231 "*lang";
 *  - read 8-bit text outside words as UTF-8 when the whole value is valid
 *    UTF-8 (RFC 6532), else in the charset charset_detect finds;
 *    ISO-2022-JP escapes in raw text are decoded too;
 *  - turn control characters (CR, LF, TAB, NUL ...) into spaces, and trim
 *    leading and trailing spaces, so the result is one clean line.
 * raw may be NULL when len is 0.  Returns a string the caller frees.
 */
char *rfc2047_decode(const char *raw, size_t len);

/*
 * Decode an RFC 2231 extended parameter value "charset'lang'%xx%yy"
 * (already joined from its continuations) to UTF-8.  Without a
 * "charset'lang'" prefix the percent-decoded bytes are detected.
 * Control characters become spaces.  Returns a string the caller frees.
 */
char *rfc2231_decode(const char *value);

#endif
