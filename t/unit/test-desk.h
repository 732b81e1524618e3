/*
 * test-desk.h: a desk to test lib/desk against, for the unit tests of
 * decide, notify, outbox and token: a configuration written into a fresh
 * temporary folder, the real templates of conf/templates, a real store
 * (SQLite in that folder), and struct ingest (reply-token key, SLA
 * calendars, notify) as the daemon makes it.
 *
 *   struct desk d;
 *   desk_open(&d, "test-decide", "reopen_closed = no\n", "[region X]\n…");
 *   …
 *   desk_close(&d);
 */
#ifndef TICKETD_TEST_DESK_H
#define TICKETD_TEST_DESK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ingest.h"
#include "store.h"
#include "xmalloc.h"

struct desk {
	char dir[128];
	struct conf *conf;
	struct store *st;
	struct ingest in;
};

static inline const char *
desk_src(void)
{
	const char *s = getenv("TICKETD_SRC");

	return s != NULL ? s : "..";
}

/* dir/name (caller frees). */
static inline char *
desk_path(const struct desk *d, const char *name)
{
	return xasprintf("%s/%s", d->dir, name);
}

/*
 * A desk in /tmp/NAME.XXXXXX: [general] with the database there, the
 * templates of conf/templates, support@example.com, then general (more
 * [general] lines) and sections (whole sections) as given.  Bails out
 * when anything fails.
 */
static inline void
desk_open(struct desk *d, const char *name, const char *general, const char *sections)
{
	struct buf errors = BUF_INIT;
	char *path, *error = NULL;
	FILE *f;

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "/tmp/%s.XXXXXX", name);
	if (mkdtemp(d->dir) == NULL) {
		printf("Bail out! mkdtemp %s\n", d->dir);
		exit(1);
	}
	path = desk_path(d, "ticketd.conf");
	f = fopen(path, "w");
	if (f == NULL) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	fprintf(f, "[general]\ndatabase = %s/ticketd.db\ntemplates = %s/conf/templates\n"
		"support_address = support@example.com\nsupport_name = Example Support\n%s\n%s",
		d->dir, desk_src(), general != NULL ? general : "", sections != NULL ? sections : "");
	fclose(f);
	if (conf_load(path, &d->conf, &errors) < 0) {
		printf("Bail out! conf_load: %s\n", buf_str(&errors));
		exit(1);
	}
	buf_release(&errors);
	free(path);
	if (store_open(d->conf->database, &d->st, &error) < 0 ||
	    ingest_init(&d->in, d->conf, d->st, &error) < 0) {
		printf("Bail out! %s\n", error);
		exit(1);
	}
}

static inline void
desk_close(struct desk *d)
{
	static const char *const files[] = {
		"ticketd.conf", "ticketd.db", "ticketd.db-wal", "ticketd.db-shm", NULL
	};
	char *path;
	size_t i;

	ingest_release(&d->in);
	store_close(&d->st);
	conf_free(&d->conf);
	for (i = 0; files[i] != NULL; i++) {
		path = desk_path(d, files[i]);
		unlink(path);
		free(path);
	}
	rmdir(d->dir);
}

/* A registered organisation; its id. */
static inline long long
desk_org(struct desk *d, const char *name, const char *plan, const char *region,
	 const char *domain, int auto_register)
{
	struct org o;
	char *domains[1];
	long long id = 0;

	memset(&o, 0, sizeof(o));
	o.name = (char *)name;
	o.plan = (char *)plan;
	o.region = (char *)region;
	o.auto_register = auto_register;
	if (domain != NULL) {
		domains[0] = (char *)domain;
		o.domains = domains;
		o.n_domains = 1;
	}
	if (store_org_add(d->st, &o, &id) < 0) {
		printf("Bail out! org: %s\n", store_error(d->st));
		exit(1);
	}
	return id;
}

static inline void
desk_contact(struct desk *d, const char *email, long long org_id, const char *lang)
{
	struct contact c;

	memset(&c, 0, sizeof(c));
	c.email = (char *)email;
	c.org_id = org_id;
	c.language = (char *)lang;
	if (store_contact_add(d->st, &c, NULL) < 0) {
		printf("Bail out! contact: %s\n", store_error(d->st));
		exit(1);
	}
}

static inline void
desk_agent(struct desk *d, const char *email, const char *name)
{
	struct agent a;

	memset(&a, 0, sizeof(a));
	a.email = (char *)email;
	a.name = (char *)name;
	if (store_agent_add(d->st, &a, NULL) < 0) {
		printf("Bail out! agent: %s\n", store_error(d->st));
		exit(1);
	}
}

/* A ticket of requester (org_id 0: none) in status, created at; its number. */
static inline long long
desk_ticket(struct desk *d, const char *requester, long long org_id, const char *status,
	    time_t at)
{
	struct ticket t;

	memset(&t, 0, sizeof(t));
	t.subject = (char *)"printer on fire";
	t.requester = (char *)requester;
	t.org_id = org_id;
	t.region = (char *)d->conf->default_region;
	t.language = (char *)"en";
	t.severity = 3;
	t.priority = 3;
	t.status = (char *)status;
	t.created_at = at;
	if (store_ticket_create(d->st, &t) < 0) {
		printf("Bail out! ticket: %s\n", store_error(d->st));
		exit(1);
	}
	return t.number;
}

/* Outbox rows to rcpt of kind (NULL: any), and the newest one's raw text in *raw_r. */
static inline int
desk_outbox_count(struct desk *d, const char *rcpt, const char *kind, char **raw_r)
{
	struct outbox_row *rows;
	size_t n, i;
	int count = 0;

	if (raw_r != NULL)
		*raw_r = NULL;
	if (store_outbox_list(d->st, 0, 10000, &rows, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].rcpt, rcpt) != 0 || (kind != NULL && strcmp(rows[i].kind, kind) != 0))
			continue;
		if (count == 0 && raw_r != NULL)
			*raw_r = xstrdup(rows[i].raw);
		count++;
	}
	outbox_rows_free(&rows, n);
	return count;
}

#endif
