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
 *
 * The details of a bounce (failed recipient, Message-ID, delay) are
 * dsn's work; the text searches are scan's.
 */
#include "classify.h"

#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "mime.h"
#include "scan.h"
#include "str.h"
#include "xmalloc.h"

/* Bytes of one text part, and of all of them, searched for failure phrases. */
#define CLASSIFY_MAX_PHRASE_SCAN  (8 * 1024)
#define CLASSIFY_MAX_PHRASE_TOTAL (32 * 1024)
/* Bytes of the text searched for an SES notification. */
#define CLASSIFY_MAX_SCAN         (256 * 1024)

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

/*
 * The first token of a header value (up to ';', ',', '(' or space),
 * lowercased into buf.
 */
static const char *
value_token(const char *v, char *buf, size_t size)
{
	size_t n = 0;

	while (str_is_space((unsigned char)*v))
		v++;
	while (*v != '\0' && *v != ';' && *v != ',' && *v != '(' &&
	       !str_is_space((unsigned char)*v) && n + 1 < size)
		buf[n++] = (char)str_ascii_lower((unsigned char)*v++);
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

		while (*v == ',' || *v == ';' || str_is_space((unsigned char)*v))
			v++;
		while (*v != '\0' && *v != ',' && *v != ';' &&
		       !str_is_space((unsigned char)*v)) {
			if (n + 1 < sizeof(tok))
				tok[n++] = (char)str_ascii_lower((unsigned char)*v);
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
		while (str_is_space((unsigned char)*p))
			p++;
		if (!str_has_prefix_ci(p, name))
			continue;
		p += nlen;
		while (str_is_space((unsigned char)*p))
			p++;
		if (*p != '=')
			continue;
		p++;
		while (str_is_space((unsigned char)*p) || *p == '"')
			p++;
		return value_token(p, buf, size);
	}
	return NULL;
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
	if (scan_ci_find(v, strlen(v), "mailer-daemon") != NULL)
		return "mailer-daemon";
	if (scan_ci_find(v, strlen(v), "postmaster") != NULL)
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

	v = m->from.address != NULL ? scan_daemon_reason(m->from.address) : raw_from_daemon(m);
	if (v == NULL)
		v = scan_daemon_reason(m->sender.address);
	if (v == NULL)
		v = scan_daemon_reason(m->return_path);
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

		if (scan_robot_local(m->from.address) || scan_robot_local(m->sender.address) ||
		    scan_robot_local(m->return_path) ||
		    (name != NULL && scan_ci_find_any(name, strlen(name), names) >= 0) ||
		    (m->from.address != NULL && m->from.address[0] == '\0') ||
		    (m->from.address == NULL && raw != NULL && strstr(raw, "<>") != NULL))
			ev->robot = 1;
	}
	if (!ev->robot) {
		static const char *const noreply[] = {
			"no-reply", "noreply", "do-not-reply", "donotreply", NULL
		};
		size_t len;
		const char *local = scan_local_part(m->from.address, &len);

		if (local != NULL && scan_ci_find_any(local, len, noreply) >= 0)
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

	while (str_is_space((unsigned char)*s))
		s++;
	for (int i = 0; prefixes[i] != NULL; i++)
		if (str_has_prefix_ci(s, prefixes[i]))
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
	       scan_ci_find_any(subject, strlen(subject), bounce_subjects) >= 0 &&
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
		buf[i] = data[i] == '\0' ? ' ' : (char)str_ascii_lower((unsigned char)data[i]);
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

		if (!scan_part_is_text(part))
			continue;
		n = scan_part_len(part, budget < CLASSIFY_MAX_PHRASE_SCAN ?
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
	if (scan_ci_find(from, n, "amazonaws.com") == NULL && scan_ci_find(from, n, "amazonses.com") == NULL)
		return SES_NONE;
	p = strstr(body, "notificationType");
	if (p == NULL)
		return SES_NONE;
	p += strlen("notificationType");
	while (*p == '"' || *p == '\\' || *p == ':' || *p == ' ')
		p++;
	if (str_has_prefix_ci(p, "bounce"))
		return SES_BOUNCE;
	if (str_has_prefix_ci(p, "complaint"))
		return SES_COMPLAINT;
	return SES_OTHER;
}

/* fml mailing-list server notices: not a member, loop alert. */
static int
fml_bounce(const struct mime_msg *m)
{
	const char *v = mime_header_get(m, "X-MLServer");
	const char *s = m->subject;

	if (v == NULL || s == NULL || scan_ci_find(v, strlen(v), "fml") == NULL)
		return 0;
	return scan_ci_find(s, strlen(s), "are not member") != NULL ||
	       scan_ci_find(s, strlen(s), "loop alert") != NULL ||
	       scan_ci_find(s, strlen(s), "not a member") != NULL;
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
	if (scan_ci_find_any(s, strlen(s), auto_reply_anywhere) >= 0)
		return 1;
	while (str_is_space((unsigned char)*s))
		s++;
	s += bracket_len(s, 1);
	for (int i = 0; auto_reply_prefixes[i] != NULL; i++) {
		const char *p = s + strlen(auto_reply_prefixes[i]);

		if (!str_has_prefix_ci(s, auto_reply_prefixes[i]))
			continue;
		while (*p == ' ' || *p == '\t' || strncmp(p, "\xc2\xa0", 2) == 0)
			p += *p == ' ' || *p == '\t' ? 1 : 2;
		if (*p == '\0' || *p == ':' || *p == '-' || *p == '|' ||
		    strncmp(p, "\xef\xbc\x9a", 3) == 0 || bracket_len(p, 0) > 0)
			return 1;
	}
	return 0;
}


static const char *
jmrp_complaint(const struct mime_msg *m)
{
	const char *s = m->subject;

	/* Microsoft JMRP: "complaint about message from 192.0.2.1" */
	while (s != NULL && str_is_space((unsigned char)*s))
		s++;
	if (s != NULL && str_has_prefix_ci(s, "complaint about message from ") &&
	    s[29] >= '0' && s[29] <= '9')
		return "jmrp";
	s = mime_header_get(m, "X-Apple-Unsubscribe");
	if (s != NULL && str_has_prefix_ci(s, "true"))
		return "x-apple-unsubscribe";
	return NULL;
}

void
classify_message(const struct mime_msg *m, struct msg_class *c)
{
	struct evidence ev;
	struct dsn_parts parts;
	const char *reason = NULL;
	const char *vendor;

	memset(&ev, 0, sizeof(ev));
	msg_class_release(c);

	check_headers(m, &ev);
	check_structure(m, &ev);
	ev.ses = ses_notification(m);
	vendor = jmrp_complaint(m);

	if (ev.arf || ev.ses == SES_COMPLAINT || vendor != NULL) {
		c->kind = MIME_KIND_FEEDBACK_REPORT;
		reason = ev.arf ? "arf" : ev.ses == SES_COMPLAINT ? "amazon-ses" : vendor;
	} else if (is_bounce(m, &ev)) {
		c->kind = MIME_KIND_BOUNCE;
		reason = ev.dsn ? "dsn" : ev.ses != SES_NONE ? "amazon-ses" : "bounce";
		parts.status = ev.status;
		parts.returned = ev.returned;
		parts.ses = ev.ses != SES_NONE;
		c->dsn_recipient = dsn_recipient(m, &parts);
		c->dsn_message_id = dsn_message_id(m, &parts);
		c->dsn_delayed = dsn_is_delay(m, &parts);
	} else if (ev.auto_reply || ev.mdn || subject_says_auto_reply(m->subject)) {
		c->kind = MIME_KIND_AUTO_REPLY;
		reason = ev.reason != NULL ? ev.reason : ev.mdn ? "mdn" : "auto-reply-subject";
	} else if (ev.list) {
		c->kind = MIME_KIND_LIST;
	} else if (ev.ses != SES_NONE) {
		reason = "amazon-ses";
	}
	if (reason == NULL)
		reason = ev.reason;
	if (reason != NULL) {
		c->automatic = 1;
		c->automatic_reason = xstrdup(reason);
	}
}

void
msg_class_release(struct msg_class *c)
{
	xfree(&c->automatic_reason);
	xfree(&c->dsn_message_id);
	xfree(&c->dsn_recipient);
	memset(c, 0, sizeof(*c));
}

const char *
mime_kind_name(enum mime_kind kind)
{
	switch (kind) {
	case MIME_KIND_NORMAL:
		return "normal";
	case MIME_KIND_AUTO_REPLY:
		return "auto_reply";
	case MIME_KIND_BOUNCE:
		return "bounce";
	case MIME_KIND_FEEDBACK_REPORT:
		return "feedback_report";
	case MIME_KIND_LIST:
		return "list";
	}
	return "normal";
}
