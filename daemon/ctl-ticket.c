/* ctl-ticket.c: list, show. */
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
#include "ingest.h"
#include "inspect.h"
#include "json.h"
#include "mime.h"
#include "store.h"
#include "xmalloc.h"

int
cmd_list(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct ticket *list;
	struct buf out = BUF_INIT;
	struct json j;
	char ts[CLOCK_TEXT_MAX];
	size_t n, i;

	if (ctl_parse_opts(argc, argv, &o, "jsr") != argc)
		return ctl_die_usage("%s takes only options", "list");
	if (ctl_open_store(c) < 0)
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
			ctl_ticket_json(&j, c->conf, &list[i]);
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
	if (out.len > 0)
		fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	ticket_list_free(&list, n);
	return 0;
}

int
cmd_show(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct ticket t;
	struct event *ev = NULL;
	struct attachment *att = NULL;
	char **parts = NULL, ts[CLOCK_TEXT_MAX];
	size_t n_ev = 0, n_parts = 0, n_att = 0, i, k;
	struct buf out = BUF_INIT;
	struct json j;
	long long number;
	int first, rc;

	first = ctl_parse_opts(argc, argv, &o, "j");
	if (first < 0)
		return EX_USAGE_;
	if (first + 1 != argc)
		return ctl_die_usage("%s needs one ticket, e.g. SUP-12", "show");
	if (ctl_open_store(c) < 0)
		return 1;
	number = ctl_parse_ticket(c->conf, argv[first]);
	if (number == 0)
		return ctl_die_usage("'%s' is not a ticket number", argv[first]);
	rc = store_ticket_get(c->st, number, &t);
	if (rc == 0) {
		fprintf(stderr, "ticketctl: no ticket %s\n", argv[first]);
		return 1;
	}
	if (rc < 0 || store_event_list(c->st, number, &ev, &n_ev) < 0 ||
	    store_participant_list(c->st, number, &parts, &n_parts) < 0 ||
	    store_attachment_list(c->st, number, &att, &n_att) < 0) {
		fprintf(stderr, "ticketctl: %s\n", store_error(c->st));
		if (rc > 0)
			ticket_release(&t);
		event_list_free(&ev, n_ev);
		strv_free(&parts, n_parts);
		return 1;
	}
	if (o.json) {
		json_init(&j, &out);
		json_obj_begin(&j);
		ctl_ticket_json(&j, c->conf, &t);
		ctl_sla_show(c, &t, &out, &j);
		json_key(&j, "participants");
		json_arr_begin(&j);
		for (i = 0; i < n_parts; i++)
			json_str(&j, parts[i]);
		json_arr_end(&j);
		json_key(&j, "activity");
		json_arr_begin(&j);
		for (i = 0; i < n_ev; i++) {
			json_obj_begin(&j);
			json_kint(&j, "id", ev[i].id);
			json_ktime(&j, "at", ev[i].at);
			json_kstr(&j, "type", ev[i].type);
			json_kstr(&j, "actor", ev[i].actor);
			json_key(&j, "public");
			json_bool(&j, ev[i].public);
			json_kstr(&j, "body", ev[i].body);
			json_kstr(&j, "data", ev[i].data);
			json_key(&j, "attachments");
			json_arr_begin(&j);
			for (k = 0; k < n_att; k++)
				if (att[k].event == ev[i].id)
					ctl_attachment_json(&j, &att[k]);
			json_arr_end(&j);
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
		ctl_sla_show(c, &t, &out, NULL);
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
			for (k = 0; k < n_att; k++)
				if (att[k].event == ev[i].id)
					ctl_attachment_line(&out, "      ", &att[k]);
		}
	}
	if (out.len > 0)
		fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	event_list_free(&ev, n_ev);
	strv_free(&parts, n_parts);
	attachment_list_free(&att, n_att);
	ticket_release(&t);
	return 0;
}

