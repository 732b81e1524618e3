/* ctl-admin.c: org, contact, agent, import contacts, outbox, token. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "clock.h"
#include "conf.h"
#include "ctl.h"
#include "json.h"
#include "notify.h"
#include "store.h"
#include "tmpl.h"
#include "token.h"
#include "xmalloc.h"

#define CTL_OUTBOX_LIST_MAX 1000        /* rows `outbox` shows, newest first */

/* The exit status for an admin_* result; prints the error. */
static int
admin_status(struct ctl *c, enum admin_rc rc, char *error)
{
	int status = 0;

	switch (rc) {
	case ADMIN_OK:
		break;
	case ADMIN_INVALID:
		status = ctl_die_usage("%s", error != NULL ? error : "invalid input");
		break;
	case ADMIN_REFUSED:
		status = ctl_fail("%s", error != NULL ? error : "refused");
		break;
	case ADMIN_ERROR:
		status = ctl_fail("%s", error != NULL ? error : "store error");
		if (store_error_is_temporary(c->st))
			status = EX_TEMPFAIL_;
		break;
	}
	free(error);
	return status;
}

static int
store_fail(struct ctl *c)
{
	return ctl_fail("%s", store_error(c->st));
}

/* "contact|agent remove EMAIL": remove is the store function (1 removed, 0 not there). */
static int
remove_one(struct ctl *c, int argc, char **argv, const char *what,
	   int (*remove)(struct store *, const char *))
{
	struct opts o;
	int first, rc;

	first = ctl_parse_opts(argc, argv, &o, "");
	if (first < 0)
		return EX_USAGE_;
	if (first + 1 != argc)
		return ctl_die_usage("usage: %s remove EMAIL", what);
	if (ctl_open_store(c) < 0)
		return 1;
	rc = remove(c->st, argv[first]);
	if (rc < 0)
		return store_fail(c);
	if (rc == 0)
		return ctl_fail("no %s '%s'", what, argv[first]);
	printf("removed %s %s\n", what, argv[first]);
	return 0;
}

/* ---- org ---- */

static int
org_add(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct org org;
	enum admin_rc rc;
	char *error = NULL;
	int first, status;

	first = ctl_parse_opts(argc, argv, &o, "prdA");
	if (first < 0)
		return EX_USAGE_;
	if (first + 1 != argc)
		return ctl_die_usage("usage: org add NAME --plan PLAN --region REGION [--domain D]... "
				     "[--auto-register]");
	if (o.plan == NULL || o.region == NULL)
		return ctl_die_usage("org add needs --plan PLAN and --region REGION");
	if (ctl_open_store(c) < 0)
		return 1;
	memset(&org, 0, sizeof(org));
	org.name = argv[first];
	org.plan = (char *)o.plan;
	org.region = (char *)o.region;
	org.auto_register = o.auto_register;
	org.domains = (char **)o.domains;
	org.n_domains = o.n_domains;
	rc = admin_org_add(c->conf, c->st, &org, &error);
	status = admin_status(c, rc, error);
	if (status == 0)
		printf("added organisation %s\n", argv[first]);
	return status;
}

static int
org_list(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct org *list;
	struct buf out = BUF_INIT;
	struct json j;
	long long n_contacts;
	size_t n, i, k;

	if (ctl_parse_opts(argc, argv, &o, "j") != argc)
		return ctl_die_usage("usage: org list [--json]");
	if (ctl_open_store(c) < 0)
		return 1;
	if (store_org_list(c->st, &list, &n) < 0)
		return store_fail(c);
	json_init(&j, &out);
	if (o.json)
		json_arr_begin(&j);
	for (i = 0; i < n; i++) {
		if (store_org_count_contacts(c->st, list[i].id, &n_contacts) < 0) {
			org_list_free(&list, n);
			buf_release(&out);
			return store_fail(c);
		}
		if (o.json) {
			json_obj_begin(&j);
			json_kstr(&j, "name", list[i].name);
			json_kstr(&j, "plan", list[i].plan);
			json_kstr(&j, "region", list[i].region);
			json_key(&j, "auto_register");
			json_bool(&j, list[i].auto_register);
			json_key(&j, "domains");
			json_arr_begin(&j);
			for (k = 0; k < list[i].n_domains; k++)
				json_str(&j, list[i].domains[k]);
			json_arr_end(&j);
			json_kint(&j, "contacts", n_contacts);
			json_obj_end(&j);
			continue;
		}
		buf_addf(&out, "%-24s %-10s %-5s contacts=%lld%s", list[i].name, list[i].plan,
			 list[i].region, n_contacts, list[i].auto_register ? " auto-register" : "");
		for (k = 0; k < list[i].n_domains; k++)
			buf_addf(&out, "%s%s", k == 0 ? " domains=" : ",", list[i].domains[k]);
		buf_addc(&out, '\n');
	}
	if (o.json) {
		json_arr_end(&j);
		buf_addc(&out, '\n');
	}
	ctl_print(&out);
	buf_release(&out);
	org_list_free(&list, n);
	return 0;
}

static int
org_remove(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	enum admin_rc rc;
	char *error = NULL;
	int first, status;

	first = ctl_parse_opts(argc, argv, &o, "");
	if (first < 0)
		return EX_USAGE_;
	if (first + 1 != argc)
		return ctl_die_usage("usage: org remove NAME");
	if (ctl_open_store(c) < 0)
		return 1;
	rc = admin_org_remove(c->st, argv[first], &error);
	status = admin_status(c, rc, error);
	if (status == 0)
		printf("removed organisation %s\n", argv[first]);
	return status;
}

/* ---- contact ---- */

static int
contact_add(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	enum admin_rc rc;
	char *error = NULL;
	int first, status;

	first = ctl_parse_opts(argc, argv, &o, "onl");
	if (first < 0)
		return EX_USAGE_;
	if (first + 1 != argc)
		return ctl_die_usage("usage: contact add EMAIL --org NAME [--name NAME] [--lang LANG]");
	if (o.org == NULL)
		return ctl_die_usage("contact add needs --org NAME");
	if (ctl_open_store(c) < 0)
		return 1;
	rc = admin_contact_add(c->conf, c->st, argv[first], o.org, o.name, o.lang, 0, &error);
	status = admin_status(c, rc, error);
	if (status == 0)
		printf("added contact %s\n", argv[first]);
	return status;
}

static int
contact_list(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct contact *list;
	struct buf out = BUF_INIT;
	struct json j;
	size_t n, i;

	if (ctl_parse_opts(argc, argv, &o, "jo") != argc)
		return ctl_die_usage("usage: contact list [--org NAME] [--json]");
	if (ctl_open_store(c) < 0)
		return 1;
	if (store_contact_list(c->st, o.org, &list, &n) < 0)
		return store_fail(c);
	json_init(&j, &out);
	if (o.json)
		json_arr_begin(&j);
	for (i = 0; i < n; i++) {
		if (o.json) {
			json_obj_begin(&j);
			json_kstr(&j, "email", list[i].email);
			json_kstr(&j, "name", list[i].name);
			json_kstr(&j, "org", list[i].org_name);
			json_kstr(&j, "language", list[i].language);
			json_kstr(&j, "undeliverable", list[i].undeliverable);
			json_obj_end(&j);
			continue;
		}
		buf_addf(&out, "%-32s %-24s %-3s %s", list[i].email,
			 list[i].org_name != NULL ? list[i].org_name : "-",
			 list[i].language != NULL ? list[i].language : "-",
			 list[i].name != NULL ? list[i].name : "");
		if (list[i].undeliverable != NULL)
			buf_addf(&out, "  [undeliverable: %s]", list[i].undeliverable);
		buf_addc(&out, '\n');
	}
	if (o.json) {
		json_arr_end(&j);
		buf_addc(&out, '\n');
	}
	ctl_print(&out);
	buf_release(&out);
	contact_list_free(&list, n);
	return 0;
}

static int
contact_remove(struct ctl *c, int argc, char **argv)
{
	return remove_one(c, argc, argv, "contact", store_contact_remove);
}

/* ---- agent ---- */

static int
agent_add(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	enum admin_rc rc;
	char *error = NULL;
	int first, status, level = 0;

	first = ctl_parse_opts(argc, argv, &o, "nLr");
	if (first < 0)
		return EX_USAGE_;
	if (first + 1 != argc)
		return ctl_die_usage("usage: agent add EMAIL --name NAME [--level 0-4] [--region REGION]");
	if (o.name == NULL)
		return ctl_die_usage("agent add needs --name NAME");
	if (o.level != NULL) {
		if (o.level[0] < '0' || o.level[0] > '4' || o.level[1] != '\0')
			return ctl_die_usage("--level must be 0-4 (0 Analyst … 4 VP), not '%s'", o.level);
		level = o.level[0] - '0';
	}
	if (ctl_open_store(c) < 0)
		return 1;
	rc = admin_agent_add(c->conf, c->st, argv[first], o.name, level, o.region, &error);
	status = admin_status(c, rc, error);
	if (status == 0)
		printf("added agent %s\n", argv[first]);
	return status;
}

static int
agent_list(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct agent *list;
	struct buf out = BUF_INIT;
	struct json j;
	size_t n, i;

	if (ctl_parse_opts(argc, argv, &o, "j") != argc)
		return ctl_die_usage("usage: agent list [--json]");
	if (ctl_open_store(c) < 0)
		return 1;
	if (store_agent_list(c->st, &list, &n) < 0)
		return store_fail(c);
	json_init(&j, &out);
	if (o.json)
		json_arr_begin(&j);
	for (i = 0; i < n; i++) {
		if (o.json) {
			json_obj_begin(&j);
			json_kstr(&j, "email", list[i].email);
			json_kstr(&j, "name", list[i].name);
			json_kint(&j, "level", list[i].level);
			json_kstr(&j, "level_name", tmpl_label("en", "level", list[i].level));
			json_kstr(&j, "region", list[i].region);
			json_obj_end(&j);
			continue;
		}
		buf_addf(&out, "%-32s level=%d %-5s %s\n", list[i].email, list[i].level,
			 list[i].region != NULL ? list[i].region : "-", list[i].name);
	}
	if (o.json) {
		json_arr_end(&j);
		buf_addc(&out, '\n');
	}
	ctl_print(&out);
	buf_release(&out);
	agent_list_free(&list, n);
	return 0;
}

static int
agent_remove(struct ctl *c, int argc, char **argv)
{
	return remove_one(c, argc, argv, "agent", store_agent_remove);
}

/* ---- org|contact|agent add|list|remove ---- */

struct sub {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
};

/* argv[0] the family, argv[1] the subcommand (which becomes the parser's argv[0]). */
static int
dispatch(struct ctl *c, int argc, char **argv, const struct sub *subs, size_t n)
{
	size_t i;

	if (argc < 2)
		return ctl_die_usage("usage: %s add|list|remove ...", argv[0]);
	for (i = 0; i < n; i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(c, argc - 1, argv + 1);
	return ctl_die_usage("%s: unknown subcommand '%s' (add, list or remove)", argv[0], argv[1]);
}

int
cmd_org(struct ctl *c, int argc, char **argv)
{
	static const struct sub subs[] = {
		{ "add", org_add }, { "list", org_list }, { "remove", org_remove },
	};

	return dispatch(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]));
}

int
cmd_contact(struct ctl *c, int argc, char **argv)
{
	static const struct sub subs[] = {
		{ "add", contact_add }, { "list", contact_list }, { "remove", contact_remove },
	};

	return dispatch(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]));
}

int
cmd_agent(struct ctl *c, int argc, char **argv)
{
	static const struct sub subs[] = {
		{ "add", agent_add }, { "list", agent_list }, { "remove", agent_remove },
	};

	return dispatch(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]));
}

/* ---- import contacts FILE.csv ---- */

int
cmd_import(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct buf errors = BUF_INIT;
	enum admin_rc rc;
	char *data;
	size_t len, n;
	int first, status = 0;

	first = ctl_parse_opts(argc, argv, &o, "");
	if (first < 0)
		return EX_USAGE_;
	if (first + 2 != argc || strcmp(argv[first], "contacts") != 0)
		return ctl_die_usage("usage: import contacts FILE.csv");
	if (ctl_open_store(c) < 0)
		return 1;
	if (ctl_read_file(argv[first + 1], &data, &len) < 0)
		return ctl_fail("unable to read '%s': %s", argv[first + 1], strerror(errno));
	rc = admin_import_contacts(c->conf, c->st, argv[first + 1], data, len, &n, &errors);
	free(data);
	if (rc == ADMIN_OK) {
		printf("imported %zu contact%s from %s\n", n, n == 1 ? "" : "s", argv[first + 1]);
	} else {
		fputs(buf_str(&errors), stderr);
		status = ctl_fail("nothing imported from '%s'", argv[first + 1]);
		if (rc == ADMIN_ERROR && store_error_is_temporary(c->st))
			status = EX_TEMPFAIL_;
	}
	buf_release(&errors);
	return status;
}

/* ---- outbox [--failed] [--json] | outbox retry ID ---- */

static int
outbox_retry(struct ctl *c, int argc, char **argv)
{
	struct outbox_row row;
	char *end;
	long long id;
	int rc;

	if (argc != 3)
		return ctl_die_usage("usage: outbox retry ID");
	errno = 0;
	id = strtoll(argv[2], &end, 10);
	if (errno != 0 || *end != '\0' || end == argv[2] || id <= 0)
		return ctl_die_usage("'%s' is not an outbox id (see: ticketctl outbox --failed)",
				     argv[2]);
	if (ctl_open_store(c) < 0)
		return 1;
	rc = store_outbox_get(c->st, id, &row);
	if (rc < 0)
		return store_fail(c);
	if (rc == 0)
		return ctl_fail("no outbox row %lld", id);
	if (strcmp(row.status, "failed") != 0) {
		rc = ctl_fail("outbox row %lld is %s, not failed", id, row.status);
		outbox_row_release(&row);
		return rc;
	}
	outbox_row_release(&row);
	rc = store_outbox_requeue(c->st, id, clock_now());
	if (rc < 0)
		return store_fail(c);
	if (rc == 0)
		return ctl_fail("outbox row %lld is no longer failed", id);
	printf("outbox row %lld queued again\n", id);
	return 0;
}

static void
outbox_row_json(struct json *j, const struct conf *conf, const struct outbox_row *r)
{
	json_obj_begin(j);
	json_kint(j, "id", r->id);
	ctl_kticket(j, conf, "ticket", r->ticket);
	json_kstr(j, "kind", r->kind);
	json_kstr(j, "to", r->rcpt);
	json_kstr(j, "message_id", r->message_id);
	json_kstr(j, "status", r->status);
	json_kint(j, "attempts", r->attempts);
	json_ktime(j, "created_at", r->created_at);
	json_ktime(j, "next_attempt_at", strcmp(r->status, "queued") == 0 ? r->next_attempt_at : 0);
	json_ktime(j, "sent_at", r->sent_at);
	json_kstr(j, "last_error", r->last_error);
	json_obj_end(j);
}

int
cmd_outbox(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct outbox_row *rows;
	struct buf out = BUF_INIT;
	struct json j;
	char ts[CLOCK_TEXT_MAX], name[NOTIFY_TICKET_NAME_MAX];
	size_t n, i;

	if (argc >= 2 && strcmp(argv[1], "retry") == 0)
		return outbox_retry(c, argc, argv);
	if (ctl_parse_opts(argc, argv, &o, "jf") != argc)
		return ctl_die_usage("usage: outbox [--failed] [--json] | outbox retry ID");
	if (ctl_open_store(c) < 0)
		return 1;
	if (store_outbox_list(c->st, o.failed, CTL_OUTBOX_LIST_MAX, &rows, &n) < 0)
		return store_fail(c);
	json_init(&j, &out);
	if (o.json)
		json_arr_begin(&j);
	for (i = 0; i < n; i++) {
		const struct outbox_row *r = &rows[i];

		if (o.json) {
			outbox_row_json(&j, c->conf, r);
			continue;
		}
		name[0] = '-';
		name[1] = '\0';
		if (r->ticket != 0)
			notify_ticket_name(c->conf, r->ticket, name, sizeof(name));
		clock_format(strcmp(r->status, "sent") == 0 ? r->sent_at :
			     strcmp(r->status, "queued") == 0 ? r->next_attempt_at : r->created_at,
			     ts, sizeof(ts));
		buf_addf(&out, "%-6lld %-6s %-9s %-12s %-32s tries=%d %s %s", r->id, r->status, name,
			 r->kind, r->rcpt, r->attempts,
			 strcmp(r->status, "queued") == 0 ? "next" :
			 strcmp(r->status, "sent") == 0 ? "sent" : "queued", ts);
		if (r->last_error != NULL)
			buf_addf(&out, "  error: %s", r->last_error);
		buf_addc(&out, '\n');
	}
	if (o.json) {
		json_arr_end(&j);
		buf_addc(&out, '\n');
	} else if (n == CTL_OUTBOX_LIST_MAX) {
		buf_addf(&out, "(only the newest %d rows are shown)\n", CTL_OUTBOX_LIST_MAX);
	}
	ctl_print(&out);
	buf_release(&out);
	outbox_rows_free(&rows, n);
	return 0;
}

/* token rotate: a new reply-token key version; every older one still verifies. */
int
cmd_token(struct ctl *c, int argc, char **argv)
{
	unsigned int version = 0;
	char *error = NULL;
	int rc;

	if (argc != 2 || strcmp(argv[1], "rotate") != 0)
		return ctl_die_usage("usage: token rotate");
	if (ctl_open_store(c) < 0)
		return 1;
	if (token_key_rotate(c->st, c->conf->hmac_key_file, &version, &error) < 0) {
		rc = ctl_fail("%s", error);
		free(error);
		return store_error_is_temporary(c->st) ? EX_TEMPFAIL_ : rc;
	}
	printf("reply token key version %u made: new mail gets its tokens (a running ticketd "
	       "after SIGHUP); versions 1-%u still verify\n", version, version - 1);
	return 0;
}
