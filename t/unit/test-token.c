/*
 * Unit tests for lib/desk/token.c: reply tokens (made, found, forged),
 * and the key: kept in the store or in a 0600 file, the same on every
 * load.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "token.h"
#include "test.h"
#include "test-desk.h"

static void
test_tokens(struct desk *d)
{
	char tok[TOKEN_MAX], *text;

	test_begin("token: t<number>-<20 hex digits>, found wherever it rides");
	token_make(&d->in.key, 42, tok, sizeof(tok));
	test_assert(strncmp(tok, "t42-", 4) == 0);
	test_assert_inteq(strlen(tok), 4 + TOKEN_MAC_HEX);
	test_assert_inteq(token_find(&d->in.key, tok), 42);
	text = xasprintf("support+%s@example.com", tok);
	test_assert_inteq(token_find(&d->in.key, text), 42);
	free(text);
	text = xasprintf("0b7c1a5e-0000.%s@example.com", tok);
	test_assert_inteq(token_find(&d->in.key, text), 42);
	free(text);
	text = xasprintf("<x.%s@example.com>", tok);
	test_assert_inteq(token_find(&d->in.key, text), 42);
	free(text);
	test_end();

	test_begin("token: another number, a changed digit, a cut MAC or a token inside a word fail");
	text = xasprintf("support+%s@example.com", tok);
	text[9] = '3';                          /* t32-… with 42's MAC */
	test_assert_inteq(token_find(&d->in.key, text), 0);
	free(text);
	text = xstrdup(tok);
	text[strlen(text) - 1] = text[strlen(text) - 1] == '0' ? '1' : '0';
	test_assert_inteq(token_find(&d->in.key, text), 0);
	text[strlen(text) - 1] = '\0';
	test_assert_inteq(token_find(&d->in.key, text), 0);
	free(text);
	text = xasprintf("prefix%s", tok);       /* not at the start of a word */
	test_assert_inteq(token_find(&d->in.key, text), 0);
	free(text);
	test_assert_inteq(token_find(&d->in.key, NULL), 0);
	test_assert_inteq(token_find(&d->in.key, "no token here"), 0);
	test_end();
}

static void
test_keys(struct desk *d)
{
	struct token_key k1, k2;
	struct stat sb;
	char *path = desk_path(d, "hmac.key"), *error = NULL;
	char tok1[TOKEN_MAX], tok2[TOKEN_MAX];
	FILE *f;

	test_begin("key: the store keeps one key; every load gives it back");
	test_assert_inteq(token_key_load(&k1, d->st, NULL, &error), 0);
	test_assert_inteq(token_key_load(&k2, d->st, NULL, &error), 0);
	test_assert(memcmp(k1.key, k2.key, TOKEN_KEY_LEN) == 0);
	test_assert(memcmp(k1.key, d->in.key.key, TOKEN_KEY_LEN) == 0);
	test_end();

	test_begin("key: a key file is made 0600 on first use, then read; it differs from the store's");
	test_assert_inteq(token_key_load(&k2, d->st, path, &error), 0);
	test_assert_inteq(stat(path, &sb), 0);
	test_assert_inteq(sb.st_mode & 0777, 0600);
	test_assert(memcmp(k1.key, k2.key, TOKEN_KEY_LEN) != 0);
	token_make(&k2, 7, tok2, sizeof(tok2));
	test_assert_inteq(token_key_load(&k1, d->st, path, &error), 0);
	token_make(&k1, 7, tok1, sizeof(tok1));
	test_assert_streq(tok1, tok2);
	test_assert_inteq(token_find(&d->in.key, tok2), 0);
	test_end();

	test_begin("key: a file that holds no key is an error, named");
	f = fopen(path, "w");
	fputs("not hex\n", f);
	fclose(f);
	test_assert_inteq(token_key_load(&k1, d->st, path, &error), -1);
	test_assert(error != NULL && strstr(error, "hmac.key") != NULL);
	free(error);
	test_end();

	test_begin("key: wiped");
	token_key_wipe(&k1);
	memset(&k2, 0, sizeof(k2));
	test_assert(memcmp(k1.key, k2.key, TOKEN_KEY_LEN) == 0);
	test_end();
	unlink(path);
	free(path);
}

int
main(void)
{
	struct desk d;

	desk_open(&d, "test-token", NULL, NULL);
	test_tokens(&d);
	test_keys(&d);
	desk_close(&d);
	return test_done();
}
