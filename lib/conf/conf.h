/*
 * conf: the configuration file.
 *
 * INI-like: "[section]" or "[section NAME]" headers, "key = value" lines,
 * '#' comments.  Relative paths are resolved against the file's folder.
 * Secrets come from "password", "password_file" or "password_env" (and
 * oauth_client_secret, _file, _env); the file and the variable are read
 * only when conf_secret_get() asks (by the code that connects or fetches
 * a token), never by conf_load(): admin commands need no secret.
 * Every problem is reported as "file:line: message", all of them at once.
 */
#ifndef TICKETD_CONF_H
#define TICKETD_CONF_H

#include <stddef.h>

#include "xmalloc.h"

#define CONF_LEVELS 5          /* escalation levels 0 Analyst … 4 VP */
#define CONF_MAX_MAILBOXES 64  /* one intake thread each */
#define CONF_AUTORESPONSE_WINDOW 3600  /* seconds autoresponse_limit counts mails in */
#define CONF_DEFAULT_MAX_ATTACHMENT (20 * 1024 * 1024)     /* max_attachment_size */
#define CONF_DEFAULT_ATTACHMENT_QUOTA (200 * 1024 * 1024)  /* ticket_attachment_quota */
#define CONF_DEFAULT_MAX_OUTGOING (10 * 1024 * 1024)       /* max_outgoing_attachments */
#define CONF_MAX_ATTACHMENT_LIMIT (512 * 1024 * 1024)     /* highest max_attachment_size */
#define CONF_LOCAL_PART_MAX 64 /* octets of a mail address' local part (RFC 5321) */
#define CONF_REPLY_TOKEN_MAX 39 /* octets of a reply token (desk/token.h TOKEN_MAX_LEN) */
#define CONF_MAX_AUTHSERV_IDS 8

/* Where a password comes from. */
enum conf_secret_kind {
	CONF_SECRET_NONE,    /* not configured */
	CONF_SECRET_INLINE,  /* password = the password */
	CONF_SECRET_FILE,    /* password_file = path: its first line */
	CONF_SECRET_ENV,     /* password_env = VAR: the environment variable */
};

struct conf_secret {
	enum conf_secret_kind kind;
	char *value;         /* the password, the file's path or the variable's name */
	int line;            /* of its key in conf->path */
};

enum conf_after {
	CONF_AFTER_SEEN,     /* set \Seen */
	CONF_AFTER_MOVE,     /* move to after_folder */
	CONF_AFTER_DELETE,   /* \Deleted + expunge */
};

/* How the connection is protected.  imaps:// and smtps:// are implicit TLS. */
enum conf_tls {
	CONF_TLS_IMPLICIT,   /* TLS from the first byte (imaps://, smtps://) */
	CONF_TLS_STARTTLS,   /* STARTTLS, and no credentials when the server does not offer it */
	CONF_TLS_OPTIONAL,   /* STARTTLS when offered, else clear text (explicitly allowed) */
	CONF_TLS_NONE,       /* clear text (explicitly allowed) */
};

/* How we log in. */
enum conf_auth {
	CONF_AUTH_PASSWORD,     /* IMAP: AUTHENTICATE PLAIN where offered, else LOGIN */
	CONF_AUTH_LOGIN,        /* IMAP LOGIN only */
	CONF_AUTH_PLAIN,        /* AUTHENTICATE PLAIN only */
	CONF_AUTH_OAUTH2,       /* OAUTHBEARER where offered, else XOAUTH2 */
	CONF_AUTH_XOAUTH2,
	CONF_AUTH_OAUTHBEARER,
};
#define CONF_AUTH_IS_OAUTH(a) ((a) >= CONF_AUTH_OAUTH2)

/*
 * OAuth2 client settings of a mailbox or of [smtp] (lib/oauth.h uses them).
 * A preset (provider) fills in the endpoints and the scope.
 */
struct conf_oauth {
	char *provider;          /* "microsoft", "google" or NULL */
	char *tenant;            /* microsoft: directory (tenant) id or domain */
	char *token_url;         /* refresh_token, device_code and authorization_code grants */
	char *device_url;        /* RFC 8628 device authorization endpoint (ticketctl oauth login) */
	char *auth_url;          /* authorization endpoint, for the browser flow (Google) */
	char *client_id;
	struct conf_secret client_secret;  /* CONF_SECRET_NONE: a public client */
	char *scope;
	char *refresh_token_file;  /* rewritten atomically (0600) when the token rotates */
};

struct conf_mailbox {
	char *name;
	char *url;           /* imap://host:port or imaps://host:port */
	char *user;
	struct conf_secret password;
	enum conf_tls tls;
	int tls_set;         /* tls given in the file */
	enum conf_auth auth;
	int auth_set;        /* auth given in the file (else chosen from the other keys) */
	char *tls_fingerprint;  /* SHA-256 certificate pin(s): replaces the CA check */
	char *tls_pubkey;    /* "sha256//BASE64" public key pin(s): replaces the CA check */
	struct conf_oauth *oauth;  /* NULL: no OAuth2 */
	char *folder;
	enum conf_after after;
	char *after_folder;
	char *quarantine_folder;
	char *region;        /* NULL: [general] default_region */
	char *language;      /* NULL: the region's */
	int tls_verify;
	char *ca_file;
	int line;            /* of the [mailbox NAME] header */
	int region_line;     /* of region =, 0: unset */
	int timeout;         /* seconds an IMAP command may take */
	struct conf_mailbox *next;
};

struct conf_region {
	char *name;
	char *timezone;      /* IANA name */
	char *hours;         /* "Mon-Fri 08:00-17:00" */
	char *holidays;      /* path or NULL */
	char *phone;
	char *weekend_phone; /* Enterprise severity 1 outside hours */
	char *language;
	char *escalation[CONF_LEVELS];  /* contact address per level */
	int line;            /* of its first [region NAME] header, 0: a built-in default */
	int timezone_line, hours_line, holidays_line;  /* of those keys, 0: unset */
	struct conf_region *next;
};

struct conf_plan {
	char *name;
	long target[4];      /* initial response per severity 1..4, seconds of business time */
	int sev1_24x7;       /* severity 1 counts around the clock */
	int phone_sev1;      /* offer the phone number for severity 1 */
	int max_contacts;    /* 0: unlimited */
	struct conf_plan *next;
};

struct conf {
	char *path;
	/* [general] */
	char *database;
	char *templates;
	char *log_file;          /* NULL: stderr (or syslog) */
	int log_syslog;          /* log = syslog */
	char *support_address;
	char *support_name;
	char *ticket_prefix;
	char *default_region;
	char *default_language;
	char *default_plan;
	char *hmac_key_file;     /* NULL: key kept in the store */
	int plus_addressing;     /* Reply-To: support+TOKEN@domain */
	int poll_interval;       /* seconds */
	int default_severity;
	int default_priority;
	size_t max_message_size;
	size_t max_attachment_size;      /* bytes of one attachment kept; larger ones are dropped */
	size_t ticket_attachment_quota;  /* bytes of attachments kept per ticket; 0: no quota */
	size_t max_outgoing_attachments; /* bytes of attachments one notification carries;
					    0: none (the mail names the files) */
	int autoresponse_limit;  /* automatic mails per sender per hour */
	int reopen_closed;       /* reply to closed: reopen instead of a new ticket */
	int accept_unregistered; /* anyone may open tickets (no contact registry) */
	int sla_warning_percent;
	long reply_token_lifetime;   /* seconds a reply token counts as fresh */
	char *trusted_authserv_ids[CONF_MAX_AUTHSERV_IDS];  /* our MTA's Authentication-Results ids */
	size_t n_trusted_authserv_ids;  /* 0: sender verification off */
	int lock_timeout;        /* seconds to wait for another process's store lock */
	/* [smtp] */
	char *smtp_url;
	char *smtp_user;
	struct conf_secret smtp_password;
	char *smtp_helo;
	char *smtp_ca_file;
	int smtp_tls_verify;
	enum conf_tls smtp_tls;
	int smtp_tls_set;        /* tls given in the file */
	enum conf_auth smtp_auth;
	int smtp_auth_set;
	char *smtp_tls_pubkey;   /* "sha256//BASE64" (libcurl's CURLOPT_PINNEDPUBLICKEY) */
	struct conf_oauth *smtp_oauth;
	int smtp_timeout;        /* seconds */
	long smtp_max_retry;     /* seconds of retrying before a mail fails */
	struct conf_mailbox *mailboxes;
	struct conf_region *regions;
	struct conf_plan *plans;
	/* Where keys were set in path, for "file:line: message" (0: not in the file). */
	int general_line;        /* the first [general] header */
	int templates_line, default_region_line, default_plan_line, log_line;
};

/*
 * Read path.  0 with *conf_r; -1 with every problem as one
 * "file:line: message" line in errors.
 */
int conf_load(const char *path, struct conf **conf_r, struct buf *errors);
/*
 * The same, but the configuration comes back even when it has problems
 * (keys with bad values keep their defaults), so that later checks can
 * look at the rest and report their problems too (ticketd -n): returns
 * the number of problems, each a line in errors; *conf_r is NULL only
 * when the file cannot be read.  The caller frees *conf_r.
 */
int conf_load_all(const char *path, struct conf **conf_r, struct buf *errors);
void conf_free(struct conf **conf);

const struct conf_region *conf_region(const struct conf *conf, const char *name);
const struct conf_plan *conf_plan(const struct conf *conf, const char *name);
const struct conf_mailbox *conf_mailbox(const struct conf *conf, const char *name);

/* 1 when addr is support_address or its plus form (support+anything@domain). */
int conf_is_support_address(const struct conf *conf, const char *addr);

/*
 * The secret itself, read now from where s says: 0 with *secret_r (the
 * caller wipes and frees it with conf_secret_free()); -1 with *error_r
 * (caller frees), e.g. "environment variable 'X' is not set".  A secret
 * of kind CONF_SECRET_NONE is "".
 */
int conf_secret_get(const struct conf_secret *s, char **secret_r, char **error_r);
/* Wipe and free a secret from conf_secret_get(); sets *secret to NULL. */
void conf_secret_free(char **secret);

#define CONF_MAX_DURATION (100L * 365 * 86400)  /* seconds: a duration value's limit */
#define CONF_MAX_SIZE (1ULL << 40)              /* bytes: a size value's limit (1T) */

/*
 * "30", "30s", "5m", "8h", "2d" into *secs_r (0 up to
 * CONF_MAX_DURATION).  0, or -1 with *error_r (static text).
 */
int conf_parse_duration(const char *s, long *secs_r, const char **error_r);
/*
 * "1024", "64K", "25M", "1G", "25MB" into *bytes_r (1 byte up to
 * CONF_MAX_SIZE).  0, or -1 with *error_r (static text).
 */
int conf_parse_size(const char *s, size_t *bytes_r, const char **error_r);

#endif
