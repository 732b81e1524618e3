#include "store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "xmalloc.h"

#define STORE_MAX_STMTS 128
#define STORE_BUSY_TIMEOUT_MS 10000

struct store {
	sqlite3 *db;
	char *error;
	int temporary;
	struct {
		const char *sql;      /* the static string it was prepared from */
		sqlite3_stmt *stmt;
	} cache[STORE_MAX_STMTS];
	size_t n_cache;
};

/*
 * Each entry migrates the schema from version i to i+1.  Never edit a
 * released entry: add a new one.
 */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE orgs ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  plan TEXT NOT NULL,"
	"  region TEXT NOT NULL,"
	"  auto_register INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE org_domains ("
	"  org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
	"  domain TEXT NOT NULL UNIQUE COLLATE NOCASE);"
	"CREATE TABLE contacts ("
	"  id INTEGER PRIMARY KEY,"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT,"
	"  org_id INTEGER REFERENCES orgs(id) ON DELETE CASCADE,"
	"  language TEXT,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX contacts_org ON contacts(org_id);"
	/* Addresses that bounced: no more mail goes to them, contacts or not. */
	"CREATE TABLE undeliverable ("
	"  address TEXT PRIMARY KEY COLLATE NOCASE,"
	"  reason TEXT NOT NULL,"
	"  at INTEGER NOT NULL);"
	"CREATE TABLE agents ("
	"  id INTEGER PRIMARY KEY,"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT NOT NULL,"
	"  level INTEGER NOT NULL DEFAULT 0,"
	"  region TEXT,"
	"  created_at INTEGER NOT NULL);"
	/* AUTOINCREMENT: a ticket number is never handed out twice. */
	"CREATE TABLE tickets ("
	"  number INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  subject TEXT NOT NULL,"
	"  requester TEXT NOT NULL COLLATE NOCASE,"
	"  requester_name TEXT,"
	"  org_id INTEGER REFERENCES orgs(id) ON DELETE SET NULL,"
	"  region TEXT NOT NULL,"
	"  language TEXT NOT NULL,"
	"  severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),"
	"  priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 4),"
	"  status TEXT NOT NULL,"
	"  level INTEGER NOT NULL DEFAULT 0 CHECK (level BETWEEN 0 AND 4),"
	"  assignee TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  first_response_at INTEGER,"
	"  due_at INTEGER,"
	"  sla_warned INTEGER NOT NULL DEFAULT 0,"
	"  sla_breached INTEGER NOT NULL DEFAULT 0,"
	"  previous INTEGER REFERENCES tickets(number));"
	"CREATE INDEX tickets_status ON tickets(status);"
	"CREATE TABLE participants ("
	"  ticket INTEGER NOT NULL REFERENCES tickets(number),"
	"  email TEXT NOT NULL COLLATE NOCASE,"
	"  added_at INTEGER NOT NULL,"
	"  PRIMARY KEY (ticket, email));"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket INTEGER REFERENCES tickets(number),"
	"  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
	"  message_id TEXT,"
	"  sha256 TEXT,"
	"  mailbox TEXT,"
	"  uidvalidity INTEGER,"
	"  uid INTEGER,"
	"  imap_pending INTEGER NOT NULL DEFAULT 0,"
	"  fate TEXT,"
	"  rule TEXT,"
	"  sender TEXT,"
	"  subject TEXT,"
	"  at INTEGER NOT NULL,"
	"  raw BLOB NOT NULL);"
	"CREATE INDEX messages_message_id ON messages(message_id);"
	"CREATE INDEX messages_sha256 ON messages(sha256);"
	"CREATE INDEX messages_ticket ON messages(ticket);"
	"CREATE INDEX messages_uid ON messages(mailbox, uidvalidity, uid);"
	"CREATE INDEX messages_pending ON messages(mailbox, imap_pending) WHERE imap_pending = 1;"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket INTEGER NOT NULL REFERENCES tickets(number),"
	"  at INTEGER NOT NULL,"
	"  type TEXT NOT NULL,"
	"  actor TEXT,"
	"  public INTEGER NOT NULL DEFAULT 1,"
	"  body TEXT,"
	"  data TEXT);"
	"CREATE INDEX events_ticket ON events(ticket);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket INTEGER REFERENCES tickets(number),"
	"  message INTEGER NOT NULL REFERENCES messages(id),"
	"  kind TEXT NOT NULL,"
	"  mail_from TEXT NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  sent_at INTEGER,"
	"  last_error TEXT);"
	"CREATE INDEX outbox_due ON outbox(status, next_attempt_at);"
	"CREATE TABLE cursors ("
	"  mailbox TEXT PRIMARY KEY,"
	"  uidvalidity INTEGER NOT NULL,"
	"  last_uid INTEGER NOT NULL);"
	"CREATE TABLE autoresponses ("
	"  sender TEXT NOT NULL COLLATE NOCASE,"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX autoresponses_sender ON autoresponses(sender, at);",
};

static void
set_error(struct store *st, const char *what)
{
	int code = sqlite3_errcode(st->db);

	free(st->error);
	st->error = xasprintf("%s: %s", what, sqlite3_errmsg(st->db));
	st->temporary = code == SQLITE_BUSY || code == SQLITE_LOCKED;
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

/*
 * Prepare sql once per connection and keep it; sql must be a string
 * literal (the cache is keyed by its address).
 */
static sqlite3_stmt *
prep(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	size_t i;

	for (i = 0; i < st->n_cache; i++)
		if (st->cache[i].sql == sql) {
			sqlite3_reset(st->cache[i].stmt);
			sqlite3_clear_bindings(st->cache[i].stmt);
			return st->cache[i].stmt;
		}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
		set_error(st, "prepare");
		return NULL;
	}
	if (st->n_cache < STORE_MAX_STMTS) {
		st->cache[st->n_cache].sql = sql;
		st->cache[st->n_cache].stmt = s;
		st->n_cache++;
	} else {
		/* Cannot happen with the fixed set of statements below. */
		abort();
	}
	return s;
}

/*
 * Prepare and bind: fmt has one letter per parameter:
 *   t  const char *   (NULL binds NULL)
 *   i  long long
 *   b  const char *, size_t   (blob)
 */
static sqlite3_stmt *
query(struct store *st, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s = prep(st, sql);
	va_list ap;
	int i, rc = SQLITE_OK;

	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	for (i = 1; *fmt != '\0' && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 't': {
			const char *v = va_arg(ap, const char *);

			rc = v == NULL ? sqlite3_bind_null(s, i) :
				sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
			break;
		}
		case 'i':
			rc = sqlite3_bind_int64(s, i, va_arg(ap, long long));
			break;
		case 'b': {
			const char *v = va_arg(ap, const char *);
			size_t n = va_arg(ap, size_t);

			rc = sqlite3_bind_blob64(s, i, v, n, SQLITE_STATIC);
			break;
		}
		default:
			abort();
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		set_error(st, "bind");
		sqlite3_reset(s);
		return NULL;
	}
	return s;
}

/* Run a statement that returns no rows. */
static int
exec_stmt(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		set_error(st, what);
		return -1;
	}
	return 0;
}

/* Step once: 1 row, 0 done, -1 error (reset on 0 and -1). */
static int
step(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	set_error(st, what);
	return -1;
}

static char *
col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v == NULL ? NULL : xstrdup((const char *)v);
}

/*
 * Every row of s, each filled into an elem_size element by from_row, as
 * one array: the list functions below all read their rows this way.  On
 * an error the rows read so far are released and -1 returned.
 */
static int
collect_rows(struct store *st, sqlite3_stmt *s, const char *what, size_t elem_size,
	     void (*from_row)(sqlite3_stmt *, void *), void (*release)(void *),
	     void **list_r, size_t *n_r)
{
	char *list = NULL;
	size_t n = 0, i;
	int rc;

	while ((rc = step(st, s, what)) == 1) {
		list = xrealloc(list, (n + 1) * elem_size);
		from_row(s, list + n * elem_size);
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

/* Release each element of a list made by collect_rows, then the list. */
static void
free_rows(void **list, size_t n, size_t elem_size, void (*release)(void *))
{
	size_t i;

	for (i = 0; *list != NULL && i < n; i++)
		release((char *)*list + i * elem_size);
	xfree(list);
}

static int
exec_sql(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		free(st->error);
		st->error = xasprintf("%s", msg != NULL ? msg : "unknown error");
		st->temporary = sqlite3_errcode(st->db) == SQLITE_BUSY;
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
migrate(struct store *st)
{
	sqlite3_stmt *s;
	int version = 0, target = (int)(sizeof(migrations) / sizeof(migrations[0]));
	char sql[64];

	if (exec_sql(st, "BEGIN IMMEDIATE") < 0)
		return -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK) {
		set_error(st, "schema version");
		goto fail;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > target) {
		free(st->error);
		st->error = xasprintf("database schema version %d is newer than this ticketd (%d)",
				      version, target);
		goto fail;
	}
	for (; version < target; version++)
		if (exec_sql(st, migrations[version]) < 0)
			goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", target);
	if (exec_sql(st, sql) < 0 || exec_sql(st, "COMMIT") < 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
store_open(const char *path, struct store **st_r, char **error_r)
{
	struct store *st = xcalloc(1, sizeof(*st));

	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		*error_r = xasprintf("unable to open '%s': %s", path,
				     st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		store_close(&st);
		return -1;
	}
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	if (exec_sql(st, "PRAGMA journal_mode = WAL") < 0 ||
	    exec_sql(st, "PRAGMA synchronous = NORMAL") < 0 ||
	    exec_sql(st, "PRAGMA foreign_keys = ON") < 0 ||
	    migrate(st) < 0) {
		*error_r = xasprintf("unable to open '%s': %s", path, store_error(st));
		store_close(&st);
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
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_close(st->db);
	free(st->error);
	free(st);
	*stp = NULL;
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
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_meta_get(struct store *st, const char *key, char **value_r)
{
	sqlite3_stmt *s = query(st, "SELECT value FROM meta WHERE key = ?", "t", key);
	int rc = step(st, s, "meta");

	if (rc == 1) {
		*value_r = col_str(s, 0);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_meta_add(struct store *st, const char *key, const char *value)
{
	return exec_stmt(st, query(st, "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
				   "tt", key, value), "meta");
}

int
store_meta_set(struct store *st, const char *key, const char *value)
{
	return exec_stmt(st, query(st, "INSERT INTO meta (key, value) VALUES (?, ?) "
				   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
				   "tt", key, value), "meta");
}

/* ---- tickets ---- */

#define TICKET_COLS "number, subject, requester, requester_name, org_id, region, language, " \
	"severity, priority, status, level, assignee, created_at, updated_at, " \
	"first_response_at, due_at, sla_warned, sla_breached, previous"

static void
ticket_from_row(sqlite3_stmt *s, void *p)
{
	struct ticket *t = p;

	memset(t, 0, sizeof(*t));
	t->number = sqlite3_column_int64(s, 0);
	t->subject = col_str(s, 1);
	t->requester = col_str(s, 2);
	t->requester_name = col_str(s, 3);
	t->org_id = sqlite3_column_int64(s, 4);
	t->region = col_str(s, 5);
	t->language = col_str(s, 6);
	t->severity = sqlite3_column_int(s, 7);
	t->priority = sqlite3_column_int(s, 8);
	t->status = col_str(s, 9);
	t->level = sqlite3_column_int(s, 10);
	t->assignee = col_str(s, 11);
	t->created_at = (time_t)sqlite3_column_int64(s, 12);
	t->updated_at = (time_t)sqlite3_column_int64(s, 13);
	t->first_response_at = (time_t)sqlite3_column_int64(s, 14);
	t->due_at = (time_t)sqlite3_column_int64(s, 15);
	t->sla_warned = sqlite3_column_int(s, 16);
	t->sla_breached = sqlite3_column_int(s, 17);
	t->previous = sqlite3_column_int64(s, 18);
}

static void
ticket_release_v(void *p)
{
	ticket_release(p);
}

void
ticket_release(struct ticket *t)
{
	free(t->subject);
	free(t->requester);
	free(t->requester_name);
	free(t->region);
	free(t->language);
	free(t->status);
	free(t->assignee);
	memset(t, 0, sizeof(*t));
}

int
store_ticket_create(struct store *st, struct ticket *t)
{
	sqlite3_stmt *s = query(st,
		"INSERT INTO tickets (subject, requester, requester_name, org_id, region, language, "
		"severity, priority, status, level, assignee, created_at, updated_at, "
		"first_response_at, due_at, previous) VALUES "
		"(?, ?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, 0), NULLIF(?, 0), NULLIF(?, 0))",
		"tttittiititiiiii", t->subject, t->requester, t->requester_name, t->org_id,
		t->region, t->language, (long long)t->severity, (long long)t->priority,
		t->status, (long long)t->level, t->assignee, (long long)t->created_at,
		(long long)t->created_at, (long long)t->first_response_at,
		(long long)t->due_at, t->previous);

	if (exec_stmt(st, s, "create ticket") < 0)
		return -1;
	t->number = sqlite3_last_insert_rowid(st->db);
	t->updated_at = t->created_at;
	return 0;
}

int
store_ticket_get(struct store *st, long long number, struct ticket *t_r)
{
	sqlite3_stmt *s = query(st, "SELECT " TICKET_COLS " FROM tickets WHERE number = ?",
				"i", number);
	int rc = step(st, s, "get ticket");

	if (rc == 1) {
		ticket_from_row(s, t_r);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_ticket_update(struct store *st, const struct ticket *t)
{
	return exec_stmt(st, query(st,
		"UPDATE tickets SET subject = ?, org_id = NULLIF(?, 0), region = ?, language = ?, "
		"severity = ?, priority = ?, status = ?, level = ?, assignee = ?, updated_at = ?, "
		"first_response_at = NULLIF(?, 0), due_at = NULLIF(?, 0), sla_warned = ?, "
		"sla_breached = ? WHERE number = ?",
		"tittiititiiiiii", t->subject, t->org_id, t->region, t->language,
		(long long)t->severity, (long long)t->priority, t->status, (long long)t->level,
		t->assignee, (long long)t->updated_at, (long long)t->first_response_at,
		(long long)t->due_at, (long long)t->sla_warned, (long long)t->sla_breached,
		t->number), "update ticket");
}

int
store_ticket_list(struct store *st, const char *status, const char *region,
		  struct ticket **list_r, size_t *n_r)
{
	sqlite3_stmt *s = query(st, "SELECT " TICKET_COLS " FROM tickets "
				"WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR region = ?2 COLLATE NOCASE) "
				"ORDER BY number DESC", "tt", status, region);
	void *list;
	int rc;

	rc = collect_rows(st, s, "list tickets", sizeof(struct ticket), ticket_from_row,
			  ticket_release_v, &list, n_r);
	if (rc == 0)
		*list_r = list;
	return rc;
}

void
ticket_list_free(struct ticket **list, size_t n)
{
	void *v = *list;

	free_rows(&v, n, sizeof(struct ticket), ticket_release_v);
	*list = NULL;
}

/* ---- messages ---- */

int
store_message_add(struct store *st, const struct store_message *m, long long *id_r)
{
	sqlite3_stmt *s = query(st,
		"INSERT INTO messages (ticket, direction, message_id, sha256, mailbox, uidvalidity, "
		"uid, imap_pending, fate, rule, sender, subject, at, raw) VALUES "
		"(NULLIF(?, 0), ?, ?, ?, ?, NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?)",
		"ittttiiittttib", m->ticket, m->direction, m->message_id, m->sha256, m->mailbox,
		(long long)m->uidvalidity, (long long)m->uid, (long long)m->imap_pending,
		m->fate, m->rule, m->sender, m->subject, (long long)m->at,
		m->raw != NULL ? m->raw : "", m->raw_len);

	if (exec_stmt(st, s, "add message") < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_message_is_duplicate(struct store *st, const char *message_id, const char *sha256,
			   long long *ticket_r)
{
	sqlite3_stmt *s;
	int rc;

	/* Without a Message-ID the content hash alone decides. */
	if (message_id != NULL)
		s = query(st, "SELECT IFNULL(ticket, 0) FROM messages WHERE direction = 'in' "
			  "AND message_id = ? AND sha256 = ? LIMIT 1", "tt", message_id, sha256);
	else
		s = query(st, "SELECT IFNULL(ticket, 0) FROM messages WHERE direction = 'in' "
			  "AND sha256 = ? LIMIT 1", "t", sha256);
	rc = step(st, s, "find duplicate");
	if (rc == 1) {
		if (ticket_r != NULL)
			*ticket_r = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_message_ticket(struct store *st, const char *message_id, long long *ticket_r)
{
	sqlite3_stmt *s = query(st, "SELECT ticket FROM messages WHERE message_id = ? "
				"AND ticket IS NOT NULL ORDER BY id DESC LIMIT 1", "t", message_id);
	int rc = step(st, s, "find message");

	if (rc == 1) {
		*ticket_r = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_message_has_uid(struct store *st, const char *mailbox, unsigned int uidvalidity,
		      unsigned int uid)
{
	sqlite3_stmt *s = query(st, "SELECT 1 FROM messages WHERE mailbox = ? AND uidvalidity = ? "
				"AND uid = ? LIMIT 1", "tii", mailbox, (long long)uidvalidity,
				(long long)uid);
	int rc = step(st, s, "find uid");

	if (rc == 1)
		sqlite3_reset(s);
	return rc;
}

int
store_imap_pending(struct store *st, const char *mailbox, unsigned int uidvalidity,
		   unsigned int **uids_r, size_t *n_r)
{
	sqlite3_stmt *s = query(st, "SELECT uid FROM messages WHERE mailbox = ? AND imap_pending = 1 "
				"AND uidvalidity = ? ORDER BY uid", "ti", mailbox,
				(long long)uidvalidity);
	unsigned int *uids = NULL;
	size_t n = 0;
	int rc;

	while ((rc = step(st, s, "pending uids")) == 1) {
		uids = xrealloc(uids, (n + 1) * sizeof(*uids));
		uids[n++] = (unsigned int)sqlite3_column_int64(s, 0);
	}
	if (rc < 0) {
		free(uids);
		return -1;
	}
	*uids_r = uids;
	*n_r = n;
	return 0;
}

int
store_imap_done(struct store *st, const char *mailbox, unsigned int uidvalidity,
		const unsigned int *uids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (exec_stmt(st, query(st, "UPDATE messages SET imap_pending = 0 WHERE mailbox = ? "
					"AND uidvalidity = ? AND uid = ?", "tii", mailbox,
					(long long)uidvalidity, (long long)uids[i]), "imap done") < 0)
			return -1;
	return 0;
}

static int
collect_strings(struct store *st, sqlite3_stmt *s, const char *what, char ***v_r, size_t *n_r)
{
	char **v = NULL;
	size_t n = 0;
	int rc;

	while ((rc = step(st, s, what)) == 1) {
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = col_str(s, 0);
	}
	if (rc < 0) {
		strv_free(&v, n);
		return -1;
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

int
store_ticket_message_ids(struct store *st, long long ticket, size_t max, char ***ids_r,
			 size_t *n_r)
{
	return collect_strings(st, query(st,
		"SELECT message_id FROM ("
		"  SELECT * FROM (SELECT id, message_id FROM messages WHERE ticket = ?1"
		"    AND message_id IS NOT NULL ORDER BY id LIMIT 1)"
		"  UNION"
		"  SELECT * FROM (SELECT id, message_id FROM messages WHERE ticket = ?1"
		"    AND message_id IS NOT NULL ORDER BY id DESC LIMIT ?2)"
		") ORDER BY id", "ii", ticket, (long long)(max > 1 ? max - 1 : 1)),
		"message ids", ids_r, n_r);
}

void
strv_free(char ***v, size_t n)
{
	size_t i;

	for (i = 0; *v != NULL && i < n; i++)
		free((*v)[i]);
	xfree(v);
}

/* ---- events ---- */

int
store_event_add(struct store *st, long long ticket, time_t at, const char *type,
		const char *actor, int public, const char *body, const char *data,
		long long *id_r)
{
	if (exec_stmt(st, query(st, "INSERT INTO events (ticket, at, type, actor, public, body, data) "
				"VALUES (?, ?, ?, ?, ?, ?, ?)", "iittitt", ticket, (long long)at,
				type, actor, (long long)public, body, data), "add event") < 0)
		return -1;
	if (exec_stmt(st, query(st, "UPDATE tickets SET updated_at = MAX(updated_at, ?) "
				"WHERE number = ?", "ii", (long long)at, ticket), "touch ticket") < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static void
event_from_row(sqlite3_stmt *s, void *p)
{
	struct event *e = p;

	e->id = sqlite3_column_int64(s, 0);
	e->ticket = sqlite3_column_int64(s, 1);
	e->at = (time_t)sqlite3_column_int64(s, 2);
	e->type = col_str(s, 3);
	e->actor = col_str(s, 4);
	e->public = sqlite3_column_int(s, 5);
	e->body = col_str(s, 6);
	e->data = col_str(s, 7);
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
	sqlite3_stmt *s = query(st, "SELECT id, ticket, at, type, actor, public, body, data "
				"FROM events WHERE ticket = ? ORDER BY id", "i", ticket);
	void *list;
	int rc;

	rc = collect_rows(st, s, "list events", sizeof(struct event), event_from_row,
			  event_release_v, &list, n_r);
	if (rc == 0)
		*list_r = list;
	return rc;
}

void
event_list_free(struct event **list, size_t n)
{
	void *v = *list;

	free_rows(&v, n, sizeof(struct event), event_release_v);
	*list = NULL;
}

/* ---- participants ---- */

int
store_participant_add(struct store *st, long long ticket, const char *email, time_t at)
{
	return exec_stmt(st, query(st, "INSERT OR IGNORE INTO participants (ticket, email, added_at) "
				   "VALUES (?, ?, ?)", "iti", ticket, email, (long long)at),
			 "add participant");
}

int
store_participant_remove(struct store *st, long long ticket, const char *email)
{
	if (exec_stmt(st, query(st, "DELETE FROM participants WHERE ticket = ? AND email = ?",
				"it", ticket, email), "remove participant") < 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int
store_participant_list(struct store *st, long long ticket, char ***emails_r, size_t *n_r)
{
	return collect_strings(st, query(st, "SELECT email FROM participants WHERE ticket = ? "
					 "ORDER BY added_at, email", "i", ticket),
			       "list participants", emails_r, n_r);
}

int
store_participant_has(struct store *st, long long ticket, const char *email)
{
	sqlite3_stmt *s = query(st, "SELECT 1 FROM participants WHERE ticket = ? AND email = ?",
				"it", ticket, email);
	int rc = step(st, s, "find participant");

	if (rc == 1)
		sqlite3_reset(s);
	return rc;
}

/* ---- outbox ---- */

#define OUTBOX_COLS "o.id, IFNULL(o.ticket, 0), o.kind, o.mail_from, o.rcpt, m.message_id, m.raw, " \
	"o.status, o.attempts, o.next_attempt_at, o.created_at, IFNULL(o.sent_at, 0), o.last_error"

static void
outbox_from_row(sqlite3_stmt *s, void *p)
{
	struct outbox_row *r = p;
	const void *raw;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->ticket = sqlite3_column_int64(s, 1);
	r->kind = col_str(s, 2);
	r->mail_from = col_str(s, 3);
	r->rcpt = col_str(s, 4);
	r->message_id = col_str(s, 5);
	raw = sqlite3_column_blob(s, 6);
	r->raw_len = (size_t)sqlite3_column_bytes(s, 6);
	r->raw = xstrndup(raw != NULL ? raw : "", r->raw_len);
	r->status = col_str(s, 7);
	r->attempts = sqlite3_column_int(s, 8);
	r->next_attempt_at = (time_t)sqlite3_column_int64(s, 9);
	r->created_at = (time_t)sqlite3_column_int64(s, 10);
	r->sent_at = (time_t)sqlite3_column_int64(s, 11);
	r->last_error = col_str(s, 12);
}

static void
outbox_row_release_v(void *p)
{
	outbox_row_release(p);
}

void
outbox_row_release(struct outbox_row *r)
{
	free(r->kind);
	free(r->mail_from);
	free(r->rcpt);
	free(r->message_id);
	free(r->raw);
	free(r->status);
	free(r->last_error);
	memset(r, 0, sizeof(*r));
}

void
outbox_rows_free(struct outbox_row **rows, size_t n)
{
	void *v = *rows;

	free_rows(&v, n, sizeof(struct outbox_row), outbox_row_release_v);
	*rows = NULL;
}

int
store_outbox_add(struct store *st, long long ticket, const char *kind,
		 const char *mail_from, const char *rcpt, const char *message_id,
		 const char *raw, size_t raw_len, time_t at, long long *id_r)
{
	struct store_message m;
	long long msg;

	memset(&m, 0, sizeof(m));
	m.ticket = ticket;
	m.direction = "out";
	m.message_id = message_id;
	m.sender = mail_from;
	m.at = at;
	m.raw = raw;
	m.raw_len = raw_len;
	m.rule = kind;
	if (store_message_add(st, &m, &msg) < 0)
		return -1;
	if (exec_stmt(st, query(st, "INSERT INTO outbox (ticket, message, kind, mail_from, rcpt, "
				"next_attempt_at, created_at) VALUES (NULLIF(?, 0), ?, ?, ?, ?, ?, ?)",
				"iitttii", ticket, msg, kind, mail_from, rcpt, (long long)at,
				(long long)at), "queue mail") < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static int
collect_outbox(struct store *st, sqlite3_stmt *s, struct outbox_row **rows_r, size_t *n_r)
{
	void *list;
	int rc;

	rc = collect_rows(st, s, "list outbox", sizeof(struct outbox_row), outbox_from_row,
			  outbox_row_release_v, &list, n_r);
	if (rc == 0)
		*rows_r = list;
	return rc;
}

int
store_outbox_due(struct store *st, time_t now, size_t limit,
		 struct outbox_row **rows_r, size_t *n_r)
{
	return collect_outbox(st, query(st, "SELECT " OUTBOX_COLS " FROM outbox o "
					"JOIN messages m ON m.id = o.message WHERE o.status = 'queued' "
					"AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT ?",
					"ii", (long long)now, (long long)limit), rows_r, n_r);
}

int
store_outbox_list(struct store *st, int failed_only, size_t limit,
		  struct outbox_row **rows_r, size_t *n_r)
{
	return collect_outbox(st, query(st, "SELECT " OUTBOX_COLS " FROM outbox o "
					"JOIN messages m ON m.id = o.message "
					"WHERE (? = 0 OR o.status = 'failed') ORDER BY o.id DESC LIMIT ?",
					"ii", (long long)failed_only, (long long)limit), rows_r, n_r);
}

int
store_outbox_get(struct store *st, long long id, struct outbox_row *row_r)
{
	sqlite3_stmt *s = query(st, "SELECT " OUTBOX_COLS " FROM outbox o "
				"JOIN messages m ON m.id = o.message WHERE o.id = ?", "i", id);
	int rc = step(st, s, "get outbox row");

	if (rc == 1) {
		outbox_from_row(s, row_r);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_outbox_next_due(struct store *st, time_t *at_r)
{
	sqlite3_stmt *s = query(st, "SELECT IFNULL(MIN(next_attempt_at), 0) FROM outbox "
				"WHERE status = 'queued'", "");
	int rc = step(st, s, "next due");

	if (rc == 1) {
		*at_r = (time_t)sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return 0;
	}
	return rc < 0 ? -1 : 0;
}

int
store_outbox_sent(struct store *st, long long id, time_t at)
{
	return exec_stmt(st, query(st, "UPDATE outbox SET status = 'sent', sent_at = ?, "
				   "attempts = attempts + 1, last_error = NULL WHERE id = ?",
				   "ii", (long long)at, id), "mark sent");
}

int
store_outbox_retry_later(struct store *st, long long id, int attempts, time_t next_at,
			 const char *error)
{
	return exec_stmt(st, query(st, "UPDATE outbox SET attempts = ?, next_attempt_at = ?, "
				   "last_error = ? WHERE id = ?", "iiti", (long long)attempts,
				   (long long)next_at, error, id), "mark retry");
}

int
store_outbox_failed(struct store *st, long long id, int attempts, const char *error)
{
	return exec_stmt(st, query(st, "UPDATE outbox SET status = 'failed', attempts = ?, "
				   "last_error = ? WHERE id = ?", "iti", (long long)attempts,
				   error, id), "mark failed");
}

int
store_outbox_requeue(struct store *st, long long id, time_t now)
{
	/* A fresh retry window: created_at is where max_retry counts from. */
	if (exec_stmt(st, query(st, "UPDATE outbox SET status = 'queued', next_attempt_at = ?1, "
				"created_at = ?1 WHERE id = ?2 AND status = 'failed'", "ii",
				(long long)now, id), "requeue") < 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

/* ---- cursors ---- */

int
store_cursor_get(struct store *st, const char *mailbox, unsigned int *uidvalidity_r,
		 unsigned int *last_uid_r)
{
	sqlite3_stmt *s = query(st, "SELECT uidvalidity, last_uid FROM cursors WHERE mailbox = ?",
				"t", mailbox);
	int rc = step(st, s, "get cursor");

	*uidvalidity_r = 0;
	*last_uid_r = 0;
	if (rc == 1) {
		*uidvalidity_r = (unsigned int)sqlite3_column_int64(s, 0);
		*last_uid_r = (unsigned int)sqlite3_column_int64(s, 1);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_cursor_set(struct store *st, const char *mailbox, unsigned int uidvalidity,
		 unsigned int last_uid)
{
	return exec_stmt(st, query(st, "INSERT INTO cursors (mailbox, uidvalidity, last_uid) "
				   "VALUES (?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET "
				   "uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
				   "tii", mailbox, (long long)uidvalidity, (long long)last_uid),
			 "set cursor");
}

/* ---- organisations ---- */

static int
org_load_domains(struct store *st, struct org *o)
{
	return collect_strings(st, query(st, "SELECT domain FROM org_domains WHERE org_id = ? "
					 "ORDER BY domain", "i", o->id),
			       "org domains", &o->domains, &o->n_domains);
}

static void
org_from_row(sqlite3_stmt *s, void *p)
{
	struct org *o = p;

	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(s, 0);
	o->name = col_str(s, 1);
	o->plan = col_str(s, 2);
	o->region = col_str(s, 3);
	o->auto_register = sqlite3_column_int(s, 4);
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

	free_rows(&v, n, sizeof(struct org), org_release_v);
	*list = NULL;
}

int
store_org_add(struct store *st, const struct org *o, long long *id_r)
{
	long long id;
	size_t i;

	if (exec_stmt(st, query(st, "INSERT INTO orgs (name, plan, region, auto_register, created_at) "
				"VALUES (?, ?, ?, ?, ?)", "tttii", o->name, o->plan,
				o->region, (long long)o->auto_register, (long long)o->created_at), "add organisation") < 0)
		return -1;
	id = sqlite3_last_insert_rowid(st->db);
	for (i = 0; i < o->n_domains; i++)
		if (exec_stmt(st, query(st, "INSERT INTO org_domains (org_id, domain) VALUES (?, ?)",
					"it", id, o->domains[i]), "add domain") < 0)
			return -1;
	if (id_r != NULL)
		*id_r = id;
	return 0;
}

static int
org_get_by(struct store *st, sqlite3_stmt *s, struct org *o_r)
{
	int rc = step(st, s, "get organisation");

	if (rc != 1)
		return rc;
	org_from_row(s, o_r);
	sqlite3_reset(s);
	if (org_load_domains(st, o_r) < 0) {
		org_release(o_r);
		return -1;
	}
	return 1;
}

int
store_org_get(struct store *st, const char *name, struct org *o_r)
{
	return org_get_by(st, query(st, "SELECT id, name, plan, region, auto_register FROM orgs "
				    "WHERE name = ?", "t", name), o_r);
}

int
store_org_get_id(struct store *st, long long id, struct org *o_r)
{
	return org_get_by(st, query(st, "SELECT id, name, plan, region, auto_register FROM orgs "
				    "WHERE id = ?", "i", id), o_r);
}

int
store_org_by_domain(struct store *st, const char *domain, struct org *o_r)
{
	return org_get_by(st, query(st, "SELECT o.id, o.name, o.plan, o.region, o.auto_register "
				    "FROM orgs o JOIN org_domains d ON d.org_id = o.id "
				    "WHERE d.domain = ?", "t", domain), o_r);
}

int
store_org_list(struct store *st, struct org **list_r, size_t *n_r)
{
	sqlite3_stmt *s = query(st, "SELECT id, name, plan, region, auto_register FROM orgs "
				"ORDER BY name", "");
	struct org *list;
	void *v;
	size_t i;

	if (collect_rows(st, s, "list organisations", sizeof(struct org), org_from_row,
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
	if (exec_stmt(st, query(st, "UPDATE tickets SET org_id = NULL WHERE org_id = "
				"(SELECT id FROM orgs WHERE name = ?)", "t", name), "remove organisation") < 0 ||
	    exec_stmt(st, query(st, "DELETE FROM orgs WHERE name = ?", "t", name),
		      "remove organisation") < 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int
store_org_count_contacts(struct store *st, long long org_id, long long *n_r)
{
	sqlite3_stmt *s = query(st, "SELECT COUNT(*) FROM contacts WHERE org_id = ?", "i", org_id);
	int rc = step(st, s, "count contacts");

	if (rc == 1) {
		*n_r = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return 0;
	}
	return -1;
}

/* ---- contacts ---- */

#define CONTACT_COLS "c.id, c.email, c.name, IFNULL(c.org_id, 0), o.name, c.language, u.reason"
#define CONTACT_FROM "FROM contacts c LEFT JOIN orgs o ON o.id = c.org_id " \
	"LEFT JOIN undeliverable u ON u.address = c.email "

static void
contact_from_row(sqlite3_stmt *s, void *p)
{
	struct contact *c = p;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(s, 0);
	c->email = col_str(s, 1);
	c->name = col_str(s, 2);
	c->org_id = sqlite3_column_int64(s, 3);
	c->org_name = col_str(s, 4);
	c->language = col_str(s, 5);
	c->undeliverable = col_str(s, 6);
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

	free_rows(&v, n, sizeof(struct contact), contact_release_v);
	*list = NULL;
}

int
store_contact_add(struct store *st, const struct contact *c, long long *id_r)
{
	if (exec_stmt(st, query(st, "INSERT INTO contacts (email, name, org_id, language, created_at) "
				"VALUES (?, ?, NULLIF(?, 0), ?, ?)", "ttiti",
				c->email, c->name, c->org_id, c->language, (long long)c->created_at), "add contact") < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_contact_get(struct store *st, const char *email, struct contact *c_r)
{
	sqlite3_stmt *s = query(st, "SELECT " CONTACT_COLS " " CONTACT_FROM "WHERE c.email = ?",
				"t", email);
	int rc = step(st, s, "get contact");

	if (rc == 1) {
		contact_from_row(s, c_r);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_contact_list(struct store *st, const char *org, struct contact **list_r, size_t *n_r)
{
	sqlite3_stmt *s = query(st, "SELECT " CONTACT_COLS " " CONTACT_FROM
				"WHERE ?1 IS NULL OR o.name = ?1 ORDER BY c.email", "t", org);
	void *list;
	int rc;

	rc = collect_rows(st, s, "list contacts", sizeof(struct contact), contact_from_row,
			  contact_release_v, &list, n_r);
	if (rc == 0)
		*list_r = list;
	return rc;
}

int
store_contact_remove(struct store *st, const char *email)
{
	if (exec_stmt(st, query(st, "DELETE FROM contacts WHERE email = ?", "t", email),
		      "remove contact") < 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int
store_contact_set_undeliverable(struct store *st, const char *email, const char *reason,
				time_t at)
{
	return exec_stmt(st, query(st, "INSERT INTO undeliverable (address, reason, at) "
				   "VALUES (?, ?, ?) ON CONFLICT (address) DO UPDATE "
				   "SET reason = excluded.reason, at = excluded.at", "tti", email, reason,
				   (long long)at),
			 "mark undeliverable");
}

int
store_undeliverable_get(struct store *st, const char *address, char **reason_r)
{
	sqlite3_stmt *s = query(st, "SELECT reason FROM undeliverable WHERE address = ?", "t",
				address);
	int rc = step(st, s, "find undeliverable");

	if (rc == 1) {
		if (reason_r != NULL)
			*reason_r = col_str(s, 0);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_undeliverable_clear(struct store *st, const char *address)
{
	return exec_stmt(st, query(st, "DELETE FROM undeliverable WHERE address = ?", "t", address),
			 "clear undeliverable");
}

/* ---- agents ---- */

static void
agent_from_row(sqlite3_stmt *s, void *p)
{
	struct agent *a = p;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	a->email = col_str(s, 1);
	a->name = col_str(s, 2);
	a->level = sqlite3_column_int(s, 3);
	a->region = col_str(s, 4);
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

	free_rows(&v, n, sizeof(struct agent), agent_release_v);
	*list = NULL;
}

int
store_agent_add(struct store *st, const struct agent *a, long long *id_r)
{
	if (exec_stmt(st, query(st, "INSERT INTO agents (email, name, level, region, created_at) "
				"VALUES (?, ?, ?, ?, ?)", "ttiti", a->email,
				a->name, (long long)a->level, a->region, (long long)a->created_at), "add agent") < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_agent_get(struct store *st, const char *email, struct agent *a_r)
{
	sqlite3_stmt *s = query(st, "SELECT id, email, name, level, region FROM agents "
				"WHERE email = ?", "t", email);
	int rc = step(st, s, "get agent");

	if (rc == 1) {
		agent_from_row(s, a_r);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_agent_list(struct store *st, struct agent **list_r, size_t *n_r)
{
	sqlite3_stmt *s = query(st, "SELECT id, email, name, level, region FROM agents "
				"ORDER BY email", "");
	void *list;
	int rc;

	rc = collect_rows(st, s, "list agents", sizeof(struct agent), agent_from_row,
			  agent_release_v, &list, n_r);
	if (rc == 0)
		*list_r = list;
	return rc;
}

int
store_agent_remove(struct store *st, const char *email)
{
	if (exec_stmt(st, query(st, "DELETE FROM agents WHERE email = ?", "t", email),
		      "remove agent") < 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

/* ---- automatic responses ---- */

int
store_autoresp_count(struct store *st, const char *sender, time_t since, long long *n_r)
{
	sqlite3_stmt *s = query(st, "SELECT COUNT(*) FROM autoresponses WHERE sender = ? AND at >= ?",
				"ti", sender, (long long)since);
	int rc = step(st, s, "count autoresponses");

	if (rc == 1) {
		*n_r = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return 0;
	}
	return -1;
}

int
store_autoresp_add(struct store *st, const char *sender, time_t at)
{
	return exec_stmt(st, query(st, "INSERT INTO autoresponses (sender, at) VALUES (?, ?)",
				   "ti", sender, (long long)at), "add autoresponse");
}

/* ---- SLA clock ---- */

int
store_ticket_list_sla(struct store *st, const char *region, struct ticket **list_r, size_t *n_r)
{
	sqlite3_stmt *s = query(st, "SELECT " TICKET_COLS " FROM tickets "
				"WHERE status IN ('new', 'open', 'pending') AND due_at IS NOT NULL "
				"AND first_response_at IS NULL "
				"AND (?1 IS NULL OR region = ?1 COLLATE NOCASE) "
				"ORDER BY due_at, number", "t", region);
	void *list;
	int rc;

	rc = collect_rows(st, s, "list sla tickets", sizeof(struct ticket), ticket_from_row,
			  ticket_release_v, &list, n_r);
	if (rc == 0)
		*list_r = list;
	return rc;
}

int
store_ticket_set_first_response(struct store *st, long long number, time_t at)
{
	if (exec_stmt(st, query(st, "UPDATE tickets SET first_response_at = ?, "
				"updated_at = MAX(updated_at, ?) "
				"WHERE number = ? AND first_response_at IS NULL",
				"iii", (long long)at, (long long)at, number), "first response") < 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int
store_sla_counts(struct store *st, const char *region, time_t since, time_t now,
		 struct store_sla_counts *c_r)
{
	sqlite3_stmt *s = query(st, "SELECT "
		"IFNULL(SUM(first_response_at IS NOT NULL AND first_response_at <= due_at), 0), "
		"IFNULL(SUM(first_response_at > due_at OR (first_response_at IS NULL AND "
		"((status IN ('new', 'open', 'pending') AND due_at <= ?3) OR sla_breached = 1))), 0), "
		"IFNULL(SUM(first_response_at IS NULL AND due_at > ?3 "
		"AND status IN ('new', 'open', 'pending')), 0) "
		"FROM tickets WHERE due_at IS NOT NULL AND created_at >= ?2 "
		"AND (?1 IS NULL OR region = ?1 COLLATE NOCASE)",
		"tii", region, (long long)since, (long long)now);
	int rc = step(st, s, "count sla");

	if (rc != 1)
		return -1;
	c_r->met = sqlite3_column_int64(s, 0);
	c_r->missed = sqlite3_column_int64(s, 1);
	c_r->running = sqlite3_column_int64(s, 2);
	sqlite3_reset(s);
	return 0;
}
