/*
 * apply: carry out a decision inside the caller's transaction: the
 * ticket, its events, participants and commands, the outgoing mail.
 */
#include "apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "actions.h"
#include "attach.h"
#include "clock.h"
#include "conf.h"
#include "escalate.h"
#include "lang.h"
#include "mail.h"
#include "notify.h"
#include "route.h"
#include "sla.h"
#include "store.h"
#include "xmalloc.h"

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
		if (store_autoresp_count(in->st, m->from.address, now - CONF_AUTORESPONSE_WINDOW, &n) < 0) {
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

/*
 * The variables that tell a sender which attachments were not kept:
 * dropped (the list), limit (max_attachment_size), quota.  vars needs 3.
 */
static size_t
dropped_vars(struct ingest *in, const struct attach_set *files, struct buf *list,
	     char limit[ATTACH_SIZE_TEXT_MAX], char quota[ATTACH_SIZE_TEXT_MAX],
	     struct tmpl_var *vars)
{
	if (attach_dropped_list(files, list) == 0)
		return 0;
	attach_size_text(in->conf->max_attachment_size, limit, ATTACH_SIZE_TEXT_MAX);
	if (in->conf->ticket_attachment_quota > 0)
		attach_size_text(in->conf->ticket_attachment_quota, quota, ATTACH_SIZE_TEXT_MAX);
	vars[0].name = "dropped";
	vars[0].value = buf_str(list);
	vars[1].name = "limit";
	vars[1].value = limit;
	vars[2].name = "quota";
	vars[2].value = in->conf->ticket_attachment_quota > 0 ? quota : NULL;
	return 3;
}

/*
 * Tell the sender of a follow-up which of its attachments were not kept
 * (template "dropped"; an agent in the default language), never a robot.
 */
static int
queue_dropped(struct ingest *in, const struct mail *mail, const struct decision *d,
	      const struct attach_set *files, time_t now, char **error_r)
{
	struct tmpl_var vars[3];
	struct notify_mail nm;
	struct ticket t;
	struct buf list = BUF_INIT;
	char limit[ATTACH_SIZE_TEXT_MAX], quota[ATTACH_SIZE_TEXT_MAX];
	const char *why = NULL;
	int rc;

	memset(&nm, 0, sizeof(nm));
	nm.n_vars = dropped_vars(in, files, &list, limit, quota, vars);
	if (nm.n_vars == 0 || mail->cls.automatic || mail->msg->from.address == NULL) {
		buf_release(&list);
		return 0;
	}
	rc = store_ticket_get(in->st, d->ticket, &t);
	if (rc <= 0) {
		*error_r = xstrdup(rc < 0 ? store_error(in->st) : "ticket vanished");
		buf_release(&list);
		return -1;
	}
	nm.tmpl = "dropped";
	nm.vars = vars;
	nm.lang = d->sender_is_agent ? in->conf->default_language : NULL;
	rc = queue_automatic(in, &t, &nm, mail->msg, now, &why, error_r);
	ticket_release(&t);
	buf_release(&list);
	return rc;
}

/*
 * Registered contacts in Cc become participants; others are noted and
 * ignored.  The sender and the ticket's own requester (in Cc of a
 * reply-all) are no participants of it.
 */
static int
add_cc_participants(struct ingest *in, const struct mime_msg *m, long long ticket, time_t now,
		    struct buf *note)
{
	struct contact c;
	struct ticket t;
	char *requester = NULL;
	size_t i;
	int rc;

	if (m->n_cc == 0)
		return 0;
	rc = store_ticket_get(in->st, ticket, &t);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		requester = xstrdup(t.requester);
		ticket_release(&t);
	}
	for (i = 0, rc = 0; i < m->n_cc && rc == 0; i++) {
		const char *addr = m->cc[i].address;

		if (addr == NULL || conf_is_support_address(in->conf, addr) ||
		    strcasecmp(addr, m->from.address) == 0 ||
		    (requester != NULL && strcasecmp(addr, requester) == 0))
			continue;
		rc = store_contact_get(in->st, addr, &c);
		if (rc < 0)
			break;
		if (rc == 0) {
			buf_addf(note, "%s%s", note->len > 0 ? "," : "", addr);
			continue;
		}
		contact_release(&c);
		rc = store_participant_has(in->st, ticket, addr);
		if (rc < 0)
			break;
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (store_participant_add(in->st, ticket, addr, now) < 0 ||
		    store_event_add(in->st, ticket, now, "shared", m->from.address, 1, NULL, addr,
				    NULL) < 0)
			rc = -1;
	}
	free(requester);
	return rc < 0 ? -1 : 0;
}

/* The sender as a contact of org_id (auto-registration), speaking language (may be NULL). */
static int
register_sender(struct ingest *in, const struct mime_msg *m, long long org_id, const char *language)
{
	struct contact c;

	memset(&c, 0, sizeof(c));
	c.email = (char *)m->from.address;
	c.name = (char *)m->from.name;
	c.org_id = org_id;
	c.language = (char *)language;
	c.created_at = clock_now();
	return store_contact_add(in->st, &c, NULL);
}

static int
apply_created(struct ingest *in, const struct mime_msg *m, struct attach_set *files,
	      struct decision *d, time_t now, const char **why_r, struct buf *note,
	      char **error_r)
{
	struct ticket t;
	char prev[NOTIFY_TICKET_NAME_MAX], limit[ATTACH_SIZE_TEXT_MAX];
	char quota[ATTACH_SIZE_TEXT_MAX];
	struct tmpl_var vars[3];
	struct buf dropped = BUF_INIT;
	long long event = 0;
	int rc = 0;

	if (d->auto_register && register_sender(in, m, d->org_id, d->language) < 0)
		goto dberr;
	memset(&t, 0, sizeof(t));
	/* A ticket of its own for a mail citing another: only its own tag will show. */
	if (d->cited != 0 || d->previous != 0)
		t.subject = route_strip_tickets(m->subject, in->conf->ticket_prefix);
	else
		t.subject = xstrdup_or_null(m->subject);
	if (t.subject == NULL || t.subject[0] == '\0') {
		free(t.subject);
		t.subject = xstrdup("(no subject)");
	}
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
			    NULL, &event) < 0)
		goto dberr_t;
	d->ticket = t.number;
	/* The files come with the created event; over a limit, the auto-response says so. */
	d->dropped = attach_check(files, in->conf, in->st, t.number, error_r);
	if (d->dropped < 0) {
		ticket_release(&t);
		return -1;
	}
	if (attach_record(files, in->st, t.number, event, now) < 0)
		goto dberr_t;
	d->attachments = (int)files->n;
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
		nm.new_ticket = 1;
		nm.n_vars = dropped_vars(in, files, &dropped, limit, quota, vars);
		nm.vars = vars;
		rc = queue_automatic(in, &t, &nm, m, now, why_r, error_r);
	} else {
		*why_r = "automatic mail";
	}
	buf_release(&dropped);
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
apply_followup(struct ingest *in, const struct mail *mail, struct attach_set *files,
	       struct decision *d, time_t now, struct buf *note, struct buf *done,
	       char **error_r)
{
	const struct mime_msg *m = mail->msg;
	struct route_cmd cmds[ROUTE_MAX_CMDS];
	struct action_report rep;
	struct actions a;
	struct ticket t;
	char *text = NULL;
	size_t n, i;
	long long event = 0;
	int rc, internal = 0;

	n = route_commands(m->subject, mail_text(mail), cmds,
			   ROUTE_MAX_CMDS, &text);
	for (i = 0; i < n; i++)
		if (cmds[i].type == ROUTE_CMD_INTERNAL)
			internal = 1;
	/* a new colleague at an auto-registering domain: registered before anything else */
	if (d->auto_register &&
	    register_sender(in, m, d->org_id, lang_supported(mail->language) ? mail->language : NULL) < 0) {
		*error_r = xstrdup(store_error(in->st));
		goto fail;
	}
	if (d->staff_thread)
		internal = 1;
	actions_init(&a, &in->notify, in->sla, 1);
	if (d->sender_is_agent) {
		/* An agent's reply is a comment for the customer (or a note, #internal). */
		memset(&rep, 0, sizeof(rep));
		files->agent_reply = 1;
		switch (action_agent_reply(&a, d->ticket, m->from.address, text, internal, files,
					   &rep, error_r)) {
		case ACTION_ERROR:
			goto fail;
		case ACTION_REFUSED:
			/* e.g. nothing but commands: the commands below still apply. */
			xfree(error_r);
			break;
		default:
			d->attachments = rep.attachments;
			d->dropped = rep.dropped;
			break;
		}
	} else {
		rc = store_ticket_get(in->st, d->ticket, &t);
		if (rc <= 0) {
			*error_r = xstrdup(rc < 0 ? store_error(in->st) : "ticket vanished");
			goto fail;
		}
		d->dropped = attach_check(files, in->conf, in->st, t.number, error_r);
		if (d->dropped < 0) {
			ticket_release(&t);
			goto fail;
		}
		rc = store_event_add(in->st, t.number, now, "comment", m->from.address, 1, text,
				     NULL, &event);
		if (rc == 0)
			rc = attach_record(files, in->st, t.number, event, now);
		d->attachments = (int)files->n;
		/*
		 * A customer reply brings a waiting, solved or (reopen_closed)
		 * closed ticket back; a closed one that only #reopen let in is
		 * reopened by that command, below.
		 */
		if (rc == 0 && (strcmp(t.status, "pending") == 0 || strcmp(t.status, "resolved") == 0 ||
				(strcmp(t.status, "closed") == 0 && in->conf->reopen_closed))) {
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
	/* Commands and sharing need a sender allowed on the ticket (decide says). */
	if (!d->sender_allowed) {
		for (i = 0; i < n; i++)
			if (cmds[i].type != ROUTE_CMD_INTERNAL)
				buf_addf(done, "%s#%s refused", done->len > 0 ? " " : "",
					 route_cmd_name(cmds[i].type));
	} else if (apply_commands(in, &a, d->ticket, cmds, n, m->from.address, now, done,
				  error_r) < 0) {
		goto fail;
	} else if (add_cc_participants(in, m, d->ticket, now, note) < 0) {
		*error_r = xstrdup(store_error(in->st));
		goto fail;
	}
	if (d->dropped > 0 && queue_dropped(in, mail, d, files, now, error_r) < 0)
		goto fail;
	free(text);
	return 0;
fail:
	free(text);
	return -1;
}

/* Mail about no ticket: a refusal or a too-large notice, never to robots. */
static int
queue_notice(struct ingest *in, const struct mail *mail, const struct decision *d,
	     const char *tmpl, time_t now, const char **why_r, char **error_r)
{
	const struct mime_msg *m = mail->msg;
	char limit[32];
	struct tmpl_var var = { "limit", limit };
	struct notify_mail nm;

	if (d->auth == AUTHRES_FAIL) {
		/* The From is likely someone else's: they would get our refusal. */
		*why_r = "unverified";
		return 0;
	}
	if (mail->cls.automatic || m->from.address == NULL) {
		*why_r = "automatic mail";
		return 0;
	}
	snprintf(limit, sizeof(limit), "%zu MB", in->conf->max_message_size / (1024 * 1024));
	memset(&nm, 0, sizeof(nm));
	nm.tmpl = tmpl;
	nm.lang = d->language != NULL ? d->language :
		(lang_supported(mail->language) ? mail->language : in->conf->default_language);
	nm.subject = m->subject != NULL ? m->subject : "";
	nm.vars = &var;
	nm.n_vars = 1;
	return queue_automatic(in, NULL, &nm, m, now, why_r, error_r);
}

static int
apply_robot(struct ingest *in, const struct mail *mail, const struct decision *d, time_t now,
	    char **error_r)
{
	const struct mime_msg *m = mail->msg;
	char *body = NULL;
	int rc = 0;

	if (strcmp(d->fate, "bounce") == 0) {
		if (d->bounced != NULL && strcmp(d->rule, "dsn") == 0 && mail->cls.dsn_delayed) {
			/* A delay warning: the server is still trying; nothing is marked. */
			body = xasprintf("mail to %s is delayed%s%s", d->bounced,
					 m->subject != NULL ? ": " : "", m->subject != NULL ? m->subject : "");
		} else if (d->bounced != NULL && strcmp(d->rule, "dsn") == 0) {
			body = xasprintf("mail to %s bounced%s%s%s", d->bounced,
					 m->subject != NULL ? ": " : "", m->subject != NULL ? m->subject : "",
					 d->auth == AUTHRES_FAIL ? " (unverified report: not marked)" : "");
			/* A forged report must not silence a customer. */
			if (d->auth != AUTHRES_FAIL)
				rc = store_contact_set_undeliverable(in->st, d->bounced, body, now);
		}
		if (rc == 0 && d->ticket != 0)
			rc = store_event_add(in->st, d->ticket, now, "bounce", m->from.address, 0,
					     body != NULL ? body : m->subject, d->bounced, NULL);
	} else if (d->ticket != 0) {
		rc = store_event_add(in->st, d->ticket, now, "auto_reply", m->from.address, 0,
				     mail_text(mail), mail->cls.automatic_reason, NULL);
	}
	free(body);
	if (rc < 0)
		*error_r = xstrdup(store_error(in->st));
	return rc;
}

int
apply_decision(struct ingest *in, const struct mail *mail, long long message,
	       struct decision *d, time_t now, const char **why_r, struct buf *note,
	       struct buf *done, char **error_r)
{
	const struct mime_msg *m = mail->msg;
	struct attach_set files;
	int rc;

	if (strcmp(d->fate, "created") == 0 || strcmp(d->fate, "followup") == 0 ||
	    (strcmp(d->fate, "rejected_stranger") == 0 && d->requester != NULL)) {
		/* The mail's files, kept with its ticket's event (attach.h). */
		attach_set_init(&files);
		attach_from_mail(&files, m);
		files.message = message;
		if (strcmp(d->fate, "followup") == 0)
			rc = apply_followup(in, mail, &files, d, now, note, done, error_r);
		else
			rc = apply_created(in, m, &files, d, now, why_r, note, error_r);
		attach_set_release(&files);
		return rc;
	}
	if (strcmp(d->fate, "rejected_stranger") == 0) {
		/* No ticket of their own: support still sees the attempt on the cited one. */
		if (d->cited != 0 &&
		    store_event_add(in->st, d->cited, now, "rejected_stranger", m->from.address, 0,
				    NULL, d->auth == AUTHRES_FAIL ? "unverified sender" :
				    "unregistered sender", NULL) < 0) {
			*error_r = xstrdup(store_error(in->st));
			return -1;
		}
		return queue_notice(in, mail, d, "refusal", now, why_r, error_r);
	}
	if (strcmp(d->fate, "bounce") == 0 || strcmp(d->fate, "auto_reply") == 0)
		return apply_robot(in, mail, d, now, error_r);
	if (strcmp(d->fate, "rejected_unregistered") == 0)
		return queue_notice(in, mail, d, "refusal", now, why_r, error_r);
	if (strcmp(d->fate, "too_large") == 0)
		return queue_notice(in, mail, d, "too_large", now, why_r, error_r);
	return 0;
}
