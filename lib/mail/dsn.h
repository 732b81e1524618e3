/*
 * dsn: the details of a bounce, once classify has called it one.
 */
#ifndef TICKETD_DSN_H
#define TICKETD_DSN_H

struct mime_msg;
struct mime_part;

/* Where classify found the parts of a bounce. */
struct dsn_parts {
	const struct mime_part *status;    /* message/delivery-status, or NULL */
	const struct mime_part *returned;  /* message/rfc822, text/rfc822-headers …, or NULL */
	int ses;                           /* an Amazon SES notification (JSON in the body) */
};

/*
 * The failed recipient: the DSN fields, X-Failed-Recipients, an SES
 * notification, an inline DSN, the notification text, and last the To
 * of the returned message.  NULL when none is found; the caller frees it.
 */
char *dsn_recipient(const struct mime_msg *m, const struct dsn_parts *parts);

/*
 * The Message-ID of the mail that bounced: from the returned message or
 * its headers, a "Message-ID:" line in the text, the bounce's own
 * In-Reply-To, or an SES notification's header list.  NULL when none;
 * the caller frees it.
 */
char *dsn_message_id(const struct mime_msg *m, const struct dsn_parts *parts);

/*
 * 1 for a delay warning, not a failure: the DSN's actions are all
 * "delayed" (or its status is 4.x.x), or, without a DSN part, the
 * subject says so.  The router must not mark such a recipient
 * undeliverable.
 */
int dsn_is_delay(const struct mime_msg *m, const struct dsn_parts *parts);

#endif
