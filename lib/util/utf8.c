#include "utf8.h"

size_t
utf8_decode(const void *src, size_t avail, unsigned int *cp_r, size_t *bad_r)
{
	const unsigned char *p = src;
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	unsigned int cp;
	size_t need, i;

	if (c < 0x80) {
		if (cp_r != NULL)
			*cp_r = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		cp = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;          /* no overlong form */
		else if (c == 0xED)
			hi = 0x9F;          /* no surrogate */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		cp = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;          /* no overlong form */
		else if (c == 0xF4)
			hi = 0x8F;          /* nothing above U+10FFFF */
	} else {
		i = 1;
		goto bad;
	}
	for (i = 1; i <= need; i++) {
		if (i >= avail || p[i] < lo || p[i] > hi)
			goto bad;
		cp = (cp << 6) | (p[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	if (cp_r != NULL)
		*cp_r = cp;
	return need + 1;
bad:
	if (cp_r != NULL)
		*cp_r = UTF8_REPLACEMENT;
	if (bad_r != NULL)
		*bad_r = i;
	return 0;
}

size_t
utf8_valid_prefix(const void *src, size_t len)
{
	const unsigned char *p = src;
	size_t i = 0, n;

	while (i < len) {
		n = utf8_decode(p + i, len - i, NULL, NULL);
		if (n == 0)
			return i;
		i += n;
	}
	return len;
}

size_t
utf8_encode(unsigned int cp, char out[UTF8_MAX])
{
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = UTF8_REPLACEMENT;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}
