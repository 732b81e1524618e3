#include "base64.h"

/* Each byte's value plus one: 0 for bytes that are no base64 digit ('=' aside). */
#define B64(c, v) [c] = (v) + 1
static const unsigned char b64_values[256] = {
	B64('A', 0), B64('B', 1), B64('C', 2), B64('D', 3), B64('E', 4),
	B64('F', 5), B64('G', 6), B64('H', 7), B64('I', 8), B64('J', 9),
	B64('K', 10), B64('L', 11), B64('M', 12), B64('N', 13), B64('O', 14),
	B64('P', 15), B64('Q', 16), B64('R', 17), B64('S', 18), B64('T', 19),
	B64('U', 20), B64('V', 21), B64('W', 22), B64('X', 23), B64('Y', 24),
	B64('Z', 25),
	B64('a', 26), B64('b', 27), B64('c', 28), B64('d', 29), B64('e', 30),
	B64('f', 31), B64('g', 32), B64('h', 33), B64('i', 34), B64('j', 35),
	B64('k', 36), B64('l', 37), B64('m', 38), B64('n', 39), B64('o', 40),
	B64('p', 41), B64('q', 42), B64('r', 43), B64('s', 44), B64('t', 45),
	B64('u', 46), B64('v', 47), B64('w', 48), B64('x', 49), B64('y', 50),
	B64('z', 51),
	B64('0', 52), B64('1', 53), B64('2', 54), B64('3', 55), B64('4', 56),
	B64('5', 57), B64('6', 58), B64('7', 59), B64('8', 60), B64('9', 61),
	B64('+', 62), B64('/', 63),
};

void
base64_decoder_init(struct base64_decoder *d)
{
	d->acc = 0;
	d->bits = 0;
}

void
base64_decode(struct base64_decoder *d, const char *in, size_t len, struct buf *out)
{
	unsigned char *o;
	unsigned int v;
	size_t i;

	/* At most three bytes per four digits, and one held over from before. */
	buf_grow(out, len / 4 * 3 + 3);
	o = (unsigned char *)out->data + out->len;
	for (i = 0; i < len; i++) {
		v = b64_values[(unsigned char)in[i]];
		if (v == 0) {
			if (in[i] == '=')
				base64_decoder_init(d);
			continue;
		}
		d->acc = ((d->acc << 6) | (v - 1)) & 0xFFFF;
		d->bits += 6;
		if (d->bits >= 8) {
			d->bits -= 8;
			*o++ = (unsigned char)((d->acc >> d->bits) & 0xFF);
		}
	}
	out->len = (size_t)(o - (unsigned char *)out->data);
	out->data[out->len] = '\0';
}

size_t
base64_decoder_partial(const struct base64_decoder *d)
{
	/* After 1, 2, 3 characters of a quantum 6, 4, 2 bits are held. */
	switch (d->bits) {
	case 4: return 1;
	case 2: return 2;
	default: return 0;
	}
}

void
base64_decoder_settle(struct base64_decoder *d)
{
	if ((d->acc & ((1u << d->bits) - 1)) == 0)
		base64_decoder_init(d);
}
