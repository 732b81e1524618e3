#include "escalate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "notify.h"
#include "sla.h"
#include "store.h"
#include "tmpl.h"
#include "xmalloc.h"

enum escalate_alert {
	ALERT_NONE,
	ALERT_WARNING,
	ALERT_BREACH,       /* also marks the warning done: no late warning after a breach */
};

/* The alert due for t at now, from where its clock stands.  -1 on a store error. */
static int
alert_due(const struct sla *sla, struct store *st, const struct ticket *t, time_t now,
	  enum escalate_alert *alert_r)
{
	struct sla_status s;

	*alert_r = ALERT_NONE;
	if (sla_ticket_status(sla, st, t, now, &s) < 0)
		return -1;
	if (s.state == SLA_OVERDUE && !t->sla_breached)
		*alert_r = ALERT_BREACH;
	else if ((s.state == SLA_OVERDUE || s.state == SLA_WARNING) && !t->sla_warned)
		*alert_r = ALERT_WARNING;
	return 0;
}

/*
 * The region's contact for level: the first one configured at that level
 * or above (someone with the authority to act), else the nearest below.
 */
static const char *
escalation_contact(const struct conf_region *r, int level)
{
	int i;

	if (r == NULL)
		return NULL;
	for (i = level; i < CONF_LEVELS; i++)
		if (r->escalation[i] != NULL && r->escalation[i][0] != '\0')
			return r->escalation[i];
	for (i = level - 1; i >= 0; i--)
		if (r->escalation[i] != NULL && r->escalation[i][0] != '\0')
			return r->escalation[i];
	return NULL;
}

/* Queue tmpl about t to an internal contact, in the region's language. */
static enum notify_result
mail_contact(struct notify *n, const struct ticket *t, const char *tmpl, const char *contact,
	     const char *actor, const char **why_r, char **error_r)
{
	const struct conf_region *r = conf_region(n->conf, t->region);
	struct tmpl_var var = { "author", actor };
	struct notify_mail nm;

	memset(&nm, 0, sizeof(nm));
	if (actor != NULL) {
		nm.vars = &var;
		nm.n_vars = 1;
	}
	nm.tmpl = tmpl;
	nm.rcpt = contact;
	nm.lang = r != NULL ? r->language : NULL;
	nm.auto_submitted = "auto-generated";
	nm.staff = 1;
	return notify_queue(n, t, &nm, why_r, error_r);
}

static void
log_event(const struct conf *conf, const struct ticket *t, const char *event, const char *actor,
	  const char *contact, const char *why, int late)
{
	struct logkv kv;
	char name[NOTIFY_TICKET_NAME_MAX], due[CLOCK_TEXT_MAX];

	notify_ticket_name(conf, t->number, name, sizeof(name));
	logkv_init(&kv);
	logkv_str(&kv, "ticket", name);
	logkv_str(&kv, "event", event);
	logkv_int(&kv, "level", t->level);
	logkv_str(&kv, "actor", actor);
	logkv_str(&kv, "contact", contact != NULL ? contact : "none");
	if (t->due_at != 0) {
		clock_format(t->due_at, due, sizeof(due));
		logkv_str(&kv, "due", due);
	}
	if (late)
		logkv_str(&kv, "warning", "skipped");
	logkv_str(&kv, "noreply", why);
	log_kv(contact == NULL || why != NULL ? LOG_LEVEL_WARN : LOG_LEVEL_INFO, "sla", &kv);
}

/*
 * Raise the alert due for ticket number, if still due on a fresh read,
 * in one transaction.  1 raised, 0 nothing to do, -1 on a store error.
 */
static int
raise_alert(const struct sla *sla, struct notify *n, long long number, time_t now)
{
	struct store *st = n->st;
	struct ticket t;
	enum escalate_alert alert;
	const char *contact, *why = NULL;
	char *error = NULL, data[64], due[CLOCK_TEXT_MAX];
	int rc, old_level, late = 0;

	if (store_begin(st) < 0)
		goto dberr;
	rc = store_ticket_get(st, number, &t);
	if (rc <= 0) {
		store_rollback(st);
		if (rc < 0)
			goto dberr;
		return 0;
	}
	if (alert_due(sla, st, &t, now, &alert) < 0)
		goto fail;
	if (alert == ALERT_NONE) {
		store_rollback(st);
		ticket_release(&t);
		return 0;
	}
	clock_format(t.due_at, due, sizeof(due));
	snprintf(data, sizeof(data), "due=%s", due);
	old_level = t.level;
	if (alert == ALERT_BREACH) {
		late = !t.sla_warned;
		t.sla_breached = 1;
		t.sla_warned = 1;
		if (t.level < SLA_MAX_LEVEL)
			t.level++;
	} else {
		t.sla_warned = 1;
	}
	if (store_ticket_update(st, &t) < 0 ||
	    store_event_add(st, t.number, now, alert == ALERT_BREACH ? "sla_breach" : "sla_warning",
			    "system", 0, NULL, data, NULL) < 0)
		goto fail;
	if (t.level != old_level) {
		snprintf(data, sizeof(data), "%d->%d", old_level, t.level);
		if (store_event_add(st, t.number, now, "escalated", "system", 0, "SLA breach", data,
				    NULL) < 0)
			goto fail;
	}
	contact = escalation_contact(conf_region(n->conf, t.region), t.level);
	if (contact != NULL &&
	    mail_contact(n, &t, alert == ALERT_BREACH ? "sla_breach" : "sla_warning", contact, NULL,
			 &why, &error) == NOTIFY_ERROR)
		goto fail;
	if (store_commit(st) < 0)
		goto fail;
	log_event(n->conf, &t, alert == ALERT_BREACH ? "breach" : "warning", NULL, contact, why,
		  late);
	ticket_release(&t);
	return 1;

fail:
	ticket_release(&t);
	store_rollback(st);
	if (error != NULL) {
		log_error("sla", "event=alert_failed ticket=%lld error=\"%s\"", number, error);
		free(error);
		return -1;
	}
dberr:
	log_error("sla", "event=alert_failed ticket=%lld error=\"%s\"", number, store_error(st));
	return -1;
}

int
escalate_monitor_run(const struct sla *sla, struct notify *n, time_t now)
{
	struct ticket *list;
	enum escalate_alert alert;
	size_t count, i;
	long long after = 0;
	int raised = 0, rc;

	/* In pages, so that a desk with 100,000 open tickets holds 512 at a time. */
	do {
		if (store_ticket_list_sla_page(n->st, NULL, after, ESCALATE_PAGE, &list, &count) < 0) {
			log_error("sla", "event=monitor_failed error=\"%s\"", store_error(n->st));
			return -1;
		}
		for (i = 0; i < count; i++) {
			/* Read-only first: a write transaction only when an alert is due. */
			if (alert_due(sla, n->st, &list[i], now, &alert) < 0) {
				raised = -1;
				break;
			}
			if (alert == ALERT_NONE)
				continue;
			rc = raise_alert(sla, n, list[i].number, now);
			if (rc < 0) {
				raised = -1;
				break;
			}
			raised += rc;
		}
		if (count > 0)
			after = list[count - 1].number;
		ticket_list_free(&list, count);
	} while (count == ESCALATE_PAGE && raised >= 0);
	return raised;
}

/* ---- escalation ---- */

int
escalate_ticket(const struct sla *sla, struct notify *n, struct ticket *t, const char *actor,
	     time_t now, char **error_r)
{
	struct store *st = n->st;
	struct notify_mail nm;
	const char *contact, *why = NULL, *contact_why = NULL;
	char **parts = NULL, data[32];
	size_t n_parts = 0, i;
	int old_level = t->level;

	if (t->level >= SLA_MAX_LEVEL)
		return 0;
	t->level++;
	snprintf(data, sizeof(data), "%d->%d", old_level, t->level);
	if (store_ticket_update(st, t) < 0 ||
	    store_event_add(st, t->number, now, "escalated", actor, 1, NULL, data, NULL) < 0 ||
	    store_participant_list(st, t->number, &parts, &n_parts) < 0)
		goto dberr;
	contact = escalation_contact(conf_region(n->conf, t->region), t->level);
	if (contact != NULL &&
	    mail_contact(n, t, "escalation_staff", contact, actor, &contact_why, error_r) == NOTIFY_ERROR)
		goto fail;
	/* The customer side: the requester and everyone the ticket is shared with. */
	memset(&nm, 0, sizeof(nm));
	nm.tmpl = "escalation";
	nm.auto_submitted = "auto-generated";
	for (i = 0; i <= n_parts; i++) {
		nm.rcpt = i == 0 ? t->requester : parts[i - 1];
		nm.rcpt_name = i == 0 ? t->requester_name : NULL;
		if (i > 0 && strcasecmp(parts[i - 1], t->requester) == 0)
			continue;
		if (notify_queue(n, t, &nm, &why, error_r) == NOTIFY_ERROR)
			goto fail;
	}
	strv_free(&parts, n_parts);
	log_event(n->conf, t, "escalate", actor, contact, contact_why, 0);
	return 1;

dberr:
	*error_r = xstrdup(store_error(st));
fail:
	strv_free(&parts, n_parts);
	t->level = old_level;
	return -1;
}
