/*
 * Unit tests for lib/util: the one UTF-8 decoder and encoder (utf8), the
 * one base64 decoder (base64), and the small ASCII helpers (str).
 */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "str.h"
#include "utf8.h"
#include "xmalloc.h"
#include "test.h"

/* utf8_decode of the bytes s (NUL-terminated), with *cp_r and *bad_r. */
static size_t
decode(const char *s, unsigned int *cp_r, size_t *bad_r)
{
	*bad_r = 99;
	return utf8_decode(s, strlen(s), cp_r, bad_r);
}

static void
test_utf8(void)
{
	unsigned int cp;
	size_t bad;
	char out[UTF8_MAX];

	test_begin("utf8: the shortest forms of each length decode");
	test_assert_inteq(decode("A", &cp, &bad), 1);
	test_assert_inteq(cp, 'A');
	test_assert_inteq(decode("\xC3\xA4", &cp, &bad), 2);
	test_assert_inteq(cp, 0xE4);
	test_assert_inteq(decode("\xE6\x97\xA5", &cp, &bad), 3);
	test_assert_inteq(cp, 0x65E5);
	test_assert_inteq(decode("\xF0\x9F\x98\x80", &cp, &bad), 4);
	test_assert_inteq(cp, 0x1F600);
	test_assert_inteq(decode("\xF4\x8F\xBF\xBF", &cp, &bad), 4);
	test_assert_inteq(cp, 0x10FFFF);
	test_end();

	test_begin("utf8: overlong forms, surrogates and U+110000 are invalid, as U+FFFD");
	test_assert_inteq(decode("\xC0\xAF", &cp, &bad), 0);
	test_assert_inteq(cp, UTF8_REPLACEMENT);
	test_assert_inteq(bad, 1);
	test_assert_inteq(decode("\xE0\x80\xAF", &cp, &bad), 0);
	test_assert_inteq(bad, 1);
	test_assert_inteq(decode("\xED\xA0\x80", &cp, &bad), 0);
	test_assert_inteq(bad, 1);
	test_assert_inteq(decode("\xF0\x8F\xBF\xBF", &cp, &bad), 0);
	test_assert_inteq(decode("\xF4\x90\x80\x80", &cp, &bad), 0);
	test_assert_inteq(decode("\xF5\x80\x80\x80", &cp, &bad), 0);
	test_assert_inteq(decode("\x80", &cp, &bad), 0);
	test_assert_inteq(bad, 1);
	test_end();

	test_begin("utf8: a cut sequence's maximal subpart is one replacement");
	test_assert_inteq(decode("\xE6\x97" "A", &cp, &bad), 0);
	test_assert_inteq(bad, 2);
	test_assert_inteq(decode("\xF0\x9F\x98", &cp, &bad), 0);
	test_assert_inteq(bad, 3);
	test_assert_inteq(utf8_decode("\xE6\x97\xA5", 2, NULL, NULL), 0);
	test_end();

	test_begin("utf8: valid prefix");
	test_assert_inteq(utf8_valid_prefix("abc", 3), 3);
	test_assert_inteq(utf8_valid_prefix("a\xC3\xA4" "b\xFF" "c", 6), 4);
	test_assert_inteq(utf8_valid_prefix("", 0), 0);
	test_end();

	test_begin("utf8: encode, and what cannot be encoded becomes U+FFFD");
	test_assert_inteq(utf8_encode(0x41, out), 1);
	test_assert_inteq(utf8_encode(0xE4, out), 2);
	test_assert(memcmp(out, "\xC3\xA4", 2) == 0);
	test_assert_inteq(utf8_encode(0x1F600, out), 4);
	test_assert(memcmp(out, "\xF0\x9F\x98\x80", 4) == 0);
	test_assert_inteq(utf8_encode(0xD800, out), 3);
	test_assert(memcmp(out, "\xEF\xBF\xBD", 3) == 0);
	test_assert_inteq(utf8_encode(0x110000, out), 3);
	test_end();
}

/*
 * Decode in in one call; with drop the partial quantum's bytes are cut,
 * as a MIME body does.  Checks the text and the partial byte count.
 */
static void
expect_b64(const char *in, int drop, const char *want, size_t want_partial)
{
	struct base64_decoder d = BASE64_DECODER_INIT;
	struct buf out = BUF_INIT;
	size_t partial;

	base64_decode(&d, in, strlen(in), &out);
	partial = base64_decoder_partial(&d);
	if (drop)
		out.len -= partial;
	buf_addc(&out, '\0');
	test_assert_streq(out.data, want);
	test_assert_inteq(partial, want_partial);
	buf_release(&out);
}

static void
test_base64(void)
{
	struct base64_decoder d = BASE64_DECODER_INIT;
	struct buf out = BUF_INIT;

	test_begin("base64: whole quanta, padding, and junk between them");
	expect_b64("aGVsbG8gd29y\r\nbGQ=", 0, "hello world", 0);
	expect_b64("aG V*s#bG8=", 0, "hello", 0);
	test_end();

	test_begin("base64: an unpadded end is a partial quantum, which a body drops");
	expect_b64("aGVsbG8", 0, "hello", 2);
	expect_b64("aGVsbG8", 1, "hel", 2);
	expect_b64("aGVsbA", 1, "hel", 1);
	test_end();

	test_begin("base64: bits carry from one call to the next; zero bits settle");
	base64_decode(&d, "aGVsb", 5, &out);
	base64_decode(&d, "G8=", 3, &out);
	test_assert_inteq(out.len, 5);
	test_assert(memcmp(out.data, "hello", 5) == 0);
	base64_decoder_init(&d);
	base64_decode(&d, "QQ", 2, &out);  /* 'A' and four zero bits */
	base64_decoder_settle(&d);
	test_assert_inteq(d.bits, 0);
	base64_decode(&d, "Qk", 2, &out);  /* 'B' and four non-zero bits */
	base64_decoder_settle(&d);
	test_assert_inteq(d.bits, 4);
	buf_release(&out);
	test_end();
}

static void
test_str(void)
{
	const char *p = "  x y \r\n", *q = "0815rest";
	size_t len = strlen(p);
	char lower[] = "MiXeD Ä";
	int v = 0;

	test_begin("str: trim, blanks, case, digits, hex");
	str_trim_span(&p, &len);
	test_assert_inteq(len, 3);
	test_assert(strncmp(p, "x y", 3) == 0);
	test_assert(str_is_blank(" \t\r\n", 4));
	test_assert(!str_is_blank(" x", 2));
	test_assert(str_span_eq_ci("Message-ID", 10, "message-id"));
	test_assert(!str_span_eq_ci("Message-I", 9, "message-id"));
	test_assert(str_has_prefix_ci("Content-Type: x", "content-type:"));
	str_lower(lower);
	test_assert_streq(lower, "mixed Ä");
	test_assert_inteq(str_parse_digits(&q, 3, &v), 0);
	test_assert_inteq(v, 81);
	test_assert_streq(q, "5rest");
	q = "x";
	test_assert_inteq(str_parse_digits(&q, 3, &v), -1);
	test_assert_inteq(str_hex_value('f'), 15);
	test_assert_inteq(str_hex_value('G'), -1);
	test_end();
}

int
main(void)
{
	test_utf8();
	test_base64();
	test_str();
	return test_done();
}
