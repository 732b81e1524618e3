#include "base64.h"

static int
base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void
base64_decoder_init(struct base64_decoder *d)
{
	d->acc = 0;
	d->bits = 0;
}

void
base64_decode(struct base64_decoder *d, const char *in, size_t len, struct buf *out)
{
	size_t i;
	int v;

	buf_grow(out, len / 4 * 3 + 3);
	for (i = 0; i < len; i++) {
		if (in[i] == '=') {
			base64_decoder_init(d);
			continue;
		}
		v = base64_value((unsigned char)in[i]);
		if (v < 0)
			continue;
		d->acc = ((d->acc << 6) | (unsigned int)v) & 0xFFFF;
		d->bits += 6;
		if (d->bits >= 8) {
			d->bits -= 8;
			buf_addc(out, (char)((d->acc >> d->bits) & 0xFF));
		}
	}
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
