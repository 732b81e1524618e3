/*
 * participants: the people a ticket is shared with.
 */
#include "store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

int
store_participant_add(struct store *st, long long ticket, const char *email, time_t at)
{
	return store_exec(st, store_query(st, "INSERT INTO participants (ticket, email, added_at) "
					  "VALUES (?, ?, ?) ON CONFLICT DO NOTHING", "iti", ticket, email, (long long)at),
			  "add participant");
}

int
store_participant_remove(struct store *st, long long ticket, const char *email)
{
	if (store_exec(st, store_query(st, "DELETE FROM participants WHERE ticket = ? AND email = ?",
				       "it", ticket, email), "remove participant") < 0)
		return -1;
	return store_changes(st) > 0 ? 1 : 0;
}

int
store_participant_list(struct store *st, long long ticket, char ***emails_r, size_t *n_r)
{
	return store_collect_strings(st, store_query(st, "SELECT email FROM participants WHERE ticket = ? "
						     "ORDER BY added_at, email", "i", ticket),
				     "list participants", emails_r, n_r);
}

int
store_participant_has(struct store *st, long long ticket, const char *email)
{
	struct store_stmt *s = store_query(st, "SELECT 1 FROM participants WHERE ticket = ? AND email = ?",
					   "it", ticket, email);
	int rc = store_step(st, s, "find participant");

	if (rc == 1)
		store_reset(st, s);
	return rc;
}
