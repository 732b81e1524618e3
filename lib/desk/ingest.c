#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "actions.h"
#include "clock.h"
#include "conf.h"
#include "escalate.h"
#include "lang.h"
#include "log.h"
#include "mime.h"
#include "route.h"
#include "sla.h"
#include "store.h"

int
ingest_init(struct ingest *in, const struct conf *conf, struct store *st, char **error_r)
{
	memset(in, 0, sizeof(*in));
	in->conf = conf;
	in->st = st;
	if (token_key_load(&in->key, st, conf->hmac_key_file, error_r) < 0)
		return -1;
	in->sla = sla_new(conf, error_r);
	if (in->sla == NULL) {
		token_key_wipe(&in->key);
		return -1;
	}
	in->notify.conf = conf;
	in->notify.st = st;
	in->notify.key = &in->key;
	in->notify.sla = in->sla;
	return 0;
}

void
ingest_release(struct ingest *in)
{
	token_key_wipe(&in->key);
	sla_free(&in->sla);
}

void
decision_release(struct decision *d)
{
	free(d->reason);
	free(d->requester);
	free(d->requester_name);
	free(d->region);
	free(d->language);
	free(d->bounced);
	memset(d, 0, sizeof(*d));
}

static void
decide_set(struct decision *d, const char *fate, const char *rule, long long ticket,
	   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
decide_set(struct decision *d, const char *fate, const char *rule, long long ticket,
	   const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	d->fate = fate;
	d->rule = rule;
	d->ticket = ticket;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(d->reason);
	d->reason = buf_detach(&b, NULL);
}

/* Is address ours (support@domain or support+anything@domain)? */
static int
is_our_address(const struct conf *conf, const char *addr)
{
	const char *at = strrchr(conf->support_address, '@'), *aat;
	size_t local;

	if (addr == NULL || at == NULL)
		return 0;
	local = (size_t)(at - conf->support_address);
	aat = strrchr(addr, '@');
	if (aat == NULL || strcasecmp(aat, at) != 0)
		return 0;
	if (strncasecmp(addr, conf->support_address, local) != 0)
		return 0;
	return addr + local == aat || addr[local] == '+';
}

/* Our own mail coming back: our X-Loop marker, our From, our Message-ID. */
static int
is_loop(struct ingest *in, const struct mime_msg *m, int *err)
{
	const char *xloop = mime_header_get(m, "X-Loop");
	long long t;
	int rc;

	*err = 0;
	if (xloop != NULL && strcasestr(xloop, in->conf->support_address) != NULL)
		return 1;
	if (is_our_address(in->conf, m->from.address))
		return 1;
	if (m->message_id != NULL && token_find(&in->key, m->message_id) != 0) {
		rc = store_message_ticket(in->st, m->message_id, &t);
		if (rc < 0)
			*err = 1;
		return rc == 1;
	}
	return 0;
}

/* A valid reply token in To, Cc, Delivered-To, In-Reply-To or References. */
static long long
find_token(struct ingest *in, const struct mime_msg *m)
{
	long long t;
	size_t i;

	for (i = 0; i < m->n_to; i++)
		if ((t = token_find(&in->key, m->to[i].address)) != 0)
			return t;
	for (i = 0; i < m->n_cc; i++)
		if ((t = token_find(&in->key, m->cc[i].address)) != 0)
			return t;
	for (i = 0; i < m->n_delivered_to; i++)
		if ((t = token_find(&in->key, m->delivered_to[i])) != 0)
			return t;
	if ((t = token_find(&in->key, m->in_reply_to)) != 0)
		return t;
	for (i = m->n_references; i > 0; i--)
		if ((t = token_find(&in->key, m->references[i - 1])) != 0)
			return t;
	return 0;
}

/* In-Reply-To, then References newest first, naming a stored message. */
static int
find_by_headers(struct ingest *in, const struct mime_msg *m, long long *ticket_r)
{
	size_t i;
	int rc;

	if (m->in_reply_to != NULL) {
		rc = store_message_ticket(in->st, m->in_reply_to, ticket_r);
		if (rc != 0)
			return rc;
	}
	for (i = m->n_references; i > 0; i--) {
		rc = store_message_ticket(in->st, m->references[i - 1], ticket_r);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The leftmost ticket number in the subject that exists. */
static int
find_by_subject(struct ingest *in, const struct mime_msg *m, long long *ticket_r,
		long long *missing_r)
{
	long long nums[ROUTE_MAX_NUMBERS];
	struct ticket t;
	size_t n, i;
	int rc;

	*missing_r = 0;
	n = route_subject_numbers(m->subject, in->conf->ticket_prefix, nums, ROUTE_MAX_NUMBERS);
	for (i = 0; i < n; i++) {
		rc = store_ticket_get(in->st, nums[i], &t);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			ticket_release(&t);
			*ticket_r = nums[i];
			return 1;
		}
		if (*missing_r == 0)
			*missing_r = nums[i];
	}
	return 0;
}

/* The domain of an address, lowercase, or NULL. */
static const char *
address_domain(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

/*
 * Who is the sender?  Fills d->sender_is_agent, d->org_id and the
 * contact's language.  Returns 1 when the sender may open tickets (a
 * registered contact, an agent, an auto-registering domain with room, or
 * accept_unregistered), 0 when not, -1 on a store error.
 */
static int
sender_registration(struct ingest *in, const char *sender, struct decision *d, char **lang_r,
		    char **region_r)
{
	struct contact c;
	struct agent a;
	struct org o;
	long long n;
	const struct conf_plan *plan;
	int rc;

	*lang_r = NULL;
	*region_r = NULL;
	rc = store_agent_get(in->st, sender, &a);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		d->sender_is_agent = 1;
		*region_r = xstrdup_or_null(a.region);
		agent_release(&a);
		return 1;
	}
	rc = store_contact_get(in->st, sender, &c);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		d->org_id = c.org_id;
		*lang_r = xstrdup_or_null(c.language);
		contact_release(&c);
		if (d->org_id != 0 && store_org_get_id(in->st, d->org_id, &o) == 1) {
			*region_r = xstrdup(o.region);
			org_release(&o);
		}
		return 1;
	}
	if (address_domain(sender) != NULL) {
		rc = store_org_by_domain(in->st, address_domain(sender), &o);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			int room = 0;

			plan = conf_plan(in->conf, o.plan);
			if (o.auto_register) {
				if (store_org_count_contacts(in->st, o.id, &n) < 0) {
					org_release(&o);
					return -1;
				}
				room = plan == NULL || plan->max_contacts == 0 || n < plan->max_contacts;
			}
			if (room) {
				d->org_id = o.id;
				d->auto_register = 1;
				*region_r = xstrdup(o.region);
			}
			org_release(&o);
			if (room)
				return 1;
			return in->conf->accept_unregistered;
		}
	}
	return in->conf->accept_unregistered;
}

/*
 * May sender write into ticket t?  The requester, participants, agents,
 * and registered contacts of the requester's organisation.
 */
static int
sender_allowed(struct ingest *in, const struct ticket *t, const char *sender, int *agent_r)
{
	struct contact c;
	struct agent a;
	int rc;

	*agent_r = 0;
	if (sender == NULL)
		return 0;
	if (strcasecmp(sender, t->requester) == 0)
		return 1;
	rc = store_agent_get(in->st, sender, &a);
	if (rc != 0) {
		if (rc == 1) {
			agent_release(&a);
			*agent_r = 1;
		}
		return rc;
	}
	rc = store_participant_has(in->st, t->number, sender);
	if (rc != 0)
		return rc;
	if (t->org_id == 0)
		return 0;
	rc = store_contact_get(in->st, sender, &c);
	if (rc != 1)
		return rc;
	rc = c.org_id == t->org_id;
	contact_release(&c);
	return rc;
}

static void
new_ticket_fields(struct ingest *in, const struct mime_msg *m, const struct ingest_source *src,
		  const char *contact_lang, const char *org_region, struct decision *d)
{
	const struct conf *conf = in->conf;
	const struct conf_region *region = NULL;
	const char *lang = NULL;

	d->requester = xstrdup_or_null(m->from.address);
	d->requester_name = xstrdup_or_null(m->from.name);
	/* Region: the organisation's, else the mailbox's, else the default. */
	if (org_region != NULL)
		region = conf_region(conf, org_region);
	if (region == NULL)
		region = conf_region(conf, src->region);
	if (region == NULL)
		region = conf_region(conf, conf->default_region);
	d->region = xstrdup(region != NULL ? region->name : conf->default_region);
	/* Language: the contact's, else detected, else the mailbox's or region's. */
	if (lang_supported(contact_lang))
		lang = contact_lang;
	else if (lang_supported(m->language))
		lang = m->language;
	else if (src->language != NULL)
		lang = src->language;
	else if (region != NULL && region->language != NULL)
		lang = region->language;
	else
		lang = conf->default_language;
	d->language = xstrdup(lang);
	route_fields(m->subject, m->body, &d->severity, &d->priority);
	if (d->severity == 0)
		d->severity = conf->default_severity;
	if (d->priority == 0)
		d->priority = conf->default_priority;
}

/* Find the thread: token, then headers, then subject.  rule_r names the rule. */
static int
find_thread(struct ingest *in, const struct mime_msg *m, long long *ticket_r,
	    const char **rule_r, long long *missing_r)
{
	struct ticket t;
	long long ticket;
	int rc;

	*ticket_r = 0;
	*missing_r = 0;
	if ((ticket = find_token(in, m)) != 0) {
		rc = store_ticket_get(in->st, ticket, &t);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			ticket_release(&t);
			*ticket_r = ticket;
			*rule_r = "token";
			return 1;
		}
	}
	rc = find_by_headers(in, m, ticket_r);
	if (rc != 0) {
		*rule_r = "headers";
		return rc;
	}
	rc = find_by_subject(in, m, ticket_r, missing_r);
	if (rc != 0)
		*rule_r = "subject";
	return rc;
}

int
ingest_decide(struct ingest *in, const struct mime_msg *m, const struct ingest_source *src,
	      struct decision *d, char **error_r)
{
	char name[64], *contact_lang = NULL, *org_region = NULL;
	const char *rule = "new";
	long long ticket = 0, missing = 0;
	struct ticket t;
	int rc, err, registered, is_agent;

	memset(d, 0, sizeof(*d));
	if (m->raw_size > in->conf->max_message_size) {
		decide_set(d, "too_large", "limit", 0, "the message has %zu bytes, over the limit of %zu",
			   m->raw_size, in->conf->max_message_size);
		d->autorespond = !m->automatic && m->from.address != NULL;
		return 0;
	}
	if (m->from.address == NULL || m->n_headers == 0) {
		decide_set(d, "unparseable", "parse", 0, "the message has no usable From address");
		return 0;
	}
	rc = store_message_is_duplicate(in->st, m->message_id, m->sha256, &ticket);
	if (rc < 0)
		goto dberr;
	if (rc == 1) {
		decide_set(d, "duplicate", "duplicate", ticket,
			   "the same message (Message-ID and content) was already ingested");
		return 0;
	}
	if (is_loop(in, m, &err)) {
		decide_set(d, "loop", "loop", 0, "our own mail came back");
		return 0;
	}
	if (err)
		goto dberr;

	/* Robots first: they never create tickets and never get answers. */
	if (m->kind == MIME_KIND_BOUNCE || m->kind == MIME_KIND_FEEDBACK_REPORT) {
		if (m->dsn_message_id != NULL) {
			rc = store_message_ticket(in->st, m->dsn_message_id, &ticket);
			if (rc < 0)
				goto dberr;
		}
		if (ticket == 0 && find_thread(in, m, &ticket, &rule, &missing) < 0)
			goto dberr;
		d->bounced = xstrdup_or_null(m->dsn_recipient);
		if (m->kind == MIME_KIND_FEEDBACK_REPORT)
			decide_set(d, "bounce", "arf", ticket, "an abuse/feedback report (ARF)");
		else
			decide_set(d, "bounce", "dsn", ticket, "a delivery status notification%s%s",
				   m->dsn_recipient != NULL ? " for " : "",
				   m->dsn_recipient != NULL ? m->dsn_recipient : "");
		return 0;
	}
	rc = find_thread(in, m, &ticket, &rule, &missing);
	if (rc < 0)
		goto dberr;
	d->missing = missing;
	if (m->kind == MIME_KIND_AUTO_REPLY) {
		decide_set(d, "auto_reply", rc == 1 ? rule : "none", ticket,
			   "an automatic reply (%s); stored without notifying anyone",
			   m->automatic_reason != NULL ? m->automatic_reason : "out of office");
		return 0;
	}
	if (rc == 1) {
		rc = store_ticket_get(in->st, ticket, &t);
		if (rc <= 0)
			goto dberr;
		rc = sender_allowed(in, &t, m->from.address, &is_agent);
		if (rc < 0) {
			ticket_release(&t);
			goto dberr;
		}
		/* A token proves the mail answers ours; headers and subjects can be guessed. */
		if (strcmp(rule, "token") == 0)
			rc = 1;
		d->sender_is_agent = is_agent;
		d->staff_thread = is_agent && notify_is_staff_id(in->conf, m->in_reply_to);
		if (rc == 1 && (strcmp(t.status, "closed") != 0 || in->conf->reopen_closed || is_agent)) {
			ticket_release(&t);
			decide_set(d, "followup", rule, ticket, "%s names the ticket and the sender %s%s",
				   strcmp(rule, "token") == 0 ? "a valid reply token" :
				   strcmp(rule, "headers") == 0 ? "In-Reply-To/References" : "the subject",
				   is_agent ? "is an agent" : "may write to it",
				   d->staff_thread ? "; it answers a staff mail, so it is an internal note" : "");
			return 0;
		}
		if (rc == 1) {
			/* A reply to a closed ticket opens a new one naming the old. */
			d->previous = ticket;
		} else {
			d->cited = ticket;
		}
		ticket_release(&t);
	}

	registered = sender_registration(in, m->from.address, d, &contact_lang, &org_region);
	if (registered < 0)
		goto dberr;
	new_ticket_fields(in, m, src, contact_lang, org_region, d);
	free(contact_lang);
	free(org_region);
	d->autorespond = !m->automatic;
	if (d->cited != 0) {
		notify_ticket_name(in->conf, d->cited, name, sizeof(name));
		decide_set(d, "rejected_stranger", rule, 0,
			   "%s names %s but the sender may not write to it; %s", rule, name,
			   registered ? "a new ticket of their own is opened" :
			   "the sender is not registered either: no ticket, a refusal notice");
		if (!registered)
			free(d->requester), d->requester = NULL;
		return 0;
	}
	if (!registered) {
		decide_set(d, "rejected_unregistered", "registration", 0,
			   "the sender is not a registered contact%s",
			   m->automatic ? "; automatic mail gets no refusal" : "; a refusal notice goes out");
		return 0;
	}
	if (d->previous != 0) {
		notify_ticket_name(in->conf, d->previous, name, sizeof(name));
		decide_set(d, "created", rule, 0, "%s is closed: a new ticket continues it", name);
	} else if (missing != 0) {
		decide_set(d, "created", "new", 0, "the subject names %s-%lld, which does not exist",
			   in->conf->ticket_prefix, missing);
	} else {
		decide_set(d, "created", "new", 0, "no reply token, thread header or ticket number");
	}
	if (d->auto_register) {
		char *r = xasprintf("%s; the sender is registered with its domain's organisation", d->reason);

		free(d->reason);
		d->reason = r;
	}
	return 0;
dberr:
	free(contact_lang);
	free(org_region);
	*error_r = xstrdup(store_error(in->st));
	return -1;
}

/*
 * Queue an automatic answer to the sender of m (an auto-response, a
 * refusal, a too-large notice), under the per-sender cap of SPEC section
 * 4: at most autoresponse_limit such mails per sender per hour.  t is NULL
 * for mail about no ticket.
 */
static int
queue_automatic(struct ingest *in, const struct ticket *t, struct notify_mail *nm,
		const struct mime_msg *m, time_t now, const char **why_r, char **error_r)
{
	enum notify_result r;
	long long n;

	if (in->conf->autoresponse_limit > 0) {
		if (store_autoresp_count(in->st, m->from.address, now - 3600, &n) < 0) {
			*error_r = xstrdup(store_error(in->st));
			return -1;
		}
		if (n >= in->conf->autoresponse_limit) {
			*why_r = "rate-limited";
			return 0;
		}
	}
	nm->rcpt = m->from.address;
	nm->rcpt_name = m->from.name;
	nm->in_reply_to = m->message_id;
	nm->auto_submitted = "auto-replied";
	r = notify_queue(&in->notify, t, nm, why_r, error_r);
	if (r == NOTIFY_ERROR)
		return -1;
	if (r == NOTIFY_QUEUED && store_autoresp_add(in->st, m->from.address, now) < 0) {
		*error_r = xstrdup(store_error(in->st));
		return -1;
	}
	return 0;
}

/* Registered contacts in Cc become participants; others are noted and ignored. */
static int
add_cc_participants(struct ingest *in, const struct mime_msg *m, long long ticket, time_t now,
		    struct buf *note)
{
	struct contact c;
	size_t i;
	int rc;

	for (i = 0; i < m->n_cc; i++) {
		const char *addr = m->cc[i].address;

		if (addr == NULL || is_our_address(in->conf, addr) ||
		    strcasecmp(addr, m->from.address) == 0)
			continue;
		rc = store_contact_get(in->st, addr, &c);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			buf_addf(note, "%s%s", note->len > 0 ? "," : "", addr);
			continue;
		}
		contact_release(&c);
		rc = store_participant_has(in->st, ticket, addr);
		if (rc < 0)
			return -1;
		if (rc == 1)
			continue;
		if (store_participant_add(in->st, ticket, addr, now) < 0 ||
		    store_event_add(in->st, ticket, now, "shared", m->from.address, 1, NULL, addr,
				    NULL) < 0)
			return -1;
	}
	return 0;
}

static int
register_requester(struct ingest *in, const struct mime_msg *m, const struct decision *d)
{
	struct contact c;

	memset(&c, 0, sizeof(c));
	c.email = (char *)m->from.address;
	c.name = (char *)m->from.name;
	c.org_id = d->org_id;
	c.language = d->language;
	c.created_at = clock_now();
	return store_contact_add(in->st, &c, NULL);
}

static int
apply_created(struct ingest *in, const struct mime_msg *m, struct decision *d, time_t now,
	      const char **why_r, struct buf *note, char **error_r)
{
	struct ticket t;
	char prev[64];
	int rc = 0;

	if (d->auto_register && register_requester(in, m, d) < 0)
		goto dberr;
	memset(&t, 0, sizeof(t));
	t.subject = xstrdup(m->subject != NULL && m->subject[0] != '\0' ? m->subject : "(no subject)");
	t.requester = xstrdup(d->requester);
	t.requester_name = xstrdup_or_null(d->requester_name);
	t.org_id = d->org_id;
	t.region = xstrdup(d->region);
	t.language = xstrdup(d->language);
	t.severity = d->severity;
	t.priority = d->priority;
	t.status = xstrdup("new");
	t.created_at = now;
	t.previous = d->previous;
	/* The SLA clock starts now, in the region's business hours. */
	if (sla_ticket_due(in->sla, in->st, &t, &t.due_at) < 0 ||
	    store_ticket_create(in->st, &t) < 0 ||
	    store_event_add(in->st, t.number, now, "created", m->from.address, 1, m->body,
			    NULL, NULL) < 0)
		goto dberr_t;
	d->ticket = t.number;
	if (d->previous != 0) {
		notify_ticket_name(in->conf, t.number, prev, sizeof(prev));
		if (store_event_add(in->st, d->previous, now, "continued", "system", 0, NULL, prev,
				    NULL) < 0)
			goto dberr_t;
	}
	if (d->cited != 0) {
		/* For support only: the stranger learns nothing of the cited ticket. */
		notify_ticket_name(in->conf, t.number, prev, sizeof(prev));
		if (store_event_add(in->st, d->cited, now, "rejected_stranger", m->from.address, 0,
				    NULL, prev, NULL) < 0)
			goto dberr_t;
	} else if (add_cc_participants(in, m, t.number, now, note) < 0) {
		goto dberr_t;
	}
	if (d->autorespond) {
		struct notify_mail nm;

		memset(&nm, 0, sizeof(nm));
		nm.tmpl = "autoresponse";
		rc = queue_automatic(in, &t, &nm, m, now, why_r, error_r);
	} else {
		*why_r = "automatic mail";
	}
	ticket_release(&t);
	return rc;
dberr_t:
	ticket_release(&t);
dberr:
	*error_r = xstrdup(store_error(in->st));
	return -1;
}

/* Apply the commands at the top of a reply (SPEC 5), each as its own event. */
static int
apply_commands(struct ingest *in, struct actions *a, long long number,
	       const struct route_cmd *cmds, size_t n, const char *actor, time_t now,
	       struct buf *note, char **error_r)
{
	struct action_report rep;
	struct ticket t;
	enum action_rc rc = ACTION_DONE;
	size_t i;
	int r;

	for (i = 0; i < n && rc != ACTION_ERROR; i++) {
		memset(&rep, 0, sizeof(rep));
		switch (cmds[i].type) {
		case ROUTE_CMD_CLOSE:
			rc = action_status(a, number, "closed", actor, &rep, error_r);
			break;
		case ROUTE_CMD_REOPEN:
			rc = action_status(a, number, "open", actor, &rep, error_r);
			break;
		case ROUTE_CMD_SEVERITY:
			rc = action_severity(a, number, cmds[i].value, actor, &rep, error_r);
			break;
		case ROUTE_CMD_PRIORITY:
			rc = action_priority(a, number, cmds[i].value, actor, &rep, error_r);
			break;
		case ROUTE_CMD_ESCALATE:
			r = store_ticket_get(in->st, number, &t);
			if (r <= 0) {
				*error_r = xstrdup(r < 0 ? store_error(in->st) : "ticket vanished");
				return -1;
			}
			r = escalate_ticket(in->sla, &in->notify, &t, actor, now, error_r);
			ticket_release(&t);
			rc = r < 0 ? ACTION_ERROR : r == 0 ? ACTION_UNCHANGED : ACTION_DONE;
			break;
		case ROUTE_CMD_INTERNAL:
			continue;
		}
		if (rc == ACTION_REFUSED) {
			/* e.g. a severity the ticket already has: say so, carry on. */
			buf_addf(note, "%s#%s refused", note->len > 0 ? " " : "", route_cmd_name(cmds[i].type));
			free(*error_r);
			*error_r = NULL;
		} else if (rc != ACTION_ERROR) {
			buf_addf(note, "%s#%s", note->len > 0 ? " " : "", route_cmd_name(cmds[i].type));
		}
	}
	return rc == ACTION_ERROR ? -1 : 0;
}

static int
apply_followup(struct ingest *in, const struct mime_msg *m, struct decision *d, time_t now,
	       struct buf *note, struct buf *done, char **error_r)
{
	struct route_cmd cmds[ROUTE_MAX_CMDS];
	struct action_report rep;
	struct actions a;
	struct ticket t;
	char *text = NULL;
	size_t n, i;
	int rc, internal = 0;

	n = route_commands(m->subject, m->reply != NULL ? m->reply : m->body, cmds,
			   ROUTE_MAX_CMDS, &text);
	for (i = 0; i < n; i++)
		if (cmds[i].type == ROUTE_CMD_INTERNAL)
			internal = 1;
	if (d->staff_thread)
		internal = 1;
	actions_init(&a, &in->notify, in->sla, 1);
	if (d->sender_is_agent) {
		/* An agent's reply is a comment for the customer (or a note, #internal). */
		memset(&rep, 0, sizeof(rep));
		switch (action_agent_reply(&a, d->ticket, m->from.address, text, internal, &rep,
					   error_r)) {
		case ACTION_ERROR:
			goto fail;
		case ACTION_REFUSED:
			/* e.g. nothing but commands: the commands below still apply. */
			xfree(error_r);
			break;
		default:
			break;
		}
	} else {
		rc = store_ticket_get(in->st, d->ticket, &t);
		if (rc <= 0) {
			*error_r = xstrdup(rc < 0 ? store_error(in->st) : "ticket vanished");
			goto fail;
		}
		rc = store_event_add(in->st, t.number, now, "comment", m->from.address, 1, text,
				     NULL, NULL);
		/* A customer reply brings a waiting, solved or (reopen_closed) closed ticket back. */
		if (rc == 0 && (strcmp(t.status, "pending") == 0 || strcmp(t.status, "resolved") == 0 ||
				strcmp(t.status, "closed") == 0)) {
			char data[64];

			snprintf(data, sizeof(data), "%s->open", t.status);
			free(t.status);
			t.status = xstrdup("open");
			t.updated_at = now;
			rc = store_ticket_update(in->st, &t);
			if (rc == 0)
				rc = store_event_add(in->st, t.number, now, "status", m->from.address, 1,
						     NULL, data, NULL);
		}
		ticket_release(&t);
		if (rc < 0) {
			*error_r = xstrdup(store_error(in->st));
			goto fail;
		}
	}
	if (apply_commands(in, &a, d->ticket, cmds, n, m->from.address, now, done, error_r) < 0)
		goto fail;
	if (add_cc_participants(in, m, d->ticket, now, note) < 0) {
		*error_r = xstrdup(store_error(in->st));
		goto fail;
	}
	free(text);
	return 0;
fail:
	free(text);
	return -1;
}

/* Mail about no ticket: a refusal or a too-large notice, never to robots. */
static int
queue_notice(struct ingest *in, const struct mime_msg *m, const struct decision *d,
	     const char *tmpl, time_t now, const char **why_r, char **error_r)
{
	char limit[32];
	struct tmpl_var var = { "limit", limit };
	struct notify_mail nm;

	if (m->automatic || m->from.address == NULL) {
		*why_r = "automatic mail";
		return 0;
	}
	snprintf(limit, sizeof(limit), "%zu MB", in->conf->max_message_size / (1024 * 1024));
	memset(&nm, 0, sizeof(nm));
	nm.tmpl = tmpl;
	nm.lang = d->language != NULL ? d->language :
		(lang_supported(m->language) ? m->language : in->conf->default_language);
	nm.subject = m->subject != NULL ? m->subject : "";
	nm.vars = &var;
	nm.n_vars = 1;
	return queue_automatic(in, NULL, &nm, m, now, why_r, error_r);
}

static int
apply_robot(struct ingest *in, const struct mime_msg *m, const struct decision *d, time_t now,
	    char **error_r)
{
	char *body = NULL;
	int rc = 0;

	if (strcmp(d->fate, "bounce") == 0) {
		if (d->bounced != NULL && strcmp(d->rule, "dsn") == 0 && m->dsn_delayed) {
			/* A delay warning: the server is still trying; nothing is marked. */
			body = xasprintf("mail to %s is delayed%s%s", d->bounced,
					 m->subject != NULL ? ": " : "", m->subject != NULL ? m->subject : "");
		} else if (d->bounced != NULL && strcmp(d->rule, "dsn") == 0) {
			body = xasprintf("mail to %s bounced%s%s", d->bounced,
					 m->subject != NULL ? ": " : "", m->subject != NULL ? m->subject : "");
			rc = store_contact_set_undeliverable(in->st, d->bounced, body, now);
		}
		if (rc == 0 && d->ticket != 0)
			rc = store_event_add(in->st, d->ticket, now, "bounce", m->from.address, 0,
					     body != NULL ? body : m->subject, d->bounced, NULL);
	} else if (d->ticket != 0) {
		rc = store_event_add(in->st, d->ticket, now, "auto_reply", m->from.address, 0,
				     m->reply != NULL ? m->reply : m->body, m->automatic_reason, NULL);
	}
	free(body);
	if (rc < 0)
		*error_r = xstrdup(store_error(in->st));
	return rc;
}

static int
apply_decision(struct ingest *in, const struct mime_msg *m, struct decision *d, time_t now,
	       const char **why_r, struct buf *note, struct buf *done, char **error_r)
{
	if (strcmp(d->fate, "created") == 0 ||
	    (strcmp(d->fate, "rejected_stranger") == 0 && d->requester != NULL))
		return apply_created(in, m, d, now, why_r, note, error_r);
	if (strcmp(d->fate, "rejected_stranger") == 0)
		return queue_notice(in, m, d, "refusal", now, why_r, error_r);
	if (strcmp(d->fate, "followup") == 0)
		return apply_followup(in, m, d, now, note, done, error_r);
	if (strcmp(d->fate, "bounce") == 0 || strcmp(d->fate, "auto_reply") == 0)
		return apply_robot(in, m, d, now, error_r);
	if (strcmp(d->fate, "rejected_unregistered") == 0)
		return queue_notice(in, m, d, "refusal", now, why_r, error_r);
	if (strcmp(d->fate, "too_large") == 0)
		return queue_notice(in, m, d, "too_large", now, why_r, error_r);
	return 0;
}

static void
fate_line(struct ingest *in, const struct mime_msg *m, const struct ingest_source *src,
	  const struct decision *d, const char *why, const char *ignored, const char *commands,
	  long ms, struct buf *out)
{
	char name[64], num[32];

	log_format_kv(out, "mailbox", src->mailbox);
	if (src->uid != 0) {
		snprintf(num, sizeof(num), "%u", src->uid);
		log_format_kv(out, "uid", num);
	}
	if (m->message_id != NULL) {
		char *id = xasprintf("<%s>", m->message_id);

		log_format_kv(out, "msgid", id);
		free(id);
	}
	log_format_kv(out, "from", m->from.address != NULL ? m->from.address : "");
	log_format_kv(out, "fate", d->fate);
	if (d->ticket != 0) {
		notify_ticket_name(in->conf, d->ticket, name, sizeof(name));
		log_format_kv(out, "ticket", name);
	}
	if (d->cited != 0) {
		notify_ticket_name(in->conf, d->cited, name, sizeof(name));
		log_format_kv(out, "cited", name);
	}
	if (d->missing != 0) {
		notify_ticket_name(in->conf, d->missing, name, sizeof(name));
		log_format_kv(out, "missing", name);
	}
	if (d->language != NULL)
		log_format_kv(out, "lang", d->language);
	if (strcmp(d->fate, "created") == 0) {
		snprintf(num, sizeof(num), "%d", d->severity);
		log_format_kv(out, "sev", num);
	}
	log_format_kv(out, "by", d->rule);
	if (why != NULL)
		log_format_kv(out, "noreply", why);
	if (ignored != NULL && *ignored != '\0')
		log_format_kv(out, "cc_ignored", ignored);
	if (commands != NULL && *commands != '\0')
		log_format_kv(out, "commands", commands);
	if (d->sender_is_agent)
		log_format_kv(out, "agent", d->staff_thread ? "internal" : "yes");
	if (d->auto_register)
		log_format_kv(out, "registered", "auto");
	if (strcmp(d->fate, "created") != 0 && strcmp(d->fate, "followup") != 0)
		log_format_kv(out, "why", d->reason);
	snprintf(num, sizeof(num), "%ld", ms);
	log_format_kv(out, "ms", num);
}


enum ingest_status
ingest_message(struct ingest *in, const char *raw, size_t len, const struct ingest_source *src,
	       struct ingest_result *res)
{
	struct mime_limits limits = { in->conf->max_message_size };
	struct mime_msg *m;
	struct decision d;
	struct store_message sm;
	long long start = clock_mono_ms();
	struct buf line = BUF_INIT, ignored = BUF_INIT, done = BUF_INIT;
	const char *why = NULL;
	char *error = NULL;
	time_t now = clock_now();

	memset(res, 0, sizeof(*res));
	m = mime_parse(raw, len, &limits);
	if (store_begin(in->st) < 0) {
		error = xstrdup(store_error(in->st));
		goto tempfail;
	}
	if (ingest_decide(in, m, src, &d, &error) < 0)
		goto rollback;
	if (apply_decision(in, m, &d, now, &why, &ignored, &done, &error) < 0)
		goto rollback_d;
	memset(&sm, 0, sizeof(sm));
	sm.ticket = d.ticket;
	sm.direction = "in";
	sm.message_id = m->message_id;
	sm.sha256 = m->sha256;
	sm.mailbox = src->mailbox;
	sm.uidvalidity = src->uidvalidity;
	sm.uid = src->uid;
	sm.imap_pending = src->uid != 0;
	sm.fate = d.fate;
	sm.rule = d.rule;
	sm.sender = m->from.address;
	sm.subject = m->subject;
	sm.at = now;
	sm.raw = raw;
	sm.raw_len = len;
	if (store_message_add(in->st, &sm, NULL) < 0) {
		error = xstrdup(store_error(in->st));
		goto rollback_d;
	}
	if (src->uid != 0 && store_cursor_set(in->st, src->mailbox, src->uidvalidity, src->uid) < 0) {
		error = xstrdup(store_error(in->st));
		goto rollback_d;
	}
	if (store_commit(in->st) < 0) {
		error = xstrdup(store_error(in->st));
		goto rollback_d;
	}
	fate_line(in, m, src, &d, why, buf_str(&ignored), buf_str(&done), (long)(clock_mono_ms() - start), &line);
	buf_release(&ignored);
	buf_release(&done);
	log_line(strcmp(d.fate, "unparseable") == 0 || strcmp(d.fate, "too_large") == 0 ?
		 LOG_LEVEL_WARN : LOG_LEVEL_INFO, "ingest", "%s", buf_str(&line));
	snprintf(res->fate, sizeof(res->fate), "%s", d.fate);
	snprintf(res->rule, sizeof(res->rule), "%s", d.rule);
	res->ticket = d.ticket;
	res->line = buf_detach(&line, NULL);
	decision_release(&d);
	mime_msg_free(&m);
	return INGEST_OK;

rollback_d:
	decision_release(&d);
rollback:
	store_rollback(in->st);
	buf_release(&ignored);
	buf_release(&done);
tempfail:
	{
		struct logkv kv;

		logkv_init(&kv);
		logkv_str(&kv, "mailbox", src->mailbox);
		if (src->uid != 0)
			logkv_int(&kv, "uid", src->uid);
		logkv_id(&kv, "msgid", m->message_id);
		logkv_str(&kv, "result", "tempfail");
		logkv_str(&kv, "error", error);
		log_kv(LOG_LEVEL_ERROR, "ingest", &kv);
	}
	res->line = xasprintf("fate=tempfail error=\"%s\"", error != NULL ? error : "unknown");
	snprintf(res->fate, sizeof(res->fate), "tempfail");
	free(error);
	mime_msg_free(&m);
	return INGEST_TEMPFAIL;
}
