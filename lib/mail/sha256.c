#include "sha256.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "str.h"

#define SHA256_LEN 32

void
sha256_hex(const void *data, size_t len, char out[SHA256_HEX_SIZE])
{
	unsigned char digest[SHA256_LEN];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data != NULL ? data : "", len, digest) != 0) {
		out[0] = '\0';
		return;
	}
	str_hex_encode(digest, sizeof(digest), out);
}

int
sha256_hex_valid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 2 * SHA256_LEN)
		return 0;
	for (i = 0; i < 2 * SHA256_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}
