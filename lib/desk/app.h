/*
 * app: what both programs (ticketd, ticketctl) do before real work:
 * read and fully check the configuration, open the store.
 */
#ifndef TICKETD_APP_H
#define TICKETD_APP_H

#include "xmalloc.h"

struct conf;
struct store;

/* $TICKETD_CONFIG, else the system path. */
const char *app_default_config(void);

/*
 * conf_load plus the checks that need other modules: templates parse with
 * known variables, region time zones, hours and holiday files load.  All
 * problems go to errors as "file:line: message" lines.  -1 on any.
 */
int app_load_config(const char *path, struct conf **conf_r, struct buf *errors);

/* Open the configured store; -1 with a message on stderr. */
int app_open_store(const struct conf *conf, struct store **st_r);

#endif
