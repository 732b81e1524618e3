/*
 * charset: any real-world charset to UTF-8.
 *
 * Labels go through one alias table (browser-style: ISO-8859-1 and ASCII
 * are read as Windows-1252, Shift_JIS as CP932, GB2312 as GB18030, Big5 as
 * Big5-HKSCS, EUC-KR as CP949).  Conversion is glibc iconv, except UTF-8
 * (validated here) and ISO-2022-JP, which has its own small decoder so that
 * the Microsoft/NEC extensions (①, ㈱, ㍻) decode: glibc has no CP50220,
 * so each JIS X 0208 pair is rewritten into Shift_JIS and decoded as CP932.
 * Unlabelled or mislabelled 8-bit text is detected with uchardet.
 *
 * Nothing is cached between calls: iconv_open and uchardet_new cost well
 * under a few microseconds, so the module keeps no global state.
 */
#include "charset.h"
#include "utf8.h"
#include "xmalloc.h"

#include <errno.h>
#include <limits.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uchardet.h>

/* Labels longer than this are not looked up. */
#define CHARSET_LABEL_MAX 64
/* Detection reads at most this many bytes. */
#define CHARSET_DETECT_MAX (64 * 1024)
/* Text shorter than this is fed to uchardet repeatedly when it is unsure. */
#define CHARSET_DETECT_SHORT 256
#define CHARSET_DETECT_REPEAT 1024

#define UNICODE_REPLACEMENT 0xFFFD

enum charset_kind {
	CS_ICONV,	/* glibc iconv under cs->name */
	CS_UTF8,	/* validated here */
	CS_ISO2022JP,	/* decoded here, see iso2022jp_append */
};

/* 7-bit text without ESC is plain ASCII in this charset. */
#define CS_ASCII 0x1
/* One byte is one character. */
#define CS_SINGLE 0x2
/* Single-byte, Latin script: uchardet cannot tell these apart on a few words. */
#define CS_LATIN 0x4

struct charset {
	const char *label;	/* lowercase letters and digits only */
	const char *name;	/* canonical name, for iconv when CS_ICONV */
	enum charset_kind kind;
	unsigned int flags;
};

#define SB(label, name) { label, name, CS_ICONV, CS_ASCII | CS_SINGLE }
#define LA(label, name) { label, name, CS_ICONV, CS_ASCII | CS_SINGLE | CS_LATIN }
#define MB(label, name) { label, name, CS_ICONV, CS_ASCII }
#define WIDE(label, name) { label, name, CS_ICONV, 0 }

static const struct charset charsets[] = {
	{ "utf8", "UTF-8", CS_UTF8, CS_ASCII },
	{ "unicode11utf8", "UTF-8", CS_UTF8, CS_ASCII },
	{ "unicode20utf8", "UTF-8", CS_UTF8, CS_ASCII },
	{ "xunicode20utf8", "UTF-8", CS_UTF8, CS_ASCII },
	WIDE("utf7", "UTF-7"), WIDE("unicode11utf7", "UTF-7"),
	WIDE("csunicode11utf7", "UTF-7"), WIDE("xunicode20utf7", "UTF-7"),
	WIDE("utf16", "UTF-16"), WIDE("utf16le", "UTF-16LE"),
	WIDE("utf16be", "UTF-16BE"), WIDE("ucs2", "UTF-16"),
	WIDE("utf32", "UTF-32"), WIDE("utf32le", "UTF-32LE"),
	WIDE("utf32be", "UTF-32BE"),

	/* ASCII and Latin-1 labels mean Windows-1252, as in browsers. */
	LA("usascii", "WINDOWS-1252"), LA("ascii", "WINDOWS-1252"),
	LA("ansix341968", "WINDOWS-1252"), LA("iso646us", "WINDOWS-1252"),
	LA("csascii", "WINDOWS-1252"), LA("us", "WINDOWS-1252"),
	LA("iso88591", "WINDOWS-1252"), LA("latin1", "WINDOWS-1252"),
	LA("l1", "WINDOWS-1252"), LA("cp819", "WINDOWS-1252"),
	LA("ibm819", "WINDOWS-1252"), LA("csisolatin1", "WINDOWS-1252"),
	LA("isoir100", "WINDOWS-1252"), LA("windows1252", "WINDOWS-1252"),
	LA("cp1252", "WINDOWS-1252"), LA("xcp1252", "WINDOWS-1252"),
	LA("iso88592", "ISO-8859-2"), LA("latin2", "ISO-8859-2"),
	LA("l2", "ISO-8859-2"), LA("csisolatin2", "ISO-8859-2"),
	LA("iso88593", "ISO-8859-3"), LA("latin3", "ISO-8859-3"),
	LA("iso88594", "ISO-8859-4"), LA("latin4", "ISO-8859-4"),
	SB("iso88595", "ISO-8859-5"), SB("cyrillic", "ISO-8859-5"),
	SB("csisolatincyrillic", "ISO-8859-5"),
	SB("iso88596", "ISO-8859-6"), SB("iso88596i", "ISO-8859-6"),
	SB("iso88596e", "ISO-8859-6"), SB("arabic", "ISO-8859-6"),
	SB("iso88597", "ISO-8859-7"), SB("greek", "ISO-8859-7"),
	SB("csisolatingreek", "ISO-8859-7"),
	SB("iso88598", "ISO-8859-8"), SB("iso88598i", "ISO-8859-8"),
	SB("iso88598e", "ISO-8859-8"), SB("hebrew", "ISO-8859-8"),
	SB("logical", "ISO-8859-8"), SB("visual", "ISO-8859-8"),
	LA("iso88599", "WINDOWS-1254"), LA("latin5", "WINDOWS-1254"),
	LA("l5", "WINDOWS-1254"), LA("iso885910", "ISO-8859-10"),
	LA("latin6", "ISO-8859-10"), SB("iso885911", "WINDOWS-874"),
	SB("tis620", "WINDOWS-874"), SB("windows874", "WINDOWS-874"),
	SB("cp874", "WINDOWS-874"), SB("dos874", "WINDOWS-874"),
	LA("iso885913", "ISO-8859-13"), LA("latin7", "ISO-8859-13"),
	LA("iso885914", "ISO-8859-14"), LA("latin8", "ISO-8859-14"),
	LA("iso885915", "ISO-8859-15"), LA("latin9", "ISO-8859-15"),
	LA("l9", "ISO-8859-15"), LA("iso885916", "ISO-8859-16"),
	LA("latin10", "ISO-8859-16"),
	LA("windows1250", "WINDOWS-1250"), LA("cp1250", "WINDOWS-1250"),
	LA("xcp1250", "WINDOWS-1250"),
	SB("windows1251", "WINDOWS-1251"), SB("cp1251", "WINDOWS-1251"),
	SB("xcp1251", "WINDOWS-1251"),
	SB("windows1253", "WINDOWS-1253"), SB("cp1253", "WINDOWS-1253"),
	LA("windows1254", "WINDOWS-1254"), LA("cp1254", "WINDOWS-1254"),
	SB("windows1255", "WINDOWS-1255"), SB("cp1255", "WINDOWS-1255"),
	SB("windows1256", "WINDOWS-1256"), SB("cp1256", "WINDOWS-1256"),
	LA("windows1257", "WINDOWS-1257"), LA("cp1257", "WINDOWS-1257"),
	LA("windows1258", "WINDOWS-1258"), LA("cp1258", "WINDOWS-1258"),
	SB("koi8r", "KOI8-R"), SB("koi8", "KOI8-R"), SB("koi", "KOI8-R"),
	SB("cskoi8r", "KOI8-R"), SB("koi8u", "KOI8-U"), SB("koi8ru", "KOI8-U"),
	SB("ibm866", "IBM866"), SB("cp866", "IBM866"),
	LA("ibm852", "IBM852"), LA("cp852", "IBM852"),
	SB("ibm855", "IBM855"), SB("cp855", "IBM855"),
	LA("ibm850", "IBM850"), LA("cp850", "IBM850"),
	LA("ibm437", "IBM437"), LA("cp437", "IBM437"),
	LA("macintosh", "MACINTOSH"), LA("mac", "MACINTOSH"),
	LA("macroman", "MACINTOSH"), LA("xmacroman", "MACINTOSH"),
	SB("maccyrillic", "MAC-CYRILLIC"), SB("xmaccyrillic", "MAC-CYRILLIC"),
	LA("maccentraleurope", "MAC-CENTRALEUROPE"),
	LA("viscii", "VISCII"),

	/* Japanese: Microsoft's variants are the ones in use. */
	MB("shiftjis", "CP932"), MB("sjis", "CP932"), MB("xsjis", "CP932"),
	MB("mskanji", "CP932"), MB("csshiftjis", "CP932"),
	MB("windows31j", "CP932"), MB("cswindows31j", "CP932"),
	MB("cp932", "CP932"), MB("ms932", "CP932"), MB("xmscp932", "CP932"),
	MB("eucjp", "EUC-JP-MS"), MB("xeucjp", "EUC-JP-MS"),
	MB("cseucpkdfmtjapanese", "EUC-JP-MS"), MB("eucjpms", "EUC-JP-MS"),
	{ "iso2022jp", "ISO-2022-JP", CS_ISO2022JP, CS_ASCII },
	{ "csiso2022jp", "ISO-2022-JP", CS_ISO2022JP, CS_ASCII },
	{ "iso2022jp1", "ISO-2022-JP", CS_ISO2022JP, CS_ASCII },
	{ "iso2022jp2", "ISO-2022-JP", CS_ISO2022JP, CS_ASCII },
	{ "csiso2022jp2", "ISO-2022-JP", CS_ISO2022JP, CS_ASCII },
	{ "iso2022jp3", "ISO-2022-JP", CS_ISO2022JP, CS_ASCII },
	{ "iso2022jp2004", "ISO-2022-JP", CS_ISO2022JP, CS_ASCII },
	{ "iso2022jpms", "ISO-2022-JP", CS_ISO2022JP, CS_ASCII },
	{ "cp50220", "ISO-2022-JP", CS_ISO2022JP, CS_ASCII },
	{ "cp50221", "ISO-2022-JP", CS_ISO2022JP, CS_ASCII },
	{ "cp50222", "ISO-2022-JP", CS_ISO2022JP, CS_ASCII },

	/* Chinese: GB18030 is a superset of GB2312 and GBK. */
	MB("gb18030", "GB18030"), MB("gbk", "GB18030"), MB("xgbk", "GB18030"),
	MB("gb2312", "GB18030"), MB("gb231280", "GB18030"),
	MB("csgb2312", "GB18030"), MB("euccn", "GB18030"),
	MB("xeuccn", "GB18030"), MB("chinese", "GB18030"),
	MB("csiso58gb231280", "GB18030"), MB("isoir58", "GB18030"),
	MB("cp936", "GB18030"), MB("ms936", "GB18030"),
	MB("windows936", "GB18030"),
	MB("big5", "BIG5-HKSCS"), MB("big5hkscs", "BIG5-HKSCS"),
	MB("cnbig5", "BIG5-HKSCS"), MB("csbig5", "BIG5-HKSCS"),
	MB("xxbig5", "BIG5-HKSCS"), MB("xbig5", "BIG5-HKSCS"),
	MB("cp950", "BIG5-HKSCS"), MB("ms950", "BIG5-HKSCS"),
	MB("windows950", "BIG5-HKSCS"),
	MB("euctw", "EUC-TW"), MB("cseuctw", "EUC-TW"),
	MB("iso2022cn", "ISO-2022-CN"), MB("iso2022cnext", "ISO-2022-CN-EXT"),

	/* Korean: CP949 (UHC) is a superset of EUC-KR. */
	MB("euckr", "CP949"), MB("cseuckr", "CP949"), MB("ksc5601", "CP949"),
	MB("ksc56011987", "CP949"), MB("ksc56011989", "CP949"),
	MB("csksc56011987", "CP949"), MB("isoir149", "CP949"),
	MB("korean", "CP949"), MB("cp949", "CP949"), MB("ms949", "CP949"),
	MB("uhc", "CP949"), MB("windows949", "CP949"),
	MB("xwindows949", "CP949"),
	MB("iso2022kr", "ISO-2022-KR"), MB("csiso2022kr", "ISO-2022-KR"),
};

/* What uchardet's silence, and a failing iconv, fall back to. */
static const struct charset cs_fallback = LA("windows1252", "WINDOWS-1252");
static const struct charset cs_utf8 = { "utf8", "UTF-8", CS_UTF8, CS_ASCII };

/*
 * Reduce a label to lowercase letters and digits: "ISO_8859-1:1987",
 * "iso-8859-1" and "ISO8859-1" all become "iso88591".  A RFC 2231 language
 * suffix ("utf-8*en") and anything after ':' or '/' are dropped.  Returns
 * -1 when the label is empty or too long.
 */
static int
label_squeeze(const char *label, char *out, size_t size)
{
	size_t n = 0;
	const char *p;

	for (p = label; *p != '\0' && *p != '*' && *p != ':' && *p != '/'; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			continue;
		if (n + 1 >= size)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return n == 0 ? -1 : 0;
}

static const struct charset *
charset_find(const char *label)
{
	char key[CHARSET_LABEL_MAX + 1];
	size_t i;

	if (label == NULL || label_squeeze(label, key, sizeof(key)) < 0)
		return NULL;
	for (i = 0; i < sizeof(charsets) / sizeof(charsets[0]); i++) {
		if (strcmp(charsets[i].label, key) == 0)
			return &charsets[i];
	}
	return NULL;
}

/*
 * Look a label up in the table, or, for one not in it, ask iconv whether
 * it knows the label as written (then *tmp is filled and returned).
 */
static const struct charset *
charset_lookup(const char *label, struct charset *tmp)
{
	const struct charset *cs = charset_find(label);
	const char *p;
	iconv_t cd;

	if (cs != NULL || label == NULL || *label == '\0' ||
	    strlen(label) > CHARSET_LABEL_MAX)
		return cs;
	/* Only plain names: no "//TRANSLIT" or the like reaches iconv. */
	for (p = label; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-_.:", *p) != NULL))
			return NULL;
	}
	cd = iconv_open("UTF-8", label);
	if (cd == (iconv_t)-1)
		return NULL;
	iconv_close(cd);
	tmp->label = label;
	tmp->name = label;
	tmp->kind = CS_ICONV;
	tmp->flags = 0;
	return tmp;
}

const char *
charset_canonical(const char *label)
{
	const struct charset *cs = charset_find(label);

	return cs == NULL ? NULL : cs->name;
}

/* --- UTF-8 ------------------------------------------------------------- */

/* Length of the leading run of ASCII bytes. */
static size_t
ascii_span(const char *s, size_t len)
{
	size_t i = 0;
	uint64_t w;

	while (i + 8 <= len) {
		memcpy(&w, s + i, 8);
		if ((w & UINT64_C(0x8080808080808080)) != 0)
			break;
		i += 8;
	}
	while (i < len && (s[i] & 0x80) == 0)
		i++;
	return i;
}

struct utf8_stats {
	size_t nonascii;	/* bytes >= 0x80 */
	size_t multibyte;	/* valid sequences of two bytes or more */
	size_t invalid;		/* invalid subparts */
};

static void
utf8_scan(const char *s, size_t len, struct utf8_stats *st)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, bad;

	memset(st, 0, sizeof(*st));
	while (i < len) {
		i += ascii_span(s + i, len - i);
		if (i >= len)
			break;
		n = utf8_decode(p + i, len - i, NULL, &bad);
		if (n == 0) {
			st->invalid++;
			st->nonascii += bad;
			i += bad;
		} else {
			st->multibyte++;
			st->nonascii += n;
			i += n;
		}
	}
}

int
charset_is_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, bad;

	while (i < len) {
		i += ascii_span(s + i, len - i);
		if (i >= len)
			break;
		n = utf8_decode(p + i, len - i, NULL, &bad);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* Copy UTF-8, invalid subparts replaced; returns their number. */
static size_t
utf8_append(struct buf *dst, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start, n, bad, errors = 0;

	/* A byte order mark says nothing in UTF-8. */
	if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	buf_grow(dst, len);
	while (i < len) {
		start = i;
		for (;;) {
			i += ascii_span(s + i, len - i);
			if (i >= len)
				break;
			n = utf8_decode(p + i, len - i, NULL, &bad);
			if (n == 0)
				break;
			i += n;
		}
		buf_add(dst, s + start, i - start);
		if (i < len) {
			buf_add_utf8(dst, UNICODE_REPLACEMENT);
			errors++;
			i += bad;
		}
	}
	return errors;
}

/* --- iconv ------------------------------------------------------------- */

/*
 * Convert in[0..len) with cd, appending UTF-8 to dst.  Each invalid
 * sequence becomes U+FFFD and `skip` bytes are stepped over (1 for text,
 * the unit size for runs built by the ISO-2022-JP decoder); an incomplete
 * sequence at the end becomes one U+FFFD.  Returns the number of
 * replacements.
 */
static size_t
iconv_append(iconv_t cd, const char *in, size_t len, size_t skip, struct buf *dst)
{
	char *ip = (char *)in;
	size_t il = len, errors = 0;

	iconv(cd, NULL, NULL, NULL, NULL);
	buf_grow(dst, len + len / 2 + 16);
	for (;;) {
		int flushing = il == 0;
		char *op = dst->data + dst->len;
		size_t ol = dst->cap - dst->len - 1, r;
		int err;

		if (flushing)
			r = iconv(cd, NULL, NULL, &op, &ol);
		else
			r = iconv(cd, &ip, &il, &op, &ol);
		err = errno;
		dst->len = (size_t)(op - dst->data);
		dst->data[dst->len] = '\0';
		if (r != (size_t)-1) {
			if (flushing)
				break;
			continue;
		}
		if (err == E2BIG) {
			buf_grow(dst, dst->cap - dst->len + il + 64);
			continue;
		}
		buf_add_utf8(dst, UNICODE_REPLACEMENT);
		errors++;
		if (err != EILSEQ || il == 0)
			break;
		if (skip > il)
			skip = il;
		ip += skip;
		il -= skip;
	}
	return errors;
}

/* When even iconv_open("WINDOWS-1252") fails (no gconv modules): Latin-1. */
static size_t
latin1_append(struct buf *dst, const char *in, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf_add_utf8(dst, (unsigned char)in[i]);
	return 0;
}

/* --- ISO-2022-JP ------------------------------------------------------- */

/*
 * ISO-2022-JP (RFC 1468) and the parts of -1, -2, -3 and CP5022x seen in
 * mail.  The G0 sets are ASCII (ESC ( B, and ESC ( J / ESC ( H read as
 * ASCII), half-width katakana (ESC ( I, or SO ... SI), and two-byte sets.
 * A run of pairs is rewritten into a charset iconv knows and converted in
 * one go: JIS X 0208 to Shift_JIS decoded as CP932 (NEC row 13 and the
 * NEC-selected IBM rows come for free), JIS X 0212 and X 0213 to EUC,
 * GB 2312 and KS C 5601 to their EUC forms.  A bad byte becomes U+FFFD
 * and decoding resumes with the next byte in the same set.
 */
enum jis_set {
	JIS_ASCII,
	JIS_KANA,
	JIS_X0208,
	JIS_X0212,
	JIS_GB2312,
	JIS_KSC5601,
	JIS_X0213_1,
	JIS_X0213_2,
	JIS_NSETS,
	JIS_KEEP = JIS_NSETS,	/* an escape that changes nothing */
	JIS_UNKNOWN,		/* an escape we do not know */
};

static const struct {
	const char *charset;	/* what a pair is rewritten into */
	unsigned char prefix;	/* byte before the pair, or 0 */
} jis_dbcs[JIS_NSETS] = {
	[JIS_X0208] = { "CP932", 0 },
	[JIS_X0212] = { "EUC-JP-MS", 0x8F },
	[JIS_GB2312] = { "GB18030", 0 },
	[JIS_KSC5601] = { "CP949", 0 },
	[JIS_X0213_1] = { "EUC-JISX0213", 0 },
	[JIS_X0213_2] = { "EUC-JISX0213", 0x8F },
};

static const struct {
	const char *seq;	/* after the ESC */
	enum jis_set set;
} jis_escapes[] = {
	{ "(B", JIS_ASCII }, { "(J", JIS_ASCII }, { "(H", JIS_ASCII },
	{ "(I", JIS_KANA },
	{ "$@", JIS_X0208 }, { "$B", JIS_X0208 },
	{ "$(@", JIS_X0208 }, { "$(B", JIS_X0208 },
	{ "$A", JIS_GB2312 }, { "$(A", JIS_GB2312 },
	{ "$(C", JIS_KSC5601 }, { "$(D", JIS_X0212 },
	{ "$(O", JIS_X0213_1 }, { "$(Q", JIS_X0213_1 },
	{ "$(P", JIS_X0213_2 },
	{ "&@", JIS_KEEP },	/* JIS X 0208-1990 announcer, ESC $ B follows */
};

struct jis_decoder {
	struct buf *dst;
	struct buf run;			/* rewritten pairs not yet converted */
	enum jis_set run_set;
	iconv_t cd[JIS_NSETS];		/* NULL until needed */
	size_t errors;
};

static void
jis_flush(struct jis_decoder *d)
{
	enum jis_set set = d->run_set;
	size_t unit = jis_dbcs[set].prefix != 0 ? 3 : 2;

	if (d->run.len == 0)
		return;
	if (d->cd[set] == NULL)
		d->cd[set] = iconv_open("UTF-8", jis_dbcs[set].charset);
	if (d->cd[set] == (iconv_t)-1) {
		size_t i;

		for (i = 0; i < d->run.len; i += unit)
			buf_add_utf8(d->dst, UNICODE_REPLACEMENT);
		d->errors += d->run.len / unit;
	} else {
		d->errors += iconv_append(d->cd[set], d->run.data, d->run.len,
		    unit, d->dst);
	}
	buf_reset(&d->run);
}

static void
jis_put(struct jis_decoder *d, unsigned int cp)
{
	jis_flush(d);
	buf_add_utf8(d->dst, cp);
}

static void
jis_bad(struct jis_decoder *d)
{
	jis_put(d, UNICODE_REPLACEMENT);
	d->errors++;
}

static void
jis_add_pair(struct jis_decoder *d, enum jis_set set, unsigned char j1, unsigned char j2)
{
	unsigned char b[3];
	size_t n = 0;

	if (d->run.len > 0 && d->run_set != set)
		jis_flush(d);
	d->run_set = set;
	if (set == JIS_X0208) {
		/* JIS row/cell to Shift_JIS */
		b[0] = (unsigned char)(((j1 + 1) >> 1) + (j1 <= 0x5E ? 0x70 : 0xB0));
		if (j1 & 1)
			b[1] = (unsigned char)(j2 + (j2 >= 0x60 ? 0x20 : 0x1F));
		else
			b[1] = (unsigned char)(j2 + 0x7E);
		n = 2;
	} else {
		if (jis_dbcs[set].prefix != 0)
			b[n++] = jis_dbcs[set].prefix;
		b[n++] = (unsigned char)(j1 | 0x80);
		b[n++] = (unsigned char)(j2 | 0x80);
	}
	buf_add(&d->run, b, n);
}

/*
 * The escape sequence at p (p[0] is ESC): its length, and in *set_r the
 * set it designates.  An unknown one is stepped over like ISO 2022 says
 * (intermediate bytes 0x20-0x2F, one final byte) with *set_r = JIS_UNKNOWN.
 */
static size_t
jis_escape(const unsigned char *p, size_t n, enum jis_set *set_r)
{
	size_t i, k;

	for (i = 0; i < sizeof(jis_escapes) / sizeof(jis_escapes[0]); i++) {
		k = strlen(jis_escapes[i].seq);
		if (n > k && memcmp(p + 1, jis_escapes[i].seq, k) == 0) {
			*set_r = jis_escapes[i].set;
			return k + 1;
		}
	}
	*set_r = JIS_UNKNOWN;
	for (k = 1; k < n && p[k] >= 0x20 && p[k] <= 0x2F; k++)
		;
	if (k < n && p[k] >= 0x30 && p[k] <= 0x7E)
		k++;
	return k;
}

static size_t
iso2022jp_append(struct buf *dst, const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in, *end = p + len;
	struct jis_decoder d;
	enum jis_set g0 = JIS_ASCII, set;
	int shifted = 0;
	size_t i;

	memset(&d, 0, sizeof(d));
	d.dst = dst;
	buf_init(&d.run);
	buf_grow(dst, len);
	while (p < end) {
		unsigned char c = *p;

		if (c == 0x1B) {
			jis_flush(&d);
			p += jis_escape(p, (size_t)(end - p), &set);
			if (set < JIS_NSETS)
				g0 = set;
			else if (set != JIS_KEEP)
				jis_bad(&d);
			continue;
		}
		p++;
		if (c == 0x0E || c == 0x0F) {
			shifted = c == 0x0E;
		} else if (c >= 0x80) {
			jis_bad(&d);
		} else if (c <= 0x20 || c == 0x7F) {
			/* controls and space pass in every set */
			jis_flush(&d);
			buf_addc(dst, (char)c);
		} else if (shifted || g0 == JIS_KANA) {
			if (c <= 0x5F)
				jis_put(&d, 0xFF61 + (unsigned int)(c - 0x21));
			else
				jis_bad(&d);
		} else if (g0 == JIS_ASCII) {
			jis_flush(&d);
			buf_addc(dst, (char)c);
		} else if (p < end && *p >= 0x21 && *p <= 0x7E) {
			jis_add_pair(&d, g0, c, *p);
			p++;
		} else {
			/* a lead byte without its trail: resync on the next byte */
			jis_bad(&d);
		}
	}
	jis_flush(&d);
	for (i = 0; i < JIS_NSETS; i++) {
		if (d.cd[i] != NULL && d.cd[i] != (iconv_t)-1)
			iconv_close(d.cd[i]);
	}
	buf_release(&d.run);
	return d.errors;
}

/*
 * 7-bit text whose escapes name an ISO 2022 charset: ISO-2022-JP
 * (ESC $ B, ESC ( B ...), ISO-2022-KR (ESC $ ) C) or -CN (ESC $ ) A).
 */
static const struct charset *
escape_charset(const char *in, size_t len)
{
	const char *p = in, *end = in + len;

	for (;;) {
		p = memchr(p, 0x1B, (size_t)(end - p));
		if (p == NULL || end - p < 3)
			break;
		p++;
		if (p[0] == '$' && (p[1] == '@' || p[1] == 'A' || p[1] == 'B' || p[1] == '('))
			return charset_find("iso2022jp");
		if (p[0] == '(' && (p[1] == 'B' || p[1] == 'J' || p[1] == 'I'))
			return charset_find("iso2022jp");
		if (p[0] == '$' && p[1] == ')' && end - p >= 3) {
			if (p[2] == 'C')
				return charset_find("iso2022kr");
			if (p[2] == 'A' || p[2] == 'G')
				return charset_find("iso2022cn");
		}
	}
	return NULL;
}

/* --- detection --------------------------------------------------------- */

/* uchardet's answer for `copies` copies of the text, when it means something. */
static const struct charset *
detect_with(uchardet_t ud, const char *in, size_t len, size_t copies)
{
	const struct charset *cs;
	size_t i;

	uchardet_reset(ud);
	for (i = 0; i < copies; i++) {
		uchardet_handle_data(ud, in, len);
		if (copies > 1)
			uchardet_handle_data(ud, " ", 1);
	}
	uchardet_data_end(ud);
	cs = charset_find(uchardet_get_charset(ud));
	/* We only detect text that is not UTF-8, whatever uchardet thinks. */
	if (cs != NULL && cs->kind == CS_UTF8)
		return NULL;
	return cs;
}

/*
 * The charset of 8-bit text that is not UTF-8.  uchardet stays silent, or
 * guesses a single-byte charset, on a few words of CJK text; fed the same
 * words a few dozen times it recognises them.  Silence ends in
 * Windows-1252.
 */
static const struct charset *
detect(const char *in, size_t len)
{
	const struct charset *cs, *again;
	uchardet_t ud;

	if (len > CHARSET_DETECT_MAX)
		len = CHARSET_DETECT_MAX;
	ud = uchardet_new();
	if (ud == NULL)
		return &cs_fallback;
	cs = detect_with(ud, in, len, 1);
	if (len < CHARSET_DETECT_SHORT && (cs == NULL || (cs->flags & CS_SINGLE))) {
		again = detect_with(ud, in, len, CHARSET_DETECT_REPEAT / (len + 1) + 1);
		if (again != NULL && (cs == NULL || !(again->flags & CS_SINGLE)))
			cs = again;
	}
	uchardet_delete(ud);
	/*
	 * On a few words it picks Latin charsets at random (IBM852 for
	 * "na\xEFve", ISO-8859-10 for "se\xF1or"): Windows-1252 is likelier.
	 */
	if (cs == NULL || (len < CHARSET_DETECT_SHORT && (cs->flags & CS_LATIN)))
		cs = &cs_fallback;
	return cs;
}

const char *
charset_detect(const char *in, size_t len)
{
	if (len == 0 || charset_is_utf8(in, len))
		return "UTF-8";
	return detect(in, len)->name;
}

/* --- conversion -------------------------------------------------------- */

static size_t
convert(struct buf *dst, const struct charset *cs, const char *in, size_t len)
{
	iconv_t cd;
	size_t errors;

	switch (cs->kind) {
	case CS_UTF8:
		return utf8_append(dst, in, len);
	case CS_ISO2022JP:
		return iso2022jp_append(dst, in, len);
	case CS_ICONV:
		break;
	}
	cd = iconv_open("UTF-8", cs->name);
	if (cd == (iconv_t)-1)
		cd = iconv_open("UTF-8", cs_fallback.name);
	if (cd == (iconv_t)-1)
		return latin1_append(dst, in, len);
	errors = iconv_append(cd, in, len, 1, dst);
	iconv_close(cd);
	return errors;
}

static void
buf_truncate(struct buf *b, size_t len)
{
	b->len = len;
	if (b->data != NULL)
		b->data[len] = '\0';
}

/*
 * Text labelled cs (NULL: unknown) that has no byte >= 0x80: ASCII, unless
 * the label says otherwise (UTF-7, UTF-16 ...) or escapes say ISO 2022.
 */
static void
ascii_append(struct buf *dst, const struct charset *cs, const char *in, size_t len)
{
	const struct charset *esc = NULL;
	int has_esc = memchr(in, 0x1B, len) != NULL;

	if (cs != NULL && !(cs->flags & CS_ASCII)) {
		convert(dst, cs, in, len);
		return;
	}
	if (has_esc)
		esc = escape_charset(in, len);
	if (esc == NULL && cs != NULL && cs->kind == CS_ISO2022JP &&
	    (has_esc || memchr(in, 0x0E, len) != NULL))
		esc = cs;
	if (esc == NULL)
		buf_add(dst, in, len);
	else
		convert(dst, esc, in, len);
}

void
charset_append_utf8(struct buf *dst, const char *charset, const char *in, size_t len)
{
	const struct charset *cs, *guess;
	struct charset tmp;
	struct utf8_stats st;
	struct buf alt = BUF_INIT;
	size_t start = dst->len, errors;

	if (len == 0) {
		buf_add(dst, "", 0);
		return;
	}
	cs = charset_lookup(charset, &tmp);
	if (ascii_span(in, len) == len) {
		ascii_append(dst, cs, in, len);
		return;
	}
	utf8_scan(in, len, &st);
	if (cs == NULL) {
		convert(dst, st.invalid == 0 ? &cs_utf8 : detect(in, len), in, len);
		return;
	}
	if (cs->kind == CS_UTF8) {
		/* mostly UTF-8 with a few bad bytes: replace them */
		if (st.invalid <= st.multibyte)
			utf8_append(dst, in, len);
		else
			convert(dst, detect(in, len), in, len);
		return;
	}
	/*
	 * A legacy label on valid UTF-8: mislabelled, if the label is a
	 * single-byte charset (where everything is valid) or if the text is
	 * not valid in it.
	 */
	if (st.invalid == 0 && (cs->flags & CS_SINGLE)) {
		utf8_append(dst, in, len);
		return;
	}
	errors = convert(dst, cs, in, len);
	if (errors == 0)
		return;
	if (st.invalid == 0) {
		buf_truncate(dst, start);
		utf8_append(dst, in, len);
		return;
	}
	/*
	 * Many errors: maybe another charset altogether.  Not when
	 * ISO-2022-JP escapes show the label is right.
	 */
	if (errors < 4 || errors * 8 < st.nonascii)
		return;
	if (cs->kind == CS_ISO2022JP && escape_charset(in, len) != NULL)
		return;
	guess = detect(in, len);
	if (strcmp(guess->name, cs->name) == 0)
		return;
	if (convert(&alt, guess, in, len) < errors) {
		buf_truncate(dst, start);
		buf_add(dst, alt.data, alt.len);
	}
	buf_release(&alt);
}

int
charset_fit(const char *charset, const char *in, size_t len, int *single_byte_r)
{
	const struct charset *cs;
	struct charset tmp;
	struct buf b = BUF_INIT;
	size_t errors;

	cs = charset_lookup(charset, &tmp);
	if (single_byte_r != NULL)
		*single_byte_r = cs != NULL && (cs->flags & CS_SINGLE) != 0;
	if (cs == NULL)
		return -1;
	errors = convert(&b, cs, in, len);
	buf_release(&b);
	return errors > INT_MAX ? INT_MAX : (int)errors;
}

char *
charset_to_utf8(const char *charset, const char *in, size_t len, size_t *len_r)
{
	struct buf b = BUF_INIT;

	charset_append_utf8(&b, charset, in, len);
	return buf_detach(&b, len_r);
}
