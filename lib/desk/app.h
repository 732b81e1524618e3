/*
 * app: what both programs (ticketd, ticketctl) do before real work:
 * read and fully check the configuration, open the store, look at who
 * else may read its files.
 */
#ifndef TICKETD_APP_H
#define TICKETD_APP_H

#include <sys/types.h>
#include <time.h>

#include "xmalloc.h"

struct conf;
struct store;

/* $TICKETD_CONFIG, else the system path. */
const char *app_default_config(void);

/* app_load_config() flags. */
#define APP_LOAD_CHECK 1   /* ticketd -n: secrets can be read, and warnings (below) */

/*
 * conf_load plus the checks that need other modules: the templates folder
 * exists and its templates parse with known variables, region time zones,
 * hours and holiday files load.  Every problem of every phase goes to
 * errors as a "file:line: message" line (the configuration's line, or the
 * template's or holiday file's own), all of them: a phase runs even when
 * an earlier one found problems.  -1 when there is any.
 *
 * With APP_LOAD_CHECK, also every password_file is read and every
 * password_env looked up (nothing else reads a secret before it
 * connects), and warnings are added to errors as "file:line: warning:
 * ..." lines without counting as problems: a holiday list that runs out
 * within SLA_HOLIDAYS_NOTICE_DAYS of now, files others can read
 * (app_check_modes).
 */
int app_load_config(const char *path, unsigned flags, time_t now, struct conf **conf_r,
		    struct buf *errors);
/*
 * The same, keeping the templates it read and checked (tmpl.h: a set
 * rendered from memory, so that a file changed after start matters only
 * at the next load).  tmpls_r may be NULL.
 */
struct tmpl_set;
int app_load(const char *path, unsigned flags, time_t now, struct conf **conf_r,
	     struct tmpl_set **tmpls_r, struct buf *errors);

/* Open the configured store; -1 with *error_r (caller frees). */
int app_open_store(const struct conf *conf, struct store **st_r, char **error_r);

/*
 * A file others can read or write, for app_check_modes: what it is ("the
 * store", "a secret file" ...), its path and mode, what is wrong
 * ("readable by others") and the command that fixes it ("chmod 600 PATH").
 */
typedef void app_mode_fn(void *ctx, const char *what, const char *path, mode_t mode,
			 const char *problem, const char *fix);

/*
 * Call report for each file of the configuration that others (the world)
 * can read or write: the store and its -wal and -shm files, the store's
 * folder when others can write it, the reply-token key file, every
 * password_file and oauth_client_secret_file, every OAuth2 refresh token
 * file, and the configuration file when it holds a secret inline.  Files
 * that do not exist (yet) are skipped.
 */
void app_check_modes(const struct conf *conf, app_mode_fn *report, void *ctx);

#endif
