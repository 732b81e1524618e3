/*
 * meta: small key/value settings (the reply token key, …).
 */
#include "store_impl.h"

#include <stdlib.h>

int
store_meta_get(struct store *st, const char *key, char **value_r)
{
	struct store_stmt *s = store_query(st, "SELECT value FROM meta WHERE key = ?", "t", key);
	int rc = store_step(st, s, "meta");

	if (rc == 1) {
		*value_r = store_col_str(st, s, 0);
		store_reset(st, s);
	}
	return rc;
}

int
store_meta_add(struct store *st, const char *key, const char *value)
{
	return store_exec(st, store_query(st, "INSERT INTO meta (key, value) VALUES (?, ?) "
					  "ON CONFLICT (key) DO NOTHING",
					  "tt", key, value), "meta");
}

int
store_meta_set(struct store *st, const char *key, const char *value)
{
	return store_exec(st, store_query(st, "INSERT INTO meta (key, value) VALUES (?, ?) "
					  "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
					  "tt", key, value), "meta");
}
