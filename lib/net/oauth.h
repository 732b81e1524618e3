/*
 * oauth: OAuth2 access tokens for IMAP and SMTP (Microsoft 365, Google
 * Workspace, any RFC 6749 token endpoint), over libcurl.
 *
 * A struct oauth belongs to one token user (a mailbox thread, the
 * sender).  oauth_access_token() hands out the access token it holds, and
 * refreshes it first (refresh_token grant) when there is none or it
 * expires within OAUTH_EXPIRY_MARGIN; a server that refuses the token
 * makes the caller oauth_invalidate() it and ask again.  The refresh
 * token lives in a 0600 file; when the endpoint rotates it, the new one
 * is written atomically (temporary file, fsync, rename) under a lock file,
 * so two users of one file (a mailbox and the sender, or two processes)
 * never lose a rotation.
 *
 * The first refresh token comes from a person's consent: the device
 * authorization grant (RFC 8628, Microsoft) or the authorization code
 * grant with PKCE and a loopback redirect (RFC 8252, Google, whose device
 * flow does not grant mail scopes).  ticketctl oauth login drives both.
 */
#ifndef TICKETD_OAUTH_H
#define TICKETD_OAUTH_H

#include <stdatomic.h>
#include <time.h>

#include "conf.h"

#define OAUTH_EXPIRY_MARGIN 60      /* seconds: refresh a token this long before it expires */
#define OAUTH_HTTP_TIMEOUT 30       /* seconds for one token endpoint request */
#define OAUTH_MAX_REPLY (64 * 1024) /* a token endpoint answer larger than this is refused */

struct oauth;

/*
 * who names the user in log lines, e.g. "mailbox=support" or "smtp".  A
 * transfer in progress ends when *stop becomes non-zero (stop may be NULL).
 */
struct oauth *oauth_new(const struct conf_oauth *c, const char *who, const atomic_int *stop);
void oauth_free(struct oauth **o);

/* Result of oauth_access_token(). */
enum oauth_result {
	OAUTH_OK = 0,
	OAUTH_TEMPFAIL,     /* the endpoint is unreachable or failing: try again later */
	OAUTH_DENIED,       /* the refresh token (or client) was refused: a person must log in again */
};

/*
 * A valid access token in *token_r (owned by o, valid until the next
 * call), refreshed first when needed; *refreshed_r tells whether this
 * call refreshed it.  Else *error_r (caller frees), e.g. "the token
 * endpoint refused the refresh token (invalid_grant: revoked): run
 * 'ticketctl oauth login support'".
 */
enum oauth_result oauth_access_token(struct oauth *o, const char **token_r, int *refreshed_r,
				     char **error_r);

/* The server refused the token we gave it: forget it (the next call refreshes). */
void oauth_invalidate(struct oauth *o);

/* Seconds until the access token we hold expires (0 when none). */
long oauth_expires_in(const struct oauth *o);

/* ---- first consent (ticketctl oauth login) ---- */

struct oauth_device {
	char *device_code;
	char *user_code;
	char *verification_uri;
	char *verification_uri_complete;   /* may be NULL */
	int interval;                      /* seconds between polls */
	int expires_in;                    /* seconds the code is valid */
};

/* RFC 8628 3.1: ask for a device and user code.  -1 with *error_r. */
int oauth_device_start(const struct conf_oauth *c, struct oauth_device *d, char **error_r);
void oauth_device_release(struct oauth_device *d);

/*
 * RFC 8628 3.4: poll the token endpoint once.  1 while the person has not
 * decided yet (d->interval may have grown: slow_down), 0 when the refresh
 * token is stored in c->refresh_token_file, -1 with *error_r (denied,
 * expired, or the endpoint failing).
 */
int oauth_device_poll(const struct conf_oauth *c, struct oauth_device *d, char **error_r);

/*
 * Authorization code grant with PKCE (RFC 7636): oauth_pkce_new() makes a
 * verifier and a state (caller frees both), oauth_authorize_url() the URL
 * the person opens (caller frees), oauth_code_exchange() trades the code
 * the redirect brought for tokens and stores the refresh token.
 */
void oauth_pkce_new(char **verifier_r, char **state_r);
char *oauth_authorize_url(const struct conf_oauth *c, const char *redirect_uri,
			  const char *verifier, const char *state, const char *login_hint);
int oauth_code_exchange(const struct conf_oauth *c, const char *code, const char *redirect_uri,
			const char *verifier, char **error_r);

/*
 * Write token as c->refresh_token_file: a temporary file beside it, mode
 * 0600, fsync, rename, fsync of the folder.  -1 with *error_r.
 */
int oauth_store_refresh_token(const struct conf_oauth *c, const char *token, char **error_r);

#endif
