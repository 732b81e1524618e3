/*
 * ticketctl: the admin and agent command line (SPEC section 9).
 *
 * Thin: argument parsing and output; the work is in lib/.
 * Exit status: 0 done, 1 failure (message on stderr), 2 bad usage,
 * 75 temporary failure (retry later).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "clock.h"
#include "conf.h"
#include "ingest.h"
#include "inspect.h"
#include "json.h"
#include "log.h"
#include "mime.h"
#include "store.h"
#include "xmalloc.h"

#define EX_USAGE_ 2
#define EX_TEMPFAIL_ 75
#define DELIVER_MAX_READ (256 * 1024 * 1024)   /* never hold more than this from stdin */

struct ctl {
	const char *config_path;
	struct conf *conf;
	struct store *st;
};

static const char usage_text[] =
	"usage: ticketctl [-c FILE] COMMAND [ARGS]\n"
	"\n"
	"Config: -c FILE, else $TICKETD_CONFIG, else " TICKETD_SYSCONFDIR "/ticketd.conf\n"
	"\n"
	"Commands:\n"
	"  inspect [--json] FILE...              parse only; no store needed\n"
	"  explain [--json] FILE                 what would happen and why; changes nothing\n"
	"  deliver [--mailbox NAME] < MESSAGE    the whole pipeline for one message; prints its fate line\n"
	"  list [--status S] [--region R] [--json]\n"
	"  show [--json] SUP-N\n"
	"\n"
	"Exit status: 0 done, 1 failure, 2 bad usage, 75 temporary failure (retry later).\n";

static void
usage(FILE *f)
{
	fputs(usage_text, f);
}

static int
die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ticketctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	return EX_USAGE_;
}

static int
load_config(struct ctl *c)
{
	struct buf errors = BUF_INIT;

	if (c->conf != NULL)
		return 0;
	if (app_load_config(c->config_path, &c->conf, &errors) < 0) {
		fputs(buf_str(&errors), stderr);
		buf_release(&errors);
		return -1;
	}
	buf_release(&errors);
	return 0;
}

static int
open_store(struct ctl *c)
{
	if (load_config(c) < 0)
		return -1;
	if (c->st == NULL && app_open_store(c->conf, &c->st) < 0)
		return -1;
	return 0;
}

static int
read_all(FILE *f, char **data_r, size_t *len_r, size_t max)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > max) {
			buf_release(&b);
			errno = EFBIG;
			return -1;
		}
		buf_add(&b, chunk, n);
	}
	if (ferror(f)) {
		buf_release(&b);
		return -1;
	}
	*data_r = buf_detach(&b, len_r);
	return 0;
}

static int
read_file(const char *path, char **data_r, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	int rc;

	if (f == NULL)
		return -1;
	rc = read_all(f, data_r, len_r, DELIVER_MAX_READ);
	fclose(f);
	return rc;
}

/* Options shared by most commands: --json and the command's own. */
struct opts {
	int json;
	const char *status;
	const char *region;
	const char *mailbox;
};

static int
parse_opts(int argc, char **argv, struct opts *o, const char *allowed)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "status", required_argument, NULL, 's' },
		{ "region", required_argument, NULL, 'r' },
		{ "mailbox", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (ch == '?' || strchr(allowed, ch) == NULL) {
			fprintf(stderr, "ticketctl %s: option not valid here\n", argv[0]);
			return -1;
		}
		switch (ch) {
		case 'j': o->json = 1; break;
		case 's': o->status = optarg; break;
		case 'r': o->region = optarg; break;
		case 'm': o->mailbox = optarg; break;
		}
	}
	return optind;
}

static const char *
ticket_prefix(struct ctl *c)
{
	struct buf errors = BUF_INIT;

	/* inspect needs no configuration; use its prefix when there is one. */
	if (c->conf == NULL && access(c->config_path, R_OK) == 0)
		app_load_config(c->config_path, &c->conf, &errors);
	buf_release(&errors);
	return c->conf != NULL ? c->conf->ticket_prefix : "SUP";
}

static int
cmd_inspect(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct buf out = BUF_INIT;
	struct mime_msg *m;
	const char *prefix;
	char *raw;
	size_t len;
	int i, first, rc = 0;

	first = parse_opts(argc, argv, &o, "j");
	if (first < 0)
		return EX_USAGE_;
	if (first >= argc)
		return die_usage("%s needs at least one FILE", "inspect");
	prefix = ticket_prefix(c);
	for (i = first; i < argc; i++) {
		if (read_file(argv[i], &raw, &len) < 0) {
			fprintf(stderr, "ticketctl: unable to read '%s': %s\n", argv[i], strerror(errno));
			rc = 1;
			continue;
		}
		m = mime_parse(raw, len, NULL);
		buf_reset(&out);
		if (o.json) {
			inspect_json(&out, argv[i], m, prefix);
			buf_addc(&out, '\n');
		} else {
			inspect_text(&out, argv[i], m, prefix);
			if (i + 1 < argc)
				buf_addc(&out, '\n');
		}
		fwrite(out.data, 1, out.len, stdout);
		mime_msg_free(&m);
		free(raw);
	}
	buf_release(&out);
	return rc;
}

static int
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

	if (parse_opts(argc, argv, &o, "m") != argc)
		return die_usage("%s takes the message on standard input", "deliver");
	if (open_store(c) < 0)
		return EX_TEMPFAIL_;
	if (o.mailbox != NULL && (mb = conf_mailbox(c->conf, o.mailbox)) == NULL) {
		fprintf(stderr, "ticketctl: no mailbox '%s' in %s\n", o.mailbox, c->config_path);
		return EX_USAGE_;
	}
	if (read_all(stdin, &raw, &len, DELIVER_MAX_READ) < 0) {
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
	free(res.line);
	ingest_release(&in);
	free(raw);
	return rc == INGEST_OK ? 0 : EX_TEMPFAIL_;
}

static int
cmd_explain(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct ingest in;
	struct ingest_source src;
	struct decision d;
	struct mime_msg *m;
	struct mime_limits limits;
	struct buf out = BUF_INIT;
	struct json j;
	char *raw, *error = NULL, name[64];
	size_t len;
	int first;

	first = parse_opts(argc, argv, &o, "jm");
	if (first < 0)
		return EX_USAGE_;
	if (first + 1 != argc)
		return die_usage("%s needs exactly one FILE", "explain");
	if (open_store(c) < 0)
		return 1;
	if (read_file(argv[first], &raw, &len) < 0) {
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
	m = mime_parse(raw, len, &limits);
	if (ingest_decide(&in, m, &src, &d, &error) < 0) {
		fprintf(stderr, "ticketctl: %s\n", error);
		free(error);
		mime_msg_free(&m);
		ingest_release(&in);
		free(raw);
		return 1;
	}
	name[0] = '\0';
	if (d.ticket != 0)
		snprintf(name, sizeof(name), "%s-%lld", c->conf->ticket_prefix, d.ticket);
	if (o.json) {
		json_init(&j, &out);
		json_obj_begin(&j);
		json_kstr(&j, "file", argv[first]);
		json_kstr(&j, "fate", d.fate);
		json_kstr(&j, "rule", d.rule);
		json_kstr(&j, "ticket", d.ticket != 0 ? name : NULL);
		if (d.cited != 0) {
			char cited[64];

			snprintf(cited, sizeof(cited), "%s-%lld", c->conf->ticket_prefix, d.cited);
			json_kstr(&j, "cited", cited);
		} else {
			json_kstr(&j, "cited", NULL);
		}
		json_key(&j, "autorespond");
		json_bool(&j, d.autorespond);
		json_kstr(&j, "reason", d.reason);
		json_kstr(&j, "kind", mime_kind_name(m->kind));
		json_kstr(&j, "requester", d.requester);
		json_kstr(&j, "region", d.region);
		json_kstr(&j, "language", d.language);
		json_kint_or_null(&j, "severity", d.severity);
		json_kint_or_null(&j, "priority", d.priority);
		json_obj_end(&j);
		buf_addc(&out, '\n');
	} else {
		buf_addf(&out, "fate:        %s\n", d.fate);
		buf_addf(&out, "rule:        %s\n", d.rule);
		buf_addf(&out, "ticket:      %s\n", d.ticket != 0 ? name : "(new)");
		buf_addf(&out, "why:         %s\n", d.reason);
		buf_addf(&out, "kind:        %s\n", mime_kind_name(m->kind));
		buf_addf(&out, "autorespond: %s\n", d.autorespond ? "yes" : "no");
		if (d.requester != NULL)
			buf_addf(&out, "new ticket:  requester=%s region=%s lang=%s sev=%d pri=%d\n",
				 d.requester, d.region, d.language, d.severity, d.priority);
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	decision_release(&d);
	mime_msg_free(&m);
	ingest_release(&in);
	free(raw);
	return 0;
}

/* "SUP-12", "sup-12" or "12" → 12; 0 when not a ticket name. */
static long long
parse_ticket(const struct conf *conf, const char *s)
{
	size_t plen = strlen(conf->ticket_prefix);
	char *end;
	long long n;

	if (strncasecmp(s, conf->ticket_prefix, plen) == 0 && s[plen] == '-')
		s += plen + 1;
	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0)
		return 0;
	return n;
}

static void
ticket_json(struct json *j, const struct conf *conf, const struct ticket *t)
{
	char name[64];

	snprintf(name, sizeof(name), "%s-%lld", conf->ticket_prefix, t->number);
	json_kstr(j, "ticket", name);
	json_kstr(j, "subject", t->subject);
	json_key(j, "requester");
	json_obj_begin(j);
	json_kstr(j, "name", t->requester_name);
	json_kstr(j, "address", t->requester);
	json_obj_end(j);
	json_kstr(j, "status", t->status);
	json_kint(j, "severity", t->severity);
	json_kint(j, "priority", t->priority);
	json_kstr(j, "region", t->region);
	json_kstr(j, "language", t->language);
	json_kint(j, "level", t->level);
	json_kstr(j, "assignee", t->assignee);
	json_ktime(j, "created_at", t->created_at);
	json_ktime(j, "updated_at", t->updated_at);
	json_ktime(j, "first_response_at", t->first_response_at);
	json_ktime(j, "due_at", t->due_at);
	if (t->previous != 0) {
		snprintf(name, sizeof(name), "%s-%lld", conf->ticket_prefix, t->previous);
		json_kstr(j, "previous", name);
	} else {
		json_kstr(j, "previous", NULL);
	}
}

static int
cmd_list(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct ticket *list;
	struct buf out = BUF_INIT;
	struct json j;
	char ts[32];
	size_t n, i;

	if (parse_opts(argc, argv, &o, "jsr") != argc)
		return die_usage("%s takes only options", "list");
	if (open_store(c) < 0)
		return 1;
	if (store_ticket_list(c->st, o.status, o.region, &list, &n) < 0) {
		fprintf(stderr, "ticketctl: %s\n", store_error(c->st));
		return 1;
	}
	if (o.json) {
		json_init(&j, &out);
		json_arr_begin(&j);
		for (i = 0; i < n; i++) {
			json_obj_begin(&j);
			ticket_json(&j, c->conf, &list[i]);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		buf_addc(&out, '\n');
	} else {
		for (i = 0; i < n; i++) {
			clock_format(list[i].created_at, ts, sizeof(ts));
			buf_addf(&out, "%s-%-6lld %-8s sev%d pri%d %-5s %-2s %s  %s  %s\n",
				 c->conf->ticket_prefix, list[i].number, list[i].status,
				 list[i].severity, list[i].priority, list[i].region, list[i].language,
				 ts, list[i].requester, list[i].subject);
		}
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	ticket_list_free(&list, n);
	return 0;
}

static int
cmd_show(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct ticket t;
	struct event *ev = NULL;
	char **parts = NULL, ts[32];
	size_t n_ev = 0, n_parts = 0, i;
	struct buf out = BUF_INIT;
	struct json j;
	long long number;
	int first, rc;

	first = parse_opts(argc, argv, &o, "j");
	if (first < 0)
		return EX_USAGE_;
	if (first + 1 != argc)
		return die_usage("%s needs one ticket, e.g. SUP-12", "show");
	if (open_store(c) < 0)
		return 1;
	number = parse_ticket(c->conf, argv[first]);
	if (number == 0)
		return die_usage("'%s' is not a ticket number", argv[first]);
	rc = store_ticket_get(c->st, number, &t);
	if (rc == 0) {
		fprintf(stderr, "ticketctl: no ticket %s\n", argv[first]);
		return 1;
	}
	if (rc < 0 || store_event_list(c->st, number, &ev, &n_ev) < 0 ||
	    store_participant_list(c->st, number, &parts, &n_parts) < 0) {
		fprintf(stderr, "ticketctl: %s\n", store_error(c->st));
		if (rc > 0)
			ticket_release(&t);
		return 1;
	}
	if (o.json) {
		json_init(&j, &out);
		json_obj_begin(&j);
		ticket_json(&j, c->conf, &t);
		json_key(&j, "participants");
		json_arr_begin(&j);
		for (i = 0; i < n_parts; i++)
			json_str(&j, parts[i]);
		json_arr_end(&j);
		json_key(&j, "activity");
		json_arr_begin(&j);
		for (i = 0; i < n_ev; i++) {
			json_obj_begin(&j);
			json_ktime(&j, "at", ev[i].at);
			json_kstr(&j, "type", ev[i].type);
			json_kstr(&j, "actor", ev[i].actor);
			json_key(&j, "public");
			json_bool(&j, ev[i].public);
			json_kstr(&j, "body", ev[i].body);
			json_kstr(&j, "data", ev[i].data);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		buf_addc(&out, '\n');
	} else {
		buf_addf(&out, "%s-%lld  %s\n", c->conf->ticket_prefix, t.number, t.subject);
		buf_addf(&out, "requester:  %s%s%s%s\n", t.requester_name != NULL ? t.requester_name : "",
			 t.requester_name != NULL ? " <" : "", t.requester,
			 t.requester_name != NULL ? ">" : "");
		buf_addf(&out, "status:     %s   severity %d   priority %d   level %d\n",
			 t.status, t.severity, t.priority, t.level);
		buf_addf(&out, "region:     %s   language %s\n", t.region, t.language);
		clock_format(t.created_at, ts, sizeof(ts));
		buf_addf(&out, "created:    %s\n", ts);
		if (t.assignee != NULL)
			buf_addf(&out, "assignee:   %s\n", t.assignee);
		for (i = 0; i < n_parts; i++)
			buf_addf(&out, "shared with: %s\n", parts[i]);
		buf_addf(&out, "activity:\n");
		for (i = 0; i < n_ev; i++) {
			clock_format(ev[i].at, ts, sizeof(ts));
			buf_addf(&out, "  %s  %-10s %s%s%s%s\n", ts, ev[i].type,
				 ev[i].actor != NULL ? ev[i].actor : "", ev[i].public ? "" : " (internal)",
				 ev[i].data != NULL ? "  " : "", ev[i].data != NULL ? ev[i].data : "");
			if (ev[i].body != NULL && ev[i].body[0] != '\0') {
				const char *p = ev[i].body, *nl;

				for (; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
					nl = strchr(p, '\n');
					if (nl == NULL)
						nl = p + strlen(p);
					buf_addf(&out, "      %.*s\n", (int)(nl - p), p);
				}
			}
		}
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	event_list_free(&ev, n_ev);
	strv_free(&parts, n_parts);
	ticket_release(&t);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
} commands[] = {
	{ "inspect", cmd_inspect },
	{ "explain", cmd_explain },
	{ "deliver", cmd_deliver },
	{ "list", cmd_list },
	{ "show", cmd_show },
};

int
main(int argc, char **argv)
{
	struct ctl c;
	size_t i;
	int rc, argi = 1;

	memset(&c, 0, sizeof(c));
	while (argi < argc && argv[argi][0] == '-') {
		if ((strcmp(argv[argi], "-c") == 0 || strcmp(argv[argi], "--config") == 0) && argi + 1 < argc) {
			c.config_path = argv[argi + 1];
			argi += 2;
		} else if (strcmp(argv[argi], "-h") == 0 || strcmp(argv[argi], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[argi], "-V") == 0 || strcmp(argv[argi], "--version") == 0) {
			printf("ticketctl %s\n", TICKETD_VERSION);
			return 0;
		} else {
			return die_usage("unknown option '%s'", argv[argi]);
		}
	}
	if (argi >= argc) {
		usage(stderr);
		return EX_USAGE_;
	}
	if (strcmp(argv[argi], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (c.config_path == NULL)
		c.config_path = app_default_config();
	/* Fate and send lines go to stderr for a CLI; the store records them too. */
	log_open(NULL, LOG_LEVEL_WARN, NULL);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[argi], commands[i].name) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		return die_usage("unknown command '%s'", argv[argi]);
	rc = commands[i].fn(&c, argc - argi, argv + argi);
	store_close(&c.st);
	conf_free(&c.conf);
	return rc;
}
