/* Unit tests for lib/desk/actions.c: events, outbox rows and who is told. */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "actions.h"
#include "conf.h"
#include "log.h"
#include "notify.h"
#include "sla.h"
#include "store.h"
#include "token.h"
#include "xmalloc.h"

static char tmpdir[] = "/tmp/test-actions.XXXXXX";

struct env {
	struct conf *conf;
	struct store *st;
	struct token_key key;
	struct notify n;
	struct sla *sla;
	struct actions a;
};

static const char *
src_dir(void)
{
	const char *s = getenv("TICKETD_SRC");

	return s != NULL ? s : "..";
}

static struct conf *
load_conf(void)
{
	struct buf errors = BUF_INIT;
	struct conf *conf;
	char *path = xasprintf("%s/ticketd.conf", tmpdir);
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	fprintf(f, "[general]\ndatabase = %s/ticketd.db\ntemplates = %s/conf/templates\n"
		"support_address = support@example.com\nsupport_name = Example Support\n"
		"[smtp]\nurl = smtp://127.0.0.1:1\n", tmpdir, src_dir());
	fclose(f);
	if (conf_load(path, &conf, &errors) < 0) {
		printf("Bail out! conf_load: %s\n", buf_str(&errors));
		exit(1);
	}
	buf_release(&errors);
	free(path);
	return conf;
}

/* Outbox rows to rcpt of kind (NULL: any) with id > after. */
static int
rows_to(struct env *e, const char *rcpt, const char *kind, long long after)
{
	struct outbox_row *rows;
	size_t n, i;
	int count = 0;

	if (store_outbox_list(e->st, 0, 10000, &rows, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (rows[i].id > after && strcasecmp(rows[i].rcpt, rcpt) == 0 &&
		    (kind == NULL || strcmp(rows[i].kind, kind) == 0))
			count++;
	outbox_rows_free(&rows, n);
	return count;
}

static long long
last_row(struct env *e)
{
	struct outbox_row *rows;
	size_t n;
	long long id = 0;

	if (store_outbox_list(e->st, 0, 1, &rows, &n) == 0) {
		if (n > 0)
			id = rows[0].id;
		outbox_rows_free(&rows, n);
	}
	return id;
}

static size_t
n_events(struct env *e, long long ticket)
{
	struct event *ev;
	size_t n = 0;

	if (store_event_list(e->st, ticket, &ev, &n) == 0)
		event_list_free(&ev, n);
	return n;
}

/* The last event's type and data into the buffers. */
static void
last_event(struct env *e, long long ticket, char *type, char *data, int *public_r)
{
	struct event *ev;
	size_t n;

	type[0] = data[0] = '\0';
	if (store_event_list(e->st, ticket, &ev, &n) == 0 && n > 0) {
		snprintf(type, 32, "%s", ev[n - 1].type);
		snprintf(data, 64, "%s", ev[n - 1].data != NULL ? ev[n - 1].data : "");
		*public_r = ev[n - 1].public;
	}
	if (n > 0)
		event_list_free(&ev, n);
}

static void
setup(struct env *e)
{
	struct org o;
	struct contact c;
	struct agent a;
	char *error = NULL, *db;
	long long org_id;

	memset(e, 0, sizeof(*e));
	e->conf = load_conf();
	db = xasprintf("%s/ticketd.db", tmpdir);
	if (store_open(db, &e->st, &error) < 0 || token_key_load(&e->key, e->st, NULL, &error) < 0) {
		printf("Bail out! store: %s\n", error);
		exit(1);
	}
	free(db);
	e->sla = sla_new(e->conf, &error);
	if (e->sla == NULL) {
		printf("Bail out! sla: %s\n", error);
		exit(1);
	}
	e->n.conf = e->conf;
	e->n.st = e->st;
	e->n.key = &e->key;
	e->n.sla = e->sla;
	actions_init(&e->a, &e->n, e->sla, 0);

	memset(&o, 0, sizeof(o));
	o.name = "Acme";
	o.plan = "Enterprise";
	o.region = "EMEA";
	store_org_add(e->st, &o, &org_id);
	memset(&c, 0, sizeof(c));
	c.org_id = org_id;
	c.email = "alice@acme.example";
	c.name = "Alice";
	c.language = "en";
	store_contact_add(e->st, &c, NULL);
	c.email = "bob@acme.example";
	c.name = "Bob";
	c.language = "de";
	store_contact_add(e->st, &c, NULL);
	c.email = "carol@acme.example";
	c.name = "Carol";
	c.language = "ja";
	store_contact_add(e->st, &c, NULL);
	memset(&a, 0, sizeof(a));
	a.email = "agent@example.com";
	a.name = "Dana Agent";
	store_agent_add(e->st, &a, NULL);
}

static long long
new_ticket(struct env *e, const char *requester)
{
	struct ticket t;
	long long number;

	memset(&t, 0, sizeof(t));
	t.subject = "Printer on fire";
	t.requester = (char *)requester;
	t.region = "EMEA";
	t.language = "en";
	t.severity = 3;
	t.priority = 3;
	t.status = "new";
	t.created_at = 1795687200;      /* Thu 26 Nov 2026 10:00 UTC */
	if (store_ticket_create(e->st, &t) < 0) {
		printf("Bail out! %s\n", store_error(e->st));
		exit(1);
	}
	number = t.number;
	return number;
}

static void
test_comment(struct env *e, long long tn)
{
	struct action_report rep;
	struct ticket t;
	char *error = NULL, type[32], data[64];
	long long mark;
	size_t before;
	int pub = -1;

	store_participant_add(e->st, tn, "bob@acme.example", 0);

	test_begin("comment by an agent: requester and participant told, first response, open");
	mark = last_row(e);
	test_assert_inteq(action_comment(&e->a, tn, "agent@example.com", "Please restart it.", 0, NULL,
					 &rep, &error), ACTION_DONE);
	test_assert_inteq(rep.queued, 2);
	test_assert_inteq(rep.skipped, 0);
	test_assert_inteq(rows_to(e, "alice@acme.example", "comment", mark), 1);
	test_assert_inteq(rows_to(e, "bob@acme.example", "comment", mark), 1);
	test_assert_inteq(rows_to(e, "agent@example.com", NULL, mark), 0);
	test_assert(store_ticket_get(e->st, tn, &t) == 1);
	test_assert(t.first_response_at != 0);
	test_assert_streq(t.status, "open");
	ticket_release(&t);
	last_event(e, tn, type, data, &pub);
	test_assert_streq(type, "status");
	test_assert_streq(data, "new->open");
	test_end();

	test_begin("an internal note tells nobody");
	mark = last_row(e);
	test_assert_inteq(action_comment(&e->a, tn, "agent@example.com", "Between us.", 1, NULL, &rep,
					 &error), ACTION_DONE);
	test_assert_inteq(rep.queued, 0);
	test_assert_inteq(last_row(e), mark);
	last_event(e, tn, type, data, &pub);
	test_assert_streq(type, "comment");
	test_assert_inteq(pub, 0);
	test_end();

	test_begin("a participant's comment is not sent back to them");
	mark = last_row(e);
	test_assert_inteq(action_comment(&e->a, tn, "BOB@acme.example", "Me too.", 0, NULL, &rep,
					 &error), ACTION_DONE);
	test_assert_inteq(rep.queued, 1);
	test_assert_inteq(rows_to(e, "alice@acme.example", "comment", mark), 1);
	test_assert_inteq(rows_to(e, "bob@acme.example", NULL, mark), 0);
	test_end();

	test_begin("an empty comment, a missing ticket: refused, nothing written");
	before = n_events(e, tn);
	test_assert_inteq(action_comment(&e->a, tn, "agent@example.com", " \r\n", 0, NULL, &rep, &error),
			  ACTION_REFUSED);
	test_assert_streq(error, "the comment is empty");
	xfree(&error);
	test_assert_inteq(action_comment(&e->a, 999, "agent@example.com", "x", 0, NULL, &rep, &error),
			  ACTION_REFUSED);
	test_assert_streq(error, "no ticket SUP-999");
	xfree(&error);
	test_assert_inteq(n_events(e, tn), before);
	test_end();

	test_begin("agent reply by mail: only from a registered agent");
	test_assert_inteq(action_agent_reply(&e->a, tn, "alice@acme.example", "x", 0, NULL, &rep, &error),
			  ACTION_REFUSED);
	xfree(&error);
	test_assert_inteq(action_agent_reply(&e->a, tn, "agent@example.com", "By mail.", 0, NULL, &rep,
					     &error), ACTION_DONE);
	test_assert_inteq(rep.queued, 2);
	test_end();
}

static void
test_share(struct env *e, long long tn)
{
	struct action_report rep;
	char *error = NULL;
	long long mark;
	size_t before;

	test_begin("share with a registered contact tells them (shared template)");
	mark = last_row(e);
	test_assert_inteq(action_share(&e->a, tn, "carol@acme.example", "agent@example.com", &rep,
				       &error), ACTION_DONE);
	test_assert_inteq(rep.queued, 1);
	test_assert_inteq(rows_to(e, "carol@acme.example", "shared", mark), 1);
	test_assert_inteq(store_participant_has(e->st, tn, "carol@acme.example"), 1);
	test_end();

	test_begin("share again, or with the requester: unchanged");
	test_assert_inteq(action_share(&e->a, tn, "carol@acme.example", NULL, &rep, &error),
			  ACTION_UNCHANGED);
	test_assert_inteq(action_share(&e->a, tn, "alice@acme.example", NULL, &rep, &error),
			  ACTION_UNCHANGED);
	test_end();

	test_begin("share with a stranger or a bad address: refused, nothing written");
	before = n_events(e, tn);
	mark = last_row(e);
	test_assert_inteq(action_share(&e->a, tn, "eve@evil.example", NULL, &rep, &error),
			  ACTION_REFUSED);
	test_assert(error != NULL && strstr(error, "not a registered contact") != NULL);
	xfree(&error);
	test_assert_inteq(action_share(&e->a, tn, "x@y.example\r\nBcc: v@example.com", NULL, &rep,
				       &error), ACTION_REFUSED);
	xfree(&error);
	test_assert_inteq(store_participant_has(e->st, tn, "eve@evil.example"), 0);
	test_assert_inteq(n_events(e, tn), before);
	test_assert_inteq(last_row(e), mark);
	test_end();
}

static void
test_status(struct env *e, long long tn)
{
	struct action_report rep;
	char *error = NULL, type[32], data[64];
	long long mark;
	int pub;

	test_begin("status: requester and every participant told, the actor not");
	mark = last_row(e);
	test_assert_inteq(action_status(&e->a, tn, "pending", "agent@example.com", &rep, &error),
			  ACTION_DONE);
	test_assert_inteq(rep.queued, 3);
	test_assert_streq(rep.detail, "open -> pending");
	test_assert_inteq(rows_to(e, "alice@acme.example", "status", mark), 1);
	test_assert_inteq(rows_to(e, "bob@acme.example", "status", mark), 1);
	test_assert_inteq(rows_to(e, "carol@acme.example", "status", mark), 1);
	last_event(e, tn, type, data, &pub);
	test_assert_streq(type, "status");
	test_assert_streq(data, "open->pending");
	test_end();

	test_begin("status: the same again is unchanged, an unknown one refused");
	mark = last_row(e);
	test_assert_inteq(action_status(&e->a, tn, "pending", NULL, &rep, &error), ACTION_UNCHANGED);
	test_assert_inteq(action_status(&e->a, tn, "new", NULL, &rep, &error), ACTION_REFUSED);
	xfree(&error);
	test_assert_inteq(last_row(e), mark);
	test_end();

	test_begin("an undeliverable participant is skipped, the action still done");
	store_contact_set_undeliverable(e->st, "bob@acme.example", "550 5.1.1 no such user", 0);
	mark = last_row(e);
	test_assert_inteq(action_status(&e->a, tn, "resolved", NULL, &rep, &error), ACTION_DONE);
	test_assert_inteq(rep.queued, 2);
	test_assert_inteq(rep.skipped, 1);
	test_assert_inteq(rows_to(e, "bob@acme.example", NULL, mark), 0);
	test_end();

	test_begin("unshare: refused when not shared, else an event");
	test_assert_inteq(action_unshare(&e->a, tn, "eve@evil.example", NULL, &rep, &error),
			  ACTION_REFUSED);
	xfree(&error);
	test_assert_inteq(action_unshare(&e->a, tn, "carol@acme.example", NULL, &rep, &error),
			  ACTION_DONE);
	test_assert_inteq(store_participant_has(e->st, tn, "carol@acme.example"), 0);
	last_event(e, tn, type, data, &pub);
	test_assert_streq(type, "unshared");
	test_end();
}

static void
test_fields(struct env *e)
{
	struct action_report rep;
	struct ticket t;
	char *error = NULL, type[32], data[64];
	long long tn = new_ticket(e, "alice@acme.example"), mark = last_row(e);
	time_t due3, due1;
	int pub;

	store_ticket_get(e->st, tn, &t);
	sla_recompute(e->sla, e->st, &t, t.created_at);
	store_ticket_update(e->st, &t);
	due3 = t.due_at;
	ticket_release(&t);

	test_begin("severity: an event, the SLA due time recomputed, no mail");
	test_assert_inteq(action_severity(&e->a, tn, 5, NULL, &rep, &error), ACTION_REFUSED);
	xfree(&error);
	test_assert_inteq(action_severity(&e->a, tn, 1, "agent@example.com", &rep, &error),
			  ACTION_DONE);
	test_assert(store_ticket_get(e->st, tn, &t) == 1);
	test_assert_inteq(t.severity, 1);
	due1 = t.due_at;
	ticket_release(&t);
	test_assert(due3 != 0 && due1 != 0 && due1 < due3);
	last_event(e, tn, type, data, &pub);
	test_assert_streq(type, "severity");
	test_assert_streq(data, "3->1");
	test_assert_inteq(action_severity(&e->a, tn, 1, NULL, &rep, &error), ACTION_UNCHANGED);
	test_assert_inteq(last_row(e), mark);
	test_end();

	test_begin("priority: an event, no mail");
	test_assert_inteq(action_priority(&e->a, tn, 2, NULL, &rep, &error), ACTION_DONE);
	test_assert(store_ticket_get(e->st, tn, &t) == 1);
	test_assert_inteq(t.priority, 2);
	test_assert_inteq(t.severity, 1);
	ticket_release(&t);
	test_assert_inteq(last_row(e), mark);
	test_end();

	test_begin("assign: only to a registered agent");
	test_assert_inteq(action_assign(&e->a, tn, "alice@acme.example", NULL, &rep, &error),
			  ACTION_REFUSED);
	xfree(&error);
	test_assert_inteq(action_assign(&e->a, tn, "agent@example.com", NULL, &rep, &error),
			  ACTION_DONE);
	test_assert(store_ticket_get(e->st, tn, &t) == 1);
	test_assert_streq(t.assignee, "agent@example.com");
	ticket_release(&t);
	test_assert_inteq(action_assign(&e->a, tn, "AGENT@example.com", NULL, &rep, &error),
			  ACTION_UNCHANGED);
	test_end();
}

static void
test_caller_tx(struct env *e)
{
	struct actions a;
	struct action_report rep;
	char *error = NULL;
	long long tn = new_ticket(e, "alice@acme.example"), mark = last_row(e);
	size_t before = n_events(e, tn);

	test_begin("caller_tx: the caller's rollback takes the event and the mail back");
	actions_init(&a, &e->n, e->sla, 1);
	test_assert_inteq(store_begin(e->st), 0);
	test_assert_inteq(action_comment(&a, tn, "agent@example.com", "Hello.", 0, NULL, &rep, &error),
			  ACTION_DONE);
	test_assert_inteq(rep.queued, 1);
	store_rollback(e->st);
	test_assert_inteq(n_events(e, tn), before);
	test_assert_inteq(last_row(e), mark);
	test_end();
}

int
main(void)
{
	struct env e;
	char *error = NULL, *log_path, *cmd;
	long long tn;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	log_path = xasprintf("%s/ticketd.log", tmpdir);
	if (log_open(log_path, LOG_LEVEL_INFO, &error) < 0) {
		printf("Bail out! %s\n", error);
		return 1;
	}
	setup(&e);
	tn = new_ticket(&e, "alice@acme.example");
	test_comment(&e, tn);
	test_share(&e, tn);
	test_status(&e, tn);
	test_fields(&e);
	test_caller_tx(&e);

	token_key_wipe(&e.key);
	store_close(&e.st);
	sla_free(&e.sla);
	conf_free(&e.conf);
	log_close();
	free(log_path);
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(cmd);
	return test_done();
}
