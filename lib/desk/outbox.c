#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "backoff.h"
#include "clock.h"
#include "conf.h"
#include "job.h"
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
	proc_self_id(o->owner, sizeof(o->owner));
	health_init(&o->health, st, NULL, "sender");
	o->flusher = job_thread_new();
	o->flush_fd = -1;
	o->sent_recorded = -1;
	o->smtp = smtp_new(conf, stop);
	return o->smtp != NULL ? 0 : -1;
}

void
outbox_set_board(struct outbox *o, struct health_board *board)
{
	o->health.board = board;
}

static void
held_release(struct outbox_held *h)
{
	free(h->message_id);
	free(h->rcpt);
	free(h->mail_kind);
	free(h->error);
	memset(h, 0, sizeof(*h));
}

static int reconcile(struct outbox *o);

void
outbox_release(struct outbox *o)
{
	size_t i;

	/* One last try (outbox_run leaves no 250 pending), into the store at the path only;
	   what is still held is sent again next time, flagged. */
	if (o->n_held > 0 && (health_check(&o->health) < 0 || reconcile(o) < 0))
		log_error("send", "event=unrecorded_at_exit held=%zu note=\"these mails went out but "
			  "the store could not record it; they are in flight for the next sender, "
			  "which sends them once more with dup=possible\"", o->n_held);
	for (i = 0; i < o->n_held; i++)
		held_release(&o->held[i]);
	free(o->held);
	o->held = NULL;
	o->n_held = 0;
	health_release(&o->health);
	job_thread_free(&o->flusher);
	smtp_free(&o->smtp);
}

size_t
outbox_unrecorded(const struct outbox *o)
{
	return o->n_held;
}

long
outbox_backoff(int attempts)
{
	long d = backoff_delay(attempts, OUTBOX_BACKOFF_MIN, OUTBOX_BACKOFF_MAX);
	unsigned int r = 0;

	gnutls_rnd(GNUTLS_RND_NONCE, &r, sizeof(r));
	/* jitter in [-20 %, +20 %] so retries of a burst spread out */
	return d - d / 5 + (long)(r % (unsigned int)(2 * d / 5 + 1));
}

static void
log_send(const struct conf *conf, const struct outbox_row *r, const char *result, long code,
	 const char *error, long ms, time_t retry_at, const char *extra_key, const char *extra)
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
	/* This attempt may deliver the mail a second time (see outbox.h). */
	if (r->doubt > 0)
		logkv_str(&kv, "dup", "possible");
	if (retry_at != 0) {
		char ts[CLOCK_TEXT_MAX];

		clock_format(retry_at, ts, sizeof(ts));
		logkv_str(&kv, "retry_at", ts);
	}
	if (error != NULL && *error != '\0')
		logkv_str(&kv, "error", error);
	if (extra_key != NULL)
		logkv_str(&kv, extra_key, extra);
	logkv_int(&kv, "ms", ms);
	log_kv(strcmp(result, "sent") == 0 ? LOG_LEVEL_INFO :
	       strcmp(result, "failed") == 0 ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN, "send", &kv);
}

/* Failed, with an event on the ticket, in one transaction.  1 done, 0 no such row, -1 error. */
static int
record_failed(struct store *st, long long id, const char *message_id, long long ticket,
	      const char *rcpt, const char *kind, int attempts, const char *error, int doubt,
	      time_t now)
{
	char *body;
	int rc;

	if (store_begin(st) < 0)
		return -1;
	rc = store_outbox_failed(st, id, message_id, attempts, error, doubt);
	if (rc == 1 && ticket != 0) {
		body = xasprintf("mail to %s could not be delivered: %s", rcpt, error);
		if (store_event_add(st, ticket, now, "mail_failed", "system", 0, body, kind, NULL) < 0)
			rc = -1;
		free(body);
	}
	if (rc < 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st) < 0 ? -1 : rc;
}

/* Write one result; 1 recorded, 0 the row is not in this store, -1 a store error. */
static int
record(struct store *st, const struct outbox_held *h)
{
	switch (h->kind) {
	case OUTBOX_HELD_SENT:
		return store_outbox_sent(st, h->id, h->message_id, h->attempts, h->at);
	case OUTBOX_HELD_RETRY:
		return store_outbox_retry_later(st, h->id, h->message_id, h->attempts, h->at,
						h->error, h->doubt);
	case OUTBOX_HELD_FAILED:
		break;
	}
	return record_failed(st, h->id, h->message_id, h->ticket, h->rcpt, h->mail_kind,
			     h->attempts, h->error, h->doubt, clock_now());
}

static const char *
held_result(enum outbox_held_kind k)
{
	return k == OUTBOX_HELD_SENT ? "sent" : k == OUTBOX_HELD_RETRY ? "deferred" : "failed";
}

/*
 * Record a result; when the store cannot take it, keep it (logged once)
 * and never send that row again meanwhile.  0 recorded or held for a
 * reason of the row's own; -1 held because the store is down (stop the
 * round).
 */
/* A result the store took (rc 1), or whose row it no longer has (rc 0). */
static void
settled(struct outbox_held *h, int rc)
{
	if (rc == 0)
		log_warn("send", "id=%lld event=row_vanished note=\"the row is no longer in the store\"",
			 h->id);
	held_release(h);
}

/* Keep a result the store did not take (logged once); its row is not sent again meanwhile. */
static void
hold(struct outbox *o, struct outbox_held *h, const char *error)
{
	o->held = xrealloc(o->held, (o->n_held + 1) * sizeof(*o->held));
	o->held[o->n_held++] = *h;
	log_error("send", "id=%lld msgid=<%s> result=%s recorded=no held=%zu error=\"%s\" "
		  "note=\"not sent again; recorded when the store takes it\"", h->id,
		  h->message_id != NULL ? h->message_id : "", held_result(h->kind), o->n_held, error);
}

static int
settle(struct outbox *o, struct outbox_held *h)
{
	int rc = record(o->st, h);

	if (rc >= 0) {
		health_succeeded(&o->health);
		settled(h, rc);
		return 0;
	}
	hold(o, h, store_error(o->st));
	return health_failed(&o->health) ? -1 : 0;
}

/* The last 250, recorded alone (no row follows it).  As settle. */
static int
flush_sent(struct outbox *o)
{
	if (!o->has_sent)
		return 0;
	o->has_sent = 0;
	return settle(o, &o->sent);
}

/* The last 250, kept in memory without a write: the store was found down. */
static void
hold_sent(struct outbox *o)
{
	if (!o->has_sent)
		return;
	o->has_sent = 0;
	hold(o, &o->sent, "the store is unavailable");
}

#define CLAIM_DOWN (-2)   /* claim: the store is down (already counted) */

/* The flusher's job: the claim's commit made durable. */
static void
claim_flush(void *arg)
{
	struct outbox *o = arg;

	o->flush_err = store_flush(o->flush_fd);
}

/*
 * The gate before the first byte of a mail: its claim is durable (the
 * flush is done and went well), so a crash from now on finds the row
 * claimed, in doubt.
 */
static int
claim_durable(void *arg)
{
	struct outbox *o = arg;

	if (o->flushing) {
		job_thread_wait(o->flusher);
		o->flushing = 0;
	}
	return o->flush_err;
}

/*
 * Claim row r in a lazy commit (store.h: store_begin_lazy) that records
 * the last 250 too, and start its flush, which the mail's first byte
 * waits for (claim_durable) while the server takes MAIL, RCPT and DATA.
 * 1 claimed, 0 not (taken meanwhile, or requeued), -1 a store error,
 * CLAIM_DOWN when the 250 could not be recorded even alone (it is held;
 * nothing is sent).  The 250 stays pending until the flush is done.
 */
static int
claim(struct outbox *o, const struct outbox_row *r)
{
	time_t now = clock_now();
	int rc, recorded = 0;

	o->flush_err = 0;
	o->flush_fd = store_flush_fd(o->st);
	if (o->flush_fd >= 0 && store_begin_lazy(o->st) == 0) {
		recorded = o->has_sent ? record(o->st, &o->sent) : 1;
		rc = recorded < 0 ? -1 : store_outbox_claim(o->st, r->id, o->owner, now);
		if (rc >= 0 && store_commit(o->st) == 0) {
			o->sent_recorded = o->has_sent ? recorded : -1;
			job_thread_start(o->flusher, claim_flush, o);
			o->flushing = 1;
			return rc;
		}
		store_rollback(o->st);
	}
	if (o->flush_fd >= 0)
		close(o->flush_fd);
	o->flush_fd = -1;
	/* Apart then, durable, so that the 250 is kept (held) whatever becomes of the claim. */
	if (flush_sent(o) < 0)
		return CLAIM_DOWN;
	return store_outbox_claim(o->st, r->id, o->owner, now);
}

/*
 * After the send: the claim's flush done.  0 the claim (and the 250 it
 * carried) is durable; -1 the flush failed, the store is down, and what
 * the commit held is held in memory instead.
 */
static int
claim_settle(struct outbox *o)
{
	int err = claim_durable(o);

	if (o->flush_fd >= 0)
		close(o->flush_fd);
	o->flush_fd = -1;
	if (err != 0) {
		store_flush_failed(o->st, err);
		health_failed(&o->health);
		if (o->has_sent && o->sent_recorded >= 0) {
			o->has_sent = 0;
			hold(o, &o->sent, store_error(o->st));
		}
		o->sent_recorded = -1;
		return -1;
	}
	if (o->has_sent && o->sent_recorded >= 0) {
		o->has_sent = 0;
		settled(&o->sent, o->sent_recorded);
	}
	o->sent_recorded = -1;
	return 0;
}

/*
 * Results held from earlier rounds into the store.  -1 when the store is
 * still down; 0 otherwise (what the store refuses for the row's own
 * reason stays held, and the other mail goes on).
 */
static int
reconcile(struct outbox *o)
{
	size_t i, kept = 0;
	int rc, down = 0, recorded = 0;

	for (i = 0; i < o->n_held; i++) {
		rc = down ? -1 : record(o->st, &o->held[i]);
		if (rc < 0 && !down && health_failed(&o->health))
			down = 1;
		if (rc < 0) {
			o->held[kept++] = o->held[i];
			continue;
		}
		recorded = 1;
		log_info("send", "id=%lld msgid=<%s> event=reconciled result=%s%s", o->held[i].id,
			 o->held[i].message_id != NULL ? o->held[i].message_id : "",
			 held_result(o->held[i].kind), rc == 0 ? " note=\"no such row in this store\"" : "");
		held_release(&o->held[i]);
	}
	o->n_held = kept;
	if (down)
		return -1;
	if (recorded)
		health_succeeded(&o->health);
	return 0;
}

/* The server failed: hold the outbox back, longer each time in a row. */
static void
pause_sending(struct outbox *o, long code, const char *error, time_t now)
{
	struct logkv kv;
	long d = backoff_delay(o->pauses + 1, OUTBOX_PAUSE_MIN, OUTBOX_PAUSE_MAX);
	char ts[CLOCK_TEXT_MAX];

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

static void
held_of(struct outbox_held *h, const struct outbox_row *r, enum outbox_held_kind kind)
{
	memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->id = r->id;
	h->ticket = r->ticket;
	h->message_id = xstrdup_or_null(r->message_id);
	h->rcpt = xstrdup_or_null(r->rcpt);
	h->mail_kind = xstrdup_or_null(r->kind);
	h->attempts = r->attempts + 1;
	h->doubt = r->doubt;
}

/* What to do with a mail that did not go out (or may have). */
static void
decide_retry(struct outbox *o, const struct outbox_row *r, enum smtp_result res, long code,
	     const char *error, long ms, time_t now, struct outbox_held *h)
{
	int in_doubt = smtp_in_doubt(o->smtp);
	time_t next;

	h->doubt = r->doubt + in_doubt;
	if (o->stop != NULL && *o->stop && !in_doubt) {
		/* Interrupted by shutdown: not the server's fault, due again at once. */
		log_send(o->conf, r, "interrupted", code, error, ms, 0, NULL, NULL);
		h->kind = OUTBOX_HELD_RETRY;
		h->attempts = r->attempts;
		h->at = now;
		h->error = xstrdup_or_null(error);
		return;
	}
	if (res == SMTP_UNAVAILABLE)
		pause_sending(o, code, error, now);
	next = now + outbox_backoff(r->attempts + 1);
	if (h->doubt > OUTBOX_MAX_DOUBT) {
		h->kind = OUTBOX_HELD_FAILED;
		h->error = xasprintf("no answer after the data again (%s): it may have been delivered; "
				     "not sent a third time", error);
	} else if (next - r->created_at > o->conf->smtp_max_retry) {
		h->kind = OUTBOX_HELD_FAILED;
		h->error = xasprintf("gave up after %d attempts: %s", r->attempts + 1, error);
	} else {
		h->kind = OUTBOX_HELD_RETRY;
		h->at = next;
		h->error = xstrdup_or_null(error);
	}
	log_send(o->conf, r, h->kind == OUTBOX_HELD_FAILED ? "failed" : "deferred", code,
		 h->kind == OUTBOX_HELD_FAILED ? h->error : error, ms,
		 h->kind == OUTBOX_HELD_RETRY ? next : 0,
		 in_doubt ? "outcome" : NULL, in_doubt ? "unknown" : NULL);
}

/* One row: claim, send, record.  0 done (or skipped), -1 the store is down. */
static int
send_row(struct outbox *o, const struct outbox_row *r)
{
	struct outbox_held h;
	enum smtp_result res;
	const char *error;
	long long t0;
	long code = 0, ms;
	time_t now;
	int rc;

	/* Nothing goes out on the word of a store that is not the one at the path. */
	if (health_check(&o->health) < 0)
		return -1;
	rc = claim(o, r);
	if (rc == CLAIM_DOWN)
		return -1;
	if (rc < 0) {
		if (health_failed(&o->health))
			return -1;
		log_error("send", "id=%lld error=\"%s\"", r->id, store_error(o->st));
		return 0;
	}
	if (rc == 0)        /* taken meanwhile by another sender, or requeued */
		return claim_settle(o);
	t0 = clock_mono_ms();
	res = smtp_send_gated(o->smtp, r->mail_from, r->rcpt, r->raw, r->raw_len, claim_durable,
			      o, &code, &error);
	ms = (long)(clock_mono_ms() - t0);
	now = clock_now();
	if (claim_settle(o) < 0) {
		/* Nothing of the mail went out (the gate held it): sent again when the store is back. */
		held_of(&h, r, OUTBOX_HELD_RETRY);
		h.at = now;
		hold(o, &h, store_error(o->st));
		return -1;
	}
	health_succeeded(&o->health);
	switch (res) {
	case SMTP_SENT:
		o->pauses = 0;
		log_send(o->conf, r, "sent", code, NULL, ms, 0, NULL, NULL);
		/* Recorded with the next claim, or alone when the round ends. */
		held_of(&o->sent, r, OUTBOX_HELD_SENT);
		o->sent.at = now;
		o->has_sent = 1;
		return 0;
	case SMTP_PERMFAIL:
		o->pauses = 0;
		log_send(o->conf, r, "failed", code, error, ms, 0, NULL, NULL);
		held_of(&h, r, OUTBOX_HELD_FAILED);
		h.error = xstrdup_or_null(error);
		break;
	default:
		held_of(&h, r, OUTBOX_HELD_RETRY);
		decide_retry(o, r, res, code, error, ms, now, &h);
		break;
	}
	return settle(o, &h);
}

/* Fail a row whose outcome was unknown once already: never a third copy. */
static int
give_up_in_doubt(struct outbox *o, const struct outbox_row *r)
{
	struct outbox_held h;

	held_of(&h, r, OUTBOX_HELD_FAILED);
	h.doubt = r->doubt + 1;
	h.error = xasprintf("in flight when its sender stopped (%s), for the second time: it may "
			    "have been delivered; not sent again", r->claimed_by);
	log_send(o->conf, r, "failed", 0, h.error, 0, 0, NULL, NULL);
	return settle(o, &h);
}

/*
 * Rows claimed by a sender that is gone (this one before a crash, or
 * another process) were in flight: each is due again, once, flagged.
 */
static int
recover_in_flight(struct outbox *o, time_t now)
{
	struct outbox_row *rows = NULL;
	enum proc_state state;
	size_t n = 0, i, j;
	int rc = 0, held;

	if (store_outbox_claimed(o->st, &rows, &n) < 0)
		return health_failed(&o->health) ? -1 : 0;
	for (i = 0; i < n && rc == 0; i++) {
		const struct outbox_row *r = &rows[i];

		for (held = 0, j = 0; j < o->n_held; j++)
			if (o->held[j].id == r->id)
				held = 1;
		if (held)
			continue;      /* ours, its result waits in memory */
		/* Ours but not held: an earlier sender of this process left it. */
		state = strcmp(r->claimed_by, o->owner) == 0 ? PROC_GONE : proc_id_state(r->claimed_by);
		if (state == PROC_ALIVE ||
		    (state == PROC_ELSEWHERE && now - r->claimed_at < OUTBOX_CLAIM_STALE))
			continue;
		if (r->doubt >= OUTBOX_MAX_DOUBT) {
			rc = give_up_in_doubt(o, r);
			continue;
		}
		if (store_outbox_unclaim(o->st, r->id, r->claimed_by, now) < 0) {
			rc = health_failed(&o->health) ? -1 : 0;
			continue;
		}
		log_warn("send", "id=%lld msgid=<%s> to=%s event=in_flight_at_crash owner=\"%s\" "
			 "dup=possible action=\"sent again once\"", r->id,
			 r->message_id != NULL ? r->message_id : "", r->rcpt, r->claimed_by);
	}
	outbox_rows_free(&rows, n);
	return rc;
}

static int
stopping(const struct outbox *o)
{
	return o->stop != NULL && *o->stop;
}

int
outbox_run(struct outbox *o, time_t *next_r)
{
	struct outbox_row *rows;
	size_t n, i;
	int handled = 0;
	time_t now = clock_now();

	*next_r = 0;
	if (o->conf->smtp_url == NULL)
		return 0;
	if (!health_ok(&o->health)) {
		*next_r = o->health.retry_at;
		return 0;
	}
	/* A replaced store shows no rows due in the old file: look at the path first. */
	if (health_check(&o->health) < 0)
		goto down;
	if (o->n_held > 0 && reconcile(o) < 0)
		goto down;
	if (now >= o->recover_at) {
		if (recover_in_flight(o, now) < 0)
			goto down;
		o->recover_at = now + OUTBOX_RECOVER_INTERVAL;
	}
	while (clock_now() >= o->paused_until) {
		if (store_outbox_due(o->st, clock_now(), OUTBOX_BATCH, &rows, &n) < 0) {
			if (health_failed(&o->health))
				goto down;
			log_error("send", "error=\"%s\"", store_error(o->st));
			flush_sent(o);
			return -1;
		}
		for (i = 0; i < n && !stopping(o); i++) {
			if (send_row(o, &rows[i]) < 0) {
				outbox_rows_free(&rows, n);
				goto down;
			}
			handled++;
			if (clock_now() < o->paused_until)
				break;
		}
		outbox_rows_free(&rows, n);
		if (n < OUTBOX_BATCH || stopping(o))
			break;
	}
	/* No claim follows: the last 250 is recorded now, never left for later. */
	if (flush_sent(o) < 0)
		goto down;
	if (store_outbox_next_due(o->st, next_r) < 0) {
		if (health_failed(&o->health))
			goto down;
		return -1;
	}
	if (*next_r != 0 && *next_r < o->paused_until)
		*next_r = o->paused_until;
	return handled;
down:
	hold_sent(o);      /* not written into a store found gone, full or read-only */
	*next_r = o->health.retry_at;
	return -1;
}
