#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uuid/uuid.h>

#include "clock.h"
#include "compose.h"
#include "conf.h"
#include "log.h"
#include "sla.h"
#include "store.h"
#include "token.h"
#include "xmalloc.h"

#define NOTIFY_MAX_VARS 48

/* conf keeps room for a token in the Reply-To local part. */
_Static_assert(TOKEN_MAX_LEN <= CONF_REPLY_TOKEN_MAX, "conf's reply token room is too small");

void
notify_ticket_name(const struct conf *conf, long long number, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s-%lld", conf->ticket_prefix, number);
}

/*
 * A fresh unique part for a Message-ID: libuuid's 16 random bytes in
 * base64url (22 characters, all atext), short enough that the whole
 * Message-ID header stays on one line under 78 characters.
 */
static void
message_unique(char out[23])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char u[18] = { 0 };
	size_t i, o = 0;

	uuid_generate(u);
	for (i = 0; i < 18 && o < 22; i += 3) {
		unsigned int v = ((unsigned int)u[i] << 16) | ((unsigned int)u[i + 1] << 8) | u[i + 2];

		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		if (o < 22)
			out[o++] = b64[(v >> 6) & 63];
		if (o < 22)
			out[o++] = b64[v & 63];
	}
	out[22] = '\0';
}

static const char *
support_domain(const struct conf *conf)
{
	const char *at = strrchr(conf->support_address, '@');

	return at != NULL ? at + 1 : "localhost";
}

/* support+TOKEN@domain */
static char *
reply_address(const struct conf *conf, const char *token)
{
	const char *at = strrchr(conf->support_address, '@');

	if (at == NULL)
		return xstrdup(conf->support_address);
	return xasprintf("%.*s+%s%s", (int)(at - conf->support_address), conf->support_address,
			 token, at);
}

struct varset {
	struct tmpl_var v[NOTIFY_MAX_VARS];
	size_t n;
	char *owned[16];
	size_t n_owned;
};

static void
var_add(struct varset *vs, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i].name, name) == 0) {
			vs->v[i].value = value;
			return;
		}
	if (vs->n < NOTIFY_MAX_VARS) {
		vs->v[vs->n].name = name;
		vs->v[vs->n].value = value;
		vs->n++;
	}
}

static const char *
var_own(struct varset *vs, char *value)
{
	if (vs->n_owned < sizeof(vs->owned) / sizeof(vs->owned[0]))
		vs->owned[vs->n_owned++] = value;
	return value;
}

/* The variables of ticket t in lang.  -1 on a store error. */
static int
ticket_vars(struct notify *n, const struct ticket *t, const char *lang, struct varset *vs)
{
	const struct conf *conf = n->conf;
	const struct conf_region *region = conf_region(conf, t->region);
	const struct conf_plan *plan;
	char name[NOTIFY_TICKET_NAME_MAX], num[16];

	notify_ticket_name(conf, t->number, name, sizeof(name));
	var_add(vs, "ticket", var_own(vs, xstrdup(name)));
	var_add(vs, "subject", t->subject);
	var_add(vs, "requester", t->requester);
	var_add(vs, "requester_name", t->requester_name);
	snprintf(num, sizeof(num), "%d", t->severity);
	var_add(vs, "severity", var_own(vs, xstrdup(num)));
	var_add(vs, "severity_name", tmpl_label(lang, "severity", t->severity));
	snprintf(num, sizeof(num), "%d", t->priority);
	var_add(vs, "priority", var_own(vs, xstrdup(num)));
	var_add(vs, "priority_name", tmpl_label(lang, "priority", t->priority));
	var_add(vs, "status", t->status);
	var_add(vs, "status_name", tmpl_status_label(lang, t->status));
	snprintf(num, sizeof(num), "%d", t->level);
	var_add(vs, "level", var_own(vs, xstrdup(num)));
	var_add(vs, "level_name", tmpl_label(lang, "level", t->level));
	var_add(vs, "region", t->region);
	if (region != NULL)
		var_add(vs, "hours", var_own(vs, xasprintf("%s (%s)", region->hours, region->timezone)));
	if (sla_plan(conf, n->st, t->org_id, &plan) < 0)
		return -1;
	if (plan != NULL)
		var_add(vs, "plan", plan->name);
	if (t->severity == 1 && plan != NULL && plan->phone_sev1 && region != NULL)
		var_add(vs, "phone", region->phone);
	/* Severity 1 around the clock: outside the desk's hours, the weekend line. */
	if (t->severity == 1 && plan != NULL && plan->phone_sev1 && plan->sev1_24x7 &&
	    region != NULL && region->weekend_phone != NULL && n->sla != NULL &&
	    !sla_is_business_time(n->sla, t->region, t->created_at))
		var_add(vs, "phone", region->weekend_phone);
	if (t->due_at != 0 && n->sla != NULL)
		var_add(vs, "due", var_own(vs, sla_format_due(n->sla, t->region, lang, t->due_at)));
	if (t->previous != 0) {
		notify_ticket_name(conf, t->previous, name, sizeof(name));
		var_add(vs, "previous", var_own(vs, xstrdup(name)));
	}
	return 0;
}

static void
varset_release(struct varset *vs)
{
	size_t i;

	for (i = 0; i < vs->n_owned; i++)
		free(vs->owned[i]);
	vs->n_owned = 0;
	vs->n = 0;
}

/*
 * May m go to its recipient?  0 yes; 1 skipped (*why_r: an invalid
 * address, or one that bounced: then an event on the ticket says so); -1
 * on a store error.
 */
static int
recipient_check(struct notify *n, const struct notify_mail *m, long long number,
		const char **why_r, char **error_r)
{
	char *reason = NULL, *why;
	int rc;

	if (!compose_address_valid(m->rcpt)) {
		*why_r = "invalid address";
		return 1;
	}
	rc = store_undeliverable_get(n->st, m->rcpt, &reason);
	if (rc < 0) {
		*error_r = xasprintf("unable to look up '%s': %s", m->rcpt, store_error(n->st));
		return -1;
	}
	if (rc == 0)
		return 0;
	/* The ticket's activity says why this person heard nothing. */
	why = xasprintf("not sent to %s: undeliverable (%s)", m->rcpt, reason);
	free(reason);
	*why_r = "undeliverable";
	rc = number != 0 ? store_event_add(n->st, number, clock_now(), "mail_skipped", "system", 0,
					    why, m->tmpl, NULL) : 0;
	free(why);
	if (rc < 0) {
		*error_r = xasprintf("unable to record a skipped mail: %s", store_error(n->st));
		return -1;
	}
	return 1;
}

/* The template m->tmpl about t (may be NULL) in lang.  -1 with *error_r. */
static int
render(struct notify *n, const struct ticket *t, const struct notify_mail *m, const char *lang,
       char **subject_r, char **body_r, char **error_r)
{
	const struct conf *conf = n->conf;
	struct varset vs;
	size_t i;
	int rc = -1;

	memset(&vs, 0, sizeof(vs));
	var_add(&vs, "support_name", conf->support_name);
	var_add(&vs, "support_address", conf->support_address);
	if (t != NULL && ticket_vars(n, t, lang, &vs) < 0) {
		*error_r = xasprintf("unable to read the ticket's plan: %s", store_error(n->st));
		goto out;
	}
	if (t == NULL && m->subject != NULL)
		var_add(&vs, "subject", m->subject);
	for (i = 0; i < m->n_vars; i++)
		var_add(&vs, m->vars[i].name, m->vars[i].value);
	rc = n->tmpls != NULL ?
		tmpl_set_render(n->tmpls, lang, m->tmpl, vs.v, vs.n, subject_r, body_r, error_r) :
		tmpl_render(conf->templates, lang, m->tmpl, vs.v, vs.n, subject_r, body_r, error_r);
out:
	varset_release(&vs);
	return rc;
}

/*
 * A fresh Message-ID for mail about ticket number (0: none): with the
 * reply token, or marked .staff for staff mail; *reply_addr_r gets the
 * plus address to reply to when plus_addressing is on (else NULL).  Both
 * are the caller's.
 */
static char *
message_id(struct notify *n, const struct notify_mail *m, long long number, char **reply_addr_r)
{
	const struct conf *conf = n->conf;
	char token[TOKEN_MAX], unique[40];

	*reply_addr_r = NULL;
	message_unique(unique);
	if (number != 0 && m->staff)
		/* Staff mail threads with the ticket but carries no token to reply with. */
		return xasprintf("%s.staff@%s", unique, support_domain(conf));
	if (number == 0)
		return xasprintf("%s@%s", unique, support_domain(conf));
	/* One token per recipient: this row goes to m->rcpt alone. */
	token_make(n->key, number, m->rcpt, clock_now(), token, sizeof(token));
	if (conf->plus_addressing)
		*reply_addr_r = reply_address(conf, token);
	return xasprintf("%s.%s@%s", unique, token, support_domain(conf));
}

/*
 * The thread, as References keeps it: the first id and the latest ones,
 * and the mail answered even when it is not stored yet (ingest).  -1
 * with *error_r on a store error.
 */
static int
thread_refs(struct notify *n, const struct notify_mail *m, long long number, char ***refs_r,
	    size_t *n_r, char **error_r)
{
	*refs_r = NULL;
	*n_r = 0;
	if (number != 0 && !m->new_ticket &&
	    store_ticket_message_ids(n->st, number, COMPOSE_MAX_REFERENCES, refs_r, n_r) < 0) {
		*error_r = xasprintf("unable to read the thread: %s", store_error(n->st));
		return -1;
	}
	if (m->in_reply_to != NULL && (*n_r == 0 || strcmp((*refs_r)[*n_r - 1], m->in_reply_to) != 0)) {
		*refs_r = xrealloc(*refs_r, (*n_r + 1) * sizeof(**refs_r));
		(*refs_r)[(*n_r)++] = xstrdup(m->in_reply_to);
	}
	return 0;
}

enum notify_result
notify_queue(struct notify *n, const struct ticket *t, const struct notify_mail *m,
	     const char **why_r, char **error_r)
{
	const struct conf *conf = n->conf;
	struct compose c;
	struct compose_addr to, reply_to;
	char *subject = NULL, *body = NULL, *msgid = NULL, *reply_addr = NULL, *raw = NULL;
	char **refs = NULL;
	const char *lang = m->lang != NULL ? m->lang : (t != NULL ? t->language : "en");
	size_t n_refs = 0, raw_len = 0;
	long long number = t != NULL ? t->number : m->ticket_number;
	enum notify_result result = NOTIFY_ERROR;
	int rc;

	*why_r = NULL;
	rc = recipient_check(n, m, number, why_r, error_r);
	if (rc != 0)
		return rc > 0 ? NOTIFY_SKIPPED : NOTIFY_ERROR;
	if (render(n, t, m, lang, &subject, &body, error_r) < 0 ||
	    thread_refs(n, m, number, &refs, &n_refs, error_r) < 0)
		goto out;
	msgid = message_id(n, m, number, &reply_addr);
	memset(&c, 0, sizeof(c));
	if (reply_addr != NULL) {
		reply_to.name = conf->support_name;
		reply_to.address = reply_addr;
		c.reply_to = &reply_to;
	}
	c.from.name = conf->support_name;
	c.from.address = conf->support_address;
	to.name = m->rcpt_name;
	to.address = m->rcpt;
	c.to = &to;
	c.n_to = 1;
	c.subject = subject;
	c.message_id = msgid;
	c.in_reply_to = m->in_reply_to != NULL ? m->in_reply_to :
		(n_refs > 0 ? refs[n_refs - 1] : NULL);
	c.references = (const char *const *)refs;
	c.n_references = n_refs;
	c.auto_submitted = m->auto_submitted;
	c.x_loop = conf->support_address;
	c.date = clock_now();
	c.body = body;
	c.files = m->files;
	c.n_files = m->n_files;
	raw = compose_message(&c, &raw_len);
	if (raw == NULL) {
		*why_r = "invalid address";
		result = NOTIFY_SKIPPED;
		goto out;
	}
	if (store_outbox_add(n->st, number, m->tmpl, conf->support_address, m->rcpt, msgid,
			     raw, raw_len, clock_now(), NULL) < 0) {
		*error_r = xasprintf("unable to queue mail: %s", store_error(n->st));
		goto out;
	}
	result = NOTIFY_QUEUED;
out:
	strv_free(&refs, n_refs);
	free(subject);
	free(body);
	free(msgid);
	free(reply_addr);
	free(raw);
	return result;
}

int
notify_is_staff_id(const struct conf *conf, const char *msgid)
{
	const char *dom = support_domain(conf), *at;
	size_t len;

	at = msgid != NULL ? strrchr(msgid, '@') : NULL;
	if (at == NULL || strcasecmp(at + 1, dom) != 0)
		return 0;
	len = (size_t)(at - msgid);
	return len > 6 && strncmp(at - 6, ".staff", 6) == 0;
}

int
notify_load_templates(const struct conf *conf, struct tmpl_set **set_r, struct buf *errors)
{
	const char *const *langs, *const *names, *const *vars;
	size_t n_langs, n_names, n_vars;

	langs = tmpl_langs(&n_langs);
	names = tmpl_names(&n_names);
	vars = tmpl_known_vars(&n_vars);
	if (set_r == NULL)
		return tmpl_check(conf->templates, langs, n_langs, names, n_names, vars, n_vars, errors);
	return tmpl_set_load(conf->templates, langs, n_langs, names, n_names, vars, n_vars, set_r,
			     errors);
}

