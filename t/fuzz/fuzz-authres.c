/*
 * fuzz-authres: libFuzzer target over the sender verdict and the reply
 * token scanner, the two readers of hostile header text this desk
 * trusts with a door.
 *
 * Build and run:  contrib/fuzz.sh SECONDS fuzz-authres
 *
 * Every input is parsed as a message; its Authentication-Results are
 * judged with mx.example.com trusted, and every header value is scanned
 * for reply tokens.  Checked: a pass needs the word "pass" somewhere in
 * the input, the verdict's why is printable and terminated, and every
 * token scanned is within the format's bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "mime.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
has_pass(const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 0; i + 4 <= size; i++)
		if (strncasecmp((const char *)data + i, "pass", 4) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const trusted[] = { "mx.example.com" };
	struct mime_msg *m = mime_parse((const char *)data, size, NULL);
	struct token toks[8];
	struct authres r;
	size_t i, n, k;

	authres_check(m, trusted, 1, &r);
	if (r.verdict == AUTHRES_PASS && !has_pass(data, size))
		abort();
	if (memchr(r.why, '\0', sizeof(r.why)) == NULL)
		abort();
	for (i = 0; r.why[i] != '\0'; i++)
		if ((unsigned char)r.why[i] < 0x20)
			abort();
	for (i = 0; i < m->n_headers; i++) {
		n = token_scan(m->headers[i].value, toks, 8);
		for (k = 0; k < n; k++)
			if (toks[k].number <= 0 || toks[k].number > TOKEN_MAX_NUMBER ||
			    toks[k].version < 1 || toks[k].version > TOKEN_MAX_VERSION)
				abort();
	}
	mime_msg_free(&m);
	return 0;
}
