/*
 * fileperm: files for their owner only, whatever the umask.
 *
 * The store, its folder and key files hold every customer mail and the
 * reply-token key: they are created 0600 (folders 0700) with an explicit
 * chmod, so a umask of 022 (or 0277) changes nothing.  And a check for
 * files that others (the world) can read or write, for the warnings at
 * start.
 */
#ifndef TICKETD_FILEPERM_H
#define TICKETD_FILEPERM_H

#include <sys/types.h>

#define FILEPERM_FILE 0600
#define FILEPERM_DIR 0700

/*
 * Make the folder dir and any missing parent, each FILEPERM_DIR; folders
 * that exist are left as they are.  0, or -1 with *error_r (caller frees).
 */
int fileperm_mkdirs(const char *dir, char **error_r);

/*
 * Create path empty with FILEPERM_FILE when it does not exist, its missing
 * folders with fileperm_mkdirs(); an existing file is left as it is.
 * 1 created, 0 it existed, -1 with *error_r (caller frees).
 */
int fileperm_create(const char *path, char **error_r);

/*
 * 1 when path can be read or written by others (mode & 006), with its mode
 * in *mode_r; 0 when not; -1 when it cannot be looked at (missing).
 */
int fileperm_open_to_others(const char *path, mode_t *mode_r);

#endif
