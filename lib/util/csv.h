/*
 * csv: read comma-separated values (RFC 4180) one record at a time.
 *
 * Fields are separated by commas; a field in double quotes may hold
 * commas, line breaks and "" for a quote.  Records end at LF or CRLF; a
 * leading UTF-8 byte order mark is skipped.  Input is hostile: a field is
 * at most CSV_MAX_FIELD bytes and a record at most CSV_MAX_FIELDS fields.
 */
#ifndef TICKETD_CSV_H
#define TICKETD_CSV_H

#include <stddef.h>

#define CSV_MAX_FIELDS 64
#define CSV_MAX_FIELD 4096

struct csv {
	const char *p;
	const char *end;
	size_t line;            /* the line the next record starts on, from 1 */
};

/* data must outlive the reader. */
void csv_init(struct csv *c, const char *data, size_t len);

/*
 * Read the next record.  1: *fields_r (n_r strings, NUL-terminated; free
 * with csv_fields_free) and *line_r, the line it started on.  0: no more
 * input.  -1: a syntax error, *error_r (static text) and *line_r say what
 * and where; the reader has skipped to the next line, so reading may go on.
 * An empty line is a record of one empty field.
 */
int csv_next(struct csv *c, char ***fields_r, size_t *n_r, size_t *line_r,
	     const char **error_r);
void csv_fields_free(char ***fields, size_t n);

#endif
