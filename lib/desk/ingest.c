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
	res->line = NULL;
	res->error = NULL;
}

int
ingest_fate_quarantined(const char *fate)
{
	return strcmp(fate, "too_large") == 0 || strcmp(fate, "unparseable") == 0 ||
		strcmp(fate, "failed") == 0;
}

/*
 * After the message row (msg_id) and what its fate did: its ticket, the
 * cursor, its failures forgotten.  The end of every fate's transaction.
 */
static int
record_message(struct ingest *in, long long msg_id, long long ticket,
	       const struct ingest_source *src)
{
	if (ticket != 0 && store_message_set_ticket(in->st, msg_id, ticket) < 0)
		return -1;
	if (src->uid == 0)
		return 0;
	if (store_cursor_set(in->st, src->mailbox, src->uidvalidity, src->uid) < 0 ||
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

/* Nothing committed: say why, and whether the store or the message is to blame. */
static enum ingest_status
not_committed(struct ingest *in, const struct mime_msg *m, const struct ingest_source *src,
	      char *error, struct ingest_result *res)
{
	enum ingest_status status = store_fault(in->st) != STORE_FAULT_NONE ?
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

enum ingest_status
ingest_message(struct ingest *in, const char *raw, size_t len, const struct ingest_source *src,
	       struct ingest_result *res)
{
	struct mime_limits limits = { in->conf->max_message_size };
	struct mail mail;
	const struct mime_msg *m;
	struct decision d;
	struct store_message sm;
	long long start = clock_mono_ms();
	struct buf line = BUF_INIT, ignored = BUF_INIT, done = BUF_INIT;
	const char *why = NULL;
	char *error = NULL;
	enum ingest_status status;
	time_t now = clock_now();
	long long msg_id = 0;

	memset(res, 0, sizeof(*res));
	mail_read(&mail, raw, len, &limits);
	m = mail.msg;
	if (store_begin(in->st) < 0) {
		error = xstrdup(store_error(in->st));
		goto fail;
	}
	/*
	 * Another process on the same mailbox and store (a second ticketd)
	 * may have taken this UID since intake looked: inside the
	 * transaction, that answer is final.  It has its fate; nothing to do.
	 */
	if (src->uid != 0) {
		int taken = store_message_has_uid(in->st, src->mailbox, src->uidvalidity, src->uid);

		if (taken < 0) {
			error = xstrdup(store_error(in->st));
			goto rollback;
		}
		if (taken == 1) {
			store_rollback(in->st);
			log_info("ingest", "mailbox=%s uid=%u event=already_ingested "
				 "why=\"another process took it first\"", src->mailbox, src->uid);
			snprintf(res->fate, sizeof(res->fate), "%s", INGEST_ALREADY);
			res->line = xstrdup("fate=" INGEST_ALREADY);
			mail_release(&mail);
			return INGEST_OK;
		}
	}
	if (decide_message(in, &mail, src, &d, &error) < 0)
		goto rollback;
	/*
	 * The message first (its ticket once apply has decided it), so that
	 * the attachments apply keeps can name it.
	 */
	message_of(&sm, m, src, d.fate, d.rule, 0, raw, len, now);
	if (store_message_add(in->st, &sm, &msg_id) < 0) {
		error = xstrdup(store_error(in->st));
		goto rollback_d;
	}
	if (apply_decision(in, &mail, msg_id, &d, now, &why, &ignored, &done, &error) < 0)
		goto rollback_d;
	if (record_message(in, msg_id, d.ticket, src) < 0 || store_commit(in->st) < 0) {
		error = xstrdup(store_error(in->st));
		goto rollback_d;
	}
	fate_line(in, m, src, &d, why, buf_str(&ignored), buf_str(&done), (long)(clock_mono_ms() - start), &line);
	buf_release(&ignored);
	buf_release(&done);
	log_line(ingest_fate_quarantined(d.fate) ? LOG_LEVEL_WARN : LOG_LEVEL_INFO, "ingest", "%s",
		 buf_str(&line));
	snprintf(res->fate, sizeof(res->fate), "%s", d.fate);
	snprintf(res->rule, sizeof(res->rule), "%s", d.rule);
	res->ticket = d.ticket;
	res->line = buf_detach(&line, NULL);
	decision_release(&d);
	mail_release(&mail);
	return INGEST_OK;

rollback_d:
	decision_release(&d);
rollback:
	store_rollback(in->st);
	buf_release(&ignored);
	buf_release(&done);
fail:
	status = not_committed(in, m, src, error, res);
	mail_release(&mail);
	return status;
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
		status = not_committed(in, m, src, xstrdup(store_error(in->st)), res);
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
