/*
 * decide: where an inbound message goes and why (SPEC section 5),
 * reading the store but writing nothing.
 */
#include "decide.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "conf.h"
#include "imap.h"
#include "lang.h"
#include "log.h"
#include "mail.h"
#include "notify.h"
#include "route.h"
#include "store.h"
#include "token.h"
#include "xmalloc.h"

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

/* Our own mail coming back: our X-Loop marker, our From, a Message-ID we sent. */
static int
is_loop(struct ingest *in, const struct mime_msg *m, int *err)
{
	const char *xloop = mime_header_get(m, "X-Loop");
	int rc;

	*err = 0;
	if (xloop != NULL && strcasestr(xloop, in->conf->support_address) != NULL)
		return 1;
	if (conf_is_support_address(in->conf, m->from.address))
		return 1;
	if (m->message_id != NULL) {
		rc = store_message_is_outbound(in->st, m->message_id);
		if (rc < 0)
			*err = 1;
		return rc == 1;
	}
	return 0;
}

#define DECIDE_MAX_TOKENS 4            /* tokens read per address or Message-ID */
#define DECIDE_MAX_RECIPIENTS 1000     /* addresses a token is checked against */
#define DECIDE_TOKEN_BUDGET 16         /* tokens checked per message: a mail with
					  thousands of forged ones costs no more */

/* A token names a key version we do not have: another process rotated.  Load again. */
static int
reload_keys(struct ingest *in)
{
	struct token_key k;
	char *error = NULL;

	if (token_key_load(&k, in->st, in->conf->hmac_key_file, &error) < 0) {
		log_warn("ingest", "event=token_keys_reload_failed error=\"%s\"", error);
		free(error);
		return -1;
	}
	token_key_wipe(&in->key);
	in->key = k;
	return 0;
}

static enum token_check
verify(struct ingest *in, const struct token *t, const char *rcpt, int *reloaded)
{
	enum token_check c = token_verify(&in->key, t, rcpt);

	if (c == TOKEN_KEY_UNKNOWN && !*reloaded) {
		*reloaded = 1;
		if (reload_keys(in) == 0)
			c = token_verify(&in->key, t, rcpt);
	}
	return c;
}

/*
 * Is t one of ours, and whose?  The label (static) into *label_r:
 * own (made for the sender, fresh, and the sender is still on the
 * ticket), removed (made for the sender, who is no longer on it),
 * expired (older than reply_token_lifetime), other (made for another
 * recipient of the ticket's mail), old (the old format).  1 genuine,
 * 0 not, -1 store error.
 */
static int
classify_token(struct ingest *in, const struct mime_msg *m, const struct token *t,
	       const struct ticket *tk, int *reloaded, const char **label_r)
{
	char **rcpts = NULL;
	size_t n = 0, i;
	int rc, genuine = 0;

	if (t->format == TOKEN_FORMAT_OLD) {
		if (verify(in, t, NULL, reloaded) != TOKEN_GENUINE)
			return 0;
		*label_r = "old";
		return 1;
	}
	if (verify(in, t, m->from.address, reloaded) == TOKEN_GENUINE) {
		if (token_expired(t, clock_now(), in->conf->reply_token_lifetime)) {
			*label_r = "expired";
			return 1;
		}
		rc = strcasecmp(tk->requester, m->from.address) == 0 ? 1 :
			store_participant_has(in->st, tk->number, m->from.address);
		if (rc < 0)
			return -1;
		*label_r = rc == 1 ? "own" : "removed";
		return 1;
	}
	if (store_outbox_recipients(in->st, tk->number, DECIDE_MAX_RECIPIENTS, &rcpts, &n) < 0)
		return -1;
	for (i = 0; i < n && !genuine; i++)
		genuine = verify(in, t, rcpts[i], reloaded) == TOKEN_GENUINE;
	strv_free(&rcpts, n);
	if (!genuine)
		return 0;
	*label_r = token_expired(t, clock_now(), in->conf->reply_token_lifetime) ? "expired" : "other";
	return 1;
}

/* What find_token carries from one text to the next. */
struct token_search {
	int reloaded;                  /* the keys were loaded again once */
	int budget;                    /* tokens still to check */
};

/* The genuine tokens of one text: 1 with the ticket, 0 none, -1 store error. */
static int
token_in(struct ingest *in, const struct mime_msg *m, const char *text,
	 struct token_search *ts, long long *ticket_r, const char **label_r)
{
	struct token toks[DECIDE_MAX_TOKENS];
	struct ticket tk;
	size_t n, i;
	int rc;

	n = ts->budget > 0 ? token_scan(text, toks, DECIDE_MAX_TOKENS) : 0;
	for (i = 0; i < n && ts->budget > 0; i++) {
		ts->budget--;
		rc = store_ticket_get(in->st, toks[i].number, &tk);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		rc = classify_token(in, m, &toks[i], &tk, &ts->reloaded, label_r);
		ticket_release(&tk);
		if (rc != 0) {
			*ticket_r = toks[i].number;
			return rc;
		}
	}
	return 0;
}

/*
 * The first genuine reply token in To, Cc, Delivered-To, In-Reply-To or
 * References (newest first), of a ticket that exists.  1 with the ticket
 * and its label (classify_token), 0 none, -1 store error.
 */
static int
find_token(struct ingest *in, const struct mime_msg *m, long long *ticket_r, const char **label_r)
{
	struct token_search ts = { 0, DECIDE_TOKEN_BUDGET };
	int rc = 0;
	size_t i;

	for (i = 0; rc == 0 && i < m->n_to; i++)
		rc = token_in(in, m, m->to[i].address, &ts, ticket_r, label_r);
	for (i = 0; rc == 0 && i < m->n_cc; i++)
		rc = token_in(in, m, m->cc[i].address, &ts, ticket_r, label_r);
	for (i = 0; rc == 0 && i < m->n_delivered_to; i++)
		rc = token_in(in, m, m->delivered_to[i], &ts, ticket_r, label_r);
	if (rc == 0)
		rc = token_in(in, m, m->in_reply_to, &ts, ticket_r, label_r);
	for (i = m->n_references; rc == 0 && i > 0; i--)
		rc = token_in(in, m, m->references[i - 1], &ts, ticket_r, label_r);
	return rc;
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
 * The organisation that would register sender now: its mail domain
 * belongs to an auto-registering organisation whose plan has room.  1
 * with *o_r filled (org_release it), 0 when none, -1 on a store error.
 */
static int
auto_registration(struct ingest *in, const char *sender, struct org *o_r)
{
	const struct conf_plan *plan;
	long long n;
	int rc;

	if (address_domain(sender) == NULL)
		return 0;
	rc = store_org_by_domain(in->st, address_domain(sender), o_r);
	if (rc <= 0)
		return rc;
	if (o_r->auto_register) {
		if (store_org_count_contacts(in->st, o_r->id, &n) < 0) {
			org_release(o_r);
			return -1;
		}
		plan = conf_plan(in->conf, o_r->plan);
		if (plan == NULL || plan->max_contacts == 0 || n < plan->max_contacts)
			return 1;
	}
	org_release(o_r);
	return 0;
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
	rc = auto_registration(in, sender, &o);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		d->org_id = o.id;
		d->auto_register = 1;
		*region_r = xstrdup(o.region);
		org_release(&o);
		return 1;
	}
	return in->conf->accept_unregistered;
}

/*
 * May sender write into ticket t?  The requester, participants, agents,
 * and registered contacts of the requester's organisation.
 */
static int
sender_allowed(struct ingest *in, const struct ticket *t, const char *sender, int *agent_r,
	       struct decision *d)
{
	struct contact c;
	struct agent a;
	struct org o;
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
	if (rc == 1) {
		rc = c.org_id == t->org_id;
		contact_release(&c);
		return rc;
	}
	if (rc < 0)
		return -1;
	/*
	 * Not registered yet, but this mail registers them (a new colleague
	 * at an auto-registering domain): registration comes first, so the
	 * first reply counts like the next one.
	 */
	rc = auto_registration(in, sender, &o);
	if (rc <= 0)
		return rc;
	rc = o.id == t->org_id;
	if (rc) {
		d->org_id = o.id;
		d->auto_register = 1;
	}
	org_release(&o);
	return rc;
}

/*
 * The reply asks to reopen (#reopen, its localised words) and comes from
 * someone the ticket is for: its requester or a participant.  1, 0, or
 * -1 on a store error.
 */
static int
asks_reopen(struct ingest *in, const struct mail *mail, const struct ticket *t)
{
	struct route_cmd cmds[ROUTE_MAX_CMDS];
	const char *sender = mail->msg->from.address;
	size_t n, i;

	n = route_commands(mail->msg->subject, mail_text(mail), cmds, ROUTE_MAX_CMDS, NULL);
	for (i = 0; i < n && cmds[i].type != ROUTE_CMD_REOPEN; i++)
		;
	if (i == n || sender == NULL)
		return 0;
	if (strcasecmp(sender, t->requester) == 0)
		return 1;
	return store_participant_has(in->st, t->number, sender);
}

static void
new_ticket_fields(struct ingest *in, const struct mail *mail, const struct ingest_source *src,
		  const char *contact_lang, const char *org_region, struct decision *d)
{
	const struct mime_msg *m = mail->msg;
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
	else if (lang_supported(mail->language))
		lang = mail->language;
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

/*
 * Find the thread: token, then headers, then subject.  rule_r names the
 * rule; d->token says how a token found it.
 */
static int
find_thread(struct ingest *in, const struct mime_msg *m, long long *ticket_r,
	    const char **rule_r, long long *missing_r, struct decision *d)
{
	const char *label = NULL;
	int rc;

	*ticket_r = 0;
	*missing_r = 0;
	rc = find_token(in, m, ticket_r, &label);
	if (rc != 0) {
		*rule_r = "token";
		d->token = label;
		return rc;
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

/*
 * Before any routing: size, limits, parse, duplicate, loop.  1 decided, 0
 * go on, -1 store error.
 */
static int
decide_screen(struct ingest *in, const struct mail *mail, const struct ingest_source *src,
	      struct decision *d)
{
	const struct mime_msg *m = mail->msg;
	char over[MIME_OVER_TEXT_MAX];
	long long ticket = 0;
	int rc, err;

	if (src->headers_only || m->raw_size > in->conf->max_message_size) {
		if (src->headers_only)
			decide_set(d, "too_large", "limit", 0, "the message has %zu bytes, over the IMAP "
				   "literal limit of %d: only its header was fetched", src->claimed_size,
				   IMAP_MAX_LITERAL);
		else
			decide_set(d, "too_large", "limit", 0, "the message has %zu bytes, over the "
				   "limit of %zu", m->raw_size, in->conf->max_message_size);
		/* The notice goes to a person, never to a From that failed verification. */
		d->autorespond = !mail->cls.automatic && m->from.address != NULL &&
			d->auth != AUTHRES_FAIL;
		return 1;
	}
	if (m->over != 0) {
		/* What the parse says past a limit is cut short: no ticket is built on it. */
		mime_over_text(m->over, over, sizeof(over));
		decide_set(d, "unparseable", "limit", 0, "%s; the message was not read past it", over);
		return 1;
	}
	/* A bounce may come from "MAILER-DAEMON" or "<>": it needs no From. */
	if (m->n_headers == 0 || (m->from.address == NULL && mail->cls.kind != MIME_KIND_BOUNCE &&
				  mail->cls.kind != MIME_KIND_FEEDBACK_REPORT)) {
		decide_set(d, "unparseable", "parse", 0, "the message has no usable From address");
		return 1;
	}
	rc = store_message_is_duplicate(in->st, m->message_id, m->sha256, m->content_sha256,
					&ticket);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		decide_set(d, "duplicate", "duplicate", ticket,
			   "the same message (Message-ID and content) was already ingested");
		return 1;
	}
	if (is_loop(in, m, &err)) {
		decide_set(d, "loop", "loop", 0, "our own mail came back");
		return 1;
	}
	return err ? -1 : 0;
}

/* Robots first: a bounce or a feedback report never creates a ticket nor gets an answer. */
static int
decide_robot(struct ingest *in, const struct mail *mail, struct decision *d)
{
	const struct msg_class *c = &mail->cls;
	const char *rule;
	long long ticket = 0, missing;

	if (c->dsn_message_id != NULL && store_message_ticket(in->st, c->dsn_message_id, &ticket) < 0)
		return -1;
	if (ticket == 0 && find_thread(in, mail->msg, &ticket, &rule, &missing, d) < 0)
		return -1;
	d->bounced = xstrdup_or_null(c->dsn_recipient);
	if (c->kind == MIME_KIND_FEEDBACK_REPORT)
		decide_set(d, "bounce", "arf", ticket, "an abuse/feedback report (ARF)");
	else
		decide_set(d, "bounce", "dsn", ticket, "a delivery status notification%s%s",
			   c->dsn_recipient != NULL ? " for " : "",
			   c->dsn_recipient != NULL ? c->dsn_recipient : "");
	return 1;
}

/* How the rule found the ticket, for the reason. */
static const char *
found_by(const char *rule, const char *token)
{
	if (strcmp(rule, "token") != 0)
		return strcmp(rule, "headers") == 0 ? "In-Reply-To/References" : "the subject";
	if (token == NULL || strcmp(token, "own") == 0)
		return "a reply token made for the sender";
	if (strcmp(token, "other") == 0)
		return "a reply token made for another recipient";
	if (strcmp(token, "expired") == 0)
		return "an expired reply token";
	if (strcmp(token, "removed") == 0)
		return "the reply token of a participant since removed";
	return "an old-format reply token";
}

/*
 * The mail names ticket (by rule): a followup when the sender may write
 * to it and it is open (or reopens, or the sender is an agent).
 * Otherwise it is noted as the ticket a new one continues (closed) or as
 * cited by a stranger, and routing goes on.  1 decided, 0 go on, -1
 * store error.
 */
static int
decide_thread(struct ingest *in, const struct mail *mail, long long ticket, const char *rule,
	      struct decision *d)
{
	const struct mime_msg *m = mail->msg;
	struct ticket t;
	int rc = 0, is_agent = 0, reopen = 0;

	if (store_ticket_get(in->st, ticket, &t) <= 0)
		return -1;
	/* An unverified From is nobody; a fresh token of the sender's own proves as much as the check. */
	if (d->auth != AUTHRES_FAIL) {
		rc = sender_allowed(in, &t, m->from.address, &is_agent, d);
		if (rc < 0) {
			ticket_release(&t);
			return -1;
		}
		if (d->token != NULL && strcmp(d->token, "own") == 0)
			rc = 1;
	}
	d->sender_allowed = rc == 1;
	d->sender_is_agent = is_agent;
	d->staff_thread = is_agent && notify_is_staff_id(in->conf, m->in_reply_to);
	/*
	 * A closed ticket takes the reply when the reopen rule says so
	 * (reopen_closed), from an agent, or when its requester or a
	 * participant asks with #reopen; else a new ticket continues it.
	 */
	if (rc == 1 && strcmp(t.status, "closed") == 0 && !in->conf->reopen_closed && !is_agent) {
		reopen = asks_reopen(in, mail, &t);
		if (reopen < 0) {
			ticket_release(&t);
			return -1;
		}
	}
	if (rc == 1 && (strcmp(t.status, "closed") != 0 || in->conf->reopen_closed || is_agent ||
			reopen)) {
		ticket_release(&t);
		decide_set(d, "followup", rule, ticket, "%s names the ticket and the sender %s%s%s%s",
			   found_by(rule, d->token), is_agent ? "is an agent" : "may write to it",
			   d->auto_register ? " (registered with its domain's organisation now)" : "",
			   reopen ? "; it is closed, and #reopen reopens it" : "",
			   d->staff_thread ? "; it answers a staff mail, so it is an internal note" : "");
		return 1;
	}
	d->auto_register = 0;
	d->org_id = 0;
	if (rc == 1)
		d->previous = ticket;   /* a reply to a closed ticket opens a new one naming the old */
	else
		d->cited = ticket;
	ticket_release(&t);
	return 0;
}

/*
 * No thread takes the mail: a new ticket for a sender who may open one,
 * else a refusal (rule: how a cited ticket was found).  Always decides;
 * -1 on a store error.
 */
static int
decide_new(struct ingest *in, const struct mail *mail, const struct ingest_source *src,
	   const char *rule, long long missing, struct decision *d)
{
	const struct mime_msg *m = mail->msg;
	char name[NOTIFY_TICKET_NAME_MAX], *contact_lang = NULL, *org_region = NULL, *r;
	int registered;

	/* An unverified From may not act as a contact: no ticket, no refusal to whoever it names. */
	registered = d->auth == AUTHRES_FAIL ? 0 :
		sender_registration(in, m->from.address, d, &contact_lang, &org_region);
	if (registered < 0)
		return -1;
	new_ticket_fields(in, mail, src, contact_lang, org_region, d);
	free(contact_lang);
	free(org_region);
	d->autorespond = !mail->cls.automatic && d->auth != AUTHRES_FAIL;
	if (d->cited != 0) {
		notify_ticket_name(in->conf, d->cited, name, sizeof(name));
		if (d->auth == AUTHRES_FAIL)
			decide_set(d, "rejected_stranger", rule, 0,
				   "%s names %s but the From is not verified (%s): no ticket, no answer",
				   found_by(rule, d->token), name, d->auth_why);
		else
			decide_set(d, "rejected_stranger", rule, 0,
				   "%s names %s but the sender may not write to it; %s",
				   found_by(rule, d->token), name,
				   registered ? "a new ticket of their own is opened" :
				   "the sender is not registered either: no ticket, a refusal notice");
		if (!registered)
			xfree(&d->requester);
		return 1;
	}
	if (d->auth == AUTHRES_FAIL) {
		xfree(&d->requester);
		decide_set(d, "rejected_unregistered", "auth", 0,
			   "the From is not verified (%s): it may not open a ticket; no answer",
			   d->auth_why);
		return 1;
	}
	if (!registered) {
		decide_set(d, "rejected_unregistered", "registration", 0,
			   "the sender is not a registered contact%s",
			   mail->cls.automatic ? "; automatic mail gets no refusal" :
			   "; a refusal notice goes out");
		return 1;
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
		r = xasprintf("%s; the sender is registered with its domain's organisation", d->reason);
		free(d->reason);
		d->reason = r;
	}
	return 1;
}

int
decide_message(struct ingest *in, const struct mail *mail, const struct ingest_source *src,
	       struct decision *d, char **error_r)
{
	const char *rule = "new";
	long long ticket = 0, missing = 0;
	struct authres auth;
	int rc;

	memset(d, 0, sizeof(*d));
	authres_check(mail->msg, (const char *const *)in->conf->trusted_authserv_ids,
		      in->conf->n_trusted_authserv_ids, &auth);
	d->auth = auth.verdict;
	snprintf(d->auth_why, sizeof(d->auth_why), "%s", auth.why[0] != '\0' ? auth.why : "no result");
	rc = decide_screen(in, mail, src, d);
	if (rc == 0 && (mail->cls.kind == MIME_KIND_BOUNCE ||
			mail->cls.kind == MIME_KIND_FEEDBACK_REPORT))
		rc = decide_robot(in, mail, d);
	if (rc == 0) {
		rc = find_thread(in, mail->msg, &ticket, &rule, &missing, d);
		d->missing = missing;
		if (rc >= 0 && mail->cls.kind == MIME_KIND_AUTO_REPLY) {
			/* An unverified robot is stored, on no ticket. */
			if (d->auth == AUTHRES_FAIL)
				ticket = 0;
			decide_set(d, "auto_reply", rc == 1 && ticket != 0 ? rule : "none", ticket,
				   "an automatic reply (%s); stored without notifying anyone",
				   mail->cls.automatic_reason != NULL ? mail->cls.automatic_reason :
				   "out of office");
			rc = 1;
		} else if (rc == 1) {
			rc = decide_thread(in, mail, ticket, rule, d);
		}
	}
	if (rc == 0)
		rc = decide_new(in, mail, src, rule, missing, d);
	if (rc < 0) {
		*error_r = xstrdup(store_error(in->st));
		return -1;
	}
	return 0;
}
