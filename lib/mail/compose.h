/*
 * compose: build an outgoing RFC 5322 message (text/plain, UTF-8, and
 * any attachments as the parts of a multipart/mixed).
 *
 * Headers: Date, From, To, Cc, Reply-To, Subject, Message-ID,
 * In-Reply-To, References, Auto-Submitted, X-Auto-Response-Suppress: All,
 * X-Loop, the extra headers, then MIME-Version, Content-Type and
 * Content-Transfer-Encoding.  Lines end in CRLF; header lines are folded
 * to stay under 78 characters where possible and never exceed 998.
 *
 * Hostile input: nothing in a field can start a new header line.
 * - Subject, display names, extra values, Auto-Submitted and X-Loop: CR,
 *   LF and other control characters become spaces.
 * - Message-IDs (message_id, in_reply_to, references): CR, LF, controls,
 *   blanks, 8-bit bytes and the specials < > ( ) " , : ; \ are dropped;
 *   an id left empty or longer than COMPOSE_MAX_ID is left out.
 * - Addresses are REJECTED, not repaired: see compose_address_valid().
 *   compose_message returns NULL when from or any to/cc/reply_to address
 *   is invalid, so check recipients first and drop the bad ones.
 * - Extra headers whose name is not a plain header name (printable ASCII
 *   without ':') are left out.
 */
#ifndef TICKETD_COMPOSE_H
#define TICKETD_COMPOSE_H

#include <stddef.h>
#include <time.h>

#define COMPOSE_MAX_ADDRESS 254		/* RFC 5321 path limit */
#define COMPOSE_MAX_ID 250		/* one Message-ID, without <> */
#define COMPOSE_MAX_NAME 256		/* display name bytes; longer is cut */
#define COMPOSE_MAX_FILENAME 255	/* attachment name bytes; longer is cut */
#define COMPOSE_MAX_REFERENCES 10	/* ids kept in References */

struct compose_addr {
	const char *name;	/* display name, UTF-8, NULL or "" = none */
	const char *address;
};

struct compose_header {
	const char *name;
	const char *value;	/* UTF-8 */
};

/*
 * An attachment.  The name should already be safe (filename_safe); it is
 * written as RFC 2231 (filename*=UTF-8''…, in continuations when long)
 * in Content-Disposition and as RFC 2047 words in Content-Type's name
 * for older clients, plain when it is short printable ASCII.  The bytes
 * go out base64 in lines of 76.  A type that is not type/subtype, or a
 * message/ or multipart/ one (which may not be base64, RFC 2046), is sent
 * as application/octet-stream.
 */
struct compose_file {
	const char *name;		/* UTF-8; NULL or "": "attachment" */
	const char *content_type;	/* lowercase type/subtype, NULL: application/octet-stream */
	const char *data;
	size_t size;
};

struct compose {
	struct compose_addr from;
	const struct compose_addr *to;
	size_t n_to;
	const struct compose_addr *cc;
	size_t n_cc;
	const struct compose_addr *reply_to;	/* NULL = none */
	const char *subject;			/* UTF-8 */
	const char *message_id;			/* without <>, NULL = none */
	const char *in_reply_to;		/* without <>, NULL = none */
	const char *const *references;		/* without <>, oldest first */
	size_t n_references;
	const char *auto_submitted;	/* "auto-replied" / "auto-generated" / NULL */
	const char *x_loop;		/* value for X-Loop, NULL = none */
	time_t date;			/* written as UTC, "+0000" */
	const struct compose_header *extra;	/* e.g. X-Ticket */
	size_t n_extra;
	const char *body;		/* UTF-8 text, any line ends */
	const struct compose_file *files;	/* n_files > 0: multipart/mixed, the text first */
	size_t n_files;
};

/*
 * The full message with CRLF line ends, NUL-terminated; *len_r (may be
 * NULL) gets its length.  The caller frees it.  NULL when an address is
 * invalid (see above).
 *
 * References keeps the first id and the last COMPOSE_MAX_REFERENCES - 1.
 * The body is sent 7bit when it is ASCII with lines of at most 998 bytes,
 * else quoted-printable or base64, whichever is smaller (QP for mostly
 * Latin text, base64 for CJK).
 */
char *compose_message(const struct compose *c, size_t *len_r);

/* 1 when type is "type/subtype", both RFC 2045 tokens (no blank, control or special). */
int compose_type_valid(const char *type);

/*
 * 1 when address is a plain addr-spec ticketd will write: ASCII, at most
 * COMPOSE_MAX_ADDRESS bytes, one '@' with text on both sides, and no
 * control characters, blanks, or any of  < > ( ) [ ] , ; : " \
 */
int compose_address_valid(const char *address);

/*
 * Text for an unstructured header field.  Control characters (CR, LF,
 * ...) first become spaces and blanks at both ends go.  Printable ASCII that does not contain "=?"
 * is returned as a plain copy (unfolded).  Anything else becomes RFC 2047
 * encoded words ("=?UTF-8?B?...?=" or "=?UTF-8?Q?...?=", whichever is
 * shorter), each at most 75 characters, never splitting a UTF-8
 * character, separated by CRLF SP so that no line exceeds 76 characters
 * when the text starts at column offset.  The caller frees the result.
 */
char *compose_rfc2047_encode(const char *utf8, size_t offset);

#endif
