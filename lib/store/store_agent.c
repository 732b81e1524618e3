/*
 * agents: support staff.
 */
#include "store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static void
agent_from_row(struct store *st, struct store_stmt *s, void *p)
{
	struct agent *a = p;

	memset(a, 0, sizeof(*a));
	a->id = store_col_int(st, s, 0);
	a->email = store_col_str(st, s, 1);
	a->name = store_col_str(st, s, 2);
	a->level = (int)store_col_int(st, s, 3);
	a->region = store_col_str(st, s, 4);
}

static void
agent_release_v(void *p)
{
	agent_release(p);
}

void
agent_release(struct agent *a)
{
	free(a->email);
	free(a->name);
	free(a->region);
	memset(a, 0, sizeof(*a));
}

void
agent_list_free(struct agent **list, size_t n)
{
	void *v = *list;

	store_free_rows(&v, n, sizeof(struct agent), agent_release_v);
	*list = NULL;
}

int
store_agent_add(struct store *st, const struct agent *a, long long *id_r)
{
	if (store_exec(st, store_query(st, "INSERT INTO agents (email, name, level, region, created_at) "
				       "VALUES (?, ?, ?, ?, ?)", "ttiti", a->email,
				       a->name, (long long)a->level, a->region, (long long)a->created_at), "add agent") < 0)
		return -1;
	if (id_r != NULL)
		*id_r = store_last_id(st);
	return 0;
}

int
store_agent_get(struct store *st, const char *email, struct agent *a_r)
{
	struct store_stmt *s = store_query(st, "SELECT id, email, name, level, region FROM agents "
					   "WHERE email = ?", "t", email);
	int rc = store_step(st, s, "get agent");

	if (rc == 1) {
		agent_from_row(st, s, a_r);
		store_reset(st, s);
	}
	return rc;
}

int
store_agent_list(struct store *st, struct agent **list_r, size_t *n_r)
{
	struct store_stmt *s = store_query(st, "SELECT id, email, name, level, region FROM agents "
					   "ORDER BY email", "");
	void *list;
	int rc;

	rc = store_collect_rows(st, s, "list agents", sizeof(struct agent), agent_from_row,
				agent_release_v, &list, n_r);
	if (rc == 0)
		*list_r = list;
	return rc;
}

int
store_agent_remove(struct store *st, const char *email)
{
	if (store_exec(st, store_query(st, "DELETE FROM agents WHERE email = ?", "t", email),
		       "remove agent") < 0)
		return -1;
	return store_changes(st) > 0 ? 1 : 0;
}
