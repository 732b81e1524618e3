/*
 * test-store: the store's schema, ticket numbers, dedup lookups, cursors and
 * outbox states; ticket numbers in subjects.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "route.h"
#include "store.h"
#include "test.h"
#include "xmalloc.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static char dbpath[64];

/* Undo schema 6 (the hash indexes partial), 5 (the outbox claims, intake failures), to test older versions migrating. */
#define UNDO_6 "DROP INDEX messages_sha256; DROP INDEX messages_content_sha256; " \
	"CREATE INDEX messages_sha256 ON messages(sha256); " \
	"CREATE INDEX messages_content_sha256 ON messages(content_sha256); " \
	"DROP INDEX messages_message_key; DROP INDEX messages_message_id; " \
	"ALTER TABLE messages DROP COLUMN message_key; " \
	"CREATE INDEX messages_message_id ON messages(message_id); "
#define UNDO_5 UNDO_6 "DROP INDEX outbox_claimed; ALTER TABLE outbox DROP COLUMN claimed_by; " \
	"ALTER TABLE outbox DROP COLUMN claimed_at; ALTER TABLE outbox DROP COLUMN doubt; " \
	"DROP TABLE intake_failures; DROP INDEX messages_pending; " \
	"CREATE INDEX messages_pending ON messages(mailbox, imap_pending) WHERE imap_pending = 1; "


static struct store *
open_store(void)
{
	struct store *st = NULL;
	char *error = NULL;

	if (store_open(dbpath, &st, &error) < 0) {
		printf("# %s\n", error);
		free(error);
		exit(1);
	}
	return st;
}

static void
raw_sql(const char *sql)
{
	sqlite3 *db;

	sqlite3_open(dbpath, &db);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
}

static void
remove_store(void)
{
	char wal[80];

	unlink(dbpath);
	snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", dbpath);
	unlink(wal);
}

static long long
new_ticket(struct store *st)
{
	struct ticket t;

	memset(&t, 0, sizeof(t));
	t.subject = "s";
	t.requester = "a@b.example";
	t.region = "EMEA";
	t.language = "en";
	t.severity = 3;
	t.priority = 3;
	t.status = "new";
	t.created_at = 1000;
	if (store_ticket_create(st, &t) < 0)
		return -1;
	return t.number;
}

static void
test_schema(void)
{
	struct store *st;
	char *error = NULL;
	sqlite3 *db;
	sqlite3_stmt *s;
	int version = -1;

	test_begin("a new store gets the current schema version; reopening keeps it");
	st = open_store();
	store_close(&st);
	st = open_store();
	store_close(&st);
	sqlite3_open(dbpath, &db);
	sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL);
	test_assert(sqlite3_step(s) == SQLITE_ROW &&
		    strcmp((const char *)sqlite3_column_text(s, 0), "wal") == 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	test_assert_inteq(version, STORE_SCHEMA_VERSION);
	test_end();

	test_begin("a store from a newer ticketd is refused, not touched");
	raw_sql("PRAGMA user_version = 99");
	st = NULL;
	test_assert(store_open(dbpath, &st, &error) < 0);
	test_assert(error != NULL && strstr(error, "newer than this ticketd") != NULL);
	free(error);
	raw_sql("PRAGMA user_version = " STR(STORE_SCHEMA_VERSION));
	test_end();

	test_begin("a version 1 store is migrated to the newest (attachments, content hash), keeping its tickets");
	st = open_store();
	new_ticket(st);
	store_close(&st);
	raw_sql(UNDO_5 "DROP INDEX outbox_ticket; DROP TABLE attachments; DROP TABLE blobs; "
		"DROP INDEX messages_content_sha256; ALTER TABLE messages DROP COLUMN content_sha256; "
		"PRAGMA user_version = 1");
	st = open_store();
	test_assert(st != NULL);
	if (st != NULL) {
		struct ticket t;
		long long used = -1;

		test_assert(store_ticket_get(st, 1, &t) == 1);
		ticket_release(&t);
		test_assert(store_attachment_usage(st, 1, &used) == 0 && used == 0);
		store_close(&st);
	}
	remove_store();
	test_end();

	test_begin("a version 2 store migrates: its messages keep matching by their raw hash");
	st = open_store();
	store_close(&st);
	raw_sql(UNDO_5 "DROP INDEX outbox_ticket; "
		"DROP INDEX messages_content_sha256; ALTER TABLE messages DROP COLUMN content_sha256;"
		"INSERT INTO messages (direction, message_id, sha256, at, raw) "
		"VALUES ('in', 'old-1@x', 'raw-old', 1, 'x');"
		"PRAGMA user_version = 2");
	st = open_store();
	test_assert(st != NULL);
	if (st != NULL) {
		test_assert(store_message_is_duplicate(st, "old-1@x", "raw-old", "c-new", NULL) == 1);
		test_assert(store_message_is_duplicate(st, "old-1@x", "raw-other", "c-new", NULL) == 0);
		store_close(&st);
	}
	raw_sql("DELETE FROM messages");
	test_end();

	test_begin("a version 3 store is migrated to the newest (outbox_ticket)");
	st = open_store();
	store_close(&st);
	raw_sql(UNDO_5 "DROP INDEX outbox_ticket; PRAGMA user_version = 3");
	st = open_store();
	store_close(&st);
	sqlite3_open(dbpath, &db);
	sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'outbox_ticket'",
			   -1, &s, NULL);
	test_assert(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 1);
	sqlite3_finalize(s);
	sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
	version = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	sqlite3_close(db);
	test_assert_inteq(version, STORE_SCHEMA_VERSION);
	test_end();

	test_begin("a version 4 store migrates: its outbox rows can be claimed, pending actions kept");
	st = open_store();
	store_close(&st);
	raw_sql(UNDO_5 "INSERT INTO messages (direction, mailbox, uidvalidity, uid, imap_pending, at, raw) "
		"VALUES ('in', 'old', 1, 9, 1, 1, 'x'); PRAGMA user_version = 4");
	st = open_store();
	test_assert(st != NULL);
	if (st != NULL) {
		unsigned int *uids = NULL, uid = 1;
		size_t n = 0;

		test_assert(store_imap_pending(st, "old", 1, STORE_IMAP_AFTER, &uids, &n) == 0 &&
			    n == 1 && uids[0] == 9);
		free(uids);
		test_assert(store_intake_failure_min(st, "old", 1, &uid) == 0 && uid == 0);
		store_close(&st);
	}
	raw_sql("DELETE FROM messages");
	test_end();

	test_begin("a version 5 store migrates: a mail without a Message-ID is still found by its hashes");
	st = open_store();
	store_close(&st);
	raw_sql(UNDO_6 "INSERT INTO messages (direction, sha256, content_sha256, at, raw) "
		"VALUES ('in', 'raw-5', 'content-5', 1, 'x'), ('in', 'raw-4', NULL, 1, 'x'); "
		"INSERT INTO messages (ticket, direction, message_id, sha256, content_sha256, at, raw) "
		"VALUES (NULL, 'in', 'old-5@x', 'raw-6', 'content-6', 1, 'x'), "
		"(NULL, 'out', 'ours-5@x', NULL, NULL, 1, 'x'); "
		"PRAGMA user_version = 5");
	st = open_store();
	test_assert(st != NULL);
	if (st != NULL) {
		struct store_message m;
		long long t = 0, id = 0;

		test_assert(store_message_is_duplicate(st, NULL, "raw-other", "content-5", NULL) == 1);
		test_assert(store_message_is_duplicate(st, NULL, "raw-4", "content-new", NULL) == 1);
		test_assert(store_message_is_duplicate(st, NULL, "raw-5", "content-new", NULL) == 0);
		test_assert(store_message_is_duplicate(st, "id@x", "raw-4", "content-5", NULL) == 0);
		/* Rows from before message keys are found by their Message-ID, beside new ones. */
		test_assert(store_message_is_duplicate(st, "old-5@x", "raw-x", "content-6", NULL) == 1);
		test_assert(store_message_is_outbound(st, "ours-5@x") == 1);
		test_assert(store_message_is_outbound(st, "old-5@x") == 0);
		t = new_ticket(st);
		memset(&m, 0, sizeof(m));
		m.ticket = t;
		m.direction = "out";
		m.message_id = "ours-6@x";
		m.at = 2;
		m.raw = "x";
		m.raw_len = 1;
		test_assert(store_message_add(st, &m, &id) == 0);
		test_assert(store_message_is_outbound(st, "ours-6@x") == 1);
		test_assert(store_message_ticket(st, "ours-6@x", &id) == 1 && id == t);
		test_assert(store_message_ticket(st, "ours-5@x", &id) == 0);
		store_close(&st);
	}
	remove_store();
	test_end();
}

static void
test_ticket_numbers(void)
{
	struct store *st = open_store();
	long long a, b, c, d;

	test_begin("ticket numbers count up and are never reused");
	a = new_ticket(st);
	b = new_ticket(st);
	c = new_ticket(st);
	test_assert(a == 1 && b == 2 && c == 3);
	store_close(&st);
	/* Even if a row vanished (a restore, a manual fix), its number is not handed out again. */
	raw_sql("PRAGMA foreign_keys = OFF; DELETE FROM tickets WHERE number = 3");
	st = open_store();
	d = new_ticket(st);
	test_assert_inteq(d, 4);
	store_close(&st);
	test_end();
}

static void
test_messages(void)
{
	struct store *st = open_store();
	struct store_message m;
	long long ticket = 0;

	memset(&m, 0, sizeof(m));
	m.ticket = 1;
	m.direction = "in";
	m.message_id = "id-1@x";
	m.sha256 = "aaaa";
	m.mailbox = "support";
	m.uidvalidity = 7;
	m.uid = 42;
	m.imap_pending = 1;
	m.fate = "created";
	m.at = 1000;
	m.raw = "raw";
	m.raw_len = 3;
	test_begin("duplicates: same Message-ID and hash; a reused id with other content is not");
	/* a row from before content hashes: its raw hash decides */
	test_assert(store_message_add(st, &m, NULL) == 0);
	test_assert(store_message_is_duplicate(st, "id-1@x", "aaaa", "c-any", &ticket) == 1 &&
		    ticket == 1);
	test_assert(store_message_is_duplicate(st, "id-1@x", "bbbb", "c-any", NULL) == 0);
	/* Both hashes cover the Message-ID field: a mail without one is never this row's copy. */
	test_assert(store_message_is_duplicate(st, NULL, "aaaa", NULL, NULL) == 0);
	test_assert(store_message_is_duplicate(st, NULL, "cccc", NULL, NULL) == 0);
	/* a row with a content hash: the content decides, whatever the raw bytes */
	m.message_id = "id-2@x";
	m.sha256 = "dddd";
	m.content_sha256 = "c-2";
	m.ticket = 0;
	m.uid = 0;
	m.imap_pending = 0;
	test_assert(store_message_add(st, &m, NULL) == 0);
	test_assert(store_message_is_duplicate(st, "id-2@x", "eeee", "c-2", NULL) == 1);
	test_assert(store_message_is_duplicate(st, "id-2@x", "dddd", "c-other", NULL) == 0);
	test_assert(store_message_is_duplicate(st, NULL, "ffff", "c-2", NULL) == 0);
	m.message_id = "id-1@x";
	m.sha256 = "aaaa";
	m.content_sha256 = NULL;
	m.ticket = 1;
	m.uid = 42;
	m.imap_pending = 1;
	test_end();

	test_begin("threads by Message-ID; UIDs and pending server actions");
	test_assert(store_message_ticket(st, "id-1@x", &ticket) == 1 && ticket == 1);
	test_assert(store_message_ticket(st, "nope@x", &ticket) == 0);
	test_assert(store_message_has_uid(st, "support", 7, 42) == 1);
	test_assert(store_message_has_uid(st, "support", 8, 42) == 0);
	{
		unsigned int *uids = NULL;
		size_t n = 0;

		test_assert(store_imap_pending(st, "support", 7, STORE_IMAP_AFTER, &uids, &n) == 0 &&
			    n == 1 && uids[0] == 42);
		free(uids);
		test_assert(store_imap_pending(st, "support", 7, STORE_IMAP_QUARANTINE, &uids, &n) == 0 &&
			    n == 0);
		free(uids);
		test_assert(store_imap_pending(st, "support", 7, STORE_IMAP_AFTER, &uids, &n) == 0);
		test_assert(store_imap_done(st, "support", 7, uids, n) == 0);
		free(uids);
		test_assert(store_imap_pending(st, "support", 7, STORE_IMAP_AFTER, &uids, &n) == 0 &&
			    n == 0);
		free(uids);
		/* A quarantined fate keeps its own action, whatever happens in between. */
		m.uid = 43;
		m.ticket = 0;
		m.imap_pending = STORE_IMAP_QUARANTINE;
		m.sha256 = "dddd";
		test_assert(store_message_add(st, &m, NULL) == 0);
		test_assert(store_imap_pending(st, "support", 7, STORE_IMAP_AFTER, &uids, &n) == 0 &&
			    n == 0);
		free(uids);
		test_assert(store_imap_pending(st, "support", 7, STORE_IMAP_QUARANTINE, &uids, &n) == 0 &&
			    n == 1 && uids[0] == 43);
		test_assert(store_imap_done(st, "support", 7, uids, n) == 0);
		free(uids);
		m.imap_pending = 1;
		m.ticket = 1;
	}
	test_end();

	test_begin("References: the first id and the latest ones, however long the thread");
	{
		char **ids = NULL, id[32];
		size_t n = 0, i;

		m.ticket = 2;
		m.uid = 0;
		for (i = 0; i < 15; i++) {
			snprintf(id, sizeof(id), "t2-%zu@x", i);
			m.message_id = id;
			m.sha256 = id;
			test_assert(store_message_add(st, &m, NULL) == 0);
		}
		test_assert(store_ticket_message_ids(st, 2, 10, &ids, &n) == 0 && n == 10);
		test_assert(n == 10 && strcmp(ids[0], "t2-0@x") == 0 && strcmp(ids[1], "t2-6@x") == 0 &&
			    strcmp(ids[9], "t2-14@x") == 0);
		strv_free(&ids, n);
		test_assert(store_ticket_message_ids(st, 1, 10, &ids, &n) == 0 && n == 1);
		strv_free(&ids, n);
	}
	test_end();

	test_begin("mailbox cursors");
	{
		unsigned int v, last;

		test_assert(store_cursor_get(st, "support", &v, &last) == 0 && v == 0 && last == 0);
		test_assert(store_cursor_set(st, "support", 7, 42) == 0);
		test_assert(store_cursor_get(st, "support", &v, &last) == 1 && v == 7 && last == 42);
	}
	test_end();
	store_close(&st);
}

/* A message per savepoint inside one transaction (intake's chunks). */
static void
test_savepoints(void)
{
	struct store *st = open_store();
	struct store_message m;
	unsigned int uids[] = { 100, 101, 102, 104, 105 }, *left = NULL;
	size_t n = 0;

	memset(&m, 0, sizeof(m));
	m.direction = "in";
	m.mailbox = "chunk";
	m.uidvalidity = 9;
	m.imap_pending = 1;
	m.at = 1000;
	m.raw = "raw";
	m.raw_len = 3;
	test_begin("a savepoint rolled back undoes its message only; the transaction goes on");
	test_assert(store_begin(st) == 0 && store_in_transaction(st));
	m.uid = 100;
	m.sha256 = "sp-100";
	test_assert(store_savepoint(st) == 0 && store_message_add(st, &m, NULL) == 0 &&
		    store_savepoint_release(st) == 0);
	m.uid = 101;
	m.sha256 = "sp-101";
	test_assert(store_savepoint(st) == 0 && store_message_add(st, &m, NULL) == 0 &&
		    store_savepoint_rollback(st) == 0);
	test_assert(store_in_transaction(st));
	test_assert(store_message_has_uid(st, "chunk", 9, 100) == 1);
	test_assert(store_message_has_uid(st, "chunk", 9, 101) == 0);
	m.uid = 102;
	m.sha256 = "sp-102";
	test_assert(store_savepoint(st) == 0 && store_message_add(st, &m, NULL) == 0 &&
		    store_savepoint_release(st) == 0);
	test_assert(store_commit(st) == 0 && !store_in_transaction(st));
	test_assert(store_message_has_uid(st, "chunk", 9, 100) == 1);
	test_assert(store_message_has_uid(st, "chunk", 9, 101) == 0);
	test_assert(store_message_has_uid(st, "chunk", 9, 102) == 1);
	test_end();

	test_begin("server actions done for runs of UIDs, in one commit");
	m.uid = 104;
	m.sha256 = "sp-104";
	test_assert(store_message_add(st, &m, NULL) == 0);
	m.uid = 105;
	m.sha256 = "sp-105";
	test_assert(store_message_add(st, &m, NULL) == 0);
	test_assert(store_imap_done(st, "chunk", 9, uids, 4) == 0);
	test_assert(store_imap_pending(st, "chunk", 9, STORE_IMAP_AFTER, &left, &n) == 0 && n == 1 && left[0] == 105);
	free(left);
	test_assert(store_imap_done(st, "chunk", 9, uids + 4, 1) == 0);
	test_assert(store_imap_pending(st, "chunk", 9, STORE_IMAP_AFTER, &left, &n) == 0 && n == 0);
	free(left);
	test_end();
	store_close(&st);
}

/* Intake's lazy commits: visible at once, made durable by a flush another thread may run. */
static void
test_lazy(void)
{
	struct store *st = open_store(), *other;
	struct store_message m;
	int fd;

	memset(&m, 0, sizeof(m));
	m.direction = "in";
	m.mailbox = "lazy";
	m.uidvalidity = 3;
	m.uid = 7;
	m.imap_pending = 1;
	m.at = 1000;
	m.sha256 = "lazy-7";
	m.raw = "raw";
	m.raw_len = 3;
	test_begin("a lazy commit is visible to other connections at once, and flushed");
	fd = store_flush_fd(st);
	test_assert(fd >= 0);
	test_assert(store_begin_lazy(st) == 0 && store_in_transaction(st));
	test_assert(store_message_add(st, &m, NULL) == 0 && store_commit(st) == 0);
	other = open_store();
	test_assert(store_message_has_uid(other, "lazy", 3, 7) == 1);
	store_close(&other);
	test_assert(store_flush(fd) == 0);
	close(fd);
	test_assert(store_sync(st) == 0);
	test_end();

	test_begin("after a lazy transaction, rolled back or committed, the next one is plain");
	test_assert(store_begin_lazy(st) == 0);
	store_rollback(st);
	test_assert(!store_in_transaction(st));
	test_assert(store_begin(st) == 0 && store_commit(st) == 0);
	test_end();

	test_begin("a failed flush is an I/O fault of the store, and says so");
	test_assert(store_flush(-1) != 0);
	store_flush_failed(st, EIO);
	test_assert(store_fault(st) == STORE_FAULT_IO);
	test_assert(strstr(store_error(st), "syncing the store's log") != NULL);
	test_end();

	test_begin("no flush descriptor for a deleted store: the fault says it is gone");
	remove_store();
	test_assert(store_flush_fd(st) < 0);
	test_assert(store_fault(st) == STORE_FAULT_GONE);
	test_assert(store_sync(st) < 0 && store_fault(st) == STORE_FAULT_GONE);
	test_end();
	store_close(&st);
}

static void
test_outbox(void)
{
	struct store *st = open_store();
	struct outbox_row *rows = NULL, row;
	size_t n = 0;
	long long id = 0;
	time_t next = 0;

	test_begin("outbox: queued, due, retried later, failed, requeued, sent");
	test_assert(store_outbox_add(st, 1, "comment", "support@x", "a@b.example", "m1@x",
				     "raw\r\n", 5, 1000, &id) == 0);
	test_assert(store_outbox_due(st, 999, 10, &rows, &n) == 0 && n == 0);
	outbox_rows_free(&rows, n);
	test_assert(store_outbox_due(st, 1000, 10, &rows, &n) == 0 && n == 1 &&
		    strcmp(rows[0].rcpt, "a@b.example") == 0 && rows[0].raw_len == 5);
	outbox_rows_free(&rows, n);
	test_assert(store_outbox_retry_later(st, id, "m1@x", 1, 1100, "451 later", 0) == 1);
	test_assert(store_outbox_next_due(st, &next) == 0 && next == 1100);
	test_assert(store_outbox_due(st, 1050, 10, &rows, &n) == 0 && n == 0);
	outbox_rows_free(&rows, n);
	test_assert(store_outbox_failed(st, id, "m1@x", 2, "550 no", 0) == 1);
	test_assert(store_outbox_list(st, 1, 10, &rows, &n) == 0 && n == 1 &&
		    strcmp(rows[0].status, "failed") == 0);
	outbox_rows_free(&rows, n);
	test_assert(store_outbox_requeue(st, id, 1200) == 1);
	test_assert(store_outbox_requeue(st, id, 1200) == 0);
	test_assert(store_outbox_sent(st, id, "m1@x", 3, 1201) == 1);
	test_assert(store_outbox_get(st, id, &row) == 1 && strcmp(row.status, "sent") == 0 &&
		    row.attempts == 3);
	outbox_row_release(&row);
	test_end();

	test_begin("outbox: a claimed row is in flight (sending), not due, and released by its result");
	test_assert(store_outbox_add(st, 1, "comment", "support@x", "c@b.example", "m2@x",
				     "raw\r\n", 5, 2000, &id) == 0);
	test_assert(store_outbox_claim(st, id, "host 1 2", 2000) == 1);
	test_assert(store_outbox_claim(st, id, "host 3 4", 2000) == 0);
	test_assert(store_outbox_due(st, 3000, 10, &rows, &n) == 0 && n == 0);
	outbox_rows_free(&rows, n);
	test_assert(store_outbox_next_due(st, &next) == 0 && next == 0);
	test_assert(store_outbox_get(st, id, &row) == 1 && strcmp(row.status, "sending") == 0 &&
		    strcmp(row.claimed_by, "host 1 2") == 0 && row.claimed_at == 2000);
	outbox_row_release(&row);
	test_assert(store_outbox_claimed(st, &rows, &n) == 0 && n == 1 && rows[0].id == id);
	outbox_rows_free(&rows, n);
	/* A late result for another store's row of the same id lands nowhere. */
	test_assert(store_outbox_sent(st, id, "other@x", 1, 2001) == 0);
	test_assert(store_outbox_unclaim(st, id, "host 9 9", 2100) == 0);
	test_assert(store_outbox_unclaim(st, id, "host 1 2", 2100) == 1);
	test_assert(store_outbox_get(st, id, &row) == 1 && strcmp(row.status, "queued") == 0 &&
		    row.claimed_by == NULL && row.doubt == 1 && row.attempts == 1 &&
		    row.next_attempt_at == 2100);
	outbox_row_release(&row);
	test_assert(store_outbox_claim(st, id, "host 1 5", 2100) == 1);
	test_assert(store_outbox_sent(st, id, "m2@x", 2, 2101) == 1);
	test_assert(store_outbox_claimed(st, &rows, &n) == 0 && n == 0);
	outbox_rows_free(&rows, n);
	test_end();
	store_close(&st);
}

static void
test_intake_failures(void)
{
	struct store *st = open_store();
	unsigned int uid = 99;
	int attempts = 0;

	test_begin("intake failures: counted per mailbox and UID, the lowest one, forgotten");
	test_assert(store_intake_failure_min(st, "support", 7, &uid) == 0 && uid == 0);
	test_assert(store_intake_failure_add(st, "support", 7, 12, "boom", 1000, &attempts) == 0 &&
		    attempts == 1);
	test_assert(store_intake_failure_add(st, "support", 7, 12, "boom again", 1001, &attempts) == 0 &&
		    attempts == 2);
	test_assert(store_intake_failure_add(st, "support", 7, 30, "other", 1002, &attempts) == 0 &&
		    attempts == 1);
	test_assert(store_intake_failure_add(st, "other", 7, 5, "elsewhere", 1002, &attempts) == 0);
	test_assert(store_intake_failure_min(st, "support", 7, &uid) == 0 && uid == 12);
	test_assert(store_intake_failure_min(st, "support", 8, &uid) == 0 && uid == 0);
	test_assert(store_intake_failure_clear(st, "support", 7, 12) == 0);
	test_assert(store_intake_failure_min(st, "support", 7, &uid) == 0 && uid == 30);
	test_end();
	store_close(&st);
}

static void
test_health(void)
{
	struct store *st = open_store();
	char moved[80];

	test_begin("store_check: the open store is fine; deleted, it says so and is not recreated");
	test_assert(store_check(st) == 0);
	test_assert(store_fault(st) == STORE_FAULT_NONE);
	snprintf(moved, sizeof(moved), "%s.moved", dbpath);
	test_assert(rename(dbpath, moved) == 0);
	test_assert(store_check(st) < 0);
	test_assert(store_fault(st) == STORE_FAULT_GONE);
	test_assert(strstr(store_error(st), "was deleted") != NULL);
	test_assert(store_reopen(st) < 0);
	test_assert(store_fault(st) == STORE_FAULT_GONE);
	test_assert(access(dbpath, F_OK) != 0);
	/* No connection: every call fails cleanly, as a fault. */
	test_assert(store_begin(st) < 0 && store_fault(st) != STORE_FAULT_NONE);
	test_end();

	test_begin("store_reopen: back at its path, the store is used again");
	test_assert(rename(moved, dbpath) == 0);
	test_assert(store_reopen(st) == 0);
	test_assert(store_check(st) == 0);
	test_assert(new_ticket(st) > 0);
	test_end();

	test_begin("store_check: another file at the path is a replaced store");
	test_assert(rename(dbpath, moved) == 0);
	raw_sql("CREATE TABLE x (y)");
	test_assert(store_check(st) < 0 && store_fault(st) == STORE_FAULT_GONE);
	test_assert(strstr(store_error(st), "was replaced") != NULL);
	test_assert(unlink(dbpath) == 0);
	test_assert(rename(moved, dbpath) == 0);
	test_end();
	store_close(&st);
}

static void
test_subjects(void)
{
	static const struct {
		const char *subject;
		long long first;
		size_t n;
	} cases[] = {
		{ "[SUP-12] Printer on fire", 12, 1 },
		{ "Re: AW: WG: [SUP-7] Hello", 7, 1 },
		{ "RE: [sup-7]", 7, 1 },
		{ "返信：【ＳＵＰ－１２３】レポート", 123, 1 },
		{ "［SUP-123］", 123, 1 },
		{ "about SUP-5 and [SUP-6]", 5, 2 },
		{ "SUPPORT-5", 0, 0 },
		{ "XSUP-5", 0, 0 },
		{ "SUP-5a", 0, 0 },
		{ "SUP-", 0, 0 },
		{ "", 0, 0 },
	};
	long long nums[ROUTE_MAX_NUMBERS];
	size_t i, n;
	char *s;

	test_begin("ticket numbers in subjects, full-width forms folded");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = route_subject_numbers(cases[i].subject, "SUP", nums, ROUTE_MAX_NUMBERS);
		if (n != cases[i].n || (n > 0 && nums[0] != cases[i].first)) {
			printf("#   '%s': %zu numbers, first %lld\n", cases[i].subject, n,
			       n > 0 ? nums[0] : 0);
			test_assert(0);
		}
	}
	test_end();

	test_begin("reply and forward prefixes are stripped in seven languages");
	s = route_strip_prefixes("Re: AW: WG: Antw: SV: VS: RV: TR: Fwd: FW: 回复：答复: 転送: 返信: Hello");
	test_assert_streq(s, "Hello");
	free(s);
	s = route_strip_prefixes("Re[2]: RE: hello");
	test_assert_streq(s, "hello");
	free(s);
	test_end();
}

static void
test_attachments(void)
{
	struct store *st = open_store();
	struct attachment a, got, *list = NULL;
	long long t = new_ticket(st), other = new_ticket(st), used = -1, blobs = 0;
	const char *sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
	char *data = NULL;
	size_t n = 0, len = 0;

	test_begin("attachment bytes are kept once per hash, numbered per ticket");
	test_assert(store_begin(st) == 0);
	test_assert(store_blob_put(st, sha, "hello", 5) == 0);
	test_assert(store_blob_put(st, sha, "hello", 5) == 0);
	memset(&a, 0, sizeof(a));
	a.ticket = t;
	a.filename = "hello.txt";
	a.content_type = "text/plain";
	a.size = 5;
	a.sha256 = (char *)sha;
	a.at = 1000;
	test_assert(store_attachment_add(st, &a) == 0 && a.number == 1);
	a.filename = "again.txt";
	a.sent_name = "../again.txt";
	a.role = "history";
	test_assert(store_attachment_add(st, &a) == 0 && a.number == 2);
	a.ticket = other;
	a.sent_name = NULL;
	a.role = NULL;
	test_assert(store_attachment_add(st, &a) == 0 && a.number == 1);
	/* dropped: name, size and hash, no bytes */
	a.ticket = t;
	a.filename = "dump.bin";
	a.size = 99999999;
	a.sha256 = "00000000000000000000000000000000000000000000000000000000000000ff";
	a.dropped = "over max_attachment_size";
	test_assert(store_attachment_add(st, &a) == 0 && a.number == 3);
	test_assert(store_commit(st) == 0);
	raw_sql("PRAGMA foreign_keys = ON");
	test_assert(store_blob_get(st, sha, &data, &len) == 1 && len == 5 &&
		    memcmp(data, "hello", 5) == 0);
	free(data);
	test_assert(store_blob_get(st, a.sha256, &data, &len) == 0);
	test_assert(store_attachment_list(st, t, &list, &n) == 0 && n == 3);
	if (n == 3) {
		test_assert_streq(list[0].filename, "hello.txt");
		test_assert(list[0].sent_name == NULL && list[0].dropped == NULL);
		test_assert_streq(list[0].role, "file");
		test_assert_streq(list[1].sent_name, "../again.txt");
		test_assert_streq(list[1].role, "history");
		test_assert_streq(list[2].dropped, "over max_attachment_size");
	}
	attachment_list_free(&list, n);
	test_assert(store_attachment_get(st, t, 3, &got) == 1 && got.size == 99999999);
	attachment_release(&got);
	test_assert(store_attachment_get(st, t, 4, &got) == 0);
	test_assert(store_attachment_get(st, other, 2, &got) == 0);
	test_end();

	test_begin("usage counts each kept hash once; dropped ones count nothing");
	test_assert(store_attachment_usage(st, t, &used) == 0 && used == 5);
	test_assert(store_attachment_has(st, t, sha) == 1);
	test_assert(store_attachment_has(st, t, a.sha256) == 0);
	test_assert(store_attachment_usage(st, new_ticket(st), &used) == 0 && used == 0);
	{
		sqlite3 *db;
		sqlite3_stmt *q;

		sqlite3_open(dbpath, &db);
		sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM blobs", -1, &q, NULL);
		if (sqlite3_step(q) == SQLITE_ROW)
			blobs = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	test_assert_inteq(blobs, 1);
	test_end();

	test_begin("a kept attachment needs its bytes (foreign key)");
	a.dropped = NULL;
	a.sha256 = "1111111111111111111111111111111111111111111111111111111111111111";
	test_assert(store_attachment_add(st, &a) < 0);
	test_end();
	store_close(&st);
}

int
main(void)
{
	snprintf(dbpath, sizeof(dbpath), "/tmp/test-store-%d.db", (int)getpid());
	test_schema();
	test_ticket_numbers();
	test_messages();
	test_savepoints();
	test_outbox();
	test_attachments();
	test_intake_failures();
	test_health();
	test_subjects();
	test_lazy();
	remove_store();
	return test_done();
}
