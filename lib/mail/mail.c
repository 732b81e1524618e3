#include "mail.h"

#include <stdlib.h>
#include <string.h>

#include "lang.h"
#include "reply.h"

void
mail_read(struct mail *mail, const char *raw, size_t len, const struct mime_limits *limits)
{
	struct mime_msg *m = mime_parse(raw, len, limits);

	memset(mail, 0, sizeof(*mail));
	mail->msg = m;
	classify_message(m, &mail->cls);
	mail->reply = reply_extract(m->body);
	mail->language = lang_detect(*mail->reply != '\0' ? mail->reply : m->body);
}

void
mail_release(struct mail *mail)
{
	mime_msg_free(&mail->msg);
	msg_class_release(&mail->cls);
	free(mail->reply);
	memset(mail, 0, sizeof(*mail));
}

const char *
mail_text(const struct mail *mail)
{
	return mail->reply != NULL ? mail->reply : mail->msg->body;
}
