#include "smtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "conf.h"
#include "oauth.h"
#include "xmalloc.h"

/* How far a transaction got: a refusal before MAIL is about the server. */
enum smtp_phase {
	PHASE_SESSION,      /* connect, greeting, EHLO, STARTTLS, AUTH */
	PHASE_MAIL,         /* MAIL FROM sent */
	PHASE_RCPT,         /* RCPT TO sent */
	PHASE_DATA,         /* DATA sent */
	PHASE_BODY,         /* message bytes sent */
};

struct smtp {
	CURL *curl;
	const struct conf *conf;
	const atomic_int *stop;
	enum smtp_phase phase;
	int fresh;          /* open a new connection for the next send */
	int in_doubt;       /* the last send failed after the whole message went out */
	char *url;          /* smtp url, with /HELO-NAME when helo is set */
	struct oauth *oauth;  /* [smtp] logs in with OAuth2 */
	int refreshed;      /* the token in use was fetched by this send */
	char *login_error;  /* why no token could be had (the last send's) */
	char errbuf[CURL_ERROR_SIZE];
};

struct upload {
	const char *data;
	size_t len;
	size_t off;
	int (*gate)(void *);   /* asked once before the first byte; non-zero: abort */
	void *gate_arg;
	int gated;              /* 0 not asked yet, 1 passed, -1 refused */
};

static size_t
read_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct upload *u = userdata;
	size_t n = size * nmemb;

	if (u->gated == 0 && u->gate != NULL)
		u->gated = u->gate(u->gate_arg) == 0 ? 1 : -1;
	if (u->gated < 0)
		return CURL_READFUNC_ABORT;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return n;
}

static int
progress_cb(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
	    curl_off_t ulnow)
{
	struct smtp *s = userdata;

	return s->stop != NULL && *s->stop ? 1 : 0;
}

/* Follows the commands curl sends (it needs CURLOPT_VERBOSE; nothing is printed). */
static int
debug_cb(CURL *c, curl_infotype type, char *data, size_t size, void *userdata)
{
	struct smtp *s = userdata;

	if (type == CURLINFO_DATA_OUT && size > 0) {
		s->phase = PHASE_BODY;
	} else if (type == CURLINFO_HEADER_OUT && size >= 4) {
		if (strncasecmp(data, "MAIL", 4) == 0)
			s->phase = PHASE_MAIL;
		else if (strncasecmp(data, "RCPT", 4) == 0)
			s->phase = PHASE_RCPT;
		else if (strncasecmp(data, "DATA", 4) == 0)
			s->phase = PHASE_DATA;
	}
	return 0;
}

/*
 * NOTES: the reply code decides, not rc (which does not tell 4xx from
 * 5xx).  5xx is permanent only for what is the message's own: its
 * recipient, its data, or its size (552 to MAIL FROM ... SIZE=).  A
 * refusal of the session (greeting, EHLO, AUTH) or of our sender, which
 * is the same for every mail (530 authentication required, 550 sender
 * rejected), is about the server or our configuration: no mail is given
 * up for it before max_retry.
 */
static enum smtp_result
classify(enum smtp_phase phase, long code)
{
	if (code == 421 || code < 400 || code >= 600 || phase == PHASE_SESSION)
		return SMTP_UNAVAILABLE;
	if (code < 500)
		return SMTP_TEMPFAIL;
	if (phase == PHASE_MAIL && code != 552)
		return SMTP_UNAVAILABLE;
	return SMTP_PERMFAIL;
}

struct smtp *
smtp_new(const struct conf *conf, const atomic_int *stop)
{
	struct smtp *s = xcalloc(1, sizeof(*s));

	s->conf = conf;
	s->stop = stop;
	/* libcurl takes the EHLO name from the URL's path: smtp://host:port/NAME. */
	if (conf->smtp_url != NULL && conf->smtp_helo != NULL &&
	    strchr(strstr(conf->smtp_url, "://") + 3, '/') == NULL)
		s->url = xasprintf("%s/%s", conf->smtp_url, conf->smtp_helo);
	else
		s->url = xstrdup_or_null(conf->smtp_url);
	s->curl = curl_easy_init();
	if (s->curl == NULL) {
		free(s->url);
		free(s);
		return NULL;
	}
	if (CONF_AUTH_IS_OAUTH(conf->smtp_auth) && conf->smtp_oauth != NULL)
		s->oauth = oauth_new(conf->smtp_oauth, "smtp", stop);
	return s;
}

void
smtp_free(struct smtp **sp)
{
	struct smtp *s = *sp;

	if (s == NULL)
		return;
	curl_easy_cleanup(s->curl);
	oauth_free(&s->oauth);
	free(s->login_error);
	free(s->url);
	free(s);
	*sp = NULL;
}

/*
 * TLS: smtps:// is TLS from the start; smtp:// takes STARTTLS, required
 * (tls = starttls, the default when there are credentials), when offered
 * (optional) or never (no).  A public-key pin (libcurl's
 * CURLOPT_PINNEDPUBLICKEY, "sha256//BASE64") replaces the CA check, as
 * tls_fingerprint and tls_pubkey do for IMAP; libcurl pins the key, not
 * the whole certificate, so a renewed certificate with the same key passes.
 */
static void
set_security(struct smtp *s)
{
	const struct conf *conf = s->conf;
	CURL *c = s->curl;
	int verify = conf->smtp_tls_verify && conf->smtp_tls_pubkey == NULL;

	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)(conf->smtp_tls == CONF_TLS_STARTTLS ? CURLUSESSL_ALL :
						     conf->smtp_tls == CONF_TLS_NONE ? CURLUSESSL_NONE :
						     CURLUSESSL_TRY));
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
	if (conf->smtp_tls_pubkey != NULL)
		curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, conf->smtp_tls_pubkey);
	if (conf->smtp_ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, conf->smtp_ca_file);
}

/*
 * AUTH: the password (libcurl picks the mechanism, or the one auth names),
 * or an OAuth2 bearer token (OAUTHBEARER and/or XOAUTH2), fetched or
 * refreshed here; the password is read here too (password_file, _env).
 * -1 with s->login_error when no token or password can be had.
 */
static int
set_login(struct smtp *s)
{
	const struct conf *conf = s->conf;
	CURL *c = s->curl;
	const char *token = NULL, *mech;
	char *why = NULL, *password = NULL;

	s->refreshed = 0;
	if (conf->smtp_user == NULL)
		return 0;
	curl_easy_setopt(c, CURLOPT_USERNAME, conf->smtp_user);
	switch (conf->smtp_auth) {
	case CONF_AUTH_LOGIN: mech = "AUTH=LOGIN"; break;
	case CONF_AUTH_PLAIN: mech = "AUTH=PLAIN"; break;
	case CONF_AUTH_XOAUTH2: mech = "AUTH=XOAUTH2"; break;
	case CONF_AUTH_OAUTHBEARER: mech = "AUTH=OAUTHBEARER"; break;
	case CONF_AUTH_OAUTH2: mech = "AUTH=OAUTHBEARER;AUTH=XOAUTH2"; break;
	default: mech = NULL; break;
	}
	curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, mech);
	if (s->oauth == NULL) {
		/* Read here, by the code that needs it; libcurl keeps its own copy. */
		if (conf_secret_get(&conf->smtp_password, &password, &why) < 0) {
			free(s->login_error);
			s->login_error = xasprintf("no SMTP password: %s", why);
			free(why);
			return -1;
		}
		curl_easy_setopt(c, CURLOPT_PASSWORD, password);
		conf_secret_free(&password);
		return 0;
	}
	if (oauth_access_token(s->oauth, &token, &s->refreshed, &why) != OAUTH_OK) {
		free(s->login_error);
		s->login_error = xasprintf("no OAuth2 token: %s", why);
		free(why);
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, token);
	return 0;
}

static CURLcode
perform(struct smtp *s, struct upload *u, long *code_r)
{
	CURLcode rc;

	u->off = 0;
	s->errbuf[0] = '\0';
	s->phase = PHASE_SESSION;
	curl_easy_setopt(s->curl, CURLOPT_FRESH_CONNECT, s->fresh ? 1L : 0L);
	rc = curl_easy_perform(s->curl);
	*code_r = 0;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, code_r);
	return rc;
}

enum smtp_result
smtp_send(struct smtp *s, const char *mail_from, const char *rcpt, const char *raw, size_t len,
	  long *code_r, const char **error_r)
{
	return smtp_send_gated(s, mail_from, rcpt, raw, len, NULL, NULL, code_r, error_r);
}

enum smtp_result
smtp_send_gated(struct smtp *s, const char *mail_from, const char *rcpt, const char *raw,
		size_t len, int (*gate)(void *), void *gate_arg, long *code_r, const char **error_r)
{
	const struct conf *conf = s->conf;
	struct curl_slist *rcpts = NULL;
	struct upload u = { raw, len, 0, gate, gate_arg, 0 };
	char *from = xasprintf("<%s>", mail_from), *to = xasprintf("<%s>", rcpt);
	CURL *c = s->curl;
	CURLcode rc;
	long code = 0;

	s->in_doubt = 0;    /* until this send gets past its data */
	rcpts = curl_slist_append(rcpts, to);
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)conf->smtp_timeout);
	/*
	 * Each reply too, and the QUIT when the handle closes: libcurl waits
	 * 120 s for it by default, so a server that went silent after the
	 * data held every exit (and a stop) for two minutes.
	 */
	curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)conf->smtp_timeout);
	/* The whole transaction, so a server that stops talking cannot hold us. */
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)conf->smtp_timeout + len / 65536);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, s);
	set_security(s);
	if (set_login(s) < 0)
		goto no_token;
	rc = perform(s, &u, &code);
	if (rc != CURLE_OK && code == 0 && s->phase < PHASE_BODY && !s->fresh &&
	    !(s->stop != NULL && *s->stop)) {
		long connects = -1;

		/* A kept connection the server had closed: one more try on a new one. */
		curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
		if (connects == 0) {
			s->fresh = 1;
			rc = perform(s, &u, &code);
		}
	}
	if (rc == CURLE_LOGIN_DENIED && s->oauth != NULL && !s->refreshed &&
	    !(s->stop != NULL && *s->stop)) {
		/* The server refused the token (revoked, or expired early): one fresh one, at once. */
		oauth_invalidate(s->oauth);
		s->fresh = 1;
		if (set_login(s) < 0)
			goto no_token;
		rc = perform(s, &u, &code);
	}
	curl_slist_free_all(rcpts);
	free(from);
	free(to);
	*code_r = code;
	/*
	 * Every byte of the message went out and no final reply came back (a
	 * timeout, a dropped connection): the server may have accepted it.
	 */
	s->in_doubt = rc != CURLE_OK && s->phase == PHASE_BODY && u.off == len && code < 400;
	if (rc == CURLE_OK) {
		s->fresh = 0;
		*error_r = NULL;
		return SMTP_SENT;
	}
	/* Whatever state the server is in now, do not build on it. */
	s->fresh = 1;
	*error_r = s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(rc);
	return classify(s->phase, code);
no_token:
	/* No token, or no password: not the server; the whole outbox waits (error says why). */
	curl_slist_free_all(rcpts);
	free(from);
	free(to);
	*code_r = 0;
	s->fresh = 1;
	*error_r = s->login_error;
	return SMTP_UNAVAILABLE;
}

int
smtp_in_doubt(const struct smtp *s)
{
	return s->in_doubt;
}
