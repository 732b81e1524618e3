#include "str.h"

#include <string.h>
#include <strings.h>

int
str_is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

int
str_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
str_is_blank(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!str_is_space((unsigned char)p[i]))
			return 0;
	}
	return 1;
}

int
str_span_eq_ci(const char *p, size_t len, const char *s)
{
	size_t n = strlen(s);

	return len == n && strncasecmp(p, s, n) == 0;
}

int
str_has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

int
str_ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)str_ascii_lower((unsigned char)*s);
}

void
str_trim_span(const char **p, size_t *len)
{
	while (*len > 0 && str_is_space((unsigned char)**p)) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && str_is_space((unsigned char)(*p)[*len - 1]))
		(*len)--;
}

int
str_parse_digits(const char **pp, int maxdigits, int *v_r)
{
	const char *p = *pp;
	int v = 0, n = 0;

	while (n < maxdigits && *p >= '0' && *p <= '9') {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n == 0)
		return -1;
	*pp = p;
	*v_r = v;
	return 0;
}

int
str_eat(const char **pp, int c)
{
	if (**pp != c)
		return 0;
	(*pp)++;
	return 1;
}

int
str_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
str_to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}
