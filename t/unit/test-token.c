/*
 * test-token: reply tokens per recipient (made, found, verified for the
 * right address only, dated, expiring), the old format still read, and
 * the keys: kept in the store or a 0600 file, rotated, old versions
 * still verifying.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "store.h"
#include "token.h"
#include "xmalloc.h"
#include "test.h"

static char dir[64];
static const time_t t0 = 1795687200;   /* 2026-11-26T10:00:00Z */

static struct store *
open_store(const char *name)
{
	struct store *st = NULL;
	char *path = xasprintf("%s/%s", dir, name), *error = NULL;

	if (store_open(path, &st, &error) < 0) {
		printf("# %s\n", error);
		exit(1);
	}
	free(path);
	return st;
}

/* The one token scanned from text, verified for rcpt. */
static enum token_check
check(const struct token_key *k, const char *text, const char *rcpt, long long *number_r)
{
	struct token t[2];

	*number_r = 0;
	if (token_scan(text, t, 2) != 1)
		return TOKEN_WRONG;
	*number_r = t[0].number;
	return token_verify(k, &t[0], rcpt);
}

static void
test_format(struct token_key *k)
{
	char tok[TOKEN_MAX], *text;
	struct token t[4];
	long long num;
	size_t i;

	test_begin("a token: r<number>-<version>-<day><mac>, base32, 26 octets for SUP-42");
	token_make(k, 42, "Alice@Acme.example", t0, tok, sizeof(tok));
	printf("# token for SUP-42, alice, %lld: %s\n", (long long)t0, tok);
	test_assert(strncmp(tok, "r42-1-", 6) == 0);
	test_assert_inteq(strlen(tok), 26);
	for (i = 6; tok[i] != '\0'; i++)
		test_assert(strchr("abcdefghijklmnopqrstuvwxyz234567", tok[i]) != NULL);
	test_assert_inteq(token_scan(tok, t, 4), 1);
	test_assert_inteq(t[0].format, TOKEN_FORMAT_NEW);
	test_assert_inteq(t[0].number, 42);
	test_assert_inteq(t[0].version, 1);
	test_assert_inteq(t[0].day, t0 / 86400);
	test_end();

	test_begin("the longest token (13-digit ticket, key 999) fits TOKEN_MAX_LEN");
	{
		struct token_key big = *k;
		struct token_key_version v = k->v[0];

		v.version = TOKEN_MAX_VERSION;
		big.v = &v;
		big.n = 1;
		token_make(&big, TOKEN_MAX_NUMBER, "a@b.example", t0, tok, sizeof(tok));
		test_assert_inteq(strlen(tok), TOKEN_MAX_LEN);
		test_assert(check(&big, tok, "a@b.example", &num) == TOKEN_GENUINE);
		test_assert_inteq(num, TOKEN_MAX_NUMBER);
	}
	test_end();

	test_begin("found where it rides, verified for its recipient only (any case)");
	token_make(k, 42, "alice@acme.example", t0, tok, sizeof(tok));
	text = xasprintf("support+%s@example.com", tok);
	test_assert(check(k, text, "alice@acme.example", &num) == TOKEN_GENUINE);
	test_assert_inteq(num, 42);
	test_assert(check(k, text, "ALICE@ACME.EXAMPLE", &num) == TOKEN_GENUINE);
	test_assert(check(k, text, "mallory@evil.example", &num) == TOKEN_WRONG);
	test_assert(check(k, text, NULL, &num) == TOKEN_WRONG);
	free(text);
	text = xasprintf("AbCdEfGhIjKlMnOpQrStUv.%s@example.com", tok);
	test_assert(check(k, text, "alice@acme.example", &num) == TOKEN_GENUINE);
	free(text);
	/* A server that folds the local part to capitals. */
	text = xasprintf("SUPPORT+%s@EXAMPLE.COM", tok);
	for (i = 0; text[i] != '\0'; i++)
		if (text[i] >= 'a' && text[i] <= 'z')
			text[i] = (char)(text[i] - 'a' + 'A');
	test_assert(check(k, text, "alice@acme.example", &num) == TOKEN_GENUINE);
	free(text);
	test_end();

	test_begin("altered tokens fail: number, version, day, MAC, cut, glued to a word");
	text = xstrdup(tok);
	text[1] = '3';                                   /* r32-… */
	test_assert(check(k, text, "alice@acme.example", &num) == TOKEN_WRONG);
	free(text);
	text = xstrdup(tok);
	text[4] = '2';                                   /* key 2: not here */
	test_assert(check(k, text, "alice@acme.example", &num) == TOKEN_KEY_UNKNOWN);
	free(text);
	text = xstrdup(tok);
	text[9] = text[9] == 'a' ? 'b' : 'a';            /* another day */
	test_assert(check(k, text, "alice@acme.example", &num) == TOKEN_WRONG);
	free(text);
	text = xstrdup(tok);
	text[strlen(text) - 1] = text[strlen(text) - 1] == 'a' ? 'b' : 'a';
	test_assert(check(k, text, "alice@acme.example", &num) == TOKEN_WRONG);
	text[strlen(text) - 1] = '\0';                   /* one letter short */
	test_assert_inteq(token_scan(text, NULL, 0), 0);
	test_assert(check(k, text, "alice@acme.example", &num) == TOKEN_WRONG);
	free(text);
	text = xasprintf("x%s@example.com", tok);
	test_assert(check(k, text, "alice@acme.example", &num) == TOKEN_WRONG);
	free(text);
	text = xasprintf("support+%sx@example.com", tok);
	test_assert(check(k, text, "alice@acme.example", &num) == TOKEN_WRONG);
	free(text);
	test_assert_inteq(token_scan(NULL, t, 4), 0);
	test_assert_inteq(token_scan("r0-1-aaaaaaaaaaaaaaaaaaaa r01-1-aaaaaaaaaaaaaaaaaaaa", t, 4), 0);
	test_end();

	test_begin("a token expires after the lifetime, counted from the end of its day");
	token_make(k, 42, "alice@acme.example", t0, tok, sizeof(tok));
	token_scan(tok, t, 1);
	test_assert(!token_expired(&t[0], t0, 180L * 86400));
	test_assert(!token_expired(&t[0], t0 + 180L * 86400, 180L * 86400));
	test_assert(token_expired(&t[0], t0 + 181L * 86400, 180L * 86400));
	test_end();
}

/* The old format, made here as the old code made it: t<n>-<20 hex of HMAC(key, "<n>")>. */
static void
old_token(const struct token_key *k, long long number, char *out, size_t outlen)
{
	unsigned char d[32];
	char msg[32];
	size_t o;
	int i;

	snprintf(msg, sizeof(msg), "%lld", number);
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, k->v[0].key, TOKEN_KEY_LEN, msg, strlen(msg), d);
	o = (size_t)snprintf(out, outlen, "t%lld-", number);
	for (i = 0; i < 10; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%02x", d[i]);
}

static void
test_old(struct token_key *k)
{
	char tok[48], *text;
	struct token t[2];
	long long num;

	test_begin("the old format is still read, with key version 1, for nobody in particular");
	old_token(k, 12, tok, sizeof(tok));
	text = xasprintf("support+%s@example.com", tok);
	test_assert_inteq(token_scan(text, t, 2), 1);
	test_assert_inteq(t[0].format, TOKEN_FORMAT_OLD);
	test_assert(check(k, text, NULL, &num) == TOKEN_GENUINE);
	test_assert_inteq(num, 12);
	test_assert(check(k, text, "anyone@example.com", &num) == TOKEN_GENUINE);
	test_assert(!token_expired(&t[0], t0 + 3650L * 86400, 86400));
	free(text);
	tok[1] = '3';
	test_assert(check(k, tok, NULL, &num) == TOKEN_WRONG);
	test_end();
}

static void
test_store_keys(void)
{
	struct store *st = open_store("keys.db");
	struct token_key k1, k2, k3;
	char tok1[TOKEN_MAX], tok2[TOKEN_MAX], *error = NULL;
	unsigned int v = 0;
	long long num;

	test_begin("store: one key made on first load, the same on every load");
	test_assert_inteq(token_key_load(&k1, st, NULL, &error), 0);
	test_assert_inteq(token_key_load(&k2, st, NULL, &error), 0);
	test_assert_inteq(k1.n, 1);
	test_assert_inteq(token_key_current(&k1), 1);
	test_assert(memcmp(k1.v[0].key, k2.v[0].key, TOKEN_KEY_LEN) == 0);
	token_key_wipe(&k2);
	test_end();

	test_begin("store: rotate makes version 2; tokens of version 1 still verify");
	token_make(&k1, 7, "bob@acme.example", t0, tok1, sizeof(tok1));
	test_assert_inteq(token_key_rotate(st, NULL, &v, &error), 0);
	test_assert_inteq(v, 2);
	test_assert_inteq(token_key_load(&k2, st, NULL, &error), 0);
	test_assert_inteq(k2.n, 2);
	test_assert_inteq(token_key_current(&k2), 2);
	token_make(&k2, 7, "bob@acme.example", t0, tok2, sizeof(tok2));
	test_assert(strncmp(tok2, "r7-2-", 5) == 0);
	test_assert(check(&k2, tok1, "bob@acme.example", &num) == TOKEN_GENUINE);
	test_assert(check(&k2, tok2, "bob@acme.example", &num) == TOKEN_GENUINE);
	/* A process that loaded before the rotation does not know version 2 yet. */
	test_assert(check(&k1, tok2, "bob@acme.example", &num) == TOKEN_KEY_UNKNOWN);
	test_assert_inteq(token_key_rotate(st, NULL, &v, &error), 0);
	test_assert_inteq(v, 3);
	test_assert_inteq(token_key_load(&k3, st, NULL, &error), 0);
	test_assert_inteq(k3.n, 3);
	test_assert(memcmp(k3.v[0].key, k1.v[0].key, TOKEN_KEY_LEN) == 0);
	test_assert(memcmp(k3.v[1].key, k2.v[1].key, TOKEN_KEY_LEN) == 0);
	test_end();

	test_begin("wiped keys are gone");
	token_key_wipe(&k1);
	test_assert(k1.v == NULL && k1.n == 0);
	test_end();
	token_key_wipe(&k2);
	token_key_wipe(&k3);
	store_close(&st);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
}

static void
test_file_keys(void)
{
	struct store *st = open_store("file.db");
	struct token_key k1, k2;
	struct stat sb;
	char *path = xasprintf("%s/hmac.key", dir), *error = NULL, tok[TOKEN_MAX], buf[512];
	unsigned int v = 0;
	long long num;
	FILE *f;
	size_t n;

	test_begin("file: made 0600 on first use as one bare hex line (version 1)");
	test_assert_inteq(token_key_load(&k1, st, path, &error), 0);
	test_assert_inteq(stat(path, &sb), 0);
	test_assert_inteq(sb.st_mode & 0777, 0600);
	test_assert_inteq(sb.st_size, 2 * TOKEN_KEY_LEN + 1);
	test_assert_inteq(token_key_current(&k1), 1);
	test_end();

	test_begin("file: rotate appends \"2 HEX\", still 0600; both versions verify");
	token_make(&k1, 9, "carol@beta.example", t0, tok, sizeof(tok));
	test_assert_inteq(token_key_rotate(st, path, &v, &error), 0);
	test_assert_inteq(v, 2);
	test_assert_inteq(stat(path, &sb), 0);
	test_assert_inteq(sb.st_mode & 0777, 0600);
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	test_assert(strncmp(buf + 2 * TOKEN_KEY_LEN + 1, "2 ", 2) == 0);
	test_assert_inteq(token_key_load(&k2, st, path, &error), 0);
	test_assert_inteq(k2.n, 2);
	test_assert(check(&k2, tok, "carol@beta.example", &num) == TOKEN_GENUINE);
	token_key_wipe(&k2);
	test_end();

	test_begin("file: a key that is not hex, or versions out of order, is an error with its line");
	write_file(path, "# reply token keys\nnot hex\n");
	test_assert_inteq(token_key_load(&k2, st, path, &error), -1);
	test_assert(error != NULL && strstr(error, "hmac.key") != NULL && strstr(error, "line 2") != NULL);
	xfree(&error);
	snprintf(buf, sizeof(buf), "2 %064d\n1 %064d\n", 0, 0);
	write_file(path, buf);
	test_assert_inteq(token_key_load(&k2, st, path, &error), -1);
	test_assert(error != NULL && strstr(error, "line 2") != NULL);
	xfree(&error);
	write_file(path, "\n");
	test_assert_inteq(token_key_load(&k2, st, path, &error), -1);
	test_assert(error != NULL && strstr(error, "does not hold") != NULL);
	xfree(&error);
	test_end();
	token_key_wipe(&k1);
	unlink(path);
	free(path);
	store_close(&st);
}

int
main(void)
{
	struct store *st;
	struct token_key k;
	char *error = NULL, *cmd;
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/test-token.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	st = open_store("tokens.db");
	if (token_key_load(&k, st, NULL, &error) < 0) {
		printf("# %s\n", error);
		return 1;
	}
	test_format(&k);
	test_old(&k);
	token_key_wipe(&k);
	store_close(&st);
	test_store_keys();
	test_file_keys();
	rc = test_done();
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	free(cmd);
	return rc;
}
