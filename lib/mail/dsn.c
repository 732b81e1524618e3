/*
 * dsn: what a bounce says (RFC 3464 and the vendor forms classify
 * recognises): the recipient that failed, the Message-ID of the mail
 * that bounced, and whether it is only a delay warning.
 */
#include "dsn.h"

#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "scan.h"
#include "str.h"
#include "xmalloc.h"

/* Bytes of one part, and of all notification parts, searched for recipients. */
#define DSN_MAX_SCAN         (256 * 1024)
/* Bytes of the delivery-status part read for its Action fields. */
#define DSN_MAX_STATUS_SCAN  (64 * 1024)
/* Bytes at the start of a line searched for "copy of the message" markers. */
#define DSN_MARKER_SPAN      160
/* Addresses in a notification text weighed as the failed recipient. */
#define DSN_MAX_CANDIDATES   64

/* Another address of the bounce itself: its sender, its recipient … */
static int
address_is_ours(const struct mime_msg *m, const char *addr)
{
	static const char *const fields[] = {
		"To", "Cc", "From", "Sender", "Reply-To", "Return-Path", NULL
	};

	if (scan_daemon_reason(addr) != NULL || scan_robot_local(addr))
		return 1;
	for (int i = 0; fields[i] != NULL; i++) {
		const char *v = mime_header_get(m, fields[i]);

		if (v != NULL && scan_ci_find(v, strlen(v), addr) != NULL)
			return 1;
	}
	return 0;
}

/* The bounce's own sender: the daemon that wrote it. */
static int
address_is_sender(const struct mime_msg *m, const char *addr)
{
	static const char *const fields[] = { "From", "Sender", "Return-Path", NULL };

	for (int i = 0; fields[i] != NULL; i++) {
		const char *v = mime_header_get(m, fields[i]);

		if (v != NULL && scan_ci_find(v, strlen(v), addr) != NULL)
			return 1;
	}
	return 0;
}

/*
 * Lines that end the notification text of a vendor bounce: the returned
 * message follows them.
 */
static int
line_starts_returned(const char *p, size_t len)
{
	static const char *const markers[] = {
		"below this line is a copy of the message",
		"this is a copy of the message", "copy of the original message",
		"original message follows", "original message --",
		"-------original message", "------- returned message",
		"returned message follows", "message headers follow",
		"headers of the original message", "original message headers",
		"unsent message below", "the text of your message",
		"--- original message", "----- original message",
		NULL
	};
	static const char *const headers[] = {
		"received:", "return-path:", "message-id:", "dkim-signature:",
		"delivered-to:", "authentication-results:",
		"x-originating-ip:", "domainkey-signature:",
		NULL
	};

	for (int i = 0; headers[i] != NULL; i++)
		if (len >= strlen(headers[i]) && str_has_prefix_ci(p, headers[i]))
			return 1;
	return scan_ci_find_any(p, len, markers) >= 0;
}

/*
 * The address a line starts with, when it is set apart as a failed
 * recipient: "<rcpt@example.org>: host …" (qmail, Postfix, Yahoo),
 * "  rcpt@example.org" alone (Exim), "rcpt@example.org:" (1&1) …
 */
static char *
line_lead_address(const char *line, const char *eol)
{
	const char *a = line;
	size_t n;

	while (a < eol && (*a == ' ' || *a == '\t'))
		a++;
	if (a < eol && *a == '<') {
		a++;
		n = scan_address_len(a, (size_t)(eol - a), 1);
		if (n == 0 || a + n >= eol || a[n] != '>')
			return NULL;
	} else {
		const char *p;

		n = scan_address_len(a, (size_t)(eol - a), 1);
		p = a + n;
		while (p < eol && (*p == ':' || str_is_space((unsigned char)*p)))
			p++;
		if (n == 0 || p < eol)
			return NULL;
	}
	return xstrndup(a, n);
}

/*
 * The failed recipient named in the notification text of data[0..len),
 * stopping where the returned message starts: an address alone on its
 * line when there is one, else the first address that is not the
 * bounce's own sender or recipient.
 */
static char *
text_recipient(const struct mime_msg *m, const char *data, size_t len)
{
	const char *end = data + len;
	char *loose = NULL;
	int candidates = 0;

	for (const char *line = data, *eol; line < end; line = eol < end ? eol + 1 : end) {
		const char *at;
		size_t head;   /* markers sit at the start of their line */
		char *addr;

		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		head = (size_t)(eol - line) < DSN_MARKER_SPAN ? (size_t)(eol - line) :
		       DSN_MARKER_SPAN;
		if (line_starts_returned(line, head))
			break;
		addr = line_lead_address(line, eol);
		if (addr != NULL && !address_is_sender(m, addr)) {
			free(loose);
			return addr;
		}
		free(addr);
		if (loose != NULL || scan_ci_find(line, head, "message-id") != NULL ||
		    scan_ci_find(line, head, "mail from:") != NULL)
			continue;
		for (at = memchr(line, '@', (size_t)(eol - line));
		     at != NULL && loose == NULL && candidates < DSN_MAX_CANDIDATES;
		     at = memchr(at + 1, '@', (size_t)(eol - at - 1))) {
			const char *a = at;

			candidates++;
			while (a > line && scan_is_local_char((unsigned char)a[-1]))
				a--;
			addr = scan_address_at(a, (size_t)(eol - a));
			if (addr != NULL && !address_is_ours(m, addr))
				loose = addr;
			else
				free(addr);
		}
	}
	return loose;
}

/* The "value" of a JSON string member "name" (unescaped quotes) in s. */
static char *
json_address(const char *s, const char *name)
{
	const char *p = strstr(s, name);

	if (p == NULL)
		return NULL;
	p += strlen(name);
	while (*p == '"' || *p == '\\' || *p == ':' || *p == ' ')
		p++;
	return scan_address_at(p, strcspn(p, "\"\\,}]"));
}

static char *
status_recipient(const char *data, size_t len)
{
	static const char *const fields[] = {
		"Original-Recipient", "Final-Recipient", "X-Actual-Recipient", NULL
	};

	for (int i = 0; fields[i] != NULL; i++) {
		size_t vlen;
		const char *v = scan_find_field(data, len, fields[i], 0, &vlen);
		char *addr = v != NULL ? scan_address_at(v, vlen) : NULL;

		if (addr != NULL)
			return addr;
	}
	return NULL;
}

/* The first To address of the returned message, when it is not ours. */
static char *
returned_to(const struct mime_msg *m, const struct dsn_parts *ev)
{
	size_t budget = DSN_MAX_SCAN;

	for (size_t i = 0; i < m->n_parts && budget > 0; i++) {
		const struct mime_part *part = &m->parts[i];
		int headers_only = part == ev->returned;
		size_t vlen;
		const char *v;
		char *addr;

		if (!headers_only && !scan_part_is_text(part))
			continue;
		v = scan_find_field(part->data, scan_part_take(part, &budget), "To", headers_only, &vlen);
		if (v == NULL)
			continue;
		addr = text_recipient(m, v, vlen);
		if (addr != NULL)
			return addr;
	}
	return NULL;
}

/*
 * The failed recipient of a bounce: the DSN fields, X-Failed-Recipients,
 * an SES notification, an inline DSN, the notification text, and last
 * the To of the returned message.  NULL when none is found.
 */
char *
dsn_recipient(const struct mime_msg *m, const struct dsn_parts *ev)
{
	const char *v;
	char *addr = NULL;
	int notify_depth = -1;
	size_t budget = DSN_MAX_SCAN;

	if (ev->status != NULL)
		addr = status_recipient(ev->status->data, scan_part_len(ev->status, DSN_MAX_SCAN));
	v = mime_header_get(m, "X-Failed-Recipients");
	if (addr == NULL && v != NULL)
		addr = scan_address_at(v, strcspn(v, ","));
	if (addr == NULL && ev->ses && m->body != NULL)
		addr = json_address(m->body, "emailAddress");
	/* An inline DSN in the text (legacy MTAs, broken multiparts). */
	if (addr == NULL && m->body != NULL)
		addr = status_recipient(m->body, strnlen(m->body, DSN_MAX_SCAN));
	for (size_t i = 0; addr == NULL && i < m->n_parts && budget > 0; i++)
		if (scan_part_is_text(&m->parts[i]))
			addr = status_recipient(m->parts[i].data, scan_part_take(&m->parts[i], &budget));
	if (addr != NULL)
		return addr;

	/* The notification text: text parts before the returned message. */
	budget = DSN_MAX_SCAN;
	for (size_t i = 0; addr == NULL && i < m->n_parts && budget > 0; i++) {
		const struct mime_part *part = &m->parts[i];

		if (part->content_type != NULL &&
		    (strncmp(part->content_type, "message/", 8) == 0 ||
		     strcmp(part->content_type, "text/rfc822-headers") == 0))
			break;
		if (!scan_part_is_text(part))
			continue;
		if (notify_depth < 0)
			notify_depth = part->depth;
		else if (part->depth > notify_depth)
			break;
		addr = text_recipient(m, part->data, scan_part_take(part, &budget));
	}
	if (addr == NULL && m->n_parts == 0 && m->body != NULL)
		addr = text_recipient(m, m->body, strnlen(m->body, DSN_MAX_SCAN));
	if (addr == NULL)
		addr = returned_to(m, ev);
	return addr;
}

static char *
field_msgid(const char *data, size_t len, int headers_only)
{
	static const char *const fields[] = {
		"Message-ID", "X-Original-Message-ID", NULL
	};

	for (int i = 0; fields[i] != NULL; i++) {
		size_t vlen;
		const char *v = scan_find_field(data, len, fields[i], headers_only, &vlen);
		char *id = v != NULL ? scan_msgid_at(v, vlen) : NULL;

		if (id != NULL)
			return id;
	}
	return NULL;
}

/*
 * The Message-ID of the mail that bounced: from the returned message or
 * its headers, a "Message-ID:" line in the text, the bounce's own
 * In-Reply-To, or an SES notification's header list.  NULL when none.
 */
char *
dsn_message_id(const struct mime_msg *m, const struct dsn_parts *ev)
{
	const char *v;
	char *id = NULL;
	size_t budget = DSN_MAX_SCAN;

	if (ev->returned != NULL)
		id = field_msgid(ev->returned->data, scan_part_len(ev->returned, DSN_MAX_SCAN), 1);
	for (size_t i = 0; id == NULL && i < m->n_parts && budget > 0; i++) {
		const struct mime_part *part = &m->parts[i];

		if (scan_part_is_text(part) || part == ev->status)
			id = field_msgid(part->data, scan_part_take(part, &budget), 0);
	}
	if (id == NULL && m->body != NULL)
		id = field_msgid(m->body, strnlen(m->body, DSN_MAX_SCAN), 0);
	if (id != NULL)
		return id;
	/* Some gateways answer in-thread instead of returning the message. */
	if (m->in_reply_to != NULL && m->in_reply_to[0] != '\0')
		return xstrdup(m->in_reply_to);
	v = mime_header_get(m, "In-Reply-To");
	if (v != NULL)
		id = scan_msgid_at(v, strlen(v));
	if (id == NULL && ev->ses && m->body != NULL) {
		v = strstr(m->body, "Message-ID");
		if (v != NULL)
			id = scan_msgid_at(v, strcspn(v, "}"));
	}
	return id;
}

/*
 * A delay warning, not a failure: the DSN's actions are all "delayed" (or
 * its status is 4.x.x), or, without a DSN part, the subject says so.  The
 * router must not mark such a recipient undeliverable.
 */
int
dsn_is_delay(const struct mime_msg *m, const struct dsn_parts *ev)
{
	const char *data, *p;
	size_t len;
	int delayed = 0, failed = 0;

	if (ev->status != NULL && ev->status->data != NULL) {
		data = ev->status->data;
		len = scan_part_len(ev->status, DSN_MAX_STATUS_SCAN);
		for (p = scan_ci_find(data, len, "action:"); p != NULL;
		     p = scan_ci_find(p + 7, len - (size_t)(p + 7 - data), "action:")) {
			const char *v = p + 7;

			while (v < data + len && str_is_space((unsigned char)*v))
				v++;
			if (str_has_prefix_ci(v, "delayed"))
				delayed = 1;
			else if (str_has_prefix_ci(v, "failed"))
				failed = 1;
		}
		if (delayed || failed)
			return delayed && !failed;
	}
	return m->subject != NULL && (scan_ci_find(m->subject, strlen(m->subject), "delayed") != NULL ||
				      scan_ci_find(m->subject, strlen(m->subject), "(delay)") != NULL);
}
