#include "intake.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conf.h"
#include "imap.h"
#include "job.h"
#include "ingest.h"
#include "log.h"
#include "mail.h"
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
	if (CONF_AUTH_IS_OAUTH(mb->auth) && mb->oauth != NULL) {
		who = xasprintf("mailbox=%s", mb->name);
		it->oauth = oauth_new(mb->oauth, who, stop);
		free(who);
	}
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
	imap_close(&it->imap);
	oauth_free(&it->oauth);
}

/* kind: what failed (imap_fail_name(), "token"), for people reading the log. */
static void
connection_failed(struct intake *it, const char *kind, const char *error)
{
	long delay = 1;
	int i;

	it->failures++;
	for (i = 1; i < it->failures && delay < INTAKE_BACKOFF_MAX; i++)
		delay *= 2;
	if (delay > INTAKE_BACKOFF_MAX)
		delay = INTAKE_BACKOFF_MAX;
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

/* Apply the server action to uids and record it done. */
static int
apply_actions(struct intake *it, unsigned int uidvalidity, const unsigned int *uids, size_t n,
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
	if (store_imap_done(it->in->st, it->mb->name, uidvalidity, uids, n) < 0) {
		log_error("imap", "mailbox=%s error=\"%s\"", it->mb->name, store_error(it->in->st));
		return -1;
	}
	return 0;
}

/* The after-action of a fate: the quarantine folder for these, else mb->after. */
static int
fate_quarantined(const char *fate)
{
	return strcmp(fate, "too_large") == 0 || strcmp(fate, "unparseable") == 0;
}

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

/* Fetch msgs[0..n) into c.  -1 when the connection failed (logged). */
static int
chunk_fetch(struct intake *it, const struct imap_msginfo *msgs, size_t n, struct chunk *c)
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
 * Apply a read chunk in one transaction with a savepoint per message,
 * commit it (durable: see store.h), then log the fate lines, then the
 * server actions for the whole chunk (one STORE or MOVE each, UID sets
 * as ranges).  Returns the number of fates committed; *stop_r is set
 * when the round must end (the connection or the store failed, or a
 * message failed: it and those after it wait for the next round, the
 * ones before it are kept).
 */
static int
chunk_commit(struct intake *it, struct ingest_source *src, struct chunk *c, int *stop_r)
{
	struct ingest_result *res;
	unsigned int *after, *quarantine;
	size_t i, n = c->n, n_res = 0, n_after = 0, n_quarantine = 0, committed = 0;
	enum ingest_status rc = INGEST_OK;
	unsigned int last = 0;
	time_t now;

	*stop_r = 0;
	res = xcalloc(n, sizeof(*res));
	after = xcalloc(n, sizeof(*after));
	quarantine = xcalloc(n, sizeof(*quarantine));
	if (store_begin(it->in->st) < 0) {
		log_error("imap", "mailbox=%s error=\"%s\"", it->mb->name, store_error(it->in->st));
		*stop_r = 1;
		goto out;
	}
	now = clock_now();
	for (i = 0; i < n && !*it->stop; i++) {
		const struct imap_message *m = &c->fetched.msgs[i];

		src->uid = m->uid;
		if (m->raw == NULL) {
			/* Expunged since the list: gone, nothing to give a fate to. */
			log_warn("imap", "mailbox=%s uid=%u event=vanished", it->mb->name, src->uid);
			continue;
		}
		rc = ingest_apply(it->in, &c->mails[i], m->raw, m->len, src, now, &res[n_res]);
		if (rc != INGEST_OK) {
			/* This one waits for the next round, and the ones after it. */
			ingest_log_tempfail(src, c->mails[i].msg->message_id, res[n_res].error);
			ingest_result_release(&res[n_res]);
			break;
		}
		if (strcmp(res[n_res].fate, INGEST_ALREADY) == 0)
			;    /* the process that took it acts on the server */
		else if (fate_quarantined(res[n_res].fate))
			quarantine[n_quarantine++] = src->uid;
		else
			after[n_after++] = src->uid;
		n_res++;
		last = src->uid;
	}
	/* The cursor once for the chunk: every message up to last has its fate. */
	if (rc != INGEST_TEMPFAIL && last != 0 &&
	    store_cursor_set(it->in->st, it->mb->name, src->uidvalidity, last) < 0) {
		log_error("imap", "mailbox=%s error=\"%s\"", it->mb->name, store_error(it->in->st));
		rc = INGEST_TEMPFAIL;
	}
	if (rc == INGEST_TEMPFAIL) {
		store_rollback(it->in->st);
		n_res = 0;
		*stop_r = 1;
		goto out;
	}
	if (rc == INGEST_FAILED || *it->stop)
		*stop_r = 1;
	if (store_commit(it->in->st) < 0) {
		log_error("imap", "mailbox=%s event=commit_failed messages=%zu error=\"%s\"", it->mb->name,
			  n_res, store_error(it->in->st));
		n_res = 0;
		*stop_r = 1;
		goto out;
	}
	committed = n_after + n_quarantine;
	for (i = 0; i < n_res; i++)
		ingest_log(&res[i]);
	log_debug("imap", "mailbox=%s event=chunk messages=%zu bytes=%zu committed=%zu", it->mb->name,
		  n, c->bytes, committed);
	if (committed > 0 && it->committed != NULL)
		it->committed(it->committed_arg);
	/* The connection may have died while this chunk was read: then the marks wait. */
	if (it->imap == NULL ||
	    apply_actions(it, src->uidvalidity, after, n_after, NULL) < 0 ||
	    apply_actions(it, src->uidvalidity, quarantine, n_quarantine, it->mb->quarantine_folder) < 0)
		*stop_r = 1;
out:
	for (i = 0; i < n; i++)
		ingest_result_release(&res[i]);
	free(res);
	free(after);
	free(quarantine);
	return (int)committed;
}

/*
 * The next chunk of list[*i..n) to fetch: at most INTAKE_CHUNK_MESSAGES
 * and INTAKE_CHUNK_BYTES (a bigger mail alone).  A message over the
 * IMAP literal limit on the way is moved to the quarantine folder
 * unread.  Returns its length (0: nothing left, or the connection
 * failed), with *i at its start.
 */
static size_t
next_chunk(struct intake *it, unsigned int uidvalidity, const struct imap_msginfo *list,
	   size_t n, size_t *i)
{
	unsigned int quarantine[1];
	size_t j, bytes = 0;

	while (*i < n && list[*i].size > IMAP_MAX_LITERAL) {
		log_error("ingest", "mailbox=%s uid=%u fate=too_large size=%zu "
			  "error=\"over the IMAP literal limit, moved to %s unread\"",
			  it->mb->name, list[*i].uid, list[*i].size, it->mb->quarantine_folder);
		quarantine[0] = list[*i].uid;
		if (apply_actions(it, uidvalidity, quarantine, 1, it->mb->quarantine_folder) < 0)
			return 0;
		(*i)++;
	}
	for (j = *i; j < n && j - *i < INTAKE_CHUNK_MESSAGES && list[j].size <= IMAP_MAX_LITERAL &&
		    (j == *i || bytes + list[j].size <= INTAKE_CHUNK_BYTES); j++)
		bytes += list[j].size;
	return j - *i;
}

int
intake_poll(struct intake *it, int *tempfail_r)
{
	struct ingest_source src;
	struct imap_msginfo *list = NULL;
	unsigned int uidvalidity, cursor_validity, last_uid, *pending = NULL;
	size_t n = 0, n_new = 0, n_pending = 0, i, len;
	struct chunk slots[2], *cur = &slots[0], *next = &slots[1], *swap;
	char *error = NULL;
	int done = 0, rc, stop = 0, have_cur = 0, have_next;

	*tempfail_r = 0;
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
	}
	/* Server actions left over from a crash or a lost connection. */
	if (store_imap_pending(it->in->st, it->mb->name, uidvalidity, &pending, &n_pending) < 0)
		goto dberr;
	rc = apply_actions(it, uidvalidity, pending, n_pending, NULL);
	free(pending);
	if (rc < 0)
		return -1;

	if (imap_list_new(it->imap, last_uid, &list, &n, &error) < 0) {
		session_failed(it, error);
		free(error);
		return -1;
	}
	/* Only what was not ingested before (its action is in the pending list). */
	for (i = 0; i < n; i++) {
		rc = store_message_has_uid(it->in->st, it->mb->name, uidvalidity, list[i].uid);
		if (rc < 0)
			goto dberr_list;
		if (rc == 0)
			list[n_new++] = list[i];
	}
	memset(&src, 0, sizeof(src));
	src.mailbox = it->mb->name;
	src.uidvalidity = uidvalidity;
	src.region = it->mb->region;
	src.language = it->mb->language;
	src.cursor_later = 1;
	/*
	 * A pipeline of two chunks: the reader reads one while this thread
	 * fetches the next, and reads that one while this thread commits the
	 * first and flags it on the server.  At most two chunks are in memory.
	 */
	i = 0;
	len = next_chunk(it, uidvalidity, list, n_new, &i);
	if (len > 0 && chunk_fetch(it, list + i, len, cur) == 0) {
		have_cur = 1;
		i += len;
		job_thread_start(it->reader, chunk_read, cur);
	}
	while (have_cur) {
		have_next = 0;
		if (!stop && !*it->stop && it->imap != NULL) {
			len = next_chunk(it, uidvalidity, list, n_new, &i);
			if (len > 0 && chunk_fetch(it, list + i, len, next) == 0) {
				have_next = 1;
				i += len;
			}
		}
		job_thread_wait(it->reader);
		if (have_next)
			job_thread_start(it->reader, chunk_read, next);
		done += chunk_commit(it, &src, cur, &stop);
		chunk_release(cur);
		if (have_next && stop) {
			/* Read, not committed: it comes again next round. */
			job_thread_wait(it->reader);
			chunk_release(next);
			have_next = 0;
		}
		swap = cur;
		cur = next;
		next = swap;
		have_cur = have_next;
	}
	if (i < n_new)
		stop = 1;
	/* The connection died mid-round, or a message or the store failed: the rest waits. */
	if (it->imap == NULL || stop)
		*tempfail_r = 1;
	free(list);
	return done;
dberr_list:
	free(list);
dberr:
	log_error("imap", "mailbox=%s error=\"%s\"", it->mb->name, store_error(it->in->st));
	*tempfail_r = 1;
	return done;
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
