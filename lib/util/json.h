/*
 * json: a small streaming JSON writer into a struct buf.
 *
 *   struct json j; json_init(&j, &b);
 *   json_obj_begin(&j); json_key(&j, "file"); json_str(&j, path); json_obj_end(&j);
 *
 * Strings are written as valid UTF-8 whatever they hold: invalid bytes
 * become U+FFFD, control characters are escaped.
 */
#ifndef TICKETD_JSON_H
#define TICKETD_JSON_H

#include <stddef.h>

#include "xmalloc.h"

#define JSON_MAX_DEPTH 32

struct json {
	struct buf *out;
	int depth;
	int count[JSON_MAX_DEPTH];   /* values written at each level */
	int after_key;
};

void json_init(struct json *j, struct buf *out);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);              /* NULL: null */
void json_strn(struct json *j, const char *s, size_t len);
void json_int(struct json *j, long long v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);
/* key + value shorthands */
void json_kstr(struct json *j, const char *key, const char *s);
void json_kint(struct json *j, const char *key, long long v);
/* An integer, or null when v == 0. */
void json_kint_or_null(struct json *j, const char *key, long long v);
/* RFC 3339 UTC time, or null when t == 0. */
void json_ktime(struct json *j, const char *key, long long t);

/* Append s as a JSON string literal (with quotes) to b. */
void json_escape(struct buf *b, const char *s, size_t len);

#endif
