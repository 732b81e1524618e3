/*
 * store_sqlite: the SQLite backend of the store (store_impl.h): WAL,
 * synchronous FULL, foreign keys, a busy timeout, and the schema with
 * its migrations (PRAGMA user_version).
 *
 * synchronous = FULL: in WAL mode SQLite then syncs the log at every
 * commit (NORMAL syncs it only at checkpoints, so a power cut could lose
 * the last commits).  A committed fate must survive a power cut before
 * intake flags its message on the server.  Intake's chunks commit with
 * NORMAL instead (store_begin_lazy) and sync the log themselves, in
 * another thread, before they flag anything (store_flush).
 */
#include "store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fileperm.h"
#include "xmalloc.h"

#define STORE_WAL_LIMIT "33554432"     /* bytes of WAL kept after a checkpoint (32 MiB) */
/*
 * Pages in the WAL before a commit checkpoints them (SQLite's default is
 * 1,000).  A checkpoint writes each page once however often the commits
 * since rewrote it (the index pages of each intake chunk): 16 MiB
 * between checkpoints writes 23 % less per message than 4 MiB did, and
 * stays under STORE_WAL_LIMIT.
 */
#define STORE_WAL_CHECKPOINT "4096"
/*
 * The page cache per connection, in KiB.  An intake chunk dirties a few
 * MiB of pages in one transaction; a cache smaller than that spills
 * pages to the log before the commit and writes some of them twice.
 * temp_store = MEMORY keeps the savepoint journal (the pages a message
 * changed, for its rollback) in memory too: in a file it was written
 * once per page per message.
 */
#define STORE_CACHE_KIB "4096"

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
	/*
	 * 1 -> 2: attachments.  The bytes live once per SHA-256 in blobs,
	 * in the same transaction as the message and fate they came with
	 * (never a fate without its bytes, backed up with the store, the
	 * store's own file mode); attachments says which ticket, event and
	 * message each came with, under which safe name.  A dropped one
	 * (over a limit) keeps its name, size and hash but no blob.  number
	 * is the attachment's number on its ticket (SUP-12 attachment 2).
	 */
	"CREATE TABLE blobs ("
	"  sha256 TEXT PRIMARY KEY,"
	"  size INTEGER NOT NULL,"
	"  data BLOB NOT NULL);"
	"CREATE TABLE attachments ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket INTEGER NOT NULL REFERENCES tickets(number),"
	"  number INTEGER NOT NULL,"
	"  event INTEGER REFERENCES events(id),"
	"  message INTEGER REFERENCES messages(id),"
	"  filename TEXT NOT NULL,"
	"  sent_name TEXT,"
	"  content_type TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  blob TEXT REFERENCES blobs(sha256),"
	"  dropped TEXT,"
	"  role TEXT NOT NULL DEFAULT 'file' CHECK (role IN ('file', 'inline', 'history')),"
	"  at INTEGER NOT NULL,"
	"  UNIQUE (ticket, number),"
	"  CHECK ((blob IS NULL) = (dropped IS NOT NULL)));"
	"CREATE INDEX attachments_event ON attachments(event);"
	"CREATE INDEX attachments_sha256 ON attachments(ticket, sha256);",
	/*
	 * 2 -> 3: the content hash of an inbound message (what the sender
	 * wrote, mime_msg.content_sha256), so that a re-delivery whose relays
	 * added headers is a duplicate.  Rows from before keep NULL and are
	 * still matched by their raw hash (sha256).
	 */
	"ALTER TABLE messages ADD COLUMN content_sha256 TEXT;"
	"CREATE INDEX messages_content_sha256 ON messages(content_sha256);",
	/* 3 -> 4: who a ticket's mail went to (reply tokens are checked against them) */
	"CREATE INDEX outbox_ticket ON outbox(ticket, rcpt);",
	/*
	 * 4 -> 5: at-most-once sending and per-message failures.
	 *
	 * An outbox row is claimed (claimed_by: the sending process, "host
	 * pid start") in a commit before its mail goes out, and released with
	 * its result: a row still claimed by a process that is gone was in
	 * flight when it died.  doubt counts the attempts whose outcome is
	 * unknown (in flight at a crash, or no answer after the data): such
	 * a row is sent again once, flagged as a possible duplicate, never a
	 * second time.
	 *
	 * messages.imap_pending: 1 the mailbox's after-action is still to do
	 * on the server, 2 the move to the quarantine folder is.
	 *
	 * intake_failures: a message that failed for a reason of its own
	 * (not the store, not the network), how often, and why; it gets the
	 * fate failed after INTAKE_MAX_ATTEMPTS.
	 */
	"ALTER TABLE outbox ADD COLUMN claimed_by TEXT;"
	"ALTER TABLE outbox ADD COLUMN claimed_at INTEGER;"
	"ALTER TABLE outbox ADD COLUMN doubt INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX outbox_claimed ON outbox(claimed_by) WHERE claimed_by IS NOT NULL;"
	"DROP INDEX messages_pending;"
	"CREATE INDEX messages_pending ON messages(mailbox, imap_pending) WHERE imap_pending > 0;"
	"CREATE TABLE intake_failures ("
	"  mailbox TEXT NOT NULL,"
	"  uidvalidity INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (mailbox, uidvalidity, uid));",
	/*
	 * 5 -> 6: the two hash indexes cover only the messages without a
	 * Message-ID.  A duplicate with a Message-ID is found by it (then its
	 * hashes are compared on that row), and the content hash covers the
	 * Message-ID field, so a duplicate without one has none either.  Keyed
	 * by random hex, each index took a random page of its own per message:
	 * at 20,000 tickets more than the page cache held, read back and
	 * written again at every chunk.
	 */
	"DROP INDEX messages_sha256;"
	"DROP INDEX messages_content_sha256;"
	"CREATE INDEX messages_sha256 ON messages(sha256) WHERE message_id IS NULL;"
	"CREATE INDEX messages_content_sha256 ON messages(content_sha256) WHERE message_id IS NULL;"
	/*
	 * And the Message-ID is looked up by a 63-bit hash of it
	 * (message_key, store_message.c): an index entry of about 16 bytes
	 * instead of 60-80, which stays in the page cache ten times as long.
	 * Rows from before keep a NULL key and their own partial index.
	 */
	"ALTER TABLE messages ADD COLUMN message_key INTEGER;"
	"DROP INDEX messages_message_id;"
	"CREATE INDEX messages_message_id ON messages(message_id) WHERE message_key IS NULL;"
	"CREATE INDEX messages_message_key ON messages(message_key) WHERE message_key IS NOT NULL;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
	       "STORE_SCHEMA_VERSION is the number of migrations");

static int
sq_exec(void *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static enum store_fault sq_fault(void *db);

/* Bring the schema to the newest version, in one transaction. */
static int
migrate(sqlite3 *db, char **error_r, enum store_fault *fault_r)
{
	sqlite3_stmt *s;
	int version = 0, target = (int)(sizeof(migrations) / sizeof(migrations[0]));
	char sql[64];

	if (sq_exec(db, "BEGIN IMMEDIATE") < 0)
		goto dberr;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK) {
		*error_r = xasprintf("schema version: %s", sqlite3_errmsg(db));
		goto fail;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > target) {
		*error_r = xasprintf("database schema version %d is newer than this ticketd (%d)",
				     version, target);
		goto fail;
	}
	for (; version < target; version++)
		if (sq_exec(db, migrations[version]) < 0)
			goto dberr;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", target);
	if (sq_exec(db, sql) < 0 || sq_exec(db, "COMMIT") < 0)
		goto dberr;
	return 0;
dberr:
	*error_r = xstrdup(sqlite3_errmsg(db));
	/* Before the ROLLBACK below replaces the error: locked is worth waiting for. */
	*fault_r = sq_fault(db);
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static enum store_fault
sq_fault(void *db)
{
	int ext = sqlite3_extended_errcode(db), sys = sqlite3_system_errno(db);

	if (ext == SQLITE_READONLY_DBMOVED)
		return STORE_FAULT_GONE;
	switch (ext & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_PROTOCOL:
		return STORE_FAULT_LOCKED;
	case SQLITE_FULL:
		return STORE_FAULT_FULL;
	case SQLITE_READONLY:
		return STORE_FAULT_READONLY;
	case SQLITE_IOERR:
		/* A full disk in WAL mode is mostly a failed write, not SQLITE_FULL. */
		if (sys == ENOSPC || sys == EDQUOT)
			return STORE_FAULT_FULL;
		if (sys == EROFS)
			return STORE_FAULT_READONLY;
		return STORE_FAULT_IO;
	case SQLITE_CANTOPEN:
		if (sys == ENOENT)
			return STORE_FAULT_GONE;
		if (sys == EROFS || sys == EACCES || sys == EPERM)
			return STORE_FAULT_READONLY;
		if (sys == ENOSPC || sys == EDQUOT)
			return STORE_FAULT_FULL;
		return STORE_FAULT_IO;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return STORE_FAULT_CORRUPT;
	case SQLITE_NOMEM:
		return STORE_FAULT_IO;
	default:
		return STORE_FAULT_NONE;
	}
}

static int
sq_open(const char *path, const struct store_options *o, void **db_r, enum store_fault *fault_r,
	char **error_r)
{
	sqlite3 *db = NULL;
	char *why = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	*fault_r = STORE_FAULT_NONE;
	/*
	 * A new store is its owner's alone whatever the umask: the file is
	 * made 0600 (its missing folders 0700) before SQLite opens it, and
	 * SQLite gives the -wal and -shm files the database's mode.  A
	 * reopen after a fault (must_exist) never creates it.
	 */
	if (o == NULL || !o->must_exist) {
		flags |= SQLITE_OPEN_CREATE;
		if (strcmp(path, ":memory:") != 0 && strncmp(path, "file:", 5) != 0 &&
		    fileperm_create(path, error_r) < 0) {
			*fault_r = errno == ENOSPC || errno == EDQUOT ? STORE_FAULT_FULL :
				errno == EROFS || errno == EACCES || errno == EPERM ?
				STORE_FAULT_READONLY : STORE_FAULT_IO;
			return -1;
		}
	}
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		int sys = db != NULL ? sqlite3_system_errno(db) : 0;

		*fault_r = db != NULL ? sq_fault(db) : STORE_FAULT_IO;
		/* SQLite says "unable to open database file"; errno says why (EMFILE, EACCES, …). */
		*error_r = xasprintf("unable to open '%s': %s%s%s%s", path,
				     db != NULL ? sqlite3_errmsg(db) : "out of memory",
				     sys != 0 ? " (" : "", sys != 0 ? strerror(sys) : "", sys != 0 ? ")" : "");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, o != NULL && o->lock_timeout_ms > 0 ? o->lock_timeout_ms :
			     STORE_LOCK_TIMEOUT_MS);
	if (sq_exec(db, "PRAGMA journal_mode = WAL") < 0 ||
	    sq_exec(db, "PRAGMA synchronous = FULL") < 0 ||
	    /* A mail with large attachments grows the WAL; give the space back
	       after each checkpoint instead of keeping the largest size ever. */
	    sq_exec(db, "PRAGMA journal_size_limit = " STORE_WAL_LIMIT) < 0 ||
	    sq_exec(db, "PRAGMA wal_autocheckpoint = " STORE_WAL_CHECKPOINT) < 0 ||
	    sq_exec(db, "PRAGMA foreign_keys = ON") < 0 ||
	    sq_exec(db, "PRAGMA temp_store = MEMORY") < 0 ||
	    sq_exec(db, "PRAGMA cache_size = -" STORE_CACHE_KIB) < 0) {
		why = xstrdup(sqlite3_errmsg(db));
		*fault_r = sq_fault(db);
	} else {
		migrate(db, &why, fault_r);
	}
	if (why != NULL) {
		*error_r = xasprintf("unable to open '%s': %s", path,
				     *fault_r == STORE_FAULT_FULL ? "disk full" : why);
		free(why);
		sqlite3_close(db);
		return -1;
	}
	*db_r = db;
	return 0;
}

static void
sq_close(void *db)
{
	sqlite3_close(db);
}

static int
sq_in_transaction(void *db)
{
	return !sqlite3_get_autocommit(db);
}

static struct store_stmt *
sq_prepare(void *db, const char *sql)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
		return NULL;
	return (struct store_stmt *)s;
}

static void
sq_finalize(struct store_stmt *s)
{
	sqlite3_finalize((sqlite3_stmt *)s);
}

static void
sq_reset(struct store_stmt *s)
{
	sqlite3_reset((sqlite3_stmt *)s);
	sqlite3_clear_bindings((sqlite3_stmt *)s);
}

static int
sq_bind_null(struct store_stmt *s, int i)
{
	return sqlite3_bind_null((sqlite3_stmt *)s, i) == SQLITE_OK ? 0 : -1;
}

static int
sq_bind_text(struct store_stmt *s, int i, const char *v)
{
	return sqlite3_bind_text((sqlite3_stmt *)s, i, v, -1, SQLITE_STATIC) == SQLITE_OK ? 0 : -1;
}

static int
sq_bind_int(struct store_stmt *s, int i, long long v)
{
	return sqlite3_bind_int64((sqlite3_stmt *)s, i, v) == SQLITE_OK ? 0 : -1;
}

static int
sq_bind_blob(struct store_stmt *s, int i, const void *v, size_t n)
{
	return sqlite3_bind_blob64((sqlite3_stmt *)s, i, v, n, SQLITE_STATIC) == SQLITE_OK ? 0 : -1;
}

static int
sq_step(struct store_stmt *s)
{
	int rc = sqlite3_step((sqlite3_stmt *)s);

	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static const char *
sq_column_text(struct store_stmt *s, int i)
{
	return (const char *)sqlite3_column_text((sqlite3_stmt *)s, i);
}

static long long
sq_column_int(struct store_stmt *s, int i)
{
	return sqlite3_column_int64((sqlite3_stmt *)s, i);
}

static const void *
sq_column_blob(struct store_stmt *s, int i, size_t *len_r)
{
	const void *v = sqlite3_column_blob((sqlite3_stmt *)s, i);

	*len_r = (size_t)sqlite3_column_bytes((sqlite3_stmt *)s, i);
	return v;
}

static long long
sq_last_insert_id(void *db)
{
	return sqlite3_last_insert_rowid(db);
}

static long long
sq_changes(void *db)
{
	return sqlite3_changes(db);
}

static const char *
sq_errmsg(void *db)
{
	return sqlite3_errmsg(db);
}

static int
sq_probe(void *db)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_db_readonly(db, "main") == 1)
		return -2;
	if (sqlite3_prepare_v2(db, "PRAGMA schema_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * synchronous = NORMAL in WAL mode: the commit's frames are written to
 * the log, not synced (a checkpoint still syncs the log before it copies
 * it and the database after).  Atomic either way: a crash keeps the
 * whole transaction or none of it.
 */
static int
sq_set_durable(void *db, int durable)
{
	return sq_exec(db, durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

static int
sq_open_log(void *db)
{
	const char *main_file = sqlite3_db_filename(db, "main");
	const char *wal = main_file != NULL && *main_file != '\0' ?
		sqlite3_filename_wal(main_file) : NULL;

	if (wal == NULL) {
		errno = ENOENT;
		return -1;
	}
	/* fdatasync() syncs the file's data whichever descriptor asks. */
	return open(wal, O_RDONLY | O_CLOEXEC);
}

const struct store_backend store_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.in_transaction = sq_in_transaction,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.reset = sq_reset,
	.bind_null = sq_bind_null,
	.bind_text = sq_bind_text,
	.bind_int = sq_bind_int,
	.bind_blob = sq_bind_blob,
	.step = sq_step,
	.column_text = sq_column_text,
	.column_int = sq_column_int,
	.column_blob = sq_column_blob,
	.last_insert_id = sq_last_insert_id,
	.changes = sq_changes,
	.errmsg = sq_errmsg,
	.fault = sq_fault,
	.probe = sq_probe,
	.set_durable = sq_set_durable,
	.open_log = sq_open_log,
};
