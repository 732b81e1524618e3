/*
 * cursors: the last UID ingested per mailbox.
 */
#include "store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

int
store_cursor_get(struct store *st, const char *mailbox, unsigned int *uidvalidity_r,
		 unsigned int *last_uid_r)
{
	struct store_stmt *s = store_query(st, "SELECT uidvalidity, last_uid FROM cursors WHERE mailbox = ?",
					   "t", mailbox);
	int rc = store_step(st, s, "get cursor");

	*uidvalidity_r = 0;
	*last_uid_r = 0;
	if (rc == 1) {
		*uidvalidity_r = (unsigned int)store_col_int(st, s, 0);
		*last_uid_r = (unsigned int)store_col_int(st, s, 1);
		store_reset(st, s);
	}
	return rc;
}

int
store_cursor_set(struct store *st, const char *mailbox, unsigned int uidvalidity,
		 unsigned int last_uid)
{
	return store_exec(st, store_query(st, "INSERT INTO cursors (mailbox, uidvalidity, last_uid) "
					  "VALUES (?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET "
					  "last_uid = CASE WHEN uidvalidity = excluded.uidvalidity "
					  "THEN max(last_uid, excluded.last_uid) ELSE excluded.last_uid END, "
					  "uidvalidity = excluded.uidvalidity",
					  "tii", mailbox, (long long)uidvalidity, (long long)last_uid),
			  "set cursor");
}
