/*
 * outbox: outgoing mail and its delivery state.
 */
#include "store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define OUTBOX_COLS "o.id, COALESCE(o.ticket, 0), o.kind, o.mail_from, o.rcpt, m.message_id, m.raw, " \
	"CASE WHEN o.status = 'queued' AND o.claimed_by IS NOT NULL THEN 'sending' ELSE o.status END, " \
	"o.attempts, o.next_attempt_at, o.created_at, COALESCE(o.sent_at, 0), o.last_error, " \
	"o.claimed_by, COALESCE(o.claimed_at, 0), o.doubt"

/* The row, and only if its message is still the one we sent (the store may have been replaced). */
#define OUTBOX_THIS_ROW "id = ? AND (SELECT m.message_id FROM messages m WHERE m.id = outbox.message) IS ?"

static void
outbox_from_row(struct store *st, struct store_stmt *s, void *p)
{
	struct outbox_row *r = p;
	const void *raw;

	memset(r, 0, sizeof(*r));
	r->id = store_col_int(st, s, 0);
	r->ticket = store_col_int(st, s, 1);
	r->kind = store_col_str(st, s, 2);
	r->mail_from = store_col_str(st, s, 3);
	r->rcpt = store_col_str(st, s, 4);
	r->message_id = store_col_str(st, s, 5);
	raw = store_col_blob(st, s, 6, &r->raw_len);
	r->raw = xstrndup(raw != NULL ? raw : "", r->raw_len);
	r->status = store_col_str(st, s, 7);
	r->attempts = (int)store_col_int(st, s, 8);
	r->next_attempt_at = (time_t)store_col_int(st, s, 9);
	r->created_at = (time_t)store_col_int(st, s, 10);
	r->sent_at = (time_t)store_col_int(st, s, 11);
	r->last_error = store_col_str(st, s, 12);
	r->claimed_by = store_col_str(st, s, 13);
	r->claimed_at = (time_t)store_col_int(st, s, 14);
	r->doubt = (int)store_col_int(st, s, 15);
}

static void
outbox_row_release_v(void *p)
{
	outbox_row_release(p);
}

void
outbox_row_release(struct outbox_row *r)
{
	free(r->kind);
	free(r->mail_from);
	free(r->rcpt);
	free(r->message_id);
	free(r->raw);
	free(r->status);
	free(r->last_error);
	free(r->claimed_by);
	memset(r, 0, sizeof(*r));
}

void
outbox_rows_free(struct outbox_row **rows, size_t n)
{
	void *v = *rows;

	store_free_rows(&v, n, sizeof(struct outbox_row), outbox_row_release_v);
	*rows = NULL;
}

int
store_outbox_add(struct store *st, long long ticket, const char *kind,
		 const char *mail_from, const char *rcpt, const char *message_id,
		 const char *raw, size_t raw_len, time_t at, long long *id_r)
{
	struct store_message m;
	long long msg;

	memset(&m, 0, sizeof(m));
	m.ticket = ticket;
	m.direction = "out";
	m.message_id = message_id;
	m.sender = mail_from;
	m.at = at;
	m.raw = raw;
	m.raw_len = raw_len;
	m.rule = kind;
	if (store_message_add(st, &m, &msg) < 0)
		return -1;
	if (store_exec(st, store_query(st, "INSERT INTO outbox (ticket, message, kind, mail_from, rcpt, "
				       "next_attempt_at, created_at) VALUES (NULLIF(?, 0), ?, ?, ?, ?, ?, ?)",
				       "iitttii", ticket, msg, kind, mail_from, rcpt, (long long)at,
				       (long long)at), "queue mail") < 0)
		return -1;
	if (id_r != NULL)
		*id_r = store_last_id(st);
	return 0;
}

int
store_outbox_recipients(struct store *st, long long ticket, size_t max, char ***rcpts_r,
			size_t *n_r)
{
	return store_collect_strings(st, store_query(st, "SELECT DISTINCT rcpt FROM outbox "
						     "WHERE ticket = ? LIMIT ?", "ii", ticket,
						     (long long)max),
				     "list recipients", rcpts_r, n_r);
}

static int
collect_outbox(struct store *st, struct store_stmt *s, struct outbox_row **rows_r, size_t *n_r)
{
	void *list;
	int rc;

	rc = store_collect_rows(st, s, "list outbox", sizeof(struct outbox_row), outbox_from_row,
				outbox_row_release_v, &list, n_r);
	if (rc == 0)
		*rows_r = list;
	return rc;
}

int
store_outbox_due(struct store *st, time_t now, size_t limit,
		 struct outbox_row **rows_r, size_t *n_r)
{
	return collect_outbox(st, store_query(st, "SELECT " OUTBOX_COLS " FROM outbox o "
					      "JOIN messages m ON m.id = o.message WHERE o.status = 'queued' "
					      "AND o.claimed_by IS NULL AND o.next_attempt_at <= ? "
					      "ORDER BY o.next_attempt_at, o.id LIMIT ?",
					      "ii", (long long)now, (long long)limit), rows_r, n_r);
}

int
store_outbox_list(struct store *st, int failed_only, size_t limit,
		  struct outbox_row **rows_r, size_t *n_r)
{
	return collect_outbox(st, store_query(st, "SELECT " OUTBOX_COLS " FROM outbox o "
					      "JOIN messages m ON m.id = o.message "
					      "WHERE (? = 0 OR o.status = 'failed') ORDER BY o.id DESC LIMIT ?",
					      "ii", (long long)failed_only, (long long)limit), rows_r, n_r);
}

int
store_outbox_get(struct store *st, long long id, struct outbox_row *row_r)
{
	struct store_stmt *s = store_query(st, "SELECT " OUTBOX_COLS " FROM outbox o "
					   "JOIN messages m ON m.id = o.message WHERE o.id = ?", "i", id);
	int rc = store_step(st, s, "get outbox row");

	if (rc == 1) {
		outbox_from_row(st, s, row_r);
		store_reset(st, s);
	}
	return rc;
}

int
store_outbox_next_due(struct store *st, time_t *at_r)
{
	struct store_stmt *s = store_query(st, "SELECT COALESCE(MIN(next_attempt_at), 0) FROM outbox "
					   "WHERE status = 'queued' AND claimed_by IS NULL", "");
	int rc = store_step(st, s, "next due");

	if (rc == 1) {
		*at_r = (time_t)store_col_int(st, s, 0);
		store_reset(st, s);
		return 0;
	}
	return rc < 0 ? -1 : 0;
}

/* 1 when the last UPDATE changed a row, 0 when none, -1 on its error. */
static int
exec_changed(struct store *st, struct store_stmt *s, const char *what)
{
	if (store_exec(st, s, what) < 0)
		return -1;
	return store_changes(st) > 0 ? 1 : 0;
}

int
store_outbox_claim(struct store *st, long long id, const char *owner, time_t at)
{
	return exec_changed(st, store_query(st, "UPDATE outbox SET claimed_by = ?, claimed_at = ? "
					    "WHERE id = ? AND status = 'queued' AND claimed_by IS NULL",
					    "tii", owner, (long long)at, id), "claim");
}

int
store_outbox_sent(struct store *st, long long id, const char *message_id, int attempts, time_t at)
{
	return exec_changed(st, store_query(st, "UPDATE outbox SET status = 'sent', sent_at = ?, "
					    "attempts = ?, last_error = NULL, claimed_by = NULL, "
					    "claimed_at = NULL WHERE " OUTBOX_THIS_ROW, "iiit",
					    (long long)at, (long long)attempts, id, message_id),
			    "mark sent");
}

int
store_outbox_retry_later(struct store *st, long long id, const char *message_id, int attempts,
			 time_t next_at, const char *error, int doubt)
{
	return exec_changed(st, store_query(st, "UPDATE outbox SET attempts = ?, next_attempt_at = ?, "
					    "last_error = ?, doubt = ?, claimed_by = NULL, claimed_at = NULL "
					    "WHERE " OUTBOX_THIS_ROW, "iitiit", (long long)attempts,
					    (long long)next_at, error, (long long)doubt, id, message_id),
			    "mark retry");
}

int
store_outbox_failed(struct store *st, long long id, const char *message_id, int attempts,
		    const char *error, int doubt)
{
	return exec_changed(st, store_query(st, "UPDATE outbox SET status = 'failed', attempts = ?, "
					    "last_error = ?, doubt = ?, claimed_by = NULL, claimed_at = NULL "
					    "WHERE " OUTBOX_THIS_ROW, "itiit", (long long)attempts, error,
					    (long long)doubt, id, message_id), "mark failed");
}

int
store_outbox_claimed(struct store *st, struct outbox_row **rows_r, size_t *n_r)
{
	return collect_outbox(st, store_query(st, "SELECT " OUTBOX_COLS " FROM outbox o "
					      "JOIN messages m ON m.id = o.message "
					      "WHERE o.claimed_by IS NOT NULL ORDER BY o.id", ""), rows_r, n_r);
}

int
store_outbox_unclaim(struct store *st, long long id, const char *owner, time_t now)
{
	return exec_changed(st, store_query(st, "UPDATE outbox SET claimed_by = NULL, claimed_at = NULL, "
					    "doubt = doubt + 1, attempts = attempts + 1, next_attempt_at = ? "
					    "WHERE id = ? AND claimed_by = ? AND status = 'queued'", "iit",
					    (long long)now, id, owner), "release claim");
}

int
store_outbox_requeue(struct store *st, long long id, time_t now)
{
	/* A fresh retry window (created_at is where max_retry counts from), no doubt left. */
	return exec_changed(st, store_query(st, "UPDATE outbox SET status = 'queued', next_attempt_at = ?1, "
					    "created_at = ?1, doubt = 0, claimed_by = NULL, claimed_at = NULL "
					    "WHERE id = ?2 AND status = 'failed'", "ii", (long long)now, id),
			    "requeue");
}
