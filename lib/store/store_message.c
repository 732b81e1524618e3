/*
 * messages: every inbound and outbound message with its raw bytes;
 * duplicates, threads, IMAP UIDs and their pending server actions.
 */
#include "store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/*
 * The index key of a Message-ID: FNV-1a, 63 bits (an SQLite integer of 8
 * bytes, never negative).  Every lookup compares the Message-ID itself
 * too, so a collision, even a contrived one, costs a row read, never a
 * wrong answer; a key of 0 is stored as NULL and found as a row from
 * before keys.
 */
static long long
message_key(const char *id)
{
	unsigned long long h = 14695981039346656037ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)id; *p != '\0'; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return (long long)(h >> 1);
}

/*
 * The rows with a Message-ID, whether stored with its key or from
 * before keys (then by the Message-ID's own partial index): a UNION ALL
 * of both, with cond after each (an OR would scan the table).
 * ?1 the key, ?2 the Message-ID.
 */
#define BY_MESSAGE_ID(cols, cond) \
	"SELECT " cols " FROM messages WHERE message_key = ?1 AND message_id = ?2 " cond \
	" UNION ALL SELECT " cols " FROM messages WHERE message_key IS NULL AND message_id = ?2 " cond

int
store_message_add(struct store *st, const struct store_message *m, long long *id_r)
{
	struct store_stmt *s = store_query(st,
		"INSERT INTO messages (ticket, direction, message_id, message_key, sha256, "
		"content_sha256, mailbox, uidvalidity, uid, imap_pending, fate, rule, sender, "
		"subject, at, raw) VALUES "
		"(NULLIF(?, 0), ?, ?, NULLIF(?, 0), ?, ?, ?, NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?, ?, "
		"?, ?, ?)",
		"ittitttiiittttib", m->ticket, m->direction, m->message_id,
		m->message_id != NULL ? message_key(m->message_id) : 0LL, m->sha256,
		m->content_sha256, m->mailbox,
		(long long)m->uidvalidity, (long long)m->uid, (long long)m->imap_pending,
		m->fate, m->rule, m->sender, m->subject, (long long)m->at,
		m->raw != NULL ? m->raw : "", m->raw_len);

	if (store_exec(st, s, "add message") < 0)
		return -1;
	if (id_r != NULL)
		*id_r = store_last_id(st);
	return 0;
}

int
store_message_is_duplicate(struct store *st, const char *message_id, const char *sha256,
			   const char *content_sha256, long long *ticket_r)
{
	struct store_stmt *s;
	int rc;

	/*
	 * The same content, or for rows stored before content hashes the
	 * same raw bytes; without a Message-ID the hash alone decides, among
	 * the rows without one (the content hash covers the field).
	 */
	if (message_id != NULL)
		s = store_query(st, BY_MESSAGE_ID("COALESCE(ticket, 0)", "AND direction = 'in' "
				"AND (content_sha256 = ?3 OR (content_sha256 IS NULL AND sha256 = ?4))")
				" LIMIT 1", "ittt", message_key(message_id), message_id,
				content_sha256, sha256);
	else
		/* Two branches, each on its partial index (an OR would scan the table). */
		s = store_query(st, "SELECT COALESCE(ticket, 0) FROM messages WHERE direction = 'in' "
				"AND message_id IS NULL AND content_sha256 = ? UNION ALL "
				"SELECT COALESCE(ticket, 0) FROM messages WHERE direction = 'in' "
				"AND message_id IS NULL AND content_sha256 IS NULL AND sha256 = ? "
				"LIMIT 1", "tt", content_sha256, sha256);
	rc = store_step(st, s, "find duplicate");
	if (rc == 1) {
		if (ticket_r != NULL)
			*ticket_r = store_col_int(st, s, 0);
		store_reset(st, s);
	}
	return rc;
}

int
store_message_ticket(struct store *st, const char *message_id, long long *ticket_r)
{
	struct store_stmt *s = store_query(st, "SELECT ticket FROM (" BY_MESSAGE_ID("ticket, id",
					   "AND ticket IS NOT NULL") ") ORDER BY id DESC LIMIT 1", "it",
					   message_key(message_id), message_id);
	int rc = store_step(st, s, "find message");

	if (rc == 1) {
		*ticket_r = store_col_int(st, s, 0);
		store_reset(st, s);
	}
	return rc;
}

int
store_message_is_outbound(struct store *st, const char *message_id)
{
	struct store_stmt *s = store_query(st, BY_MESSAGE_ID("1", "AND direction = 'out'")
					   " LIMIT 1", "it", message_key(message_id), message_id);
	int rc = store_step(st, s, "find outbound message");

	if (rc == 1)
		store_reset(st, s);
	return rc;
}

int
store_message_has_uid(struct store *st, const char *mailbox, unsigned int uidvalidity,
		      unsigned int uid)
{
	struct store_stmt *s = store_query(st, "SELECT 1 FROM messages WHERE mailbox = ? AND uidvalidity = ? "
					   "AND uid = ? LIMIT 1", "tii", mailbox, (long long)uidvalidity,
					   (long long)uid);
	int rc = store_step(st, s, "find uid");

	if (rc == 1)
		store_reset(st, s);
	return rc;
}

int
store_imap_pending(struct store *st, const char *mailbox, unsigned int uidvalidity, int action,
		   unsigned int **uids_r, size_t *n_r)
{
	struct store_stmt *s = store_query(st, "SELECT uid FROM messages WHERE mailbox = ? AND imap_pending = ? "
					   "AND imap_pending > 0 AND uidvalidity = ? ORDER BY uid", "tii",
					   mailbox, (long long)action, (long long)uidvalidity);
	unsigned int *uids = NULL;
	size_t n = 0;
	int rc;

	for (rc = store_step(st, s, "pending uids"); rc == 1; rc = store_step(st, s, "pending uids")) {
		uids = xrealloc(uids, (n + 1) * sizeof(*uids));
		uids[n++] = (unsigned int)store_col_int(st, s, 0);
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
	int own = !store_in_transaction(st), rc = 0;
	size_t i = 0, j;

	if (n == 0)
		return 0;
	/* One commit for them all: they are only marks (a lost one means a second \Seen). */
	if (own && store_begin(st) < 0)
		return -1;
	while (i < n && rc == 0) {
		for (j = i; j + 1 < n && uids[j + 1] == uids[j] + 1; j++)
			;
		rc = store_exec(st, store_query(st, "UPDATE messages SET imap_pending = 0 WHERE mailbox = ? "
						"AND uidvalidity = ? AND uid BETWEEN ? AND ? AND imap_pending > 0",
						"tiii", mailbox, (long long)uidvalidity, (long long)uids[i],
						(long long)uids[j]), "imap done");
		i = j + 1;
	}
	if (!own)
		return rc;
	if (rc < 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

int
store_ticket_message_ids(struct store *st, long long ticket, size_t max, char ***ids_r,
			 size_t *n_r)
{
	return store_collect_strings(st, store_query(st,
		"SELECT message_id FROM ("
		"  SELECT * FROM (SELECT id, message_id FROM messages WHERE ticket = ?1"
		"    AND message_id IS NOT NULL ORDER BY id LIMIT 1)"
		"  UNION"
		"  SELECT * FROM (SELECT id, message_id FROM messages WHERE ticket = ?1"
		"    AND message_id IS NOT NULL ORDER BY id DESC LIMIT ?2)"
		") ORDER BY id", "ii", ticket, (long long)(max > 1 ? max - 1 : 1)),
		"message ids", ids_r, n_r);
}

int
store_message_set_ticket(struct store *st, long long id, long long ticket)
{
	return store_exec(st, store_query(st, "UPDATE messages SET ticket = NULLIF(?, 0) WHERE id = ?",
					  "ii", ticket, id), "set message ticket");
}
