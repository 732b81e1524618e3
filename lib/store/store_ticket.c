/*
 * tickets: the ticket rows, and the SLA clock's view of them (open
 * tickets on the clock, the first response, met/missed counts).
 */
#include "store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define TICKET_COLS "number, subject, requester, requester_name, org_id, region, language, " \
	"severity, priority, status, level, assignee, created_at, updated_at, " \
	"first_response_at, due_at, sla_warned, sla_breached, previous"

static void
ticket_from_row(struct store *st, struct store_stmt *s, void *p)
{
	struct ticket *t = p;

	memset(t, 0, sizeof(*t));
	t->number = store_col_int(st, s, 0);
	t->subject = store_col_str(st, s, 1);
	t->requester = store_col_str(st, s, 2);
	t->requester_name = store_col_str(st, s, 3);
	t->org_id = store_col_int(st, s, 4);
	t->region = store_col_str(st, s, 5);
	t->language = store_col_str(st, s, 6);
	t->severity = (int)store_col_int(st, s, 7);
	t->priority = (int)store_col_int(st, s, 8);
	t->status = store_col_str(st, s, 9);
	t->level = (int)store_col_int(st, s, 10);
	t->assignee = store_col_str(st, s, 11);
	t->created_at = (time_t)store_col_int(st, s, 12);
	t->updated_at = (time_t)store_col_int(st, s, 13);
	t->first_response_at = (time_t)store_col_int(st, s, 14);
	t->due_at = (time_t)store_col_int(st, s, 15);
	t->sla_warned = (int)store_col_int(st, s, 16);
	t->sla_breached = (int)store_col_int(st, s, 17);
	t->previous = store_col_int(st, s, 18);
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
	struct store_stmt *s = store_query(st,
		"INSERT INTO tickets (subject, requester, requester_name, org_id, region, language, "
		"severity, priority, status, level, assignee, created_at, updated_at, "
		"first_response_at, due_at, previous) VALUES "
		"(?, ?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, 0), NULLIF(?, 0), NULLIF(?, 0))",
		"tttittiititiiiii", t->subject, t->requester, t->requester_name, t->org_id,
		t->region, t->language, (long long)t->severity, (long long)t->priority,
		t->status, (long long)t->level, t->assignee, (long long)t->created_at,
		(long long)t->created_at, (long long)t->first_response_at,
		(long long)t->due_at, t->previous);

	if (store_exec(st, s, "create ticket") < 0)
		return -1;
	t->number = store_last_id(st);
	t->updated_at = t->created_at;
	return 0;
}

int
store_ticket_get(struct store *st, long long number, struct ticket *t_r)
{
	struct store_stmt *s = store_query(st, "SELECT " TICKET_COLS " FROM tickets WHERE number = ?",
					   "i", number);
	int rc = store_step(st, s, "get ticket");

	if (rc == 1) {
		ticket_from_row(st, s, t_r);
		store_reset(st, s);
	}
	return rc;
}

int
store_ticket_update(struct store *st, const struct ticket *t)
{
	return store_exec(st, store_query(st,
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

/* The tickets a query selects, in its order. */
static int
collect_tickets(struct store *st, struct store_stmt *s, const char *what, struct ticket **list_r,
		size_t *n_r)
{
	void *list;
	int rc;

	rc = store_collect_rows(st, s, what, sizeof(struct ticket), ticket_from_row,
				ticket_release_v, &list, n_r);
	if (rc == 0)
		*list_r = list;
	return rc;
}

int
store_ticket_list(struct store *st, const char *status, const char *region,
		  struct ticket **list_r, size_t *n_r)
{
	return collect_tickets(st, store_query(st, "SELECT " TICKET_COLS " FROM tickets "
					       "WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR lower(region) = lower(?2)) "
					       "ORDER BY number DESC", "tt", status, region),
			       "list tickets", list_r, n_r);
}

void
ticket_list_free(struct ticket **list, size_t n)
{
	void *v = *list;

	store_free_rows(&v, n, sizeof(struct ticket), ticket_release_v);
	*list = NULL;
}

/* SLA clock */

/*
 * Open tickets whose first response is still due; ?1: a region or NULL.
 * status is "+status" where the walk must follow the primary key, not
 * the status index (which would sort every page again).
 */
#define SLA_OPEN(status) "SELECT " TICKET_COLS " FROM tickets " \
	"WHERE " status " IN ('new', 'open', 'pending') AND due_at IS NOT NULL " \
	"AND first_response_at IS NULL AND (?1 IS NULL OR lower(region) = lower(?1)) "

int
store_ticket_list_sla(struct store *st, const char *region, struct ticket **list_r, size_t *n_r)
{
	return collect_tickets(st, store_query(st, SLA_OPEN("status") "ORDER BY due_at, number", "t", region),
			       "list sla tickets", list_r, n_r);
}

int
store_ticket_list_sla_page(struct store *st, const char *region, long long after_number,
			   size_t limit, struct ticket **list_r, size_t *n_r)
{
	/* By number, the primary key: each page goes on from the last, no sort. */
	return collect_tickets(st, store_query(st, SLA_OPEN("+status") "AND number > ?2 ORDER BY number LIMIT ?3",
					       "tii", region, after_number, (long long)limit),
			       "list sla tickets", list_r, n_r);
}

int
store_ticket_set_first_response(struct store *st, long long number, time_t at)
{
	if (store_exec(st, store_query(st, "UPDATE tickets SET first_response_at = ?, "
				       "updated_at = MAX(updated_at, ?) "
				       "WHERE number = ? AND first_response_at IS NULL",
				       "iii", (long long)at, (long long)at, number), "first response") < 0)
		return -1;
	return store_changes(st) > 0 ? 1 : 0;
}

int
store_sla_counts(struct store *st, const char *region, time_t since, time_t now,
		 struct store_sla_counts *c_r)
{
	struct store_stmt *s = store_query(st, "SELECT "
		"COALESCE(SUM(first_response_at IS NOT NULL AND first_response_at <= due_at), 0), "
		"COALESCE(SUM(first_response_at > due_at OR (first_response_at IS NULL AND "
		"((status IN ('new', 'open', 'pending') AND due_at <= ?3) OR sla_breached = 1))), 0), "
		"COALESCE(SUM(first_response_at IS NULL AND due_at > ?3 "
		"AND status IN ('new', 'open', 'pending')), 0) "
		"FROM tickets WHERE due_at IS NOT NULL AND created_at >= ?2 "
		"AND (?1 IS NULL OR lower(region) = lower(?1))",
		"tii", region, (long long)since, (long long)now);
	int rc = store_step(st, s, "count sla");

	if (rc != 1)
		return -1;
	c_r->met = store_col_int(st, s, 0);
	c_r->missed = store_col_int(st, s, 1);
	c_r->running = store_col_int(st, s, 2);
	store_reset(st, s);
	return 0;
}
