/* ctl-mail.c: inspect, explain, deliver. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "clock.h"
#include "conf.h"
#include "ctl.h"
#include "decide.h"
#include "ingest.h"
#include "inspect.h"
#include "json.h"
#include "mail.h"
#include "notify.h"
#include "store.h"
#include "xmalloc.h"

static const char *
ticket_prefix(struct ctl *c)
{
	struct buf errors = BUF_INIT;

	/* inspect needs no configuration; use its prefix when there is one. */
	if (c->conf == NULL && access(c->config_path, R_OK) == 0)
		app_load_config(c->config_path, 0, clock_now(), &c->conf, &errors);
	buf_release(&errors);
	return c->conf != NULL ? c->conf->ticket_prefix : "SUP";
}

int
cmd_inspect(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct buf out = BUF_INIT;
	struct mail m;
	const char *prefix;
	char *raw;
	size_t len;
	int i, first, rc = 0;

	first = ctl_parse_opts(argc, argv, &o, "j");
	if (first < 0)
		return EX_USAGE_;
	if (first >= argc)
		return ctl_die_usage("%s needs at least one FILE", "inspect");
	prefix = ticket_prefix(c);
	for (i = first; i < argc; i++) {
		if (ctl_read_file(argv[i], &raw, &len) < 0) {
			fprintf(stderr, "ticketctl: unable to read '%s': %s\n", argv[i], strerror(errno));
			rc = 1;
			continue;
		}
		mail_read(&m, raw, len, NULL);
		buf_reset(&out);
		if (o.json) {
			inspect_json(&out, argv[i], &m, prefix);
			buf_addc(&out, '\n');
		} else {
			inspect_text(&out, argv[i], &m, prefix);
			if (i + 1 < argc)
				buf_addc(&out, '\n');
		}
		fwrite(out.data, 1, out.len, stdout);
		mail_release(&m);
		free(raw);
	}
	buf_release(&out);
	return rc;
}

int
cmd_deliver(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct ingest in;
	struct ingest_source src;
	struct ingest_result res;
	const struct conf_mailbox *mb = NULL;
	char *raw = NULL, *error = NULL;
	size_t len;
	int rc;

	if (ctl_parse_opts(argc, argv, &o, "m") != argc)
		return ctl_die_usage("%s takes the message on standard input", "deliver");
	if (ctl_open_store(c) < 0)
		return EX_TEMPFAIL_;
	mb = o.mailbox != NULL ? conf_mailbox(c->conf, o.mailbox) : NULL;
	if (o.mailbox != NULL && mb == NULL) {
		fprintf(stderr, "ticketctl: no mailbox '%s' in %s\n", o.mailbox, c->config_path);
		return EX_USAGE_;
	}
	if (ctl_read_all(stdin, &raw, &len, CTL_MAX_READ) < 0) {
		fprintf(stderr, "ticketctl: unable to read the message: %s\n", strerror(errno));
		return errno == EFBIG ? 1 : EX_TEMPFAIL_;
	}
	if (ingest_init(&in, c->conf, c->st, &error) < 0) {
		fprintf(stderr, "ticketctl: %s\n", error);
		free(error);
		free(raw);
		return EX_TEMPFAIL_;
	}
	memset(&src, 0, sizeof(src));
	src.mailbox = mb != NULL ? mb->name : "deliver";
	src.region = mb != NULL ? mb->region : NULL;
	src.language = mb != NULL ? mb->language : NULL;
	rc = ingest_message(&in, raw, len, &src, &res);
	printf("%s\n", res.line);
	ingest_result_release(&res);
	ingest_release(&in);
	free(raw);
	return rc == INGEST_OK ? 0 : EX_TEMPFAIL_;
}

int
cmd_explain(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct ingest in;
	struct ingest_source src;
	struct decision d;
	struct mail m;
	struct mime_limits limits;
	struct buf out = BUF_INIT;
	struct json j;
	char *raw, *error = NULL, name[NOTIFY_TICKET_NAME_MAX];
	size_t len;
	int first;

	first = ctl_parse_opts(argc, argv, &o, "jm");
	if (first < 0)
		return EX_USAGE_;
	if (first + 1 != argc)
		return ctl_die_usage("%s needs exactly one FILE", "explain");
	if (ctl_open_store(c) < 0)
		return 1;
	if (ctl_read_file(argv[first], &raw, &len) < 0) {
		fprintf(stderr, "ticketctl: unable to read '%s': %s\n", argv[first], strerror(errno));
		return 1;
	}
	if (ingest_init(&in, c->conf, c->st, &error) < 0) {
		fprintf(stderr, "ticketctl: %s\n", error);
		free(error);
		free(raw);
		return 1;
	}
	memset(&src, 0, sizeof(src));
	src.mailbox = o.mailbox != NULL ? o.mailbox : "deliver";
	if (o.mailbox != NULL && conf_mailbox(c->conf, o.mailbox) != NULL) {
		src.region = conf_mailbox(c->conf, o.mailbox)->region;
		src.language = conf_mailbox(c->conf, o.mailbox)->language;
	}
	limits.max_size = c->conf->max_message_size;
	mail_read(&m, raw, len, &limits);
	if (decide_message(&in, &m, &src, &d, &error) < 0) {
		fprintf(stderr, "ticketctl: %s\n", error);
		free(error);
		mail_release(&m);
		ingest_release(&in);
		free(raw);
		return 1;
	}
	name[0] = '\0';
	if (d.ticket != 0)
		notify_ticket_name(c->conf, d.ticket, name, sizeof(name));
	if (o.json) {
		json_init(&j, &out);
		json_obj_begin(&j);
		json_kstr(&j, "file", argv[first]);
		json_kstr(&j, "fate", d.fate);
		json_kstr(&j, "rule", d.rule);
		ctl_kticket(&j, c->conf, "ticket", d.ticket);
		ctl_kticket(&j, c->conf, "cited", d.cited);
		json_key(&j, "autorespond");
		json_bool(&j, d.autorespond);
		json_kstr(&j, "reason", d.reason);
		json_kstr(&j, "kind", mime_kind_name(m.cls.kind));
		json_kstr(&j, "requester", d.requester);
		json_kstr(&j, "region", d.region);
		json_kstr(&j, "language", d.language);
		json_kint_or_null(&j, "severity", d.severity);
		json_kint_or_null(&j, "priority", d.priority);
		json_kstr(&j, "token", d.token);
		json_kstr(&j, "auth", d.auth != AUTHRES_OFF ? authres_verdict_name(d.auth) : NULL);
		json_kstr(&j, "auth_results", d.auth != AUTHRES_OFF ? d.auth_why : NULL);
		json_obj_end(&j);
		buf_addc(&out, '\n');
	} else {
		buf_addf(&out, "fate:        %s\n", d.fate);
		buf_addf(&out, "rule:        %s\n", d.rule);
		buf_addf(&out, "ticket:      %s\n", d.ticket != 0 ? name : "(new)");
		buf_addf(&out, "why:         %s\n", d.reason);
		buf_addf(&out, "kind:        %s\n", mime_kind_name(m.cls.kind));
		buf_addf(&out, "autorespond: %s\n", d.autorespond ? "yes" : "no");
		if (d.token != NULL)
			buf_addf(&out, "token:       %s\n", d.token);
		if (d.auth != AUTHRES_OFF)
			buf_addf(&out, "sender:      %s (%s)\n", authres_verdict_name(d.auth), d.auth_why);
		if (d.requester != NULL)
			buf_addf(&out, "new ticket:  requester=%s region=%s lang=%s sev=%d pri=%d\n",
				 d.requester, d.region, d.language, d.severity, d.priority);
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	decision_release(&d);
	mail_release(&m);
	ingest_release(&in);
	free(raw);
	return 0;
}

