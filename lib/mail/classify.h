/*
 * classify: robots from people (SPEC section 4), read from a parsed
 * message (mime_parse runs first; classify knows nothing of ticketd's own
 * addresses: the router adds those checks).
 */
#ifndef TICKETD_CLASSIFY_H
#define TICKETD_CLASSIFY_H

struct mime_msg;

enum mime_kind {
	MIME_KIND_NORMAL = 0,
	MIME_KIND_AUTO_REPLY,
	MIME_KIND_BOUNCE,
	MIME_KIND_FEEDBACK_REPORT,
	MIME_KIND_LIST,
};

/* What a message is.  Strings are owned by the struct (msg_class_release). */
struct msg_class {
	enum mime_kind kind;
	int automatic;            /* must get no automatic answer */
	char *automatic_reason;   /* e.g. "auto-submitted", "precedence", … */
	char *dsn_message_id;     /* bounces: Message-ID of the mail that bounced */
	char *dsn_recipient;      /* bounces: the failed recipient */
	int dsn_delayed;          /* bounces: only a delay warning, not a failure */
};

#define MSG_CLASS_INIT { MIME_KIND_NORMAL, 0, NULL, NULL, NULL, 0 }

/*
 * Classify m into *c from its headers, parts and text.  *c is zeroed
 * (MSG_CLASS_INIT) or holds an earlier result, which is released first.
 */
void classify_message(const struct mime_msg *m, struct msg_class *c);
void msg_class_release(struct msg_class *c);

/* "normal", "auto_reply", "bounce", "feedback_report", "list". */
const char *mime_kind_name(enum mime_kind kind);

#endif
