/*
 * sha256: the one SHA-256 of ticketd (GnuTLS underneath), as lowercase
 * hex: message hashes for duplicates, attachment hashes, blob keys.
 */
#ifndef TICKETD_SHA256_H
#define TICKETD_SHA256_H

#include <stddef.h>

#define SHA256_HEX_SIZE 65    /* 64 hex digits and the NUL */

/* The digest of data[0..len) into out; "" when GnuTLS fails (never seen). */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_SIZE]);

/* 1 when s is 64 lowercase hex digits. */
int sha256_hex_valid(const char *s);

#endif
