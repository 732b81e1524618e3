/*
 * organisations and their domains.
 */
#include "store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static int
org_load_domains(struct store *st, struct org *o)
{
	return store_collect_strings(st, store_query(st, "SELECT domain FROM org_domains WHERE org_id = ? "
						     "ORDER BY domain", "i", o->id),
				     "org domains", &o->domains, &o->n_domains);
}

static void
org_from_row(struct store *st, struct store_stmt *s, void *p)
{
	struct org *o = p;

	memset(o, 0, sizeof(*o));
	o->id = store_col_int(st, s, 0);
	o->name = store_col_str(st, s, 1);
	o->plan = store_col_str(st, s, 2);
	o->region = store_col_str(st, s, 3);
	o->auto_register = (int)store_col_int(st, s, 4);
}

static void
org_release_v(void *p)
{
	org_release(p);
}

void
org_release(struct org *o)
{
	free(o->name);
	free(o->plan);
	free(o->region);
	strv_free(&o->domains, o->n_domains);
	memset(o, 0, sizeof(*o));
}

void
org_list_free(struct org **list, size_t n)
{
	void *v = *list;

	store_free_rows(&v, n, sizeof(struct org), org_release_v);
	*list = NULL;
}

int
store_org_add(struct store *st, const struct org *o, long long *id_r)
{
	long long id;
	size_t i;

	if (store_exec(st, store_query(st, "INSERT INTO orgs (name, plan, region, auto_register, created_at) "
				       "VALUES (?, ?, ?, ?, ?)", "tttii", o->name, o->plan,
				       o->region, (long long)o->auto_register, (long long)o->created_at), "add organisation") < 0)
		return -1;
	id = store_last_id(st);
	for (i = 0; i < o->n_domains; i++)
		if (store_exec(st, store_query(st, "INSERT INTO org_domains (org_id, domain) VALUES (?, ?)",
					       "it", id, o->domains[i]), "add domain") < 0)
			return -1;
	if (id_r != NULL)
		*id_r = id;
	return 0;
}

static int
org_get_by(struct store *st, struct store_stmt *s, struct org *o_r)
{
	int rc = store_step(st, s, "get organisation");

	if (rc != 1)
		return rc;
	org_from_row(st, s, o_r);
	store_reset(st, s);
	if (org_load_domains(st, o_r) < 0) {
		org_release(o_r);
		return -1;
	}
	return 1;
}

int
store_org_get(struct store *st, const char *name, struct org *o_r)
{
	return org_get_by(st, store_query(st, "SELECT id, name, plan, region, auto_register FROM orgs "
					  "WHERE name = ?", "t", name), o_r);
}

int
store_org_get_id(struct store *st, long long id, struct org *o_r)
{
	return org_get_by(st, store_query(st, "SELECT id, name, plan, region, auto_register FROM orgs "
					  "WHERE id = ?", "i", id), o_r);
}

int
store_org_by_domain(struct store *st, const char *domain, struct org *o_r)
{
	return org_get_by(st, store_query(st, "SELECT o.id, o.name, o.plan, o.region, o.auto_register "
					  "FROM orgs o JOIN org_domains d ON d.org_id = o.id "
					  "WHERE d.domain = ?", "t", domain), o_r);
}

int
store_org_list(struct store *st, struct org **list_r, size_t *n_r)
{
	struct store_stmt *s = store_query(st, "SELECT id, name, plan, region, auto_register FROM orgs "
					   "ORDER BY name", "");
	struct org *list;
	void *v;
	size_t i;

	if (store_collect_rows(st, s, "list organisations", sizeof(struct org), org_from_row,
			       org_release_v, &v, n_r) < 0)
		return -1;
	list = v;
	for (i = 0; i < *n_r; i++)
		if (org_load_domains(st, &list[i]) < 0) {
			org_list_free(&list, *n_r);
			return -1;
		}
	*list_r = list;
	return 0;
}

int
store_org_remove(struct store *st, const char *name)
{
	if (store_exec(st, store_query(st, "UPDATE tickets SET org_id = NULL WHERE org_id = "
				       "(SELECT id FROM orgs WHERE name = ?)", "t", name), "remove organisation") < 0 ||
	    store_exec(st, store_query(st, "DELETE FROM orgs WHERE name = ?", "t", name),
		       "remove organisation") < 0)
		return -1;
	return store_changes(st) > 0 ? 1 : 0;
}

int
store_org_count_contacts(struct store *st, long long org_id, long long *n_r)
{
	struct store_stmt *s = store_query(st, "SELECT COUNT(*) FROM contacts WHERE org_id = ?", "i", org_id);
	int rc = store_step(st, s, "count contacts");

	if (rc == 1) {
		*n_r = store_col_int(st, s, 0);
		store_reset(st, s);
		return 0;
	}
	return -1;
}
