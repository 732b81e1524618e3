/*
 * filename: safe attachment names (see filename.h for the rules) and
 * content types by extension.
 */
#include "filename.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"
#include "xmalloc.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* Extensions and their types; the first entry of a type gives its extension. */
static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{ "txt", "text/plain" },
	{ "log", "text/plain" },
	{ "conf", "text/plain" },
	{ "ini", "text/plain" },
	{ "md", "text/markdown" },
	{ "csv", "text/csv" },
	{ "html", "text/html" },
	{ "htm", "text/html" },
	{ "xml", "application/xml" },
	{ "json", "application/json" },
	{ "yaml", "application/yaml" },
	{ "yml", "application/yaml" },
	{ "patch", "text/x-diff" },
	{ "diff", "text/x-diff" },
	{ "pdf", "application/pdf" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "bmp", "image/bmp" },
	{ "tif", "image/tiff" },
	{ "tiff", "image/tiff" },
	{ "svg", "image/svg+xml" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },
	{ "tgz", "application/gzip" },
	{ "tar", "application/x-tar" },
	{ "xz", "application/x-xz" },
	{ "bz2", "application/x-bzip2" },
	{ "zst", "application/zstd" },
	{ "7z", "application/x-7z-compressed" },
	{ "eml", "message/rfc822" },
	{ "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "ics", "text/calendar" },
	{ "pem", "application/x-pem-file" },
	{ "bin", "application/octet-stream" },
};

/* Windows device names (also reserved with an extension: "con.txt"). */
static const char *const devices[] = {
	"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
	"COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
	"LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
	"COM\xc2\xb9", "COM\xc2\xb2", "COM\xc2\xb3", "LPT\xc2\xb9", "LPT\xc2\xb2", "LPT\xc2\xb3",
};

const char *
filename_content_type(const char *name)
{
	const char *dot = name != NULL ? strrchr(name, '.') : NULL;
	size_t i;

	if (dot != NULL && dot[1] != '\0')
		for (i = 0; i < N_ELEMENTS(types); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

static const char *
type_extension(const char *content_type)
{
	size_t i;

	if (content_type != NULL)
		for (i = 0; i < N_ELEMENTS(types); i++)
			if (strcasecmp(content_type, types[i].type) == 0)
				return types[i].ext;
	return "bin";
}

/* Characters that draw nothing or reorder the text around them. */
static int
is_invisible(unsigned int cp)
{
	return cp == 0x061C || cp == 0x200E || cp == 0x200F ||
		(cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
		(cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF ||
		cp == 0x2028 || cp == 0x2029 || cp == 0x00AD;
}

static int
is_space(unsigned int cp)
{
	return cp == ' ' || cp == 0x00A0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
		cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Look-alike slashes that Windows' best-fit code page mapping turns into / or \. */
static int
is_slash_like(unsigned int cp)
{
	return cp == 0x2044 || cp == 0x2215 || cp == 0x2216 || cp == 0x29F5 || cp == 0x29F8 ||
		cp == 0x29F9 || cp == 0xFF0F || cp == 0xFF3C;
}

/* Drop dots and spaces at both ends of b (in place). */
static void
trim_dots_spaces(struct buf *b)
{
	size_t start = 0, end = b->len;

	while (start < end && (b->data[start] == '.' || b->data[start] == ' '))
		start++;
	while (end > start && (b->data[end - 1] == '.' || b->data[end - 1] == ' '))
		end--;
	if (b->data != NULL) {
		memmove(b->data, b->data + start, end - start);
		b->len = end - start;
		b->data[b->len] = '\0';
	}
}

/* The last path component of name with every character rule of filename.h applied. */
static void
clean_characters(const char *name, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t len = strlen(name), i = 0, n, bad;
	unsigned int cp;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp, &bad);
		if (n == 0) {
			buf_addc(out, '_');
			i += bad > 0 ? bad : 1;
			continue;
		}
		i += n;
		if (cp == '/' || cp == '\\') {
			buf_reset(out);            /* only the last component counts */
		} else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
			   is_invisible(cp) || is_slash_like(cp) ||
			   (cp < 0x80 && strchr("<>:\"|?*", (int)cp) != NULL)) {
			buf_addc(out, '_');
		} else if (is_space(cp)) {
			if (out->len > 0 && out->data[out->len - 1] != ' ')
				buf_addc(out, ' ');
		} else {
			buf_add(out, s + i - n, n);
		}
	}
}

/* 1 when the part of s before its first dot (blanks at its end ignored) is a device name. */
static int
is_device_name(const char *s)
{
	const char *dot = strchr(s, '.');
	size_t len = dot != NULL ? (size_t)(dot - s) : strlen(s), i;

	while (len > 0 && s[len - 1] == ' ')
		len--;
	for (i = 0; i < N_ELEMENTS(devices); i++)
		if (strlen(devices[i]) == len && strncasecmp(s, devices[i], len) == 0)
			return 1;
	return 0;
}

/* Cut b to FILENAME_MAX_BYTES, keeping a short extension. */
static void
cut_long(struct buf *b)
{
	const char *dot;
	size_t ext_len = 0, keep, i;
	char ext[FILENAME_MAX_EXT + 2];

	if (b->len <= FILENAME_MAX_BYTES)
		return;
	dot = strrchr(b->data, '.');
	if (dot != NULL && dot > b->data && (size_t)(b->data + b->len - dot) <= FILENAME_MAX_EXT + 1) {
		ext_len = (size_t)(b->data + b->len - dot);
		memcpy(ext, dot, ext_len);
	}
	keep = FILENAME_MAX_BYTES - ext_len;
	/* back to the start of a character */
	while (keep > 0 && ((unsigned char)b->data[keep] & 0xC0) == 0x80)
		keep--;
	b->len = keep;
	b->data[keep] = '\0';
	/* the stem must not end in blanks or dots either */
	while (b->len > 0 && (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '.'))
		b->data[--b->len] = '\0';
	for (i = 0; i < ext_len; i++)
		buf_addc(b, ext[i]);
}

char *
filename_safe(const char *name, const char *content_type)
{
	struct buf b = BUF_INIT;
	char *r;

	if (name != NULL)
		clean_characters(name, &b);
	trim_dots_spaces(&b);
	if (b.len > 0 && is_device_name(b.data)) {
		r = xasprintf("_%s", b.data);
		buf_reset(&b);
		buf_adds(&b, r);
		free(r);
	}
	cut_long(&b);
	if (b.len == 0) {
		buf_release(&b);
		return xasprintf("attachment.%s", type_extension(content_type));
	}
	return buf_detach(&b, NULL);
}

int
filename_is_safe(const char *name)
{
	char *safe;
	int same;

	if (name == NULL || *name == '\0')
		return 0;
	safe = filename_safe(name, NULL);
	same = strcmp(safe, name) == 0;
	free(safe);
	return same;
}
