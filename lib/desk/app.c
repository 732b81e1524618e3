#include "app.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bizhours.h"
#include "conf.h"
#include "fileperm.h"
#include "notify.h"
#include "sla.h"
#include "store.h"
#include "tmpl.h"

const char *
app_default_config(void)
{
	const char *env = getenv("TICKETD_CONFIG");

	return env != NULL && *env != '\0' ? env : TICKETD_SYSCONFDIR "/ticketd.conf";
}

/* One "file:line: message" line about the configuration (line 0: "file: message"). */
static void
conf_error(struct buf *errors, const struct conf *conf, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
conf_error(struct buf *errors, const struct conf *conf, int line, const char *fmt, ...)
{
	va_list ap;

	if (line > 0)
		buf_addf(errors, "%s:%d: ", conf->path, line);
	else
		buf_addf(errors, "%s: ", conf->path);
	va_start(ap, fmt);
	buf_vaddf(errors, fmt, ap);
	va_end(ap);
	buf_addc(errors, '\n');
}

/* The line of a key, else of its section's header. */
static int
key_line(int key, int section)
{
	return key != 0 ? key : section;
}

/* The folder, then its templates; with tmpls_r, the set read and checked is kept. */
static int
check_templates(const struct conf *conf, struct tmpl_set **tmpls_r, struct buf *errors)
{
	struct stat sb;
	const char *why = NULL;

	if (stat(conf->templates, &sb) < 0)
		why = strerror(errno);
	else if (!S_ISDIR(sb.st_mode))
		why = "not a folder";
	if (why != NULL) {
		conf_error(errors, conf, key_line(conf->templates_line, conf->general_line),
			   "templates folder '%s': %s", conf->templates, why);
		return 1;
	}
	return notify_load_templates(conf, tmpls_r, errors);
}

/*
 * A holiday file's own problems carry its "path:line:"; the others (it
 * cannot be opened) are put at the holidays line of the configuration.
 */
static void
holidays_error(struct buf *errors, const struct conf *conf, const struct conf_region *r,
	       const char *error)
{
	size_t n = strlen(r->holidays);

	if (strncmp(error, r->holidays, n) == 0 && error[n] == ':' &&
	    error[n + 1] >= '0' && error[n + 1] <= '9') {
		buf_addf(errors, "%s\n", error);
		return;
	}
	conf_error(errors, conf, key_line(r->holidays_line, r->line), "[region %s] holidays: %s",
		   r->name, error);
}

static void
horizon_warning(struct buf *errors, const struct conf *conf, const struct conf_region *r,
		const struct bizhours *bh, time_t now)
{
	enum sla_horizon h;
	int year;
	long days;

	h = sla_holidays_horizon(bh, now, &year, &days);
	if (h == SLA_HORIZON_FAR)
		return;
	conf_error(errors, conf, key_line(r->holidays_line, r->line),
		   "warning: [region %s] the holiday list '%s' %s with %d%s%ld day(s)%s: "
		   "after it, holidays count as working days in SLA due times (extend it)",
		   r->name, r->holidays, h == SLA_HORIZON_ENDED ? "ended" : "ends", year,
		   h == SLA_HORIZON_ENDED ? ", " : ", in ", h == SLA_HORIZON_ENDED ? -days : days,
		   h == SLA_HORIZON_ENDED ? " ago" : "");
}

/* 1 when a calendar of tz and hours does not load, reported at key's line. */
static int
check_calendar(struct buf *errors, const struct conf *conf, const struct conf_region *r,
	       const char *key, int line, const char *tz, const char *hours)
{
	struct bizhours *bh;
	char *error = NULL;

	bh = bizhours_new(tz, hours, &error);
	if (bh == NULL) {
		conf_error(errors, conf, key_line(line, r->line), "[region %s] %s: %s", r->name, key,
			   error);
		free(error);
		return 1;
	}
	bizhours_free(&bh);
	return 0;
}

/* Time zone, hours and holidays of every region, each error at its key's line. */
static int
check_regions(const struct conf *conf, unsigned flags, time_t now, struct buf *errors)
{
	const struct conf_region *r;
	struct bizhours *bh;
	char *error = NULL;
	int n = 0, bad;

	for (r = conf->regions; r != NULL; r = r->next) {
		if (r->timezone == NULL)
			continue;	/* conf_load said so */
		/* The zone alone, then the hours alone: each error at its own line. */
		bad = check_calendar(errors, conf, r, "timezone", r->timezone_line, r->timezone, "24x7");
		bad |= check_calendar(errors, conf, r, "hours", r->hours_line, "UTC", r->hours);
		n += bad;
		/* The holiday file is checked even when the zone or hours are not valid. */
		bh = bad ? bizhours_new("UTC", "24x7", &error) :
			bizhours_new(r->timezone, r->hours, &error);
		if (bh == NULL) {
			conf_error(errors, conf, r->line, "[region %s]: %s", r->name, error);
			free(error);
			error = NULL;
			n++;
			continue;
		}
		if (r->holidays != NULL && bizhours_load_holidays(bh, r->holidays, &error) < 0) {
			holidays_error(errors, conf, r, error);
			free(error);
			error = NULL;
			n++;
		} else if (r->holidays != NULL && (flags & APP_LOAD_CHECK)) {
			horizon_warning(errors, conf, r, bh, now);
		}
		bizhours_free(&bh);
	}
	return n;
}

/*
 * Call fn for each secret of the configuration, in file order: [smtp]
 * then each mailbox, its password then its OAuth2 client secret.  where
 * is "[smtp]" or "[mailbox NAME]".  The sum of what fn returns.
 */
typedef int secret_fn(void *ctx, const char *where, const struct conf_secret *s);

static int
each_secret(const struct conf *conf, secret_fn *fn, void *ctx)
{
	const struct conf_mailbox *m;
	char where[128];
	int n;

	n = fn(ctx, "[smtp]", &conf->smtp_password);
	if (conf->smtp_oauth != NULL)
		n += fn(ctx, "[smtp]", &conf->smtp_oauth->client_secret);
	for (m = conf->mailboxes; m != NULL; m = m->next) {
		snprintf(where, sizeof(where), "[mailbox %s]", m->name);
		n += fn(ctx, where, &m->password);
		if (m->oauth != NULL)
			n += fn(ctx, where, &m->oauth->client_secret);
	}
	return n;
}

struct check_ctx {
	const struct conf *conf;
	struct buf *errors;
};

/* It can be read now (ticketd -n): 1 and the error at its line when not. */
static int
check_secret(void *ctx, const char *where, const struct conf_secret *s)
{
	struct check_ctx *c = ctx;
	char *secret = NULL, *error = NULL;

	if (s->kind == CONF_SECRET_NONE)
		return 0;
	if (conf_secret_get(s, &secret, &error) < 0) {
		conf_error(c->errors, c->conf, s->line, "%s %s", where, error);
		free(error);
		return 1;
	}
	conf_secret_free(&secret);
	return 0;
}

/* Every secret source can be read now (ticketd -n only). */
static int
check_secrets(const struct conf *conf, struct buf *errors)
{
	struct check_ctx c = { conf, errors };

	return each_secret(conf, check_secret, &c);
}

/* app_check_modes() into the -n output. */
static void
mode_warning(void *ctx, const char *what, const char *path, mode_t mode, const char *problem,
	     const char *fix)
{
	buf_addf(ctx, "%s: warning: %s is %s (mode %04o): %s\n", path, what, problem,
		 (unsigned)mode, fix);
}

int
app_load(const char *path, unsigned flags, time_t now, struct conf **conf_r,
	 struct tmpl_set **tmpls_r, struct buf *errors)
{
	struct conf *conf;
	int n;

	if (tmpls_r != NULL)
		*tmpls_r = NULL;
	n = conf_load_all(path, &conf, errors);
	if (conf == NULL)
		return -1;
	n += check_templates(conf, tmpls_r, errors);
	n += check_regions(conf, flags, now, errors);
	if (flags & APP_LOAD_CHECK) {
		n += check_secrets(conf, errors);
		app_check_modes(conf, mode_warning, errors);
	}
	if (n > 0) {
		if (tmpls_r != NULL)
			tmpl_set_free(tmpls_r);
		conf_free(&conf);
		return -1;
	}
	*conf_r = conf;
	return 0;
}

int
app_load_config(const char *path, unsigned flags, time_t now, struct conf **conf_r,
		struct buf *errors)
{
	return app_load(path, flags, now, conf_r, NULL, errors);
}

int
app_open_store(const struct conf *conf, struct store **st_r, char **error_r)
{
	struct store_options o = { conf->lock_timeout * 1000, 0 };

	return store_open_with(conf->database, &o, st_r, NULL, error_r);
}

/* report path when others can read or write it; want is the mode that fixes it. */
static void
check_mode(const char *what, const char *path, mode_t want, app_mode_fn *report, void *ctx)
{
	mode_t mode;
	char *fix;

	if (path == NULL || fileperm_open_to_others(path, &mode) != 1)
		return;
	fix = xasprintf("chmod %o '%s'", (unsigned)want, path);
	report(ctx, what, path, mode,
	       (mode & 006) == 006 ? "readable and writable by others" :
	       (mode & 004) ? "readable by others" : "writable by others", fix);
	free(fix);
}

static int
is_inline(void *ctx, const char *where, const struct conf_secret *s)
{
	return s->kind == CONF_SECRET_INLINE;
}

struct mode_ctx {
	app_mode_fn *report;
	void *ctx;
};

static int
check_secret_file(void *ctx, const char *where, const struct conf_secret *s)
{
	struct mode_ctx *c = ctx;

	if (s->kind == CONF_SECRET_FILE)
		check_mode("a secret file", s->value, 0640, c->report, c->ctx);
	return 0;
}

void
app_check_modes(const struct conf *conf, app_mode_fn *report, void *ctx)
{
	struct mode_ctx mc = { report, ctx };
	const struct conf_mailbox *m;
	const char *slash;
	char *path, *dir;
	mode_t mode;

	if (conf->database != NULL) {
		check_mode("the store", conf->database, FILEPERM_FILE, report, ctx);
		path = xasprintf("%s-wal", conf->database);
		check_mode("the store's -wal file", path, FILEPERM_FILE, report, ctx);
		free(path);
		path = xasprintf("%s-shm", conf->database);
		check_mode("the store's -shm file", path, FILEPERM_FILE, report, ctx);
		free(path);
		/* A folder others may list is no leak (the files are 0600); one they may write is. */
		slash = strrchr(conf->database, '/');
		dir = slash == NULL ? xstrdup(".") :
			xstrndup(conf->database, (size_t)(slash - conf->database) + (slash == conf->database));
		if (fileperm_open_to_others(dir, &mode) == 1 && (mode & 002) && !(mode & S_ISVTX)) {
			path = xasprintf("chmod %o '%s'", FILEPERM_DIR, dir);
			report(ctx, "the store's folder", dir, mode, "writable by others", path);
			free(path);
		}
		free(dir);
	}
	check_mode("the reply-token key file", conf->hmac_key_file, FILEPERM_FILE, report, ctx);
	each_secret(conf, check_secret_file, &mc);
	if (conf->smtp_oauth != NULL)
		check_mode("an OAuth2 refresh token file", conf->smtp_oauth->refresh_token_file,
			   FILEPERM_FILE, report, ctx);
	for (m = conf->mailboxes; m != NULL; m = m->next)
		if (m->oauth != NULL)
			check_mode("an OAuth2 refresh token file", m->oauth->refresh_token_file,
				   FILEPERM_FILE, report, ctx);
	if (each_secret(conf, is_inline, NULL) > 0)
		check_mode("the configuration (it holds a password)", conf->path, 0640, report, ctx);
}
