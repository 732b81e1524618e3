/*
 * mail: one inbound message read, by every step of lib/mail in order:
 *
 *   mime_parse → classify_message → reply_extract → lang_detect
 *
 * What the desk works from (ingest, `ticketctl inspect` and `explain`).
 */
#ifndef TICKETD_MAIL_H
#define TICKETD_MAIL_H

#include <stddef.h>

#include "classify.h"
#include "mime.h"

struct mail {
	struct mime_msg *msg;     /* the parse (never NULL after mail_read) */
	struct msg_class cls;     /* robot or person; bounce details */
	char *reply;              /* the body without quoted history and signature */
	const char *language;     /* of the reply (else the body): "en" … "zh", or NULL
				     when unsure; static */
};

/* Read raw[0..len) into *mail (never fails on bad input: see mime_parse). */
void mail_read(struct mail *mail, const char *raw, size_t len, const struct mime_limits *limits);
/* Free everything mail_read made and zero *mail. */
void mail_release(struct mail *mail);

/* The reply text, or the whole body when there is no reply text (never NULL). */
const char *mail_text(const struct mail *mail);

#endif
