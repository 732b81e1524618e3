#include "cte.h"

#include <ctype.h>
#include <string.h>

#include "base64.h"
#include "imf.h"
#include "str.h"

/*
 * Base64 body: an unpadded last quantum is a truncated body, dropped as
 * mime4j does.
 */
static void
b_decode(const char *p, size_t len, struct buf *out)
{
	struct base64_decoder d = BASE64_DECODER_INIT;

	base64_decode(&d, p, len, out);
	out->len -= base64_decoder_partial(&d);
	out->data[out->len] = '\0';
}

enum cte
cte_parse(const char *p, size_t len)
{
	char word[32];
	size_t i, n = 0;

	/* the first word: a comment ("quoted-printable (Outlook)") or a ';' ends it */
	for (i = imf_skip_cfws(p, len, 0); i < len && n + 1 < sizeof(word); i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ';' || c == '(')
			break;
		if (isalnum(c))
			word[n++] = (char)tolower(c);
	}
	word[n] = '\0';
	if (strcmp(word, "base64") == 0)
		return CTE_BASE64;
	if (strcmp(word, "quotedprintable") == 0)
		return CTE_QP;
	if (strcmp(word, "xuuencode") == 0 || strcmp(word, "uuencode") == 0 ||
	    strcmp(word, "xuue") == 0)
		return CTE_UUENCODE;
	return CTE_IDENTITY;
}

/* Quoted-printable text p[0..len) without line ends: escapes decoded. */
static void
qp_decode_line(const char *p, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		const char *eq = memchr(p + i, '=', len - i);
		size_t j;

		if (eq == NULL) {
			buf_add(out, p + i, len - i);
			break;
		}
		buf_add(out, p + i, (size_t)(eq - p) - i);
		i = (size_t)(eq - p) + 1;
		if (i + 1 < len && str_hex_value((unsigned char)p[i]) >= 0 &&
		    str_hex_value((unsigned char)p[i + 1]) >= 0) {
			buf_addc(out, (char)(str_hex_value((unsigned char)p[i]) * 16 +
					     str_hex_value((unsigned char)p[i + 1])));
			i += 2;
			continue;
		}
		/* soft line break: '=' and optional blanks end the line */
		j = i;
		while (j < len && str_is_wsp((unsigned char)p[j]))
			j++;
		if (j >= len)
			return;
		buf_addc(out, '=');
	}
}

/*
 * Quoted-printable, line by line: a hard line break becomes CRLF (the
 * canonical form), trailing blanks added in transport are dropped, a line
 * ending in '=' joins the next, a broken escape is kept as written.
 */
static void
qp_decode(const char *p, size_t len, struct buf *out)
{
	size_t i = 0;

	buf_grow(out, len);
	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - p) : len, e = end;

		if (e > i && p[e - 1] == '\r')
			e--;
		while (e > i && str_is_wsp((unsigned char)p[e - 1]))
			e--;
		if (e > i && p[e - 1] == '=') {
			qp_decode_line(p + i, e - i - 1, out);
		} else {
			qp_decode_line(p + i, e - i, out);
			if (nl != NULL)
				buf_add(out, "\r\n", 2);
		}
		i = nl ? end + 1 : len;
	}
}

/* Decode uuencoded lines p[0..len) until "end" or a zero-length line. */
void
cte_uu_decode_lines(const char *p, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - p) : len, next = nl ? end + 1 : len;
		size_t n, k, pos;

		if (end > i && p[end - 1] == '\r')
			end--;
		if (end - i >= 3 && memcmp(p + i, "end", 3) == 0)
			break;
		if (end == i) {
			i = next;
			continue;
		}
		n = (size_t)(((unsigned char)p[i] - 32) & 63);
		if (n == 0)
			break;
		pos = i + 1;
		for (k = 0; k < n; k += 3) {
			unsigned char c[4] = { 0, 0, 0, 0 };
			size_t j;

			for (j = 0; j < 4; j++) {
				if (pos + j < end)
					c[j] = (unsigned char)((p[pos + j] - 32) & 63);
			}
			pos += 4;
			buf_addc(out, (char)(c[0] << 2 | c[1] >> 4));
			if (k + 1 < n)
				buf_addc(out, (char)(c[1] << 4 | c[2] >> 2));
			if (k + 2 < n)
				buf_addc(out, (char)(c[2] << 6 | c[3]));
		}
		i = next;
	}
}

/* "begin NNN name" at p[0..len)?  The name in name_r, name_len_r. */
int
cte_uu_begin_line(const char *p, size_t len, const char **name_r, size_t *name_len_r)
{
	size_t i = 6, digits = 0;

	if (len < 8 || memcmp(p, "begin ", 6) != 0)
		return 0;
	while (i < len && p[i] >= '0' && p[i] <= '7') {
		i++;
		digits++;
	}
	if (digits < 3 || digits > 4 || i >= len || p[i] != ' ')
		return 0;
	*name_r = p + i + 1;
	*name_len_r = len - i - 1;
	str_trim_span(name_r, name_len_r);
	return *name_len_r > 0;
}

/* CTE x-uuencode: skip to the begin line when there is one. */
static void
uu_decode(const char *p, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - p) : len, name_len;
		const char *name;

		if (end > i && p[end - 1] == '\r')
			end--;
		if (cte_uu_begin_line(p + i, end - i, &name, &name_len)) {
			i = nl ? (size_t)(nl - p) + 1 : len;
			cte_uu_decode_lines(p + i, len - i, out);
			return;
		}
		i = nl ? (size_t)(nl - p) + 1 : len;
	}
	cte_uu_decode_lines(p, len, out);
}

void
cte_decode(enum cte cte, const char *p, size_t len, struct buf *out)
{
	switch (cte) {
	case CTE_BASE64:
		b_decode(p, len, out);
		break;
	case CTE_QP:
		qp_decode(p, len, out);
		break;
	case CTE_UUENCODE:
		uu_decode(p, len, out);
		break;
	case CTE_IDENTITY:
		buf_add(out, p, len);
		break;
	}
}
