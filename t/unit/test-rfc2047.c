/*
 * test-rfc2047: header decoding (RFC 2047 encoded words, raw 8-bit text,
 * folding) and RFC 2231 parameter values.
 */
#include "rfc2047.h"
#include "xmalloc.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CORPUS_DEFAULT "/work/shared/corpus/mail-gem/multi_charset"

static void
check_len(const char *raw, size_t len, const char *want)
{
	char *got = rfc2047_decode(raw, len);

	if (strcmp(got, want) != 0)
		printf("#   input '%s'\n", raw);
	test_assert_streq(got, want);
	free(got);
}

#define check(raw, want) check_len(raw, sizeof(raw) - 1, want)

static void
check_2231(const char *value, const char *want)
{
	char *got = rfc2231_decode(value);

	test_assert_streq(got, want);
	free(got);
}

static void
test_plain(void)
{
	test_begin("plain text is trimmed, folds unfolded");
	check("  Re: hello world  ", "Re: hello world");
	check("Re: this is\r\n a folded\r\n\tsubject", "Re: this is a folded subject");
	check("bare\n lf fold", "bare lf fold");
	check("", "");
	check_len(NULL, 0, "");
	test_end();

	test_begin("raw utf-8 header (RFC 6532)");
	check("Gr\303\274\303\237e aus K\303\266ln \342\200\223 \346\227\245\346\234\254",
	    "Grüße aus Köln – 日本");
	test_end();

	test_begin("raw shift_jis header is detected");
	/* 会議の件について */
	check("\211\357\213c\202\314\214\217\202\311\202\302\202\242\202\304",
	    "会議の件について");
	/* Re: テスト */
	check("Re: \203e\203X\203g", "Re: テスト");
	test_end();

	test_begin("raw latin-1 and iso-2022-jp headers");
	check("R\351union \340 Z\374rich", "Réunion à Zürich");
	check("\033$B$9$_$^$;$s\033(B (re)", "すみません (re)");
	test_end();
}

static void
test_words(void)
{
	test_begin("b and q words, q with underscores");
	check("=?UTF-8?B?44G+44G/44KA44KB44KC?=", "まみむめも");
	check("=?iso-8859-1?q?Caf=E9_cr=E8me?=", "Café crème");
	check("=?utf-8?Q?a_b__c=5F?=", "a b  c_");
	check("Re: =?utf-8?q?caf=C3=A9?= ok", "Re: café ok");
	test_end();

	test_begin("adjacent words are joined, other white space kept");
	check("=?utf-8?q?a?= =?utf-8?q?b?=", "ab");
	check("=?utf-8?q?a?=\r\n =?UTF-8?Q?b?=\r\n\t=?utf8?b?Yw==?=", "abc");
	check("=?utf-8?q?a?= b =?utf-8?q?c?=", "a b c");
	check("=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?=", "éé");
	check("foo=?utf-8?q?bar?=baz", "foobarbaz");
	test_end();

	test_begin("a character split across words comes out whole");
	/* 日 = e6 97 a5, 本 = e6 9c ac */
	check("=?utf-8?q?=E6=97?= =?utf-8?q?=A5=E6=9C=AC?=", "日本");
	check("=?UTF-8?B?5pc=?= =?utf-8?b?peacrA==?=", "日本");
	/* ESC $ B 日 | 本 ESC ( B */
	check("=?ISO-2022-JP?B?GyRCRnw=?= =?iso-2022-jp?B?S1wbKEI=?=", "日本");
	/* あ = 82 a0 split after its lead byte, then い */
	check("=?shift_jis?B?gg==?= =?Shift_JIS?B?oIKi?=", "あい");
	test_end();

	test_begin("base64 cut inside a quantum carries its bits");
	check("=?utf-8?B?5pel5p?= =?utf-8?B?ys?=", "日本");
	/* unpadded words are not glued */
	check("=?utf-8?B?QQ?= =?utf-8?B?QQ?=", "AA");
	test_end();

	test_begin("broken words are tolerated");
	check("=?utf-8?q?caf=C3=A9", "café");
	check("Re: =?utf-8?B?5pel5pys", "Re: 日本");
	check("=?utf-8?B?5pel5pys tail", "日本 tail");
	check("=?utf-8?q?a =?utf-8?q?b?=", "ab");
	check("=?iso-8859-1?Q?Caf=E9 au lait?=", "Café au lait");
	check("=?utf-8?B?5pel\r\n 5pys?=", "日本");
	check("=?x-unknown?q?caf=C3=A9?=", "café");
	check("=?utf-8?x?abc?=", "=?utf-8?x?abc?=");
	check("=?utf-8?q?" "?=", "");
	check("what =? is =?this?", "what =? is =?this?");
	check("=?utf-8?q?100=?=", "100=");
	check("=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore");
	test_end();

	test_begin("control characters become spaces");
	check("=?utf-8?q?a=0D=0Ab=00c=09d?=", "a  b c d");
	test_end();
}

static void
test_charsets(void)
{
	test_begin("iso-2022-jp subject with nec characters");
	check("=?ISO-2022-JP?B?GyRCLSEtaiROMnE1RBsoQg==?=", "①㈱の会議");
	test_end();

	test_begin("words in cjk and legacy charsets");
	check("=?gb2312?B?1tDOxNPKvP6y4srU?=", "中文邮件测试");
	check("=?GB18030?B?lTSyNdKwvNI=?=", "𠮷野家");
	check("=?big5?B?t3zEs7Nxqr4=?=", "會議通知");
	check("=?ks_c_5601-1987?B?yLjAxyC+yLO7?=", "회의 안내");
	check("=?shift_jis?B?ie+LY4LMjI+CyYLCgqKCxA==?=", "会議の件について");
	check("=?koi8-r?Q?=EF=D4=DE=A3=D4?=", "Отчёт");
	check("=?ISO-8859-1?Q?=93hi=94_=80?=", "“hi” €");
	check("=?utf-7?Q?Hi_+ZeVnLIqe-?=", "Hi 日本語");
	test_end();
}

static void
test_2231(void)
{
	test_begin("rfc2231 values");
	check_2231("utf-8''%E2%82%AC%20rates.pdf", "€ rates.pdf");
	check_2231("iso-8859-1'en'%A3%20rates", "£ rates");
	check_2231("Shift_JIS''%82%A0%82%A2.txt", "あい.txt");
	check_2231("''%C3%A9t%C3%A9", "été");
	check_2231("plain%20name.txt", "plain name.txt");
	check_2231("utf-8''100%.txt%", "100%.txt%");
	check_2231("utf-8''%00x%0A", " x ");
	check_2231("it's a 'file'.txt", "it's a 'file'.txt");
	check_2231("", "");
	test_end();
}

/* The raw value of a header in a corpus message, folds kept. */
static char *
corpus_header(const char *file, const char *name)
{
	const char *dir = getenv("TICKETD_CORPUS");
	struct buf b = BUF_INIT;
	char chunk[4096], *path, *value = NULL;
	const char *p, *end;
	size_t n, nlen = strlen(name);
	FILE *f;

	path = xasprintf("%s/%s", dir != NULL ? dir : CORPUS_DEFAULT, file);
	f = fopen(path, "rb");
	free(path);
	if (f == NULL)
		return NULL;
	do {
		n = fread(chunk, 1, sizeof(chunk), f);
		buf_add(&b, chunk, n);
	} while (n > 0);
	fclose(f);
	/* header lines up to the blank line; a value goes on over folds */
	for (p = buf_str(&b); *p != '\0' && *p != '\r' && *p != '\n'; p = end + 1) {
		end = strchr(p, '\n');
		while (end != NULL && (end[1] == ' ' || end[1] == '\t'))
			end = strchr(end + 1, '\n');
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			p += nlen + 1;
			value = xstrndup(p, end != NULL ? (size_t)(end - p) : strlen(p));
			break;
		}
		if (end == NULL)
			break;
	}
	buf_release(&b);
	return value;
}

static void
test_corpus(void)
{
	static const struct {
		const char *file, *want;
	} cases[] = {
		{ "japanese.eml", "まみむめも" },
		{ "japanese_iso_2022.eml", "まみむめも" },
		{ "japanese_attachment_long_name.eml",
		  "まみむめもまみむめもまみむめもまみむめもまみむめもまみむめも"
		  "まみむめもまみむめもまみむめもまみむめも" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *raw = corpus_header(cases[i].file, "Subject");

		test_begin(cases[i].file);
		if (raw == NULL) {
			printf("ok %d - %s # SKIP corpus not found\n", ++test_n, cases[i].file);
			continue;
		}
		check_len(raw, strlen(raw), cases[i].want);
		free(raw);
		test_end();
	}

	test_begin("corpus attachment names");
	check("=?UTF-8?B?44Gm44GZ44GoLnR4dA==?=", "てすと.txt");
	check("=?utf-8?B?44GL44GN44GP44GR44GT44GL44GN44GP44GR44GT44GL44GN44GP?=\r\n"
	    " =?utf-8?B?44GR44GT44GL44GN44GP44GR44GT44GL44GN44GP44GR44GTLnR4?=\r\n"
	    " =?utf-8?B?dA==?=",
	    "かきくけこかきくけこかきくけこかきくけこかきくけこ.txt");
	test_end();
}

int
main(void)
{
	test_plain();
	test_words();
	test_charsets();
	test_2231();
	test_corpus();
	return test_done();
}
