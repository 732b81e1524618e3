#include "token.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "store.h"
#include "str.h"
#include "xmalloc.h"

static int
from_hex(const char *s, unsigned char *out, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		hi = isdigit((unsigned char)s[2 * i]) ? s[2 * i] - '0' : tolower((unsigned char)s[2 * i]) - 'a' + 10;
		lo = isdigit((unsigned char)s[2 * i + 1]) ? s[2 * i + 1] - '0' : tolower((unsigned char)s[2 * i + 1]) - 'a' + 10;
		if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]))
			return -1;
		out[i] = (unsigned char)(hi * 16 + lo);
	}
	return 0;
}

static int
key_from_file(struct token_key *k, const char *path, char **error_r)
{
	char hex[2 * TOKEN_KEY_LEN + 2];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (gnutls_rnd(GNUTLS_RND_KEY, k->key, sizeof(k->key)) != 0) {
			*error_r = xstrdup("unable to make a reply token key: no randomness");
			return -1;
		}
		str_to_hex(k->key, sizeof(k->key), hex);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) || fsync(fd) < 0) {
			*error_r = xasprintf("unable to write '%s': %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			explicit_bzero(hex, sizeof(hex));
			return -1;
		}
		close(fd);
		explicit_bzero(hex, sizeof(hex));
		return 0;
	}
	if (fd < 0) {
		*error_r = xasprintf("unable to open '%s': %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, hex, sizeof(hex) - 1);
	close(fd);
	if (n < 2 * TOKEN_KEY_LEN || from_hex(hex, k->key, TOKEN_KEY_LEN) < 0) {
		*error_r = xasprintf("'%s' does not hold a %d-byte hex key", path, TOKEN_KEY_LEN);
		explicit_bzero(hex, sizeof(hex));
		return -1;
	}
	explicit_bzero(hex, sizeof(hex));
	return 0;
}

int
token_key_load(struct token_key *k, struct store *st, const char *key_file, char **error_r)
{
	char hex[2 * TOKEN_KEY_LEN + 1], *v = NULL;
	int rc;

	if (key_file != NULL)
		return key_from_file(k, key_file, error_r);
	rc = store_meta_get(st, "reply_token_key", &v);
	if (rc == 1 && strlen(v) == 2 * TOKEN_KEY_LEN && from_hex(v, k->key, TOKEN_KEY_LEN) == 0) {
		explicit_bzero(v, strlen(v));
		free(v);
		return 0;
	}
	free(v);
	v = NULL;
	if (rc < 0) {
		*error_r = xasprintf("unable to read the reply token key: %s", store_error(st));
		return -1;
	}
	if (gnutls_rnd(GNUTLS_RND_KEY, k->key, sizeof(k->key)) != 0) {
		*error_r = xstrdup("unable to make a reply token key: no randomness");
		return -1;
	}
	str_to_hex(k->key, sizeof(k->key), hex);
	/* Two processes starting at once: the first key stored wins, both use it. */
	rc = store_meta_add(st, "reply_token_key", hex);
	explicit_bzero(hex, sizeof(hex));
	if (rc < 0 || store_meta_get(st, "reply_token_key", &v) != 1 ||
	    strlen(v) != 2 * TOKEN_KEY_LEN || from_hex(v, k->key, TOKEN_KEY_LEN) < 0) {
		*error_r = xasprintf("unable to keep the reply token key: %s", store_error(st));
		if (v != NULL)
			explicit_bzero(v, strlen(v));
		free(v);
		return -1;
	}
	explicit_bzero(v, strlen(v));
	free(v);
	return 0;
}

void
token_key_wipe(struct token_key *k)
{
	explicit_bzero(k->key, sizeof(k->key));
}

static void
mac_hex(const struct token_key *k, long long number, char *out)
{
	unsigned char digest[32];
	char msg[32];

	snprintf(msg, sizeof(msg), "%lld", number);
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, k->key, sizeof(k->key), msg, strlen(msg), digest);
	str_to_hex(digest, TOKEN_MAC_HEX / 2, out);
}

void
token_make(const struct token_key *k, long long number, char *out, size_t outlen)
{
	char mac[TOKEN_MAC_HEX + 1];

	mac_hex(k, number, mac);
	snprintf(out, outlen, "t%lld-%s", number, mac);
}

long long
token_find(const struct token_key *k, const char *text)
{
	const char *p, *q;
	char mac[TOKEN_MAC_HEX + 1], want[TOKEN_MAC_HEX + 1];
	long long number;
	size_t i;

	if (text == NULL)
		return 0;
	for (p = strchr(text, 't'); p != NULL; p = strchr(p + 1, 't')) {
		/* A token starts after '+', '.', '<' or the start of a local part. */
		if (p > text && p[-1] != '+' && p[-1] != '.' && p[-1] != '<' && p[-1] != ' ')
			continue;
		q = p + 1;
		if (!isdigit((unsigned char)*q))
			continue;
		number = 0;
		for (; isdigit((unsigned char)*q) && number < 1000000000000LL; q++)
			number = number * 10 + (*q - '0');
		if (*q != '-')
			continue;
		q++;
		for (i = 0; i < TOKEN_MAC_HEX; i++) {
			if (!isxdigit((unsigned char)q[i]))
				break;
			mac[i] = (char)tolower((unsigned char)q[i]);
		}
		if (i != TOKEN_MAC_HEX || isxdigit((unsigned char)q[i]))
			continue;
		mac[i] = '\0';
		mac_hex(k, number, want);
		if (gnutls_memcmp(mac, want, TOKEN_MAC_HEX) == 0 && number > 0)
			return number;
	}
	return 0;
}
