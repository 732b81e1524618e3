#include "json.h"

#include <string.h>

#include "clock.h"
#include "utf8.h"

void
json_init(struct json *j, struct buf *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

/* Separator before a value (not after a key). */
static void
before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->count[j->depth] > 0)
		buf_addc(j->out, ',');
	j->count[j->depth]++;
}

static void
open_level(struct json *j, char c)
{
	before_value(j);
	buf_addc(j->out, c);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->count[j->depth] = 0;
}

static void
close_level(struct json *j, char c)
{
	buf_addc(j->out, c);
	if (j->depth > 0)
		j->depth--;
}

void json_obj_begin(struct json *j) { open_level(j, '{'); }
void json_obj_end(struct json *j) { close_level(j, '}'); }
void json_arr_begin(struct json *j) { open_level(j, '['); }
void json_arr_end(struct json *j) { close_level(j, ']'); }

void
json_escape(struct buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start, n;

	buf_grow(b, len + 2);
	buf_addc(b, '"');
	while (i < len) {
		start = i;
		while (i < len && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
			i++;
		buf_add(b, s + start, i - start);
		if (i >= len)
			break;
		if (s[i] >= 0x80) {
			n = utf8_decode(s + i, len - i, NULL, NULL);
			if (n == 0) {
				buf_adds(b, "\xEF\xBF\xBD");
				i++;
			} else {
				buf_add(b, s + i, n);
				i += n;
			}
			continue;
		}
		switch (s[i]) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\t': buf_adds(b, "\\t"); break;
		default: buf_addf(b, "\\u%04x", s[i]); break;
		}
		i++;
	}
	buf_addc(b, '"');
}

void
json_key(struct json *j, const char *key)
{
	before_value(j);
	json_escape(j->out, key, strlen(key));
	buf_addc(j->out, ':');
	j->after_key = 1;
}

void
json_strn(struct json *j, const char *s, size_t len)
{
	before_value(j);
	json_escape(j->out, s, len);
}

void
json_str(struct json *j, const char *s)
{
	if (s == NULL)
		json_null(j);
	else
		json_strn(j, s, strlen(s));
}

void
json_int(struct json *j, long long v)
{
	before_value(j);
	buf_addf(j->out, "%lld", v);
}

void
json_bool(struct json *j, int v)
{
	before_value(j);
	buf_adds(j->out, v ? "true" : "false");
}

void
json_null(struct json *j)
{
	before_value(j);
	buf_adds(j->out, "null");
}

void
json_kstr(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void
json_kint(struct json *j, const char *key, long long v)
{
	json_key(j, key);
	json_int(j, v);
}

void
json_kint_or_null(struct json *j, const char *key, long long v)
{
	json_key(j, key);
	if (v == 0)
		json_null(j);
	else
		json_int(j, v);
}

void
json_ktime(struct json *j, const char *key, long long t)
{
	char ts[CLOCK_TEXT_MAX];

	json_key(j, key);
	if (t == 0) {
		json_null(j);
		return;
	}
	clock_format((time_t)t, ts, sizeof(ts));
	json_str(j, ts);
}
