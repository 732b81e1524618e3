/*
 * classify: robots from people (SPEC section 4).
 *
 * Plain string matching over the top-level headers, the decoded subject,
 * the part list and a bounded prefix of the text parts: no regular
 * expressions, and every search has a byte budget (hostile input).  The
 * body searches only run for mail that already looks machine-made (a
 * mailer-daemon or postmaster sender, an empty Return-Path,
 * Auto-Submitted, …), so ordinary mail from people costs a few header
 * lookups and a look at the subject.
 *
 * Kinds, strongest first: feedback_report > bounce > auto_reply > list >
 * normal.  A bounce is either a real DSN (RFC 3464 multipart/report or a
 * message/delivery-status part) or one of the vendor forms that real MTAs
 * send without that structure (qmail, Exim, Sendmail v5, Exchange 2003,
 * Lotus Notes, Japanese carriers …): those need a robot sender AND a
 * failure phrase in the subject or the text, so a person who pastes a
 * bounce into a support request still gets a ticket.
 */
#include "classify.h"

#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "xmalloc.h"

/* Bytes of one text part, and of all of them, searched for failure phrases. */
#define CLASSIFY_MAX_PHRASE_SCAN  (8 * 1024)
#define CLASSIFY_MAX_PHRASE_TOTAL (32 * 1024)
/* Bytes of one part, and of all notification parts, searched for recipients. */
#define CLASSIFY_MAX_SCAN         (256 * 1024)
/* Bytes at the start of a line searched for "copy of the message" markers. */
#define CLASSIFY_MARKER_SPAN      160
/* Addresses in a notification text weighed as the failed recipient. */
#define CLASSIFY_MAX_CANDIDATES   64
/* Longest address or Message-ID we accept (RFC 5321/5322 limits). */
#define CLASSIFY_MAX_ID           998

/* Amazon SES notifications (JSON in the body). */
enum ses_kind {
	SES_NONE = 0,
	SES_BOUNCE,
	SES_COMPLAINT,
	SES_OTHER,        /* Delivery and others: machine mail, not a failure */
};

/* What the headers and the structure say, before the kind is chosen. */
struct evidence {
	const char *reason;   /* first "no automatic answer" rule that fired */
	int robot;            /* sender looks like an MTA or a robot */
	int noreply;          /* sender is a no-reply address */
	int auto_reply;       /* RFC 3834 or a vendor auto-reply marker */
	int list;             /* mailing list headers */
	int dsn;              /* RFC 3464 structure */
	int arf;              /* RFC 5965 structure or a known vendor form */
	int mdn;              /* RFC 8098 read receipt */
	enum ses_kind ses;
	const struct mime_part *status;    /* message/delivery-status */
	const struct mime_part *returned;  /* message/rfc822, text/rfc822-headers */
};

/* ---------------------------------------------------------------- text */

static int
lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Case-insensitive (ASCII) search for needle in hay[0..len). */
static const char *
ci_find(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	int first = lc((unsigned char)needle[0]);

	if (n == 0 || n > len)
		return n == 0 ? hay : NULL;
	for (size_t i = 0; i + n <= len; i++) {
		size_t j;

		if (lc((unsigned char)hay[i]) != first)
			continue;
		for (j = 1; j < n; j++)
			if (lc((unsigned char)hay[i + j]) != lc((unsigned char)needle[j]))
				break;
		if (j == n)
			return hay + i;
	}
	return NULL;
}

/* 1 when s starts with prefix, ignoring ASCII case. */
static int
ci_prefix(const char *s, const char *prefix)
{
	for (; *prefix != '\0'; s++, prefix++)
		if (lc((unsigned char)*s) != lc((unsigned char)*prefix))
			return 0;
	return 1;
}

/* Index of the first needle found in hay, or -1. */
static int
ci_find_any(const char *hay, size_t len, const char *const *needles)
{
	for (int i = 0; needles[i] != NULL; i++)
		if (ci_find(hay, len, needles[i]) != NULL)
			return i;
	return -1;
}

/*
 * The first token of a header value (up to ';', ',', '(' or space),
 * lowercased into buf.
 */
static const char *
value_token(const char *v, char *buf, size_t size)
{
	size_t n = 0;

	while (is_space((unsigned char)*v))
		v++;
	while (*v != '\0' && *v != ';' && *v != ',' && *v != '(' &&
	       !is_space((unsigned char)*v) && n + 1 < size)
		buf[n++] = (char)lc((unsigned char)*v++);
	buf[n] = '\0';
	return buf;
}

/* 1 when the comma/space separated list v names one of words (lowercase). */
static int
value_has_word(const char *v, const char *const *words)
{
	char tok[64];

	while (*v != '\0') {
		size_t n = 0;

		while (*v == ',' || *v == ';' || is_space((unsigned char)*v))
			v++;
		while (*v != '\0' && *v != ',' && *v != ';' &&
		       !is_space((unsigned char)*v)) {
			if (n + 1 < sizeof(tok))
				tok[n++] = (char)lc((unsigned char)*v);
			v++;
		}
		tok[n] = '\0';
		for (int i = 0; n > 0 && words[i] != NULL; i++)
			if (strcmp(tok, words[i]) == 0)
				return 1;
	}
	return 0;
}

/* The value of parameter name (lowercase) in a Content-Type, lowercased. */
static const char *
content_type_param(const char *ct, const char *name, char *buf, size_t size)
{
	size_t nlen = strlen(name);

	for (const char *p = strchr(ct, ';'); p != NULL; p = strchr(p, ';')) {
		p++;
		while (is_space((unsigned char)*p))
			p++;
		if (!ci_prefix(p, name))
			continue;
		p += nlen;
		while (is_space((unsigned char)*p))
			p++;
		if (*p != '=')
			continue;
		p++;
		while (is_space((unsigned char)*p) || *p == '"')
			p++;
		return value_token(p, buf, size);
	}
	return NULL;
}

/* ----------------------------------------------------------- addresses */

static int
is_local_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c != '\0' && strchr(".!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

/* The local part of addr (up to '@'), or NULL; length in *len_r. */
static const char *
local_part(const char *addr, size_t *len_r)
{
	const char *at;

	if (addr == NULL)
		return NULL;
	while (*addr == '<' || *addr == '"' || is_space((unsigned char)*addr))
		addr++;
	at = strchr(addr, '@');
	*len_r = at != NULL ? (size_t)(at - addr) : strlen(addr);
	while (*len_r > 0 && (addr[*len_r - 1] == '>' || addr[*len_r - 1] == '"' ||
			      is_space((unsigned char)addr[*len_r - 1])))
		(*len_r)--;
	return addr;
}

static int
local_is(const char *local, size_t len, const char *word)
{
	return strlen(word) == len && ci_prefix(local, word);
}

/* "mailer-daemon" or "postmaster" when addr's local part is one (SPEC 4). */
static const char *
daemon_reason(const char *addr)
{
	size_t len;
	const char *local = local_part(addr, &len);

	if (local == NULL)
		return NULL;
	if (local_is(local, len, "mailer-daemon"))
		return "mailer-daemon";
	if (local_is(local, len, "postmaster"))
		return "postmaster";
	return NULL;
}

/* Other local parts that MTAs and gateways send their reports from. */
static int
robot_local(const char *addr)
{
	static const char *const words[] = {
		"mailer-daemon", "postmaster", "mailerdaemon", "mail-daemon",
		"mailer_daemon", "post_master", "mail.delivery.system",
		"mdaemon", "mmsc", "root", "smtp", "bounce", "bounces",
		"sysadmin", NULL
	};
	size_t len;
	const char *local = local_part(addr, &len);

	if (local == NULL)
		return 0;
	for (int i = 0; words[i] != NULL; i++)
		if (local_is(local, len, words[i]))
			return 1;
	/* "poostmaster", "postmaster-xyz", "mailer-daemon+tag" */
	return len > 0 && (ci_find(local, len, "postmaster") != NULL ||
			   ci_find(local, len, "mailer-daemon") != NULL);
}

static int
is_domain_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/*
 * Length of the local@domain address at s[0..len), 0 when there is none:
 * a non-empty local part, a dotted domain (or a bare host name when
 * single_label is set).  Trailing dots are not part of it.
 */
static size_t
address_len(const char *s, size_t len, int single_label)
{
	size_t i = 0, at, dots = 0;

	while (i < len && is_local_char((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= len || s[i] != '@')
		return 0;
	at = i++;
	while (i < len && is_domain_char((unsigned char)s[i]))
		dots += s[i++] == '.';
	while (i > at + 1 && s[i - 1] == '.') {
		i--;
		dots--;
	}
	if (i - at < 2 || (dots == 0 && !single_label) || i > CLASSIFY_MAX_ID)
		return 0;
	return i;
}

/*
 * Copy the address at s[0..len) (after an optional "type;", blanks, "<"
 * and quotes), or NULL when there is no plausible local@domain there.
 */
static char *
address_at(const char *s, size_t len)
{
	const char *end = s + len;
	const char *semi = memchr(s, ';', len);
	size_t n;

	if (semi != NULL)
		s = semi + 1;
	while (s < end && (is_space((unsigned char)*s) || *s == '<' || *s == '"' || *s == '\''))
		s++;
	n = address_len(s, (size_t)(end - s), 0);
	return n > 0 ? xstrndup(s, n) : NULL;
}

/* ------------------------------------------------------- field lookups */

/*
 * Find a "Name: value" line in data[0..len): the name at the start of a
 * line, after optional blanks and "> " quoting.  Returns the value (its
 * length, up to the end of the line, in *vlen_r); a value folded onto the
 * next line is followed.  headers_only stops at the first empty line.
 */
static const char *
find_field(const char *data, size_t len, const char *name, int headers_only,
	   size_t *vlen_r)
{
	const char *end = data + len;
	const char *line = data;
	size_t nlen = strlen(name);

	/* a returned message may start with blank lines */
	while (headers_only && line < end && (*line == '\n' || *line == '\r'))
		line++;
	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *p = line;
		const char *next;

		if (eol == NULL)
			eol = end;
		next = eol < end ? eol + 1 : end;
		if (headers_only && (p == eol || (*p == '\r' && p + 1 == eol)))
			return NULL;
		while (p < eol && (*p == ' ' || *p == '\t' || *p == '>'))
			p++;
		if ((size_t)(eol - p) > nlen && ci_prefix(p, name)) {
			p += nlen;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			if (p < eol && *p == ':') {
				const char *v = p + 1;
				const char *ve = eol;

				while (v < ve && is_space((unsigned char)*v))
					v++;
				while (ve > v && is_space((unsigned char)ve[-1]))
					ve--;
				if (v == ve && next < end && (*next == ' ' || *next == '\t')) {
					/* folded: the value is on the next line */
					v = next;
					ve = memchr(next, '\n', (size_t)(end - next));
					if (ve == NULL)
						ve = end;
					while (v < ve && is_space((unsigned char)*v))
						v++;
					while (ve > v && is_space((unsigned char)ve[-1]))
						ve--;
				}
				*vlen_r = (size_t)(ve - v);
				return v;
			}
		}
		line = next;
	}
	return NULL;
}

/* The msg-id inside <…> in v[0..len) (or the bare token), or NULL. */
static char *
msgid_at(const char *v, size_t len)
{
	const char *end = v + len;
	const char *lt = memchr(v, '<', len);
	const char *a, *b;

	if (lt != NULL) {
		a = lt + 1;
		b = memchr(a, '>', (size_t)(end - a));
		if (b == NULL)
			return NULL;
	} else {
		a = v;
		b = a;
		while (b < end && !is_space((unsigned char)*b))
			b++;
	}
	if (b == a || b - a > CLASSIFY_MAX_ID || memchr(a, '@', (size_t)(b - a)) == NULL)
		return NULL;
	for (const char *p = a; p < b; p++)
		if (is_space((unsigned char)*p))
			return NULL;
	return xstrndup(a, (size_t)(b - a));
}

static size_t
scan_len(const struct mime_part *part, size_t max)
{
	size_t n = part->data != NULL ? part->size : 0;

	return n < max ? n : max;
}

/* Like scan_len, charged to a budget shared by the parts of one search. */
static size_t
scan_take(const struct mime_part *part, size_t *budget)
{
	size_t n = scan_len(part, *budget);

	*budget -= n;
	return n;
}

static int
is_text(const struct mime_part *part)
{
	return part->content_type != NULL && strncmp(part->content_type, "text/", 5) == 0 &&
	       strcmp(part->content_type, "text/rfc822-headers") != 0;
}

static int
is_returned(const char *ct)
{
	return strcmp(ct, "message/rfc822") == 0 || strcmp(ct, "text/rfc822-headers") == 0 ||
	       strcmp(ct, "message/global") == 0 || strcmp(ct, "message/global-headers") == 0 ||
	       strcmp(ct, "message/partial") == 0;
}

/* ------------------------------------------------------------- headers */

static void
note(struct evidence *ev, const char *reason)
{
	if (ev->reason == NULL)
		ev->reason = reason;
}

/*
 * "From: MAILER-DAEMON <>" has no address for the parser to keep: look
 * at the raw field.
 */
static const char *
raw_from_daemon(const struct mime_msg *m)
{
	const char *v = mime_header_get(m, "From");

	if (v == NULL)
		return NULL;
	if (ci_find(v, strlen(v), "mailer-daemon") != NULL)
		return "mailer-daemon";
	if (ci_find(v, strlen(v), "postmaster") != NULL)
		return "postmaster";
	return NULL;
}

/* The "no automatic answer" rules of SPEC section 4 and list/auto-reply hints. */
static void
check_headers(const struct mime_msg *m, struct evidence *ev)
{
	static const char *const suppress[] = { "all", "autoreply", NULL };
	char tok[32];
	const char *v;

	v = mime_header_get(m, "Auto-Submitted");
	if (v != NULL && strcmp(value_token(v, tok, sizeof(tok)), "no") != 0) {
		note(ev, "auto-submitted");
		ev->robot = 1;
		if (strcmp(tok, "auto-replied") == 0)
			ev->auto_reply = 1;
	}
	v = mime_header_get(m, "Precedence");
	if (v != NULL) {
		value_token(v, tok, sizeof(tok));
		if (strcmp(tok, "bulk") == 0) {
			note(ev, "precedence-bulk");
			ev->list = 1;
		} else if (strcmp(tok, "list") == 0) {
			note(ev, "precedence-list");
			ev->list = 1;
		} else if (strcmp(tok, "junk") == 0) {
			note(ev, "precedence-junk");
		} else if (strcmp(tok, "auto_reply") == 0 || strcmp(tok, "auto-reply") == 0) {
			note(ev, "precedence-auto_reply");
			ev->auto_reply = 1;
		}
	}
	if (mime_header_get(m, "List-Id") != NULL) {
		note(ev, "list-id");
		ev->list = 1;
	}
	if (mime_header_get(m, "List-Unsubscribe") != NULL) {
		note(ev, "list-unsubscribe");
		ev->list = 1;
	}
	if (mime_header_get(m, "Mailing-List") != NULL) {   /* ezmlm */
		note(ev, "mailing-list");
		ev->list = 1;
	}
	v = mime_header_get(m, "X-Autoreply");
	if (v != NULL && strcmp(value_token(v, tok, sizeof(tok)), "no") != 0) {
		note(ev, "x-autoreply");
		ev->auto_reply = 1;
	}
	if (mime_header_get(m, "X-Autorespond") != NULL ||
	    mime_header_get(m, "X-Autoresponder") != NULL ||
	    mime_header_get(m, "X-AutoReply-From") != NULL ||
	    mime_header_get(m, "X-Mail-Autoreply") != NULL) {
		note(ev, "x-autorespond");
		ev->auto_reply = 1;
	}
	v = mime_header_get(m, "X-Autogenerated");
	if (v != NULL && strcmp(value_token(v, tok, sizeof(tok)), "reply") == 0) {
		note(ev, "x-autorespond");
		ev->auto_reply = 1;
	}
	v = mime_header_get(m, "X-Auto-Response-Suppress");
	if (v != NULL && value_has_word(v, suppress))
		note(ev, "x-auto-response-suppress");
	/* An Exchange inbox rule answered (an out-of-office or a rule reply). */
	if (mime_header_get(m, "X-MS-Exchange-Inbox-Rules-Loop") != NULL &&
	    mime_header_get(m, "X-Auto-Response-Suppress") != NULL) {
		note(ev, "x-ms-exchange-inbox-rules-loop");
		ev->auto_reply = 1;
	}

	v = m->from.address != NULL ? daemon_reason(m->from.address) : raw_from_daemon(m);
	if (v == NULL)
		v = daemon_reason(m->sender.address);
	if (v == NULL)
		v = daemon_reason(m->return_path);
	if (v != NULL) {
		note(ev, v);
		ev->robot = 1;
	}
	if (m->return_path != NULL && m->return_path[0] == '\0') {
		note(ev, "null-return-path");
		ev->robot = 1;
	}

	/* Weaker robot hints: only used together with failure phrases. */
	if (!ev->robot) {
		static const char *const names[] = {
			"mailer-daemon", "mailer daemon", "mail delivery", "mail deliver system",
			"postmaster", "ndr administrator", "mail administrator", "mail system", NULL
		};
		const char *name = m->from.name;
		const char *raw = mime_header_get(m, "From");

		if (robot_local(m->from.address) || robot_local(m->sender.address) ||
		    robot_local(m->return_path) ||
		    (name != NULL && ci_find_any(name, strlen(name), names) >= 0) ||
		    (m->from.address != NULL && m->from.address[0] == '\0') ||
		    (m->from.address == NULL && raw != NULL && strstr(raw, "<>") != NULL))
			ev->robot = 1;
	}
	if (!ev->robot) {
		static const char *const noreply[] = {
			"no-reply", "noreply", "do-not-reply", "donotreply", NULL
		};
		size_t len;
		const char *local = local_part(m->from.address, &len);

		if (local != NULL && ci_find_any(local, len, noreply) >= 0)
			ev->noreply = 1;
	}
}

/* ----------------------------------------------------------- structure */

static void
check_structure(const struct mime_msg *m, struct evidence *ev)
{
	const char *ct = mime_header_get(m, "Content-Type");
	char tok[40];

	if (ct != NULL && strcmp(value_token(ct, tok, sizeof(tok)), "multipart/report") == 0) {
		const char *type = content_type_param(ct, "report-type", tok, sizeof(tok));

		if (type != NULL && strcmp(type, "feedback-report") == 0)
			ev->arf = 1;
		else if (type != NULL && strcmp(type, "disposition-notification") == 0)
			ev->mdn = 1;
		else
			ev->dsn = 1;  /* delivery-status, or missing as some MTAs send */
	}
	for (size_t i = 0; i < m->n_parts; i++) {
		const struct mime_part *part = &m->parts[i];
		const char *pct = part->content_type;

		if (pct == NULL || strncmp(pct, "message/", 8) != 0) {
			if (pct != NULL && strcmp(pct, "text/rfc822-headers") == 0 &&
			    ev->returned == NULL)
				ev->returned = part;
			continue;
		}
		if (strcmp(pct, "message/delivery-status") == 0 ||
		    strcmp(pct, "message/global-delivery-status") == 0) {
			ev->dsn = 1;
			if (ev->status == NULL)
				ev->status = part;
		} else if (strcmp(pct, "message/feedback-report") == 0) {
			ev->arf = 1;
		} else if (strcmp(pct, "message/disposition-notification") == 0 ||
			   strcmp(pct, "message/global-disposition-notification") == 0) {
			ev->mdn = 1;
		} else if (is_returned(pct) && ev->returned == NULL) {
			ev->returned = part;
		}
	}
}

/* ------------------------------------------------------ vendor bounces */

/* Subjects of non-delivery reports, lowercase, anywhere in the subject. */
static const char *const bounce_subjects[] = {
	"undelivered mail", "returned mail", "delivery status notification",
	"mail delivery failed", "failure notice", "undeliverable", "undelivered",
	"delivery failure", "delivery failed", "failed delivery", "failure delivery",
	"non-delivery", "nondeliverable", "non delivery", "delivery has failed",
	"could not be delivered", "couldn't be delivered", "not be delivered",
	"mail system error", "delayed mail", "delivery delayed", "delivery notification",
	"delivery status", "delivery problem", "error sending your mail", "mail failed",
	"mail failure", "message not delivered", "returning message to sender",
	"returning to sender", "returned to sender", "could not send", "warning: message",
	"delivery report",
	"non remis", "unzustellbar", "nicht zustellbar", "no se puede entregar",
	"non recapitabile", "niet bezorgd", "ei voitu toimittaa",
	"не доставлено", "недоставленное",
	"配信不能", "配信できません", "配信エラー", "返送されたメッセージ",
	"メールエラー", "エラー通知",
	"送信できませんでした", "送達不能", "届きませんでした", "配信されませんでした",
	"退信", "无法投递", "投递失败", "未能送达", "系统退信",
	NULL
};

/* Phrases of non-delivery reports in the text, lowercase. */
static const char *const bounce_phrases[] = {
	"this is the qmail-send program",
	"wasn't able to deliver your message",
	"this message was created automatically by mail delivery software",
	"could not be delivered to one or more",
	"a message that you sent could not be delivered",
	"message could not be delivered",
	"could not be delivered to",
	"following addresses had permanent fatal errors",
	"following addresses had delivery problems",
	"following addresses had delivery errors",
	"transcript of session follows",
	"the original message was received at",
	"delivery to the following recipient",
	"delivery has failed to these recipients",
	"did not reach some or all of the intended recipients",
	"did not reach the following recipient",
	"unable to deliver message to the following",
	"unable to deliver your message",
	"we had trouble delivering your message",
	"automatically generated delivery status notification",
	"was not delivered to",
	"following recipients could not be reached",
	"following recipient(s) could not be reached",
	"error delivering your mail",
	"failed addresses follow",
	"your message was not delivered",
	"your mail could not be delivered",
	"message was undeliverable",
	"undeliverable message",
	"failed permanently",
	"invalid user address",
	"following recipients returned permanent errors",
	"error occurred while trying to deliver",
	"final-recipient:",
	"action: failed",
	"delivery status notification",
	"message delivery failed",
	NULL
};

/* Japanese / Chinese / Russian phrases: looked for in the decoded body. */
static const char *const bounce_phrases_utf8[] = {
	"配信できません", "送信できません", "配信に失敗", "送信に失敗",
	"届きませんでした", "配信されませんでした", "宛先が見つかりません",
	"存在しません", "送信できませんでした", "配信不能",
	"无法投递", "投递失败", "退信",
	"не доставлено", "не может быть доставлено",
	NULL
};

/* "Re:", "Fwd:" …: a person answering or passing on a report. */
static int
subject_is_reply(const char *s)
{
	static const char *const prefixes[] = {
		"re:", "re :", "fw:", "fwd:", "aw:", "wg:", "tr:", "rv:", "sv:", "vs:",
		"vl:", "antw:", "回复", "转发", "答复", NULL
	};

	while (is_space((unsigned char)*s))
		s++;
	for (int i = 0; prefixes[i] != NULL; i++)
		if (ci_prefix(s, prefixes[i]))
			return 1;
	return 0;
}

static int subject_says_auto_reply(const char *subject);

/*
 * A non-delivery subject, not inside a reply or an auto-reply that quotes
 * the subject it answers ("Automatic reply: Mail delivery failed?").
 */
static int
subject_says_bounce(const char *subject)
{
	return subject != NULL && !subject_is_reply(subject) &&
	       ci_find_any(subject, strlen(subject), bounce_subjects) >= 0 &&
	       !subject_says_auto_reply(subject);
}

/*
 * 1 when one of phrases (lowercase) is in data[0..len): a lowercased copy
 * in buf (len + 1 bytes) lets strstr do the searching.
 */
static int
has_phrase(const char *data, size_t len, const char *const *phrases, char *buf)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = data[i] == '\0' ? ' ' : (char)lc((unsigned char)data[i]);
	buf[len] = '\0';
	for (int i = 0; phrases[i] != NULL; i++)
		if (strstr(buf, phrases[i]) != NULL)
			return 1;
	return 0;
}

static int
text_says_bounce(const struct mime_msg *m)
{
	char *buf = xmalloc(CLASSIFY_MAX_PHRASE_SCAN + 1);
	size_t budget = CLASSIFY_MAX_PHRASE_TOTAL;
	int found = 0;

	for (size_t i = 0; i < m->n_parts && budget > 0 && !found; i++) {
		const struct mime_part *part = &m->parts[i];
		size_t n;

		if (!is_text(part))
			continue;
		n = scan_len(part, budget < CLASSIFY_MAX_PHRASE_SCAN ?
				   budget : CLASSIFY_MAX_PHRASE_SCAN);
		budget -= n;
		found = has_phrase(part->data, n, bounce_phrases, buf);
	}
	if (!found && m->body != NULL) {
		size_t n = strnlen(m->body, CLASSIFY_MAX_PHRASE_SCAN);

		found = has_phrase(m->body, n, bounce_phrases_utf8, buf) ||
			has_phrase(m->body, n, bounce_phrases, buf);
	}
	free(buf);
	return found;
}

/* Amazon SES / SNS notifications carry JSON: "notificationType":"Bounce". */
static enum ses_kind
ses_notification(const struct mime_msg *m)
{
	const char *from = m->from.address;
	const char *body = m->body;
	const char *p;
	size_t n;

	if (from == NULL || body == NULL)
		return SES_NONE;
	n = strlen(from);
	if (ci_find(from, n, "amazonaws.com") == NULL && ci_find(from, n, "amazonses.com") == NULL)
		return SES_NONE;
	p = strstr(body, "notificationType");
	if (p == NULL)
		return SES_NONE;
	p += strlen("notificationType");
	while (*p == '"' || *p == '\\' || *p == ':' || *p == ' ')
		p++;
	if (ci_prefix(p, "bounce"))
		return SES_BOUNCE;
	if (ci_prefix(p, "complaint"))
		return SES_COMPLAINT;
	return SES_OTHER;
}

/* fml mailing-list server notices: not a member, loop alert. */
static int
fml_bounce(const struct mime_msg *m)
{
	const char *v = mime_header_get(m, "X-MLServer");
	const char *s = m->subject;

	if (v == NULL || s == NULL || ci_find(v, strlen(v), "fml") == NULL)
		return 0;
	return ci_find(s, strlen(s), "are not member") != NULL ||
	       ci_find(s, strlen(s), "loop alert") != NULL ||
	       ci_find(s, strlen(s), "not a member") != NULL;
}

static int
is_bounce(const struct mime_msg *m, const struct evidence *ev)
{
	const char *v;

	if (ev->dsn && !ev->mdn)
		return 1;
	if (ev->ses == SES_BOUNCE)
		return 1;
	if (mime_header_get(m, "X-Failed-Recipients") != NULL)
		return 1;
	v = mime_header_get(m, "X-MS-Exchange-Message-Is-Ndr");
	if (v != NULL)
		return 1;
	if (fml_bounce(m))
		return 1;
	if (ev->robot)
		return subject_says_bounce(m->subject) || text_says_bounce(m);
	if (ev->noreply)
		return subject_says_bounce(m->subject) && text_says_bounce(m);
	return 0;
}

/* -------------------------------------------------------- auto-replies */

/*
 * Subjects of out-of-office and auto-reply mail, lowercase, matched at
 * the start of the subject (after an opening bracket) and followed by the
 * end, a colon, a dash or a closing bracket: "Automatic reply: …",
 * "【自動返信】…", but not "Auto reply not working".
 */
static const char *const auto_reply_prefixes[] = {
	"automatic reply", "auto reply", "auto-reply", "autoreply", "auto re",
	"auto response", "auto-response", "autoresponse", "autorespons",
	"automatic response", "auto-antwort", "autoantwort",
	"out of office autoreply", "out of office", "out of the office",
	"ooo", "away from my desk", "away from the office", "vacation reply",
	"on vacation", "abwesenheitsnotiz", "automatische antwort", "abwesend",
	"réponse automatique", "reponse automatique", "absent du bureau",
	"respuesta automática", "respuesta automatica", "fuera de la oficina",
	"automaattinen vastaus", "poissa toimistolta", "lomalla",
	"自動応答", "自動返信", "自動送信", "不在通知", "不在のお知らせ",
	"自动回复", "自動回覆",
	NULL
};

/* Auto-reply markers that are safe anywhere in a subject. */
static const char *const auto_reply_anywhere[] = {
	"out of office autoreply", "is out of the office", "[auto-reply]",
	"(auto-reply)", "[autoreply]", "(autoreply)", "[auto reply]",
	NULL
};

/* Length of the UTF-8 character at s when it is one of the openers/closers. */
static size_t
bracket_len(const char *s, int open)
{
	/* ASCII, 【】 and fullwidth ［］（） */
	static const char *const opens[] = {
		"[", "(", "\xe3\x80\x90", "\xef\xbc\xbb", "\xef\xbc\x88", NULL
	};
	static const char *const closes[] = {
		"]", ")", "\xe3\x80\x91", "\xef\xbc\xbd", "\xef\xbc\x89", NULL
	};
	const char *const *list = open ? opens : closes;

	for (int i = 0; list[i] != NULL; i++)
		if (strncmp(s, list[i], strlen(list[i])) == 0)
			return strlen(list[i]);
	return 0;
}

static int
subject_says_auto_reply(const char *subject)
{
	const char *s = subject;

	if (s == NULL)
		return 0;
	if (ci_find_any(s, strlen(s), auto_reply_anywhere) >= 0)
		return 1;
	while (is_space((unsigned char)*s))
		s++;
	s += bracket_len(s, 1);
	for (int i = 0; auto_reply_prefixes[i] != NULL; i++) {
		const char *p = s + strlen(auto_reply_prefixes[i]);

		if (!ci_prefix(s, auto_reply_prefixes[i]))
			continue;
		while (*p == ' ' || *p == '\t' || strncmp(p, "\xc2\xa0", 2) == 0)
			p += *p == ' ' || *p == '\t' ? 1 : 2;
		if (*p == '\0' || *p == ':' || *p == '-' || *p == '|' ||
		    strncmp(p, "\xef\xbc\x9a", 3) == 0 || bracket_len(p, 0) > 0)
			return 1;
	}
	return 0;
}

/* ---------------------------------------------------- bounce details */

/* Another address of the bounce itself: its sender, its recipient … */
static int
address_is_ours(const struct mime_msg *m, const char *addr)
{
	static const char *const fields[] = {
		"To", "Cc", "From", "Sender", "Reply-To", "Return-Path", NULL
	};

	if (daemon_reason(addr) != NULL || robot_local(addr))
		return 1;
	for (int i = 0; fields[i] != NULL; i++) {
		const char *v = mime_header_get(m, fields[i]);

		if (v != NULL && ci_find(v, strlen(v), addr) != NULL)
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

		if (v != NULL && ci_find(v, strlen(v), addr) != NULL)
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
		if (len >= strlen(headers[i]) && ci_prefix(p, headers[i]))
			return 1;
	return ci_find_any(p, len, markers) >= 0;
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
		n = address_len(a, (size_t)(eol - a), 1);
		if (n == 0 || a + n >= eol || a[n] != '>')
			return NULL;
	} else {
		const char *p;

		n = address_len(a, (size_t)(eol - a), 1);
		p = a + n;
		while (p < eol && (*p == ':' || is_space((unsigned char)*p)))
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
		head = (size_t)(eol - line) < CLASSIFY_MARKER_SPAN ? (size_t)(eol - line) :
		       CLASSIFY_MARKER_SPAN;
		if (line_starts_returned(line, head))
			break;
		addr = line_lead_address(line, eol);
		if (addr != NULL && !address_is_sender(m, addr)) {
			free(loose);
			return addr;
		}
		free(addr);
		if (loose != NULL || ci_find(line, head, "message-id") != NULL ||
		    ci_find(line, head, "mail from:") != NULL)
			continue;
		for (at = memchr(line, '@', (size_t)(eol - line));
		     at != NULL && loose == NULL && candidates++ < CLASSIFY_MAX_CANDIDATES;
		     at = memchr(at + 1, '@', (size_t)(eol - at - 1))) {
			const char *a = at;

			while (a > line && is_local_char((unsigned char)a[-1]))
				a--;
			addr = address_at(a, (size_t)(eol - a));
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
	return address_at(p, strcspn(p, "\"\\,}]"));
}

static char *
status_recipient(const char *data, size_t len)
{
	static const char *const fields[] = {
		"Original-Recipient", "Final-Recipient", "X-Actual-Recipient", NULL
	};

	for (int i = 0; fields[i] != NULL; i++) {
		size_t vlen;
		const char *v = find_field(data, len, fields[i], 0, &vlen);
		char *addr = v != NULL ? address_at(v, vlen) : NULL;

		if (addr != NULL)
			return addr;
	}
	return NULL;
}

/* The first To address of the returned message, when it is not ours. */
static char *
returned_to(const struct mime_msg *m, const struct evidence *ev)
{
	size_t budget = CLASSIFY_MAX_SCAN;

	for (size_t i = 0; i < m->n_parts && budget > 0; i++) {
		const struct mime_part *part = &m->parts[i];
		int headers_only = part == ev->returned;
		size_t vlen;
		const char *v;
		char *addr;

		if (!headers_only && !is_text(part))
			continue;
		v = find_field(part->data, scan_take(part, &budget), "To", headers_only, &vlen);
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
static char *
bounce_recipient(const struct mime_msg *m, const struct evidence *ev)
{
	const char *v;
	char *addr = NULL;
	int notify_depth = -1;
	size_t budget = CLASSIFY_MAX_SCAN;

	if (ev->status != NULL)
		addr = status_recipient(ev->status->data, scan_len(ev->status, CLASSIFY_MAX_SCAN));
	v = mime_header_get(m, "X-Failed-Recipients");
	if (addr == NULL && v != NULL)
		addr = address_at(v, strcspn(v, ","));
	if (addr == NULL && ev->ses != SES_NONE && m->body != NULL)
		addr = json_address(m->body, "emailAddress");
	/* An inline DSN in the text (legacy MTAs, broken multiparts). */
	if (addr == NULL && m->body != NULL)
		addr = status_recipient(m->body, strnlen(m->body, CLASSIFY_MAX_SCAN));
	for (size_t i = 0; addr == NULL && i < m->n_parts && budget > 0; i++)
		if (is_text(&m->parts[i]))
			addr = status_recipient(m->parts[i].data, scan_take(&m->parts[i], &budget));
	if (addr != NULL)
		return addr;

	/* The notification text: text parts before the returned message. */
	budget = CLASSIFY_MAX_SCAN;
	for (size_t i = 0; addr == NULL && i < m->n_parts && budget > 0; i++) {
		const struct mime_part *part = &m->parts[i];

		if (part->content_type != NULL &&
		    (strncmp(part->content_type, "message/", 8) == 0 ||
		     strcmp(part->content_type, "text/rfc822-headers") == 0))
			break;
		if (!is_text(part))
			continue;
		if (notify_depth < 0)
			notify_depth = part->depth;
		else if (part->depth > notify_depth)
			break;
		addr = text_recipient(m, part->data, scan_take(part, &budget));
	}
	if (addr == NULL && m->n_parts == 0 && m->body != NULL)
		addr = text_recipient(m, m->body, strnlen(m->body, CLASSIFY_MAX_SCAN));
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
		const char *v = find_field(data, len, fields[i], headers_only, &vlen);
		char *id = v != NULL ? msgid_at(v, vlen) : NULL;

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
static char *
bounce_message_id(const struct mime_msg *m, const struct evidence *ev)
{
	const char *v;
	char *id = NULL;
	size_t budget = CLASSIFY_MAX_SCAN;

	if (ev->returned != NULL)
		id = field_msgid(ev->returned->data, scan_len(ev->returned, CLASSIFY_MAX_SCAN), 1);
	for (size_t i = 0; id == NULL && i < m->n_parts && budget > 0; i++) {
		const struct mime_part *part = &m->parts[i];

		if (is_text(part) || part == ev->status)
			id = field_msgid(part->data, scan_take(part, &budget), 0);
	}
	if (id == NULL && m->body != NULL)
		id = field_msgid(m->body, strnlen(m->body, CLASSIFY_MAX_SCAN), 0);
	if (id != NULL)
		return id;
	/* Some gateways answer in-thread instead of returning the message. */
	if (m->in_reply_to != NULL && m->in_reply_to[0] != '\0')
		return xstrdup(m->in_reply_to);
	v = mime_header_get(m, "In-Reply-To");
	if (v != NULL)
		id = msgid_at(v, strlen(v));
	if (id == NULL && ev->ses != SES_NONE && m->body != NULL) {
		v = strstr(m->body, "Message-ID");
		if (v != NULL)
			id = msgid_at(v, strcspn(v, "}"));
	}
	return id;
}

/* ---------------------------------------------------------------- main */

static const char *
jmrp_complaint(const struct mime_msg *m)
{
	const char *s = m->subject;

	/* Microsoft JMRP: "complaint about message from 192.0.2.1" */
	while (s != NULL && is_space((unsigned char)*s))
		s++;
	if (s != NULL && ci_prefix(s, "complaint about message from ") &&
	    s[29] >= '0' && s[29] <= '9')
		return "jmrp";
	s = mime_header_get(m, "X-Apple-Unsubscribe");
	if (s != NULL && ci_prefix(s, "true"))
		return "x-apple-unsubscribe";
	return NULL;
}

/*
 * A delay warning, not a failure: the DSN's actions are all "delayed" (or
 * its status is 4.x.x), or, without a DSN part, the subject says so.  The
 * router must not mark such a recipient undeliverable.
 */
static int
bounce_is_delay(const struct mime_msg *m, const struct evidence *ev)
{
	const char *data, *p;
	size_t len;
	int delayed = 0, failed = 0;

	if (ev->status != NULL && ev->status->data != NULL) {
		data = ev->status->data;
		len = scan_len(ev->status, 64 * 1024);
		for (p = data; (p = ci_find(p, len - (size_t)(p - data), "action:")) != NULL; p += 7) {
			const char *v = p + 7;

			while (v < data + len && is_space((unsigned char)*v))
				v++;
			if (ci_prefix(v, "delayed"))
				delayed = 1;
			else if (ci_prefix(v, "failed"))
				failed = 1;
		}
		if (delayed || failed)
			return delayed && !failed;
	}
	return m->subject != NULL && (ci_find(m->subject, strlen(m->subject), "delayed") != NULL ||
				      ci_find(m->subject, strlen(m->subject), "(delay)") != NULL);
}

void
classify_message(struct mime_msg *m)
{
	struct evidence ev;
	const char *reason = NULL;
	const char *vendor;

	memset(&ev, 0, sizeof(ev));
	xfree(&m->automatic_reason);
	xfree(&m->dsn_message_id);
	xfree(&m->dsn_recipient);
	m->kind = MIME_KIND_NORMAL;
	m->automatic = 0;
	m->dsn_delayed = 0;

	check_headers(m, &ev);
	check_structure(m, &ev);
	ev.ses = ses_notification(m);
	vendor = jmrp_complaint(m);

	if (ev.arf || ev.ses == SES_COMPLAINT || vendor != NULL) {
		m->kind = MIME_KIND_FEEDBACK_REPORT;
		reason = ev.arf ? "arf" : ev.ses == SES_COMPLAINT ? "amazon-ses" : vendor;
	} else if (is_bounce(m, &ev)) {
		m->kind = MIME_KIND_BOUNCE;
		reason = ev.dsn ? "dsn" : ev.ses != SES_NONE ? "amazon-ses" : "bounce";
		m->dsn_recipient = bounce_recipient(m, &ev);
		m->dsn_message_id = bounce_message_id(m, &ev);
		m->dsn_delayed = bounce_is_delay(m, &ev);
	} else if (ev.auto_reply || ev.mdn || subject_says_auto_reply(m->subject)) {
		m->kind = MIME_KIND_AUTO_REPLY;
		reason = ev.reason != NULL ? ev.reason : ev.mdn ? "mdn" : "auto-reply-subject";
	} else if (ev.list) {
		m->kind = MIME_KIND_LIST;
	} else if (ev.ses != SES_NONE) {
		reason = "amazon-ses";
	}
	if (reason == NULL)
		reason = ev.reason;
	if (reason != NULL) {
		m->automatic = 1;
		m->automatic_reason = xstrdup(reason);
	}
}
