#include "oauth.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "clock.h"
#include "log.h"
#include "str.h"
#include "xmalloc.h"

#define OAUTH_MAX_TOKEN 16384        /* bytes of a refresh token we read from its file */
#define OAUTH_LOCK_WAIT_MS 30000     /* how long we wait for another refresher's lock */
#define OAUTH_DEFAULT_LIFETIME 3600  /* seconds, when the endpoint gives no expires_in */

/* ---- HTTP ------------------------------------------------------------------- */

struct reply_buf {
	struct buf b;
	int too_big;
};

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct reply_buf *r = userdata;
	size_t n = size * nmemb;

	if (r->b.len + n > OAUTH_MAX_REPLY) {
		r->too_big = 1;
		return 0;
	}
	buf_add(&r->b, ptr, n);
	return n;
}

static int
progress_cb(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
	    curl_off_t ulnow)
{
	const atomic_int *stop = userdata;

	return stop != NULL && atomic_load(stop) ? 1 : 0;
}

/*
 * POST form (application/x-www-form-urlencoded) to url.  0 with the HTTP
 * status and the body (caller releases); -1 with *error_r when there was
 * no HTTP answer at all.
 */
static int
http_post(const char *url, const struct buf *form, const atomic_int *stop, long *status_r,
	  struct buf *body_r, char **error_r)
{
	struct reply_buf r = { BUF_INIT, 0 };
	struct curl_slist *hdr = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *c = curl_easy_init();
	CURLcode rc;

	if (c == NULL) {
		*error_r = xstrdup("unable to start libcurl");
		return -1;
	}
	hdr = curl_slist_append(hdr, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, form->data != NULL ? form->data : "");
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)form->len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)OAUTH_HTTP_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)stop);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ticketd/" TICKETD_VERSION);
	rc = curl_easy_perform(c);
	*status_r = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status_r);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK && !(r.too_big && *status_r != 0)) {
		*error_r = xasprintf("the token endpoint '%s' did not answer: %s", url,
				     r.too_big ? "answer too large" :
				     errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		buf_release(&r.b);
		return -1;
	}
	if (r.too_big) {
		*error_r = xasprintf("the token endpoint '%s' sent more than %d bytes", url,
				     OAUTH_MAX_REPLY);
		buf_release(&r.b);
		return -1;
	}
	*body_r = r.b;
	return 0;
}

static void
form_add(struct buf *form, const char *key, const char *value)
{
	char *e;

	if (value == NULL)
		return;
	e = curl_easy_escape(NULL, value, 0);
	if (e == NULL)
		return;
	buf_addf(form, "%s%s=%s", form->len > 0 ? "&" : "", key, e);
	explicit_bzero(e, strlen(e));
	curl_free(e);
}

/*
 * The client secret (oauth_client_secret, _file or _env), read here, by
 * the code that sends it; nothing for a public client.  -1 with *error_r.
 */
static int
form_add_secret(struct buf *form, const char *key, const struct conf_secret *s, char **error_r)
{
	char *secret = NULL, *error = NULL;

	if (s->kind == CONF_SECRET_NONE)
		return 0;
	if (conf_secret_get(s, &secret, &error) < 0) {
		*error_r = xasprintf("no OAuth2 client secret: %s", error);
		free(error);
		return -1;
	}
	form_add(form, key, secret);
	conf_secret_free(&secret);
	return 0;
}

static void
form_wipe(struct buf *form)
{
	if (form->data != NULL)
		explicit_bzero(form->data, form->len);
	buf_release(form);
}

/* ---- the token endpoint's JSON answer ----------------------------------------- */

/*
 * Token endpoint answers are one flat JSON object (RFC 6749 5.1, 5.2;
 * RFC 8628 3.2).  We keep its strings and numbers by name and skip
 * nested values; anything that is not such an object is an error.
 */
#define REPLY_MAX_FIELDS 32

struct reply {
	char *key[REPLY_MAX_FIELDS];
	char *val[REPLY_MAX_FIELDS];
	int n;
};

static void
skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n')
		(*p)++;
}

static int
hex4(const char *p, unsigned int *out)
{
	unsigned int v = 0;
	int i, d;

	for (i = 0; i < 4; i++) {
		d = str_hex_value((unsigned char)p[i]);
		if (d < 0)
			return -1;
		v = v * 16 + (unsigned int)d;
	}
	*out = v;
	return 0;
}

/* A JSON string at *p (at its quote) into out; -1 when malformed. */
static int
json_string(const char **p, struct buf *out)
{
	const char *s = *p + 1;
	unsigned int cp, lo;

	for (;;) {
		if (*s == '\0' || (unsigned char)*s < 0x20)
			return -1;
		if (*s == '"')
			break;
		if (*s != '\\') {
			buf_addc(out, *s++);
			continue;
		}
		s++;
		switch (*s) {
		case '"': case '\\': case '/': buf_addc(out, *s); break;
		case 'b': buf_addc(out, '\b'); break;
		case 'f': buf_addc(out, '\f'); break;
		case 'n': buf_addc(out, '\n'); break;
		case 'r': buf_addc(out, '\r'); break;
		case 't': buf_addc(out, '\t'); break;
		case 'u':
			if (hex4(s + 1, &cp) < 0)
				return -1;
			s += 4;
			if (cp >= 0xD800 && cp < 0xDC00 && s[1] == '\\' && s[2] == 'u' &&
			    hex4(s + 3, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				s += 6;
			}
			buf_add_utf8(out, cp);
			break;
		default:
			return -1;
		}
		s++;
	}
	*p = s + 1;
	return 0;
}

/* Skip one JSON value of any kind (objects and arrays nested to a bounded depth). */
static int
json_skip(const char **p, int depth)
{
	struct buf tmp = BUF_INIT;
	int rc = 0;
	char close;

	skip_ws(p);
	if (**p == '"') {
		rc = json_string(p, &tmp);
		buf_release(&tmp);
		return rc;
	}
	if (**p == '{' || **p == '[') {
		if (depth > 16)
			return -1;
		close = **p == '{' ? '}' : ']';
		(*p)++;
		skip_ws(p);
		while (**p != close) {
			if (close == '}') {
				if (**p != '"' || json_skip(p, depth + 1) < 0)
					return -1;
				skip_ws(p);
				if (**p != ':')
					return -1;
				(*p)++;
			}
			if (json_skip(p, depth + 1) < 0)
				return -1;
			skip_ws(p);
			if (**p == ',')
				(*p)++;
			else if (**p != close)
				return -1;
			skip_ws(p);
		}
		(*p)++;
		return 0;
	}
	if (**p == '\0')
		return -1;
	while (**p != '\0' && strchr(",}] \t\r\n", **p) == NULL)
		(*p)++;
	return 0;
}

static void
reply_release(struct reply *r)
{
	int i;

	for (i = 0; i < r->n; i++) {
		free(r->key[i]);
		if (r->val[i] != NULL)
			explicit_bzero(r->val[i], strlen(r->val[i]));
		free(r->val[i]);
	}
	r->n = 0;
}

static int
reply_parse(const char *json, struct reply *r)
{
	const char *p = json, *start;
	struct buf k = BUF_INIT, v = BUF_INIT;

	memset(r, 0, sizeof(*r));
	skip_ws(&p);
	if (*p != '{')
		return -1;
	p++;
	skip_ws(&p);
	while (*p != '}') {
		buf_reset(&k);
		buf_reset(&v);
		if (*p != '"' || json_string(&p, &k) < 0)
			goto bad;
		skip_ws(&p);
		if (*p != ':')
			goto bad;
		p++;
		skip_ws(&p);
		start = p;
		if (*p == '"') {
			if (json_string(&p, &v) < 0)
				goto bad;
		} else {
			if (json_skip(&p, 0) < 0)
				goto bad;
			/* numbers, true, false, null as their text; objects and arrays dropped */
			if (*start != '{' && *start != '[')
				buf_add(&v, start, (size_t)(p - start));
		}
		if (r->n < REPLY_MAX_FIELDS && (*start != '{' && *start != '[')) {
			r->key[r->n] = xstrdup(buf_str(&k));
			r->val[r->n] = xstrdup(buf_str(&v));
			r->n++;
		}
		skip_ws(&p);
		if (*p == ',') {
			p++;
			skip_ws(&p);
		} else if (*p != '}') {
			goto bad;
		}
	}
	buf_release(&k);
	if (v.data != NULL)
		explicit_bzero(v.data, v.len);
	buf_release(&v);
	return 0;
bad:
	buf_release(&k);
	if (v.data != NULL)
		explicit_bzero(v.data, v.len);
	buf_release(&v);
	reply_release(r);
	return -1;
}

static const char *
reply_get(const struct reply *r, const char *key)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->key[i], key) == 0)
			return r->val[i][0] != '\0' && strcmp(r->val[i], "null") != 0 ? r->val[i] : NULL;
	return NULL;
}

static long
reply_long(const struct reply *r, const char *key, long dflt)
{
	const char *v = reply_get(r, key);
	char *end;
	long n;

	if (v == NULL)
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	return errno != 0 || end == v || n < 0 ? dflt : n;
}

/* A printable excerpt of an endpoint's text for the log (no control characters or quotes). */
static char *
tidy(const char *s, size_t max)
{
	const char *from = s != NULL ? s : "";
	char *t = xstrndup(from, strnlen(from, max)), *q;

	for (q = t; *q != '\0'; q++)
		if ((unsigned char)*q < 0x20 || *q == '"' || *q == '\\')
			*q = ' ';
	return t;
}

/*
 * One token grant: POST form (client id and secret added) to the token
 * endpoint.  0 with r parsed from a 200 answer that has an access token;
 * 1 with r holding the endpoint's error answer (*code_r its "error", or
 * "http_NNN"); -1 with *error_r when there was no usable answer.
 */
static int
token_grant(const struct conf_oauth *c, struct buf *form, const atomic_int *stop, struct reply *r,
	    const char **code_r, char **error_r)
{
	struct buf body = BUF_INIT;
	long status = 0;
	int rc;
	char *excerpt;

	form_add(form, "client_id", c->client_id);
	if (form_add_secret(form, "client_secret", &c->client_secret, error_r) < 0) {
		form_wipe(form);
		memset(r, 0, sizeof(*r));
		return -1;
	}
	rc = http_post(c->token_url, form, stop, &status, &body, error_r);
	form_wipe(form);
	memset(r, 0, sizeof(*r));
	if (rc < 0)
		return -1;
	rc = reply_parse(buf_str(&body), r);
	if (rc < 0) {
		excerpt = tidy(buf_str(&body), 120);
		*error_r = xasprintf("the token endpoint '%s' answered HTTP %ld without a JSON object: %s",
				     c->token_url, status, excerpt);
		free(excerpt);
	}
	if (body.data != NULL)
		explicit_bzero(body.data, body.len);
	buf_release(&body);
	if (rc < 0)
		return -1;
	if (status == 200 && reply_get(r, "access_token") != NULL)
		return 0;
	*code_r = reply_get(r, "error");
	if (*code_r == NULL)
		*code_r = status == 200 ? "no_access_token" : status >= 500 ? "server_error" : "http_error";
	return 1;
}

/* "invalid_grant: the refresh token was revoked" from an error answer (caller frees). */
static char *
grant_error(const struct reply *r, const char *code)
{
	char *d = tidy(reply_get(r, "error_description"), 200), *s;

	s = *d != '\0' ? xasprintf("%s: %s", code, d) : xstrdup(code);
	free(d);
	return s;
}

/* ---- the refresh token file --------------------------------------------------- */

static int
read_token_file(const char *path, char **token_r, char **error_r)
{
	char buf[OAUTH_MAX_TOKEN + 2];
	size_t n;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		*error_r = xasprintf("unable to read the refresh token '%s': %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n == 0 || n > OAUTH_MAX_TOKEN) {
		*error_r = xasprintf("no refresh token in '%s'", path);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	*token_r = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int
oauth_store_refresh_token(const struct conf_oauth *c, const char *token, char **error_r)
{
	const char *path = c->refresh_token_file, *slash = strrchr(path, '/');
	char *tmp = xasprintf("%s.XXXXXX", path);
	char *dir = slash != NULL ? xstrndup(path, (size_t)(slash - path) + (slash == path)) :
		xstrdup(".");
	size_t len = strlen(token);
	int fd, dfd, rc = -1;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		*error_r = xasprintf("unable to write the refresh token beside '%s': %s", path,
				     strerror(errno));
		goto out;
	}
	/* mkostemp gives 0600; fchmod says so whatever the umask. */
	if (fchmod(fd, 0600) < 0 || write(fd, token, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
		*error_r = xasprintf("unable to write '%s': %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		*error_r = xasprintf("unable to replace '%s': %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* The rename itself must survive a crash. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	free(tmp);
	free(dir);
	return rc;
}

/*
 * The lock that serialises refreshes of one refresh token file (threads
 * and processes alike: each open is its own lock owner).  -1 with
 * *error_r; the fd otherwise.
 */
static int
lock_token_file(const char *path, const atomic_int *stop, char **error_r)
{
	char *lockpath = xasprintf("%s.lock", path);
	int fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600), waited = 0;

	if (fd < 0) {
		*error_r = xasprintf("unable to open the lock '%s': %s", lockpath, strerror(errno));
		free(lockpath);
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= OAUTH_LOCK_WAIT_MS ||
		    (stop != NULL && atomic_load(stop))) {
			*error_r = xasprintf("unable to lock '%s': %s", lockpath,
					     errno == EWOULDBLOCK ? "another refresh holds it" :
					     strerror(errno));
			close(fd);
			free(lockpath);
			return -1;
		}
		poll(NULL, 0, 50);
		waited += 50;
	}
	free(lockpath);
	return fd;
}

/* ---- access tokens ------------------------------------------------------------ */

struct oauth {
	const struct conf_oauth *c;
	char *who;
	const atomic_int *stop;
	char *access;          /* NULL: none yet, or refused */
	time_t expires_at;
	long lifetime;         /* seconds the token was given for */
};

struct oauth *
oauth_new(const struct conf_oauth *c, const char *who, const atomic_int *stop)
{
	struct oauth *o = xcalloc(1, sizeof(*o));

	o->c = c;
	o->who = xstrdup(who);
	o->stop = stop;
	return o;
}

static void
forget(struct oauth *o)
{
	if (o->access != NULL)
		explicit_bzero(o->access, strlen(o->access));
	xfree(&o->access);
	o->expires_at = 0;
}

void
oauth_free(struct oauth **op)
{
	struct oauth *o = *op;

	if (o == NULL)
		return;
	forget(o);
	free(o->who);
	free(o);
	*op = NULL;
}

void
oauth_invalidate(struct oauth *o)
{
	forget(o);
}

long
oauth_expires_in(const struct oauth *o)
{
	time_t now = clock_now();

	return o->access != NULL && o->expires_at > now ? (long)(o->expires_at - now) : 0;
}

/* Refused for good: the refresh token or the client is no longer accepted. */
static int
denied_code(const char *code)
{
	return strcmp(code, "invalid_grant") == 0 || strcmp(code, "invalid_client") == 0 ||
		strcmp(code, "unauthorized_client") == 0 || strcmp(code, "access_denied") == 0 ||
		strcmp(code, "invalid_scope") == 0;
}

/* Take the access token (and a rotated refresh token) from a grant's answer. */
static int
take_tokens(const struct conf_oauth *c, const struct reply *r, const char *old_refresh,
	    char **access_r, long *lifetime_r, int *rotated_r, char **error_r)
{
	const char *refresh = reply_get(r, "refresh_token");

	*rotated_r = 0;
	if (refresh != NULL && (old_refresh == NULL || strcmp(refresh, old_refresh) != 0)) {
		if (oauth_store_refresh_token(c, refresh, error_r) < 0)
			return -1;
		*rotated_r = 1;
	}
	*lifetime_r = reply_long(r, "expires_in", OAUTH_DEFAULT_LIFETIME);
	*access_r = xstrdup(reply_get(r, "access_token"));
	return 0;
}

static enum oauth_result
refresh(struct oauth *o, char **error_r)
{
	const struct conf_oauth *c = o->c;
	struct buf form = BUF_INIT;
	struct reply r;
	const char *code = NULL;
	char *old = NULL, *why, *access = NULL;
	long lifetime = 0, t0 = (long)clock_mono_ms();
	int lock, rc, rotated = 0;
	enum oauth_result res = OAUTH_TEMPFAIL;

	lock = lock_token_file(c->refresh_token_file, o->stop, error_r);
	if (lock < 0)
		return OAUTH_TEMPFAIL;
	/* Read under the lock: another refresher may have just rotated it. */
	if (read_token_file(c->refresh_token_file, &old, &why) < 0) {
		*error_r = xasprintf("%s: run 'ticketctl oauth login %s'", why,
				     strncmp(o->who, "mailbox=", 8) == 0 ? o->who + 8 : "smtp");
		free(why);
		close(lock);
		return OAUTH_DENIED;
	}
	form_add(&form, "grant_type", "refresh_token");
	form_add(&form, "refresh_token", old);
	form_add(&form, "scope", c->scope);
	rc = token_grant(c, &form, o->stop, &r, &code, error_r);
	if (rc == 0) {
		if (take_tokens(c, &r, old, &access, &lifetime, &rotated, error_r) == 0) {
			forget(o);
			o->access = access;
			o->expires_at = clock_now() + lifetime;
			o->lifetime = lifetime;
			res = OAUTH_OK;
			log_info("oauth", "%s event=token_refreshed expires_in=%lds rotated=%s ms=%ld",
				 o->who, lifetime, rotated ? "yes" : "no", (long)clock_mono_ms() - t0);
		}
	} else if (rc == 1) {
		why = grant_error(&r, code);
		if (denied_code(code)) {
			res = OAUTH_DENIED;
			*error_r = xasprintf("the token endpoint refused the refresh token (%s): "
					     "run 'ticketctl oauth login %s'", why,
					     strncmp(o->who, "mailbox=", 8) == 0 ? o->who + 8 : "smtp");
		} else {
			*error_r = xasprintf("the token endpoint failed the refresh (%s)", why);
		}
		free(why);
	}
	reply_release(&r);
	explicit_bzero(old, strlen(old));
	free(old);
	close(lock);
	return res;
}

enum oauth_result
oauth_access_token(struct oauth *o, const char **token_r, int *refreshed_r, char **error_r)
{
	long margin = OAUTH_EXPIRY_MARGIN;
	enum oauth_result res;

	*refreshed_r = 0;
	/* A short-lived token (a test endpoint's) is renewed at half its life. */
	if (o->lifetime / 2 < margin)
		margin = o->lifetime / 2;
	if (o->access == NULL || oauth_expires_in(o) <= margin) {
		res = refresh(o, error_r);
		if (res != OAUTH_OK)
			return res;
		*refreshed_r = 1;
	}
	*token_r = o->access;
	return OAUTH_OK;
}

/* ---- device authorization grant (RFC 8628) ---------------------------------------- */

void
oauth_device_release(struct oauth_device *d)
{
	free(d->device_code);
	free(d->user_code);
	free(d->verification_uri);
	free(d->verification_uri_complete);
	memset(d, 0, sizeof(*d));
}

int
oauth_device_start(const struct conf_oauth *c, struct oauth_device *d, char **error_r)
{
	struct buf form = BUF_INIT, body = BUF_INIT;
	struct reply r;
	long status = 0;
	const char *uri, *code;
	char *why;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (c->device_url == NULL) {
		*error_r = xstrdup("no device authorization endpoint (oauth_device_url)");
		return -1;
	}
	form_add(&form, "client_id", c->client_id);
	if (form_add_secret(&form, "client_secret", &c->client_secret, error_r) < 0) {
		form_wipe(&form);
		return -1;
	}
	form_add(&form, "scope", c->scope);
	if (http_post(c->device_url, &form, NULL, &status, &body, error_r) < 0) {
		form_wipe(&form);
		return -1;
	}
	form_wipe(&form);
	if (reply_parse(buf_str(&body), &r) < 0) {
		why = tidy(buf_str(&body), 120);
		*error_r = xasprintf("the device endpoint '%s' answered HTTP %ld without a JSON object: %s",
				     c->device_url, status, why);
		free(why);
		buf_release(&body);
		return -1;
	}
	buf_release(&body);
	/* Google and early drafts say verification_url. */
	uri = reply_get(&r, "verification_uri");
	if (uri == NULL)
		uri = reply_get(&r, "verification_url");
	code = reply_get(&r, "error");
	if (status != 200 || reply_get(&r, "device_code") == NULL || reply_get(&r, "user_code") == NULL ||
	    uri == NULL) {
		why = grant_error(&r, code != NULL ? code : "no device code");
		*error_r = xasprintf("the device endpoint '%s' refused (HTTP %ld, %s)", c->device_url,
				     status, why);
		free(why);
		goto out;
	}
	d->device_code = xstrdup(reply_get(&r, "device_code"));
	d->user_code = xstrdup(reply_get(&r, "user_code"));
	d->verification_uri = xstrdup(uri);
	d->verification_uri_complete = xstrdup_or_null(reply_get(&r, "verification_uri_complete"));
	d->interval = (int)reply_long(&r, "interval", 5);
	if (d->interval < 1 || d->interval > 60)
		d->interval = 5;
	d->expires_in = (int)reply_long(&r, "expires_in", 900);
	rc = 0;
out:
	reply_release(&r);
	return rc;
}

/* A grant that brings the first refresh token: store it. */
static int
store_first(const struct conf_oauth *c, const struct reply *r, char **error_r)
{
	char *access = NULL;
	long lifetime;
	int rotated;

	if (reply_get(r, "refresh_token") == NULL) {
		*error_r = xstrdup("the token endpoint sent no refresh token (is offline_access "
				   "in the scope, or access_type=offline for Google?)");
		return -1;
	}
	if (take_tokens(c, r, NULL, &access, &lifetime, &rotated, error_r) < 0)
		return -1;
	explicit_bzero(access, strlen(access));
	free(access);
	return 0;
}

int
oauth_device_poll(const struct conf_oauth *c, struct oauth_device *d, char **error_r)
{
	struct buf form = BUF_INIT;
	struct reply r;
	const char *code = NULL;
	char *why;
	int rc;

	form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
	form_add(&form, "device_code", d->device_code);
	rc = token_grant(c, &form, NULL, &r, &code, error_r);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		rc = store_first(c, &r, error_r);
		reply_release(&r);
		return rc;
	}
	if (strcmp(code, "authorization_pending") == 0 || strcmp(code, "slow_down") == 0) {
		if (strcmp(code, "slow_down") == 0)
			d->interval += 5;
		reply_release(&r);
		return 1;
	}
	why = grant_error(&r, code);
	*error_r = xasprintf("the login was not completed (%s)", why);
	free(why);
	reply_release(&r);
	return -1;
}

/* ---- authorization code grant with PKCE ------------------------------------------- */

/* n random bytes as base64url without padding (RFC 7636 4.1). */
static char *
random_b64url(size_t n)
{
	unsigned char raw[64];
	gnutls_datum_t in, out = { NULL, 0 };
	char *s, *q;

	if (n > sizeof(raw))
		n = sizeof(raw);
	if (gnutls_rnd(GNUTLS_RND_KEY, raw, n) < 0)
		abort();
	in.data = raw;
	in.size = (unsigned int)n;
	if (gnutls_base64_encode2(&in, &out) < 0)
		abort();
	s = xstrndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	for (q = s; *q != '\0'; q++) {
		if (*q == '+')
			*q = '-';
		else if (*q == '/')
			*q = '_';
		else if (*q == '=')
			*q = '\0';
	}
	return s;
}

void
oauth_pkce_new(char **verifier_r, char **state_r)
{
	*verifier_r = random_b64url(48);
	*state_r = random_b64url(16);
}

char *
oauth_authorize_url(const struct conf_oauth *c, const char *redirect_uri, const char *verifier,
		    const char *state, const char *login_hint)
{
	struct buf q = BUF_INIT;
	unsigned char sum[32];
	gnutls_datum_t in, out = { NULL, 0 };
	char *challenge, *p, *url;

	gnutls_hash_fast(GNUTLS_DIG_SHA256, verifier, strlen(verifier), sum);
	in.data = sum;
	in.size = sizeof(sum);
	if (gnutls_base64_encode2(&in, &out) < 0)
		abort();
	challenge = xstrndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	for (p = challenge; *p != '\0'; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p == '=' ? '\0' : *p;
	form_add(&q, "response_type", "code");
	form_add(&q, "client_id", c->client_id);
	form_add(&q, "redirect_uri", redirect_uri);
	form_add(&q, "scope", c->scope);
	form_add(&q, "state", state);
	form_add(&q, "code_challenge", challenge);
	form_add(&q, "code_challenge_method", "S256");
	/* Google gives a refresh token only for offline access, and again only on consent. */
	form_add(&q, "access_type", "offline");
	form_add(&q, "prompt", "consent");
	form_add(&q, "login_hint", login_hint);
	url = xasprintf("%s%c%s", c->auth_url, strchr(c->auth_url, '?') != NULL ? '&' : '?',
			buf_str(&q));
	buf_release(&q);
	free(challenge);
	return url;
}

int
oauth_code_exchange(const struct conf_oauth *c, const char *code, const char *redirect_uri,
		    const char *verifier, char **error_r)
{
	struct buf form = BUF_INIT;
	struct reply r;
	const char *ecode = NULL;
	char *why;
	int rc;

	form_add(&form, "grant_type", "authorization_code");
	form_add(&form, "code", code);
	form_add(&form, "redirect_uri", redirect_uri);
	form_add(&form, "code_verifier", verifier);
	rc = token_grant(c, &form, NULL, &r, &ecode, error_r);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		rc = store_first(c, &r, error_r);
		reply_release(&r);
		return rc;
	}
	why = grant_error(&r, ecode);
	*error_r = xasprintf("the token endpoint refused the authorization code (%s)", why);
	free(why);
	reply_release(&r);
	return -1;
}
