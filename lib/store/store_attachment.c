/*
 * attachments: the files that came with a ticket's mail or comments, and
 * their bytes, once per SHA-256 (blobs).
 */
#include "store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define ATTACHMENT_COLS "number, ticket, COALESCE(event, 0), COALESCE(message, 0), filename, " \
	"sent_name, content_type, size, sha256, dropped, role, at"

int
store_blob_put(struct store *st, const char *sha256, const void *data, size_t size)
{
	return store_exec(st, store_query(st, "INSERT INTO blobs (sha256, size, data) VALUES (?, ?, ?) "
					  "ON CONFLICT (sha256) DO NOTHING", "tib", sha256,
					  (long long)size, data != NULL ? data : "", size), "keep blob");
}

int
store_blob_get(struct store *st, const char *sha256, char **data_r, size_t *size_r)
{
	struct store_stmt *s = store_query(st, "SELECT data FROM blobs WHERE sha256 = ?", "t", sha256);
	const void *v;
	size_t len;
	int rc = store_step(st, s, "read blob");

	if (rc == 1) {
		v = store_col_blob(st, s, 0, &len);
		*data_r = xmalloc(len + 1);
		if (len > 0)
			memcpy(*data_r, v, len);
		(*data_r)[len] = '\0';
		*size_r = len;
		store_reset(st, s);
	}
	return rc;
}

int
store_attachment_add(struct store *st, struct attachment *a)
{
	struct store_stmt *s = store_query(st,
		"INSERT INTO attachments (ticket, number, event, message, filename, sent_name, "
		"content_type, size, sha256, blob, dropped, role, at) VALUES (?1, "
		"(SELECT COALESCE(MAX(number), 0) + 1 FROM attachments WHERE ticket = ?1), "
		"NULLIF(?2, 0), NULLIF(?3, 0), ?4, ?5, ?6, ?7, ?8, "
		"CASE WHEN ?9 IS NULL THEN ?8 END, ?9, ?10, ?11) RETURNING number",
		"iiitttittti", a->ticket, a->event, a->message, a->filename, a->sent_name,
		a->content_type, a->size, a->sha256, a->dropped,
		a->role != NULL ? a->role : "file", (long long)a->at);
	int rc = store_step(st, s, "add attachment");

	if (rc != 1)
		return rc < 0 ? -1 : 0;
	a->number = store_col_int(st, s, 0);
	/* Step to the end: the insert is complete only then. */
	return store_step(st, s, "add attachment") < 0 ? -1 : 0;
}

static void
attachment_from_row(struct store *st, struct store_stmt *s, void *p)
{
	struct attachment *a = p;

	a->number = store_col_int(st, s, 0);
	a->ticket = store_col_int(st, s, 1);
	a->event = store_col_int(st, s, 2);
	a->message = store_col_int(st, s, 3);
	a->filename = store_col_str(st, s, 4);
	a->sent_name = store_col_str(st, s, 5);
	a->content_type = store_col_str(st, s, 6);
	a->size = store_col_int(st, s, 7);
	a->sha256 = store_col_str(st, s, 8);
	a->dropped = store_col_str(st, s, 9);
	a->role = store_col_str(st, s, 10);
	a->at = (time_t)store_col_int(st, s, 11);
}

static void
attachment_release_v(void *p)
{
	attachment_release(p);
}

void
attachment_release(struct attachment *a)
{
	free(a->filename);
	free(a->sent_name);
	free(a->content_type);
	free(a->sha256);
	free(a->dropped);
	free(a->role);
	memset(a, 0, sizeof(*a));
}

void
attachment_list_free(struct attachment **list, size_t n)
{
	void *v = *list;

	store_free_rows(&v, n, sizeof(struct attachment), attachment_release_v);
	*list = NULL;
}

int
store_attachment_list(struct store *st, long long ticket, struct attachment **list_r, size_t *n_r)
{
	void *list;
	int rc;

	rc = store_collect_rows(st, store_query(st, "SELECT " ATTACHMENT_COLS " FROM attachments "
						"WHERE ticket = ? ORDER BY number", "i", ticket),
				"list attachments", sizeof(struct attachment), attachment_from_row,
				attachment_release_v, &list, n_r);
	if (rc == 0)
		*list_r = list;
	return rc;
}

int
store_attachment_get(struct store *st, long long ticket, long long number, struct attachment *a_r)
{
	struct store_stmt *s = store_query(st, "SELECT " ATTACHMENT_COLS " FROM attachments "
					   "WHERE ticket = ? AND number = ?", "ii", ticket, number);
	int rc = store_step(st, s, "get attachment");

	if (rc == 1) {
		attachment_from_row(st, s, a_r);
		store_reset(st, s);
	}
	return rc;
}

int
store_attachment_usage(struct store *st, long long ticket, long long *bytes_r)
{
	struct store_stmt *s = store_query(st, "SELECT COALESCE(SUM(size), 0) FROM "
					   "(SELECT DISTINCT blob, size FROM attachments "
					   "WHERE ticket = ? AND blob IS NOT NULL)", "i", ticket);
	int rc = store_step(st, s, "attachment usage");

	if (rc == 1) {
		*bytes_r = store_col_int(st, s, 0);
		store_reset(st, s);
		return 0;
	}
	return -1;
}

int
store_attachment_has(struct store *st, long long ticket, const char *sha256)
{
	struct store_stmt *s = store_query(st, "SELECT 1 FROM attachments WHERE ticket = ? "
					   "AND sha256 = ? AND blob IS NOT NULL LIMIT 1", "it",
					   ticket, sha256);
	int rc = store_step(st, s, "find attachment");

	if (rc == 1)
		store_reset(st, s);
	return rc;
}
