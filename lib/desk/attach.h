/*
 * attach: the files of a ticket's mail and comments, from the mail (or
 * ticketctl) into the store and out again in notifications.
 *
 *   attach_from_mail   the parser's attachment list (not a second walk of
 *                      the MIME tree): safe names, types, bytes, roles
 *   attach_add_file    a file an agent attaches with ticketctl
 *   attach_check       the limits (max_attachment_size, then the ticket's
 *                      ticket_attachment_quota): a file over one is
 *                      dropped, with the reason; for an agent's reply by
 *                      mail, what the ticket already holds is "history"
 *   attach_record      bytes (once per SHA-256) and rows, in the caller's
 *                      transaction, with the event and message
 *   attach_outgoing    what a notification carries (max_outgoing_attachments)
 *                      and the names of what it cannot
 *
 * Roles (what is forwarded to the customer when an agent replies by mail):
 *   file     an attachment: forwarded.
 *   inline   a part with a Content-ID that a text/html part of the same
 *            mail shows with a cid: URL: the signature logo, or an image
 *            in the quoted history, of the agent's own mail client
 *            (Outlook's image001.png@01D…, Thunderbird's part1.…, Gmail's
 *            ii_…).  Kept on the ticket, never forwarded.  Disposition
 *            does not decide: Outlook marks such images "attachment", and
 *            Gmail gives real attachments a Content-ID (f_…) that no HTML
 *            uses.
 *   history  in an agent's reply, bytes the ticket already holds (the
 *            customer's own screenshot carried again, a forward of an
 *            earlier mail), or an attached message/rfc822 that is one of
 *            the ticket's own mails: kept as a reference, never forwarded.
 */
#ifndef TICKETD_ATTACH_H
#define TICKETD_ATTACH_H

#include <stddef.h>
#include <time.h>

#include "compose.h"
#include "sha256.h"
#include "xmalloc.h"

struct conf;
struct mime_msg;
struct store;

struct attach_file {
	char *name;               /* safe to show and save as (filename_safe) */
	char *sent_name;          /* the name as the mail gave it, when that differs; NULL */
	char *content_type;
	const char *data;         /* the bytes (not owned: the mail's or the caller's) */
	size_t size;
	char sha256[SHA256_HEX_SIZE];
	const char *role;         /* static: "file", "inline" or "history" */
	char *dropped;            /* NULL: kept; else why not (attach_check) */
	long long number;         /* its number on the ticket, once recorded */
};

struct attach_set {
	struct attach_file *v;
	size_t n;
	long long message;        /* the stored inbound message they came with, 0: none */
	int agent_reply;          /* an agent's mail: what the ticket holds is history */
	int strict;               /* a file over a limit refuses the comment (ticketctl) */
};

void attach_set_init(struct attach_set *s);
void attach_set_release(struct attach_set *s);

/* The attachments of m (the bytes stay m's: keep m until s is released). */
void attach_from_mail(struct attach_set *s, const struct mime_msg *m);

/*
 * A file from path (only its last component names it; its extension
 * gives the type) with the caller's bytes (kept until s is released).
 */
void attach_add_file(struct attach_set *s, const char *path, const char *data, size_t size);

/*
 * Apply the limits of conf to s for ticket (a file over
 * max_attachment_size, or one that would take the ticket past
 * ticket_attachment_quota, gets dropped set) and, for an agent's reply,
 * mark history.  The number of files dropped; -1 on a store error
 * (*error_r, caller frees).
 */
int attach_check(struct attach_set *s, const struct conf *conf, struct store *st,
		 long long ticket, char **error_r);

/* Keep the bytes and rows of s for ticket and event (0: none); sets each number. */
int attach_record(struct attach_set *s, struct store *st, long long ticket, long long event,
		  time_t at);

/* The files a notification can carry and the ones it only names. */
struct attach_out {
	struct compose_file *files;    /* within max_outgoing_attachments, in order */
	size_t n_files;
	struct buf attached;           /* "  name (size)" lines of the files carried */
	struct buf withheld;           /* … of the kept files too large to carry */
};

/* From s: forwarded roles only ("file", kept), while their sizes add up to at most limit. */
void attach_outgoing(const struct attach_set *s, size_t limit, struct attach_out *out);
void attach_out_release(struct attach_out *out);

/* "  name (size)" lines of the dropped files of s into out; how many. */
size_t attach_dropped_list(const struct attach_set *s, struct buf *out);

/* Bytes attach_size_text needs. */
#define ATTACH_SIZE_TEXT_MAX 32

/* size for people, in units every language reads: "512 B", "245 KB", "1.5 MB" (1024-based). */
void attach_size_text(size_t size, char *out, size_t outlen);

#endif
