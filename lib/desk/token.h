/*
 * token: unforgeable reply tokens.
 *
 * A token names a ticket and proves that we wrote it: "t<number>-<mac>"
 * where mac is the first 20 hex digits (80 bits) of HMAC-SHA256(key,
 * "<number>").  It rides in our Message-IDs (<uuid.t12-…@domain>) and in
 * the Reply-To plus-address (support+t12-…@domain); a reply that carries
 * it back belongs to that ticket.  The 32-byte key is made on first start
 * and kept in the store, or in a 0600 file when hmac_key_file is set.
 */
#ifndef TICKETD_TOKEN_H
#define TICKETD_TOKEN_H

#include <stddef.h>

struct store;

#define TOKEN_KEY_LEN 32
#define TOKEN_MAC_HEX 20
#define TOKEN_MAX 48

struct token_key {
	unsigned char key[TOKEN_KEY_LEN];
};

/* Load the key, or make and keep a new one.  -1 with *error_r (caller frees). */
int token_key_load(struct token_key *k, struct store *st, const char *key_file, char **error_r);
void token_key_wipe(struct token_key *k);

/* Write the token for ticket number into out (TOKEN_MAX bytes). */
void token_make(const struct token_key *k, long long number, char *out, size_t outlen);

/*
 * Find the first valid token in text (an address, a Message-ID, a header
 * value) and return its ticket number; 0 when there is none.  Forged or
 * altered tokens are skipped.
 */
long long token_find(const struct token_key *k, const char *text);

#endif
