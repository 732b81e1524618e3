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
	time_t now = clock_now();
	long long msg_id = 0;

	memset(res, 0, sizeof(*res));
	mail_read(&mail, raw, len, &limits);
	m = mail.msg;
	if (store_begin(in->st) < 0) {
		error = xstrdup(store_error(in->st));
		goto tempfail;
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
	memset(&sm, 0, sizeof(sm));
	sm.direction = "in";
	sm.message_id = m->message_id;
	sm.sha256 = m->sha256;
	sm.content_sha256 = m->content_sha256;
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
	if (store_message_add(in->st, &sm, &msg_id) < 0) {
		error = xstrdup(store_error(in->st));
		goto rollback_d;
	}
	if (apply_decision(in, &mail, msg_id, &d, now, &why, &ignored, &done, &error) < 0)
		goto rollback_d;
	if (d.ticket != 0 && store_message_set_ticket(in->st, msg_id, d.ticket) < 0) {
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
	mail_release(&mail);
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
	mail_release(&mail);
	return INGEST_TEMPFAIL;
}
