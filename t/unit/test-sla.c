/*
 * Unit tests for lib/sla/sla.c: due times across plans and regions, their
 * localised display, and the monitor and escalation against a temporary
 * store with `now` passed in.
 *
 * Expected instants are UTC, worked out from the local times in the
 * comments (Asia/Tokyo is UTC+9 all year; Europe/Helsinki leaves summer
 * time on 2026-10-25; America/New_York is UTC-5 in late November).
 */
#include "sla.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "conf.h"
#include "escalate.h"
#include "log.h"
#include "notify.h"
#include "store.h"
#include "token.h"
#include "xmalloc.h"

#define H 3600L
#define M 60L

static char *
src_path(const char *rel)
{
	const char *src = getenv("TICKETD_SRC");
	const char *file = __FILE__, *end;

	if (src != NULL)
		return xasprintf("%s/%s", src, rel);
	end = strstr(file, "t/unit/test-sla.c");
	if (end == NULL || end == file)
		return xstrdup(rel);
	return xasprintf("%.*s%s", (int)(end - file), file, rel);
}

static char tmpdir[] = "/tmp/test-sla-XXXXXX";

static char *
write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	return path;
}

static struct conf *
load_conf(void)
{
	char *templates = src_path("conf/templates"), *holidays = src_path("conf/holidays");
	char *text, *path;
	struct buf errors = BUF_INIT;
	struct conf *conf;

	text = xasprintf(
		"[general]\n"
		"database = %s/ticketd.db\n"
		"templates = %s\n"
		"support_address = support@example.com\n"
		"default_plan = SP1\n"
		"sla_warning_percent = 80\n"
		"[region APAC]\n"
		"timezone = Asia/Tokyo\n"
		"hours = Mon-Fri 09:00-18:00\n"
		"holidays = %s/APAC.txt\n"
		"phone = +81 50 5050 9161\n"
		"weekend_phone = +81 3 0000 0000\n"
		"language = ja\n"
		"escalation0 = analyst@apac.example\n"
		"escalation1 = engineer@apac.example\n"
		"escalation2 = senior@apac.example\n"
		"escalation3 = lead@apac.example\n"
		"escalation4 = vp@apac.example\n"
		"[region EMEA]\n"
		"timezone = Europe/Helsinki\n"
		"hours = Mon-Fri 08:00-17:00\n"
		"holidays = %s/EMEA.txt\n"
		"language = en\n"
		"escalation3 = lead@emea.example\n"
		"[region AMER]\n"
		"timezone = America/New_York\n"
		"hours = Mon-Fri 08:00-17:00\n"
		"holidays = %s/AMER.txt\n"
		"language = en\n"
		"[plan SP1]\n"
		"target_sev1 = 8h\ntarget_sev2 = 16h\ntarget_sev3 = 24h\ntarget_sev4 = 40h\n"
		"[plan SP2]\n"
		"target_sev1 = 4h\ntarget_sev2 = 8h\ntarget_sev3 = 16h\ntarget_sev4 = 24h\n"
		"phone_sev1 = yes\n"
		"[plan Enterprise]\n"
		"target_sev1 = 1h\ntarget_sev2 = 2h\ntarget_sev3 = 4h\ntarget_sev4 = 8h\n"
		"sev1_24x7 = yes\nphone_sev1 = yes\n",
		tmpdir, templates, holidays, holidays, holidays);
	path = write_file("ticketd.conf", text);
	if (conf_load(path, &conf, &errors) < 0) {
		printf("# conf_load: %s\n", buf_str(&errors));
		exit(1);
	}
	buf_release(&errors);
	free(text);
	free(path);
	free(templates);
	free(holidays);
	return conf;
}

static void
test_due(const struct conf *conf, const struct sla *sla)
{
	const struct conf_plan *sp1 = conf_plan(conf, "SP1"), *sp2 = conf_plan(conf, "SP2");
	const struct conf_plan *ent = conf_plan(conf, "Enterprise");

	test_begin("due: SP2 APAC sev1, Friday 16:00 Tokyo, lands Monday 11:00");
	/* Fri 27 Nov 16:00 JST: 2h to 18:00, 2h more from Mon 30 Nov 09:00. */
	test_assert_inteq(sla_due(sla, sp2, "APAC", 1, utc(2026, 11, 27, 7, 0)),
			  utc(2026, 11, 30, 2, 0));
	test_end();

	test_begin("due: created on a Saturday, the clock starts at Monday's opening");
	test_assert_inteq(sla_due(sla, sp2, "APAC", 1, utc(2026, 11, 28, 3, 0)),
			  utc(2026, 11, 30, 4, 0));
	/* Overnight: Tue 23:00 JST counts from Wed 09:00. */
	test_assert_inteq(sla_due(sla, sp2, "APAC", 1, utc(2026, 11, 24, 14, 0)),
			  utc(2026, 11, 25, 4, 0));
	test_end();

	test_begin("due: a holiday is skipped (Mon 23 Nov 2026, Labour Thanksgiving Day)");
	test_assert_inteq(sla_due(sla, sp2, "APAC", 1, utc(2026, 11, 20, 7, 0)),
			  utc(2026, 11, 24, 2, 0));
	test_end();

	test_begin("due: Enterprise sev1 runs 24x7, on a Sunday too");
	/* Sun 29 Nov 10:00 JST + 1h. */
	test_assert_inteq(sla_due(sla, ent, "APAC", 1, utc(2026, 11, 29, 1, 0)),
			  utc(2026, 11, 29, 2, 0));
	/* On a holiday as well. */
	test_assert_inteq(sla_due(sla, ent, "APAC", 1, utc(2026, 11, 23, 1, 0)),
			  utc(2026, 11, 23, 2, 0));
	test_end();

	test_begin("due: Enterprise sev2 waits for business hours");
	test_assert_inteq(sla_due(sla, ent, "APAC", 2, utc(2026, 11, 29, 1, 0)),
			  utc(2026, 11, 30, 2, 0));
	test_end();

	test_begin("due: across the end of summer time (Helsinki)");
	/* Fri 23 Oct 15:00 EEST (12:00Z): 2h; Mon 26 Oct 08:00 EET (06:00Z) + 6h. */
	test_assert_inteq(sla_due(sla, sp1, "EMEA", 1, utc(2026, 10, 23, 12, 0)),
			  utc(2026, 10, 26, 12, 0));
	test_end();

	test_begin("due: Thanksgiving in AMER");
	/* Wed 25 Nov 16:00 EST (21:00Z): 1h; Thu holiday; Fri 27 08:00 EST + 7h. */
	test_assert_inteq(sla_due(sla, sp2, "AMER", 2, utc(2026, 11, 25, 21, 0)),
			  utc(2026, 11, 27, 20, 0));
	test_end();

	test_begin("due: no plan, unknown region or bad severity: no target");
	test_assert_inteq(sla_due(sla, NULL, "APAC", 1, utc(2026, 11, 27, 7, 0)), 0);
	test_assert_inteq(sla_due(sla, sp2, "MARS", 1, utc(2026, 11, 27, 7, 0)), 0);
	test_assert_inteq(sla_due(sla, sp2, "APAC", 0, utc(2026, 11, 27, 7, 0)), 0);
	test_assert_inteq(sla_due(sla, sp2, "APAC", 5, utc(2026, 11, 27, 7, 0)), 0);
	test_end();

	test_begin("business time: open, closed, unknown region");
	test_assert_inteq(sla_is_business_time(sla, "APAC", utc(2026, 11, 27, 7, 0)), 1);
	test_assert_inteq(sla_is_business_time(sla, "APAC", utc(2026, 11, 28, 7, 0)), 0);
	test_assert_inteq(sla_is_business_time(sla, "MARS", utc(2026, 11, 27, 7, 0)), 0);
	test_end();
}

static void
check_format(const struct sla *sla, const char *region, const char *lang, time_t t,
	     const char *want)
{
	char *s = sla_format_due(sla, region, lang, t);

	test_assert_streq(s, want);
	free(s);
}

static void
test_format(const struct sla *sla)
{
	time_t t = utc(2026, 11, 27, 4, 0);    /* Fri 13:00 in Tokyo */
	char d[32];

	test_begin("format: the due time in the customer's zone and language");
	check_format(sla, "APAC", "ja", t, "2026年11月27日(金) 13:00 (Asia/Tokyo)");
	check_format(sla, "APAC", "en", t, "Fri 27 Nov 2026 13:00 (Asia/Tokyo)");
	check_format(sla, "APAC", "de", t, "Fr. 27.11.2026 13:00 (Asia/Tokyo)");
	check_format(sla, "APAC", "fr", t, "ven. 27 nov. 2026 13:00 (Asia/Tokyo)");
	check_format(sla, "APAC", "es", t, "vie 27/11/2026 13:00 (Asia/Tokyo)");
	check_format(sla, "APAC", "fi", t, "pe 27.11.2026 klo 13.00 (Asia/Tokyo)");
	check_format(sla, "APAC", "zh", t, "2026年11月27日 星期五 13:00 (Asia/Tokyo)");
	check_format(sla, "APAC", NULL, t, "Fri 27 Nov 2026 13:00 (Asia/Tokyo)");
	check_format(sla, "APAC", "xx", t, "Fri 27 Nov 2026 13:00 (Asia/Tokyo)");
	test_end();

	test_begin("format: other zones, DST, unknown region in UTC");
	check_format(sla, "EMEA", "de", utc(2026, 10, 23, 12, 0), "Fr. 23.10.2026 15:00 (Europe/Helsinki)");
	check_format(sla, "EMEA", "de", utc(2026, 10, 26, 12, 0), "Mo. 26.10.2026 14:00 (Europe/Helsinki)");
	check_format(sla, "AMER", "en", utc(2026, 11, 27, 20, 0), "Fri 27 Nov 2026 15:00 (America/New_York)");
	check_format(sla, "MARS", "en", t, "Fri 27 Nov 2026 04:00 (UTC)");
	test_end();

	test_begin("format: durations");
	sla_format_duration(3 * H + 5 * M, d, sizeof(d));
	test_assert_streq(d, "3h 05m");
	sla_format_duration(-(80 * M), d, sizeof(d));
	test_assert_streq(d, "-1h 20m");
	sla_format_duration(30 * H, d, sizeof(d));
	test_assert_streq(d, "30h 00m");
	test_end();
}

/* ---- against a store ---- */

struct env {
	const struct conf *conf;
	struct sla *sla;
	struct store *st;
	struct token_key key;
	struct notify n;
	long long sp2_org;
};

static long long
add_org(struct env *e, const char *name, const char *plan, const char *region)
{
	struct org o;
	long long id = 0;

	memset(&o, 0, sizeof(o));
	o.name = (char *)name;
	o.plan = (char *)plan;
	o.region = (char *)region;
	if (store_org_add(e->st, &o, &id) < 0) {
		printf("# store_org_add: %s\n", store_error(e->st));
		exit(1);
	}
	return id;
}

static long long
add_ticket(struct env *e, long long org, const char *region, int severity, time_t created)
{
	struct ticket t;
	long long number;

	memset(&t, 0, sizeof(t));
	t.subject = (char *)"Production down";
	t.requester = (char *)"taro@customer.example";
	t.requester_name = (char *)"Taro Yamada";
	t.org_id = org;
	t.region = (char *)region;
	t.language = (char *)"ja";
	t.severity = severity;
	t.priority = 1;
	t.status = (char *)"new";
	t.created_at = created;
	if (sla_ticket_due(e->sla, e->st, &t, &t.due_at) < 0 || store_ticket_create(e->st, &t) < 0) {
		printf("# create ticket: %s\n", store_error(e->st));
		exit(1);
	}
	number = t.number;
	return number;
}

static struct ticket
get(struct env *e, long long number)
{
	struct ticket t;

	memset(&t, 0, sizeof(t));
	if (store_ticket_get(e->st, number, &t) != 1) {
		printf("# no ticket %lld\n", number);
		exit(1);
	}
	return t;
}

/* Resolve a ticket so later monitor passes leave it alone. */
static void
resolve(struct env *e, long long number)
{
	struct ticket t = get(e, number);

	free(t.status);
	t.status = xstrdup("resolved");
	if (store_ticket_update(e->st, &t) < 0)
		printf("# resolve: %s\n", store_error(e->st));
	ticket_release(&t);
}

/* Events of type on ticket. */
static int
count_events(struct env *e, long long number, const char *type)
{
	struct event *ev;
	size_t n, i;
	int count = 0;

	if (store_event_list(e->st, number, &ev, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(ev[i].type, type) == 0)
			count++;
	event_list_free(&ev, n);
	return count;
}

/* Outbox mails for ticket (kind NULL: any, rcpt NULL: any). */
static int
count_mail(struct env *e, long long number, const char *kind, const char *rcpt)
{
	struct outbox_row *rows;
	size_t n, i;
	int count = 0;

	if (store_outbox_list(e->st, 0, 1000, &rows, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (rows[i].ticket == number && (kind == NULL || strcmp(rows[i].kind, kind) == 0) &&
		    (rcpt == NULL || strcmp(rows[i].rcpt, rcpt) == 0))
			count++;
	outbox_rows_free(&rows, n);
	return count;
}

/* More tickets than one page of the monitor (ESCALATE_PAGE): each warned once. */
static void
test_monitor_pages(struct env *e)
{
	int i, n = ESCALATE_PAGE + 88;

	test_begin("monitor: 600 tickets due, read a page at a time, each warned once");
	for (i = 0; i < n; i++)
		add_ticket(e, e->sp2_org, "APAC", 1, utc(2026, 11, 27, 7, 0));
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2026, 11, 30, 1, 13)), n);
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2026, 11, 30, 1, 14)), 0);
	test_end();
}

static void
test_monitor(struct env *e)
{
	/* SP2 APAC sev1 from Fri 27 Nov 16:00 JST: due Mon 11:00 JST (02:00Z);
	 * 80 % of 4h = 3h12m: Fri 2h + Mon 1h12m = Mon 10:12 JST (01:12Z). */
	long long a = add_ticket(e, e->sp2_org, "APAC", 1, utc(2026, 11, 27, 7, 0));
	struct ticket t;
	struct sla_status s;

	test_begin("monitor: nothing before the warning point");
	t = get(e, a);
	test_assert_inteq(t.due_at, utc(2026, 11, 30, 2, 0));
	ticket_release(&t);
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2026, 11, 30, 1, 11)), 0);
	test_assert_inteq(count_mail(e, a, NULL, NULL), 0);
	test_end();

	test_begin("status: running, then warning, with the business time left");
	t = get(e, a);
	test_assert_inteq(sla_ticket_status(e->sla, e->st, &t, utc(2026, 11, 28, 0, 0), &s), 0);
	test_assert_inteq(s.state, SLA_RUNNING);
	test_assert_inteq(s.remaining, 2 * H);  /* Saturday: Monday's 2h remain */
	test_assert_inteq(s.warn_at, utc(2026, 11, 30, 1, 12));
	test_assert_inteq(sla_ticket_status(e->sla, e->st, &t, utc(2026, 11, 30, 1, 30), &s), 0);
	test_assert_inteq(s.state, SLA_WARNING);
	test_assert_inteq(s.remaining, 30 * M);
	ticket_release(&t);
	test_end();

	test_begin("monitor: one warning at 80 %, to the level-0 contact, once");
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2026, 11, 30, 1, 13)), 1);
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2026, 11, 30, 1, 14)), 0);
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2026, 11, 30, 1, 50)), 0);
	t = get(e, a);
	test_assert_inteq(t.sla_warned, 1);
	test_assert_inteq(t.sla_breached, 0);
	test_assert_inteq(t.level, 0);
	ticket_release(&t);
	test_assert_inteq(count_events(e, a, "sla_warning"), 1);
	test_assert_inteq(count_mail(e, a, "sla_warning", "analyst@apac.example"), 1);
	test_assert_inteq(count_mail(e, a, NULL, NULL), 1);
	test_end();

	test_begin("monitor: one breach at 100 %, level 0 -> 1, to the level-1 contact, once");
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2026, 11, 30, 2, 0)), 1);
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2026, 11, 30, 2, 1)), 0);
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2026, 12, 30, 2, 1)), 0);
	t = get(e, a);
	test_assert_inteq(t.sla_breached, 1);
	test_assert_inteq(t.level, 1);
	test_assert_inteq(sla_ticket_status(e->sla, e->st, &t, utc(2026, 11, 30, 3, 0), &s), 0);
	test_assert_inteq(s.state, SLA_OVERDUE);
	test_assert_inteq(s.remaining, -H);
	ticket_release(&t);
	test_assert_inteq(count_events(e, a, "sla_breach"), 1);
	test_assert_inteq(count_events(e, a, "escalated"), 1);
	test_assert_inteq(count_mail(e, a, "sla_breach", "engineer@apac.example"), 1);
	test_assert_inteq(count_mail(e, a, NULL, NULL), 2);
	test_end();
	resolve(e, a);
}

static void
test_catch_up(struct env *e)
{
	long long b = add_ticket(e, e->sp2_org, "APAC", 1, utc(2026, 12, 1, 0, 0));
	long long c = add_ticket(e, e->sp2_org, "APAC", 1, utc(2026, 12, 2, 0, 0));
	struct ticket t;

	test_begin("catch-up after downtime: past due gives only the breach");
	/* Both are long past due; b's warning point passed too: no late warning. */
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2026, 12, 10, 0, 0)), 2);
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2026, 12, 10, 0, 1)), 0);
	t = get(e, b);
	test_assert_inteq(t.sla_warned, 1);
	test_assert_inteq(t.sla_breached, 1);
	test_assert_inteq(t.level, 1);
	ticket_release(&t);
	test_assert_inteq(count_events(e, b, "sla_warning"), 0);
	test_assert_inteq(count_events(e, b, "sla_breach"), 1);
	test_assert_inteq(count_mail(e, b, NULL, NULL), 1);
	test_assert_inteq(count_mail(e, c, "sla_breach", NULL), 1);
	test_end();

	test_begin("catch-up: between the two points gives the (late) warning");
	/* Tue 8 Dec 09:00 JST: due 13:00, warning 12:12 JST (03:12Z). */
	b = add_ticket(e, e->sp2_org, "APAC", 1, utc(2026, 12, 8, 0, 0));
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2026, 12, 8, 3, 59)), 1);
	test_assert_inteq(count_mail(e, b, "sla_warning", NULL), 1);
	test_assert_inteq(count_mail(e, b, "sla_breach", NULL), 0);
	test_end();
	resolve(e, b);
	resolve(e, c);
}

static void
test_first_response(struct env *e)
{
	long long a = add_ticket(e, e->sp2_org, "APAC", 1, utc(2026, 12, 14, 0, 0));
	long long b = add_ticket(e, e->sp2_org, "APAC", 1, utc(2026, 12, 14, 0, 0));
	struct ticket t;
	struct sla_status s;

	test_begin("first response: stops the clock; the monitor leaves it alone");
	t = get(e, a);
	test_assert_inteq(action_first_response(e->st, &t, utc(2026, 12, 14, 1, 0)), 1);
	test_assert_inteq(t.first_response_at, utc(2026, 12, 14, 1, 0));
	/* A second comment does not move it. */
	test_assert_inteq(action_first_response(e->st, &t, utc(2026, 12, 14, 2, 0)), 0);
	ticket_release(&t);
	t = get(e, a);
	test_assert_inteq(t.first_response_at, utc(2026, 12, 14, 1, 0));
	test_assert_inteq(sla_ticket_status(e->sla, e->st, &t, utc(2026, 12, 20, 0, 0), &s), 0);
	test_assert_inteq(s.state, SLA_MET);
	test_assert_inteq(s.remaining, 3 * H);
	ticket_release(&t);
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2026, 12, 20, 0, 0)), 1);  /* b only */
	test_assert_inteq(count_mail(e, a, NULL, NULL), 0);
	test_end();

	test_begin("first response: late is missed by the business time past due");
	t = get(e, b);
	/* Due Mon 14 Dec 13:00 JST; answered Tue 15 Dec 10:00 JST: 5h + 1h late. */
	test_assert_inteq(action_first_response(e->st, &t, utc(2026, 12, 15, 1, 0)), 1);
	test_assert_inteq(sla_ticket_status(e->sla, e->st, &t, utc(2026, 12, 20, 0, 0), &s), 0);
	test_assert_inteq(s.state, SLA_MISSED);
	test_assert_inteq(s.remaining, -6 * H);
	ticket_release(&t);
	test_end();
	resolve(e, a);
	resolve(e, b);
}

static void
test_recompute_and_closed(struct env *e)
{
	long long a = add_ticket(e, e->sp2_org, "APAC", 3, utc(2026, 12, 21, 0, 0));
	long long c = add_ticket(e, e->sp2_org, "APAC", 1, utc(2026, 12, 21, 0, 0));
	struct ticket t;
	struct sla_status s;

	test_begin("recompute: a severity change moves the due time");
	t = get(e, a);
	/* Sev3 16h from Mon 21 Dec 09:00 JST: 9h Monday, 7h Tuesday: Tue 16:00 JST. */
	test_assert_inteq(t.due_at, utc(2026, 12, 22, 7, 0));
	t.severity = 1;
	test_assert_inteq(sla_recompute(e->sla, e->st, &t, utc(2026, 12, 21, 1, 0)), 0);
	test_assert_inteq(t.due_at, utc(2026, 12, 21, 4, 0));
	/* After a warning, lowering the severity again clears it for the new target. */
	t.sla_warned = 1;
	t.severity = 4;
	test_assert_inteq(sla_recompute(e->sla, e->st, &t, utc(2026, 12, 21, 4, 0)), 0);
	/* Sev4 24h: 9h + 9h + 6h: Wed 23 Dec 15:00 JST. */
	test_assert_inteq(t.due_at, utc(2026, 12, 23, 6, 0));
	test_assert_inteq(t.sla_warned, 0);
	ticket_release(&t);
	test_end();

	test_begin("recompute: nothing moves after the first response");
	t = get(e, a);
	t.first_response_at = utc(2026, 12, 21, 2, 0);
	t.severity = 1;
	test_assert_inteq(sla_recompute(e->sla, e->st, &t, utc(2026, 12, 21, 3, 0)), 0);
	test_assert_inteq(t.due_at, utc(2026, 12, 22, 7, 0));
	ticket_release(&t);
	test_end();

	test_begin("closed tickets raise nothing and count as stopped");
	t = get(e, c);
	free(t.status);
	t.status = xstrdup("closed");
	test_assert_inteq(store_ticket_update(e->st, &t), 0);
	test_assert_inteq(sla_ticket_status(e->sla, e->st, &t, utc(2026, 12, 28, 0, 0), &s), 0);
	test_assert_inteq(s.state, SLA_STOPPED);
	ticket_release(&t);
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2026, 12, 21, 1, 0)), 0);
	test_assert_inteq(count_mail(e, c, NULL, NULL), 0);
	test_end();
	resolve(e, a);
}

static void
test_contacts_and_escalation(struct env *e)
{
	long long em = add_org(e, "Nordic", "SP1", "EMEA");
	/* SP1 EMEA sev1 8h from Mon 4 Jan 2027 08:00 EET (06:00Z): due 16:00 EET. */
	long long a = add_ticket(e, em, "EMEA", 1, utc(2027, 1, 4, 6, 0));
	/* SP2 APAC sev2 8h from Tue 5 Jan 09:00 JST: due 17:00 JST. */
	long long b = add_ticket(e, e->sp2_org, "APAC", 2, utc(2027, 1, 5, 0, 0));
	struct ticket t;
	char *error = NULL;
	int i;

	test_begin("contacts: a missing level falls to the next one configured above");
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2027, 1, 4, 13, 0)), 1);
	test_assert_inteq(count_mail(e, a, "sla_warning", "lead@emea.example"), 1);
	test_end();

	test_begin("escalate: one level up, event, the new level's contact and the customer");
	t = get(e, b);
	test_assert_inteq(store_participant_add(e->st, b, "hanako@customer.example", 0), 0);
	test_assert_inteq(escalate_ticket(e->sla, &e->n, &t, "taro@customer.example",
				          utc(2027, 1, 5, 1, 0), &error), 1);
	test_assert_inteq(t.level, 1);
	ticket_release(&t);
	t = get(e, b);
	test_assert_inteq(t.level, 1);
	ticket_release(&t);
	test_assert_inteq(count_events(e, b, "escalated"), 1);
	test_assert_inteq(count_mail(e, b, "escalation_staff", "engineer@apac.example"), 1);
	test_assert_inteq(count_mail(e, b, "escalation", "taro@customer.example"), 1);
	test_assert_inteq(count_mail(e, b, "escalation", "hanako@customer.example"), 1);
	test_end();

	test_begin("escalate: up to VP and no further");
	t = get(e, b);
	for (i = 0; i < 3; i++)
		test_assert_inteq(escalate_ticket(e->sla, &e->n, &t, "agent@example.com",
					          utc(2027, 1, 5, 1, 0), &error), 1);
	test_assert_inteq(t.level, 4);
	test_assert_inteq(escalate_ticket(e->sla, &e->n, &t, "agent@example.com",
				          utc(2027, 1, 5, 1, 0), &error), 0);
	test_assert_inteq(t.level, 4);
	ticket_release(&t);
	test_assert_inteq(count_events(e, b, "escalated"), 4);
	test_assert_inteq(count_mail(e, b, "escalation_staff", "vp@apac.example"), 1);
	test_end();

	test_begin("breach at VP: stays at level 4");
	test_assert_inteq(escalate_monitor_run(e->sla, &e->n, utc(2027, 1, 20, 0, 0)), 2);
	t = get(e, b);
	test_assert_inteq(t.level, 4);
	test_assert_inteq(t.sla_breached, 1);
	ticket_release(&t);
	test_assert_inteq(count_mail(e, b, "sla_breach", "vp@apac.example"), 1);
	test_end();
}

/* The raw autoresponse queued for ticket number, in English. */
static char *
autoresponse(struct env *e, long long number)
{
	struct ticket t = get(e, number);
	struct notify_mail nm;
	struct outbox_row *rows;
	const char *why = NULL;
	char *error = NULL, *raw = NULL;
	size_t n, i;

	memset(&nm, 0, sizeof(nm));
	nm.tmpl = "autoresponse";
	nm.rcpt = t.requester;
	nm.lang = "en";
	nm.auto_submitted = "auto-replied";
	if (notify_queue(&e->n, &t, &nm, &why, &error) != NOTIFY_QUEUED) {
		printf("# notify_queue: %s\n", error != NULL ? error : why);
		free(error);
	}
	ticket_release(&t);
	if (store_outbox_list(e->st, 0, 1000, &rows, &n) < 0)
		return NULL;
	for (i = 0; i < n && raw == NULL; i++)
		if (rows[i].ticket == number && strcmp(rows[i].kind, "autoresponse") == 0)
			raw = xstrndup(rows[i].raw, rows[i].raw_len);
	outbox_rows_free(&rows, n);
	return raw;
}

static void
test_autoresponse(struct env *e)
{
	long long ent = add_org(e, "Big Corp", "Enterprise", "APAC");
	/* Sun 29 Nov 10:00 JST, 24x7: due 11:00 JST the same day. */
	long long sun = add_ticket(e, ent, "APAC", 1, utc(2026, 11, 29, 1, 0));
	/* Fri 27 Nov 16:00 JST, in business hours. */
	long long fri = add_ticket(e, ent, "APAC", 1, utc(2026, 11, 27, 7, 0));
	char *raw;

	test_begin("auto-response: {{due}} and the weekend phone for Enterprise sev1");
	raw = autoresponse(e, sun);
	test_assert(raw != NULL && strstr(raw, "Target time for our first response: "
					  "Sun 29 Nov 2026 11:00 (Asia/Tokyo)") != NULL);
	test_assert(raw != NULL && strstr(raw, "+81 3 0000 0000") != NULL);
	free(raw);
	raw = autoresponse(e, fri);
	test_assert(raw != NULL && strstr(raw, "Fri 27 Nov 2026 17:00 (Asia/Tokyo)") != NULL);
	test_assert(raw != NULL && strstr(raw, "+81 50 5050 9161") != NULL);
	test_assert(raw != NULL && strstr(raw, "+81 3 0000 0000") == NULL);
	free(raw);
	test_end();
	resolve(e, sun);
	resolve(e, fri);
}

static void
test_counts_and_log(struct env *e, const char *log_path)
{
	struct store_sla_counts c;
	FILE *f;
	char line[1024];
	int breach_lines = 0, found = 0;

	test_begin("counts: met, missed and running");
	test_assert_inteq(store_sla_counts(e->st, "APAC", utc(2026, 12, 14, 0, 0),
					   utc(2027, 1, 20, 0, 0), &c), 0);
	/* Created since 14 Dec in APAC: 14 Dec met and missed; 21 Dec resolved
	 * and closed before due, no response (not counted); 5 Jan breached. */
	test_assert_inteq(c.met, 1);
	test_assert_inteq(c.missed, 2);
	test_assert_inteq(c.running, 0);
	/* No organisation: [general] default_plan (SP1, sev4 40h). */
	add_ticket(e, 0, "AMER", 4, utc(2027, 2, 1, 14, 0));
	test_assert_inteq(store_sla_counts(e->st, "amer", utc(2027, 1, 1, 0, 0),
					   utc(2027, 2, 1, 15, 0), &c), 0);
	test_assert_inteq(c.met, 0);
	test_assert_inteq(c.missed, 0);
	test_assert_inteq(c.running, 1);
	test_end();

	test_begin("log: one line per SLA event with ticket, event, level, contact, due");
	f = fopen(log_path, "r");
	test_assert(f != NULL);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, " sla ticket=SUP-1 event=breach level=1 contact=engineer@apac.example due=2026-11-30T02:00:00Z") != NULL)
			found = 1;
		if (strstr(line, "ticket=SUP-1 event=breach") != NULL)
			breach_lines++;
	}
	if (f != NULL)
		fclose(f);
	test_assert(found);
	test_assert_inteq(breach_lines, 1);
	test_end();
}

int
main(void)
{
	struct env e;
	char *error = NULL, *db, *log_path;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	log_path = xasprintf("%s/ticketd.log", tmpdir);
	if (log_open(log_path, LOG_LEVEL_INFO, &error) < 0) {
		printf("# log_open: %s\n", error);
		return 1;
	}
	memset(&e, 0, sizeof(e));
	e.conf = load_conf();
	e.sla = sla_new(e.conf, &error);
	if (e.sla == NULL) {
		printf("# sla_new: %s\n", error);
		return 1;
	}
	test_due(e.conf, e.sla);
	test_format(e.sla);

	db = xasprintf("%s/ticketd.db", tmpdir);
	if (store_open(db, &e.st, &error) < 0 ||
	    token_key_load(&e.key, e.st, NULL, &error) < 0) {
		printf("# store: %s\n", error);
		return 1;
	}
	e.n.conf = e.conf;
	e.n.st = e.st;
	e.n.key = &e.key;
	e.n.sla = e.sla;
	e.sp2_org = add_org(&e, "Yamada Trading", "SP2", "APAC");
	test_monitor(&e);
	test_catch_up(&e);
	test_first_response(&e);
	test_recompute_and_closed(&e);
	test_contacts_and_escalation(&e);
	test_autoresponse(&e);
	test_counts_and_log(&e, log_path);
	test_monitor_pages(&e);

	token_key_wipe(&e.key);
	store_close(&e.st);
	sla_free(&e.sla);
	{
		struct conf *conf = (struct conf *)e.conf;

		conf_free(&conf);
	}
	log_close();
	{
		char *cmd = xasprintf("rm -rf '%s'", tmpdir);

		if (system(cmd) != 0)
			printf("# unable to remove %s\n", tmpdir);
		free(cmd);
	}
	free(db);
	free(log_path);
	return test_done();
}
