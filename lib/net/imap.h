/*
 * imap: one IMAP mailbox as an intake source, with libetpan.
 *
 * Connect (imap:// or imaps://), LOGIN, SELECT; list the UIDs above a
 * cursor with their sizes; fetch one message; apply the after-action
 * (\Seen, MOVE, delete) to UIDs whose fate is committed; wait for new
 * mail with IDLE where the server has it.
 */
#ifndef TICKETD_IMAP_H
#define TICKETD_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define IMAP_MAX_LITERAL (64 * 1024 * 1024)   /* we never fetch a bigger message */
#define IMAP_TIMEOUT 60                        /* seconds for one command */

struct imap;

struct imap_msginfo {
	unsigned int uid;
	size_t size;
};

/* Connect, log in and select mb->folder.  -1 with *error_r (caller frees). */
int imap_open(const struct conf_mailbox *mb, struct imap **imap_r, char **error_r);
void imap_close(struct imap **imap);

unsigned int imap_uidvalidity(const struct imap *imap);
int imap_has_idle(const struct imap *imap);

/* Messages with UID > after, ascending. */
int imap_list_new(struct imap *imap, unsigned int after, struct imap_msginfo **list_r,
		  size_t *n_r, char **error_r);

/* The raw message (caller frees); -1 with *error_r. */
int imap_fetch(struct imap *imap, unsigned int uid, char **raw_r, size_t *len_r, char **error_r);

/* Apply mb->after to uids (to folder instead when quarantine is set). */
int imap_apply(struct imap *imap, const unsigned int *uids, size_t n, const char *quarantine,
	       char **error_r);

/*
 * IDLE: imap_idle_start() enters IDLE and returns the socket to poll for
 * readability (-1 when the server has no IDLE, with *error_r NULL, or on
 * error with *error_r set); 1 instead of an fd is never returned.  When
 * data is already buffered it sets *ready_r so the caller does not poll.
 * imap_idle_done() leaves IDLE.
 */
int imap_idle_start(struct imap *imap, int *ready_r, char **error_r);
int imap_idle_done(struct imap *imap, char **error_r);

#endif
