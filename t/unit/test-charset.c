/*
 * test-charset: charset_to_utf8 on real samples of every charset mail uses.
 *
 * Input bytes were made with Python's codecs (cp932, euc_jp, gbk, gb18030,
 * big5, big5hkscs, cp949, koi8_r, iso8859_2, iso8859_15, cp1251, cp1252,
 * utf-7, iso2022_jp_2, iso2022_kr); the ISO-2022-JP text with NEC
 * characters was made from CP932 by the Shift_JIS-to-JIS arithmetic,
 * since no codec writes it.  Each comment shows the text.
 */
#include "charset.h"
#include "xmalloc.h"
#include "test.h"

#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS_DEFAULT "/work/shared/corpus/mail-gem/multi_charset"

static void
check_len(const char *label, const char *in, size_t len, const char *want)
{
	size_t n = 12345;
	char *got = charset_to_utf8(label, in, len, &n);

	if (strcmp(got, want) != 0)
		printf("#   label %s\n", label != NULL ? label : "(null)");
	test_assert_streq(got, want);
	test_assert_inteq(n, strlen(want));
	test_assert(charset_is_utf8(got, n));
	free(got);
}

#define check(label, in, want) check_len(label, in, sizeof(in) - 1, want)

/* ①会議のお知らせ (㈱テスト～)\r\nｱｲｳ end\r\n: NEC row 13 and ESC ( I */
static const char jis_nec[] =
	"\033$B-!2q5D$N$*CN$i$;\033(B (\033$B-j%F%9%H!A\033(B)\r\n"
	"\033(I123\033(B end\r\n";
static const char jis_nec_utf8[] =
	"①会議のお知らせ (㈱テスト～)\r\nｱｲｳ end\r\n";

/* お世話になっております。先日の会議の件についてご連絡いたします。 */
static const char ja_text[] =
	"お世話になっております。先日の会議の件についてご連絡いたします。";
static const char ja_sjis[] =
	"\202\250\220\242\230b\202\311\202\310\202\301\202\304\202\250\202\350"
	"\202\334\202\267\201B\220\346\223\372\202\314\211\357\213c\202\314\214"
	"\217\202\311\202\302\202\242\202\304\202\262\230A\227\215\202\242\202"
	"\275\202\265\202\334\202\267\201B";
static const char ja_eucjp[] =
	"\244\252\300\244\317\303\244\313\244\312\244\303\244\306\244\252\244\352"
	"\244\336\244\271\241\243\300\350\306\374\244\316\262\361\265\304\244\316"
	"\267\357\244\313\244\304\244\244\244\306\244\264\317\242\315\355\244\244"
	"\244\277\244\267\244\336\244\271\241\243";

/* 您好，关于上次会议的问题，请尽快回复。谢谢！ */
static const char zh_text[] = "您好，关于上次会议的问题，请尽快回复。谢谢！";
static const char zh_gbk[] =
	"\304\372\272\303\243\254\271\330\323\332\311\317\264\316\273\341\322\351"
	"\265\304\316\312\314\342\243\254\307\353\276\241\277\354\273\330\270\264"
	"\241\243\320\273\320\273\243\241";

static void
test_ascii(void)
{
	static const char *labels[] = {
		NULL, "", "us-ascii", "ISO-8859-1", "utf-8", "Shift_JIS",
		"iso-2022-jp", "gb2312", "x-unknown",
	};
	size_t i;

	test_begin("pure ascii is copied under any label");
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		check(labels[i], "Hello, world\r\n\ttab ~\\", "Hello, world\r\n\ttab ~\\");
	check("utf-8", "", "");
	check_len(NULL, NULL, 0, "");
	test_end();
}

static void
test_utf8(void)
{
	test_begin("utf-8 passes, a byte order mark goes");
	check("UTF-8", "Gr\303\274\303\237e \342\200\223 \346\227\245\346\234\254 \342\221\240",
	    "Grüße – 日本 ①");
	check("utf8", "\357\273\277BOM", "BOM");
	check(NULL, "\360\240\256\267", "𠮷");
	test_end();

	test_begin("utf-8 with bad bytes gets U+FFFD for each");
	check("utf-8", "\346\227\245\346\234\254\377\350\252\236", "日本\xEF\xBF\xBD語");
	/* a truncated sequence is one replacement, then the text goes on */
	check("utf-8", "\346\227\245\346\234\254\350\252 ok", "日本\xEF\xBF\xBD ok");
	check("utf-8", "\346\227\245\346\234\254\350\252", "日本\xEF\xBF\xBD");
	/* overlong, surrogate and beyond U+10FFFF */
	check("utf-8", "\346\227\245\346\234\254\300\257", "日本\xEF\xBF\xBD\xEF\xBF\xBD");
	check("utf-8", "\346\227\245\346\234\254\350\252\236\355\240\200x",
	    "日本語\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx");
	test_end();

	test_begin("utf-8 label on latin-1 text is detected");
	check("utf-8", "Caf\351 cr\350me br\373l\351e, \340 la fran\347aise",
	    "Café crème brûlée, à la française");
	test_end();

	test_begin("charset_is_utf8");
	test_assert(charset_is_utf8("", 0));
	test_assert(charset_is_utf8("plain", 5));
	test_assert(charset_is_utf8("\342\221\240\360\237\230\200", 7));
	test_assert(!charset_is_utf8("\300\200", 2));
	test_assert(!charset_is_utf8("\355\240\200", 3));
	test_assert(!charset_is_utf8("\364\220\200\200", 4));
	test_assert(!charset_is_utf8("\342\221", 2));
	test_assert(!charset_is_utf8("abcdefghijklmnop\351", 17));
	test_end();
}

static void
test_iso2022jp(void)
{
	test_begin("iso-2022-jp with nec extensions (①, ㈱) and half-width kana");
	check("ISO-2022-JP", jis_nec, jis_nec_utf8);
	check("iso-2022-jp-2", jis_nec, jis_nec_utf8);
	check("csISO2022JP", jis_nec, jis_nec_utf8);
	/* ㍻ 髙 ∵ ≒ Ⅲ ¬ (NEC row 13, NEC-selected IBM rows) */
	check("iso-2022-jp", "\033$B-_|b\"h\"b-7\"L\033(B", "㍻髙∵≒Ⅲ￢");
	test_end();

	test_begin("iso-2022-jp: RFC 1468 text, ESC $ @, ESC ( J, SO/SI kana");
	check("iso-2022-jp", "\033$B$9$_$^$;$s!#\033(B", "すみません。");
	check("iso-2022-jp", "\033$@F|K\\\033(Jabc\033(B", "日本abc");
	check("iso-2022-jp", "a\016123\017b", "aｱｲｳb");
	check("iso-2022-jp", "abc\033(Bdef", "abcdef");
	test_end();

	test_begin("iso-2022-jp: bad bytes do not derail what follows");
	/* こん<0x80>にち<0xFF>は: one U+FFFD each, the pairs stay aligned */
	check("iso-2022-jp", "\033$B$3$s\200$K$A\377$O\033(B ok",
	    "こん\xEF\xBF\xBDにち\xEF\xBF\xBDは ok");
	/* a lead byte without its trail before the escape */
	check("iso-2022-jp", "\033$B$3$\033(B x", "こ\xEF\xBF\xBD x");
	/* an unknown escape, an unassigned pair (row 9), then on */
	check("iso-2022-jp", "\033$B$3\033$Z$s)!$K\033(B!",
	    "こ\xEF\xBF\xBDん\xEF\xBF\xBDに!");
	/* a newline inside the two-byte set, a truncated escape */
	check("iso-2022-jp", "\033$B$3\r\n$s\033(B\033$", "こ\r\nん\xEF\xBF\xBD");
	test_end();

	test_begin("iso-2022-jp-2: JIS X 0212, GB 2312, KS C 5601 sets");
	check("ISO-2022-JP-2", "\033$(CGQ19>n\033(B", "한국어");
	check("ISO-2022-JP-2", "\033$BCfJ8\033$(A<r\033$BBN\033(B", "中文简体");
	check("ISO-2022-JP-2", "\033$(D0)\033(B", "丨");
	test_end();

	test_begin("iso-2022-jp-3: JIS X 0213");
	check("ISO-2022-JP-3", "\033$(O$w\033(B|\033$(O.\"\033(B", "か゚|𠀋");
	test_end();

	test_begin("iso-2022-jp without a label, or labelled ascii");
	check(NULL, jis_nec, jis_nec_utf8);
	check("us-ascii", "\033$B$9$_$^$;$s!#\033(B", "すみません。");
	test_end();

	test_begin("iso-2022-jp label on shift_jis bytes is detected");
	check("iso-2022-jp", ja_sjis, ja_text);
	/* but not when escapes show the label is right */
	check("iso-2022-jp", "\033$B$3$s$K$A$O\033(B \261\262\263\264\265",
	    "こんにちは \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	test_end();
}

static void
test_japanese(void)
{
	test_begin("shift_jis label reads cp932 (①, ㈱, ～, 髙)");
	check("Shift_JIS", "\207@\207\212\201`\356\340\213\264", "①㈱～髙橋");
	check("x-sjis", "\207@\207\212\201`\356\340\213\264", "①㈱～髙橋");
	check("shift-jis", ja_sjis, ja_text);
	/* half-width katakana, and a trail byte that is a backslash */
	check("sjis", "\261\262\263 \225\\", "ｱｲｳ 表");
	test_end();

	test_begin("shift_jis bad bytes");
	check("shift_jis", "\202\240\377\202\242", "あ\xEF\xBF\xBDい");
	check("shift_jis", "\202\240\202", "あ\xEF\xBF\xBD");
	/* a lead byte before ascii: the ascii survives */
	check("shift_jis", "\202\240\202 ok", "あ\xEF\xBF\xBD ok");
	test_end();

	test_begin("euc-jp, with the microsoft mappings (～, ①)");
	check("EUC-JP", "\306\374\313\334\270\354\244\316\245\306\245\255\245\271"
	    "\245\310\241\301\255\241", "日本語のテキスト～①");
	check("euc-jp", ja_eucjp, ja_text);
	/* half-width katakana (SS2) and JIS X 0212 (SS3) */
	check("euc-jp", "\216\261\217\260\251", "ｱ丨");
	test_end();
}

static void
test_chinese_korean(void)
{
	test_begin("gb2312, gbk and gb18030 (4-byte) read as gb18030");
	check("gb2312", "\326\320\316\304\323\312\274\376\262\342\312\324", "中文邮件测试");
	check("GB2312", "\351F\273\371", "镕基");
	check("x-gbk", zh_gbk, zh_text);
	check("GB18030", "\320\325\303\373\243\272\2254\2625\322\260\274\322 \2010\2137 \242\343",
	    "姓名：𠮷野家 ÿ €");
	test_end();

	test_begin("big5 and big5-hkscs");
	check("big5", "\301c\305\351\244\244\244\345\264\372\270\325\241A\301\302\301\302\241C",
	    "繁體中文測試，謝謝。");
	check("Big5-HKSCS", "\312\\\222]\253Y\253}\221\301\235\367\235\356", "佢哋係咪嚟咗㗎");
	check("big5", "\312\\\222]\253Y\253}\221\301\235\367\235\356", "佢哋係咪嚟咗㗎");
	test_end();

	test_begin("euc-kr and ks_c_5601-1987 read as cp949");
	check("ks_c_5601-1987", "\276\310\263\347\307\317\274\274\277\344. \310\270\300\307 "
	    "\300\317\301\244 \276\310\263\273\300\324\264\317\264\331.",
	    "안녕하세요. 회의 일정 안내입니다.");
	check("euc-kr", "\214c\271\346\260\242\307\317", "똠방각하");
	check("x-windows-949", "\275\272\306\274\307\330", "스티해");
	test_end();

	test_begin("iso-2022-kr, labelled and not");
	check("ISO-2022-KR", "\033$)C\016>H3gGO<<?d\017", "안녕하세요");
	check(NULL, "\033$)C\016>H3gGO<<?d\017", "안녕하세요");
	test_end();
}

static void
test_single_byte(void)
{
	test_begin("iso-8859-1 and us-ascii labels read as windows-1252");
	check("ISO-8859-1", "\223Quoted\224 \226 \20010 \205 \221x\222 Caf\351",
	    "“Quoted” – €10 … ‘x’ Café");
	check("us-ascii", "\223Quoted\224 \226 \20010 \205 \221x\222 Caf\351",
	    "“Quoted” – €10 … ‘x’ Café");
	check("latin1", "Gr\374\337e", "Grüße");
	test_end();

	test_begin("koi8-r, windows-1251");
	check("KOI8-R", "\360\322\311\327\305\324, \315\311\322! \263\314\313\301",
	    "Привет, мир! Ёлка");
	check("windows-1251", "\321\372\345\370\374 \346\345 \345\371\270 \375\362\350\365 "
	    "\354\377\343\352\350\365 \364\360\340\355\366\363\347\361\352\350\365 "
	    "\341\363\353\356\352", "Съешь же ещё этих мягких французских булок");
	test_end();

	test_begin("iso-8859-2, iso-8859-15");
	check("iso-8859-2", "Za\277\363\263\346 g\352\266l\261 ja\274\361", "Zażółć gęślą jaźń");
	check("ISO_8859-15", "\244uro \275uvre \246\250 \264\270", "€uro œuvre Šš Žž");
	test_end();

	test_begin("a label iconv knows but the table does not");
	check("IBM037", "\310\205\223\223\226", "Hello");
	test_end();
}

static void
test_utf7(void)
{
	test_begin("utf-7");
	check("UTF-7", "Hi Mom -+Jjo--! +ZeVnLIqe A+ImIDkQ. 1+-1=2",
	    "Hi Mom -☺-! 日本語 A≢Α. 1+1=2");
	check("utf-7", "a\377b+ZeU-", "a\xEF\xBF\xBD" "b日");
	test_end();

	test_begin("utf-7: a bad byte inside base64 is replaced, the text goes on");
	{
		static const char in[] = "x+AGEAYgBj\377AGQ-z";
		char *got = charset_to_utf8("utf-7", in, sizeof(in) - 1, NULL);

		/* glibc leaves base64 there: the rest shows as it was written */
		test_assert(strncmp(got, "xabc\xEF\xBF\xBD", 6) == 0);
		test_assert(got[strlen(got) - 1] == 'z');
		free(got);
	}
	test_end();
}

static void
test_detect(void)
{
	test_begin("unlabelled shift_jis, euc-jp and gbk are detected");
	check(NULL, ja_sjis, ja_text);
	check("", ja_eucjp, ja_text);
	check("x-unknown", zh_gbk, zh_text);
	check("unknown-8bit", ja_sjis, ja_text);
	test_assert_streq(charset_detect(ja_sjis, sizeof(ja_sjis) - 1), "CP932");
	test_assert_streq(charset_detect(ja_eucjp, sizeof(ja_eucjp) - 1), "EUC-JP-MS");
	test_assert_streq(charset_detect(zh_gbk, sizeof(zh_gbk) - 1), "GB18030");
	test_assert_streq(charset_detect("ascii", 5), "UTF-8");
	test_assert_streq(charset_detect("\303\251", 2), "UTF-8");
	test_end();

	test_begin("short unlabelled cjk text is detected");
	/* テスト, 会议通知, 회의 안내: too short for one pass of uchardet */
	check(NULL, "\203e\203X\203g", "テスト");
	check(NULL, "\273\341\322\351\315\250\326\252", "会议通知");
	check(NULL, "\310\270\300\307 \276\310\263\273", "회의 안내");
	test_end();

	test_begin("unlabelled koi8-r, and latin text falls to windows-1252");
	check(NULL, "\360\322\311\327\305\324, \315\311\322! \374\324\317 \324\305\323\324.",
	    "Привет, мир! Это тест.");
	check(NULL, "Gr\374\337e aus K\366ln", "Grüße aus Köln");
	test_end();

	test_begin("valid utf-8 under a legacy label is utf-8");
	check("iso-8859-1", "Gr\303\274\303\237e \342\200\223 \346\227\245\346\234\254",
	    "Grüße – 日本");
	check("windows-1251", "\320\237\321\200\320\270\320\262\320\265\321\202", "Привет");
	check("shift_jis", "\343\201\223\343\201\241\343\202\211\343\201\257\346\227\245\346"
	    "\234\254\350\252\236\343\201\256\343\203\241\343\203\274\343\203\253\343\201\247"
	    "\343\201\231\343\200\202",
	    "こちらは日本語のメールです。");
	check("euc-kr", "\355\232\214\354\235\230", "회의");
	check("iso-2022-jp", "\346\227\245\346\234\254", "日本");
	test_end();
}

static void
test_labels(void)
{
	static const struct {
		const char *label, *name;
	} cases[] = {
		{ "x-sjis", "CP932" }, { "Shift_JIS", "CP932" }, { "shift-jis", "CP932" },
		{ "SJIS", "CP932" }, { "MS932", "CP932" }, { "Windows-31J", "CP932" },
		{ "euc-jp", "EUC-JP-MS" }, { "x-euc-jp", "EUC-JP-MS" },
		{ "gb2312", "GB18030" }, { "EUC-CN", "GB18030" }, { "x-gbk", "GB18030" },
		{ "GBK", "GB18030" }, { "gb18030", "GB18030" },
		{ "big5", "BIG5-HKSCS" }, { "Big5-HKSCS", "BIG5-HKSCS" },
		{ "ks_c_5601-1987", "CP949" }, { "EUC-KR", "CP949" },
		{ "x-windows-949", "CP949" }, { "uhc", "CP949" },
		{ "ISO-8859-1", "WINDOWS-1252" }, { "latin1", "WINDOWS-1252" },
		{ "US-ASCII", "WINDOWS-1252" }, { "ascii", "WINDOWS-1252" },
		{ "ISO_8859-1:1987", "WINDOWS-1252" }, { "cp1252", "WINDOWS-1252" },
		{ "iso-8859-9", "WINDOWS-1254" }, { "tis-620", "WINDOWS-874" },
		{ "iso-8859-15", "ISO-8859-15" }, { "koi8-r", "KOI8-R" },
		{ "windows-1251", "WINDOWS-1251" }, { "utf-7", "UTF-7" },
		{ "utf8", "UTF-8" }, { "UNICODE-1-1-UTF-8", "UTF-8" },
		{ "\"utf-8\"", "UTF-8" }, { "utf-8*en", "UTF-8" },
		{ "iso-2022-jp", "ISO-2022-JP" }, { "csISO2022JP", "ISO-2022-JP" },
		{ "ISO-2022-JP-1", "ISO-2022-JP" }, { "iso-2022-jp-2", "ISO-2022-JP" },
		{ "iso-2022-jp-3", "ISO-2022-JP" }, { "CP50220", "ISO-2022-JP" },
	};
	size_t i;

	test_begin("label normalisation");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_assert_streq(charset_canonical(cases[i].label), cases[i].name);
	test_assert(charset_canonical("x-bogus") == NULL);
	test_assert(charset_canonical("") == NULL);
	test_assert(charset_canonical(NULL) == NULL);
	test_assert(charset_canonical("utf-8//TRANSLIT") != NULL);
	test_end();

	test_begin("every canonical iconv name opens");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *name = charset_canonical(cases[i].label);
		iconv_t cd;

		if (name == NULL || strcmp(name, "ISO-2022-JP") == 0)
			continue;
		cd = iconv_open("UTF-8", name);
		test_assert(cd != (iconv_t)-1);
		if (cd != (iconv_t)-1)
			iconv_close(cd);
	}
	test_end();
}

static void
test_garbage(void)
{
	static const char *labels[] = {
		NULL, "utf-8", "iso-2022-jp", "shift_jis", "euc-jp", "gb18030",
		"big5", "euc-kr", "koi8-r", "iso-8859-2", "windows-1252", "utf-7",
		"utf-16", "iso-2022-kr", "x-bogus",
	};
	char bytes[1024];
	unsigned int seed = 1;
	size_t i, j, n;

	test_begin("any bytes under any label give valid utf-8");
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		for (j = 0; j < 256; j++)
			bytes[j] = (char)j;
		for (; j < sizeof(bytes); j++) {
			seed = seed * 1103515245 + 12345;
			bytes[j] = (char)(seed >> 16);
		}
		for (n = 0; n <= sizeof(bytes); n += 97) {
			size_t len;
			char *got = charset_to_utf8(labels[i], bytes, n, &len);

			test_assert(charset_is_utf8(got, len));
			free(got);
		}
	}
	test_end();
}

/* The body of a corpus message: what follows the blank line. */
static char *
corpus_body(const char *name, size_t *len_r)
{
	const char *dir = getenv("TICKETD_CORPUS");
	char *path, *body = NULL;
	struct buf b = BUF_INIT;
	char chunk[4096];
	const char *sep;
	size_t n;
	FILE *f;

	path = xasprintf("%s/%s", dir != NULL ? dir : CORPUS_DEFAULT, name);
	f = fopen(path, "rb");
	free(path);
	if (f == NULL)
		return NULL;
	do {
		n = fread(chunk, 1, sizeof(chunk), f);
		buf_add(&b, chunk, n);
	} while (n > 0);
	fclose(f);
	sep = b.data != NULL ? strstr(b.data, "\r\n\r\n") : NULL;
	if (sep != NULL) {
		sep += 4;
		*len_r = b.len - (size_t)(sep - b.data);
		body = xstrndup(sep, *len_r);
	}
	buf_release(&b);
	return body;
}

static void
test_corpus(void)
{
	static const struct {
		const char *file, *charset, *want;
	} cases[] = {
		{ "japanese_iso_2022.eml", "iso-2022-jp", "すみません。\r\n\r\n" },
		{ "japanese_shift_jis.eml", "Shift_JIS",
		  "あいうえお\r\n\r\nこのメールはテスト用のメールです。\r\n\r\n"
		  "今後ともよろしくお願い申し上げます！\r\n" },
		{ "ks_c_5601-1987.eml", "ks_c_5601-1987", "스티해\r\n" },
	};
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = corpus_body(cases[i].file, &len);

		test_begin(cases[i].file);
		if (body == NULL) {
			printf("ok %d - %s # SKIP corpus not found\n", ++test_n, cases[i].file);
			continue;
		}
		check_len(cases[i].charset, body, len, cases[i].want);
		free(body);
		test_end();
	}
}

int
main(void)
{
	test_ascii();
	test_utf8();
	test_iso2022jp();
	test_japanese();
	test_chinese_korean();
	test_single_byte();
	test_utf7();
	test_detect();
	test_labels();
	test_garbage();
	test_corpus();
	return test_done();
}
