#include "health.h"

#include <string.h>

#include "backoff.h"
#include "clock.h"
#include "log.h"

void
health_init(struct health *h, struct store *st, struct health_board *board, const char *who)
{
	memset(h, 0, sizeof(*h));
	h->st = st;
	h->board = board;
	h->who = who;
}

/* A fault only a new connection can clear (the old one points at a dead file). */
static int
needs_reopen(enum store_fault f)
{
	return f == STORE_FAULT_GONE || f == STORE_FAULT_READONLY || f == STORE_FAULT_IO ||
		f == STORE_FAULT_CORRUPT;
}

int
health_failed(struct health *h)
{
	enum store_fault f = store_fault(h->st);
	time_t now = clock_now();
	struct logkv kv;
	int first;

	if (f == STORE_FAULT_NONE)
		return 0;
	h->failures++;
	h->retry_at = now + backoff_delay(h->failures, 1, HEALTH_BACKOFF_MAX);
	h->retrying = 0;
	h->fault = f;
	if (h->down)
		return 1;
	h->down = 1;
	h->since = now;
	first = h->board == NULL || atomic_fetch_add(&h->board->down, 1) == 0;
	logkv_init(&kv);
	logkv_str(&kv, "event", "unavailable");
	logkv_str(&kv, "fault", store_fault_name(f));
	logkv_str(&kv, "by", h->who);
	logkv_str(&kv, "error", store_error(h->st));
	logkv_str(&kv, "action", "intake, flagging and sending stopped; retrying with backoff");
	log_kv(first ? LOG_LEVEL_ERROR : LOG_LEVEL_DEBUG, "store", &kv);
	return 1;
}

int
health_check(struct health *h)
{
	if (store_check(h->st) == 0)
		return 0;
	health_failed(h);
	return -1;
}

int
health_ok(struct health *h)
{
	int rc;

	if (!h->down || h->retrying)
		return 1;
	if (clock_now() < h->retry_at)
		return 0;
	rc = needs_reopen(h->fault) ? store_reopen(h->st) : store_check(h->st);
	if (rc < 0) {
		health_failed(h);
		log_debug("store", "event=retry_failed error=\"%s\"", store_error(h->st));
		return 0;
	}
	h->retrying = 1;
	return 1;
}

void
health_succeeded(struct health *h)
{
	struct logkv kv;
	int last;

	if (!h->down)
		return;
	last = h->board == NULL || atomic_fetch_sub(&h->board->down, 1) == 1;
	logkv_init(&kv);
	logkv_str(&kv, "event", "recovered");
	logkv_str(&kv, "fault", store_fault_name(h->fault));
	logkv_str(&kv, "by", h->who);
	logkv_int(&kv, "after_s", (long long)(clock_now() - h->since));
	log_kv(last ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, "store", &kv);
	h->down = 0;
	h->retrying = 0;
	h->failures = 0;
	h->fault = STORE_FAULT_NONE;
}

void
health_release(struct health *h)
{
	if (h->down && h->board != NULL)
		atomic_fetch_sub(&h->board->down, 1);
	h->down = 0;
}
