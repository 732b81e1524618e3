/*
 * scan: bounded searches in hostile mail text (classify, dsn): ASCII
 * case-insensitive finds, addresses and Message-IDs inside free text,
 * "Name: value" lines inside bodies, and the local parts robots send
 * from.  Nothing here allocates except where it says "copy".
 */
#ifndef TICKETD_SCAN_H
#define TICKETD_SCAN_H

#include <stddef.h>

struct mime_part;

/* Longest address or Message-ID taken (RFC 5321/5322 line limit). */
#define SCAN_MAX_ID 998

/* The first needle in hay[0..len), ASCII case ignored; NULL when absent. */
const char *scan_ci_find(const char *hay, size_t len, const char *needle);
/* Index of the first of needles (NULL-terminated) found in hay, or -1. */
int scan_ci_find_any(const char *hay, size_t len, const char *const *needles);

/* A character of an unquoted local part (RFC 5322 atext and '.'). */
int scan_is_local_char(int c);
/* addr's local part (before '@', <> and quotes skipped), its length in *len_r; NULL for NULL. */
const char *scan_local_part(const char *addr, size_t *len_r);
/* "mailer-daemon" or "postmaster" when addr's local part is one (SPEC 4), else NULL. */
const char *scan_daemon_reason(const char *addr);
/* 1 when addr's local part is one MTAs and gateways send their reports from. */
int scan_robot_local(const char *addr);

/*
 * Length of the local@domain address at s[0..len), 0 when there is none:
 * a non-empty local part, a dotted domain (or a bare host name when
 * single_label is set).  Trailing dots are not part of it.
 */
size_t scan_address_len(const char *s, size_t len, int single_label);
/*
 * A copy of the address at s[0..len) (after an optional "type;", blanks,
 * "<" and quotes), or NULL when there is no plausible local@domain there.
 */
char *scan_address_at(const char *s, size_t len);
/* A copy of the msg-id inside <…> in v[0..len) (or the bare token), or NULL. */
char *scan_msgid_at(const char *v, size_t len);

/*
 * A "Name: value" line in data[0..len): the name at the start of a line,
 * after optional blanks and "> " quoting.  Returns the value (its length
 * in *vlen_r); a value folded onto the next line is followed.
 * headers_only stops at the first empty line.  NULL when absent.
 */
const char *scan_find_field(const char *data, size_t len, const char *name, int headers_only,
			    size_t *vlen_r);

/* Bytes of part to search: its size, at most max (0 without data). */
size_t scan_part_len(const struct mime_part *part, size_t max);
/* Like scan_part_len, charged to a budget shared by the parts of one search. */
size_t scan_part_take(const struct mime_part *part, size_t *budget);
/* text/…, but not text/rfc822-headers. */
int scan_part_is_text(const struct mime_part *part);

#endif
