/*
 * xmalloc: allocation that never returns NULL (out of memory is fatal),
 * and a growable byte buffer for building strings.
 */
#ifndef TICKETD_XMALLOC_H
#define TICKETD_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
/* Copy of s, or NULL when s is NULL. */
char *xstrdup_or_null(const char *s);
char *xstrndup(const char *s, size_t n);
/* Allocated printf; the caller owns the result. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Room for element n of an array that holds n elements of size bytes:
 * the capacity is the next power of two, so appending one by one stays
 * linear without storing a capacity.  Returns the (maybe moved) array.
 */
void *xarray_grow(void *v, size_t n, size_t size);

/* Free the n strings of *v and the array, and set *v to NULL. */
void strv_free(char ***v, size_t n);

/* Free *p and set it to NULL. */
#define xfree(p) do { free(*(p)); *(p) = NULL; } while (0)

/*
 * struct buf: bytes with a length, always NUL-terminated after len so that
 * buf.data can be used as a C string.  buf_init gives an empty buffer;
 * buf_release frees it; buf_detach hands the bytes to the caller.
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_init(struct buf *b);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
/* Append one byte.  Inline: the decoders call it for every byte they write. */
static inline void
buf_addc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap)
		buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Append one Unicode code point as UTF-8. */
void buf_add_utf8(struct buf *b, unsigned int cp);
/* Return the data (never NULL) and leave b empty; the caller frees it. */
char *buf_detach(struct buf *b, size_t *len_r);
/* The data as a C string ("" when empty); b keeps ownership. */
const char *buf_str(struct buf *b);

#endif
