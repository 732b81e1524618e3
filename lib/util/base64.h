/*
 * base64: the one base64 decoder (RFC 4648 alphabet), for MIME bodies and
 * RFC 2047 encoded words alike.
 *
 * Mail is sloppy, so the decoder streams: characters outside the
 * alphabet (line breaks, blanks, junk) are skipped, each byte is written
 * as soon as its 8 bits are in, '=' ends the current quantum, and the
 * bits of an unfinished quantum stay in the decoder for the next call.
 * What to make of an unfinished end is the caller's choice:
 * base64_decoder_partial() says how many bytes it gave, and
 * base64_decoder_settle() forgets held bits that are all zero.
 */
#ifndef TICKETD_BASE64_H
#define TICKETD_BASE64_H

#include <stddef.h>

#include "xmalloc.h"

struct base64_decoder {
	unsigned int acc;       /* bits not yet written, low bits */
	int bits;               /* how many: 0, 2, 4 or 6 */
};

#define BASE64_DECODER_INIT { 0, 0 }

void base64_decoder_init(struct base64_decoder *d);
/* Decode in[0..len), appending the bytes to out. */
void base64_decode(struct base64_decoder *d, const char *in, size_t len, struct buf *out);
/* Bytes already written for the unfinished quantum (0, 1 or 2). */
size_t base64_decoder_partial(const struct base64_decoder *d);
/* Forget the held bits when they are all zero (the input was merely unpadded). */
void base64_decoder_settle(struct base64_decoder *d);

#endif
