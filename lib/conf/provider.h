/*
 * provider: what an OAuth2 provider preset fills into a mailbox's or
 * [smtp]'s OAuth2 settings (oauth_provider = microsoft | google), and the
 * checks those settings must pass before ticketd will use them.
 */
#ifndef TICKETD_PROVIDER_H
#define TICKETD_PROVIDER_H

#include "conf.h"

/* What the token is for: the presets' scopes differ. */
enum provider_use {
	PROVIDER_USE_IMAP,
	PROVIDER_USE_SMTP,
};

/* "microsoft" and "google". */
int provider_known(const char *provider);

/*
 * Fill in the provider's endpoints and scope where the file gave none,
 * then check that a token endpoint and a client id are there and that the
 * endpoints are https:// (http:// only to a loopback address).  -1 with
 * *error_r (a static string).
 */
int provider_complete(struct conf_oauth *c, enum provider_use use, const char **error_r);

#endif
