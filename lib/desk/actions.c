#include "actions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attach.h"
#include "clock.h"
#include "compose.h"
#include "conf.h"
#include "escalate.h"
#include "lang.h"
#include "log.h"
#include "notify.h"
#include "sla.h"
#include "store.h"
#include "tmpl.h"
#include "xmalloc.h"

/* One person a notification goes to. */
struct recipient {
	char *address;
	char *name;             /* display name or NULL */
	const char *lang;       /* static: one of lang_codes() */
};

void
actions_init(struct actions *a, struct notify *n, const struct sla *sla, int caller_tx)
{
	memset(a, 0, sizeof(*a));
	a->notify = n;
	a->sla = sla;
	a->caller_tx = caller_tx;
}

static void
report_init(struct action_report *rep)
{
	memset(rep, 0, sizeof(*rep));
}

static enum action_rc
db_error(struct actions *a, char **error_r)
{
	*error_r = xstrdup(store_error(a->notify->st));
	return ACTION_ERROR;
}

static int
tx_begin(struct actions *a, char **error_r)
{
	if (a->caller_tx)
		return 0;
	if (store_begin(a->notify->st) < 0) {
		*error_r = xstrdup(store_error(a->notify->st));
		return -1;
	}
	return 0;
}

/* Commit when rc is ACTION_DONE, else roll back; returns the final rc. */
static enum action_rc
tx_end(struct actions *a, enum action_rc rc, char **error_r)
{
	struct store *st = a->notify->st;

	if (a->caller_tx)
		return rc;
	if (rc != ACTION_DONE) {
		store_rollback(st);
		return rc;
	}
	if (store_commit(st) < 0) {
		*error_r = xasprintf("unable to commit: %s", store_error(st));
		return ACTION_ERROR;
	}
	return rc;
}

static enum action_rc
load_ticket(struct actions *a, long long number, struct ticket *t, char **error_r)
{
	char name[NOTIFY_TICKET_NAME_MAX];
	int rc = store_ticket_get(a->notify->st, number, t);

	if (rc < 0)
		return db_error(a, error_r);
	if (rc == 0) {
		notify_ticket_name(a->notify->conf, number, name, sizeof(name));
		*error_r = xasprintf("no ticket %s", name);
		return ACTION_REFUSED;
	}
	return ACTION_DONE;
}

/* The event's actor: the address, or the support desk's. */
static const char *
actor_or_desk(struct actions *a, const char *actor)
{
	return actor != NULL ? actor : a->notify->conf->support_address;
}

/*
 * The name people see for address: a registered agent's or contact's
 * name, else the address itself; NULL for the support desk.  *err on a
 * store error.
 */
static char *
person_name(struct actions *a, const char *address, int *err)
{
	struct agent ag;
	struct contact c;
	char *name = NULL;
	int rc;

	*err = 0;
	if (address == NULL)
		return NULL;
	rc = store_agent_get(a->notify->st, address, &ag);
	if (rc == 1) {
		name = xstrdup(ag.name);
		agent_release(&ag);
		return name;
	}
	if (rc == 0) {
		rc = store_contact_get(a->notify->st, address, &c);
		if (rc == 1) {
			name = xstrdup(c.name != NULL && c.name[0] != '\0' ? c.name : c.email);
			contact_release(&c);
			return name;
		}
	}
	if (rc < 0)
		*err = 1;
	return xstrdup(address);
}

static void
recipients_free(struct recipient **list, size_t n)
{
	size_t i;

	for (i = 0; *list != NULL && i < n; i++) {
		free((*list)[i].address);
		free((*list)[i].name);
	}
	xfree(list);
}

static int
recipient_add(struct actions *a, const struct ticket *t, const char *address,
	      const char *fallback_name, const char *skip, struct recipient **list, size_t *n)
{
	const struct conf *conf = a->notify->conf;
	struct recipient *r;
	struct contact c;
	size_t i;
	int rc;

	if (address == NULL || (skip != NULL && strcasecmp(address, skip) == 0) ||
	    conf_is_support_address(conf, address))
		return 0;
	for (i = 0; i < *n; i++)
		if (strcasecmp((*list)[i].address, address) == 0)
			return 0;
	rc = store_contact_get(a->notify->st, address, &c);
	if (rc < 0)
		return -1;
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	r = &(*list)[(*n)++];
	r->address = xstrdup(address);
	r->name = xstrdup_or_null(rc == 1 && c.name != NULL && c.name[0] != '\0' ? c.name :
				  fallback_name);
	r->lang = rc == 1 ? lang_canonical(c.language) : NULL;
	if (r->lang == NULL)
		r->lang = lang_canonical(t->language);
	if (r->lang == NULL)
		r->lang = lang_canonical(conf->default_language);
	if (r->lang == NULL)
		r->lang = "en";
	if (rc == 1)
		contact_release(&c);
	return 0;
}

/* The requester, then everyone the ticket is shared with; never skip nor us. */
static int
recipients_collect(struct actions *a, const struct ticket *t, const char *skip,
		   struct recipient **list_r, size_t *n_r)
{
	char **parts = NULL;
	size_t n_parts = 0, i;
	int rc;

	*list_r = NULL;
	*n_r = 0;
	if (store_participant_list(a->notify->st, t->number, &parts, &n_parts) < 0)
		return -1;
	rc = recipient_add(a, t, t->requester, t->requester_name, skip, list_r, n_r);
	for (i = 0; rc == 0 && i < n_parts; i++)
		rc = recipient_add(a, t, parts[i], NULL, skip, list_r, n_r);
	strv_free(&parts, n_parts);
	if (rc < 0)
		recipients_free(list_r, *n_r);
	return rc;
}

static void
log_skipped(const struct conf *conf, const struct ticket *t, const char *tmpl,
	    const char *rcpt, const char *why)
{
	struct logkv kv;
	char name[NOTIFY_TICKET_NAME_MAX];

	notify_ticket_name(conf, t->number, name, sizeof(name));
	logkv_init(&kv);
	logkv_str(&kv, "event", "skipped");
	logkv_str(&kv, "ticket", name);
	logkv_str(&kv, "to", rcpt);
	logkv_str(&kv, "kind", tmpl);
	logkv_str(&kv, "reason", why);
	log_kv(LOG_LEVEL_WARN, "notify", &kv);
}

/* Queue tmpl to r (with the files of out, NULL: none); 0 queued or skipped (counted in rep), -1 on error. */
static int
queue_one(struct actions *a, const struct ticket *t, const char *tmpl,
	  const struct recipient *r, const struct tmpl_var *vars, size_t n_vars,
	  const struct attach_out *out, struct action_report *rep, char **error_r)
{
	struct notify_mail nm;
	enum notify_result res;
	const char *why = NULL;

	memset(&nm, 0, sizeof(nm));
	nm.tmpl = tmpl;
	nm.rcpt = r->address;
	nm.rcpt_name = r->name;
	nm.lang = r->lang;
	nm.auto_submitted = "auto-generated";
	nm.vars = vars;
	nm.n_vars = n_vars;
	nm.ticket_number = t->number;
	if (out != NULL) {
		nm.files = out->files;
		nm.n_files = out->n_files;
	}
	res = notify_queue(a->notify, t, &nm, &why, error_r);
	if (res == NOTIFY_ERROR)
		return -1;
	if (res == NOTIFY_SKIPPED) {
		log_skipped(a->notify->conf, t, tmpl, r->address, why != NULL ? why : "unknown");
		rep->skipped++;
		return 0;
	}
	rep->queued++;
	return 0;
}

static void
log_action(struct actions *a, const char *what, long long number, const char *actor,
	   const struct action_report *rep)
{
	struct logkv kv;
	char name[NOTIFY_TICKET_NAME_MAX];

	notify_ticket_name(a->notify->conf, number, name, sizeof(name));
	logkv_init(&kv);
	logkv_str(&kv, "event", what);
	logkv_str(&kv, "ticket", name);
	logkv_str(&kv, "actor", actor_or_desk(a, actor));
	if (rep->detail[0] != '\0')
		logkv_str(&kv, "detail", rep->detail);
	logkv_int(&kv, "queued", rep->queued);
	logkv_int(&kv, "skipped", rep->skipped);
	if (rep->attachments > 0)
		logkv_int(&kv, "attachments", rep->attachments);
	if (rep->dropped > 0)
		logkv_int(&kv, "dropped", rep->dropped);
	log_kv(LOG_LEVEL_INFO, "action", &kv);
}

/* Commit (or roll back) as tx_end does, and log the action when it was done. */
static enum action_rc
action_end(struct actions *a, enum action_rc res, const char *what, long long number,
	   const char *actor, const struct action_report *rep, char **error_r)
{
	res = tx_end(a, res, error_r);
	if (res == ACTION_DONE)
		log_action(a, what, number, actor, rep);
	return res;
}

/* ---- comment ---- */

int
action_first_response(struct store *st, struct ticket *t, time_t at)
{
	struct ticket cur;
	int rc;

	if (t->first_response_at != 0)
		return 0;
	rc = store_ticket_set_first_response(st, t->number, at);
	if (rc == 1) {
		t->first_response_at = at;
	} else if (rc == 0) {
		/* Someone else was first: keep t in step with the store. */
		if (store_ticket_get(st, t->number, &cur) < 0)
			return -1;
		t->first_response_at = cur.first_response_at;
		ticket_release(&cur);
	}
	return rc;
}


/*
 * A public answer from support: the first one stops the SLA clock, and
 * a "new" ticket becomes "open".
 */
static int
support_answered(struct actions *a, struct ticket *t, const char *actor, time_t now,
		 struct action_report *rep)
{
	struct store *st = a->notify->st;
	int first;

	first = action_first_response(st, t, now);
	if (first < 0)
		return -1;
	if (strcmp(t->status, "new") != 0) {
		if (first)
			snprintf(rep->detail, sizeof(rep->detail), "first response");
		return 0;
	}
	free(t->status);
	t->status = xstrdup("open");
	t->updated_at = now;
	snprintf(rep->detail, sizeof(rep->detail), "%sstatus new -> open",
		 first ? "first response; " : "");
	if (store_event_add(st, t->number, now, "status", actor_or_desk(a, actor), 1, NULL,
			    "new->open", NULL) < 0)
		return -1;
	return store_ticket_update(st, t);
}

/* The first dropped file of files, for a refusal. */
static char *
dropped_error(const struct attach_set *files)
{
	size_t i;

	for (i = 0; i < files->n; i++)
		if (files->v[i].dropped != NULL)
			return xasprintf("'%s' (%lld bytes) is %s: nothing was added",
					 files->v[i].name, (long long)files->v[i].size,
					 files->v[i].dropped);
	return xstrdup("an attachment is over a limit");
}

enum action_rc
action_comment(struct actions *a, long long number, const char *author, const char *text,
	       int internal, struct attach_set *files, struct action_report *rep,
	       char **error_r)
{
	struct store *st = a->notify->st;
	const struct conf *conf = a->notify->conf;
	struct ticket t;
	struct agent ag;
	struct recipient *rcpts = NULL;
	struct attach_out out;
	struct tmpl_var vars[5];
	size_t n = 0, i, n_files = files != NULL ? files->n : 0;
	char *who = NULL, limit[ATTACH_SIZE_TEXT_MAX];
	time_t now = clock_now();
	enum action_rc res;
	int rc, from_support = author == NULL, err = 0;

	report_init(rep);
	memset(&out, 0, sizeof(out));
	if ((text == NULL || text[strspn(text, " \t\r\n")] == '\0') && n_files == 0) {
		*error_r = xstrdup("the comment is empty");
		return ACTION_REFUSED;
	}
	if (text == NULL)
		text = "";
	if (tx_begin(a, error_r) < 0)
		return ACTION_ERROR;
	res = load_ticket(a, number, &t, error_r);
	if (res != ACTION_DONE)
		return tx_end(a, res, error_r);
	if (author != NULL) {
		rc = store_agent_get(st, author, &ag);
		if (rc < 0)
			goto dberr;
		if (rc == 1) {
			from_support = 1;
			agent_release(&ag);
		}
	}
	if (n_files > 0) {
		rc = attach_check(files, conf, st, t.number, error_r);
		if (rc < 0) {
			res = ACTION_ERROR;
			goto out;
		}
		if (rc > 0 && files->strict) {
			*error_r = dropped_error(files);
			res = ACTION_REFUSED;
			goto out;
		}
		rep->dropped = rc;
		rep->attachments = (int)n_files;
	}
	if (store_event_add(st, t.number, now, "comment", actor_or_desk(a, author), !internal,
			    text, NULL, &rep->event) < 0 ||
	    (n_files > 0 && attach_record(files, st, t.number, rep->event, now) < 0))
		goto dberr;
	if (from_support && !internal && support_answered(a, &t, author, now, rep) < 0)
		goto dberr;
	if (!internal) {
		who = person_name(a, author, &err);
		if (err || recipients_collect(a, &t, author, &rcpts, &n) < 0)
			goto dberr;
		if (n_files > 0)
			attach_outgoing(files, conf->max_outgoing_attachments, &out);
		attach_size_text(conf->max_outgoing_attachments, limit, sizeof(limit));
		vars[0].name = "author";
		vars[0].value = who;
		vars[1].name = "comment";
		vars[1].value = text;
		vars[2].name = "attachments";
		vars[2].value = out.attached.len > 0 ? buf_str(&out.attached) : NULL;
		vars[3].name = "withheld";
		vars[3].value = out.withheld.len > 0 ? buf_str(&out.withheld) : NULL;
		vars[4].name = "outgoing_limit";
		vars[4].value = limit;
		for (i = 0; i < n; i++)
			if (queue_one(a, &t, "comment", &rcpts[i], vars, 5, &out, rep, error_r) < 0) {
				res = ACTION_ERROR;
				goto out;
			}
	}
	res = ACTION_DONE;
	goto out;
dberr:
	res = db_error(a, error_r);
out:
	res = action_end(a, res, internal ? "note" : "comment", number, author, rep, error_r);
	attach_out_release(&out);
	recipients_free(&rcpts, n);
	free(who);
	ticket_release(&t);
	return res;
}

enum action_rc
action_agent_reply(struct actions *a, long long number, const char *agent, const char *text,
		   int internal, struct attach_set *files, struct action_report *rep,
		   char **error_r)
{
	struct agent ag;
	int rc;

	report_init(rep);
	rc = agent != NULL ? store_agent_get(a->notify->st, agent, &ag) : 0;
	if (rc < 0)
		return db_error(a, error_r);
	if (rc == 0) {
		*error_r = xasprintf("'%s' is not a registered agent", agent != NULL ? agent : "");
		return ACTION_REFUSED;
	}
	agent_release(&ag);
	return action_comment(a, number, agent, text, internal, files, rep, error_r);
}

/* ---- status ---- */

static const char *const statuses[] = { "open", "pending", "resolved", "closed" };

int
action_status_valid(const char *status)
{
	size_t i;

	for (i = 0; status != NULL && i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strcmp(status, statuses[i]) == 0)
			return 1;
	return 0;
}

enum action_rc
action_status(struct actions *a, long long number, const char *status, const char *actor,
	      struct action_report *rep, char **error_r)
{
	struct store *st = a->notify->st;
	struct ticket t;
	struct recipient *rcpts = NULL;
	struct tmpl_var var;
	size_t n = 0, i;
	char *old = NULL, data[64];
	time_t now = clock_now();
	enum action_rc res;

	report_init(rep);
	if (!action_status_valid(status)) {
		*error_r = xasprintf("'%s' is not a status (open, pending, resolved, closed)",
				     status != NULL ? status : "");
		return ACTION_REFUSED;
	}
	if (tx_begin(a, error_r) < 0)
		return ACTION_ERROR;
	res = load_ticket(a, number, &t, error_r);
	if (res != ACTION_DONE)
		return tx_end(a, res, error_r);
	if (strcmp(t.status, status) == 0) {
		snprintf(rep->detail, sizeof(rep->detail), "already %s", status);
		res = ACTION_UNCHANGED;
		goto out;
	}
	old = t.status;
	t.status = xstrdup(status);
	t.updated_at = now;
	snprintf(data, sizeof(data), "%s->%s", old, status);
	snprintf(rep->detail, sizeof(rep->detail), "%s -> %s", old, status);
	if (store_ticket_update(st, &t) < 0 ||
	    store_event_add(st, t.number, now, "status", actor_or_desk(a, actor), 1, NULL, data,
			    NULL) < 0 ||
	    recipients_collect(a, &t, actor, &rcpts, &n) < 0) {
		res = db_error(a, error_r);
		goto out;
	}
	var.name = "old_status_name";
	for (i = 0; i < n; i++) {
		var.value = tmpl_status_label(rcpts[i].lang, old);
		if (queue_one(a, &t, "status", &rcpts[i], &var, 1, NULL, rep, error_r) < 0) {
			res = ACTION_ERROR;
			goto out;
		}
	}
	res = ACTION_DONE;
out:
	res = action_end(a, res, "status", number, actor, rep, error_r);
	recipients_free(&rcpts, n);
	free(old);
	ticket_release(&t);
	return res;
}

/* ---- share, unshare ---- */

enum action_rc
action_share(struct actions *a, long long number, const char *email, const char *actor,
	     struct action_report *rep, char **error_r)
{
	struct store *st = a->notify->st;
	struct ticket t;
	struct contact c;
	struct recipient *rcpts = NULL;
	struct tmpl_var var;
	char *sharer = NULL, name[NOTIFY_TICKET_NAME_MAX];
	size_t n = 0;
	time_t now = clock_now();
	enum action_rc res;
	int rc, have_contact = 0, err = 0;

	report_init(rep);
	if (email == NULL || !compose_address_valid(email)) {
		*error_r = xasprintf("'%s' is not a valid address", email != NULL ? email : "");
		return ACTION_REFUSED;
	}
	if (tx_begin(a, error_r) < 0)
		return ACTION_ERROR;
	res = load_ticket(a, number, &t, error_r);
	if (res != ACTION_DONE)
		return tx_end(a, res, error_r);
	notify_ticket_name(a->notify->conf, t.number, name, sizeof(name));
	rc = store_contact_get(st, email, &c);
	if (rc < 0)
		goto dberr;
	if (rc == 0) {
		*error_r = xasprintf("'%s' is not a registered contact: tickets are shared only "
				     "with registered users", email);
		res = ACTION_REFUSED;
		goto out;
	}
	have_contact = 1;
	if (strcasecmp(c.email, t.requester) == 0) {
		snprintf(rep->detail, sizeof(rep->detail), "%s is the requester", c.email);
		res = ACTION_UNCHANGED;
		goto out;
	}
	rc = store_participant_has(st, t.number, c.email);
	if (rc < 0)
		goto dberr;
	if (rc == 1) {
		snprintf(rep->detail, sizeof(rep->detail), "already shared with %s", c.email);
		res = ACTION_UNCHANGED;
		goto out;
	}
	snprintf(rep->detail, sizeof(rep->detail), "shared with %s", c.email);
	if (store_participant_add(st, t.number, c.email, now) < 0 ||
	    store_event_add(st, t.number, now, "shared", actor_or_desk(a, actor), 1, NULL,
			    c.email, NULL) < 0)
		goto dberr;
	sharer = actor != NULL ? person_name(a, actor, &err) : xstrdup(a->notify->conf->support_name);
	if ((actor != NULL && err) || recipient_add(a, &t, c.email, NULL, NULL, &rcpts, &n) < 0)
		goto dberr;
	var.name = "sharer";
	var.value = sharer;
	if (n == 1 && queue_one(a, &t, "shared", &rcpts[0], &var, 1, NULL, rep, error_r) < 0) {
		res = ACTION_ERROR;
		goto out;
	}
	res = ACTION_DONE;
	goto out;
dberr:
	res = db_error(a, error_r);
out:
	res = action_end(a, res, "shared", number, actor, rep, error_r);
	recipients_free(&rcpts, n);
	free(sharer);
	if (have_contact)
		contact_release(&c);
	ticket_release(&t);
	return res;
}

enum action_rc
action_unshare(struct actions *a, long long number, const char *email, const char *actor,
	       struct action_report *rep, char **error_r)
{
	struct store *st = a->notify->st;
	struct ticket t;
	char name[NOTIFY_TICKET_NAME_MAX];
	enum action_rc res;
	int rc;

	report_init(rep);
	if (email == NULL || !compose_address_valid(email)) {
		*error_r = xasprintf("'%s' is not a valid address", email != NULL ? email : "");
		return ACTION_REFUSED;
	}
	if (tx_begin(a, error_r) < 0)
		return ACTION_ERROR;
	res = load_ticket(a, number, &t, error_r);
	if (res != ACTION_DONE)
		return tx_end(a, res, error_r);
	rc = store_participant_remove(st, t.number, email);
	if (rc == 0) {
		notify_ticket_name(a->notify->conf, t.number, name, sizeof(name));
		*error_r = xasprintf("%s is not shared with '%s'", name, email);
		res = ACTION_REFUSED;
	} else if (rc < 0 || store_event_add(st, t.number, clock_now(), "unshared",
					     actor_or_desk(a, actor), 1, NULL, email, NULL) < 0) {
		res = db_error(a, error_r);
	} else {
		snprintf(rep->detail, sizeof(rep->detail), "no longer shared with %s", email);
		res = ACTION_DONE;
	}
	res = action_end(a, res, "unshared", number, actor, rep, error_r);
	ticket_release(&t);
	return res;
}

/* ---- severity, priority ---- */

static enum action_rc
set_rank(struct actions *a, long long number, const char *field, int value, const char *actor,
	 struct action_report *rep, char **error_r)
{
	struct store *st = a->notify->st;
	struct ticket t;
	char data[32];
	int *slot, old;
	time_t now = clock_now();
	enum action_rc res;

	report_init(rep);
	if (value < 1 || value > 4) {
		*error_r = xasprintf("%s must be 1-4, not %d", field, value);
		return ACTION_REFUSED;
	}
	if (tx_begin(a, error_r) < 0)
		return ACTION_ERROR;
	res = load_ticket(a, number, &t, error_r);
	if (res != ACTION_DONE)
		return tx_end(a, res, error_r);
	slot = strcmp(field, "severity") == 0 ? &t.severity : &t.priority;
	old = *slot;
	if (old == value) {
		snprintf(rep->detail, sizeof(rep->detail), "%s already %d", field, value);
		res = ACTION_UNCHANGED;
	} else {
		*slot = value;
		t.updated_at = now;
		snprintf(data, sizeof(data), "%d->%d", old, value);
		snprintf(rep->detail, sizeof(rep->detail), "%s %d -> %d", field, old, value);
		/* SLA: recompute due (the target depends on the severity only). */
		if ((a->sla != NULL && slot == &t.severity &&
		     sla_recompute(a->sla, st, &t, now) < 0) ||
		    store_ticket_update(st, &t) < 0 ||
		    store_event_add(st, t.number, now, field, actor_or_desk(a, actor), 1, NULL, data,
				    NULL) < 0)
			res = db_error(a, error_r);
	}
	res = action_end(a, res, field, number, actor, rep, error_r);
	ticket_release(&t);
	return res;
}

enum action_rc
action_severity(struct actions *a, long long number, int value, const char *actor,
		struct action_report *rep, char **error_r)
{
	return set_rank(a, number, "severity", value, actor, rep, error_r);
}

enum action_rc
action_priority(struct actions *a, long long number, int value, const char *actor,
		struct action_report *rep, char **error_r)
{
	return set_rank(a, number, "priority", value, actor, rep, error_r);
}

/* ---- assign ---- */

enum action_rc
action_assign(struct actions *a, long long number, const char *agent, const char *actor,
	      struct action_report *rep, char **error_r)
{
	struct store *st = a->notify->st;
	struct ticket t;
	struct agent ag;
	time_t now = clock_now();
	enum action_rc res;
	int rc;

	report_init(rep);
	if (tx_begin(a, error_r) < 0)
		return ACTION_ERROR;
	res = load_ticket(a, number, &t, error_r);
	if (res != ACTION_DONE)
		return tx_end(a, res, error_r);
	rc = agent != NULL ? store_agent_get(st, agent, &ag) : 0;
	if (rc < 0) {
		res = db_error(a, error_r);
	} else if (rc == 0) {
		*error_r = xasprintf("'%s' is not a registered agent", agent != NULL ? agent : "");
		res = ACTION_REFUSED;
	} else {
		if (t.assignee != NULL && strcasecmp(t.assignee, ag.email) == 0) {
			snprintf(rep->detail, sizeof(rep->detail), "already assigned to %s", ag.email);
			res = ACTION_UNCHANGED;
		} else {
			free(t.assignee);
			t.assignee = xstrdup(ag.email);
			t.updated_at = now;
			snprintf(rep->detail, sizeof(rep->detail), "assigned to %s", ag.email);
			if (store_ticket_update(st, &t) < 0 ||
			    store_event_add(st, t.number, now, "assigned", actor_or_desk(a, actor), 0,
					    NULL, ag.email, NULL) < 0)
				res = db_error(a, error_r);
		}
		agent_release(&ag);
	}
	res = action_end(a, res, "assigned", number, actor, rep, error_r);
	ticket_release(&t);
	return res;
}

/* ---- escalate ---- */

enum action_rc
action_escalate(struct actions *a, long long number, const char *actor,
		struct action_report *rep, char **error_r)
{
	struct ticket t;
	char name[NOTIFY_TICKET_NAME_MAX];
	enum action_rc res;
	int rc;

	report_init(rep);
	if (tx_begin(a, error_r) < 0)
		return ACTION_ERROR;
	res = load_ticket(a, number, &t, error_r);
	if (res != ACTION_DONE)
		return tx_end(a, res, error_r);
	rep->level = t.level;
	if (strcmp(t.status, "closed") == 0) {
		notify_ticket_name(a->notify->conf, t.number, name, sizeof(name));
		*error_r = xasprintf("%s is closed", name);
		res = ACTION_REFUSED;
	} else {
		rc = escalate_ticket(a->sla, a->notify, &t, actor, clock_now(), error_r);
		res = rc < 0 ? ACTION_ERROR : rc == 0 ? ACTION_UNCHANGED : ACTION_DONE;
		rep->level = t.level;
	}
	res = tx_end(a, res, error_r);
	ticket_release(&t);
	return res;
}
