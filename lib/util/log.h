/*
 * log: one line per thing that happened, for people who tail the log.
 *
 *   2026-11-26T10:00:00.123Z info ingest mailbox=support uid=812 fate=created
 *
 * A UTC timestamp, a level word, a subsystem, then key=value pairs.  Values
 * with spaces, quotes or '=' are quoted; control characters are escaped, so
 * a hostile header can never forge a line.  The log is process-wide (one
 * destination per process, like syslog); every function keeps errno.
 *
 * Destinations: a file, standard error, or syslog(3).  When standard error
 * is the systemd journal ($JOURNAL_STREAM names its device and inode, see
 * systemd.exec(5)) each line starts with its sd-daemon(3) priority, "<3>"
 * error, "<4>" warning, "<6>" info, "<7>" debug, so journalctl -p works.
 * To syslog (the daemon facility) a line goes at its priority, without
 * the timestamp (syslog has its own).
 */
#ifndef TICKETD_LOG_H
#define TICKETD_LOG_H

#include <stddef.h>

#include "xmalloc.h"

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
};

/* path NULL or "-" means stderr.  -1 with *error_r (caller frees). */
int log_open(const char *path, enum log_level min, char **error_r);
/* Log to syslog(3) as ident, facility daemon. */
void log_open_syslog(const char *ident, enum log_level min);
/* Reopen the file after logrotate moved it (SIGUSR1). */
void log_reopen(void);
void log_close(void);
void log_set_level(enum log_level min);
int log_enabled(enum log_level level);

/* A free-form line: "subsys" then the formatted text (already key=value). */
void log_line(enum log_level level, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define log_debug(...) log_line(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)  log_line(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...)  log_line(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_line(LOG_LEVEL_ERROR, __VA_ARGS__)

/*
 * Building a line from untrusted values:
 *   struct logkv kv; logkv_init(&kv);
 *   logkv_str(&kv, "from", addr); logkv_int(&kv, "uid", uid);
 *   log_kv(LOG_LEVEL_INFO, "ingest", &kv);   (releases kv)
 */
struct logkv {
	struct buf b;
};

void logkv_init(struct logkv *kv);
void logkv_str(struct logkv *kv, const char *key, const char *value);  /* NULL: skipped */
void logkv_id(struct logkv *kv, const char *key, const char *msgid);   /* adds <> */
void logkv_int(struct logkv *kv, const char *key, long long value);
void log_kv(enum log_level level, const char *subsys, struct logkv *kv);
/* Append key=value (quoted as needed) to b; used by log and by CLI fate lines. */
void log_format_kv(struct buf *b, const char *key, const char *value);

#endif
