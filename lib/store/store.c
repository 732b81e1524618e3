/*
 * store: the connection, transactions, errors and the small settings
 * table; the statement helpers the entity files share (store_impl.h).
 * No SQL of an entity lives here: each has its store_<entity>.c.
 */
#include "store.h"
#include "store_impl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define STORE_MAX_STMTS 128

struct store {
	const struct store_backend *be;
	void *db;
	char *error;
	int temporary;
	struct {
		const char *sql;      /* the static string it was prepared from */
		struct store_stmt *stmt;
	} cache[STORE_MAX_STMTS];
	size_t n_cache;
};

void
store_set_error(struct store *st, const char *what)
{
	free(st->error);
	st->error = xasprintf("%s: %s", what, st->be->errmsg(st->db));
	st->temporary = st->be->error_is_temporary(st->db);
}

const char *
store_error(struct store *st)
{
	return st->error != NULL ? st->error : "no error";
}

int
store_error_is_temporary(struct store *st)
{
	return st->temporary;
}

/* Prepare sql once per connection and keep it (keyed by the literal's address). */
static struct store_stmt *
prep(struct store *st, const char *sql)
{
	struct store_stmt *s;
	size_t i;

	for (i = 0; i < st->n_cache; i++)
		if (st->cache[i].sql == sql) {
			st->be->reset(st->cache[i].stmt);
			return st->cache[i].stmt;
		}
	s = st->be->prepare(st->db, sql);
	if (s == NULL) {
		store_set_error(st, "prepare");
		return NULL;
	}
	if (st->n_cache >= STORE_MAX_STMTS)
		abort();        /* cannot happen with the fixed set of statements */
	st->cache[st->n_cache].sql = sql;
	st->cache[st->n_cache].stmt = s;
	st->n_cache++;
	return s;
}

struct store_stmt *
store_query(struct store *st, const char *sql, const char *fmt, ...)
{
	const struct store_backend *be = st->be;
	struct store_stmt *s = prep(st, sql);
	const char *v;
	va_list ap;
	size_t n;
	int i, rc = 0;

	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	for (i = 1; *fmt != '\0' && rc == 0; fmt++, i++) {
		switch (*fmt) {
		case 't':
			v = va_arg(ap, const char *);
			rc = v == NULL ? be->bind_null(s, i) : be->bind_text(s, i, v);
			break;
		case 'i':
			rc = be->bind_int(s, i, va_arg(ap, long long));
			break;
		case 'b':
			v = va_arg(ap, const char *);
			n = va_arg(ap, size_t);
			rc = be->bind_blob(s, i, v, n);
			break;
		default:
			abort();
		}
	}
	va_end(ap);
	if (rc != 0) {
		store_set_error(st, "bind");
		be->reset(s);
		return NULL;
	}
	return s;
}

int
store_exec(struct store *st, struct store_stmt *s, const char *what)
{
	int rc;

	if (s == NULL)
		return -1;
	rc = st->be->step(s);
	st->be->reset(s);
	if (rc != 0) {
		store_set_error(st, what);
		return -1;
	}
	return 0;
}

int
store_step(struct store *st, struct store_stmt *s, const char *what)
{
	int rc;

	if (s == NULL)
		return -1;
	rc = st->be->step(s);
	if (rc == 1)
		return 1;
	st->be->reset(s);
	if (rc == 0)
		return 0;
	store_set_error(st, what);
	return -1;
}

void
store_reset(struct store *st, struct store_stmt *s)
{
	st->be->reset(s);
}

char *
store_col_str(struct store *st, struct store_stmt *s, int i)
{
	const char *v = st->be->column_text(s, i);

	return v == NULL ? NULL : xstrdup(v);
}

long long
store_col_int(struct store *st, struct store_stmt *s, int i)
{
	return st->be->column_int(s, i);
}

const void *
store_col_blob(struct store *st, struct store_stmt *s, int i, size_t *len_r)
{
	return st->be->column_blob(s, i, len_r);
}

long long
store_last_id(struct store *st)
{
	return st->be->last_insert_id(st->db);
}

long long
store_changes(struct store *st)
{
	return st->be->changes(st->db);
}

int
store_collect_rows(struct store *st, struct store_stmt *s, const char *what, size_t elem_size,
		   void (*from_row)(struct store *, struct store_stmt *, void *),
		   void (*release)(void *), void **list_r, size_t *n_r)
{
	char *list = NULL;
	size_t n = 0, i;
	int rc;

	for (;;) {
		rc = store_step(st, s, what);
		if (rc != 1)
			break;
		list = xrealloc(list, (n + 1) * elem_size);
		from_row(st, s, list + n * elem_size);
		n++;
	}
	if (rc < 0) {
		for (i = 0; i < n; i++)
			release(list + i * elem_size);
		free(list);
		return -1;
	}
	*list_r = list;
	*n_r = n;
	return 0;
}

void
store_free_rows(void **list, size_t n, size_t elem_size, void (*release)(void *))
{
	size_t i;

	for (i = 0; *list != NULL && i < n; i++)
		release((char *)*list + i * elem_size);
	xfree(list);
}

int
store_collect_strings(struct store *st, struct store_stmt *s, const char *what, char ***v_r,
		      size_t *n_r)
{
	char **v = NULL;
	size_t n = 0;
	int rc;

	for (;;) {
		rc = store_step(st, s, what);
		if (rc != 1)
			break;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = store_col_str(st, s, 0);
	}
	if (rc < 0) {
		strv_free(&v, n);
		return -1;
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

/* ---- the connection ---- */

int
store_open(const char *path, struct store **st_r, char **error_r)
{
	struct store *st = xcalloc(1, sizeof(*st));

	st->be = &store_sqlite;
	if (st->be->open(path, &st->db, error_r) < 0) {
		free(st);
		return -1;
	}
	*st_r = st;
	return 0;
}

void
store_close(struct store **stp)
{
	struct store *st = *stp;
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n_cache; i++)
		st->be->finalize(st->cache[i].stmt);
	st->be->close(st->db);
	free(st->error);
	free(st);
	*stp = NULL;
}

/*
 * Run a statement without parameters or rows (BEGIN, COMMIT, SAVEPOINT
 * …), prepared once like the others: intake runs a savepoint per
 * message, and compiling its text every time cost more than the rest of
 * the transaction control.
 */
static int
exec_sql(struct store *st, const char *sql)
{
	struct store_stmt *s = prep(st, sql);
	int rc;

	if (s == NULL)
		return -1;
	rc = st->be->step(s);
	if (rc < 0) {
		free(st->error);
		st->error = xstrdup(st->be->errmsg(st->db));
		st->temporary = st->be->error_is_temporary(st->db);
	}
	st->be->reset(s);
	return rc < 0 ? -1 : 0;
}

int
store_begin(struct store *st)
{
	return exec_sql(st, "BEGIN IMMEDIATE");
}

int
store_commit(struct store *st)
{
	if (exec_sql(st, "COMMIT") < 0) {
		st->be->exec(st->db, "ROLLBACK");
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *st)
{
	if (st->be->in_transaction(st->db))
		st->be->exec(st->db, "ROLLBACK");
}

int
store_in_transaction(struct store *st)
{
	return st->be->in_transaction(st->db);
}

int
store_savepoint(struct store *st)
{
	return exec_sql(st, "SAVEPOINT message");
}

int
store_savepoint_release(struct store *st)
{
	return exec_sql(st, "RELEASE message");
}

int
store_savepoint_rollback(struct store *st)
{
	/* ROLLBACK TO keeps the savepoint open; RELEASE ends it. */
	if (exec_sql(st, "ROLLBACK TO message") < 0)
		return -1;
	return exec_sql(st, "RELEASE message");
}
