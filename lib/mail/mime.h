/*
 * mime: parse one RFC 5322 / MIME message into what ticketd needs:
 * addresses, identifiers, decoded subject, body text (UTF-8),
 * attachments, and warnings.  What the message is (classify), its new
 * text (reply) and its language (lang) are read from the result: see
 * mail.h, which runs them all.
 *
 * mime_parse() never fails on bad input: it returns a best-effort result
 * with warnings[].  Every string in struct mime_msg is UTF-8, owned by the
 * message and freed by mime_msg_free().  Absent values are NULL.
 */
#ifndef TICKETD_MIME_H
#define TICKETD_MIME_H

#include <stddef.h>
#include <time.h>

#include "imf.h"

/* Named limits for hostile input (SPEC section 10). */
#define MIME_MAX_DEPTH        32        /* nested multiparts / message/rfc822 */
#define MIME_MAX_PARTS        1000      /* leaf and container parts */
#define MIME_MAX_HEADER_SIZE  (256 * 1024)  /* bytes of one header block */
#define MIME_MAX_LINE         (64 * 1024)   /* bytes in one line before we call it hostile */
#define MIME_MAX_SIZE         (25 * 1024 * 1024) /* default message size limit */

struct mime_header {
	char *name;       /* as written */
	char *value;      /* raw value, unfolded, not decoded */
};

struct mime_attachment {
	char *filename;       /* decoded (RFC 2047/2231), or NULL */
	char *content_type;   /* lowercase type/subtype */
	size_t size;          /* decoded size in bytes */
	char sha256[65];      /* hex of the decoded bytes */
	char *content_id;     /* Content-ID without <>, or NULL */
	const char *data;     /* the decoded bytes (size of them), owned by the message */
	char *data_owned;     /* internal: the bytes when no part holds them (uuencoded) */
};

/* A leaf part, in document order (containers are not listed). */
struct mime_part {
	char *content_type;   /* lowercase type/subtype */
	char *charset;        /* lowercase label as written, or NULL */
	char *filename;       /* decoded, or NULL */
	int is_attachment;    /* disposition attachment, or a named non-text part */
	int in_body;          /* its text is part of mime_msg.body */
	int depth;            /* 0 for a single-part message */
	char *data;           /* transfer-decoded bytes (NUL-terminated copy) */
	size_t size;
};

/*
 * The limits a message went past (mime_msg.over).  Past each, the parse
 * stops reading that part of the message, so what it says is incomplete:
 * such a message gets its fate from the limit (too_large, unparseable),
 * never a ticket built from cut content.
 */
#define MIME_OVER_SIZE    0x01u     /* the message: max_size */
#define MIME_OVER_HEADER  0x02u     /* a header block: MIME_MAX_HEADER_SIZE */
#define MIME_OVER_DEPTH   0x04u     /* nesting: MIME_MAX_DEPTH */
#define MIME_OVER_PARTS   0x08u     /* parts: MIME_MAX_PARTS */
#define MIME_OVER_LINE    0x10u     /* a line: MIME_MAX_LINE */

#define MIME_OVER_TEXT_MAX 96    /* bytes mime_over_text() writes at most */

/* What the first limit set in over is, for people: "a header block is over …". */
void mime_over_text(unsigned int over, char *out, size_t outlen);

struct mime_limits {
	size_t max_size;      /* bytes; 0 means MIME_MAX_SIZE */
};

struct mime_msg {
	char *message_id;         /* without angle brackets */
	char *in_reply_to;        /* first id, without angle brackets */
	char **references;        /* ids without angle brackets */
	size_t n_references;

	struct mime_addr from;    /* from.address NULL when absent */
	struct mime_addr sender;
	struct mime_addr *to;
	size_t n_to;
	struct mime_addr *cc;
	size_t n_cc;
	struct mime_addr *reply_to;
	size_t n_reply_to;
	char **delivered_to;      /* Delivered-To / X-Original-To addresses */
	size_t n_delivered_to;
	char *return_path;        /* NULL when absent, "" when <> */

	int has_date;
	time_t date;              /* UTC seconds */
	int date_tzoff;           /* minutes east of UTC, as written */

	char *subject;            /* decoded, unfolded */

	char *body;               /* the text: text/plain, else HTML as text */
	int body_from_html;

	struct mime_part *parts;
	size_t n_parts;
	struct mime_attachment *attachments;
	size_t n_attachments;

	struct mime_header *headers;  /* top-level header fields, in order */
	size_t n_headers;

	char **warnings;
	size_t n_warnings;
	unsigned int over;        /* MIME_OVER_* limits this message went past */

	size_t raw_size;
	char sha256[65];          /* hex digest of the raw message */
	/*
	 * Hex digest of what the sender wrote, not of what relays added: the
	 * originator and content header fields (From, Sender, Reply-To, To,
	 * Cc, Subject, Date, Message-ID, In-Reply-To, References; unfolded,
	 * blanks collapsed) and every part's type and decoded bytes (text
	 * with LF line ends and no trailing blanks).  Received, Return-Path,
	 * Delivered-To, DKIM/ARC signatures, Authentication-Results, spam
	 * scores and a relay's new transfer encoding change nothing.
	 */
	char content_sha256[65];
};

/* Parse raw (len bytes, need not be NUL-terminated).  Never NULL. */
struct mime_msg *mime_parse(const char *raw, size_t len, const struct mime_limits *limits);
void mime_msg_free(struct mime_msg **msg);

/* The raw value of the first top-level header named name (any case), or NULL. */
const char *mime_header_get(const struct mime_msg *m, const char *name);
/* Append a warning (printf format). */
void mime_warn(struct mime_msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));


/*
 * The full MIME tree, for tests and debugging (added for the mime4j
 * conformance test; mime_parse() does not need it).  An entity is a
 * message or a body part: its header fields as written, then either a
 * body (MIME_NODE_LEAF), body parts (MIME_NODE_MULTIPART, children[]) or
 * one enclosed message (MIME_NODE_MESSAGE, children[0]).  data/size hold
 * the transfer-decoded body of leaves and messages, and for a multipart
 * without any boundary line its whole body.
 *
 * Note on mime_parse(): each message/rfc822 (or message/global) part is
 * listed as one leaf in parts[] (data = the enclosed message, so that
 * classify can read its headers) and as an attachment (named by its
 * Subject when it has no filename); the parts inside it are not listed
 * and do not contribute to the body.  A nameless image attachment is
 * named after its Content-Location ("Photo25.jpg", Apple Mail) or its
 * Content-ID ("image001.png@01DA…" gives "image001.png", others get the
 * subtype as extension), else "image.<subtype>".
 */
enum mime_node_type {
	MIME_NODE_LEAF = 0,
	MIME_NODE_MULTIPART,
	MIME_NODE_MESSAGE,
};

struct mime_node {
	enum mime_node_type type;
	char *content_type;       /* lowercase type/subtype, defaults applied */
	char *charset;            /* lowercase, or NULL */
	char *filename;           /* decoded, or NULL */
	char *content_id;         /* Content-ID without <>, or NULL */
	int is_attachment;
	int in_body;              /* its text went into the body (mime_parse only) */
	int depth;
	char **fields;            /* header fields as written, folds kept */
	size_t n_fields;
	char *data;               /* NUL-terminated; NULL for a multipart with parts */
	size_t size;
	struct mime_node *children;
	size_t n_children;
	/* internal to mime.c (raw_body is NULL after mime_tree_parse) */
	const char *raw_body;
	size_t raw_len;
	int cte;
	int flowed;               /* text/plain; format=flowed */
	int delsp;                /* … delsp=yes */
	char *subject;
	char *content_location;   /* as written, unfolded, or NULL */
};

/* Parse raw into a tree (every body decoded); free with mime_tree_free. */
struct mime_node *mime_tree_parse(const char *raw, size_t len, const struct mime_limits *limits);
void mime_tree_free(struct mime_node **node);

#endif
