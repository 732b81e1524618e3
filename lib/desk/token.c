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

#define TOKEN_META_KEY "reply_token_key"
#define TOKEN_FILE_MAX (64 * 1024)    /* a key file larger than this is not ours */

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* ---- keys ---- */

/* Exactly 2 * n hex digits at s[0..len) into out; -1 when they are not. */
static int
from_hex(const char *s, size_t len, unsigned char *out, size_t n)
{
	if (len != 2 * n)
		return -1;
	return str_hex_decode(s, out, n);
}

static void
ring_add(struct token_key *k, unsigned int version, const unsigned char *key)
{
	k->v = xarray_grow(k->v, k->n, sizeof(*k->v));
	k->v[k->n].version = version;
	memcpy(k->v[k->n].key, key, TOKEN_KEY_LEN);
	k->n++;
}

void
token_key_wipe(struct token_key *k)
{
	if (k->v != NULL) {
		explicit_bzero(k->v, k->n * sizeof(*k->v));
		free(k->v);
	}
	k->v = NULL;
	k->n = 0;
}

unsigned int
token_key_current(const struct token_key *k)
{
	return k->n > 0 ? k->v[k->n - 1].version : 0;
}

static const struct token_key_version *
ring_find(const struct token_key *k, unsigned int version)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (k->v[i].version == version)
			return &k->v[i];
	return NULL;
}

static int
new_key(unsigned char *key, char **error_r)
{
	if (gnutls_rnd(GNUTLS_RND_KEY, key, TOKEN_KEY_LEN) != 0) {
		*error_r = xstrdup("unable to make a reply token key: no randomness");
		return -1;
	}
	return 0;
}

/*
 * The key file: one "VERSION HEX" per line, versions rising; a bare HEX
 * line is version 1 (the format before versions).  Blank lines and
 * '#' comments are allowed.
 */
static int
ring_parse_file(struct token_key *k, const char *path, const char *text, char **error_r)
{
	const char *line = text, *end, *hex;
	unsigned char key[TOKEN_KEY_LEN];
	unsigned int version;
	int lineno = 0;
	size_t len;

	for (; *line != '\0'; line = *end != '\0' ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		lineno++;
		len = (size_t)(end - line);
		while (len > 0 && str_is_space((unsigned char)line[len - 1]))
			len--;
		if (len == 0 || line[0] == '#')
			continue;
		hex = line;
		version = 1;
		if (len != 2 * TOKEN_KEY_LEN) {
			const char *p = line;
			int v;

			if (str_parse_digits(&p, 3, &v) < 0 || v < 1 || *p != ' ')
				goto bad;
			version = (unsigned int)v;
			while (*p == ' ')
				p++;
			len -= (size_t)(p - line);
			hex = p;
		}
		if (from_hex(hex, len, key, TOKEN_KEY_LEN) < 0 ||
		    (k->n > 0 && version <= k->v[k->n - 1].version))
			goto bad;
		ring_add(k, version, key);
	}
	explicit_bzero(key, sizeof(key));
	if (k->n == 0) {
		*error_r = xasprintf("'%s' does not hold a %d-byte hex key", path, TOKEN_KEY_LEN);
		return -1;
	}
	return 0;
bad:
	explicit_bzero(key, sizeof(key));
	token_key_wipe(k);
	*error_r = xasprintf("'%s' line %d: not \"VERSION HEX\" with a %d-byte hex key and a "
			     "version above the line before", path, lineno, TOKEN_KEY_LEN);
	return -1;
}

/* The whole key file into *text_r (caller wipes and frees); 0, 1 when missing, -1. */
static int
read_key_file(const char *path, char **text_r, char **error_r)
{
	struct buf b = BUF_INIT;
	char chunk[512];
	ssize_t n;
	int fd;

	*text_r = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0) {
		*error_r = xasprintf("unable to open '%s': %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n <= 0 || b.len >= TOKEN_FILE_MAX)
			break;
		buf_add(&b, chunk, (size_t)n);
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (n < 0) {
		*error_r = xasprintf("unable to read '%s': %s", path, strerror(errno));
		close(fd);
		if (b.len > 0)
			explicit_bzero(b.data, b.len);
		buf_release(&b);
		return -1;
	}
	close(fd);
	*text_r = buf_detach(&b, NULL);
	return 0;
}

/* Write text to path through a 0600 temporary file and rename (atomic). */
static int
write_key_file(const char *path, const char *text, char **error_r)
{
	char *tmp = xasprintf("%s.tmp", path);
	size_t len = strlen(text);
	int fd, rc = -1;

	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		*error_r = xasprintf("unable to write '%s': %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		*error_r = xasprintf("unable to rename '%s' to '%s': %s", tmp, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

static void
wipe_free(char **s)
{
	if (*s != NULL) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
	}
	*s = NULL;
}

static int
ring_from_file(struct token_key *k, const char *path, int create, char **error_r)
{
	unsigned char key[TOKEN_KEY_LEN];
	char hex[2 * TOKEN_KEY_LEN + 2], *text = NULL;
	int rc;

	rc = read_key_file(path, &text, error_r);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		rc = ring_parse_file(k, path, text, error_r);
		wipe_free(&text);
		return rc;
	}
	if (!create) {
		*error_r = xasprintf("unable to open '%s': %s", path, strerror(ENOENT));
		return -1;
	}
	/* First start: version 1, written bare as before versions existed. */
	if (new_key(key, error_r) < 0)
		return -1;
	str_hex_encode(key, TOKEN_KEY_LEN, hex);
	hex[2 * TOKEN_KEY_LEN] = '\n';
	hex[2 * TOKEN_KEY_LEN + 1] = '\0';
	rc = write_key_file(path, hex, error_r);
	explicit_bzero(hex, sizeof(hex));
	if (rc == 0)
		ring_add(k, 1, key);
	explicit_bzero(key, sizeof(key));
	return rc;
}

static char *
meta_name(unsigned int version)
{
	return version == 1 ? xstrdup(TOKEN_META_KEY) : xasprintf("%s.%u", TOKEN_META_KEY, version);
}

/* Every version in the store: 1, 2, … up to the first missing.  -1 on a store error. */
static int
ring_from_store(struct token_key *k, struct store *st, char **error_r)
{
	unsigned char key[TOKEN_KEY_LEN];
	unsigned int version;
	char *name, *v = NULL;
	int rc = 0;

	for (version = 1; version <= TOKEN_MAX_VERSION; version++) {
		name = meta_name(version);
		rc = store_meta_get(st, name, &v);
		free(name);
		if (rc <= 0)
			break;
		if (from_hex(v, strlen(v), key, TOKEN_KEY_LEN) < 0) {
			wipe_free(&v);
			token_key_wipe(k);
			*error_r = xasprintf("the store's reply token key version %u is not %d hex bytes",
					     version, TOKEN_KEY_LEN);
			return -1;
		}
		wipe_free(&v);
		ring_add(k, version, key);
	}
	explicit_bzero(key, sizeof(key));
	if (rc < 0) {
		token_key_wipe(k);
		*error_r = xasprintf("unable to read the reply token key: %s", store_error(st));
		return -1;
	}
	return 0;
}

/* Keep key as version in the store; the first writer wins, so read it back. */
static int
store_add_version(struct store *st, unsigned int version, const unsigned char *key,
		  char **error_r)
{
	char hex[2 * TOKEN_KEY_LEN + 1], *name = meta_name(version);
	int rc;

	str_hex_encode(key, TOKEN_KEY_LEN, hex);
	rc = store_meta_add(st, name, hex);
	explicit_bzero(hex, sizeof(hex));
	free(name);
	if (rc < 0) {
		*error_r = xasprintf("unable to keep the reply token key: %s", store_error(st));
		return -1;
	}
	return 0;
}

int
token_key_load(struct token_key *k, struct store *st, const char *key_file, char **error_r)
{
	unsigned char key[TOKEN_KEY_LEN];

	memset(k, 0, sizeof(*k));
	if (key_file != NULL)
		return ring_from_file(k, key_file, 1, error_r);
	if (ring_from_store(k, st, error_r) < 0)
		return -1;
	if (k->n > 0)
		return 0;
	/* Two processes starting at once: the first key stored wins, both use it. */
	if (new_key(key, error_r) < 0)
		return -1;
	if (store_add_version(st, 1, key, error_r) < 0) {
		explicit_bzero(key, sizeof(key));
		return -1;
	}
	explicit_bzero(key, sizeof(key));
	if (ring_from_store(k, st, error_r) < 0)
		return -1;
	if (k->n == 0) {
		*error_r = xstrdup("unable to keep the reply token key: it was not stored");
		return -1;
	}
	return 0;
}

int
token_key_rotate(struct store *st, const char *key_file, unsigned int *version_r,
		 char **error_r)
{
	struct token_key k;
	unsigned char key[TOKEN_KEY_LEN];
	char hex[2 * TOKEN_KEY_LEN + 1], *text = NULL, *all;
	unsigned int next;
	int rc;

	if (token_key_load(&k, st, key_file, error_r) < 0)
		return -1;
	next = token_key_current(&k) + 1;
	token_key_wipe(&k);
	if (next > TOKEN_MAX_VERSION) {
		*error_r = xasprintf("no reply token key version is left (the last is %d)",
				     TOKEN_MAX_VERSION);
		return -1;
	}
	if (new_key(key, error_r) < 0)
		return -1;
	if (key_file == NULL) {
		rc = store_add_version(st, next, key, error_r);
	} else {
		rc = read_key_file(key_file, &text, error_r);
		if (rc == 0) {
			str_hex_encode(key, TOKEN_KEY_LEN, hex);
			all = xasprintf("%s%s%u %s\n", text,
					text[0] != '\0' && text[strlen(text) - 1] != '\n' ? "\n" : "",
					next, hex);
			explicit_bzero(hex, sizeof(hex));
			rc = write_key_file(key_file, all, error_r);
			wipe_free(&all);
		} else if (rc > 0) {
			*error_r = xasprintf("unable to open '%s': %s", key_file, strerror(ENOENT));
			rc = -1;
		}
		wipe_free(&text);
	}
	explicit_bzero(key, sizeof(key));
	if (rc < 0)
		return -1;
	/* Whoever rotated at the same moment, the newest version is what we report. */
	if (token_key_load(&k, st, key_file, error_r) < 0)
		return -1;
	*version_r = token_key_current(&k);
	token_key_wipe(&k);
	return 0;
}

/* ---- tokens ---- */

static void
b32_encode(const unsigned char *in, size_t bits, char *out)
{
	size_t i, n = bits / 5;
	unsigned int v;

	for (i = 0; i < n; i++) {
		size_t bit = i * 5, byte = bit / 8, shift = bit % 8;

		v = (unsigned int)in[byte] << 8;
		if (byte + 1 < (bits + 7) / 8)
			v |= in[byte + 1];
		out[i] = b32[(v >> (11 - shift)) & 31];
	}
	out[n] = '\0';
}

static int
b32_value(int c)
{
	c = str_ascii_lower(c);
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

static void
mac_new(const struct token_key_version *kv, long long number, long long day, const char *rcpt,
	char out[TOKEN_MAC_CHARS + 1])
{
	unsigned char digest[32];
	char *msg, *lower = xstrdup(rcpt != NULL ? rcpt : "");

	str_lower(lower);
	msg = xasprintf("ticketd-reply-token 1\n%lld\n%u\n%lld\n%s", number, kv->version, day, lower);
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, kv->key, TOKEN_KEY_LEN, msg, strlen(msg), digest);
	b32_encode(digest, TOKEN_MAC_CHARS * 5, out);
	explicit_bzero(digest, sizeof(digest));
	free(msg);
	free(lower);
}

static void
mac_old(const struct token_key_version *kv, long long number, char out[TOKEN_OLD_MAC_HEX + 1])
{
	unsigned char digest[32];
	char msg[32];

	snprintf(msg, sizeof(msg), "%lld", number);
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, kv->key, TOKEN_KEY_LEN, msg, strlen(msg), digest);
	str_hex_encode(digest, TOKEN_OLD_MAC_HEX / 2, out);
	explicit_bzero(digest, sizeof(digest));
}

void
token_make(const struct token_key *k, long long number, const char *rcpt, time_t now,
	   char *out, size_t outlen)
{
	const struct token_key_version *kv = &k->v[k->n - 1];
	char mac[TOKEN_MAC_CHARS + 1], day_b32[TOKEN_DAY_CHARS + 1];
	unsigned char day_bytes[3];
	long long day = now / 86400;

	/* 20 bits of day, big-endian, into 4 letters. */
	day_bytes[0] = (unsigned char)((day >> 12) & 0xff);
	day_bytes[1] = (unsigned char)((day >> 4) & 0xff);
	day_bytes[2] = (unsigned char)((day << 4) & 0xf0);
	b32_encode(day_bytes, TOKEN_DAY_CHARS * 5, day_b32);
	mac_new(kv, number, day, rcpt, mac);
	snprintf(out, outlen, "r%lld-%u-%s%s", number, kv->version, day_b32, mac);
}

/* Decimal digits at *pp (1 to max of them, no leading zero): the value, or -1. */
static long long
read_number(const char **pp, int max)
{
	const char *p = *pp;
	long long v = 0;
	int n = 0;

	if (*p == '0')
		return -1;
	while (isdigit((unsigned char)*p) && n < max) {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n == 0 || isdigit((unsigned char)*p))
		return -1;
	*pp = p;
	return v;
}

/* A token of either format starting at p; 1 with *t. */
static int
scan_one(const char *p, struct token *t)
{
	const char *q = p + 1;
	long long number, version, day = 0;
	int i, v;

	memset(t, 0, sizeof(*t));
	number = read_number(&q, 13);
	if (number <= 0 || *q != '-')
		return 0;
	q++;
	if (*p == 't' || *p == 'T') {
		for (i = 0; i < TOKEN_OLD_MAC_HEX; i++) {
			if (str_hex_value((unsigned char)q[i]) < 0)
				return 0;
			t->mac[i] = (char)str_ascii_lower((unsigned char)q[i]);
		}
		if (isalnum((unsigned char)q[i]))
			return 0;
		t->format = TOKEN_FORMAT_OLD;
		t->number = number;
		t->version = 1;
		return 1;
	}
	version = read_number(&q, 3);
	if (version <= 0 || *q != '-')
		return 0;
	q++;
	for (i = 0; i < TOKEN_DAY_CHARS; i++) {
		v = b32_value((unsigned char)q[i]);
		if (v < 0)
			return 0;
		day = day * 32 + v;
	}
	q += TOKEN_DAY_CHARS;
	for (i = 0; i < TOKEN_MAC_CHARS; i++) {
		if (b32_value((unsigned char)q[i]) < 0)
			return 0;
		t->mac[i] = (char)str_ascii_lower((unsigned char)q[i]);
	}
	if (isalnum((unsigned char)q[i]))
		return 0;
	t->format = TOKEN_FORMAT_NEW;
	t->number = number;
	t->version = (unsigned int)version;
	t->day = day;
	return 1;
}

size_t
token_scan(const char *text, struct token *out, size_t max)
{
	const char *p;
	size_t n = 0;

	if (text == NULL)
		return 0;
	for (p = text; *p != '\0' && n < max; p++) {
		if (*p != 'r' && *p != 'R' && *p != 't' && *p != 'T')
			continue;
		if (p > text && p[-1] != '+' && p[-1] != '.' && p[-1] != '<' && p[-1] != ' ')
			continue;
		if (scan_one(p, &out[n]))
			n++;
	}
	return n;
}

enum token_check
token_verify(const struct token_key *k, const struct token *t, const char *rcpt)
{
	const struct token_key_version *kv = ring_find(k, t->version);
	char want[TOKEN_MAC_CHARS + 5];

	if (kv == NULL)
		return TOKEN_KEY_UNKNOWN;
	if (t->format == TOKEN_FORMAT_OLD) {
		mac_old(kv, t->number, want);
		return gnutls_memcmp(want, t->mac, TOKEN_OLD_MAC_HEX) == 0 ? TOKEN_GENUINE :
			TOKEN_WRONG;
	}
	if (rcpt == NULL)
		return TOKEN_WRONG;
	mac_new(kv, t->number, t->day, rcpt, want);
	return gnutls_memcmp(want, t->mac, TOKEN_MAC_CHARS) == 0 ? TOKEN_GENUINE : TOKEN_WRONG;
}

int
token_expired(const struct token *t, time_t now, long lifetime)
{
	if (t->format != TOKEN_FORMAT_NEW)
		return 0;
	/* Counted from the end of the issue day: a token lives at least lifetime. */
	return (long long)now > (t->day + 1) * 86400LL + lifetime;
}
