#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lang.h"
#include "provider.h"
#include "str.h"

#define CONF_MAX_LINE 4096

enum section {
	SEC_NONE,
	SEC_GENERAL,
	SEC_SMTP,
	SEC_MAILBOX,
	SEC_REGION,
	SEC_PLAN,
};

struct parser {
	struct conf *conf;
	const char *file;
	char *dir;                 /* folder of the file, for relative paths */
	int line;
	struct buf *errors;
	int n_errors;
	enum section sec;
	struct conf_mailbox *mbox;
	struct conf_region *region;
	struct conf_plan *plan;
};

static void
perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->line > 0)
		buf_addf(p->errors, "%s:%d: ", p->file, p->line);
	else
		buf_addf(p->errors, "%s: ", p->file);
	va_start(ap, fmt);
	buf_vaddf(p->errors, fmt, ap);
	va_end(ap);
	buf_addc(p->errors, '\n');
	p->n_errors++;
}

int
conf_parse_duration(const char *s, long *secs_r, const char **error_r)
{
	char *end;
	long v, mult = 1;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || v < 0) {
		*error_r = "not a number of seconds";
		return -1;
	}
	switch (*end) {
	case '\0': case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	default:
		*error_r = "unknown unit (s, m, h or d)";
		return -1;
	}
	if (*end != '\0' && end[1] != '\0') {
		*error_r = "unknown unit (s, m, h or d)";
		return -1;
	}
	if (v > CONF_MAX_DURATION / mult) {
		*error_r = "longer than 100 years";
		return -1;
	}
	*secs_r = v * mult;
	return 0;
}

int
conf_parse_size(const char *s, size_t *bytes_r, const char **error_r)
{
	char *end;
	unsigned long long v, mult = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *s == '-') {
		*error_r = "not a number of bytes";
		return -1;
	}
	switch (toupper((unsigned char)*end)) {
	case '\0': mult = 1; break;
	case 'K': mult = 1024; break;
	case 'M': mult = 1024 * 1024; break;
	case 'G': mult = 1024ULL * 1024 * 1024; break;
	default:
		*error_r = "unknown unit (K, M or G)";
		return -1;
	}
	if (*end != '\0' && end[1] != '\0' &&
	    !(toupper((unsigned char)end[1]) == 'B' && end[2] == '\0')) {
		*error_r = "unknown unit (K, M or G)";
		return -1;
	}
	if (v == 0 || v > CONF_MAX_SIZE / mult) {
		*error_r = v == 0 ? "zero bytes" : "larger than 1T";
		return -1;
	}
	*bytes_r = (size_t)(v * mult);
	return 0;
}

static int
parse_bool(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
parse_int(const char *v, int lo, int hi, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi)
		return -1;
	*out = (int)n;
	return 0;
}

static char *
resolve_path(struct parser *p, const char *v)
{
	if (v[0] == '/' || p->dir == NULL)
		return xstrdup(v);
	return xasprintf("%s/%s", p->dir, v);
}

/* An inline password is wiped, not only freed. */
static void
conf_secret_release(struct conf_secret *s)
{
	if (s->value != NULL && s->kind == CONF_SECRET_INLINE)
		explicit_bzero(s->value, strlen(s->value));
	free(s->value);
	memset(s, 0, sizeof(*s));
}

/*
 * Where a secret comes from, key k being base ("password"), base_file or
 * base_env; read later, by conf_secret_get().
 */
static void
set_secret(struct parser *p, struct conf_secret *dst, const char *base, const char *k,
	   const char *v)
{
	enum conf_secret_kind kind;
	const char *how = k + strlen(base);

	if (*how == '\0') {
		kind = CONF_SECRET_INLINE;
	} else if (strcmp(how, "_file") == 0) {
		kind = CONF_SECRET_FILE;
	} else if (strcmp(how, "_env") == 0) {
		kind = CONF_SECRET_ENV;
	} else {
		perr(p, "unknown key '%s' (%s, %s_file or %s_env)", k, base, base, base);
		return;
	}
	if (kind != CONF_SECRET_INLINE && *v == '\0') {
		perr(p, "empty value for '%s'", k);
		return;
	}
	conf_secret_release(dst);
	dst->kind = kind;
	dst->value = kind == CONF_SECRET_FILE ? resolve_path(p, v) : xstrdup(v);
	dst->line = p->line;
}

/* The first line of a secret file, without its line end. */
static int
read_secret_file(const char *path, char **secret_r, char **error_r)
{
	char line[1024];
	FILE *f;
	size_t n;

	f = fopen(path, "r");
	if (f == NULL) {
		*error_r = xasprintf("unable to read secret file '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	*secret_r = xstrdup(line);
	explicit_bzero(line, sizeof(line));
	return 0;
}

int
conf_secret_get(const struct conf_secret *s, char **secret_r, char **error_r)
{
	const char *env;

	switch (s->kind) {
	case CONF_SECRET_NONE:
		*secret_r = xstrdup("");
		return 0;
	case CONF_SECRET_INLINE:
		*secret_r = xstrdup(s->value);
		return 0;
	case CONF_SECRET_FILE:
		return read_secret_file(s->value, secret_r, error_r);
	case CONF_SECRET_ENV:
		env = getenv(s->value);
		if (env == NULL) {
			*error_r = xasprintf("environment variable '%s' is not set", s->value);
			return -1;
		}
		*secret_r = xstrdup(env);
		return 0;
	}
	*error_r = xstrdup("unknown kind of secret");
	return -1;
}

void
conf_secret_free(char **secret)
{
	if (*secret != NULL)
		explicit_bzero(*secret, strlen(*secret));
	xfree(secret);
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static void
set_lang(struct parser *p, char **dst, const char *v)
{
	if (!lang_supported(v)) {
		perr(p, "unsupported language '%s' (en, de, es, fr, fi, ja, zh)", v);
		return;
	}
	set_str(dst, v);
}

/* tls = starttls | optional | no (imap:// and smtp://; the s-schemes are TLS from the start). */
static int
parse_tls(struct parser *p, const char *v, enum conf_tls *out, int *set)
{
	if (strcmp(v, "starttls") == 0)
		*out = CONF_TLS_STARTTLS;
	else if (strcmp(v, "optional") == 0)
		*out = CONF_TLS_OPTIONAL;
	else if (strcmp(v, "no") == 0)
		*out = CONF_TLS_NONE;
	else {
		perr(p, "tls must be starttls, optional or no, not '%s'", v);
		return -1;
	}
	*set = 1;
	return 0;
}

static int
parse_auth(struct parser *p, const char *v, enum conf_auth *out, int *set)
{
	static const struct {
		const char *word;
		enum conf_auth auth;
	} words[] = {
		{ "password", CONF_AUTH_PASSWORD }, { "login", CONF_AUTH_LOGIN },
		{ "plain", CONF_AUTH_PLAIN }, { "oauth2", CONF_AUTH_OAUTH2 },
		{ "xoauth2", CONF_AUTH_XOAUTH2 }, { "oauthbearer", CONF_AUTH_OAUTHBEARER },
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(v, words[i].word) == 0) {
			*out = words[i].auth;
			*set = 1;
			return 0;
		}
	perr(p, "auth must be password, login, plain, oauth2, xoauth2 or oauthbearer, not '%s'", v);
	return -1;
}

/*
 * A pin list (',' or ';' between pins): SHA-256 certificate fingerprints
 * (64 hex digits, ':' allowed, "sha256:" prefix allowed) or public-key
 * pins "sha256//" + 44 base64 characters.
 */
static int
check_pins(struct parser *p, const char *k, const char *v, int fingerprint)
{
	const char *q = v, *e;
	size_t n, digits, i;

	while (*q != '\0') {
		while (*q == ' ' || *q == ',' || *q == ';')
			q++;
		if (*q == '\0')
			break;
		e = q + strcspn(q, ",;");
		n = (size_t)(e - q);
		while (n > 0 && q[n - 1] == ' ')
			n--;
		if (fingerprint) {
			i = n > 7 && strncasecmp(q, "sha256:", 7) == 0 ? 7 : 0;
			for (digits = 0; i < n && (q[i] == ':' || str_hex_value((unsigned char)q[i]) >= 0); i++)
				digits += q[i] != ':';
			if (i != n || digits != 64) {
				perr(p, "%s '%.*s' is not a SHA-256 fingerprint (64 hex digits)", k, (int)n, q);
				return -1;
			}
		} else if (n != 52 || strncmp(q, "sha256//", 8) != 0) {
			perr(p, "%s '%.*s' is not a public-key pin like sha256//BASE64", k, (int)n, q);
			return -1;
		}
		q = e;
	}
	return 0;
}

/* The oauth_* keys of a mailbox or of [smtp]; 0 when k is not one of them. */
static int
key_oauth(struct parser *p, struct conf_oauth **op, const char *k, const char *v)
{
	struct conf_oauth *o;

	if (strncmp(k, "oauth_", 6) != 0)
		return 0;
	if (*op == NULL)
		*op = xcalloc(1, sizeof(**op));
	o = *op;
	k += 6;
	if (strcmp(k, "provider") == 0) {
		if (provider_known(v))
			set_str(&o->provider, v);
		else
			perr(p, "oauth_provider must be microsoft or google, not '%s'", v);
	} else if (strcmp(k, "tenant") == 0) {
		set_str(&o->tenant, v);
	} else if (strcmp(k, "token_url") == 0) {
		set_str(&o->token_url, v);
	} else if (strcmp(k, "device_url") == 0) {
		set_str(&o->device_url, v);
	} else if (strcmp(k, "auth_url") == 0) {
		set_str(&o->auth_url, v);
	} else if (strcmp(k, "client_id") == 0) {
		set_str(&o->client_id, v);
	} else if (strncmp(k, "client_secret", 13) == 0 && (k[13] == '\0' || k[13] == '_')) {
		set_secret(p, &o->client_secret, "oauth_client_secret", k - 6, v);
	} else if (strcmp(k, "scope") == 0) {
		set_str(&o->scope, v);
	} else if (strcmp(k, "refresh_token_file") == 0) {
		free(o->refresh_token_file);
		o->refresh_token_file = resolve_path(p, v);
	} else {
		perr(p, "unknown key 'oauth_%s'", k);
	}
	return 1;
}

/* A size, or "0" (which conf_parse_size refuses). */
static int
parse_size_or_zero(const char *v, size_t *bytes_r, const char **error_r)
{
	if (strcmp(v, "0") == 0) {
		*bytes_r = 0;
		return 0;
	}
	return conf_parse_size(v, bytes_r, error_r);
}

/*
 * trusted_authserv_id: the ids our MTA writes in Authentication-Results,
 * comma- or blank-separated; each an RFC 2045 token (a host name,
 * usually).  An empty value turns sender verification off.
 */
static void
set_authserv_ids(struct parser *p, const char *v)
{
	struct conf *c = p->conf;
	const char *q = v;
	size_t len, i;

	for (i = 0; i < c->n_trusted_authserv_ids; i++)
		xfree(&c->trusted_authserv_ids[i]);
	c->n_trusted_authserv_ids = 0;
	while (*q != '\0') {
		q += strspn(q, ", \t");
		len = strcspn(q, ", \t");
		if (len == 0)
			break;
		if (strcspn(q, "()<>@;:\\\"/[]?=") < len || len > 255) {
			perr(p, "trusted_authserv_id '%.*s' is not an authserv-id (a host name)",
			     (int)len, q);
		} else if (c->n_trusted_authserv_ids == CONF_MAX_AUTHSERV_IDS) {
			perr(p, "trusted_authserv_id: at most %d ids", CONF_MAX_AUTHSERV_IDS);
			return;
		} else {
			c->trusted_authserv_ids[c->n_trusted_authserv_ids++] = xstrndup(q, len);
		}
		q += len;
	}
}

static void
key_general(struct parser *p, const char *k, const char *v)
{
	struct conf *c = p->conf;
	const char *why;
	long d;

	if (strcmp(k, "database") == 0) {
		free(c->database);
		c->database = resolve_path(p, v);
	} else if (strcmp(k, "templates") == 0) {
		free(c->templates);
		c->templates = resolve_path(p, v);
		c->templates_line = p->line;
	} else if (strcmp(k, "log_file") == 0) {
		free(c->log_file);
		c->log_file = strcmp(v, "-") == 0 ? NULL : resolve_path(p, v);
	} else if (strcmp(k, "log") == 0) {
		c->log_line = p->line;
		if (strcmp(v, "stderr") == 0)
			c->log_syslog = 0;
		else if (strcmp(v, "syslog") == 0)
			c->log_syslog = 1;
		else
			perr(p, "log must be stderr or syslog, not '%s'", v);
	} else if (strcmp(k, "hmac_key_file") == 0) {
		free(c->hmac_key_file);
		c->hmac_key_file = resolve_path(p, v);
	} else if (strcmp(k, "support_address") == 0) {
		if (strchr(v, '@') == NULL || strpbrk(v, " <>\"") != NULL)
			perr(p, "support_address '%s' is not a mail address", v);
		else
			set_str(&c->support_address, v);
	} else if (strcmp(k, "support_name") == 0) {
		set_str(&c->support_name, v);
	} else if (strcmp(k, "ticket_prefix") == 0) {
		const char *q;

		for (q = v; *q != '\0'; q++)
			if (!isalnum((unsigned char)*q))
				break;
		if (*v == '\0' || *q != '\0' || strlen(v) > 16)
			perr(p, "ticket_prefix '%s' must be 1-16 letters or digits", v);
		else
			set_str(&c->ticket_prefix, v);
	} else if (strcmp(k, "default_region") == 0) {
		set_str(&c->default_region, v);
		c->default_region_line = p->line;
	} else if (strcmp(k, "default_language") == 0) {
		set_lang(p, &c->default_language, v);
	} else if (strcmp(k, "default_plan") == 0) {
		set_str(&c->default_plan, v);
		c->default_plan_line = p->line;
	} else if (strcmp(k, "plus_addressing") == 0) {
		if (parse_bool(v, &c->plus_addressing) < 0)
			perr(p, "plus_addressing must be yes or no");
	} else if (strcmp(k, "accept_unregistered") == 0) {
		if (parse_bool(v, &c->accept_unregistered) < 0)
			perr(p, "accept_unregistered must be yes or no");
	} else if (strcmp(k, "reopen_closed") == 0) {
		if (parse_bool(v, &c->reopen_closed) < 0)
			perr(p, "reopen_closed must be yes or no");
	} else if (strcmp(k, "poll_interval") == 0) {
		if (conf_parse_duration(v, &d, &why) < 0 || d < 1 || d > 86400)
			perr(p, "poll_interval '%s' must be a duration from 1s to 1d", v);
		else
			c->poll_interval = (int)d;
	} else if (strcmp(k, "default_severity") == 0) {
		if (parse_int(v, 1, 4, &c->default_severity) < 0)
			perr(p, "default_severity must be 1-4");
	} else if (strcmp(k, "default_priority") == 0) {
		if (parse_int(v, 1, 4, &c->default_priority) < 0)
			perr(p, "default_priority must be 1-4");
	} else if (strcmp(k, "max_message_size") == 0) {
		if (conf_parse_size(v, &c->max_message_size, &why) < 0)
			perr(p, "max_message_size '%s' is not a size like 25M", v);
	} else if (strcmp(k, "max_attachment_size") == 0) {
		if (conf_parse_size(v, &c->max_attachment_size, &why) < 0)
			perr(p, "max_attachment_size '%s' is not a size like 20M: %s", v, why);
		else if (c->max_attachment_size > CONF_MAX_ATTACHMENT_LIMIT)
			perr(p, "max_attachment_size '%s' is over 512M (the store keeps each "
			     "attachment as one value)", v);
	} else if (strcmp(k, "ticket_attachment_quota") == 0) {
		if (parse_size_or_zero(v, &c->ticket_attachment_quota, &why) < 0)
			perr(p, "ticket_attachment_quota '%s' is not a size like 200M (0: no quota): %s",
			     v, why);
	} else if (strcmp(k, "max_outgoing_attachments") == 0) {
		if (parse_size_or_zero(v, &c->max_outgoing_attachments, &why) < 0)
			perr(p, "max_outgoing_attachments '%s' is not a size like 10M "
			     "(0: name the files, attach none): %s", v, why);
	} else if (strcmp(k, "autoresponse_limit") == 0) {
		if (parse_int(v, 0, 100000, &c->autoresponse_limit) < 0)
			perr(p, "autoresponse_limit must be a number of mails per hour");
	} else if (strcmp(k, "reply_token_lifetime") == 0) {
		if (conf_parse_duration(v, &d, &why) < 0 || d < 86400 || d > 3660L * 86400)
			perr(p, "reply_token_lifetime '%s' must be a duration from 1d to 3660d", v);
		else
			c->reply_token_lifetime = d;
	} else if (strcmp(k, "trusted_authserv_id") == 0) {
		set_authserv_ids(p, v);
	} else if (strcmp(k, "lock_timeout") == 0) {
		if (conf_parse_duration(v, &d, &why) < 0 || d < 1 || d > 3600)
			perr(p, "lock_timeout '%s' must be a duration from 1s to 1h", v);
		else
			c->lock_timeout = (int)d;
	} else if (strcmp(k, "sla_warning_percent") == 0) {
		if (parse_int(v, 1, 99, &c->sla_warning_percent) < 0)
			perr(p, "sla_warning_percent must be 1-99");
	} else {
		perr(p, "unknown key '%s' in [general]", k);
	}
}

static void
key_smtp(struct parser *p, const char *k, const char *v)
{
	struct conf *c = p->conf;
	const char *why;
	long d;

	if (strcmp(k, "url") == 0) {
		if (strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0)
			perr(p, "smtp url '%s' must start with smtp:// or smtps://", v);
		else
			set_str(&c->smtp_url, v);
	} else if (strcmp(k, "user") == 0) {
		set_str(&c->smtp_user, v);
	} else if (strncmp(k, "password", 8) == 0 && (k[8] == '\0' || k[8] == '_')) {
		set_secret(p, &c->smtp_password, "password", k, v);
	} else if (strcmp(k, "helo") == 0) {
		if (strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != strlen(v))
			perr(p, "helo '%s' must be a host name", v);
		else
			set_str(&c->smtp_helo, v);
	} else if (strcmp(k, "ca_file") == 0) {
		free(c->smtp_ca_file);
		c->smtp_ca_file = resolve_path(p, v);
	} else if (strcmp(k, "tls_verify") == 0) {
		if (parse_bool(v, &c->smtp_tls_verify) < 0)
			perr(p, "tls_verify must be yes or no");
	} else if (strcmp(k, "tls") == 0) {
		parse_tls(p, v, &c->smtp_tls, &c->smtp_tls_set);
	} else if (strcmp(k, "tls_pubkey") == 0) {
		if (check_pins(p, k, v, 0) == 0)
			set_str(&c->smtp_tls_pubkey, v);
	} else if (strcmp(k, "auth") == 0) {
		parse_auth(p, v, &c->smtp_auth, &c->smtp_auth_set);
	} else if (key_oauth(p, &c->smtp_oauth, k, v)) {
		/* done */
	} else if (strcmp(k, "timeout") == 0) {
		if (conf_parse_duration(v, &d, &why) < 0 || d < 1 || d > 3600)
			perr(p, "timeout '%s' must be a duration from 1s to 1h", v);
		else
			c->smtp_timeout = (int)d;
	} else if (strcmp(k, "max_retry") == 0) {
		if (conf_parse_duration(v, &d, &why) < 0)
			perr(p, "max_retry '%s' is not a duration like 2d", v);
		else
			c->smtp_max_retry = d;
	} else {
		perr(p, "unknown key '%s' in [smtp]", k);
	}
}

static void
key_mailbox(struct parser *p, const char *k, const char *v)
{
	struct conf_mailbox *m = p->mbox;
	const char *why;
	long d;

	if (strcmp(k, "url") == 0) {
		if (strncmp(v, "imap://", 7) != 0 && strncmp(v, "imaps://", 8) != 0)
			perr(p, "mailbox url '%s' must start with imap:// or imaps://", v);
		else
			set_str(&m->url, v);
	} else if (strcmp(k, "user") == 0) {
		set_str(&m->user, v);
	} else if (strncmp(k, "password", 8) == 0 && (k[8] == '\0' || k[8] == '_')) {
		set_secret(p, &m->password, "password", k, v);
	} else if (strcmp(k, "folder") == 0) {
		set_str(&m->folder, v);
	} else if (strcmp(k, "after") == 0) {
		if (strcmp(v, "seen") == 0) {
			m->after = CONF_AFTER_SEEN;
		} else if (strcmp(v, "delete") == 0) {
			m->after = CONF_AFTER_DELETE;
		} else if (strncmp(v, "move:", 5) == 0 && v[5] != '\0') {
			m->after = CONF_AFTER_MOVE;
			set_str(&m->after_folder, v + 5);
		} else {
			perr(p, "after must be seen, delete or move:FOLDER, not '%s'", v);
		}
	} else if (strcmp(k, "quarantine_folder") == 0) {
		set_str(&m->quarantine_folder, v);
	} else if (strcmp(k, "region") == 0) {
		set_str(&m->region, v);
		m->region_line = p->line;
	} else if (strcmp(k, "language") == 0) {
		set_lang(p, &m->language, v);
	} else if (strcmp(k, "tls_verify") == 0) {
		if (parse_bool(v, &m->tls_verify) < 0)
			perr(p, "tls_verify must be yes or no");
	} else if (strcmp(k, "ca_file") == 0) {
		free(m->ca_file);
		m->ca_file = resolve_path(p, v);
	} else if (strcmp(k, "tls") == 0) {
		parse_tls(p, v, &m->tls, &m->tls_set);
	} else if (strcmp(k, "tls_fingerprint") == 0) {
		if (check_pins(p, k, v, 1) == 0)
			set_str(&m->tls_fingerprint, v);
	} else if (strcmp(k, "tls_pubkey") == 0) {
		if (check_pins(p, k, v, 0) == 0)
			set_str(&m->tls_pubkey, v);
	} else if (strcmp(k, "auth") == 0) {
		parse_auth(p, v, &m->auth, &m->auth_set);
	} else if (key_oauth(p, &m->oauth, k, v)) {
		/* done */
	} else if (strcmp(k, "timeout") == 0) {
		if (conf_parse_duration(v, &d, &why) < 0 || d < 1 || d > 3600)
			perr(p, "timeout '%s' must be a duration from 1s to 1h", v);
		else
			m->timeout = (int)d;
	} else {
		perr(p, "unknown key '%s' in [mailbox %s]", k, m->name);
	}
}

static void
key_region(struct parser *p, const char *k, const char *v)
{
	struct conf_region *r = p->region;
	int level;

	if (strcmp(k, "timezone") == 0) {
		set_str(&r->timezone, v);
		r->timezone_line = p->line;
	} else if (strcmp(k, "hours") == 0) {
		set_str(&r->hours, v);
		r->hours_line = p->line;
	} else if (strcmp(k, "holidays") == 0) {
		free(r->holidays);
		r->holidays = resolve_path(p, v);
		r->holidays_line = p->line;
	} else if (strcmp(k, "phone") == 0) {
		set_str(&r->phone, v);
	} else if (strcmp(k, "weekend_phone") == 0) {
		set_str(&r->weekend_phone, v);
	} else if (strcmp(k, "language") == 0) {
		set_lang(p, &r->language, v);
	} else if (strncmp(k, "escalation", 10) == 0 && isdigit((unsigned char)k[10]) && k[11] == '\0') {
		level = k[10] - '0';
		if (level >= CONF_LEVELS)
			perr(p, "unknown key '%s' in [region %s]: escalation levels are 0 (Analyst) to 4 (VP)",
			     k, r->name);
		else
			set_str(&r->escalation[level], v);
	} else {
		perr(p, "unknown key '%s' in [region %s]", k, r->name);
	}
}

static void
key_plan(struct parser *p, const char *k, const char *v)
{
	struct conf_plan *pl = p->plan;
	const char *why;
	long d;

	if (strncmp(k, "target_sev", 10) == 0 && k[10] >= '1' && k[10] <= '4' && k[11] == '\0') {
		if (conf_parse_duration(v, &d, &why) < 0 || d == 0)
			perr(p, "%s '%s' must be a duration like 4h or 30m", k, v);
		else
			pl->target[k[10] - '1'] = d;
	} else if (strcmp(k, "sev1_24x7") == 0) {
		if (parse_bool(v, &pl->sev1_24x7) < 0)
			perr(p, "sev1_24x7 must be yes or no");
	} else if (strcmp(k, "phone_sev1") == 0) {
		if (parse_bool(v, &pl->phone_sev1) < 0)
			perr(p, "phone_sev1 must be yes or no");
	} else if (strcmp(k, "max_contacts") == 0) {
		if (parse_int(v, 0, 1000000, &pl->max_contacts) < 0)
			perr(p, "max_contacts must be a number (0: unlimited)");
	} else {
		perr(p, "unknown key '%s' in [plan %s]", k, pl->name);
	}
}

static void
start_section(struct parser *p, char *s)
{
	char *name = strchr(s, ' ');
	struct conf *c = p->conf;

	if (name != NULL) {
		*name++ = '\0';
		while (*name == ' ')
			name++;
		if (*name == '\0')
			name = NULL;
	}
	if (strcmp(s, "general") == 0 || strcmp(s, "smtp") == 0) {
		if (name != NULL)
			perr(p, "[%s] takes no name", s);
		p->sec = s[0] == 'g' ? SEC_GENERAL : SEC_SMTP;
		if (p->sec == SEC_GENERAL && c->general_line == 0)
			c->general_line = p->line;
		return;
	}
	if (strcmp(s, "mailbox") != 0 && strcmp(s, "region") != 0 && strcmp(s, "plan") != 0) {
		perr(p, "unknown section [%s]", s);
		p->sec = SEC_NONE;
		return;
	}
	if (name == NULL) {
		perr(p, "[%s] needs a name, e.g. [%s NAME]", s, s);
		p->sec = SEC_NONE;
		return;
	}
	if (strcmp(s, "mailbox") == 0) {
		struct conf_mailbox *m, **tail;

		size_t count = 0;

		for (m = c->mailboxes; m != NULL; m = m->next, count++)
			if (strcmp(m->name, name) == 0)
				perr(p, "mailbox '%s' is defined twice", name);
		if (count == CONF_MAX_MAILBOXES)
			perr(p, "more than %d mailboxes", CONF_MAX_MAILBOXES);
		m = xcalloc(1, sizeof(*m));
		m->name = xstrdup(name);
		m->folder = xstrdup("INBOX");
		m->quarantine_folder = xstrdup("Quarantine");
		m->tls_verify = 1;
		m->line = p->line;
		m->timeout = 60;
		for (tail = &c->mailboxes; *tail != NULL; tail = &(*tail)->next)
			;
		*tail = m;
		p->mbox = m;
		p->sec = SEC_MAILBOX;
	} else if (strcmp(s, "region") == 0) {
		struct conf_region *r;

		for (r = c->regions; r != NULL; r = r->next)
			if (strcmp(r->name, name) == 0)
				break;
		if (r == NULL) {
			r = xcalloc(1, sizeof(*r));
			r->name = xstrdup(name);
			r->line = p->line;
			r->next = c->regions;
			c->regions = r;
		}
		p->region = r;
		p->sec = SEC_REGION;
	} else if (strcmp(s, "plan") == 0) {
		struct conf_plan *pl;

		for (pl = c->plans; pl != NULL; pl = pl->next)
			if (strcmp(pl->name, name) == 0)
				break;
		if (pl == NULL) {
			pl = xcalloc(1, sizeof(*pl));
			pl->name = xstrdup(name);
			pl->target[0] = 8 * 3600;
			pl->target[1] = 16 * 3600;
			pl->target[2] = 24 * 3600;
			pl->target[3] = 40 * 3600;
			pl->next = c->plans;
			c->plans = pl;
		}
		p->plan = pl;
		p->sec = SEC_PLAN;
	} else {
		perr(p, "unknown section [%s]", s);
		p->sec = SEC_NONE;
	}
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static void
parse_line(struct parser *p, char *line)
{
	char *s = trim(line), *eq, *k, *v;

	if (*s == '\0' || *s == '#' || *s == ';')
		return;
	if (*s == '[') {
		char *e = strchr(s, ']');

		if (e == NULL || trim(e + 1)[0] != '\0') {
			perr(p, "malformed section header '%s'", s);
			p->sec = SEC_NONE;
			return;
		}
		*e = '\0';
		start_section(p, trim(s + 1));
		return;
	}
	eq = strchr(s, '=');
	if (eq == NULL) {
		perr(p, "expected 'key = value', got '%s'", s);
		return;
	}
	*eq = '\0';
	k = trim(s);
	v = trim(eq + 1);
	/* Allow a trailing comment after whitespace: "poll_interval = 30  # s". */
	for (eq = v; *eq != '\0'; eq++)
		if (*eq == '#' && eq > v && (eq[-1] == ' ' || eq[-1] == '\t')) {
			*eq = '\0';
			v = trim(v);
			break;
		}
	if (*v == '\0' && strncmp(k, "password", 8) != 0 && strcmp(k, "user") != 0) {
		perr(p, "empty value for '%s'", k);
		return;
	}
	switch (p->sec) {
	case SEC_NONE: perr(p, "'%s' outside of a section", k); break;
	case SEC_GENERAL: key_general(p, k, v); break;
	case SEC_SMTP: key_smtp(p, k, v); break;
	case SEC_MAILBOX: key_mailbox(p, k, v); break;
	case SEC_REGION: key_region(p, k, v); break;
	case SEC_PLAN: key_plan(p, k, v); break;
	}
}

/*
 * The handbook's regions and plans, used when the file names none.  Only
 * their zones, hours and languages: phone numbers and escalation
 * contacts are the company's data and come from the configuration alone.
 */
static void
add_default_regions(struct conf *c)
{
	static const struct {
		const char *name, *tz, *lang;
	} defs[] = {
		{ "AMER", "America/New_York", "en" },
		{ "EMEA", "Europe/Helsinki", "en" },
		{ "APAC", "Asia/Tokyo", "ja" },
	};
	size_t i;
	struct conf_region *r;

	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		r = xcalloc(1, sizeof(*r));
		r->name = xstrdup(defs[i].name);
		r->timezone = xstrdup(defs[i].tz);
		r->hours = xstrdup("Mon-Fri 09:00-17:00");
		r->language = xstrdup(defs[i].lang);
		r->next = c->regions;
		c->regions = r;
	}
}

static void
add_default_plans(struct conf *c)
{
	static const struct {
		const char *name;
		long t[4];
		int sev1_24x7, phone, max;
	} defs[] = {
		{ "SP1", { 8, 16, 24, 40 }, 0, 0, 2 },
		{ "SP2", { 4, 8, 16, 24 }, 0, 1, 4 },
		{ "SP3", { 2, 4, 8, 16 }, 0, 1, 6 },
		{ "Enterprise", { 1, 2, 4, 8 }, 1, 1, 10 },
	};
	size_t i, j;
	struct conf_plan *pl;

	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		pl = xcalloc(1, sizeof(*pl));
		pl->name = xstrdup(defs[i].name);
		for (j = 0; j < 4; j++)
			pl->target[j] = defs[i].t[j] * 3600;
		pl->sev1_24x7 = defs[i].sev1_24x7;
		pl->phone_sev1 = defs[i].phone;
		pl->max_contacts = defs[i].max;
		pl->next = c->plans;
		c->plans = pl;
	}
}

/*
 * OAuth2 settings complete (presets applied) when auth is an OAuth2
 * mechanism; oauth_* keys without such an auth are a mistake.  name NULL:
 * [smtp].  The refresh token lives beside the database unless told.
 */
static void
check_oauth(struct parser *p, struct conf_oauth **op, enum conf_auth auth, const char *name,
	    enum provider_use use)
{
	struct conf_oauth *o = *op;
	char *sect = name != NULL ? xasprintf("[mailbox %s]", name) : xstrdup("[smtp]");
	const char *error = NULL, *slash;

	if (!CONF_AUTH_IS_OAUTH(auth)) {
		if (o != NULL)
			perr(p, "%s has oauth_* keys but auth is not oauth2, xoauth2 or oauthbearer", sect);
		free(sect);
		return;
	}
	if (o == NULL)
		o = *op = xcalloc(1, sizeof(*o));
	if (provider_complete(o, use, &error) < 0)
		perr(p, "%s %s", sect, error);
	if (o->refresh_token_file == NULL && p->conf->database != NULL) {
		slash = strrchr(p->conf->database, '/');
		o->refresh_token_file = slash != NULL ?
			xasprintf("%.*s/oauth-%s.token", (int)(slash - p->conf->database),
				  p->conf->database, name != NULL ? name : "smtp") :
			xasprintf("oauth-%s.token", name != NULL ? name : "smtp");
	}
	free(sect);
}

static void
check(struct parser *p)
{
	struct conf *c = p->conf;
	struct conf_mailbox *m;
	struct conf_region *r;

	/* A key that is missing is reported at its section's header, when there is one. */
	p->line = c->general_line;
	if (c->database == NULL)
		perr(p, "[general] database is not set");
	if (c->support_address == NULL)
		perr(p, "[general] support_address is not set");
	if (c->support_address != NULL && c->plus_addressing &&
	    (size_t)(strrchr(c->support_address, '@') - c->support_address) + 1 +
	    CONF_REPLY_TOKEN_MAX > CONF_LOCAL_PART_MAX)
		perr(p, "support_address '%s': its local part leaves no room for a reply token "
		     "(at most %d characters with plus_addressing = yes)", c->support_address,
		     CONF_LOCAL_PART_MAX - 1 - CONF_REPLY_TOKEN_MAX);
	if (c->templates == NULL)
		c->templates = resolve_path(p, "templates");
	p->line = c->log_line;
	if (c->log_syslog && c->log_file != NULL)
		perr(p, "log = syslog and log_file exclude each other (log_file = - for syslog)");
	if (c->regions == NULL)
		add_default_regions(c);
	if (c->plans == NULL)
		add_default_plans(c);
	p->line = c->default_region_line != 0 ? c->default_region_line : c->general_line;
	if (conf_region(c, c->default_region) == NULL)
		perr(p, "default_region '%s' is not a configured region", c->default_region);
	p->line = c->default_plan_line != 0 ? c->default_plan_line : c->general_line;
	if (conf_plan(c, c->default_plan) == NULL)
		perr(p, "default_plan '%s' is not a configured plan", c->default_plan);
	for (r = c->regions; r != NULL; r = r->next) {
		p->line = r->line;
		if (r->timezone == NULL)
			perr(p, "[region %s] has no timezone", r->name);
		if (r->hours == NULL)
			r->hours = xstrdup("Mon-Fri 09:00-17:00");
		if (r->language == NULL)
			r->language = xstrdup(c->default_language);
	}
	for (m = c->mailboxes; m != NULL; m = m->next) {
		p->line = m->line;
		if (m->url == NULL)
			perr(p, "[mailbox %s] has no url", m->name);
		if (m->user == NULL)
			perr(p, "[mailbox %s] has no user", m->name);
		if (m->url != NULL && strncmp(m->url, "imaps://", 8) == 0) {
			if (m->tls_set)
				perr(p, "[mailbox %s] tls is for imap:// urls (imaps:// is TLS from the start)",
				     m->name);
			m->tls = CONF_TLS_IMPLICIT;
		} else if (!m->tls_set) {
			m->tls = CONF_TLS_STARTTLS;
		}
		if (!m->auth_set)
			m->auth = m->oauth != NULL ? CONF_AUTH_OAUTH2 : CONF_AUTH_PASSWORD;
		check_oauth(p, &m->oauth, m->auth, m->name, PROVIDER_USE_IMAP);
		if (!CONF_AUTH_IS_OAUTH(m->auth) && m->password.kind == CONF_SECRET_NONE)
			perr(p, "[mailbox %s] has no password (password, password_file or password_env)", m->name);
		p->line = m->region_line;
		if (m->region != NULL && conf_region(c, m->region) == NULL)
			perr(p, "[mailbox %s] region '%s' is not a configured region", m->name, m->region);
	}
	if (c->smtp_url != NULL && strncmp(c->smtp_url, "smtps://", 8) == 0) {
		if (c->smtp_tls_set)
			perr(p, "[smtp] tls is for smtp:// urls (smtps:// is TLS from the start)");
		c->smtp_tls = CONF_TLS_IMPLICIT;
	} else if (!c->smtp_tls_set) {
		/* With credentials to protect, STARTTLS is required; a bare relay may go without. */
		c->smtp_tls = c->smtp_user != NULL || c->smtp_oauth != NULL ?
			CONF_TLS_STARTTLS : CONF_TLS_OPTIONAL;
	}
	if (!c->smtp_auth_set)
		c->smtp_auth = c->smtp_oauth != NULL ? CONF_AUTH_OAUTH2 : CONF_AUTH_PASSWORD;
	if (c->smtp_auth == CONF_AUTH_LOGIN && c->smtp_auth_set && c->smtp_user == NULL)
		perr(p, "[smtp] auth = login needs a user");
	check_oauth(p, &c->smtp_oauth, c->smtp_auth, NULL, PROVIDER_USE_SMTP);
	if (CONF_AUTH_IS_OAUTH(c->smtp_auth) && c->smtp_user == NULL)
		perr(p, "[smtp] OAuth2 needs user (the account the token is for)");
}

int
conf_load(const char *path, struct conf **conf_r, struct buf *errors)
{
	struct conf *c;

	if (conf_load_all(path, &c, errors) > 0) {
		conf_free(&c);
		return -1;
	}
	*conf_r = c;
	return 0;
}

int
conf_load_all(const char *path, struct conf **conf_r, struct buf *errors)
{
	struct parser p;
	struct conf *c;
	char line[CONF_MAX_LINE];
	const char *slash;
	FILE *f;

	memset(&p, 0, sizeof(p));
	p.file = path;
	p.errors = errors;
	*conf_r = NULL;
	f = fopen(path, "r");
	if (f == NULL) {
		buf_addf(errors, "%s: unable to open: %s\n", path, strerror(errno));
		return 1;
	}
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	c->support_name = xstrdup("Support");
	c->ticket_prefix = xstrdup("SUP");
	c->default_region = xstrdup("EMEA");
	c->default_language = xstrdup("en");
	c->default_plan = xstrdup("SP1");
	c->plus_addressing = 1;
	c->poll_interval = 30;
	c->default_severity = 3;
	c->default_priority = 3;
	c->max_message_size = 25 * 1024 * 1024;
	c->max_attachment_size = CONF_DEFAULT_MAX_ATTACHMENT;
	c->ticket_attachment_quota = CONF_DEFAULT_ATTACHMENT_QUOTA;
	c->max_outgoing_attachments = CONF_DEFAULT_MAX_OUTGOING;
	c->autoresponse_limit = 10;
	c->reply_token_lifetime = 180L * 86400;
	c->sla_warning_percent = 80;
	c->lock_timeout = 10;
	c->smtp_tls_verify = 1;
	c->smtp_timeout = 30;
	c->smtp_max_retry = 2 * 86400;
	p.conf = c;
	slash = strrchr(path, '/');
	p.dir = slash != NULL ? xstrndup(path, (size_t)(slash - path) + (slash == path)) : NULL;
	while (fgets(line, sizeof(line), f) != NULL) {
		p.line++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			int ch;

			perr(&p, "line longer than %d bytes", CONF_MAX_LINE - 1);
			do
				ch = fgetc(f);
			while (ch != EOF && ch != '\n');
			continue;
		}
		parse_line(&p, line);
	}
	fclose(f);
	check(&p);
	free(p.dir);
	*conf_r = c;
	return p.n_errors;
}


static void
free_oauth(struct conf_oauth **op)
{
	struct conf_oauth *o = *op;

	if (o == NULL)
		return;
	free(o->provider); free(o->tenant); free(o->token_url); free(o->device_url);
	free(o->auth_url); free(o->client_id); conf_secret_release(&o->client_secret);
	free(o->scope); free(o->refresh_token_file);
	free(o);
	*op = NULL;
}

void
conf_free(struct conf **confp)
{
	struct conf *c = *confp;
	struct conf_mailbox *m;
	struct conf_region *r;
	struct conf_plan *pl;
	size_t k;
	int i;

	if (c == NULL)
		return;
	while (c->mailboxes != NULL) {
		m = c->mailboxes;
		c->mailboxes = m->next;
		free(m->name); free(m->url); free(m->user); conf_secret_release(&m->password);
		free(m->folder); free(m->after_folder); free(m->quarantine_folder);
		free(m->region); free(m->language); free(m->ca_file);
		free(m->tls_fingerprint); free(m->tls_pubkey); free_oauth(&m->oauth);
		free(m);
	}
	while (c->regions != NULL) {
		r = c->regions;
		c->regions = r->next;
		free(r->name); free(r->timezone); free(r->hours); free(r->holidays);
		free(r->phone); free(r->weekend_phone); free(r->language);
		for (i = 0; i < CONF_LEVELS; i++)
			free(r->escalation[i]);
		free(r);
	}
	while (c->plans != NULL) {
		pl = c->plans;
		c->plans = pl->next;
		free(pl->name);
		free(pl);
	}
	free(c->path); free(c->database); free(c->templates); free(c->log_file);
	free(c->support_address); free(c->support_name); free(c->ticket_prefix);
	free(c->default_region); free(c->default_language); free(c->default_plan);
	free(c->hmac_key_file);
	for (k = 0; k < c->n_trusted_authserv_ids; k++)
		free(c->trusted_authserv_ids[k]);
	free(c->smtp_url); free(c->smtp_user); conf_secret_release(&c->smtp_password);
	free(c->smtp_helo); free(c->smtp_ca_file); free(c->smtp_tls_pubkey);
	free_oauth(&c->smtp_oauth);
	free(c);
	*confp = NULL;
}

const struct conf_region *
conf_region(const struct conf *conf, const char *name)
{
	const struct conf_region *r;

	for (r = conf->regions; name != NULL && r != NULL; r = r->next)
		if (strcasecmp(r->name, name) == 0)
			return r;
	return NULL;
}

const struct conf_plan *
conf_plan(const struct conf *conf, const char *name)
{
	const struct conf_plan *p;

	for (p = conf->plans; name != NULL && p != NULL; p = p->next)
		if (strcasecmp(p->name, name) == 0)
			return p;
	return NULL;
}

const struct conf_mailbox *
conf_mailbox(const struct conf *conf, const char *name)
{
	const struct conf_mailbox *m;

	for (m = conf->mailboxes; name != NULL && m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

int
conf_is_support_address(const struct conf *conf, const char *addr)
{
	const char *at = strrchr(conf->support_address, '@'), *aat;
	size_t local;

	if (addr == NULL || at == NULL)
		return 0;
	local = (size_t)(at - conf->support_address);
	aat = strrchr(addr, '@');
	if (aat == NULL || strcasecmp(aat, at) != 0)
		return 0;
	if (strncasecmp(addr, conf->support_address, local) != 0)
		return 0;
	return addr + local == aat || addr[local] == '+';
}
