#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "clock.h"
#include "conf.h"
#include "imap.h"
#include "ingest.h"
#include "job.h"
#include "log.h"
#include "mail.h"
#include "mime.h"
#include "oauth.h"
#include "store.h"
#include "xmalloc.h"

void
intake_init(struct intake *it, const struct conf_mailbox *mb, struct ingest *in,
	    const atomic_int *stop, int stop_fd)
{
	char *who;

	memset(it, 0, sizeof(*it));
	it->mb = mb;
	it->in = in;
	it->stop = stop;
	it->conn_stop.fd = stop_fd;
	it->conn_stop.flag = stop;
	it->reader = job_thread_new();
	it->writer = job_thread_new();
	it->flusher = job_thread_new();
	snprintf(it->who, sizeof(it->who), "mailbox:%s", mb->name);
	health_init(&it->health, in->st, NULL, it->who);
	if (CONF_AUTH_IS_OAUTH(mb->auth) && mb->oauth != NULL) {
		who = xasprintf("mailbox=%s", mb->name);
		it->oauth = oauth_new(mb->oauth, who, stop);
		free(who);
	}
}

void
intake_set_board(struct intake *it, struct health_board *board)
{
	it->health.board = board;
}

void
intake_on_commit(struct intake *it, void (*fn)(void *), void *arg)
{
	it->committed = fn;
	it->committed_arg = arg;
}

void
intake_release(struct intake *it)
{
	job_thread_free(&it->reader);
	job_thread_free(&it->writer);
	job_thread_free(&it->flusher);
	health_release(&it->health);
	imap_close(&it->imap);
	oauth_free(&it->oauth);
}

/* kind: what failed (imap_fail_name(), "token"), for people reading the log. */
static void
connection_failed(struct intake *it, const char *kind, const char *error)
{
	long delay;

	it->failures++;
	delay = backoff_delay(it->failures, 1, INTAKE_BACKOFF_MAX);
	it->retry_at = clock_now() + delay;
	if (strcmp(kind, "stopped") == 0)
		log_info("imap", "mailbox=%s event=interrupted reason=\"shutting down\"", it->mb->name);
	else
		log_warn("imap", "mailbox=%s event=disconnected kind=%s error=\"%s\" retry_in=%lds",
			 it->mb->name, kind, error, delay);
	imap_close(&it->imap);
	it->idling = 0;
}

/* A failure in the middle of a session: the connection's own kind (io, stopped). */
static void
session_failed(struct intake *it, const char *error)
{
	connection_failed(it, imap_fail_name(imap_last_fail(it->imap)), error);
}

/*
 * Log in with the password, or with an OAuth2 access token: refreshed
 * first when it is about to expire, and refreshed once more at once when
 * the server refuses it (revoked, or expired early).
 */
static int
login(struct intake *it, const char *password)
{
	const char *secret = password;
	enum oauth_result res;
	enum imap_fail fail;
	char *error = NULL;
	int attempt, refreshed = 0;

	for (attempt = 0; attempt < 2; attempt++) {
		if (it->oauth != NULL) {
			res = oauth_access_token(it->oauth, &secret, &refreshed, &error);
			if (res != OAUTH_OK) {
				connection_failed(it, "token", error);
				free(error);
				return -1;
			}
		}
		if (imap_open(it->mb, secret, &it->conn_stop, &it->imap, &fail, &error) == 0)
			return 0;
		if (fail == IMAP_FAIL_AUTH && it->oauth != NULL) {
			oauth_invalidate(it->oauth);
			if (!refreshed && attempt == 0) {
				log_info("imap", "mailbox=%s event=token_refused action=refresh error=\"%s\"",
					 it->mb->name, error);
				free(error);
				continue;
			}
		}
		break;
	}
	connection_failed(it, imap_fail_name(fail), error);
	free(error);
	return -1;
}

/*
 * The password is read here (password_file, password_env), just before
 * it is used, and wiped after: nothing else needs it, and a mailbox
 * without it fails alone, at each attempt.
 */
static int
open_session(struct intake *it)
{
	char *password = NULL, *error = NULL, *why;
	int rc;

	if (it->oauth == NULL && conf_secret_get(&it->mb->password, &password, &error) < 0) {
		why = xasprintf("no password: %s", error);
		connection_failed(it, "secret", why);
		free(why);
		free(error);
		return -1;
	}
	rc = login(it, password);
	conf_secret_free(&password);
	return rc;
}

static int
connect_mailbox(struct intake *it)
{
	if (it->imap != NULL)
		return 0;
	if (clock_now() < it->retry_at)
		return -1;
	if (open_session(it) < 0)
		return -1;
	if (it->failures > 0)
		log_info("imap", "mailbox=%s event=reconnected attempts=%d tls=%s auth=%s", it->mb->name,
			 it->failures + 1, imap_tls_mode(it->imap), imap_auth_mech(it->imap));
	else
		log_info("imap", "mailbox=%s event=connected uidvalidity=%u idle=%s tls=%s auth=%s",
			 it->mb->name, imap_uidvalidity(it->imap), imap_has_idle(it->imap) ? "yes" : "no",
			 imap_tls_mode(it->imap), imap_auth_mech(it->imap));
	it->failures = 0;
	if (strcmp(imap_tls_mode(it->imap), "none") == 0)
		log_warn("imap", "mailbox=%s event=tls_off "
			 "note=\"no TLS (tls = %s): the login and the mail travel in clear text\"",
			 it->mb->name, it->mb->tls == CONF_TLS_NONE ? "no" : "optional");
	else if (!it->mb->tls_verify && it->mb->tls_fingerprint == NULL && it->mb->tls_pubkey == NULL)
		log_warn("imap", "mailbox=%s event=tls_unverified "
			 "note=\"tls_verify = no: the server certificate is not checked\"", it->mb->name);
	return 0;
}

/* A store error: down when it is a fault (then 1), else logged (0). */
static int
store_failed(struct intake *it)
{
	if (health_failed(&it->health))
		return 1;
	log_error("imap", "mailbox=%s error=\"%s\"", it->mb->name, store_error(it->in->st));
	return 0;
}

/*
 * Apply the server action to uids and record it done.  Nothing is flagged
 * unless the store is the one at the path and answers (a deleted store
 * keeps accepting commits into a file nobody will read again).
 */
static int
apply_actions(struct intake *it, unsigned int uidvalidity, const unsigned int *uids, size_t n,
	      const char *quarantine)
{
	char *error = NULL;

	if (n == 0)
		return 0;
	if (health_check(&it->health) < 0)
		return -1;
	if (imap_apply(it->imap, uids, n, quarantine, &error) < 0) {
		session_failed(it, error);
		free(error);
		return -1;
	}
	if (store_imap_done(it->in->st, it->mb->name, uidvalidity, uids, n) < 0) {
		store_failed(it);
		return -1;
	}
	return 0;
}

/*
 * The store's log synced now: 0, or -1 with the store down.  The marks
 * apply_pending acts on may come from a lazy commit whose flush failed
 * (store.h), so they are made durable before anything is flagged.
 */
static int
sync_store(struct intake *it)
{
	if (store_sync(it->in->st) < 0) {
		store_failed(it);
		return -1;
	}
	return 0;
}

/* Server actions left over from a crash, a lost connection or a store outage. */
static int
apply_pending(struct intake *it, unsigned int uidvalidity)
{
	unsigned int *pending = NULL;
	size_t n = 0;
	int rc, synced = 0;

	if (store_imap_pending(it->in->st, it->mb->name, uidvalidity, STORE_IMAP_AFTER,
			       &pending, &n) < 0) {
		store_failed(it);
		return -1;
	}
	synced = n > 0;
	rc = n > 0 && sync_store(it) < 0 ? -1 : apply_actions(it, uidvalidity, pending, n, NULL);
	free(pending);
	if (rc < 0)
		return -1;
	if (store_imap_pending(it->in->st, it->mb->name, uidvalidity, STORE_IMAP_QUARANTINE,
			       &pending, &n) < 0) {
		store_failed(it);
		return -1;
	}
	rc = n > 0 && !synced && sync_store(it) < 0 ? -1 :
		apply_actions(it, uidvalidity, pending, n, it->mb->quarantine_folder);
	free(pending);
	return rc;
}

/*
 * A literal over the limit is remembered in the store with the message's
 * failures, so that a reconnect or a restart takes its header next (and,
 * should the header come over the limit too, nothing of it).
 */
#define OVER_BODY "over the IMAP literal limit (body): "
#define OVER_HEADER "over the IMAP literal limit (header): "

/* 0 nothing on record, 1 its body literal was over, 2 its header too; -1 store error. */
static int
over_stage(struct intake *it, unsigned int uidvalidity, unsigned int uid, unsigned int failed_min,
	   unsigned long long *claim_r)
{
	const char *p;
	char *error = NULL;
	int attempts, rc, stage = 0;

	*claim_r = 0;
	if (failed_min == 0 || uid < failed_min)
		return 0;
	rc = store_intake_failure_get(it->in->st, it->mb->name, uidvalidity, uid, &attempts, &error);
	if (rc <= 0)
		return rc;
	if (strncmp(error, OVER_HEADER, strlen(OVER_HEADER)) == 0)
		stage = 2;
	else if (strncmp(error, OVER_BODY, strlen(OVER_BODY)) == 0)
		stage = 1;
	/* "…: N bytes claimed, …" (literal_error()) */
	p = strstr(error, "server: ");
	if (stage > 0 && p != NULL)
		*claim_r = strtoull(p + 8, NULL, 10);
	free(error);
	return stage;
}

static void
note_over(struct intake *it, unsigned int uidvalidity, unsigned int uid, int stage,
	  const char *error)
{
	char *text = xasprintf("%s%s", stage == 2 ? OVER_HEADER : OVER_BODY, error);
	int attempts;

	log_warn("imap", "mailbox=%s uid=%u event=hostile_literal section=%s error=\"%s\" "
		 "action=\"%s\"", it->mb->name, uid, stage == 2 ? "header" : "body", error,
		 stage == 2 ? "its fate is recorded without its bytes" : "only its header is fetched");
	if (store_intake_failure_add(it->in->st, it->mb->name, uidvalidity, uid, text, clock_now(),
				     &attempts) < 0)
		store_failed(it);
	free(text);
}

/*
 * A message over the IMAP literal limit: its header section only (a
 * bounded partial fetch), for a too_large fate.  When even that came as a
 * literal over the limit (stage 2), nothing of it: the fate is recorded
 * without bytes.  0 with raw (caller frees), -1 the connection died.
 */
static int
fetch_oversize(struct intake *it, unsigned int uidvalidity, unsigned int uid, int stage,
	       char **raw_r, size_t *len_r)
{
	char *error = NULL;
	int rc;

	if (stage >= 2) {
		*raw_r = xstrdup("");
		*len_r = 0;
		return 0;
	}
	rc = imap_fetch_header(it->imap, uid, MIME_MAX_HEADER_SIZE, raw_r, len_r, &error);
	if (rc == IMAP_FETCH_OVER_LIMIT)
		note_over(it, uidvalidity, uid, 2, error);
	if (rc < 0) {
		session_failed(it, error);
		free(error);
		return -1;
	}
	return 0;
}

/*
 * A message failed for a reason of its own: count it; after
 * INTAKE_MAX_ATTEMPTS it gets fate failed.  1 it has a fate now (to
 * quarantine), 0 it waits for the next round, -1 the store failed.
 */
static int
message_failed(struct intake *it, const struct ingest_source *src, const char *raw, size_t len,
	       const char *error)
{
	struct ingest_result res;
	int attempts = 0;
	enum ingest_status rc;

	if (store_intake_failure_add(it->in->st, it->mb->name, src->uidvalidity, src->uid, error,
				     clock_now(), &attempts) < 0) {
		store_failed(it);
		return -1;
	}
	if (attempts < INTAKE_MAX_ATTEMPTS) {
		log_warn("ingest", "mailbox=%s uid=%u event=message_failed attempt=%d of=%d "
			 "action=\"retried next round; the mailbox goes on\"", it->mb->name, src->uid,
			 attempts, INTAKE_MAX_ATTEMPTS);
		return 0;
	}
	rc = ingest_failed(it->in, raw, len, src, error, attempts, &res);
	ingest_result_release(&res);
	if (rc != INGEST_OK) {
		store_failed(it);
		return -1;
	}
	return 1;
}

/* The UID to list from: the cursor, or below it when a failed message waits there. */
static int
list_from(struct intake *it, unsigned int uidvalidity, unsigned int last_uid, unsigned int *from_r,
	  unsigned int *failed_r)
{
	unsigned int fmin = 0;

	if (store_intake_failure_min(it->in->st, it->mb->name, uidvalidity, &fmin) < 0)
		return -1;
	*failed_r = fmin;
	*from_r = fmin != 0 && fmin - 1 < last_uid ? fmin - 1 : last_uid;
	return 0;
}

/* A failure record of a message no longer on the server. */
static int
forget_vanished(struct intake *it, unsigned int uidvalidity, unsigned int failed,
		const struct imap_msginfo *list, size_t n)
{
	size_t i;

	if (failed == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (list[i].uid == failed)
			return 0;
	log_info("ingest", "mailbox=%s uid=%u event=failed_message_vanished", it->mb->name, failed);
	return store_intake_failure_clear(it->in->st, it->mb->name, uidvalidity, failed);
}

/* One round's state, shared by the chunk and the single-message paths. */
struct round {
	struct ingest_source src;
	int done;                     /* messages whose fate was committed */
	int stop;                     /* the round ends: connection or store failed */
	int tempfail;                 /* something waits for the next round */
};

/*
 * A chunk of messages on its way: fetched with one UID FETCH, read (in
 * the reader thread), then committed.
 */
struct chunk {
	const struct imap_msginfo *msgs;
	size_t n;
	size_t bytes;                 /* their RFC822.SIZE */
	struct imap_chunk fetched;
	const struct ingest *in;      /* for the reader */
	struct mail *mails;           /* mails[i] for fetched.msgs[i]; msg NULL when not read */
};

/*
 * Fetch msgs[0..n) into c.  -1 when the connection failed (logged).  A
 * literal over the limit breaks the connection: alone, the message is
 * remembered as over (its header is fetched next); in a chunk, the
 * chunk's UIDs are fetched one by one next, to find it.
 */
static int
chunk_fetch(struct intake *it, unsigned int uidvalidity, const struct imap_msginfo *msgs,
	    size_t n, struct chunk *c)
{
	unsigned int *uids = xcalloc(n, sizeof(*uids));
	char *error = NULL;
	size_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	c->msgs = msgs;
	c->n = n;
	c->in = it->in;
	for (i = 0; i < n; i++) {
		uids[i] = msgs[i].uid;
		c->bytes += msgs[i].size;
	}
	rc = imap_fetch_chunk(it->imap, uids, n, &c->fetched, &error);
	free(uids);
	if (rc == IMAP_FETCH_OVER_LIMIT) {
		if (n == 1)
			note_over(it, uidvalidity, msgs[0].uid, 1, error);
		else
			it->single_until = msgs[n - 1].uid;
	}
	if (rc < 0) {
		session_failed(it, error);
		free(error);
		return -1;
	}
	c->mails = xcalloc(n, sizeof(*c->mails));
	return 0;
}

/* The reader's job: every message of the chunk read (pure: no store, no network). */
static void
chunk_read(void *arg)
{
	struct chunk *c = arg;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->fetched.msgs[i].raw != NULL)
			ingest_read(c->in, c->fetched.msgs[i].raw, c->fetched.msgs[i].len, &c->mails[i]);
}

static void
chunk_release(struct chunk *c)
{
	size_t i;

	for (i = 0; c->mails != NULL && i < c->n; i++)
		if (c->mails[i].msg != NULL)
			mail_release(&c->mails[i]);
	free(c->mails);
	imap_chunk_release(&c->fetched);
	memset(c, 0, sizeof(*c));
}

/*
 * What a chunk's commits did, kept until the log is synced (store.h:
 * store_begin_lazy) before any of it shows outside the store: the fate
 * lines, the server actions, the sender's wake-up; then the UIDs acted
 * on, whose pending marks the next commit clears.
 */
struct landed {
	struct ingest_result *res;    /* fate lines, n_res */
	unsigned int *after;          /* UIDs for the after-action, n_after */
	unsigned int *quarantine;     /* UIDs for the quarantine folder, n_quarantine */
	unsigned int *acted;          /* UIDs acted on, n_acted: their marks to clear */
	size_t n_res, n_after, n_quarantine, n_acted;
	int committed;                /* lazy commits to flush */
	int fd;                       /* store_flush_fd(), -1 */
	int err;                      /* the flush's errno, 0 */
};

static void
landed_init(struct landed *l, size_t n)
{
	memset(l, 0, sizeof(*l));
	l->res = xcalloc(n, sizeof(*l->res));
	l->after = xcalloc(n, sizeof(*l->after));
	l->quarantine = xcalloc(n, sizeof(*l->quarantine));
	l->acted = xcalloc(n, sizeof(*l->acted));
	l->fd = -1;
}

static void
landed_release(struct landed *l)
{
	size_t i;

	for (i = 0; i < l->n_res; i++)
		ingest_result_release(&l->res[i]);
	free(l->res);
	free(l->after);
	free(l->quarantine);
	free(l->acted);
	if (l->fd >= 0)
		close(l->fd);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}

/* The flusher's job: the chunk's commits made durable. */
static void
landed_flush(void *arg)
{
	struct landed *l = arg;

	l->err = store_flush(l->fd);
}

/*
 * The writer's job: a read chunk committed into l, and the marks of the
 * UIDs acted on before (done) cleared in the same transaction.  It has
 * the store to itself meanwhile; r is its own copy of the round.
 */
struct commit_job {
	struct intake *it;
	struct round r;
	struct chunk *c;
	struct landed *l;
	const struct landed *done;    /* NULL, or whose acted marks to clear */
};

/*
 * Apply the read messages of c from *from on in one lazy transaction with
 * a savepoint per message, up to the end or to the first that fails for
 * a reason of its own, and commit.  Its fates and actions go to l.
 * *from moves past what was done, the failed message included (its
 * failure is counted, in a durable commit: it waits, or gets fate
 * failed).  -1 when the round must end (the store failed).
 */
static int
segment_commit(struct commit_job *j, size_t *from)
{
	struct intake *it = j->it;
	struct round *r = &j->r;
	struct chunk *c = j->c;
	struct landed *l = j->l;
	size_t i, stop_at, n_res = l->n_res, n_after = l->n_after, n_quarantine = l->n_quarantine;
	size_t failed = c->n;
	unsigned int last = 0;
	enum ingest_status rc = INGEST_OK;
	struct ingest_result *res = l->res;
	time_t now;
	int frc;

	if (l->fd < 0)
		l->fd = store_flush_fd(it->in->st);
	if (l->fd < 0) {
		store_failed(it);
		r->stop = r->tempfail = 1;
		return -1;
	}
	if (store_begin_lazy(it->in->st) < 0) {
		store_failed(it);
		r->stop = r->tempfail = 1;
		return -1;
	}
	/* Lost with a rollback or a crash, a mark means one action again: harmless. */
	if (j->done != NULL && store_imap_done(it->in->st, it->mb->name, r->src.uidvalidity,
					       j->done->acted, j->done->n_acted) < 0)
		rc = INGEST_TEMPFAIL;
	j->done = NULL;
	now = clock_now();
	for (i = *from; i < c->n && !*it->stop && rc == INGEST_OK; i++) {
		const struct imap_message *m = &c->fetched.msgs[i];

		r->src.uid = m->uid;
		if (m->raw == NULL) {
			/* Expunged since the list: gone, nothing to give a fate to. */
			log_warn("imap", "mailbox=%s uid=%u event=vanished", it->mb->name, m->uid);
			continue;
		}
		rc = ingest_apply(it->in, &c->mails[i], m->raw, m->len, &r->src, now, &res[n_res]);
		if (rc == INGEST_FAILED) {
			failed = i;
			break;
		}
		if (rc != INGEST_OK)
			break;
		if (strcmp(res[n_res].fate, INGEST_ALREADY) == 0)
			;    /* the process that took it acts on the server */
		else if (ingest_fate_quarantined(res[n_res].fate))
			l->quarantine[l->n_quarantine++] = m->uid;
		else
			l->after[n_after++] = m->uid;
		n_res++;
		last = m->uid;
	}
	stop_at = i;
	/* The cursor once for the segment: every message up to last has its fate. */
	if (rc != INGEST_TEMPFAIL && last != 0 &&
	    store_cursor_set(it->in->st, it->mb->name, r->src.uidvalidity, last) < 0)
		rc = INGEST_TEMPFAIL;
	if (rc == INGEST_TEMPFAIL || store_commit(it->in->st) < 0) {
		store_rollback(it->in->st);
		store_failed(it);
		for (i = l->n_res; i <= n_res && i < c->n; i++)
			ingest_result_release(&res[i]);
		l->n_quarantine = n_quarantine;
		r->stop = r->tempfail = 1;
		return -1;
	}
	l->n_res = n_res;
	l->n_after = n_after;
	l->committed = 1;
	*from = stop_at;
	if (failed < c->n) {
		const struct imap_message *m = &c->fetched.msgs[failed];
		struct ingest_result *fres = &res[n_res];

		r->src.uid = m->uid;
		frc = message_failed(it, &r->src, m->raw, m->len, fres->error);
		ingest_result_release(fres);
		if (frc < 0) {
			r->stop = r->tempfail = 1;
			return -1;
		}
		if (frc == 0)
			r->tempfail = 1;
		else
			l->quarantine[l->n_quarantine++] = m->uid;
		*from = failed + 1;
	}
	if (*it->stop)
		r->stop = 1;
	return 0;
}

/* Commit a read chunk, segment by segment (a failing message ends one). */
static void
chunk_commit(void *arg)
{
	struct commit_job *j = arg;
	size_t from = 0;

	while (from < j->c->n && !j->r.stop)
		if (segment_commit(j, &from) < 0)
			break;
	log_debug("imap", "mailbox=%s event=chunk messages=%zu bytes=%zu committed=%zu",
		  j->it->mb->name, j->c->n, j->c->bytes, j->l->n_res);
}

/* One UID set on the server: 0, or -1 when the connection failed (logged). */
static int
act_on_server(struct intake *it, struct landed *l, const unsigned int *uids, size_t n,
	      const char *quarantine)
{
	char *error = NULL;

	if (n == 0)
		return 0;
	if (imap_apply(it->imap, uids, n, quarantine, &error) < 0) {
		session_failed(it, error);
		free(error);
		return -1;
	}
	memcpy(l->acted + l->n_acted, uids, n * sizeof(*uids));
	l->n_acted += n;
	return 0;
}

/*
 * Once l's flush is done: its fate lines, the sender woken, its server
 * actions (one STORE or MOVE each, UID sets as ranges), when store_ok
 * (the store was the one at its path, and answered, just before).  Runs
 * while the writer has the store: only the network and the log here.
 * A failed flush says nothing is certain of the commits: nothing is
 * flagged, and the fate lines say durable=unknown; what survives of them
 * is flagged when the store is back and syncs (the pending marks), what
 * does not is taken again (the cursor).
 */
static void
land(struct intake *it, struct round *r, struct landed *l, int store_ok)
{
	size_t i;

	if (l->committed && l->err != 0) {
		/* Said, not hidden: the admin learns what may or may not have been recorded. */
		for (i = 0; i < l->n_res; i++)
			log_warn("ingest", "%s durable=unknown note=\"the store's log could not be "
				 "synced: this fate may be lost; the mail stays unflagged until the "
				 "store is back\"", l->res[i].line);
		return;
	}
	for (i = 0; i < l->n_res; i++)
		ingest_log(&l->res[i]);
	r->done += (int)(l->n_after + l->n_quarantine);
	if (l->n_after + l->n_quarantine > 0 && it->committed != NULL)
		it->committed(it->committed_arg);
	/* The connection may have died meanwhile, or the store: then the marks wait. */
	if (!store_ok || it->imap == NULL ||
	    act_on_server(it, l, l->after, l->n_after, NULL) < 0 ||
	    act_on_server(it, l, l->quarantine, l->n_quarantine, it->mb->quarantine_folder) < 0)
		r->stop = r->tempfail = 1;
}

/* After land, with the store back in this thread: a failed flush is the store's fault. */
static void
land_settle(struct intake *it, struct round *r, const struct landed *l)
{
	if (l->committed && l->err != 0) {
		store_flush_failed(it->in->st, l->err);
		store_failed(it);
		r->stop = r->tempfail = 1;
	} else if (l->n_after + l->n_quarantine > 0) {
		health_succeeded(&it->health);
	}
}

/*
 * A message over the IMAP literal limit (by its size, or by the literal
 * the server sent before), alone: its header, a too_large fate, the
 * quarantine folder.  Nothing else is in flight meanwhile, so that the
 * cursor it moves has every message before it behind it.
 */
static void
take_oversize(struct intake *it, struct round *r, const struct imap_msginfo *msg, int stage,
	      unsigned long long claim)
{
	struct ingest_result res;
	enum ingest_status status;
	unsigned int uids[1];
	char *raw;
	size_t len;
	int rc;

	if (fetch_oversize(it, r->src.uidvalidity, msg->uid, stage, &raw, &len) < 0) {
		r->stop = r->tempfail = 1;
		return;
	}
	r->src.uid = msg->uid;
	r->src.headers_only = 1;
	r->src.claimed_size = claim > msg->size ? (size_t)claim : msg->size;
	r->src.cursor_later = 0;
	status = ingest_message(it->in, raw, len, &r->src, &res);
	if (status == INGEST_FAILED) {
		rc = message_failed(it, &r->src, raw, len, res.error);
		if (rc == 0)
			r->tempfail = 1;
	} else if (status == INGEST_OK && strcmp(res.fate, INGEST_ALREADY) == 0) {
		rc = 0;      /* another process took it and acts on the server */
	} else {
		rc = status == INGEST_OK ? (ingest_fate_quarantined(res.fate) ? 1 : 2) : -1;
	}
	r->src.headers_only = 0;
	r->src.claimed_size = 0;
	r->src.cursor_later = 1;
	free(raw);
	if (status == INGEST_TEMPFAIL)
		store_failed(it);
	ingest_result_release(&res);
	if (rc < 0) {
		r->stop = r->tempfail = 1;
		return;
	}
	if (rc == 0)
		return;
	r->done++;
	health_succeeded(&it->health);
	if (it->committed != NULL)
		it->committed(it->committed_arg);
	uids[0] = msg->uid;
	if (apply_actions(it, r->src.uidvalidity, uids, 1, rc == 1 ? it->mb->quarantine_folder : NULL) < 0)
		r->stop = r->tempfail = 1;
}

/*
 * The next chunk of list[*i..end): at most INTAKE_CHUNK_MESSAGES and
 * INTAKE_CHUNK_BYTES (a bigger mail alone), one message when a chunk's
 * literal was over the limit (to find which).  Returns its length.
 */
static size_t
next_chunk(const struct intake *it, const struct imap_msginfo *list, size_t i, size_t end)
{
	size_t j, bytes = 0;

	if (i < end && list[i].uid <= it->single_until)
		return 1;
	for (j = i; j < end && j - i < INTAKE_CHUNK_MESSAGES && list[j].uid > it->single_until &&
		    (j == i || bytes + list[j].size <= INTAKE_CHUNK_BYTES); j++)
		bytes += list[j].size;
	return j - i;
}

/*
 * list[i..end) in chunks, a pipeline of four threads:
 *   this one    fetches chunk k+1, flags chunk k-1 on the server
 *   the writer  commits chunk k (lazily) and clears k-2's marks with it
 *   the reader  reads chunk k+1 once it is fetched
 *   the flusher syncs the log of chunk k once it is committed
 * and chunk k is shown (its fate lines) and flagged once its flush is
 * done, while k+1 commits.  The store belongs to the writer while it
 * runs and to this thread between its jobs; the connection to this
 * thread.  At most two chunks are in memory.  Returns where it stopped.
 */
static size_t
take_chunks(struct intake *it, struct round *r, const struct imap_msginfo *list, size_t i,
	    size_t end)
{
	struct chunk slots[2], *cur = &slots[0], *next = &slots[1], *swap;
	struct landed lands[3], *prev = NULL, *done = NULL;
	struct commit_job job;
	size_t len;
	int have_cur = 0, have_next, li = 0, store_ok = 1;

	memset(lands, 0, sizeof(lands));
	len = next_chunk(it, list, i, end);
	if (len > 0 && chunk_fetch(it, r->src.uidvalidity, list + i, len, cur) == 0) {
		have_cur = 1;
		i += len;
		job_thread_start(it->reader, chunk_read, cur);
		job_thread_wait(it->reader);
	}
	while (have_cur) {
		/* The store is this thread's until the writer starts. */
		if (prev != NULL)
			store_ok = health_check(&it->health) == 0;
		memset(&job, 0, sizeof(job));
		job.it = it;
		job.r = *r;
		job.r.stop = job.r.tempfail = 0;
		job.c = cur;
		job.l = &lands[li];
		job.done = done;
		landed_init(job.l, cur->n);
		job_thread_start(it->writer, chunk_commit, &job);
		have_next = 0;
		if (!r->stop && !*it->stop && it->imap != NULL) {
			len = next_chunk(it, list, i, end);
			if (len > 0 && chunk_fetch(it, r->src.uidvalidity, list + i, len, next) == 0) {
				have_next = 1;
				i += len;
				job_thread_start(it->reader, chunk_read, next);
			}
		}
		if (prev != NULL) {
			job_thread_wait(it->flusher);
			land(it, r, prev, store_ok);
		}
		job_thread_wait(it->writer);
		r->stop |= job.r.stop;
		r->tempfail |= job.r.tempfail;
		chunk_release(cur);
		if (done != NULL)
			landed_release(done);
		done = NULL;
		if (prev != NULL) {
			land_settle(it, r, prev);
			done = prev;
		}
		prev = job.l;
		if (prev->committed) {
			job_thread_start(it->flusher, landed_flush, prev);
		} else {
			landed_release(prev);
			prev = NULL;
		}
		li = (li + 1) % 3;
		if (have_next)
			job_thread_wait(it->reader);
		if (have_next && r->stop) {
			/* Read, not committed: it comes again next round. */
			chunk_release(next);
			have_next = 0;
		}
		swap = cur;
		cur = next;
		next = swap;
		have_cur = have_next;
	}
	if (prev != NULL) {
		job_thread_wait(it->flusher);
		store_ok = health_check(&it->health) == 0;
		land(it, r, prev, store_ok);
		land_settle(it, r, prev);
	}
	/* The last marks, in a commit of their own. */
	if (done != NULL && done->n_acted > 0 &&
	    store_imap_done(it->in->st, it->mb->name, r->src.uidvalidity, done->acted,
			    done->n_acted) < 0)
		store_failed(it);
	if (prev != NULL && prev->n_acted > 0 &&
	    store_imap_done(it->in->st, it->mb->name, r->src.uidvalidity, prev->acted,
			    prev->n_acted) < 0)
		store_failed(it);
	if (done != NULL)
		landed_release(done);
	if (prev != NULL)
		landed_release(prev);
	return i;
}

int
intake_poll(struct intake *it, int *tempfail_r)
{
	struct round r;
	struct imap_msginfo *list = NULL;
	unsigned int uidvalidity, cursor_validity, last_uid, from, failed_uid;
	unsigned long long *claims = NULL;
	int *stages = NULL;
	size_t n = 0, n_new = 0, i, end;
	char *error = NULL;
	int rc, listed_more = 0;

	*tempfail_r = 0;
	it->repeat = it->more;
	it->more = 0;
	/* The store is down: no intake, no flagging, until it is back. */
	if (!health_ok(&it->health)) {
		*tempfail_r = 1;
		return 0;
	}
	if (connect_mailbox(it) < 0)
		return -1;
	uidvalidity = imap_uidvalidity(it->imap);
	if (store_cursor_get(it->in->st, it->mb->name, &cursor_validity, &last_uid) < 0)
		goto dberr;
	if (cursor_validity != 0 && cursor_validity != uidvalidity) {
		/* The server renumbered the folder: start over, duplicates are caught by hash. */
		log_warn("imap", "mailbox=%s event=uidvalidity_changed old=%u new=%u",
			 it->mb->name, cursor_validity, uidvalidity);
		last_uid = 0;
		it->single_until = 0;
	}
	if (list_from(it, uidvalidity, last_uid, &from, &failed_uid) < 0)
		goto dberr;
	if (apply_pending(it, uidvalidity) < 0) {
		*tempfail_r = it->imap == NULL || it->health.down;
		return 0;
	}
	if (imap_list_new(it->imap, from, INTAKE_LIST_WINDOW, &list, &n, &listed_more, &error) < 0) {
		session_failed(it, error);
		free(error);
		return -1;
	}
	log_debug("imap", "mailbox=%s event=listed after=%u messages=%zu more=%s", it->mb->name, from,
		  n, listed_more ? "yes" : "no");
	if (forget_vanished(it, uidvalidity, failed_uid, list, n) < 0)
		goto dberr_list;
	/*
	 * Only what was not ingested before (its action is in the pending
	 * list).  Above the cursor nothing was, but for a race with another
	 * ticketd on this mailbox, which the message's own transaction
	 * settles (already_taken): no lookup there.
	 */
	stages = xcalloc(n + 1, sizeof(*stages));
	claims = xcalloc(n + 1, sizeof(*claims));
	for (i = 0; i < n; i++) {
		rc = list[i].uid > last_uid ? 0 :
			store_message_has_uid(it->in->st, it->mb->name, uidvalidity, list[i].uid);
		if (rc < 0)
			goto dberr_list;
		/* Taken already (by another ticketd, say): a failure on record for it is moot. */
		if (rc == 1 && list[i].uid == failed_uid &&
		    store_intake_failure_clear(it->in->st, it->mb->name, uidvalidity, failed_uid) < 0)
			goto dberr_list;
		if (rc == 1)
			continue;
		rc = over_stage(it, uidvalidity, list[i].uid, failed_uid, &claims[n_new]);
		if (rc < 0)
			goto dberr_list;
		/* Over the limit: by what the server sent before (1, 2), or by its size (-1). */
		stages[n_new] = rc > 0 ? rc : list[i].size > IMAP_MAX_LITERAL ? -1 : 0;
		list[n_new++] = list[i];
	}
	memset(&r, 0, sizeof(r));
	r.src.mailbox = it->mb->name;
	r.src.uidvalidity = uidvalidity;
	r.src.region = it->mb->region;
	r.src.language = it->mb->language;
	r.src.cursor_later = 1;
	r.src.no_failures = failed_uid == 0;
	i = 0;
	while (i < n_new && !r.stop && !*it->stop && it->imap != NULL) {
		if (stages[i] != 0) {
			take_oversize(it, &r, &list[i], stages[i] < 0 ? 0 : stages[i], claims[i]);
			i++;
			continue;
		}
		for (end = i; end < n_new && stages[end] == 0; end++)
			;
		i = take_chunks(it, &r, list, i, end);
		if (i < end)
			break;
	}
	/* The connection died mid-round, or a message or the store failed: the rest waits. */
	if (i < n_new || it->imap == NULL || it->health.down || r.tempfail)
		*tempfail_r = 1;
	else
		/*
		 * More above the window, or mail announced mid-round: again at once,
		 * but a repeat that took nothing does not repeat (a server that says
		 * EXISTS after every command would keep the mailbox out of IDLE).
		 */
		it->more = (listed_more || imap_announced(it->imap)) && (r.done > 0 || !it->repeat);
	free(stages);
	free(claims);
	free(list);
	return r.done;
dberr_list:
	free(stages);
	free(claims);
	free(list);
dberr:
	store_failed(it);
	*tempfail_r = 1;
	return 0;
}

int
intake_more(const struct intake *it)
{
	return it->more;
}

int
intake_idle_start(struct intake *it, int *ready_r)
{
	char *error = NULL;
	int fd;

	*ready_r = 0;
	if (it->imap == NULL)
		return -1;
	fd = imap_idle_start(it->imap, ready_r, &error);
	if (fd < 0) {
		if (error != NULL) {
			session_failed(it, error);
			free(error);
		}
		return -1;
	}
	it->idling = 1;
	return fd;
}

void
intake_idle_done(struct intake *it)
{
	char *error = NULL;

	if (!it->idling || it->imap == NULL)
		return;
	it->idling = 0;
	if (imap_idle_done(it->imap, &error) < 0) {
		session_failed(it, error);
		free(error);
	}
}
