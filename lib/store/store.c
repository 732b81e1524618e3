/*
 * store: the connection, transactions, errors and the small settings
 * table; the statement helpers the entity files share (store_impl.h).
 * No SQL of an entity lives here: each has its store_<entity>.c.
 */
#include "store.h"
#include "store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "xmalloc.h"

#define STORE_MAX_STMTS 128

struct store {
	const struct store_backend *be;
	void *db;                 /* NULL after a failed reopen */
	char *path;
	struct store_options opts;
	dev_t dev;                /* the file we have open (store_check) */
	ino_t ino;
	char *error;
	enum store_fault fault;
	int lazy;                 /* in a store_begin_lazy() transaction */
	struct {
		const char *sql;      /* the static string it was prepared from */
		struct store_stmt *stmt;
	} cache[STORE_MAX_STMTS];
	size_t n_cache;
};

static const char *const fault_names[] = {
	"", "locked", "disk full", "read-only", "I/O error", "gone", "corrupt",
};

const char *
store_fault_name(enum store_fault f)
{
	return (unsigned int)f < sizeof(fault_names) / sizeof(fault_names[0]) ? fault_names[f] : "";
}

/* The error of the backend, or our own words where SQLite's mislead ("disk I/O error"). */
static void
set_error_text(struct store *st, const char *what, const char *text)
{
	free(st->error);
	if (what != NULL)
		st->error = xasprintf("%s: %s", what, text);
	else
		st->error = xstrdup(text);
}

/*
 * An I/O error says little (SQLite's errno is often 0, or another file's):
 * the file system tells a full or read-only disk apart.  A statvfs, then
 * one byte written to a probe file beside the store (an I/O error is
 * rare; the probe is removed at once).
 */
static enum store_fault
refine_io(const struct store *st, enum store_fault f)
{
	struct statvfs vfs;
	char *probe;
	int fd, err = 0;

	if (f != STORE_FAULT_IO || st->path == NULL)
		return f;
	if (statvfs(st->path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		return STORE_FAULT_READONLY;
	probe = xasprintf("%s.probe-%ld", st->path, (long)getpid());
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = errno;
	} else {
		if (write(fd, "x", 1) != 1 || fsync(fd) < 0)
			err = errno;
		close(fd);
		unlink(probe);
	}
	free(probe);
	if (err == EROFS)
		return STORE_FAULT_READONLY;
	if (err == ENOSPC || err == EDQUOT)
		return STORE_FAULT_FULL;
	return f;
}

void
store_set_error(struct store *st, const char *what)
{
	enum store_fault raw = st->db != NULL ? st->be->fault(st->db) : STORE_FAULT_GONE;

	st->fault = refine_io(st, raw);
	set_error_text(st, what, st->fault == STORE_FAULT_FULL ? "disk full" :
		       raw != st->fault ? "read-only file system" :
		       st->db != NULL ? st->be->errmsg(st->db) : "the store is not open");
}

const char *
store_error(struct store *st)
{
	return st->error != NULL ? st->error : "no error";
}

int
store_error_is_temporary(struct store *st)
{
	return st->fault != STORE_FAULT_NONE;
}

enum store_fault
store_fault(struct store *st)
{
	return st->fault;
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
	if (st->db == NULL) {
		store_set_error(st, "prepare");
		return NULL;
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

/* Remember which file we opened: a later stat of the path must find the same. */
static void
note_identity(struct store *st)
{
	struct stat sb;

	if (stat(st->path, &sb) == 0) {
		st->dev = sb.st_dev;
		st->ino = sb.st_ino;
	}
}

int
store_open_with(const char *path, const struct store_options *o, struct store **st_r,
		enum store_fault *fault_r, char **error_r)
{
	struct store *st = xcalloc(1, sizeof(*st));
	enum store_fault fault = STORE_FAULT_NONE;

	st->be = &store_sqlite;
	if (o != NULL)
		st->opts = *o;
	if (st->be->open(path, &st->opts, &st->db, &fault, error_r) < 0) {
		if (fault_r != NULL)
			*fault_r = fault;
		free(st);
		return -1;
	}
	st->path = xstrdup(path);
	note_identity(st);
	*st_r = st;
	return 0;
}

int
store_open(const char *path, struct store **st_r, char **error_r)
{
	return store_open_with(path, NULL, st_r, NULL, error_r);
}

static void
close_db(struct store *st)
{
	size_t i;

	for (i = 0; i < st->n_cache; i++)
		st->be->finalize(st->cache[i].stmt);
	st->n_cache = 0;
	if (st->db != NULL)
		st->be->close(st->db);
	st->db = NULL;
}

void
store_close(struct store **stp)
{
	struct store *st = *stp;

	if (st == NULL)
		return;
	close_db(st);
	free(st->path);
	free(st->error);
	free(st);
	*stp = NULL;
}

int
store_check(struct store *st)
{
	struct stat sb;
	char *text;
	int rc;

	if (st->db == NULL) {
		st->fault = STORE_FAULT_GONE;
		set_error_text(st, NULL, "the store is not open");
		return -1;
	}
	if (stat(st->path, &sb) < 0) {
		st->fault = errno == ENOENT ? STORE_FAULT_GONE : STORE_FAULT_IO;
		text = xasprintf("store '%s' %s", st->path,
				 errno == ENOENT ? "was deleted" : strerror(errno));
		set_error_text(st, NULL, text);
		free(text);
		return -1;
	}
	if (sb.st_dev != st->dev || sb.st_ino != st->ino) {
		st->fault = STORE_FAULT_GONE;
		text = xasprintf("store '%s' was replaced (another file is at its path)", st->path);
		set_error_text(st, NULL, text);
		free(text);
		return -1;
	}
	rc = st->be->probe(st->db);
	if (rc == -2) {
		st->fault = STORE_FAULT_READONLY;
		text = xasprintf("store '%s' is read-only", st->path);
		set_error_text(st, NULL, text);
		free(text);
		return -1;
	}
	if (rc < 0) {
		store_set_error(st, "store check");
		if (st->fault == STORE_FAULT_NONE)
			st->fault = STORE_FAULT_IO;
		return -1;
	}
	return 0;
}

int
store_reopen(struct store *st)
{
	struct store_options o = st->opts;
	enum store_fault fault = STORE_FAULT_NONE;
	char *error = NULL;

	close_db(st);
	o.must_exist = 1;
	if (st->be->open(st->path, &o, &st->db, &fault, &error) < 0) {
		st->db = NULL;
		st->fault = refine_io(st, fault != STORE_FAULT_NONE ? fault : STORE_FAULT_IO);
		set_error_text(st, NULL, error);
		free(error);
		return -1;
	}
	note_identity(st);
	return store_check(st);
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
	if (rc < 0)
		store_set_error(st, NULL);
	st->be->reset(s);
	return rc < 0 ? -1 : 0;
}

int
store_begin(struct store *st)
{
	/* A new transaction: an old error says nothing about this one. */
	st->fault = STORE_FAULT_NONE;
	return exec_sql(st, "BEGIN IMMEDIATE");
}

/* After a lazy transaction: the commits wait for the disk again. */
static void
end_lazy(struct store *st)
{
	if (!st->lazy)
		return;
	st->lazy = 0;
	if (st->db != NULL)
		st->be->set_durable(st->db, 1);
}

int
store_begin_lazy(struct store *st)
{
	st->fault = STORE_FAULT_NONE;
	if (st->db == NULL || st->be->set_durable(st->db, 0) < 0) {
		store_set_error(st, "begin");
		return -1;
	}
	st->lazy = 1;
	if (store_begin(st) < 0) {
		end_lazy(st);
		return -1;
	}
	return 0;
}

int
store_commit(struct store *st)
{
	int rc = 0;

	if (exec_sql(st, "COMMIT") < 0) {
		if (st->db != NULL)
			st->be->exec(st->db, "ROLLBACK");
		rc = -1;
	}
	end_lazy(st);
	return rc;
}

void
store_rollback(struct store *st)
{
	if (st->db != NULL && st->be->in_transaction(st->db))
		st->be->exec(st->db, "ROLLBACK");
	end_lazy(st);
}

int
store_flush_fd(struct store *st)
{
	int fd = st->db != NULL ? st->be->open_log(st->db) : -1;
	int err = errno;
	char *text;

	/* A store deleted, replaced or gone read-only says so (store_check). */
	if (fd < 0 && store_check(st) == 0) {
		text = xasprintf("the store's log: %s", strerror(err));
		st->fault = STORE_FAULT_IO;
		set_error_text(st, NULL, text);
		free(text);
	}
	return fd;
}

int
store_flush(int fd)
{
	return fdatasync(fd) < 0 ? errno : 0;
}

void
store_flush_failed(struct store *st, int err)
{
	char *text = xasprintf("syncing the store's log: %s", strerror(err));

	st->fault = refine_io(st, err == ENOSPC || err == EDQUOT ? STORE_FAULT_FULL : STORE_FAULT_IO);
	set_error_text(st, NULL, text);
	free(text);
}

int
store_sync(struct store *st)
{
	int fd = store_flush_fd(st), err;

	if (fd < 0)
		return -1;
	err = store_flush(fd);
	close(fd);
	if (err != 0) {
		store_flush_failed(st, err);
		return -1;
	}
	return 0;
}

int
store_in_transaction(struct store *st)
{
	return st->db != NULL && st->be->in_transaction(st->db);
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
