#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

/* The one log destination of this process (see log.h). */
static struct {
	int fd;             /* -1: stderr */
	char *path;
	enum log_level min;
	int journal;        /* stderr is the journal: "<N>" priority prefixes */
	int syslog;         /* lines go to syslog(3) */
} logst = { -1, NULL, LOG_LEVEL_INFO, 0, 0 };

static const char *const level_names[] = { "debug", "info", "warn", "error" };
/* syslog(3) priorities; as "<N>" prefixes, sd-daemon.h's SD_DEBUG ... SD_ERR. */
static const int level_priorities[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };

/* $JOURNAL_STREAM is "DEVICE:INODE" of the journal's stream: is it our stderr? */
static int
stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;
	char tail;

	if (env == NULL || sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &sb) < 0)
		return 0;
	return (unsigned long long)sb.st_dev == dev && (unsigned long long)sb.st_ino == ino;
}

int
log_open(const char *path, enum log_level min, char **error_r)
{
	int fd;

	logst.min = min;
	if (path == NULL || strcmp(path, "-") == 0) {
		log_close();
		logst.journal = stderr_is_journal();
		return 0;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		*error_r = xasprintf("unable to open log '%s': %s", path, strerror(errno));
		return -1;
	}
	log_close();
	logst.fd = fd;
	logst.path = xstrdup(path);
	return 0;
}

void
log_open_syslog(const char *ident, enum log_level min)
{
	log_close();
	logst.min = min;
	logst.syslog = 1;
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_reopen(void)
{
	int saved = errno, fd;

	if (logst.path == NULL)
		return;
	fd = open(logst.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd >= 0) {
		/* dup2 swaps the file under the same descriptor: other threads never see it closed. */
		dup3(fd, logst.fd, O_CLOEXEC);
		close(fd);
	}
	errno = saved;
}

void
log_close(void)
{
	if (logst.fd >= 0)
		close(logst.fd);
	logst.fd = -1;
	xfree(&logst.path);
	if (logst.syslog)
		closelog();
	logst.syslog = 0;
	logst.journal = 0;
}

void
log_set_level(enum log_level min)
{
	logst.min = min;
}

int
log_enabled(enum log_level level)
{
	return level >= logst.min;
}

static void
log_write(enum log_level level, const char *subsys, const char *text, size_t len)
{
	long long ms = clock_now_ms();
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	char ts[32];
	struct buf line = BUF_INIT;
	int fd = logst.fd >= 0 ? logst.fd : STDERR_FILENO;
	size_t off = 0;
	ssize_t n;

	if (logst.syslog) {
		syslog(level_priorities[level], "%s %s %.*s", level_names[level], subsys,
		       (int)len, text);
		return;
	}
	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	if (logst.journal && fd == STDERR_FILENO)
		buf_addf(&line, "<%d>", level_priorities[level]);
	buf_addf(&line, "%s.%03dZ %s %s ", ts, (int)(ms % 1000),
		 level_names[level], subsys);
	buf_add(&line, text, len);
	buf_addc(&line, '\n');
	/* One write() per line, so concurrent writers never interleave. */
	while (off < line.len) {
		n = write(fd, line.data + off, line.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf_release(&line);
}

void
log_line(enum log_level level, const char *subsys, const char *fmt, ...)
{
	int saved = errno;
	struct buf b = BUF_INIT;
	va_list ap;
	size_t i;

	if (level < logst.min)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	/* Never let a newline from a formatted value split the line. */
	for (i = 0; i < b.len; i++)
		if (b.data[i] == '\n' || b.data[i] == '\r')
			b.data[i] = ' ';
	log_write(level, subsys, buf_str(&b), b.len);
	buf_release(&b);
	errno = saved;
}

void
log_format_kv(struct buf *b, const char *key, const char *value)
{
	const unsigned char *p;
	int quote = 0;

	if (b->len > 0)
		buf_addc(b, ' ');
	buf_adds(b, key);
	buf_addc(b, '=');
	if (*value == '\0')
		quote = 1;
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
			quote = 1;
	if (!quote) {
		buf_adds(b, value);
		return;
	}
	buf_addc(b, '"');
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)*p);
		} else if (*p < ' ' || *p == 0x7f) {
			buf_addf(b, "\\x%02x", *p);
		} else {
			buf_addc(b, (char)*p);
		}
	}
	buf_addc(b, '"');
}

void
logkv_init(struct logkv *kv)
{
	buf_init(&kv->b);
}

void
logkv_str(struct logkv *kv, const char *key, const char *value)
{
	if (value != NULL)
		log_format_kv(&kv->b, key, value);
}

void
logkv_id(struct logkv *kv, const char *key, const char *msgid)
{
	char *v;

	if (msgid == NULL)
		return;
	v = xasprintf("<%s>", msgid);
	log_format_kv(&kv->b, key, v);
	free(v);
}

void
logkv_int(struct logkv *kv, const char *key, long long value)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld", value);
	log_format_kv(&kv->b, key, v);
}

void
log_kv(enum log_level level, const char *subsys, struct logkv *kv)
{
	int saved = errno;

	if (level >= logst.min)
		log_write(level, subsys, buf_str(&kv->b), kv->b.len);
	buf_release(&kv->b);
	errno = saved;
}
