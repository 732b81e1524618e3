/* ctl-agent.c: comment, status, share, unshare, severity, priority, assign. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "actions.h"
#include "attach.h"
#include "compose.h"
#include "conf.h"
#include "ctl.h"
#include "notify.h"
#include "sla.h"
#include "store.h"
#include "token.h"
#include "utf8.h"
#include "xmalloc.h"

/* What every agent command needs: the store, the reply-token key, the actions. */
struct agent_cmd {
	struct token_key key;
	struct notify notify;
	struct actions actions;
	struct sla *sla;
	long long ticket;
	const char *actor;      /* --as, checked; NULL: the support desk */
	int json;               /* --json: the result as one JSON object */
	const struct attach_set *files;  /* comment --attach: what was recorded */
};

static void
agent_cmd_release(struct agent_cmd *x)
{
	token_key_wipe(&x->key);
	sla_free(&x->sla);
}

/*
 * Open the store and check the ticket operand and --as.  0, or the exit
 * status to return.
 */
static int
agent_cmd_open(struct ctl *c, struct agent_cmd *x, const char *ticket, const char *as)
{
	struct agent ag;
	char *error = NULL;
	int rc;

	memset(x, 0, sizeof(*x));
	if (ctl_open_store(c) < 0)
		return 1;
	x->ticket = ctl_parse_ticket(c->conf, ticket);
	if (x->ticket == 0)
		return ctl_die_usage("'%s' is not a ticket number, e.g. %s-12", ticket,
				     c->conf->ticket_prefix);
	if (as != NULL) {
		rc = store_agent_get(c->st, as, &ag);
		if (rc < 0)
			return ctl_fail("%s", store_error(c->st));
		if (rc == 0)
			return ctl_fail("'%s' is not a registered agent (see: ticketctl agent list)", as);
		agent_release(&ag);
		x->actor = as;
	}
	if (token_key_load(&x->key, c->st, c->conf->hmac_key_file, &error) < 0) {
		rc = ctl_fail("%s", error);
		free(error);
		return rc;
	}
	x->sla = sla_new(c->conf, &error);
	if (x->sla == NULL) {
		rc = ctl_fail("%s", error);
		free(error);
		token_key_wipe(&x->key);
		return rc;
	}
	x->notify.conf = c->conf;
	x->notify.st = c->st;
	x->notify.key = &x->key;
	x->notify.sla = x->sla;
	actions_init(&x->actions, &x->notify, x->sla, 0);
	return 0;
}

/* --json: {"ticket", "result", "detail", "queued", "skipped"[, "event", "attachments"]}. */
static void
agent_cmd_json(struct ctl *c, const struct agent_cmd *x, enum action_rc rc,
	       const struct action_report *rep)
{
	struct buf out = BUF_INIT;
	struct json j;
	struct attachment a;
	size_t i;

	json_init(&j, &out);
	json_obj_begin(&j);
	ctl_kticket(&j, c->conf, "ticket", x->ticket);
	json_kstr(&j, "result", rc == ACTION_DONE ? "done" : "unchanged");
	json_kstr(&j, "detail", rep->detail[0] != '\0' ? rep->detail : NULL);
	json_kint(&j, "queued", rep->queued);
	json_kint(&j, "skipped", rep->skipped);
	if (rep->event != 0)
		json_kint(&j, "event", rep->event);
	if (x->files != NULL) {
		/* as the store has them now */
		json_key(&j, "attachments");
		json_arr_begin(&j);
		for (i = 0; i < x->files->n; i++) {
			if (store_attachment_get(c->st, x->ticket, x->files->v[i].number, &a) != 1)
				continue;
			ctl_attachment_json(&j, &a);
			attachment_release(&a);
		}
		json_arr_end(&j);
	}
	json_obj_end(&j);
	buf_addc(&out, '\n');
	ctl_print(&out);
	buf_release(&out);
}

/* Print what happened; the exit status. */
static int
agent_cmd_finish(struct ctl *c, struct agent_cmd *x, const char *what, enum action_rc rc,
		 const struct action_report *rep, char *error)
{
	char name[NOTIFY_TICKET_NAME_MAX], size[ATTACH_SIZE_TEXT_MAX];
	size_t i;
	int status = 0;

	notify_ticket_name(c->conf, x->ticket, name, sizeof(name));
	if (x->json && (rc == ACTION_DONE || rc == ACTION_UNCHANGED)) {
		agent_cmd_json(c, x, rc, rep);
	} else if (rc == ACTION_DONE) {
		printf("%s: %s", name, what);
		if (rep->detail[0] != '\0')
			printf(" (%s)", rep->detail);
		if (rep->queued > 0)
			printf(", %d notification%s queued", rep->queued, rep->queued == 1 ? "" : "s");
		if (rep->skipped > 0)
			printf(", %d recipient%s skipped", rep->skipped, rep->skipped == 1 ? "" : "s");
		printf("\n");
		for (i = 0; x->files != NULL && i < x->files->n; i++) {
			attach_size_text(x->files->v[i].size, size, sizeof(size));
			printf("  attachment %lld: %s (%s, sha256 %.16s)\n", x->files->v[i].number,
			       x->files->v[i].name, size, x->files->v[i].sha256);
		}
	} else if (rc == ACTION_UNCHANGED) {
		printf("%s: nothing to do (%s)\n", name, rep->detail);
	}
	if (rc == ACTION_REFUSED) {
		status = ctl_fail("%s", error != NULL ? error : "refused");
	} else if (rc == ACTION_ERROR) {
		status = ctl_fail("%s", error != NULL ? error : "store error");
		if (store_error_is_temporary(c->st))
			status = EX_TEMPFAIL_;
	}
	free(error);
	agent_cmd_release(x);
	return status;
}

/* The comment text of -F FILE or -F - (stdin): UTF-8 without NUL.  0, or the exit status. */
static int
read_text(const char *path, char **text_r)
{
	char *data = NULL;
	size_t len = 0;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	int rc;

	if (f == NULL)
		return ctl_fail("unable to open '%s': %s", path, strerror(errno));
	rc = ctl_read_all(f, &data, &len, CTL_MAX_COMMENT);
	if (f != stdin)
		fclose(f);
	if (rc < 0)
		return ctl_fail("unable to read '%s': %s", path,
				errno == EFBIG ? "longer than a comment may be (1 MiB)" : strerror(errno));
	if (memchr(data, '\0', len) != NULL || utf8_valid_prefix(data, len) != len) {
		free(data);
		return ctl_fail("'%s' is not UTF-8 text", path);
	}
	/* the file's last line ends in a newline; the comment does not need it */
	while (len > 0 && strchr(" \t\r\n", data[len - 1]) != NULL)
		data[--len] = '\0';
	*text_r = data;
	return 0;
}

/*
 * Read each --attach file into files (bytes in data[], caller frees):
 * regular files only, none over max_attachment_size.  0, or the exit status.
 */
static int
read_attachments(struct ctl *c, const struct opts *o, struct attach_set *files, char **data)
{
	struct stat sb;
	char limit[ATTACH_SIZE_TEXT_MAX];
	size_t i, len;

	for (i = 0; i < o->n_attach; i++) {
		if (stat(o->attach[i], &sb) < 0)
			return ctl_fail("unable to attach '%s': %s", o->attach[i], strerror(errno));
		if (!S_ISREG(sb.st_mode))
			return ctl_fail("unable to attach '%s': not a regular file", o->attach[i]);
		if ((unsigned long long)sb.st_size > c->conf->max_attachment_size) {
			attach_size_text(c->conf->max_attachment_size, limit, sizeof(limit));
			return ctl_fail("unable to attach '%s': %lld bytes, larger than "
					"max_attachment_size (%s)", o->attach[i],
					(long long)sb.st_size, limit);
		}
		if (ctl_read_file(o->attach[i], &data[i], &len) < 0)
			return ctl_fail("unable to read '%s': %s", o->attach[i], strerror(errno));
		if (len > c->conf->max_attachment_size)
			return ctl_fail("unable to attach '%s': it grew while being read", o->attach[i]);
		attach_add_file(files, o->attach[i], data[i], len);
	}
	return 0;
}

int
cmd_comment(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct agent_cmd x;
	struct action_report rep;
	struct attach_set files;
	enum action_rc rc;
	char *error = NULL, *text = NULL, *data[CTL_MAX_MULTI] = { NULL };
	size_t i;
	int first, status;

	first = ctl_parse_opts(argc, argv, &o, "aMiFXj");
	if (first < 0)
		return EX_USAGE_;
	if (first + 1 != argc)
		return ctl_die_usage("comment needs one ticket: comment SUP-N --as AGENT -m TEXT");
	if (o.as == NULL)
		return ctl_die_usage("comment needs --as AGENT (a registered agent's address)");
	if ((o.message == NULL) == (o.text_file == NULL))
		return ctl_die_usage("comment needs the text: -m TEXT, or -F FILE (-F - for stdin)");
	if (o.message != NULL && o.message[strspn(o.message, " \t\r\n")] == '\0' && o.n_attach == 0)
		return ctl_die_usage("comment needs the text: -m TEXT");
	status = agent_cmd_open(c, &x, argv[first], o.as);
	if (status != 0)
		return status;
	x.json = o.json;
	attach_set_init(&files);
	files.strict = 1;
	if (o.text_file != NULL)
		status = read_text(o.text_file, &text);
	if (status == 0)
		status = read_attachments(c, &o, &files, data);
	if (status != 0) {
		agent_cmd_release(&x);
	} else {
		if (files.n > 0)
			x.files = &files;
		rc = action_comment(&x.actions, x.ticket, x.actor, text != NULL ? text : o.message,
				    o.internal, &files, &rep, &error);
		status = agent_cmd_finish(c, &x, o.internal ? "internal note added" : "comment added",
					  rc, &rep, error);
	}
	attach_set_release(&files);
	for (i = 0; i < CTL_MAX_MULTI; i++)
		free(data[i]);
	free(text);
	return status;
}

int
cmd_status(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct agent_cmd x;
	struct action_report rep;
	enum action_rc rc;
	char *error = NULL;
	int first, status;

	first = ctl_parse_opts(argc, argv, &o, "aj");
	if (first < 0)
		return EX_USAGE_;
	if (first + 2 != argc)
		return ctl_die_usage("usage: status SUP-N open|pending|resolved|closed");
	if (!action_status_valid(argv[first + 1]))
		return ctl_die_usage("'%s' is not a status: open, pending, resolved or closed",
				     argv[first + 1]);
	status = agent_cmd_open(c, &x, argv[first], o.as);
	if (status != 0)
		return status;
	x.json = o.json;
	rc = action_status(&x.actions, x.ticket, argv[first + 1], x.actor, &rep, &error);
	return agent_cmd_finish(c, &x, "status changed", rc, &rep, error);
}

/* share and unshare */
static int
share_cmd(struct ctl *c, int argc, char **argv, int share)
{
	struct opts o;
	struct agent_cmd x;
	struct action_report rep;
	enum action_rc rc;
	char *error = NULL;
	int first, status;

	first = ctl_parse_opts(argc, argv, &o, "aj");
	if (first < 0)
		return EX_USAGE_;
	if (first + 2 != argc)
		return ctl_die_usage("usage: %s SUP-N EMAIL", argv[0]);
	if (!compose_address_valid(argv[first + 1]))
		return ctl_die_usage("'%s' is not a valid mail address", argv[first + 1]);
	status = agent_cmd_open(c, &x, argv[first], o.as);
	if (status != 0)
		return status;
	x.json = o.json;
	if (share)
		rc = action_share(&x.actions, x.ticket, argv[first + 1], x.actor, &rep, &error);
	else
		rc = action_unshare(&x.actions, x.ticket, argv[first + 1], x.actor, &rep, &error);
	return agent_cmd_finish(c, &x, share ? "shared" : "unshared", rc, &rep, error);
}

int
cmd_share(struct ctl *c, int argc, char **argv)
{
	return share_cmd(c, argc, argv, 1);
}

int
cmd_unshare(struct ctl *c, int argc, char **argv)
{
	return share_cmd(c, argc, argv, 0);
}

/* severity and priority */
static int
rank_cmd(struct ctl *c, int argc, char **argv, int severity)
{
	struct opts o;
	struct agent_cmd x;
	struct action_report rep;
	enum action_rc rc;
	const char *v;
	char *error = NULL;
	int first, status;

	first = ctl_parse_opts(argc, argv, &o, "aj");
	if (first < 0)
		return EX_USAGE_;
	if (first + 2 != argc)
		return ctl_die_usage("usage: %s SUP-N 1-4", argv[0]);
	v = argv[first + 1];
	if (v[0] < '1' || v[0] > '4' || v[1] != '\0')
		return ctl_die_usage("%s must be 1, 2, 3 or 4, not '%s'", argv[0], v);
	status = agent_cmd_open(c, &x, argv[first], o.as);
	if (status != 0)
		return status;
	x.json = o.json;
	if (severity)
		rc = action_severity(&x.actions, x.ticket, v[0] - '0', x.actor, &rep, &error);
	else
		rc = action_priority(&x.actions, x.ticket, v[0] - '0', x.actor, &rep, &error);
	return agent_cmd_finish(c, &x, severity ? "severity changed" : "priority changed", rc,
				&rep, error);
}

int
cmd_severity(struct ctl *c, int argc, char **argv)
{
	return rank_cmd(c, argc, argv, 1);
}

int
cmd_priority(struct ctl *c, int argc, char **argv)
{
	return rank_cmd(c, argc, argv, 0);
}

int
cmd_assign(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct agent_cmd x;
	struct action_report rep;
	enum action_rc rc;
	char *error = NULL;
	int first, status;

	first = ctl_parse_opts(argc, argv, &o, "aj");
	if (first < 0)
		return EX_USAGE_;
	if (first + 2 != argc)
		return ctl_die_usage("usage: assign SUP-N AGENT");
	if (!compose_address_valid(argv[first + 1]))
		return ctl_die_usage("'%s' is not a valid mail address", argv[first + 1]);
	status = agent_cmd_open(c, &x, argv[first], o.as);
	if (status != 0)
		return status;
	x.json = o.json;
	rc = action_assign(&x.actions, x.ticket, argv[first + 1], x.actor, &rep, &error);
	return agent_cmd_finish(c, &x, "assigned", rc, &rep, error);
}
