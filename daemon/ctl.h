/*
 * ctl.h: what the ticketctl command files share.
 *
 * ticketctl.c holds main(), the usage text and the command table; each
 * ctl-*.c file holds a family of commands, cmd_NAME(c, argc, argv) with
 * argv[0] the command name.  They return the exit status.
 */
#ifndef TICKETD_CTL_H
#define TICKETD_CTL_H

#include <stddef.h>
#include <stdio.h>

#include "json.h"

#define EX_USAGE_ 2
#define EX_TEMPFAIL_ 75
#define CTL_MAX_READ (256 * 1024 * 1024)   /* never hold more than this from stdin */
#define CTL_MAX_MULTI 16                   /* repeated options (--domain, --attach) */
#define CTL_MAX_COMMENT (1024 * 1024)      /* bytes of a comment's text (-F) */

struct conf;
struct store;
struct ticket;

struct ctl {
	const char *config_path;
	struct conf *conf;
	struct store *st;
};

/* Every option any command takes; each command names the ones it allows. */
struct opts {
	int json;            /* j  --json */
	const char *status;  /* s  --status S */
	const char *region;  /* r  --region R */
	const char *mailbox; /* m  --mailbox NAME */
	const char *as;      /* a  --as AGENT */
	const char *message; /* M  -m TEXT, --message TEXT */
	int internal;        /* i  --internal */
	const char *plan;    /* p  --plan PLAN */
	const char *domains[CTL_MAX_MULTI];  /* d  --domain D (repeatable) */
	size_t n_domains;
	int auto_register;   /* A  --auto-register */
	const char *org;     /* o  --org NAME */
	const char *name;    /* n  --name NAME */
	const char *lang;    /* l  --lang LANG */
	const char *level;   /* L  --level N */
	int failed;          /* f  --failed */
	const char *since;   /* S  --since TIME */
	const char *text_file;  /* F  -F FILE, --file FILE ("-": stdin) */
	const char *attach[CTL_MAX_MULTI];  /* X  --attach FILE (repeatable) */
	size_t n_attach;
	const char *output;  /* O  -o FILE, --output FILE ("-": stdout) */
	int force;           /* Y  -f, --force */
};

/* Parse options allowed by the letters in allowed; the index of the first operand, -1 on error. */
int ctl_parse_opts(int argc, char **argv, struct opts *o, const char *allowed);
int ctl_die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ctl_load_config(struct ctl *c);
int ctl_open_store(struct ctl *c);
int ctl_read_all(FILE *f, char **data_r, size_t *len_r, size_t max);
int ctl_read_file(const char *path, char **data_r, size_t *len_r);
/* "SUP-12", "sup-12" or "12" → 12; 0 when not a ticket name. */
long long ctl_parse_ticket(const struct conf *conf, const char *s);
/* key: "SUP-12", or null when number is 0. */
void ctl_kticket(struct json *j, const struct conf *conf, const char *key, long long number);
/* The ticket's fields as JSON members (inside an open object). */
void ctl_ticket_json(struct json *j, const struct conf *conf, const struct ticket *t);
/* Write out to stdout. */
void ctl_print(struct buf *out);

int cmd_inspect(struct ctl *c, int argc, char **argv);
int cmd_explain(struct ctl *c, int argc, char **argv);
int cmd_deliver(struct ctl *c, int argc, char **argv);
int cmd_list(struct ctl *c, int argc, char **argv);
int cmd_show(struct ctl *c, int argc, char **argv);
/* ctl-agent.c */
int cmd_comment(struct ctl *c, int argc, char **argv);
int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_share(struct ctl *c, int argc, char **argv);
int cmd_unshare(struct ctl *c, int argc, char **argv);
int cmd_severity(struct ctl *c, int argc, char **argv);
int cmd_priority(struct ctl *c, int argc, char **argv);
int cmd_assign(struct ctl *c, int argc, char **argv);
/* ctl-admin.c */
int cmd_org(struct ctl *c, int argc, char **argv);
int cmd_contact(struct ctl *c, int argc, char **argv);
int cmd_agent(struct ctl *c, int argc, char **argv);
int cmd_import(struct ctl *c, int argc, char **argv);
int cmd_outbox(struct ctl *c, int argc, char **argv);
int cmd_token(struct ctl *c, int argc, char **argv);
/* ctl-sla.c */
int cmd_sla(struct ctl *c, int argc, char **argv);
int cmd_escalate(struct ctl *c, int argc, char **argv);
/* The SLA state of t for show: lines into out, or an "sla" member into j when not NULL. */
void ctl_sla_show(struct ctl *c, const struct ticket *t, struct buf *out, struct json *j);
/* ctl-attach.c */
int cmd_attachment(struct ctl *c, int argc, char **argv);
struct attachment;
/* One attachment as a JSON object, or as one indented line of show/list. */
void ctl_attachment_json(struct json *j, const struct attachment *a);
void ctl_attachment_line(struct buf *out, const char *indent, const struct attachment *a);

/* ctl-oauth.c */
int cmd_oauth(struct ctl *c, int argc, char **argv);

#endif
