/*
 * events: what happened to a ticket, in order.
 */
#include "store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

int
store_event_add(struct store *st, long long ticket, time_t at, const char *type,
		const char *actor, int public, const char *body, const char *data,
		long long *id_r)
{
	if (store_exec(st, store_query(st, "INSERT INTO events (ticket, at, type, actor, public, body, data) "
				       "VALUES (?, ?, ?, ?, ?, ?, ?)", "iittitt", ticket, (long long)at,
				       type, actor, (long long)public, body, data), "add event") < 0)
		return -1;
	if (store_exec(st, store_query(st, "UPDATE tickets SET updated_at = MAX(updated_at, ?) "
				       "WHERE number = ?", "ii", (long long)at, ticket), "touch ticket") < 0)
		return -1;
	if (id_r != NULL)
		*id_r = store_last_id(st);
	return 0;
}

static void
event_from_row(struct store *st, struct store_stmt *s, void *p)
{
	struct event *e = p;

	e->id = store_col_int(st, s, 0);
	e->ticket = store_col_int(st, s, 1);
	e->at = (time_t)store_col_int(st, s, 2);
	e->type = store_col_str(st, s, 3);
	e->actor = store_col_str(st, s, 4);
	e->public = (int)store_col_int(st, s, 5);
	e->body = store_col_str(st, s, 6);
	e->data = store_col_str(st, s, 7);
}

static void
event_release_v(void *p)
{
	struct event *e = p;

	free(e->type);
	free(e->actor);
	free(e->body);
	free(e->data);
}

int
store_event_list(struct store *st, long long ticket, struct event **list_r, size_t *n_r)
{
	struct store_stmt *s = store_query(st, "SELECT id, ticket, at, type, actor, public, body, data "
					   "FROM events WHERE ticket = ? ORDER BY id", "i", ticket);
	void *list;
	int rc;

	rc = store_collect_rows(st, s, "list events", sizeof(struct event), event_from_row,
				event_release_v, &list, n_r);
	if (rc == 0)
		*list_r = list;
	return rc;
}

void
event_list_free(struct event **list, size_t n)
{
	void *v = *list;

	store_free_rows(&v, n, sizeof(struct event), event_release_v);
	*list = NULL;
}
