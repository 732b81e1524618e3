#include "inspect.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "mail.h"
#include "route.h"

static void
addr_json(struct json *j, const struct mime_addr *a)
{
	json_obj_begin(j);
	json_kstr(j, "name", a->name);
	json_kstr(j, "address", a->address);
	json_obj_end(j);
}

static void
addrs_json(struct json *j, const char *key, const struct mime_addr *a, size_t n)
{
	size_t i;

	json_key(j, key);
	json_arr_begin(j);
	for (i = 0; i < n; i++)
		addr_json(j, &a[i]);
	json_arr_end(j);
}

/* RFC 3339 with the offset the sender wrote. */
static void
format_date(const struct mime_msg *m, char *out, size_t outlen)
{
	time_t local = m->date + (time_t)m->date_tzoff * 60;
	struct tm tm;
	int off = m->date_tzoff < 0 ? -m->date_tzoff : m->date_tzoff;
	char base[32];

	gmtime_r(&local, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	if (m->date_tzoff == 0)
		snprintf(out, outlen, "%sZ", base);
	else
		snprintf(out, outlen, "%s%c%02d:%02d", base, m->date_tzoff < 0 ? '-' : '+',
			 (off / 60) % 100, off % 60);
}

static void
ticket_number(const struct mime_msg *m, const char *prefix, char *out, size_t outlen)
{
	long long n;

	out[0] = '\0';
	if (route_subject_numbers(m->subject, prefix, &n, 1) == 1)
		snprintf(out, outlen, "%s-%lld", prefix, n);
}

void
inspect_json(struct buf *out, const char *file, const struct mail *mail, const char *prefix)
{
	const struct mime_msg *m = mail->msg;
	struct json j;
	char date[64], number[48];
	int sev = 0, pri = 0;
	size_t i;

	json_init(&j, out);
	json_obj_begin(&j);
	json_kstr(&j, "file", file);
	json_kstr(&j, "message_id", m->message_id);
	json_kstr(&j, "in_reply_to", m->in_reply_to);
	json_key(&j, "references");
	json_arr_begin(&j);
	for (i = 0; i < m->n_references; i++)
		json_str(&j, m->references[i]);
	json_arr_end(&j);
	json_key(&j, "from");
	if (m->from.address != NULL || m->from.name != NULL)
		addr_json(&j, &m->from);
	else
		json_null(&j);
	addrs_json(&j, "to", m->to, m->n_to);
	addrs_json(&j, "cc", m->cc, m->n_cc);
	addrs_json(&j, "reply_to", m->reply_to, m->n_reply_to);
	if (m->has_date) {
		format_date(m, date, sizeof(date));
		json_kstr(&j, "date", date);
	} else {
		json_kstr(&j, "date", NULL);
	}
	json_kstr(&j, "subject", m->subject);
	ticket_number(m, prefix, number, sizeof(number));
	json_kstr(&j, "ticket_number", number[0] != '\0' ? number : NULL);
	json_kstr(&j, "kind", mime_kind_name(mail->cls.kind));
	json_kstr(&j, "language", mail->language);
	route_fields(m->subject, m->body, &sev, &pri);
	json_kint_or_null(&j, "severity", sev);
	json_kint_or_null(&j, "priority", pri);
	json_kstr(&j, "body", m->body);
	json_kstr(&j, "reply", mail->reply);
	json_key(&j, "attachments");
	json_arr_begin(&j);
	for (i = 0; i < m->n_attachments; i++) {
		json_obj_begin(&j);
		json_kstr(&j, "filename", m->attachments[i].filename);
		json_kstr(&j, "content_type", m->attachments[i].content_type);
		json_kint(&j, "size", (long long)m->attachments[i].size);
		json_kstr(&j, "sha256", m->attachments[i].sha256);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "warnings");
	json_arr_begin(&j);
	for (i = 0; i < m->n_warnings; i++)
		json_str(&j, m->warnings[i]);
	json_arr_end(&j);
	json_obj_end(&j);
}

static const char *
or_dash(const char *s)
{
	return s != NULL ? s : "-";
}

void
inspect_text(struct buf *out, const char *file, const struct mail *mail, const char *prefix)
{
	const struct mime_msg *m = mail->msg;
	char number[48];
	size_t i;

	ticket_number(m, prefix, number, sizeof(number));
	buf_addf(out, "file:        %s\n", or_dash(file));
	buf_addf(out, "message-id:  %s\n", or_dash(m->message_id));
	buf_addf(out, "from:        %s <%s>\n", or_dash(m->from.name), or_dash(m->from.address));
	buf_addf(out, "subject:     %s\n", or_dash(m->subject));
	buf_addf(out, "ticket:      %s\n", number[0] != '\0' ? number : "-");
	buf_addf(out, "kind:        %s%s%s\n", mime_kind_name(mail->cls.kind),
		 mail->cls.automatic ? ", automatic: " : "", mail->cls.automatic ? or_dash(mail->cls.automatic_reason) : "");
	buf_addf(out, "language:    %s\n", or_dash(mail->language));
	buf_addf(out, "attachments: %zu\n", m->n_attachments);
	for (i = 0; i < m->n_attachments; i++)
		buf_addf(out, "  %s (%s, %zu bytes)\n", or_dash(m->attachments[i].filename),
			 or_dash(m->attachments[i].content_type), m->attachments[i].size);
	for (i = 0; i < m->n_warnings; i++)
		buf_addf(out, "warning:     %s\n", m->warnings[i]);
	buf_addf(out, "reply:\n%s\n", mail->reply != NULL ? mail->reply : "");
}
