/*
 * autoresp: automatic responses sent, per sender (the rate limit of
 * autoresponse_limit).
 */
#include "store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

int
store_autoresp_count(struct store *st, const char *sender, time_t since, long long *n_r)
{
	struct store_stmt *s = store_query(st, "SELECT COUNT(*) FROM autoresponses WHERE sender = ? AND at >= ?",
					   "ti", sender, (long long)since);
	int rc = store_step(st, s, "count autoresponses");

	if (rc == 1) {
		*n_r = store_col_int(st, s, 0);
		store_reset(st, s);
		return 0;
	}
	return -1;
}

int
store_autoresp_add(struct store *st, const char *sender, time_t at)
{
	return store_exec(st, store_query(st, "INSERT INTO autoresponses (sender, at) VALUES (?, ?)",
					  "ti", sender, (long long)at), "add autoresponse");
}
