#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apply.h"
#include "clock.h"
#include "conf.h"
#include "decide.h"
#include "log.h"
#include "mail.h"
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

static void
fate_line(struct ingest *in, const struct mime_msg *m, const struct ingest_source *src,
	  const struct decision *d, const char *why, const char *ignored, const char *commands,
	  long ms, struct buf *out)
{
	char name[NOTIFY_TICKET_NAME_MAX], num[32];

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
	if (d->token != NULL)
		log_format_kv(out, "token", d->token);
	if (d->auth != AUTHRES_OFF)
		log_format_kv(out, "auth", authres_verdict_name(d->auth));
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
	if (d->attachments > 0) {
		snprintf(num, sizeof(num), "%d", d->attachments);
		log_format_kv(out, "attachments", num);
	}
	if (d->dropped > 0) {
		snprintf(num, sizeof(num), "%d", d->dropped);
		log_format_kv(out, "dropped", num);
	}
	if (strcmp(d->fate, "created") != 0 && strcmp(d->fate, "followup") != 0)
		log_format_kv(out, "why", d->reason);
	snprintf(num, sizeof(num), "%ld", ms);
	log_format_kv(out, "ms", num);
}


void
ingest_result_release(struct ingest_result *res)
{
	free(res->line);
	free(res->error);
	memset(res, 0, sizeof(*res));
}

int
ingest_fate_quarantined(const char *fate)
{
	return strcmp(fate, "too_large") == 0 || strcmp(fate, "unparseable") == 0 ||
		strcmp(fate, "failed") == 0;
}

void
ingest_read(const struct ingest *in, const char *raw, size_t len, struct mail *mail_r)
{
	struct mime_limits limits = { in->conf->max_message_size };

	mail_read(mail_r, raw, len, &limits);
}

/*
 * After the message row (msg_id) and what its fate did: its ticket (when
 * apply changed it), the cursor (unless intake moves it per chunk), its
 * failures forgotten.  The end of every fate's work in the transaction.
 */
static int
record_message(struct ingest *in, long long msg_id, long long ticket,
	       const struct ingest_source *src)
{
	if (ticket != 0 && store_message_set_ticket(in->st, msg_id, ticket) < 0)
		return -1;
	if (src->uid == 0)
		return 0;
	if (!src->cursor_later &&
	    store_cursor_set(in->st, src->mailbox, src->uidvalidity, src->uid) < 0)
		return -1;
	if (!src->no_failures &&
	    store_intake_failure_clear(in->st, src->mailbox, src->uidvalidity, src->uid) < 0)
		return -1;
	return 0;
}

static void
message_of(struct store_message *sm, const struct mime_msg *m, const struct ingest_source *src,
	   const char *fate, const char *rule, long long ticket, const char *raw, size_t len,
	   time_t now)
{
	memset(sm, 0, sizeof(*sm));
	sm->ticket = ticket;
	sm->direction = "in";
	sm->message_id = m->message_id;
	sm->sha256 = m->sha256;
	sm->content_sha256 = m->content_sha256;
	sm->mailbox = src->mailbox;
	sm->uidvalidity = src->uidvalidity;
	sm->uid = src->uid;
	sm->imap_pending = src->uid == 0 ? 0 : ingest_fate_quarantined(fate) ?
		STORE_IMAP_QUARANTINE : STORE_IMAP_AFTER;
	sm->fate = fate;
	sm->rule = rule;
	sm->sender = m->from.address;
	sm->subject = m->subject;
	sm->at = now;
	sm->raw = raw;
	sm->raw_len = len;
}

/*
 * Nothing committed: say why, and whether the store or the message is to
 * blame (the store when it has a fault, or when store_temp says so).
 */
static enum ingest_status
not_committed(struct ingest *in, const struct mime_msg *m, const struct ingest_source *src,
	      char *error, int store_temp, struct ingest_result *res)
{
	enum ingest_status status = store_temp || store_fault(in->st) != STORE_FAULT_NONE ?
		INGEST_TEMPFAIL : INGEST_FAILED;
	struct logkv kv;

	logkv_init(&kv);
	logkv_str(&kv, "mailbox", src->mailbox);
	if (src->uid != 0)
		logkv_int(&kv, "uid", src->uid);
	logkv_id(&kv, "msgid", m != NULL ? m->message_id : NULL);
	logkv_str(&kv, "result", status == INGEST_TEMPFAIL ? "tempfail" : "error");
	if (status == INGEST_TEMPFAIL)
		logkv_str(&kv, "fault", store_fault_name(store_fault(in->st)));
	logkv_str(&kv, "error", error);
	/* A store fault is the store's news (health.h logs it once), not this message's. */
	log_kv(status == INGEST_TEMPFAIL ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR, "ingest", &kv);
	res->line = xasprintf("fate=%s error=\"%s\"", status == INGEST_TEMPFAIL ? "tempfail" : "error",
			      error != NULL ? error : "unknown");
	snprintf(res->fate, sizeof(res->fate), "%s", status == INGEST_TEMPFAIL ? "tempfail" : "error");
	res->error = error != NULL ? error : xstrdup("unknown");
	return status;
}

/*
 * Another process on the same mailbox and store (a second ticketd) may
 * have taken this UID since intake looked: inside the transaction, that
 * answer is final.  1 taken (res says so), 0 not, -1 error.
 */
static int
already_taken(struct ingest *in, const struct ingest_source *src, struct ingest_result *res,
	      char **error_r)
{
	int taken;

	if (src->uid == 0)
		return 0;
	taken = store_message_has_uid(in->st, src->mailbox, src->uidvalidity, src->uid);
	if (taken < 0) {
		*error_r = xstrdup(store_error(in->st));
		return -1;
	}
	if (taken == 0)
		return 0;
	snprintf(res->fate, sizeof(res->fate), "%s", INGEST_ALREADY);
	res->line = xasprintf("mailbox=%s uid=%u event=already_ingested "
			      "why=\"another process took it first\"", src->mailbox, src->uid);
	return 1;
}

/* Decide, apply and record the message: -1 with *error_r on any failure. */
static int
apply_one(struct ingest *in, const struct mail *mail, const char *raw, size_t len,
	  const struct ingest_source *src, time_t now, long long start, struct ingest_result *res,
	  char **error_r)
{
	const struct mime_msg *m = mail->msg;
	struct buf line = BUF_INIT, ignored = BUF_INIT, done = BUF_INIT;
	struct store_message sm;
	struct decision d;
	const char *why = NULL;
	long long msg_id = 0;
	int rc;

	rc = already_taken(in, src, res, error_r);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	rc = -1;
	if (decide_message(in, mail, src, &d, error_r) < 0)
		return -1;
	message_of(&sm, m, src, d.fate, d.rule, d.ticket, raw, len, now);
	/*
	 * The message row holds the raw bytes, and an UPDATE writes a whole
	 * row again: so the row is written once, after apply, with the ticket
	 * apply decided.  Only a mail with attachments needs its row first
	 * (the attachments apply keeps name it); its ticket is set after.
	 */
	if (m->n_attachments > 0 && store_message_add(in->st, &sm, &msg_id) < 0) {
		*error_r = xstrdup(store_error(in->st));
		goto out;
	}
	if (apply_decision(in, mail, msg_id, &d, now, &why, &ignored, &done, error_r) < 0)
		goto out;
	if (msg_id == 0)
		sm.ticket = d.ticket;
	if ((msg_id == 0 && store_message_add(in->st, &sm, &msg_id) < 0) ||
	    record_message(in, msg_id, d.ticket != sm.ticket ? d.ticket : 0, src) < 0) {
		*error_r = xstrdup(store_error(in->st));
		goto out;
	}
	fate_line(in, m, src, &d, why, buf_str(&ignored), buf_str(&done),
		  (long)(clock_mono_ms() - start), &line);
	snprintf(res->fate, sizeof(res->fate), "%s", d.fate);
	snprintf(res->rule, sizeof(res->rule), "%s", d.rule);
	res->ticket = d.ticket;
	res->line = buf_detach(&line, NULL);
	rc = 0;
out:
	buf_release(&ignored);
	buf_release(&done);
	decision_release(&d);
	return rc;
}

enum ingest_status
ingest_apply(struct ingest *in, const struct mail *mail, const char *raw, size_t len,
	     const struct ingest_source *src, time_t now, struct ingest_result *res)
{
	long long start = clock_mono_ms();
	char *error = NULL;

	memset(res, 0, sizeof(*res));
	if (store_savepoint(in->st) < 0)
		return not_committed(in, mail->msg, src, xstrdup(store_error(in->st)), 1, res);
	if (apply_one(in, mail, raw, len, src, now, start, res, &error) == 0) {
		if (store_savepoint_release(in->st) == 0)
			return INGEST_OK;
		ingest_result_release(res);
		return not_committed(in, mail->msg, src, xstrdup(store_error(in->st)), 1, res);
	}
	ingest_result_release(res);
	/* A store that cannot even undo the message: the store's fault, not the message's. */
	if (store_fault(in->st) == STORE_FAULT_NONE && store_savepoint_rollback(in->st) < 0)
		return not_committed(in, mail->msg, src, error, 1, res);
	return not_committed(in, mail->msg, src, error, 0, res);
}

void
ingest_log(const struct ingest_result *res)
{
	log_line(ingest_fate_quarantined(res->fate) ? LOG_LEVEL_WARN : LOG_LEVEL_INFO, "ingest", "%s",
		 res->line);
}

enum ingest_status
ingest_message(struct ingest *in, const char *raw, size_t len, const struct ingest_source *src,
	       struct ingest_result *res)
{
	struct mail mail;
	enum ingest_status rc;

	ingest_read(in, raw, len, &mail);
	if (store_begin(in->st) < 0) {
		memset(res, 0, sizeof(*res));
		rc = not_committed(in, mail.msg, src, xstrdup(store_error(in->st)), 1, res);
	} else {
		rc = ingest_apply(in, &mail, raw, len, src, clock_now(), res);
		if (rc == INGEST_OK && store_commit(in->st) < 0) {
			ingest_result_release(res);
			rc = not_committed(in, mail.msg, src, xstrdup(store_error(in->st)), 1, res);
		}
		if (rc != INGEST_OK)
			store_rollback(in->st);
	}
	if (rc == INGEST_OK)
		ingest_log(res);
	mail_release(&mail);
	return rc;
}

enum ingest_status
ingest_failed(struct ingest *in, const char *raw, size_t len, const struct ingest_source *src,
	      const char *error, int attempts, struct ingest_result *res)
{
	struct mime_limits limits = { in->conf->max_message_size };
	struct mime_msg *m = mime_parse(raw, len, &limits);
	struct store_message sm;
	struct logkv kv;
	enum ingest_status status = INGEST_OK;
	time_t now = clock_now();
	long long msg_id = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	message_of(&sm, m, src, "failed", "error", 0, raw, len, now);
	rc = store_begin(in->st);
	if (rc == 0)
		rc = store_message_add(in->st, &sm, &msg_id);
	if (rc == 0)
		rc = record_message(in, msg_id, 0, src);
	if (rc < 0 && store_fault(in->st) == STORE_FAULT_NONE) {
		/* Whatever of the parse made it fail, the bytes alone must go in. */
		store_rollback(in->st);
		sm.message_id = NULL;
		sm.sender = NULL;
		sm.subject = NULL;
		rc = store_begin(in->st);
		if (rc == 0)
			rc = store_message_add(in->st, &sm, &msg_id);
		if (rc == 0)
			rc = record_message(in, msg_id, 0, src);
	}
	if (rc == 0)
		rc = store_commit(in->st);
	if (rc < 0) {
		store_rollback(in->st);
		status = not_committed(in, m, src, xstrdup(store_error(in->st)), 1, res);
		mime_msg_free(&m);
		return status;
	}
	logkv_init(&kv);
	logkv_str(&kv, "mailbox", src->mailbox);
	if (src->uid != 0)
		logkv_int(&kv, "uid", src->uid);
	logkv_id(&kv, "msgid", m->message_id);
	logkv_str(&kv, "from", m->from.address != NULL ? m->from.address : "");
	logkv_str(&kv, "fate", "failed");
	logkv_str(&kv, "by", "error");
	logkv_int(&kv, "attempts", attempts);
	logkv_str(&kv, "error", error);
	logkv_str(&kv, "why", "it failed for a reason of its own; kept with its bytes, quarantined");
	log_kv(LOG_LEVEL_ERROR, "ingest", &kv);
	snprintf(res->fate, sizeof(res->fate), "failed");
	snprintf(res->rule, sizeof(res->rule), "error");
	res->line = xasprintf("fate=failed attempts=%d error=\"%s\"", attempts, error);
	mime_msg_free(&m);
	return status;
}
