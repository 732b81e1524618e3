/*
 * store_impl: what the files of lib/store share, and nothing outside
 * lib/store may use: the backend table, the connection, and the helpers
 * the entity files (store_ticket.c, store_outbox.c, …) run their SQL
 * with.
 *
 * The entity files hold portable SQL (parameters as ?, ?1; NULLIF,
 * IFNULL, ON CONFLICT); the backend runs it.  SQLite is the only backend
 * (store_sqlite.c, which also owns the schema and its migrations); a
 * PostgreSQL one would implement the same table.
 */
#ifndef TICKETD_STORE_IMPL_H
#define TICKETD_STORE_IMPL_H

#include <stddef.h>

#include "store.h"

/* A prepared statement of the backend (its own type behind the tag). */
struct store_stmt;

/*
 * A backend, OpenSMTPD style: a table of functions over an opaque
 * connection.  Functions that can fail return -1; errmsg() then says
 * why and fault() whether it was the environment's (locked, disk full,
 * read-only, I/O) rather than the statement's.  step() returns 1 for a row, 0 when done, -1 on an error.
 */
struct store_backend {
	const char *name;
	/*
	 * Open path (creating it unless o->must_exist); pragmas set, the lock
	 * wait applied and the schema migrated.  On failure *fault_r says
	 * whether it was a fault (locked, full, …) rather than a bad file.
	 */
	int (*open)(const char *path, const struct store_options *o, void **db_r,
		    enum store_fault *fault_r, char **error_r);
	void (*close)(void *db);
	/* SQL without parameters or rows: BEGIN, COMMIT, ROLLBACK. */
	int (*exec)(void *db, const char *sql);
	int (*in_transaction)(void *db);
	/* Prepare for repeated use (the connection keeps it until close). */
	struct store_stmt *(*prepare)(void *db, const char *sql);
	void (*finalize)(struct store_stmt *s);
	/* Ready for another run: reset, bindings cleared. */
	void (*reset)(struct store_stmt *s);
	/* Parameters count from 1; values are not copied (SQLITE_STATIC). */
	int (*bind_null)(struct store_stmt *s, int i);
	int (*bind_text)(struct store_stmt *s, int i, const char *v);
	int (*bind_int)(struct store_stmt *s, int i, long long v);
	int (*bind_blob)(struct store_stmt *s, int i, const void *v, size_t n);
	int (*step)(struct store_stmt *s);
	/* Columns of the current row, from 0; NULL text is NULL, NULL numbers 0. */
	const char *(*column_text)(struct store_stmt *s, int i);
	long long (*column_int)(struct store_stmt *s, int i);
	const void *(*column_blob)(struct store_stmt *s, int i, size_t *len_r);
	/* The row id of the last insert, the rows the last statement changed. */
	long long (*last_insert_id)(void *db);
	long long (*changes)(void *db);
	const char *(*errmsg)(void *db);
	/* The fault behind the last error (STORE_FAULT_NONE: the statement's own). */
	enum store_fault (*fault)(void *db);
	/* A cheap read: 0, -1 an error (errmsg), -2 the file was opened read-only. */
	int (*probe)(void *db);
	/*
	 * Whether the commits from now on wait for the disk (1, the default)
	 * or not (0); outside a transaction only.  And a new descriptor on the
	 * file whose fdatasync() makes the commits that did not wait durable
	 * (the log), or -1 with errno.
	 */
	int (*set_durable)(void *db, int durable);
	int (*open_log)(void *db);
};

extern const struct store_backend store_sqlite;

/* ---- for the entity files ---- */

/* Record the backend's error as "what: message". */
void store_set_error(struct store *st, const char *what);

/*
 * The statement for sql (a string literal: statements are prepared once
 * per connection and cached by its address), reset, with its parameters
 * bound from fmt, one letter each:
 *   t  const char *           (NULL binds NULL)
 *   i  long long
 *   b  const char *, size_t   (blob)
 * NULL on an error (recorded).
 */
struct store_stmt *store_query(struct store *st, const char *sql, const char *fmt, ...);
/* Run s (may be NULL: then -1), which returns no rows. */
int store_exec(struct store *st, struct store_stmt *s, const char *what);
/* Step s once: 1 a row, 0 done, -1 error (s is reset on 0 and -1). */
int store_step(struct store *st, struct store_stmt *s, const char *what);
void store_reset(struct store *st, struct store_stmt *s);
/* Column i of the row: a copy (caller frees; NULL for NULL), a number, bytes. */
char *store_col_str(struct store *st, struct store_stmt *s, int i);
long long store_col_int(struct store *st, struct store_stmt *s, int i);
const void *store_col_blob(struct store *st, struct store_stmt *s, int i, size_t *len_r);
long long store_last_id(struct store *st);
long long store_changes(struct store *st);

/*
 * Every row of s, each filled into an elem_size element by from_row, as
 * one array.  On an error the rows read so far are released and -1
 * returned.
 */
int store_collect_rows(struct store *st, struct store_stmt *s, const char *what,
		       size_t elem_size,
		       void (*from_row)(struct store *, struct store_stmt *, void *),
		       void (*release)(void *), void **list_r, size_t *n_r);
/* Release each element of a list made by store_collect_rows, then the list. */
void store_free_rows(void **list, size_t n, size_t elem_size, void (*release)(void *));
/* The first column of every row, as strings (strv_free). */
int store_collect_strings(struct store *st, struct store_stmt *s, const char *what,
			  char ***v_r, size_t *n_r);

#endif
