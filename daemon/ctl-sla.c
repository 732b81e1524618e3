/* ctl-sla.c: sla, escalate, and the SLA part of show. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "clock.h"
#include "conf.h"
#include "ctl.h"
#include "ingest.h"
#include "json.h"
#include "notify.h"
#include "sla.h"
#include "store.h"
#include "tmpl.h"
#include "xmalloc.h"

#define CTL_SLA_DEFAULT_PERIOD (30L * 24 * 3600)

static void
json_sla_status(struct json *j, const struct sla *sla, const struct ticket *t,
		const struct sla_status *s)
{
	char *due;

	json_obj_begin(j);
	json_kstr(j, "state", sla_state_name(s->state));
	json_ktime(j, "due_at", s->due_at);
	if (s->due_at != 0) {
		due = sla_format_due(sla, t->region, "en", s->due_at);
		json_kstr(j, "due", due);
		free(due);
	} else {
		json_kstr(j, "due", NULL);
	}
	json_ktime(j, "warn_at", s->warn_at);
	json_ktime(j, "first_response_at", t->first_response_at);
	if (s->state == SLA_NONE || s->state == SLA_STOPPED) {
		json_key(j, "remaining");
		json_null(j);
	} else {
		json_kint(j, "remaining", s->remaining);
	}
	json_key(j, "warned");
	json_bool(j, t->sla_warned);
	json_key(j, "breached");
	json_bool(j, t->sla_breached);
	json_obj_end(j);
}

/* "met with 1h 05m to spare", "3h 12m left" … for people. */
static void
text_sla_status(struct buf *out, const struct sla *sla, const struct ticket *t,
		const struct sla_status *s)
{
	char dur[32], ts[CLOCK_TEXT_MAX], *due;

	if (s->state == SLA_NONE) {
		buf_adds(out, "sla:        no response target\n");
		return;
	}
	due = sla_format_due(sla, t->region, "en", s->due_at);
	sla_format_duration(s->remaining < 0 ? -s->remaining : s->remaining, dur, sizeof(dur));
	buf_addf(out, "sla:        first response due %s\n", due);
	free(due);
	switch (s->state) {
	case SLA_RUNNING:
	case SLA_WARNING:
		buf_addf(out, "            %s, %s of business time left\n",
			 s->state == SLA_WARNING ? "warning" : "running", dur);
		break;
	case SLA_OVERDUE:
		buf_addf(out, "            overdue by %s of business time\n", dur);
		break;
	case SLA_MET:
	case SLA_MISSED:
		clock_format(t->first_response_at, ts, sizeof(ts));
		if (s->state == SLA_MET)
			buf_addf(out, "            first response %s: target met with %s of business "
				 "time to spare\n", ts, dur);
		else
			buf_addf(out, "            first response %s: target missed by %s of business "
				 "time\n", ts, dur);
		break;
	case SLA_STOPPED:
		buf_adds(out, "            stopped: closed without a response, before the due time\n");
		break;
	case SLA_NONE:
		break;
	}
	if (t->sla_warned || t->sla_breached)
		buf_addf(out, "            alerts sent:%s%s\n", t->sla_warned ? " warning" : "",
			 t->sla_breached ? " breach" : "");
}

void
ctl_sla_show(struct ctl *c, const struct ticket *t, struct buf *out, struct json *j)
{
	struct sla *sla;
	struct sla_status s;
	char *error = NULL;

	sla = sla_new(c->conf, &error);
	if (sla == NULL) {
		fprintf(stderr, "ticketctl: %s\n", error);
		free(error);
		return;
	}
	if (sla_ticket_status(sla, c->st, t, clock_now(), &s) < 0) {
		fprintf(stderr, "ticketctl: %s\n", store_error(c->st));
	} else if (j != NULL) {
		json_key(j, "sla");
		json_sla_status(j, sla, t, &s);
	} else {
		text_sla_status(out, sla, t, &s);
	}
	sla_free(&sla);
}

/* --since: a time (RFC 3339, epoch seconds) or a duration back from now (30d). */
static time_t
parse_since(const char *s, time_t now)
{
	time_t t = clock_parse(s);
	const char *why;
	long d;

	if (t != (time_t)-1 && strchr(s, '-') != NULL)
		return t;
	if (conf_parse_duration(s, &d, &why) == 0 && s[strspn(s, "0123456789")] != '\0')
		return now - d;
	return t;
}

int
cmd_sla(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct sla *sla;
	struct sla_status s;
	struct store_sla_counts counts;
	struct ticket *list = NULL;
	struct buf out = BUF_INIT;
	struct json j;
	char *error = NULL, *due, dur[32], ts[CLOCK_TEXT_MAX], name[NOTIFY_TICKET_NAME_MAX];
	size_t n = 0, i;
	time_t now = clock_now(), since;
	int rc = 1;

	if (ctl_parse_opts(argc, argv, &o, "jrS") != argc)
		return ctl_die_usage("%s takes only options", "sla");
	since = o.since != NULL ? parse_since(o.since, now) : now - CTL_SLA_DEFAULT_PERIOD;
	if (since == (time_t)-1)
		return ctl_die_usage("--since '%s' is not a time (2026-11-01T00:00:00Z) or a duration (7d)",
				     o.since);
	if (ctl_open_store(c) < 0)
		return 1;
	if (o.region != NULL && conf_region(c->conf, o.region) == NULL)
		return ctl_die_usage("no region '%s' in %s", o.region, c->config_path);
	sla = sla_new(c->conf, &error);
	if (sla == NULL) {
		fprintf(stderr, "ticketctl: %s\n", error);
		free(error);
		return 1;
	}
	if (store_ticket_list_sla(c->st, o.region, &list, &n) < 0 ||
	    store_sla_counts(c->st, o.region, since, now, &counts) < 0)
		goto dberr;
	if (o.json) {
		json_init(&j, &out);
		json_obj_begin(&j);
		json_ktime(&j, "now", now);
		json_ktime(&j, "since", since);
		json_kstr(&j, "region", o.region);
		json_key(&j, "open");
		json_arr_begin(&j);
	} else {
		buf_addf(&out, "%-10s %-8s %-10s %-4s %-5s %-6s %-38s %s\n", "TICKET", "STATE",
			 "LEFT", "SEV", "LEVEL", "REGION", "DUE", "SUBJECT");
	}
	for (i = 0; i < n; i++) {
		if (sla_ticket_status(sla, c->st, &list[i], now, &s) < 0)
			goto dberr;
		if (o.json) {
			json_obj_begin(&j);
			ctl_ticket_json(&j, c->conf, &list[i]);
			json_key(&j, "sla");
			json_sla_status(&j, sla, &list[i], &s);
			json_obj_end(&j);
			continue;
		}
		notify_ticket_name(c->conf, list[i].number, name, sizeof(name));
		sla_format_duration(s.remaining, dur, sizeof(dur));
		due = sla_format_due(sla, list[i].region, "en", list[i].due_at);
		buf_addf(&out, "%-10s %-8s %-10s %-4d %-5d %-6s %-38s %s\n", name,
			 sla_state_name(s.state), dur, list[i].severity, list[i].level,
			 list[i].region, due, list[i].subject);
		free(due);
	}
	clock_format(since, ts, sizeof(ts));
	if (o.json) {
		json_arr_end(&j);
		json_kint(&j, "met", counts.met);
		json_kint(&j, "missed", counts.missed);
		json_kint(&j, "running", counts.running);
		json_obj_end(&j);
		buf_addc(&out, '\n');
	} else {
		buf_addf(&out, "\ntickets created since %s%s%s: %lld met, %lld missed, %lld running\n",
			 ts, o.region != NULL ? " in " : "", o.region != NULL ? o.region : "",
			 counts.met, counts.missed, counts.running);
	}
	ctl_print(&out);
	rc = 0;
	goto out;
dberr:
	fprintf(stderr, "ticketctl: %s\n", store_error(c->st));
	rc = store_error_is_temporary(c->st) ? EX_TEMPFAIL_ : 1;
out:
	buf_release(&out);
	ticket_list_free(&list, n);
	sla_free(&sla);
	return rc;
}

int
cmd_escalate(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct ingest in;
	struct actions a;
	struct action_report rep;
	enum action_rc res;
	char *error = NULL;
	long long number;
	int first, rc;

	first = ctl_parse_opts(argc, argv, &o, "a");
	if (first < 0)
		return EX_USAGE_;
	if (first + 1 != argc)
		return ctl_die_usage("%s needs one ticket, e.g. SUP-12", "escalate");
	if (ctl_open_store(c) < 0)
		return 1;
	number = ctl_parse_ticket(c->conf, argv[first]);
	if (number == 0)
		return ctl_die_usage("'%s' is not a ticket number", argv[first]);
	if (ingest_init(&in, c->conf, c->st, &error) < 0) {
		fprintf(stderr, "ticketctl: %s\n", error);
		free(error);
		return 1;
	}
	actions_init(&a, &in.notify, in.sla, 0);
	res = action_escalate(&a, number, o.as != NULL ? o.as : "ticketctl", &rep, &error);
	switch (res) {
	case ACTION_DONE:
		printf("%s-%lld escalated to level %d (%s)\n", c->conf->ticket_prefix, number,
		       rep.level, tmpl_label("en", "level", rep.level));
		rc = 0;
		break;
	case ACTION_UNCHANGED:
		rc = ctl_fail("%s-%lld is already at the top level, %d (%s)", c->conf->ticket_prefix,
			      number, rep.level, tmpl_label("en", "level", rep.level));
		break;
	case ACTION_REFUSED:
		rc = ctl_fail("%s", error);
		break;
	case ACTION_ERROR:
	default:
		rc = ctl_fail("unable to escalate %s-%lld: %s", c->conf->ticket_prefix, number, error);
		if (store_error_is_temporary(c->st))
			rc = EX_TEMPFAIL_;
		break;
	}
	free(error);
	ingest_release(&in);
	return rc;
}
