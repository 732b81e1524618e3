/*
 * Unit tests for lib/desk/decide.c (and ingest around it): what becomes
 * of an inbound message and why (SPEC section 5), against a real store
 * with registered organisations, contacts and agents.  decide_message
 * writes nothing, so each case reads one mail; ingest_message is used
 * where a case needs the store to have seen an earlier one.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "decide.h"
#include "ingest.h"
#include "log.h"
#include "mail.h"
#include "notify.h"
#include "token.h"
#include "test.h"
#include "test-desk.h"

#define T0 1795687200   /* 2026-11-26T10:00:00Z, a Thursday */

static struct desk d;
static long long acme, globex;

static const struct ingest_source src = { .mailbox = "support" };

/* A mail: the header lines given (Date and Message-ID added when absent), a body. */
static char *
mail(const char *headers, const char *body)
{
	return xasprintf("%s%s%s\n%s\n",
			 headers,
			 strstr(headers, "Date:") != NULL ? "" : "Date: Thu, 26 Nov 2026 10:00:00 +0000\n",
			 strstr(headers, "Message-ID:") != NULL ? "" : "Message-ID: <m@example.org>\n",
			 body);
}

/* Decide raw; the decision in *dec (release it). */
static void
decide(const char *raw, struct decision *dec)
{
	struct mail m;
	char *error = NULL;

	mail_read(&m, raw, strlen(raw), NULL);
	if (decide_message(&d.in, &m, &src, dec, &error) < 0) {
		printf("# decide: %s\n", error);
		free(error);
		memset(dec, 0, sizeof(*dec));
		dec->fate = "error";
		dec->rule = "error";
	}
	mail_release(&m);
}

/* dec has fate, rule and ticket; released. */
static void
expect_decision(struct decision *dec, const char *fate, const char *rule, long long ticket)
{
	test_assert_streq(dec->fate, fate);
	test_assert_streq(dec->rule, rule);
	test_assert_inteq(dec->ticket, ticket);
	decision_release(dec);
}

static void
expect(const char *raw, const char *fate, const char *rule, long long ticket)
{
	struct decision dec;

	decide(raw, &dec);
	expect_decision(&dec, fate, rule, ticket);
}

/* decide a mail whose header lines are printf(fmt, …), with body. */
static void decidef(struct decision *dec, const char *body, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
decidef(struct decision *dec, const char *body, const char *fmt, ...)
{
	struct buf hdr = BUF_INIT;
	va_list ap;
	char *raw;

	va_start(ap, fmt);
	buf_vaddf(&hdr, fmt, ap);
	va_end(ap);
	raw = mail(buf_str(&hdr), body);
	decide(raw, dec);
	free(raw);
	buf_release(&hdr);
}

/* ingest_message raw; the ticket it landed on (0 when none). */
static long long
ingest(const char *raw)
{
	struct ingest_result res;
	long long t;

	if (ingest_message(&d.in, raw, strlen(raw), &src, &res) != INGEST_OK)
		printf("# ingest: %s\n", res.line);
	t = res.ticket;
	ingest_result_release(&res);
	return t;
}

static void
setup(void)
{
	desk_open(&d, "test-decide", "max_message_size = 4K\nreopen_closed = no\n"
		  "trusted_authserv_id = mx.example.com\nreply_token_lifetime = 30d\n", NULL);
	log_open("/dev/null", LOG_LEVEL_ERROR, NULL);
	acme = desk_org(&d, "Acme", "SP2", "APAC", "acme.example", 0);
	globex = desk_org(&d, "Globex", "SP1", "AMER", "globex.example", 1);
	desk_contact(&d, "anna@acme.example", acme, "de");
	desk_contact(&d, "bob@acme.example", acme, NULL);
	desk_contact(&d, "eve@other.example", 0, NULL);
	desk_agent(&d, "sam@example.com", "Sam Support");
}

static void
test_screen(void)
{
	char *raw, big[5000];

	test_begin("screen: no From is unparseable, over max_message_size too large");
	raw = mail("To: support@example.com\n", "hello");
	expect(raw, "unparseable", "parse", 0);
	free(raw);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	raw = mail("From: anna@acme.example\nTo: support@example.com\n", big);
	expect(raw, "too_large", "limit", 0);
	free(raw);
	test_end();

	test_begin("screen: our own mail coming back is a loop (X-Loop, our From)");
	raw = mail("From: someone@acme.example\nX-Loop: support@example.com\n", "x");
	expect(raw, "loop", "loop", 0);
	free(raw);
	raw = mail("From: Support <support+t1-abc@example.com>\n", "x");
	expect(raw, "loop", "loop", 0);
	free(raw);
	test_end();
}

static void
test_new(void)
{
	struct decision dec;
	char *raw;
	long long t;

	test_begin("new: a registered contact opens a ticket with the org's region and their language");
	raw = mail("From: Anna <anna@acme.example>\nTo: support@example.com\n"
		   "Subject: [Sev1] Drucker brennt\nMessage-ID: <n1@acme.example>\n",
		   "Der Drucker brennt seit heute Morgen.");
	decide(raw, &dec);
	test_assert_streq(dec.fate, "created");
	test_assert_streq(dec.rule, "new");
	test_assert_streq(dec.requester, "anna@acme.example");
	test_assert_streq(dec.region, "APAC");
	test_assert_streq(dec.language, "de");
	test_assert_inteq(dec.severity, 1);
	test_assert_inteq(dec.org_id, acme);
	test_assert_inteq(dec.autorespond, 1);
	decision_release(&dec);
	test_end();

	test_begin("new: the same message again is a duplicate of its ticket");
	t = ingest(raw);
	test_assert(t > 0);
	expect(raw, "duplicate", "duplicate", t);
	free(raw);
	test_end();

	test_begin("new: an unregistered sender is refused, politely unless automatic");
	raw = mail("From: stranger@nowhere.example\n", "help");
	decide(raw, &dec);
	test_assert_streq(dec.fate, "rejected_unregistered");
	test_assert_inteq(dec.autorespond, 1);
	decision_release(&dec);
	free(raw);
	raw = mail("From: stranger@nowhere.example\nAuto-Submitted: auto-generated\n"
		   "Message-ID: <u2@nowhere.example>\n", "help");
	decide(raw, &dec);
	test_assert_inteq(dec.autorespond, 0);
	decision_release(&dec);
	free(raw);
	test_end();

	test_begin("new: an auto-registering domain registers its sender; a cited missing number is named");
	raw = mail("From: carl@globex.example\nSubject: about SUP-999\nMessage-ID: <g1@globex.example>\n",
		   "hello");
	decide(raw, &dec);
	test_assert_streq(dec.fate, "created");
	test_assert_inteq(dec.auto_register, 1);
	test_assert_inteq(dec.org_id, globex);
	test_assert_inteq(dec.missing, 999);
	test_assert_streq(dec.region, "AMER");
	decision_release(&dec);
	free(raw);
	test_end();
}

/*
 * anna's reply with n well-formed tokens of ticket t with made-up MACs in
 * To, then her genuine token in In-Reply-To; decided into *dec.
 */
static void
forged_reply(struct decision *dec, int n, long long t, const char *token, const char *msgid)
{
	struct buf to = BUF_INIT;
	long long start = clock_mono_ms();
	int i;

	buf_adds(&to, "To: ");
	for (i = 0; i < n; i++)
		buf_addf(&to, "%ssupport+r%lld-1-aaaaaaaaaaaaaaaaaa%c%c@example.com", i > 0 ? "," : "",
			 t, 'a' + i / 26, 'a' + i % 26);
	decidef(dec, "a reply", "From: anna@acme.example\n%s\nIn-Reply-To: <x.%s@example.com>\n"
		"Message-ID: <%s>\n", buf_str(&to), token, msgid);
	printf("# %d forged tokens: %lld ms, fate %s by %s\n", n, clock_mono_ms() - start,
	       dec->fate, dec->rule);
	buf_release(&to);
}

static void
test_threads(void)
{
	struct decision dec;
	struct store_message sm;
	char token[TOKEN_MAX], *raw;
	long long t = desk_ticket(&d, "anna@acme.example", acme, "open", T0);
	long long closed = desk_ticket(&d, "bob@acme.example", acme, "closed", T0);

	memset(&sm, 0, sizeof(sm));
	sm.ticket = t;
	sm.direction = "out";
	sm.message_id = "out-1@example.com";
	sm.at = T0;
	sm.raw = "x";
	sm.raw_len = 1;
	store_message_add(d.st, &sm, NULL);

	test_begin("thread: a reply token made for the sender names the ticket (token=own)");
	token_make(&d.in.key, t, "anna@acme.example", clock_now(), token, sizeof(token));
	decidef(&dec, "a reply", "From: Anna@Acme.example\nTo: support+%s@example.com\n"
		"Message-ID: <r1@acme.example>\n", token);
	test_assert_streq(dec.token, "own");
	test_assert_inteq(dec.sender_allowed, 1);
	expect_decision(&dec, "followup", "token", t);
	test_end();

	test_begin("thread: someone else's token routes, and the sender check decides");
	/* Our mail to anna about t, as notify queues it: the token is checked against its rcpt. */
	store_outbox_add(d.st, t, "comment", "support@example.com", "anna@acme.example",
			 "out-2@example.com", "x", 1, T0, NULL);
	decidef(&dec, "a reply", "From: eve@other.example\nTo: support+%s@example.com\n"
		"Message-ID: <r1b@other.example>\n", token);
	test_assert_streq(dec.token, "other");
	test_assert_inteq(dec.cited, t);
	test_assert_inteq(dec.sender_allowed, 0);
	expect_decision(&dec, "rejected_stranger", "token", 0);
	decidef(&dec, "a reply", "From: bob@acme.example\nTo: support+%s@example.com\n"
		"Message-ID: <r1c@acme.example>\n", token);
	test_assert_streq(dec.token, "other");
	expect_decision(&dec, "followup", "token", t);
	test_end();

	test_begin("thread: at most 16 tokens are checked per mail (forged ones cost no more)");
	forged_reply(&dec, 20, t, token, "r1h@acme.example");
	test_assert(strcmp(dec.fate, "too_large") != 0);
	test_assert(dec.token == NULL);
	test_assert(strcmp(dec.rule, "token") != 0);
	decision_release(&dec);
	/* 15 forged ones leave the budget for the genuine one. */
	forged_reply(&dec, 15, t, token, "r1i@acme.example");
	test_assert_streq(dec.token, "own");
	decision_release(&dec);
	test_end();

	test_begin("thread: an expired token (reply_token_lifetime 30d) counts for nothing more");
	token_make(&d.in.key, t, "anna@acme.example", clock_now() - 40 * 86400, token, sizeof(token));
	decidef(&dec, "a reply", "From: eve@other.example\nTo: support+%s@example.com\n"
		"Message-ID: <r1d@other.example>\n", token);
	test_assert_streq(dec.token, "expired");
	expect_decision(&dec, "rejected_stranger", "token", 0);
	decidef(&dec, "a reply", "From: anna@acme.example\nTo: support+%s@example.com\n"
		"Message-ID: <r1e@acme.example>\n", token);
	test_assert_streq(dec.token, "expired");
	expect_decision(&dec, "followup", "token", t);
	test_end();

	test_begin("thread: a token made for a participant since removed routes only");
	store_participant_add(d.st, t, "carl@elsewhere.example", T0);
	token_make(&d.in.key, t, "carl@elsewhere.example", clock_now(), token, sizeof(token));
	decidef(&dec, "a reply", "From: carl@elsewhere.example\nTo: support+%s@example.com\n"
		"Message-ID: <r1f@elsewhere.example>\n", token);
	test_assert_streq(dec.token, "own");
	expect_decision(&dec, "followup", "token", t);
	store_participant_remove(d.st, t, "carl@elsewhere.example");
	decidef(&dec, "a reply", "From: carl@elsewhere.example\nTo: support+%s@example.com\n"
		"Message-ID: <r1g@elsewhere.example>\n", token);
	test_assert_streq(dec.token, "removed");
	test_assert_inteq(dec.cited, t);
	expect_decision(&dec, "rejected_stranger", "token", 0);
	test_end();

	test_begin("thread: a forged token is no token");
	decidef(&dec, "a reply", "From: bob@acme.example\n"
		"To: support+t%lld-00000000000000000000@example.com\nMessage-ID: <r2@acme.example>\n", t);
	expect_decision(&dec, "created", "new", 0);
	test_end();

	test_begin("thread: In-Reply-To our message; the subject number from the requester");
	decidef(&dec, "same org", "From: bob@acme.example\nIn-Reply-To: <out-1@example.com>\n"
		"Message-ID: <r3@acme.example>\n");
	expect_decision(&dec, "followup", "headers", t);
	decidef(&dec, "still burning", "From: anna@acme.example\nSubject: Re: [SUP-%lld] printer\n"
		"Message-ID: <r4@acme.example>\n", t);
	expect_decision(&dec, "followup", "subject", t);
	test_end();

	test_begin("thread: a stranger citing a ticket gets one of their own, the ticket noted");
	decidef(&dec, "let me in", "From: eve@other.example\nSubject: [SUP-%lld]\n"
		"Message-ID: <r5@other.example>\n", t);
	test_assert_inteq(dec.cited, t);
	test_assert_streq(dec.requester, "eve@other.example");
	expect_decision(&dec, "rejected_stranger", "subject", 0);
	test_end();

	test_begin("thread: a reply to a closed ticket opens a new one naming it; an agent's is a followup");
	decidef(&dec, "again", "From: bob@acme.example\nSubject: Re: [SUP-%lld]\n"
		"Message-ID: <r6@acme.example>\n", closed);
	test_assert_inteq(dec.previous, closed);
	expect_decision(&dec, "created", "subject", 0);
	decidef(&dec, "a note", "From: sam@example.com\nSubject: Re: [SUP-%lld]\n"
		"Message-ID: <r7@example.com>\n", closed);
	test_assert_inteq(dec.sender_is_agent, 1);
	expect_decision(&dec, "followup", "subject", closed);
	test_end();

	test_begin("auth: a From our MTA failed is nobody; other ids and lower claims are not read");
	token_make(&d.in.key, t, "anna@acme.example", clock_now(), token, sizeof(token));
	decidef(&dec, "#close", "Authentication-Results: mx.example.com; dmarc=fail header.from=acme.example\n"
		"From: anna@acme.example\nTo: support+%s@example.com\nMessage-ID: <f1@evil.example>\n",
		token);
	test_assert_inteq(dec.auth, AUTHRES_FAIL);
	test_assert_inteq(dec.sender_allowed, 0);
	test_assert_inteq(dec.autorespond, 0);
	test_assert(dec.requester == NULL);
	test_assert_inteq(dec.cited, t);
	expect_decision(&dec, "rejected_stranger", "token", 0);
	decidef(&dec, "new", "Authentication-Results: mx.example.com; spf=softfail smtp.mailfrom=acme.example;"
		" dkim=none\nFrom: sam@example.com\nSubject: hello\nMessage-ID: <f2@evil.example>\n");
	test_assert_inteq(dec.sender_is_agent, 0);
	test_assert_inteq(dec.autorespond, 0);
	expect_decision(&dec, "rejected_unregistered", "auth", 0);
	decidef(&dec, "new", "Authentication-Results: evil.example; dmarc=pass\n"
		"Authentication-Results: mx.example.com; dmarc=fail\n"
		"From: anna@acme.example\nSubject: [SUP-%lld]\nMessage-ID: <f3@evil.example>\n", t);
	test_assert_inteq(dec.auth, AUTHRES_FAIL);
	expect_decision(&dec, "rejected_stranger", "subject", 0);
	decidef(&dec, "fine", "Authentication-Results: mx.example.com; dmarc=pass header.from=acme.example\n"
		"From: anna@acme.example\nSubject: [SUP-%lld]\nMessage-ID: <f4@acme.example>\n", t);
	test_assert_inteq(dec.auth, AUTHRES_PASS);
	expect_decision(&dec, "followup", "subject", t);
	decidef(&dec, "fine", "From: anna@acme.example\nSubject: [SUP-%lld]\nMessage-ID: <f5@acme.example>\n", t);
	test_assert_inteq(dec.auth, AUTHRES_NONE);
	expect_decision(&dec, "followup", "subject", t);
	test_end();

	test_begin("robots: an auto-reply to our mail lands on its ticket and notifies nobody");
	raw = mail("From: anna@acme.example\nAuto-Submitted: auto-replied\n"
		   "Subject: Out of office\nIn-Reply-To: <out-1@example.com>\n"
		   "Message-ID: <a1@acme.example>\n", "I am away.");
	expect(raw, "auto_reply", "headers", t);
	free(raw);
	test_end();

	test_begin("robots: a DSN for our mail is a bounce on its ticket, naming the recipient");
	raw = xasprintf("From: MAILER-DAEMON@mx.acme.example\nTo: support@example.com\n"
			"Subject: Undelivered Mail Returned to Sender\nMessage-ID: <b1@mx.acme.example>\n"
			"Date: Thu, 26 Nov 2026 10:00:00 +0000\nMIME-Version: 1.0\n"
			"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
			"--B\nContent-Type: text/plain\n\nI could not deliver it.\n"
			"--B\nContent-Type: message/delivery-status\n\n"
			"Reporting-MTA: dns; mx.acme.example\n\n"
			"Final-Recipient: rfc822; gone@acme.example\nAction: failed\nStatus: 5.1.1\n"
			"--B\nContent-Type: text/rfc822-headers\n\n"
			"Message-ID: <out-1@example.com>\nFrom: support@example.com\n--B--\n");
	decide(raw, &dec);
	test_assert_streq(dec.fate, "bounce");
	test_assert_streq(dec.rule, "dsn");
	test_assert_inteq(dec.ticket, t);
	test_assert_streq(dec.bounced, "gone@acme.example");
	decision_release(&dec);
	free(raw);
	test_end();
}

static void
test_apply(void)
{
	struct ticket t;
	char *raw;
	long long n;

	test_begin("ingest: a new ticket is stored with its due time and answered once");
	raw = mail("From: Bob <bob@acme.example>\nSubject: [Sev2] slow VPN\n"
		   "Message-ID: <i1@acme.example>\n", "The VPN is slow.");
	n = ingest(raw);
	test_assert(n > 0);
	test_assert_inteq(store_ticket_get(d.st, n, &t), 1);
	test_assert_inteq(t.severity, 2);
	test_assert(t.due_at > 0);
	test_assert_streq(t.requester, "bob@acme.example");
	ticket_release(&t);
	test_assert_inteq(desk_outbox_count(&d, "bob@acme.example", "autoresponse", NULL), 1);
	free(raw);
	test_end();
}

int
main(void)
{
	setup();
	test_screen();
	test_new();
	test_threads();
	test_apply();
	desk_close(&d);
	return test_done();
}
