/*
 * imap: one IMAP mailbox as an intake source, with libetpan.
 *
 * Connect (imaps://, or imap:// with STARTTLS), log in (LOGIN,
 * AUTHENTICATE PLAIN, XOAUTH2 or OAUTHBEARER), SELECT; list the UIDs above
 * a cursor with their sizes; fetch them in chunks; apply the after-action
 * (\Seen, MOVE, delete) to UIDs whose fate is committed; wait for new
 * mail with IDLE where the server has it.
 *
 * The socket and the TLS session are ours (lib/conn.h): libetpan reads
 * and writes through a driver over them.  So SNI is sent, the certificate
 * is checked before any credential goes out, every read is bounded by
 * IMAP_TIMEOUT and a stop descriptor ends any wait at once.
 */
#ifndef TICKETD_IMAP_H
#define TICKETD_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "conn.h"

#define IMAP_MAX_LITERAL (64 * 1024 * 1024)   /* we never fetch a bigger message */
#define IMAP_TIMEOUT 60                        /* seconds for one command (default of
						  [mailbox] timeout) */

struct imap;

struct imap_msginfo {
	unsigned int uid;
	size_t size;
};

/* Why imap_open() failed: the log's kind= word, and whether a new token may help. */
enum imap_fail {
	IMAP_FAIL_NONE = 0,
	IMAP_FAIL_DNS,         /* the host name does not resolve */
	IMAP_FAIL_CONNECT,     /* no TCP connection */
	IMAP_FAIL_TLS,         /* the TLS handshake failed */
	IMAP_FAIL_TLS_VERIFY,  /* the certificate is not trusted / not the pinned one */
	IMAP_FAIL_STARTTLS,    /* no STARTTLS offered (or it failed): no credentials sent */
	IMAP_FAIL_AUTH,        /* the server refused our credentials (or offers no usable mechanism) */
	IMAP_FAIL_PROTOCOL,    /* greeting, SELECT or another answer was not what IMAP says */
	IMAP_FAIL_IO,          /* the connection broke or timed out */
	IMAP_FAIL_STOPPED,     /* the stop descriptor fired */
};

/* "dns", "connect", "tls", "tls_verify", "starttls", "auth", "protocol", "io", "stopped". */
const char *imap_fail_name(enum imap_fail fail);

/*
 * Connect, log in with secret (the password, or an OAuth2 access token
 * when mb->auth is an OAuth2 mechanism) and select mb->folder.  stop may
 * be NULL.  -1 with *fail_r and *error_r (caller frees).
 */
int imap_open(const struct conf_mailbox *mb, const char *secret, const struct conn_stop *stop,
	      struct imap **imap_r, enum imap_fail *fail_r, char **error_r);
void imap_close(struct imap **imap);

/* The kind of the last failure of an open session (IMAP_FAIL_IO, or _STOPPED). */
enum imap_fail imap_last_fail(const struct imap *imap);

/* The mechanism we logged in with ("PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"). */
const char *imap_auth_mech(const struct imap *imap);
/* "imaps", "starttls" or "none". */
const char *imap_tls_mode(const struct imap *imap);

unsigned int imap_uidvalidity(const struct imap *imap);
int imap_has_idle(const struct imap *imap);

/*
 * Messages with UID > after, ascending: a window of at most window UIDs
 * (0: no bound), so that 100,000 new mails are not listed in one go.
 * *more_r is set when messages wait above it (list again from the last
 * one listed).  A gap of UIDs wider than the window is crossed by wider
 * windows.  It also starts watching for "* N EXISTS": see imap_announced.
 */
int imap_list_new(struct imap *imap, unsigned int after, unsigned int window,
		  struct imap_msginfo **list_r, size_t *n_r, int *more_r, char **error_r);
/*
 * Whether the server announced mail (EXISTS) since the last imap_list_new
 * went out.  Such mail may be missing from that listing, and the server
 * will not announce it again in IDLE: list again before idling.
 */
int imap_announced(const struct imap *imap);

#define IMAP_FETCH_OVER_LIMIT (-2)   /* the server sent a literal over the limit */

/*
 * The header section only, at most max bytes (BODY.PEEK[HEADER]<0.max>;
 * caller frees); -1 with *error_r; IMAP_FETCH_OVER_LIMIT with *error_r
 * when the server's literal claimed more than IMAP_MAX_LITERAL (nothing
 * of it was read; the connection is broken: close it).
 */
int imap_fetch_header(struct imap *imap, unsigned int uid, size_t max, char **raw_r,
		      size_t *len_r, char **error_r);
/* One message of a chunk; raw points into the chunk (NULL: the server sent no body). */
struct imap_message {
	unsigned int uid;
	const char *raw;
	size_t len;
};

struct imap_chunk {
	struct imap_message *msgs;   /* one per UID asked for, in the same order */
	size_t n;
	void *fetched;               /* libetpan's answer, which raw points into */
};

/*
 * Fetch the messages uids[0..n) (ascending) with one UID FETCH, the set
 * written as ranges: the server streams them all in one answer, no round
 * trip per message.  msgs[i] is uids[i]; its raw is NULL when the server
 * sent nothing for it (expunged meanwhile).  The whole answer sits in
 * memory until imap_chunk_release(): the caller bounds n and the bytes.
 * -1 with *error_r; IMAP_FETCH_OVER_LIMIT with *error_r when a literal
 * claimed more than IMAP_MAX_LITERAL (the connection is broken: close it).
 */
int imap_fetch_chunk(struct imap *imap, const unsigned int *uids, size_t n,
		     struct imap_chunk *chunk_r, char **error_r);
void imap_chunk_release(struct imap_chunk *chunk);

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
