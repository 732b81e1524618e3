/*
 * attach: a ticket's files from the mail into the store and out again
 * (see attach.h for the roles and the limits).
 */
#include "attach.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "filename.h"
#include "mime.h"
#include "str.h"
#include "store.h"

#define ATTACH_MAX_CIDS 256      /* cid: URLs read from one mail's HTML */
#define ATTACH_MAX_TYPE 255      /* bytes of a content type kept (RFC 6838: 127 / 127) */

void
attach_set_init(struct attach_set *s)
{
	memset(s, 0, sizeof(*s));
}

void
attach_set_release(struct attach_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].sent_name);
		free(s->v[i].content_type);
		free(s->v[i].dropped);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/*
 * content_type in lowercase when it is type/subtype in token characters
 * (a type is shown on terminals: nothing else may pass), else
 * application/octet-stream.
 */
static char *
type_safe(const char *content_type)
{
	char *t;

	if (!compose_type_valid(content_type) || strlen(content_type) > ATTACH_MAX_TYPE)
		return xstrdup("application/octet-stream");
	t = xstrdup(content_type);
	str_lower(t);
	return t;
}

static struct attach_file *
set_add(struct attach_set *s, const char *sent_name, const char *content_type,
	const char *data, size_t size)
{
	struct attach_file *f;

	s->v = xarray_grow(s->v, s->n, sizeof(*s->v));
	f = &s->v[s->n++];
	memset(f, 0, sizeof(*f));
	f->content_type = type_safe(content_type);
	f->name = filename_safe(sent_name, f->content_type);
	if (sent_name != NULL && strcmp(sent_name, f->name) != 0)
		f->sent_name = xstrdup(sent_name);
	f->data = data != NULL ? data : "";
	f->size = data != NULL ? size : 0;
	f->role = "file";
	return f;
}

/* ---- cid: URLs in the mail's own HTML ---- */

struct cids {
	char *v[ATTACH_MAX_CIDS];
	size_t n;
};

/* The cid: URLs of html[0..len), percent-decoded (RFC 2392). */
static void
cids_scan(const char *html, size_t len, struct cids *c)
{
	size_t i = 0, j;
	struct buf id = BUF_INIT;
	int hi, lo;

	while (i + 4 <= len && c->n < ATTACH_MAX_CIDS) {
		if (strncasecmp(html + i, "cid:", 4) != 0) {
			i++;
			continue;
		}
		buf_reset(&id);
		for (j = i + 4; j < len && strchr("\"'()<> \t\r\n", html[j]) == NULL; j++) {
			hi = html[j] == '%' && j + 2 < len ? str_hex_value((unsigned char)html[j + 1]) : -1;
			lo = hi >= 0 ? str_hex_value((unsigned char)html[j + 2]) : -1;
			if (hi >= 0 && lo >= 0) {
				buf_addc(&id, (char)(hi << 4 | lo));
				j += 2;
			} else {
				buf_addc(&id, html[j]);
			}
		}
		if (id.len > 0)
			c->v[c->n++] = xstrdup(buf_str(&id));
		i = j;
	}
	buf_release(&id);
}

static int
cids_has(const struct cids *c, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < c->n; i++)
		if (strcasecmp(c->v[i], id) == 0)
			return 1;
	return 0;
}

void
attach_from_mail(struct attach_set *s, const struct mime_msg *m)
{
	struct cids cids = { { NULL }, 0 };
	struct attach_file *f;
	size_t i;

	/* The HTML the mail shows (not an attached .html file). */
	for (i = 0; i < m->n_parts; i++)
		if (!m->parts[i].is_attachment && m->parts[i].content_type != NULL &&
		    strcmp(m->parts[i].content_type, "text/html") == 0)
			cids_scan(m->parts[i].data, m->parts[i].size, &cids);
	for (i = 0; i < m->n_attachments; i++) {
		const struct mime_attachment *a = &m->attachments[i];

		f = set_add(s, a->filename, a->content_type, a->data, a->size);
		memcpy(f->sha256, a->sha256, sizeof(f->sha256));
		if (a->content_id != NULL && cids_has(&cids, a->content_id))
			f->role = "inline";
	}
	for (i = 0; i < cids.n; i++)
		free(cids.v[i]);
}

void
attach_add_file(struct attach_set *s, const char *path, const char *data, size_t size)
{
	const char *base = strrchr(path, '/');
	struct attach_file *f;

	base = base != NULL ? base + 1 : path;
	f = set_add(s, base, filename_content_type(base), data, size);
	free(f->sent_name);         /* the agent's own file: its name is no news */
	f->sent_name = NULL;
	sha256_hex(f->data, f->size, f->sha256);
}

/* ---- limits and history ---- */

void
attach_size_text(size_t size, char *out, size_t outlen)
{
	if (size < 1024)
		snprintf(out, outlen, "%zu B", size);
	else if (size < 1024 * 1024)
		snprintf(out, outlen, "%zu KB", (size + 1023) / 1024);
	else if (size % (1024 * 1024) == 0)
		snprintf(out, outlen, "%zu MB", size / (1024 * 1024));
	else
		snprintf(out, outlen, "%.1f MB", (double)size / (1024.0 * 1024.0));
}

/* An attached message that is one of the ticket's own mails. */
static int
is_ticket_mail(struct store *st, long long ticket, const struct attach_file *f)
{
	struct mime_msg *m;
	long long t = 0;
	int rc = 0;

	if (strcmp(f->content_type, "message/rfc822") != 0 &&
	    strcmp(f->content_type, "message/global") != 0)
		return 0;
	m = mime_parse(f->data, f->size, NULL);
	if (m->message_id != NULL) {
		rc = store_message_ticket(st, m->message_id, &t);
		if (rc == 1)
			rc = t == ticket;
	}
	mime_msg_free(&m);
	return rc;
}

/* 1 when an earlier file of s (before index i) has the same bytes and is kept. */
static int
seen_before(const struct attach_set *s, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (s->v[k].dropped == NULL && strcmp(s->v[k].sha256, s->v[i].sha256) == 0)
			return 1;
	return 0;
}

int
attach_check(struct attach_set *s, const struct conf *conf, struct store *st,
	     long long ticket, char **error_r)
{
	long long used = 0;
	char size[ATTACH_SIZE_TEXT_MAX];
	size_t i;
	int dropped = 0, rc;

	if (s->n == 0)
		return 0;
	if (store_attachment_usage(st, ticket, &used) < 0)
		goto dberr;
	for (i = 0; i < s->n; i++) {
		struct attach_file *f = &s->v[i];
		int held = store_attachment_has(st, ticket, f->sha256);

		if (held < 0)
			goto dberr;
		if (s->agent_reply && strcmp(f->role, "file") == 0) {
			rc = held ? 1 : is_ticket_mail(st, ticket, f);
			if (rc < 0)
				goto dberr;
			if (rc == 1)
				f->role = "history";
		}
		if (f->size > conf->max_attachment_size) {
			attach_size_text(conf->max_attachment_size, size, sizeof(size));
			f->dropped = xasprintf("larger than max_attachment_size (%s)", size);
			dropped++;
			continue;
		}
		if (held || seen_before(s, i))
			continue;           /* the ticket holds these bytes already: free */
		if (conf->ticket_attachment_quota > 0 &&
		    (unsigned long long)used + f->size > conf->ticket_attachment_quota) {
			attach_size_text(conf->ticket_attachment_quota, size, sizeof(size));
			f->dropped = xasprintf("over the ticket's ticket_attachment_quota (%s)", size);
			dropped++;
			continue;
		}
		used += (long long)f->size;
	}
	return dropped;
dberr:
	*error_r = xstrdup(store_error(st));
	return -1;
}

int
attach_record(struct attach_set *s, struct store *st, long long ticket, long long event,
	      time_t at)
{
	struct attachment a;
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct attach_file *f = &s->v[i];

		if (f->dropped == NULL && store_blob_put(st, f->sha256, f->data, f->size) < 0)
			return -1;
		memset(&a, 0, sizeof(a));
		a.ticket = ticket;
		a.event = event;
		a.message = s->message;
		a.filename = f->name;
		a.sent_name = f->sent_name;
		a.content_type = f->content_type;
		a.size = (long long)f->size;
		a.sha256 = f->sha256;
		a.dropped = f->dropped;
		a.role = (char *)f->role;
		a.at = at;
		if (store_attachment_add(st, &a) < 0)
			return -1;
		f->number = a.number;
	}
	return 0;
}

/* ---- out ---- */

static void
list_line(struct buf *out, const struct attach_file *f)
{
	char size[ATTACH_SIZE_TEXT_MAX];

	attach_size_text(f->size, size, sizeof(size));
	buf_addf(out, "%s  %s (%s)", out->len > 0 ? "\n" : "", f->name, size);
}

void
attach_outgoing(const struct attach_set *s, size_t limit, struct attach_out *out)
{
	size_t i, total = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < s->n; i++) {
		const struct attach_file *f = &s->v[i];

		if (f->dropped != NULL || strcmp(f->role, "file") != 0)
			continue;
		if (f->size > limit || total + f->size > limit) {
			list_line(&out->withheld, f);
			continue;
		}
		total += f->size;
		out->files = xarray_grow(out->files, out->n_files, sizeof(*out->files));
		out->files[out->n_files].name = f->name;
		out->files[out->n_files].content_type = f->content_type;
		out->files[out->n_files].data = f->data;
		out->files[out->n_files].size = f->size;
		out->n_files++;
		list_line(&out->attached, f);
	}
}

void
attach_out_release(struct attach_out *out)
{
	free(out->files);
	buf_release(&out->attached);
	buf_release(&out->withheld);
	memset(out, 0, sizeof(*out));
}

size_t
attach_dropped_list(const struct attach_set *s, struct buf *out)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		if (s->v[i].dropped != NULL) {
			list_line(out, &s->v[i]);
			n++;
		}
	return n;
}
