/*
 * str: small tests and edits on bytes of ASCII text, the same everywhere
 * (header parsers, template and configuration readers).  Only ASCII
 * counts: bytes from 0x80 up are never blank nor letters here.
 */
#ifndef TICKETD_STR_H
#define TICKETD_STR_H

#include <stddef.h>

/* Space or tab (RFC 5322 WSP). */
int str_is_wsp(int c);
/* Space, tab, CR or LF. */
int str_is_space(int c);
/* 1 when p[0..len) holds only str_is_space bytes (or nothing). */
int str_is_blank(const char *p, size_t len);
/* 1 when p[0..len) is s, ASCII case ignored. */
int str_span_eq_ci(const char *p, size_t len, const char *s);
/* 1 when s starts with prefix, ASCII case ignored. */
int str_has_prefix_ci(const char *s, const char *prefix);
/* c in lowercase when it is an ASCII capital, else c. */
int str_ascii_lower(int c);
/* ASCII letters of s to lowercase, in place. */
void str_lower(char *s);
/* Narrow *p, *len past str_is_space bytes at both ends. */
void str_trim_span(const char **p, size_t *len);
/*
 * Read 1 to maxdigits decimal digits at *pp into *v_r and move *pp past
 * them; -1 (nothing moved) when there is no digit.
 */
int str_parse_digits(const char **pp, int maxdigits, int *v_r);
/* 1 when **pp is c, and then *pp moves past it; else 0. */
int str_eat(const char **pp, int c);
/* The value of hex digit c (either case), -1 when c is none. */
int str_hex_value(int c);
/* in[0..n) as 2n lowercase hex digits and a NUL in out (2n + 1 bytes). */
void str_to_hex(const unsigned char *in, size_t n, char *out);

#endif
