/*
 * utf8: the one UTF-8 decoder and encoder.  Valid means RFC 3629: no
 * overlong form, no surrogate (U+D800..U+DFFF), nothing above U+10FFFF.
 */
#ifndef TICKETD_UTF8_H
#define TICKETD_UTF8_H

#include <stddef.h>

#define UTF8_MAX 4            /* bytes of one encoded code point */
#define UTF8_REPLACEMENT 0xFFFD

/*
 * The sequence at s[0..avail), avail >= 1: its length (1-4) when it is
 * valid, with the code point in *cp_r; 0 when it is not, with
 * UTF8_REPLACEMENT in *cp_r and, in *bad_r, the length of its maximal
 * invalid subpart (what one U+FFFD stands for, as Unicode recommends).
 * cp_r and bad_r may be NULL.
 */
size_t utf8_decode(const void *s, size_t avail, unsigned int *cp_r, size_t *bad_r);

/* Bytes of s[0..len) before the first invalid sequence (len when all are valid). */
size_t utf8_valid_prefix(const void *s, size_t len);

/* Encode cp into out; its length (1-4).  A surrogate or cp > U+10FFFF writes U+FFFD. */
size_t utf8_encode(unsigned int cp, char out[UTF8_MAX]);

#endif
