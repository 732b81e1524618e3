/*
 * contacts, and the addresses that bounced (undeliverable).
 */
#include "store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define CONTACT_COLS "c.id, c.email, c.name, COALESCE(c.org_id, 0), o.name, c.language, u.reason"
#define CONTACT_FROM "FROM contacts c LEFT JOIN orgs o ON o.id = c.org_id " \
	"LEFT JOIN undeliverable u ON u.address = c.email "

static void
contact_from_row(struct store *st, struct store_stmt *s, void *p)
{
	struct contact *c = p;

	memset(c, 0, sizeof(*c));
	c->id = store_col_int(st, s, 0);
	c->email = store_col_str(st, s, 1);
	c->name = store_col_str(st, s, 2);
	c->org_id = store_col_int(st, s, 3);
	c->org_name = store_col_str(st, s, 4);
	c->language = store_col_str(st, s, 5);
	c->undeliverable = store_col_str(st, s, 6);
}

static void
contact_release_v(void *p)
{
	contact_release(p);
}

void
contact_release(struct contact *c)
{
	free(c->email);
	free(c->name);
	free(c->org_name);
	free(c->language);
	free(c->undeliverable);
	memset(c, 0, sizeof(*c));
}

void
contact_list_free(struct contact **list, size_t n)
{
	void *v = *list;

	store_free_rows(&v, n, sizeof(struct contact), contact_release_v);
	*list = NULL;
}

int
store_contact_add(struct store *st, const struct contact *c, long long *id_r)
{
	if (store_exec(st, store_query(st, "INSERT INTO contacts (email, name, org_id, language, created_at) "
				       "VALUES (?, ?, NULLIF(?, 0), ?, ?)", "ttiti",
				       c->email, c->name, c->org_id, c->language, (long long)c->created_at), "add contact") < 0)
		return -1;
	if (id_r != NULL)
		*id_r = store_last_id(st);
	return 0;
}

int
store_contact_get(struct store *st, const char *email, struct contact *c_r)
{
	struct store_stmt *s = store_query(st, "SELECT " CONTACT_COLS " " CONTACT_FROM "WHERE c.email = ?",
					   "t", email);
	int rc = store_step(st, s, "get contact");

	if (rc == 1) {
		contact_from_row(st, s, c_r);
		store_reset(st, s);
	}
	return rc;
}

int
store_contact_list(struct store *st, const char *org, struct contact **list_r, size_t *n_r)
{
	struct store_stmt *s = store_query(st, "SELECT " CONTACT_COLS " " CONTACT_FROM
					   "WHERE ?1 IS NULL OR o.name = ?1 ORDER BY c.email", "t", org);
	void *list;
	int rc;

	rc = store_collect_rows(st, s, "list contacts", sizeof(struct contact), contact_from_row,
				contact_release_v, &list, n_r);
	if (rc == 0)
		*list_r = list;
	return rc;
}

int
store_contact_remove(struct store *st, const char *email)
{
	if (store_exec(st, store_query(st, "DELETE FROM contacts WHERE email = ?", "t", email),
		       "remove contact") < 0)
		return -1;
	return store_changes(st) > 0 ? 1 : 0;
}

int
store_contact_set_undeliverable(struct store *st, const char *email, const char *reason,
				time_t at)
{
	return store_exec(st, store_query(st, "INSERT INTO undeliverable (address, reason, at) "
					  "VALUES (?, ?, ?) ON CONFLICT (address) DO UPDATE "
					  "SET reason = excluded.reason, at = excluded.at", "tti", email, reason,
					  (long long)at),
			  "mark undeliverable");
}

int
store_undeliverable_get(struct store *st, const char *address, char **reason_r)
{
	struct store_stmt *s = store_query(st, "SELECT reason FROM undeliverable WHERE address = ?", "t",
					   address);
	int rc = store_step(st, s, "find undeliverable");

	if (rc == 1) {
		if (reason_r != NULL)
			*reason_r = store_col_str(st, s, 0);
		store_reset(st, s);
	}
	return rc;
}

int
store_undeliverable_clear(struct store *st, const char *address)
{
	return store_exec(st, store_query(st, "DELETE FROM undeliverable WHERE address = ?", "t", address),
			  "clear undeliverable");
}
