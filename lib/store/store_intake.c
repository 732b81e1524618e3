/*
 * intake failures: messages that failed for a reason of their own, how
 * often and why, per mailbox and UID (intake.h: the poison rule).
 */
#include "store_impl.h"

int
store_intake_failure_add(struct store *st, const char *mailbox, unsigned int uidvalidity,
			 unsigned int uid, const char *error, time_t at, int *attempts_r)
{
	struct store_stmt *s;
	int rc;

	if (store_exec(st, store_query(st, "INSERT INTO intake_failures (mailbox, uidvalidity, uid, attempts, "
				       "last_error, at) VALUES (?1, ?2, ?3, 1, ?4, ?5) "
				       "ON CONFLICT (mailbox, uidvalidity, uid) DO UPDATE SET "
				       "attempts = attempts + 1, last_error = ?4, at = ?5", "tiiti",
				       mailbox, (long long)uidvalidity, (long long)uid, error,
				       (long long)at), "count a failure") < 0)
		return -1;
	s = store_query(st, "SELECT attempts FROM intake_failures WHERE mailbox = ? AND uidvalidity = ? "
			"AND uid = ?", "tii", mailbox, (long long)uidvalidity, (long long)uid);
	rc = store_step(st, s, "read a failure count");
	if (rc < 0)
		return -1;
	*attempts_r = rc == 1 ? (int)store_col_int(st, s, 0) : 1;
	if (rc == 1)
		store_reset(st, s);
	return 0;
}

int
store_intake_failure_get(struct store *st, const char *mailbox, unsigned int uidvalidity,
			 unsigned int uid, int *attempts_r, char **error_r)
{
	struct store_stmt *s = store_query(st, "SELECT attempts, last_error FROM intake_failures "
					   "WHERE mailbox = ? AND uidvalidity = ? AND uid = ?", "tii",
					   mailbox, (long long)uidvalidity, (long long)uid);
	int rc = store_step(st, s, "read failures");

	if (rc == 1) {
		*attempts_r = (int)store_col_int(st, s, 0);
		*error_r = store_col_str(st, s, 1);
		store_reset(st, s);
	}
	return rc;
}

int
store_intake_failure_clear(struct store *st, const char *mailbox, unsigned int uidvalidity,
			   unsigned int uid)
{
	return store_exec(st, store_query(st, "DELETE FROM intake_failures WHERE mailbox = ? AND "
					  "uidvalidity = ? AND uid = ?", "tii", mailbox,
					  (long long)uidvalidity, (long long)uid), "clear failures");
}

int
store_intake_failure_min(struct store *st, const char *mailbox, unsigned int uidvalidity,
			 unsigned int *uid_r)
{
	struct store_stmt *s = store_query(st, "SELECT COALESCE(MIN(uid), 0) FROM intake_failures "
					   "WHERE mailbox = ? AND uidvalidity = ?", "ti", mailbox,
					   (long long)uidvalidity);
	int rc = store_step(st, s, "lowest failed uid");

	if (rc < 0)
		return -1;
	*uid_r = rc == 1 ? (unsigned int)store_col_int(st, s, 0) : 0;
	if (rc == 1)
		store_reset(st, s);
	return 0;
}
