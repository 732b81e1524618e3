#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "notify.h"
#include "smtp.h"
#include "store.h"
#include "xmalloc.h"

int
outbox_init(struct outbox *o, const struct conf *conf, struct store *st, const atomic_int *stop)
{
	memset(o, 0, sizeof(*o));
	o->conf = conf;
	o->st = st;
	o->stop = stop;
	o->smtp = smtp_new(conf, stop);
	return o->smtp != NULL ? 0 : -1;
}

void
outbox_release(struct outbox *o)
{
	smtp_free(&o->smtp);
}

long
outbox_backoff(int attempts)
{
	long d = OUTBOX_BACKOFF_MIN;
	unsigned int r = 0;
	int i;

	for (i = 1; i < attempts && d < OUTBOX_BACKOFF_MAX; i++)
		d *= 2;
	if (d > OUTBOX_BACKOFF_MAX)
		d = OUTBOX_BACKOFF_MAX;
	gnutls_rnd(GNUTLS_RND_NONCE, &r, sizeof(r));
	/* jitter in [-20 %, +20 %] so retries of a burst spread out */
	return d - d / 5 + (long)(r % (unsigned int)(2 * d / 5 + 1));
}

static void
log_send(const struct conf *conf, const struct outbox_row *r, const char *result, long code,
	 const char *error, long ms, time_t retry_at)
{
	struct logkv kv;
	char name[NOTIFY_TICKET_NAME_MAX];

	logkv_init(&kv);
	logkv_int(&kv, "id", r->id);
	if (r->ticket != 0) {
		notify_ticket_name(conf, r->ticket, name, sizeof(name));
		logkv_str(&kv, "ticket", name);
	}
	logkv_str(&kv, "to", r->rcpt);
	logkv_str(&kv, "kind", r->kind);
	logkv_id(&kv, "msgid", r->message_id);
	logkv_str(&kv, "result", result);
	if (code != 0)
		logkv_int(&kv, "code", code);
	logkv_int(&kv, "attempt", r->attempts + 1);
	if (retry_at != 0) {
		char ts[CLOCK_TEXT_MAX];

		clock_format(retry_at, ts, sizeof(ts));
		logkv_str(&kv, "retry_at", ts);
	}
	if (error != NULL && *error != '\0')
		logkv_str(&kv, "error", error);
	logkv_int(&kv, "ms", ms);
	log_kv(strcmp(result, "sent") == 0 ? LOG_LEVEL_INFO :
	       strcmp(result, "failed") == 0 ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN, "send", &kv);
}

static int
mark_failed(struct outbox *o, const struct outbox_row *r, const char *error, time_t now)
{
	char *body;
	int rc;

	if (store_begin(o->st) < 0)
		return -1;
	rc = store_outbox_failed(o->st, r->id, r->attempts + 1, error);
	if (rc == 0 && r->ticket != 0) {
		body = xasprintf("mail to %s could not be delivered: %s", r->rcpt, error);
		rc = store_event_add(o->st, r->ticket, now, "mail_failed", "system", 0, body,
				     r->kind, NULL);
		free(body);
	}
	if (rc < 0) {
		store_rollback(o->st);
		return -1;
	}
	return store_commit(o->st);
}

/* The server failed: hold the outbox back, longer each time in a row. */
static void
pause_sending(struct outbox *o, long code, const char *error, time_t now)
{
	struct logkv kv;
	long d = OUTBOX_PAUSE_MIN;
	int i;
	char ts[CLOCK_TEXT_MAX];

	for (i = 0; i < o->pauses && d < OUTBOX_PAUSE_MAX; i++)
		d *= 2;
	if (d > OUTBOX_PAUSE_MAX)
		d = OUTBOX_PAUSE_MAX;
	o->pauses++;
	o->paused_until = now + d;
	clock_format(o->paused_until, ts, sizeof(ts));
	logkv_init(&kv);
	logkv_str(&kv, "event", "server_unavailable");
	logkv_str(&kv, "url", o->conf->smtp_url);
	if (code != 0)
		logkv_int(&kv, "code", code);
	logkv_str(&kv, "error", error);
	logkv_int(&kv, "failures", o->pauses);
	logkv_str(&kv, "paused_until", ts);
	log_kv(LOG_LEVEL_WARN, "send", &kv);
}

static int
send_row(struct outbox *o, const struct outbox_row *r)
{
	long long t0 = clock_mono_ms();
	enum smtp_result res;
	const char *error;
	long code = 0, ms;
	time_t now, next;

	res = smtp_send(o->smtp, r->mail_from, r->rcpt, r->raw, r->raw_len, &code, &error);
	ms = (long)(clock_mono_ms() - t0);
	now = clock_now();
	switch (res) {
	case SMTP_SENT:
		o->pauses = 0;
		log_send(o->conf, r, "sent", code, NULL, ms, 0);
		return store_outbox_sent(o->st, r->id, now);
	case SMTP_PERMFAIL:
		o->pauses = 0;
		log_send(o->conf, r, "failed", code, error, ms, 0);
		return mark_failed(o, r, error, now);
	case SMTP_TEMPFAIL:
	case SMTP_UNAVAILABLE:
		break;
	}
	if (o->stop != NULL && *o->stop) {
		/* Interrupted by shutdown: not the server's fault, retry at once next start. */
		log_send(o->conf, r, "interrupted", code, error, ms, 0);
		return 0;
	}
	if (res == SMTP_UNAVAILABLE)
		pause_sending(o, code, error, now);
	next = now + outbox_backoff(r->attempts + 1);
	if (next - r->created_at > o->conf->smtp_max_retry) {
		char *why = xasprintf("gave up after %d attempts: %s", r->attempts + 1, error);
		int rc;

		log_send(o->conf, r, "failed", code, why, ms, 0);
		rc = mark_failed(o, r, why, now);
		free(why);
		return rc;
	}
	log_send(o->conf, r, "deferred", code, error, ms, next);
	return store_outbox_retry_later(o->st, r->id, r->attempts + 1, next, error);
}

int
outbox_run(struct outbox *o, time_t *next_r)
{
	struct outbox_row *rows;
	size_t n, i;
	int handled = 0;

	*next_r = 0;
	if (o->conf->smtp_url == NULL)
		return 0;
	while (clock_now() >= o->paused_until) {
		if (store_outbox_due(o->st, clock_now(), OUTBOX_BATCH, &rows, &n) < 0)
			return -1;
		for (i = 0; i < n && !(o->stop != NULL && *o->stop); i++) {
			if (send_row(o, &rows[i]) < 0) {
				log_error("send", "error=\"%s\"", store_error(o->st));
				outbox_rows_free(&rows, n);
				return -1;
			}
			handled++;
			if (clock_now() < o->paused_until)
				break;
		}
		outbox_rows_free(&rows, n);
		if (n < OUTBOX_BATCH || (o->stop != NULL && *o->stop))
			break;
	}
	if (store_outbox_next_due(o->st, next_r) < 0)
		return -1;
	if (*next_r != 0 && *next_r < o->paused_until)
		*next_r = o->paused_until;
	return handled;
}
