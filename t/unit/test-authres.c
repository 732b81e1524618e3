/*
 * test-authres: the verdict on a From from Authentication-Results
 * (RFC 8601): which fields count (trusted id, topmost, above the first
 * Received below them), and what DMARC, SPF and DKIM results make of it.
 */
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "mime.h"
#include "xmalloc.h"
#include "test.h"

static const char *const trusted[] = { "mx.example.com" };

/* headers (each ending in \n) above a From of alice@acme.example; the verdict and why. */
static void
expect(const char *headers, enum authres_verdict want, const char *why)
{
	char *raw = xasprintf("%sFrom: Alice <alice@acme.example>\nTo: support@example.com\n"
			      "Subject: hello\nMessage-ID: <m1@acme.example>\n\nbody\n", headers);
	struct mime_msg *m = mime_parse(raw, strlen(raw), NULL);
	struct authres r;

	authres_check(m, trusted, 1, &r);
	if (r.verdict != want)
		printf("#   for:\n%s#   got %s (%s), want %s\n", headers, authres_verdict_name(r.verdict),
		       r.why, authres_verdict_name(want));
	test_assert_streq(authres_verdict_name(r.verdict), authres_verdict_name(want));
	if (why != NULL)
		test_assert_streq(r.why, why);
	mime_msg_free(&m);
	free(raw);
}

static void
test_results(void)
{
	test_begin("dmarc decides when it says pass or fail");
	expect("Authentication-Results: mx.example.com; dmarc=pass header.from=acme.example\n",
	       AUTHRES_PASS, "dmarc=pass");
	expect("Authentication-Results: mx.example.com;\n\tspf=pass smtp.mailfrom=alice@acme.example;\n"
	       "\tdkim=pass header.d=acme.example;\n\tdmarc=fail (p=reject dis=none) header.from=acme.example\n",
	       AUTHRES_FAIL, "dmarc=fail");
	expect("Authentication-Results: MX.Example.COM 1; DMARC=Fail header.from=acme.example\n",
	       AUTHRES_FAIL, "dmarc=fail");
	test_end();

	test_begin("dmarc about another From domain than ours is a fail (the parsers disagree)");
	expect("Authentication-Results: mx.example.com; dmarc=pass header.from=evil.example\n",
	       AUTHRES_FAIL, "dmarc:header.from=evil.example");
	expect("Authentication-Results: mx.example.com; dmarc=pass header.from=ACME.example\n",
	       AUTHRES_PASS, "dmarc=pass");
	test_end();

	test_begin("without dmarc: spf and dkim both failing is a fail");
	expect("Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=alice@acme.example;"
	       " dkim=fail header.d=acme.example\n", AUTHRES_FAIL, "spf=fail dkim=fail");
	expect("Authentication-Results: mx.example.com; spf=softfail smtp.mailfrom=acme.example;"
	       " dkim=none\n", AUTHRES_FAIL, "spf=softfail dkim=none");
	/* The classic spoof: the attacker's own envelope domain passes SPF, no signature. */
	expect("Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=bounce@evil.example;"
	       " dkim=none (no signature)\n", AUTHRES_FAIL, "spf=pass(unaligned) dkim=none");
	/* Signed, but by somebody else's domain. */
	expect("Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=acme.example;"
	       " dkim=pass header.d=evil.example\n", AUTHRES_FAIL, "spf=fail dkim=pass(unaligned)");
	test_end();

	test_begin("an aligned spf or dkim pass is a pass; a subdomain aligns");
	expect("Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=alice@mail.acme.example;"
	       " dkim=none\n", AUTHRES_PASS, "spf=pass");
	expect("Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=acme.example;"
	       " dkim=fail header.d=acme.example; dkim=pass header.i=@acme.example\n",
	       AUTHRES_PASS, "dkim=pass");
	expect("Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=x@notacme.example\n",
	       AUTHRES_NONE, NULL);
	test_end();

	test_begin("nothing decisive is none");
	expect("", AUTHRES_NONE, "");
	expect("Authentication-Results: mx.example.com; none\n", AUTHRES_NONE, "");
	expect("Authentication-Results: mx.example.com; spf=none smtp.mailfrom=acme.example;"
	       " dkim=none\n", AUTHRES_NONE, NULL);
	expect("Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=acme.example\n",
	       AUTHRES_NONE, NULL);
	expect("Authentication-Results: mx.example.com; dmarc=temperror header.from=acme.example;"
	       " spf=temperror; dkim=temperror\n", AUTHRES_NONE, NULL);
	test_end();
}

static void
test_trust(void)
{
	test_begin("another id is ignored, whatever it says");
	expect("Authentication-Results: evil.example; dmarc=pass header.from=acme.example\n",
	       AUTHRES_NONE, "");
	expect("Authentication-Results: mx.example.com.evil.example; dmarc=pass\n"
	       "Authentication-Results: mx.example.com; dmarc=fail header.from=acme.example\n",
	       AUTHRES_FAIL, "dmarc=fail");
	expect("Authentication-Results: \"mx.example.com\" ; dmarc=fail\n", AUTHRES_FAIL, "dmarc=fail");
	test_end();

	test_begin("only the topmost block counts: a trusted claim below a Received is the sender's");
	/* Our MTA said fail; the sender had written a pass into its own mail. */
	expect("Return-Path: <x@evil.example>\n"
	       "Received: from mx.example.com by imap.example.com (LMTP)\n"
	       "Authentication-Results: mx.example.com; dmarc=fail header.from=acme.example\n"
	       "Received: from evil.example (evil.example [192.0.2.66]) by mx.example.com\n"
	       "Authentication-Results: mx.example.com; dmarc=pass header.from=acme.example\n",
	       AUTHRES_FAIL, "dmarc=fail");
	/* Our MTA wrote nothing for DMARC; the forged pass below the hop is not read. */
	expect("Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=acme.example\n"
	       "Received: from evil.example by mx.example.com\n"
	       "Authentication-Results: mx.example.com; dmarc=pass header.from=acme.example\n",
	       AUTHRES_NONE, NULL);
	/* Several fields of our MTA (one per filter) read together. */
	expect("Authentication-Results: mx.example.com; dmarc=none header.from=acme.example\n"
	       "Received-SPF: softfail\n"
	       "Authentication-Results: mx.example.com; spf=softfail smtp.mailfrom=acme.example\n"
	       "Authentication-Results: mx.example.com; dkim=none\n"
	       "Received: from evil.example by mx.example.com\n",
	       AUTHRES_FAIL, "spf=softfail dkim=none");
	test_end();

	test_begin("in the block the topmost result wins, but a lower fail still counts");
	expect("Authentication-Results: mx.example.com; dmarc=pass header.from=acme.example\n"
	       "Authentication-Results: mx.example.com; dmarc=fail header.from=acme.example\n",
	       AUTHRES_FAIL, "dmarc=fail");
	expect("Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=acme.example; dkim=none\n"
	       "Authentication-Results: mx.example.com; dkim=pass header.d=acme.example\n",
	       AUTHRES_FAIL, NULL);
	test_end();

	test_begin("no trusted id configured: off");
	{
		const char *raw = "Authentication-Results: mx.example.com; dmarc=fail\n"
			"From: a@acme.example\n\nx\n";
		struct mime_msg *m = mime_parse(raw, strlen(raw), NULL);
		struct authres r;

		authres_check(m, NULL, 0, &r);
		test_assert_inteq(r.verdict, AUTHRES_OFF);
		mime_msg_free(&m);
	}
	test_end();
}

static void
test_hostile(void)
{
	struct buf b = BUF_INIT;
	int i;

	test_begin("hostile fields: unclosed comments and quotes, long words, many results");
	expect("Authentication-Results: mx.example.com; dmarc=fail (unclosed\n", AUTHRES_FAIL, NULL);
	expect("Authentication-Results: mx.example.com; dmarc=\"pass\n", AUTHRES_PASS, NULL);
	expect("Authentication-Results: (c (nested)) mx.example.com (c) ; (x) dmarc (y) = (z) fail\n",
	       AUTHRES_FAIL, "dmarc=fail");
	expect("Authentication-Results: ; dmarc=fail\n", AUTHRES_NONE, NULL);
	expect("Authentication-Results: mx.example.com dmarc=fail\n", AUTHRES_NONE, NULL);
	buf_adds(&b, "Authentication-Results: mx.example.com");
	for (i = 0; i < 200; i++)
		buf_adds(&b, "; spf=pass smtp.mailfrom=evil.example");
	buf_adds(&b, "; dmarc=fail\n");
	/* Past AUTHRES_MAX_RESULTS the rest of the field is not read: no dmarc. */
	expect(buf_str(&b), AUTHRES_NONE, NULL);
	buf_reset(&b);
	buf_adds(&b, "Authentication-Results: ");
	for (i = 0; i < 400; i++)
		buf_adds(&b, "mx.example.com");
	buf_adds(&b, "; dmarc=pass\n");
	expect(buf_str(&b), AUTHRES_NONE, "");
	buf_release(&b);
	test_end();
}

int
main(void)
{
	test_results();
	test_trust();
	test_hostile();
	return test_done();
}
