/*
 * Unit tests for lib/desk/notify.c: a ticket and a real template
 * (conf/templates) into a queued outgoing mail: its headers, the reply
 * token, the language, the plan's phone offer from the configuration,
 * staff mail, skipped recipients, and a store error that must not be
 * swallowed.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "notify.h"
#include "token.h"
#include "test.h"
#include "test-desk.h"

#define T0 1795687200   /* 2026-11-26T10:00:00Z, a Thursday */

static struct desk d;
static long long org_sp2;

/* Queue template tmpl about ticket number to rcpt (lang NULL: the ticket's). */
static enum notify_result
queue(long long number, const char *tmpl, const char *rcpt, const char *lang, int staff,
      const char **why_r, char **error_r)
{
	struct notify_mail nm;
	struct ticket t;
	enum notify_result r;

	memset(&nm, 0, sizeof(nm));
	nm.tmpl = tmpl;
	nm.rcpt = rcpt;
	nm.lang = lang;
	nm.auto_submitted = "auto-replied";
	nm.staff = staff;
	if (store_ticket_get(d.st, number, &t) != 1)
		return NOTIFY_ERROR;
	r = notify_queue(&d.in.notify, &t, &nm, why_r, error_r);
	ticket_release(&t);
	return r;
}

/* The value of header name in raw (up to the line end), a copy, or NULL. */
static char *
header(const char *raw, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = raw; p != NULL && *p != '\0' && *p != '\r'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			return xstrndup(p + n + 2, strcspn(p + n + 2, "\r\n"));
	}
	return NULL;
}

static void
test_mail(void)
{
	const char *why = NULL;
	char *error = NULL, *raw = NULL, *v, tok[TOKEN_MAX];
	struct token found[2];
	long long t = desk_ticket(&d, "anna@acme.example", org_sp2, "new", T0);

	test_begin("queue: the template rendered, the ticket in the subject, threading headers");
	test_assert_inteq(queue(t, "autoresponse", "anna@acme.example", "en", 0, &why, &error),
			  NOTIFY_QUEUED);
	test_assert_inteq(desk_outbox_count(&d, "anna@acme.example", "autoresponse", &raw), 1);
	test_assert(raw != NULL && strstr(raw, "opened ticket SUP-1 for it") != NULL);
	v = header(raw, "Subject");
	test_assert_streq(v, "[SUP-1] printer on fire");
	free(v);
	v = header(raw, "Auto-Submitted");
	test_assert_streq(v, "auto-replied");
	free(v);
	test_end();

	test_begin("queue: the Message-ID and the plus address carry one token, made for the recipient");
	v = header(raw, "Message-ID");
	test_assert(v != NULL && strstr(v, "@example.com>") != NULL);
	test_assert_inteq(token_scan(v, found, 2), 1);
	test_assert_inteq(found[0].number, t);
	test_assert(token_verify(&d.in.key, &found[0], "anna@acme.example") == TOKEN_GENUINE);
	test_assert(token_verify(&d.in.key, &found[0], "bob@acme.example") == TOKEN_WRONG);
	snprintf(tok, sizeof(tok), "%s", strstr(v, ".r") != NULL ? strstr(v, ".r") + 1 : "");
	tok[strcspn(tok, "@")] = '\0';
	free(v);
	v = header(raw, "Reply-To");
	test_assert(v != NULL && strstr(v, "support+") != NULL && tok[0] != '\0' &&
		    strstr(v, tok) != NULL);
	free(v);
	test_end();

	test_begin("queue: severity 1 on a plan with the phone offer gives the region's number");
	test_assert(strstr(raw, "+358 1 234 567") == NULL);
	free(raw);
	raw = NULL;
	{
		struct ticket tk;

		store_ticket_get(d.st, t, &tk);
		tk.severity = 1;
		store_ticket_update(d.st, &tk);
		ticket_release(&tk);
	}
	test_assert_inteq(queue(t, "autoresponse", "bob@acme.example", "en", 0, &why, &error),
			  NOTIFY_QUEUED);
	desk_outbox_count(&d, "bob@acme.example", "autoresponse", &raw);
	test_assert(raw != NULL && strstr(raw, "call us at +358 1 234 567") != NULL);
	free(raw);
	test_end();

	test_begin("queue: the recipient's language, English when a template is missing");
	test_assert_inteq(queue(t, "autoresponse", "carl@acme.example", "de", 0, &why, &error),
			  NOTIFY_QUEUED);
	desk_outbox_count(&d, "carl@acme.example", NULL, &raw);
	test_assert(raw != NULL && strstr(raw, "Guten Tag") != NULL);
	free(raw);
	test_assert_inteq(queue(t, "autoresponse", "dora@acme.example", "xx", 0, &why, &error),
			  NOTIFY_QUEUED);
	desk_outbox_count(&d, "dora@acme.example", NULL, &raw);
	test_assert(raw != NULL && strstr(raw, "Thank you for contacting") != NULL);
	free(raw);
	test_end();

	test_begin("staff mail: no reply token, an id notify_is_staff_id knows");
	test_assert_inteq(queue(t, "sla_warning", "lead@example.com", "en", 1, &why, &error),
			  NOTIFY_QUEUED);
	desk_outbox_count(&d, "lead@example.com", "sla_warning", &raw);
	v = header(raw, "Message-ID");
	test_assert(v != NULL && strstr(v, ".staff@example.com>") != NULL);
	test_assert_inteq(token_scan(v, found, 2), 0);
	v[strlen(v) - 1] = '\0';
	test_assert(notify_is_staff_id(d.conf, v + 1));
	free(v);
	v = header(raw, "Reply-To");
	test_assert(v == NULL);
	free(raw);
	test_assert(!notify_is_staff_id(d.conf, "abc.t1-x@example.com"));
	test_assert(!notify_is_staff_id(d.conf, "abc.staff@elsewhere.example"));
	test_assert(!notify_is_staff_id(d.conf, NULL));
	test_end();
}

static void
test_skipped(void)
{
	const char *why = NULL;
	char *error = NULL;
	long long t = desk_ticket(&d, "gone@acme.example", 0, "open", T0);
	struct event *ev;
	size_t n;

	test_begin("skipped: an invalid address, and an undeliverable one with an event saying so");
	test_assert_inteq(queue(t, "comment", "not an address", "en", 0, &why, &error),
			  NOTIFY_SKIPPED);
	test_assert_streq(why, "invalid address");
	store_contact_set_undeliverable(d.st, "gone@acme.example", "550 no such user", T0);
	test_assert_inteq(queue(t, "comment", "gone@acme.example", "en", 0, &why, &error),
			  NOTIFY_SKIPPED);
	test_assert_streq(why, "undeliverable");
	test_assert_inteq(desk_outbox_count(&d, "gone@acme.example", NULL, NULL), 0);
	test_assert_inteq(store_event_list(d.st, t, &ev, &n), 0);
	test_assert_inteq(n, 1);
	if (n == 1) {
		test_assert_streq(ev[0].type, "mail_skipped");
		test_assert(strstr(ev[0].body, "550 no such user") != NULL);
	}
	event_list_free(&ev, n);
	test_end();

	test_begin("names: SUP-N with the configured prefix");
	{
		char name[NOTIFY_TICKET_NAME_MAX];

		notify_ticket_name(d.conf, 1234567, name, sizeof(name));
		test_assert_streq(name, "SUP-1234567");
	}
	test_end();
}

/* A store that fails: the organisations table renamed away behind its back. */
static void
test_store_error(void)
{
	const char *why = NULL;
	char *error = NULL;
	sqlite3 *db;
	long long t = desk_ticket(&d, "anna@acme.example", org_sp2, "open", T0);
	int rc;

	test_begin("store error: the plan lookup fails the mail instead of dropping the plan");
	rc = sqlite3_open(d.conf->database, &db);
	test_assert_inteq(rc, SQLITE_OK);
	test_assert_inteq(sqlite3_exec(db, "ALTER TABLE orgs RENAME TO orgs_gone", NULL, NULL, NULL),
			  SQLITE_OK);
	test_assert_inteq(queue(t, "comment", "anna@acme.example", "en", 0, &why, &error),
			  NOTIFY_ERROR);
	test_assert(error != NULL && strstr(error, "unable to read the ticket's plan") != NULL);
	free(error);
	sqlite3_exec(db, "ALTER TABLE orgs_gone RENAME TO orgs", NULL, NULL, NULL);
	sqlite3_close(db);
	test_end();
}

int
main(void)
{
	desk_open(&d, "test-notify", "plus_addressing = yes\ndefault_region = EMEA\n",
		  "[region EMEA]\ntimezone = Europe/Helsinki\nhours = 24x7\nphone = +358 1 234 567\n"
		  "language = en\n");
	log_open("/dev/null", LOG_LEVEL_ERROR, NULL);
	org_sp2 = desk_org(&d, "Acme", "SP2", "EMEA", NULL, 0);
	test_mail();
	test_skipped();
	test_store_error();
	desk_close(&d);
	return test_done();
}
