#include "csv.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

void
csv_init(struct csv *c, const char *data, size_t len)
{
	c->p = data;
	c->end = data + len;
	c->line = 1;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		c->p += 3;
}

void
csv_fields_free(char ***fields, size_t n)
{
	size_t i;

	for (i = 0; *fields != NULL && i < n; i++)
		free((*fields)[i]);
	xfree(fields);
}

/* Skip to just after the next line end (after an error). */
static void
skip_line(struct csv *c)
{
	while (c->p < c->end && *c->p != '\n')
		c->p++;
	if (c->p < c->end) {
		c->p++;
		c->line++;
	}
}

/* At a record end (LF, CRLF, or the end of input)?  Consumes it. */
static int
at_record_end(struct csv *c)
{
	if (c->p == c->end)
		return 1;
	if (*c->p == '\n' || (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
		c->p += *c->p == '\r' ? 2 : 1;
		c->line++;
		return 1;
	}
	return 0;
}

/* One field into b; -1 with *error_r. */
static int
read_field(struct csv *c, struct buf *b, const char **error_r)
{
	if (c->p < c->end && *c->p == '"') {
		c->p++;
		for (;;) {
			if (c->p == c->end) {
				*error_r = "unterminated quoted field";
				return -1;
			}
			if (*c->p == '"') {
				if (c->p + 1 < c->end && c->p[1] == '"') {
					buf_addc(b, '"');
					c->p += 2;
					continue;
				}
				c->p++;
				break;
			}
			if (*c->p == '\n')
				c->line++;
			buf_addc(b, *c->p++);
			if (b->len > CSV_MAX_FIELD) {
				*error_r = "field too long";
				return -1;
			}
		}
		return 0;
	}
	while (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
	       !(*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
		if (*c->p == '"') {
			*error_r = "quote inside an unquoted field";
			return -1;
		}
		buf_addc(b, *c->p++);
		if (b->len > CSV_MAX_FIELD) {
			*error_r = "field too long";
			return -1;
		}
	}
	return 0;
}

int
csv_next(struct csv *c, char ***fields_r, size_t *n_r, size_t *line_r, const char **error_r)
{
	struct buf b = BUF_INIT;
	char **fields = NULL;
	size_t n = 0;

	*line_r = c->line;
	if (c->p >= c->end)
		return 0;
	for (;;) {
		buf_reset(&b);
		if (read_field(c, &b, error_r) < 0)
			goto fail;
		if (n == CSV_MAX_FIELDS) {
			*error_r = "too many fields";
			goto fail;
		}
		if (memchr(buf_str(&b), '\0', b.len) != NULL) {
			*error_r = "NUL byte in a field";
			goto fail;
		}
		fields = xrealloc(fields, (n + 1) * sizeof(*fields));
		fields[n++] = xstrndup(buf_str(&b), b.len);
		if (at_record_end(c))
			break;
		if (*c->p != ',') {
			*error_r = "text after a closing quote";
			goto fail;
		}
		c->p++;
	}
	buf_release(&b);
	*fields_r = fields;
	*n_r = n;
	return 1;
fail:
	buf_release(&b);
	csv_fields_free(&fields, n);
	skip_line(c);
	return -1;
}
