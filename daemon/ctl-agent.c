/* ctl-agent.c: comment, status, share, unshare, severity, priority, assign. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "compose.h"
#include "conf.h"
#include "ctl.h"
#include "notify.h"
#include "sla.h"
#include "store.h"
#include "token.h"
#include "xmalloc.h"

/* What every agent command needs: the store, the reply-token key, the actions. */
struct agent_cmd {
	struct token_key key;
	struct notify notify;
	struct actions actions;
	struct sla *sla;
	long long ticket;
	const char *actor;      /* --as, checked; NULL: the support desk */
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

/* Print what happened; the exit status. */
static int
agent_cmd_finish(struct ctl *c, struct agent_cmd *x, const char *what, enum action_rc rc,
		 const struct action_report *rep, char *error)
{
	char name[NOTIFY_TICKET_NAME_MAX];
	int status = 0;

	notify_ticket_name(c->conf, x->ticket, name, sizeof(name));
	switch (rc) {
	case ACTION_DONE:
		printf("%s: %s", name, what);
		if (rep->detail[0] != '\0')
			printf(" (%s)", rep->detail);
		if (rep->queued > 0)
			printf(", %d notification%s queued", rep->queued, rep->queued == 1 ? "" : "s");
		if (rep->skipped > 0)
			printf(", %d recipient%s skipped", rep->skipped, rep->skipped == 1 ? "" : "s");
		printf("\n");
		break;
	case ACTION_UNCHANGED:
		printf("%s: nothing to do (%s)\n", name, rep->detail);
		break;
	case ACTION_REFUSED:
		status = ctl_fail("%s", error != NULL ? error : "refused");
		break;
	case ACTION_ERROR:
		status = ctl_fail("%s", error != NULL ? error : "store error");
		if (store_error_is_temporary(c->st))
			status = EX_TEMPFAIL_;
		break;
	}
	free(error);
	agent_cmd_release(x);
	return status;
}

int
cmd_comment(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct agent_cmd x;
	struct action_report rep;
	enum action_rc rc;
	char *error = NULL;
	int first, status;

	first = ctl_parse_opts(argc, argv, &o, "aMi");
	if (first < 0)
		return EX_USAGE_;
	if (first + 1 != argc)
		return ctl_die_usage("comment needs one ticket: comment SUP-N --as AGENT -m TEXT");
	if (o.as == NULL)
		return ctl_die_usage("comment needs --as AGENT (a registered agent's address)");
	if (o.message == NULL || o.message[strspn(o.message, " \t\r\n")] == '\0')
		return ctl_die_usage("comment needs the text: -m TEXT");
	status = agent_cmd_open(c, &x, argv[first], o.as);
	if (status != 0)
		return status;
	rc = action_comment(&x.actions, x.ticket, x.actor, o.message, o.internal, &rep, &error);
	return agent_cmd_finish(c, &x, o.internal ? "internal note added" : "comment added", rc,
				&rep, error);
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

	first = ctl_parse_opts(argc, argv, &o, "a");
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

	first = ctl_parse_opts(argc, argv, &o, "a");
	if (first < 0)
		return EX_USAGE_;
	if (first + 2 != argc)
		return ctl_die_usage("usage: %s SUP-N EMAIL", argv[0]);
	if (!compose_address_valid(argv[first + 1]))
		return ctl_die_usage("'%s' is not a valid mail address", argv[first + 1]);
	status = agent_cmd_open(c, &x, argv[first], o.as);
	if (status != 0)
		return status;
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

	first = ctl_parse_opts(argc, argv, &o, "a");
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

	first = ctl_parse_opts(argc, argv, &o, "a");
	if (first < 0)
		return EX_USAGE_;
	if (first + 2 != argc)
		return ctl_die_usage("usage: assign SUP-N AGENT");
	if (!compose_address_valid(argv[first + 1]))
		return ctl_die_usage("'%s' is not a valid mail address", argv[first + 1]);
	status = agent_cmd_open(c, &x, argv[first], o.as);
	if (status != 0)
		return status;
	rc = action_assign(&x.actions, x.ticket, argv[first + 1], x.actor, &rep, &error);
	return agent_cmd_finish(c, &x, "assigned", rc, &rep, error);
}
