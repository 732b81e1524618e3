/*
 * ticketctl: the admin and agent command line (SPEC section 9).
 *
 * Thin: argument parsing and output; the work is in lib/.  The commands
 * live in ctl-*.c by family; this file has main(), the usage text, the
 * command table and the helpers they share (ctl.h).
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

#include "app.h"
#include "clock.h"
#include "conf.h"
#include "ctl.h"
#include "log.h"
#include "notify.h"
#include "store.h"
#include "xmalloc.h"

static const char usage_text[] =
	"usage: ticketctl [-c FILE] COMMAND [ARGS]\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE  configuration (default: $TICKETD_CONFIG, else " TICKETD_SYSCONFDIR "/ticketd.conf)\n"
	"  -h, --help         this help\n"
	"  -V, --version      print the version\n"
	"\n"
	"Mail:\n"
	"  inspect [--json] FILE...              parse only; no store needed\n"
	"  explain [--json] FILE                 what would happen and why; changes nothing\n"
	"  deliver [--mailbox NAME] < MESSAGE    the whole pipeline for one message; prints its fate line\n"
	"Tickets:\n"
	"  list [--status S] [--region R] [--json]\n"
	"  show [--json] SUP-N                   the ticket, its activity and each event's attachments\n"
	"  comment SUP-N --as AGENT (-m TEXT | -F FILE | -F -) [--attach FILE]... [--internal] [--json]\n"
	"                                        -m is --message; -F (--file): the text from a file\n"
	"                                        or stdin; each --attach goes to the customer with\n"
	"                                        the notification\n"
	"  attachment list SUP-N [--json]        the ticket's attachments (ID, size, type, name)\n"
	"  attachment get SUP-N ID [-o FILE|-] [-f] [--json]\n"
	"                                        the exact bytes, to FILE (- for stdout), else to\n"
	"                                        the attachment's safe name here (or in -o FOLDER);\n"
	"                                        -f (--force) overwrites; -o is --output\n"
	"  status SUP-N open|pending|resolved|closed\n"
	"  share|unshare SUP-N EMAIL\n"
	"  severity|priority SUP-N 1-4\n"
	"  assign SUP-N AGENT                    (these take --as AGENT to name who acts, and --json)\n"
	"  escalate SUP-N [--as AGENT]           raise the escalation level by one (Analyst ... VP)\n"
	"Registry:\n"
	"  org add NAME --plan PLAN --region REGION [--domain D]... [--auto-register]\n"
	"  contact add EMAIL --org NAME [--name NAME] [--lang LANG]\n"
	"  agent add EMAIL --name NAME [--level 0-4] [--region REGION]\n"
	"  org|contact|agent list [--json]      (contact list takes --org NAME)\n"
	"  org remove NAME | contact remove EMAIL | agent remove EMAIL\n"
	"  import contacts FILE.csv              header email,name,org,lang; all or nothing\n"
	"Outbox:\n"
	"  outbox [--failed] [--json]\n"
	"  outbox retry ID                       send a failed mail again\n"
	"Keys:\n"
	"  token rotate                          a new reply-token key version; older ones still verify\n"
	"SLA:\n"
	"  sla [--region R] [--since TIME] [--json]  open tickets on the clock; met/missed since TIME (default 30d)\n"
	"OAuth2:\n"
	"  oauth login NAME [--browser] [--port N]  first sign-in of mailbox NAME (or smtp): device code,\n"
	"                                        or a browser redirect to 127.0.0.1 (Google); stores the refresh token\n"
	"\n"
	"Exit status: 0 done, 1 failure, 2 bad usage, 75 temporary failure (retry later).\n";

static void
usage(FILE *f)
{
	fputs(usage_text, f);
}

int
ctl_die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ticketctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see ticketctl --help)\n");
	return EX_USAGE_;
}

int
ctl_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ticketctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return 1;
}

int
ctl_load_config(struct ctl *c)
{
	struct buf errors = BUF_INIT;

	if (c->conf != NULL)
		return 0;
	if (app_load_config(c->config_path, 0, clock_now(), &c->conf, &errors) < 0) {
		fputs(buf_str(&errors), stderr);
		buf_release(&errors);
		return -1;
	}
	buf_release(&errors);
	return 0;
}

int
ctl_open_store(struct ctl *c)
{
	char *error = NULL;

	if (ctl_load_config(c) < 0)
		return -1;
	if (c->st == NULL && app_open_store(c->conf, &c->st, &error) < 0) {
		fprintf(stderr, "ticketctl: %s\n", error);
		free(error);
		return -1;
	}
	return 0;
}

int
ctl_read_all(FILE *f, char **data_r, size_t *len_r, size_t max)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;

	for (n = fread(chunk, 1, sizeof(chunk), f); n > 0; n = fread(chunk, 1, sizeof(chunk), f)) {
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

int
ctl_read_file(const char *path, char **data_r, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	int rc;

	if (f == NULL)
		return -1;
	rc = ctl_read_all(f, data_r, len_r, CTL_MAX_READ);
	fclose(f);
	return rc;
}

void
ctl_print(struct buf *out)
{
	if (out->len > 0)
		fwrite(out->data, 1, out->len, stdout);
}

int
ctl_parse_opts(int argc, char **argv, struct opts *o, const char *allowed)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "status", required_argument, NULL, 's' },
		{ "region", required_argument, NULL, 'r' },
		{ "mailbox", required_argument, NULL, 'm' },
		{ "as", required_argument, NULL, 'a' },
		{ "message", required_argument, NULL, 'M' },
		{ "internal", no_argument, NULL, 'i' },
		{ "plan", required_argument, NULL, 'p' },
		{ "domain", required_argument, NULL, 'd' },
		{ "auto-register", no_argument, NULL, 'A' },
		{ "org", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "lang", required_argument, NULL, 'l' },
		{ "level", required_argument, NULL, 'L' },
		{ "failed", no_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 'S' },
		{ "file", required_argument, NULL, 'F' },
		{ "attach", required_argument, NULL, 'X' },
		{ "output", required_argument, NULL, 'O' },
		{ "force", no_argument, NULL, 'Y' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, idx = -1;

	memset(o, 0, sizeof(*o));
	optind = 0;	/* 0: glibc starts afresh (permutation state too) */
	opterr = 0;
	/*
	 * Short forms: -m TEXT (--message), -F FILE (--file), -o FILE
	 * (--output), -f (--force).  Options may follow operands (comment
	 * SUP-1 --as A -m T): getopt permutes.
	 */
	for (;;) {
		ch = getopt_long(argc, argv, "m:F:o:f", longopts, &idx);
		if (ch == -1)
			break;
		if (ch == 'm' && idx < 0)
			ch = 'M';
		else if (ch == 'o' && idx < 0)
			ch = 'O';
		else if (ch == 'f' && idx < 0)
			ch = 'Y';
		if (ch == ':' || ch == '?' || strchr(allowed, ch) == NULL) {
			ctl_die_usage("%s: option '%s' is not valid here", argv[0],
				      argv[optind - 1]);
			return -1;
		}
		idx = -1;
		switch (ch) {
		case 'j': o->json = 1; break;
		case 's': o->status = optarg; break;
		case 'r': o->region = optarg; break;
		case 'm': o->mailbox = optarg; break;
		case 'a': o->as = optarg; break;
		case 'M': o->message = optarg; break;
		case 'i': o->internal = 1; break;
		case 'p': o->plan = optarg; break;
		case 'd':
			if (o->n_domains == CTL_MAX_MULTI) {
				ctl_die_usage("at most %d --domain options", CTL_MAX_MULTI);
				return -1;
			}
			o->domains[o->n_domains++] = optarg;
			break;
		case 'A': o->auto_register = 1; break;
		case 'o': o->org = optarg; break;
		case 'n': o->name = optarg; break;
		case 'l': o->lang = optarg; break;
		case 'L': o->level = optarg; break;
		case 'f': o->failed = 1; break;
		case 'S': o->since = optarg; break;
		case 'F': o->text_file = optarg; break;
		case 'X':
			if (o->n_attach == CTL_MAX_MULTI) {
				ctl_die_usage("at most %d --attach options", CTL_MAX_MULTI);
				return -1;
			}
			o->attach[o->n_attach++] = optarg;
			break;
		case 'O': o->output = optarg; break;
		case 'Y': o->force = 1; break;
		}
	}
	return optind;
}

/* "SUP-12", "sup-12" or "12" → 12; 0 when not a ticket name. */
long long
ctl_parse_ticket(const struct conf *conf, const char *s)
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

void
ctl_kticket(struct json *j, const struct conf *conf, const char *key, long long number)
{
	char name[NOTIFY_TICKET_NAME_MAX];

	if (number == 0) {
		json_kstr(j, key, NULL);
		return;
	}
	notify_ticket_name(conf, number, name, sizeof(name));
	json_kstr(j, key, name);
}

void
ctl_ticket_json(struct json *j, const struct conf *conf, const struct ticket *t)
{
	ctl_kticket(j, conf, "ticket", t->number);
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
	ctl_kticket(j, conf, "previous", t->previous);
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
	{ "comment", cmd_comment },
	{ "attachment", cmd_attachment },
	{ "status", cmd_status },
	{ "share", cmd_share },
	{ "unshare", cmd_unshare },
	{ "severity", cmd_severity },
	{ "priority", cmd_priority },
	{ "assign", cmd_assign },
	{ "org", cmd_org },
	{ "contact", cmd_contact },
	{ "agent", cmd_agent },
	{ "import", cmd_import },
	{ "outbox", cmd_outbox },
	{ "token", cmd_token },
	{ "escalate", cmd_escalate },
	{ "sla", cmd_sla },
	{ "oauth", cmd_oauth },
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
			return ctl_die_usage("unknown option '%s'", argv[argi]);
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
		return ctl_die_usage("unknown command '%s'", argv[argi]);
	rc = commands[i].fn(&c, argc - argi, argv + argi);
	store_close(&c.st);
	conf_free(&c.conf);
	return rc;
}
