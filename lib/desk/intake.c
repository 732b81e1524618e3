#include "intake.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conf.h"
#include "imap.h"
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
 * One chunk: fetched with one UID FETCH, read, applied in one
 * transaction with a savepoint per message, committed (durable: see
 * store.h), then the fate lines, then the server actions for the whole
 * chunk (one STORE or MOVE each, UID sets as ranges).  Returns the
 * number of fates committed; *stop_r is set when the round must end (the
 * connection or the store failed, or a message failed: it and those
 * after it wait for the next round, the ones before it are kept).
 */
static int
intake_chunk(struct intake *it, struct ingest_source *src, const struct imap_msginfo *msgs,
	     size_t n, int *stop_r)
{
	struct imap_chunk chunk;
	struct mail *mails;
	struct ingest_result *res;
	unsigned int *uids, *after, *quarantine;
	size_t i, n_res = 0, n_after = 0, n_quarantine = 0, bytes = 0, committed = 0;
	char *error = NULL;
	enum ingest_status rc = INGEST_OK;
	time_t now;

	*stop_r = 0;
	uids = xcalloc(n, sizeof(*uids));
	for (i = 0; i < n; i++) {
		uids[i] = msgs[i].uid;
		bytes += msgs[i].size;
	}
	if (imap_fetch_chunk(it->imap, uids, n, &chunk, &error) < 0) {
		session_failed(it, error);
		free(error);
		free(uids);
		*stop_r = 1;
		return 0;
	}
	mails = xcalloc(n, sizeof(*mails));
	res = xcalloc(n, sizeof(*res));
	after = xcalloc(n, sizeof(*after));
	quarantine = xcalloc(n, sizeof(*quarantine));
	for (i = 0; i < n; i++)
		if (chunk.msgs[i].raw != NULL)
			ingest_read(it->in, chunk.msgs[i].raw, chunk.msgs[i].len, &mails[i]);
	if (store_begin(it->in->st) < 0) {
		log_error("imap", "mailbox=%s error=\"%s\"", it->mb->name, store_error(it->in->st));
		*stop_r = 1;
		goto out;
	}
	now = clock_now();
	for (i = 0; i < n && !*it->stop; i++) {
		src->uid = chunk.msgs[i].uid;
		if (chunk.msgs[i].raw == NULL) {
			/* Expunged since the list: gone, nothing to give a fate to. */
			log_warn("imap", "mailbox=%s uid=%u event=vanished", it->mb->name, src->uid);
			continue;
		}
		rc = ingest_apply(it->in, &mails[i], chunk.msgs[i].raw, chunk.msgs[i].len, src, now,
				  &res[n_res]);
		if (rc != INGEST_OK) {
			/* This one waits for the next round, and the ones after it. */
			ingest_log_tempfail(src, mails[i].msg->message_id, res[n_res].error);
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
		  n, bytes, committed);
	if (committed > 0 && it->committed != NULL)
		it->committed(it->committed_arg);
	if (apply_actions(it, src->uidvalidity, after, n_after, NULL) < 0 ||
	    apply_actions(it, src->uidvalidity, quarantine, n_quarantine, it->mb->quarantine_folder) < 0)
		*stop_r = 1;
out:
	for (i = 0; i < n; i++) {
		ingest_result_release(&res[i]);
		if (mails[i].msg != NULL)
			mail_release(&mails[i]);
	}
	imap_chunk_release(&chunk);
	free(res);
	free(mails);
	free(uids);
	free(after);
	free(quarantine);
	return (int)committed;
}

int
intake_poll(struct intake *it, int *tempfail_r)
{
	struct ingest_source src;
	struct imap_msginfo *list = NULL;
	unsigned int uidvalidity, cursor_validity, last_uid, *pending = NULL, quarantine[1];
	size_t n = 0, n_new = 0, n_pending = 0, i, j, bytes;
	char *error = NULL;
	int done = 0, rc, stop = 0;

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
	for (i = 0; i < n_new && !stop && !*it->stop; i = j) {
		if (list[i].size > IMAP_MAX_LITERAL) {
			log_error("ingest", "mailbox=%s uid=%u fate=too_large size=%zu "
				  "error=\"over the IMAP literal limit, moved to %s unread\"",
				  it->mb->name, list[i].uid, list[i].size, it->mb->quarantine_folder);
			quarantine[0] = list[i].uid;
			if (apply_actions(it, uidvalidity, quarantine, 1, it->mb->quarantine_folder) < 0)
				break;
			j = i + 1;
			continue;
		}
		/* A chunk: at most INTAKE_CHUNK_MESSAGES and INTAKE_CHUNK_BYTES (a bigger mail alone). */
		bytes = 0;
		for (j = i; j < n_new && j - i < INTAKE_CHUNK_MESSAGES && list[j].size <= IMAP_MAX_LITERAL &&
			    (j == i || bytes + list[j].size <= INTAKE_CHUNK_BYTES); j++)
			bytes += list[j].size;
		done += intake_chunk(it, &src, list + i, j - i, &stop);
	}
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
